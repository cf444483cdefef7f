#!/usr/bin/env bash
# Stops the registry start.sh DIR started.
set -euo pipefail
work=${1:?usage: stop.sh WORKDIR}
[ -f "$work/pid" ] || exit 0
pid=$(cat "$work/pid")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 30); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 1
done
kill -9 "$pid" 2>/dev/null || true
