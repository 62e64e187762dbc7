// Package pluginpb is the generated protobuf and gRPC code of the codec
// plugin protocol (codec.proto). Regenerate with `go generate ./plugins/proto`
// (needs protoc, protoc-gen-go and protoc-gen-go-grpc).
package pluginpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative codec.proto
