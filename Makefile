# gomgr: make run (the demo), make test (everything CI runs).
GO      ?= go
BIN     := bin
PLUGINS := $(BIN)/plugins
export PATH := $(PATH):/usr/local/go/bin:$(shell $(GO) env GOPATH 2>/dev/null)/bin

.PHONY: all build plugins run run-ceph test interop fuzz bench proto vet clean

all: build

build:
	$(GO) build -o $(BIN)/gomgr ./cmd/gomgr

# Example Go plugins, built into the directory the demo loads them from.
plugins:
	@mkdir -p $(PLUGINS)
	$(GO) build -o $(PLUGINS)/osdwatch ./examples/modules/go/osdwatch

run: build plugins
	$(BIN)/gomgr demo --plugins $(PLUGINS) --modules examples/modules

# The same modules with gomgr as the mgr of a real one-node Ceph 16.2
# cluster (needs ceph-mon, ceph-osd and ceph-common).
# MODULES=/usr/share/ceph/mgr runs Ceph's own modules beside the examples.
MODULES ?=
run-ceph: build plugins
	$(BIN)/gomgr demo --ceph --plugins $(PLUGINS) --modules examples/modules$(if $(MODULES),:$(MODULES))

# The whole suite with the race detector, uncached (the end-to-end tests
# build binaries the test cache cannot see); interop with a real ceph-mon is
# part of it (internal/cephmon fails, never skips, without ceph-mon).
test: vet
	$(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

interop:
	$(GO) test -race -count=1 -run Interop -v ./internal/...

# Each fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: build
	$(BIN)/gomgr bench msgr
	$(BIN)/gomgr bench modules
	$(BIN)/gomgr bench plugins
	$(BIN)/gomgr bench mgr
	$(BIN)/gomgr bench ceph

# Regenerates the committed protobuf code (needs protoc, protoc-gen-go,
# protoc-gen-go-grpc; see plugins/proto/gen.sh).
proto:
	cd plugins/proto && ./gen.sh

clean:
	rm -rf $(BIN)
