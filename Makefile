# Convenience targets; scripts/test.sh is the source of truth for testing.
GO ?= go

.PHONY: all build test bench fuzz demo lint clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o bin/voxgraph ./cmd/voxgraph

test:
	./scripts/test.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Short fuzz runs of every parser we own (seeds live in testdata/fuzz).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime 30s ./graphs
	$(GO) test -run '^$$' -fuzz '^FuzzParseYAML$$' -fuzztime 30s ./graphs
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime 30s ./dsp/wav
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./codecs

demo:
	$(GO) run ./cmd/voxgraph demo

lint:
	gofmt -l . && $(GO) vet ./...

clean:
	rm -rf bin
