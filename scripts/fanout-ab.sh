#!/usr/bin/env bash
# Compares builds of rtcengine on `bench fanout` by alternating runs, which
# is how docs/benchmarks.md compares them: one run of the same binary can
# differ from the next by 20–45 % on a shared machine, so a single before/
# after pair says little.
#
#   [ROUNDS=K] scripts/fanout-ab.sh N SECONDS BINARY...
#   e.g. go build -o /tmp/rtc.old ./cmd/rtcengine (on the old commit), the
#        same for /tmp/rtc.new, then: scripts/fanout-ab.sh 200 12 /tmp/rtc.old /tmp/rtc.new
#
# Each binary serves (its own process on 127.0.0.1:7880, development mode)
# and runs the load generator against it, N subscribers for SECONDS; the
# binaries take turns, three rounds by default (ROUNDS in the environment).
# One line per run: the build, then the benchmark's result row and its
# time in the server. The port must be free.
set -euo pipefail
if (($# < 3)); then
	sed -n '2,15p' "$0" >&2
	exit 2
fi
n=$1 secs=$2
shift 2
log=$(mktemp)
srv=""
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -f "$log"; }
trap cleanup EXIT
for round in $(seq "${ROUNDS:-3}"); do
	for bin in "$@"; do
		"$bin" serve --dev --listen 127.0.0.1:7880 --log-level error >/dev/null 2>&1 &
		srv=$!
		for _ in $(seq 100); do curl -sf http://127.0.0.1:7880/healthz >/dev/null && break; sleep 0.1; done
		"$bin" bench fanout --server http://127.0.0.1:7880 --subscribers "$n" --duration "${secs}s" >"$log" 2>&1 || true
		row=$(tr '\r' '\n' <"$log" | grep -A2 'N streams' | tail -2 | tr '\n' ' ' | sed 's/time in the server ([^)]*)//; s/over [0-9]* packets//; s/  */ /g')
		echo "round $round $(basename "$bin"): $row"
		kill "$srv"; wait "$srv" 2>/dev/null || true
		srv=""
	done
done
