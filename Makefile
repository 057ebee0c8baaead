# rtcengine — one command runs every test: `make test`.
# It installs what the tests need when it is missing (see scripts/deps.sh).

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
# Fuzzing budget in iterations, not seconds: a time budget can end while an
# input runs and fail with "context deadline exceeded".
FUZZTIME ?= 20000x

.PHONY: test deps build vet unit race fuzz run short web web-check bench-web soak

test: deps vet web-check race fuzz ## everything CI runs

deps: ## install test dependencies if missing
	@scripts/deps.sh ffmpeg libvpx-dev libopus-dev chromium nodejs nftables iptables iproute2 redis-server postgresql
	@command -v npm >/dev/null || scripts/deps.sh npm
	@# npm ci refuses a lock that lacks other platforms' optional packages (this
	@# registry has only linux-x64 rollup builds); npm install keeps the locked versions.
	@test -d web/node_modules || (cd web && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund))

web: ## build the Web SDK (web/src → web/dist) and run its unit tests
	cd web && node build.mjs && npx vitest run

web-check: ## the Web SDK's unit tests, and a check that web/dist is built from web/src
	cd web && node build.mjs --check && npx vitest run

soak: ## 50 users joining, publishing and leaving for 30 minutes: server memory and goroutines must stay flat (SOAK=5m for a shorter run)
	$(GO) run ./cmd/rtcengine bench soak --users 50 --rooms 10 --duration $(or $(SOAK),30m)

bench-web: ## enterRoom → first decoded frame in Chromium, p50 over 20 runs
	$(GO) test -run '^$$' -bench FirstFrame -benchtime 1x ./test/browser/

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
