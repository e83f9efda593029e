#!/usr/bin/env bash
# Side-by-side queue bench: BullMQ, a minimal ioredis streams loop and Runner's QueueWorker on one throw-away
# redis-server (free loopback port). Prints one table with the ratios and issue 12's targets.
#   bash bench/peer/run.sh                      # N = 50,000 jobs per run (about 10 minutes on 2 cores)
#   BENCH_JOBS=5000 bash bench/peer/run.sh      # a quick try
# Other knobs: BENCH_WARMUP (5000), BENCH_SAMPLES (200), BENCH_CONCURRENCY (1,8,64),
# BENCH_PEERS (bullmq,minimal,runner,runnerConsole; a subset prints raw figures instead of the table),
# BENCH_REPEAT (1; each cell the median of that many fresh worker processes, peak RSS the highest; Runner's
# NullLogger and console-logging processes alternate).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v redis-server >/dev/null || { echo "peer bench: redis-server is not installed (apt-get install -y redis-server)" >&2; exit 1; }
command -v npm >/dev/null || { echo "peer bench: node and npm are needed (apt-get install -y nodejs npm)" >&2; exit 1; }

# Pinned BullMQ and ioredis from package-lock.json, into bench/peer/node_modules only.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1 || { cat "$log" >&2; echo "peer bench: npm ci failed" >&2; exit 1; }
dotnet build -c Release ../Runner.Bench -v quiet -nologo >"$log" 2>&1 || { cat "$log" >&2; echo "peer bench: build failed" >&2; exit 1; }

node bench.mjs
