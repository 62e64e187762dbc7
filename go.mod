module github.com/voxgraph/voxgraph

go 1.26.8

require (
	github.com/pion/rtp v1.10.6
	github.com/zaf/g711 v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)

require github.com/pion/randutil v0.1.0 // indirect
