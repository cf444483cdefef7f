#!/usr/bin/env bash
# Stops the broker start.sh started in DIR.
set -u
work=${1:?usage: stop.sh WORKDIR}
[ -f "$work/pid" ] || exit 0
pid=$(cat "$work/pid")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
kill -9 "$pid" 2>/dev/null
exit 0
