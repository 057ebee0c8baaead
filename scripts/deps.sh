#!/usr/bin/env bash
# Installs what the test suite needs, only when it is missing. Idempotent.
set -euo pipefail
export PATH=/usr/local/go/bin:$PATH

need_apt=()
# (Later suites add: redis-server, chromium, ffmpeg, postgresql.)
for pkg in "$@"; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
	echo "deps: installing ${need_apt[*]}"
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
go version >/dev/null || { echo "deps: Go is required (/usr/local/go/bin/go)"; exit 1; }
go mod download
