# kyso: build, test and measure. `make help` lists the targets.
GO       ?= go
BIN      ?= bin/kyso
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 10s

.PHONY: help build test test-s3 lint fuzz bench demo docs clean

help:
	@echo "build  - build $(BIN)"
	@echo "test   - run every test (the command .ci/run and the README use)"
	@echo "test-s3 - the archive's object-store tests against a real S3 server (versitygw) on 127.0.0.1"
	@echo "lint   - go vet and staticcheck"
	@echo "fuzz   - run each fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "bench  - Go benchmarks, then whole-command runs against the floor and pdfsign (scripts/bench.sh)"
	@echo "demo   - kyso demo into ./kyso-demo"
	@echo "docs   - regenerate docs/cli/ from the command tree and fail if it changed"

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/kyso

test:
	$(GO) test -race -count=1 ./...

test-s3:
	bash scripts/test-s3.sh

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; \
	  done; done

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bash scripts/bench.sh

demo: build
	$(BIN) demo --dir kyso-demo

docs:
	$(GO) run ./cmd/kyso docs --out docs/cli
	git diff --exit-code -- docs/cli

clean:
	rm -rf bin kyso-demo
