#!/usr/bin/env bash
# Runs Runner on this machine, without Docker.
#   bash run.sh            no GitHub App configured: the sandbox (the real worker answers a demo issue against
#                          loopback stand-ins of GitHub and the model; no account needed), then exits.
#                          GitHub App configured (GITHUB_APP_ID or GITHUB_CLIENT_ID exported): the worker.
#   bash run.sh VERB ...   any verb of the binary (status, enqueue, dead list, github check, llm ping, webhook, ...).
# When REDIS_URL is not set, a local redis-server is started for the worker (data kept in .runner/redis).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ $# -eq 0 ] && [ -z "${GITHUB_APP_ID:-}${GITHUB_CLIENT_ID:-}" ]; then
  echo "run.sh: no GitHub App configured (GITHUB_APP_ID): running the sandbox. Export the variables of .env.example to run the worker."
  set -- sandbox
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ -z "${REDIS_URL:-}" ] && [ "$(id -u)" = 0 ]; then
    echo "run.sh: installing redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
  elif [ -z "${REDIS_URL:-}" ]; then
    echo "run.sh: redis-server is not installed: install it (sudo apt-get install redis-server) or set REDIS_URL" >&2
    exit 1
  fi
fi

# The sandbox starts its own throw-away redis-server; everything else gets a local one when REDIS_URL is unset.
if [ "${1:-}" != "sandbox" ] && [ -z "${REDIS_URL:-}" ]; then
  port=6379
  while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  mkdir -p .runner/redis
  # setsid: Ctrl-C must reach the worker (which drains its jobs) but not Redis, which it still needs while draining.
  setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.runner/redis" --appendonly yes --save "" \
    --logfile "$PWD/.runner/redis/redis.log" &
  redis_pid=$!
  trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
  export REDIS_URL="redis://127.0.0.1:$port"
  echo "run.sh: local redis-server on 127.0.0.1:$port (REDIS_URL is not set)"
fi

dotnet build Runner/Runner.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
exec_status=0
dotnet Runner/bin/Release/net10.0/Runner.dll "$@" || exec_status=$?
exit "$exec_status"
