module github.com/voxgraph/voxgraph

go 1.26.8

require (
	github.com/pion/rtp v1.10.6
	github.com/pion/srtp/v3 v3.1.3
	github.com/zaf/g711 v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/pion/logging v0.2.4 // indirect
	github.com/pion/randutil v0.1.0 // indirect
	github.com/pion/rtcp v1.2.20 // indirect
	github.com/pion/transport/v5 v5.1.1 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
