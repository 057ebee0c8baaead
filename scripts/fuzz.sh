#!/usr/bin/env bash
# Runs every Fuzz* target in the module for a short time each ($1, default 10s).
set -euo pipefail
export PATH=/usr/local/go/bin:$PATH
t=${1:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
	for f in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "fuzz: $dir $f ($t)"
		go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$dir" >/dev/null
	done
done
