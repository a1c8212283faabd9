#!/usr/bin/env bash
# Every benchmark in bench/, one after the other on an otherwise idle machine, with the commit they ran on:
# `make bench` (about two hours on the project's 2-core machine). Each one starts from its own
# fresh database under bench/out/, serves on 127.0.0.1 only and stops by itself. The figures go to
# bench/out/everything-<time>.log; bench/RESULTS.md records them with the commands.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
STAMP=$(date +%s)
LOG=bench/out/everything-$STAMP.log
mkdir -p bench/out

run() {
    echo "=== $(date -u +%H:%M:%S) $*" | tee -a "$LOG"
    "$@" 2>&1 | tee -a "$LOG"
}

{
    echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with changes)')"
    echo "machine $(nproc) cores, $($PY -c 'import sys; print(sys.version.split()[0])'), $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee "$LOG"

run $PY bench/startup.py --runs 3
run $PY -u bench/intake.py inproc --messages 100000
run $PY -u bench/intake.py smtp --seconds 60
run $PY -u bench/intake.py api --requests 5000 --peer
run $PY -u bench/policy.py evals
run $PY -u bench/policy.py engine --events 100000
run $PY -u bench/policy.py stored --events 2000
run $PY -u bench/policy.py simulate --data-dir "bench/out/policy-sim-$STAMP" --events 1000000
run $PY -u bench/router.py all
run $PY -u bench/notify.py fanout --data-dir "bench/out/notify-$STAMP" --customers 100000
run $PY -u bench/notify.py ladders --data-dir "bench/out/ladders-$STAMP" --customers 100000 --speed 60
run $PY -u bench/monitoring.py all
run $PY -u bench/correlation.py replay
run $PY -u bench/correlation.py replay --text-only
run $PY -u bench/intake.py inproc --messages 20000 --grouping-rules
run $PY -u bench/run.py all --data-dir "bench/out/seed-$STAMP"
echo "=== $(date -u +%H:%M:%S) done" | tee -a "$LOG"
