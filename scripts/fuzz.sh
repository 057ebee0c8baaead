#!/usr/bin/env bash
# Runs every Fuzz* target in the module briefly: $1 is a -fuzztime (default 20000x iterations; `make fuzz FUZZTIME=1m` for a longer run).
# One worker per target keeps a busy CI machine from tripping the fuzzer's
# hung-worker detection; on failure the fuzzer's output is shown (a real
# finding is also saved under the package's testdata/fuzz/).
set -euo pipefail
export PATH=/usr/local/go/bin:$PATH
t=${1:-20000x}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
	for f in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "fuzz: $dir $f ($t)"
		if ! go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" -parallel=1 "$dir" >"$log" 2>&1; then
			tail -40 "$log"
			exit 1
		fi
	done
done
echo "fuzz: every target passed in $((SECONDS - start)) s"
