# kyso: build, test and measure. `make help` lists the targets.
GO       ?= go
BIN      ?= bin/kyso
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 10s
# Go's fuzz engine before 1.27 can fail a target just as -fuzztime runs out, with
# a bare "context deadline exceeded" and no failing input (go.dev/issue/75804; a
# race in the coordinator, seen in this project's CI). Go 1.27 fixed it, so the
# fuzz target runs on that toolchain, which the go command fetches from the
# module proxy once (about 76 MB). FUZZGO=go fuzzes with the local Go instead.
FUZZGO   ?= GOTOOLCHAIN=go1.27.3 $(GO)
# -race needs cgo: with CGO_ENABLED=0 (as the release builds) the tests run
# without it. The token code is tested without cgo in either case.
CGO      := $(shell $(GO) env CGO_ENABLED)
RACE     := $(if $(filter 1,$(CGO)),-race,)

.PHONY: help build test test-s3 lint fuzz bench demo docs dist clean

help:
	@echo "build  - build $(BIN)"
	@echo "test   - run every test (the command .ci/run and the README use)"
	@echo "test-s3 - the archive's object-store tests against a real S3 server (versitygw) on 127.0.0.1"
	@echo "lint   - go vet and staticcheck"
	@echo "fuzz   - run each fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "bench  - Go benchmarks, then whole-command runs against the floor and pdfsign (scripts/bench.sh)"
	@echo "demo   - kyso demo into ./kyso-demo"
	@echo "docs   - regenerate docs/cli/ from the command tree and fail if it changed"
	@echo "dist   - release archives, .deb and SHA256SUMS in dist/ (VERSION=$(VERSION))"

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/kyso

test:
	$(GO) test $(RACE) -count=1 ./...
ifneq ($(RACE),)
	CGO_ENABLED=0 $(GO) test -count=1 ./internal/keys/pkcs11/...
	CGO_ENABLED=0 $(GO) test -count=1 -run 'Key|Token|Discover' ./cmd/kyso/
endif

test-s3:
	bash scripts/test-s3.sh

lint:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz:
	@$(FUZZGO) version
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(FUZZGO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; \
	  done; done

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bash scripts/bench.sh

demo: build
	$(BIN) demo --dir kyso-demo

docs:
	$(GO) run ./cmd/kyso docs --out docs/cli
	git diff --exit-code -- docs/cli

dist:
	VERSION=$(VERSION) GO=$(GO) bash scripts/dist.sh

clean:
	rm -rf bin kyso-demo dist
