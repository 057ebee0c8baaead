# rtcengine — one command runs every test: `make test`.
# It installs what the tests need when it is missing (see scripts/deps.sh).

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
# Fuzzing budget in iterations, not seconds: a time budget can end while an
# input runs and fail with "context deadline exceeded".
FUZZTIME ?= 50000x

.PHONY: test deps build vet unit race fuzz run short

test: deps vet race fuzz ## everything CI runs

deps: ## install test dependencies if missing
	@scripts/deps.sh ffmpeg libvpx-dev libopus-dev

build:
	$(GO) build ./...

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags rtccodecs ./...

race: ## all tests with the race detector and the cgo codecs, one package at a time (real-time media tests)
	$(GO) test -race -tags rtccodecs -p 1 -timeout 15m ./...

short: ## fast tier for the edit loop
	$(GO) test -short ./...

fuzz: ## every fuzz target, briefly
	@scripts/fuzz.sh $(FUZZTIME)

run:
	$(GO) run ./cmd/rtcengine
