#!/usr/bin/env bash
# Runs Runner on this machine, without Docker.
#   bash run.sh            no GitHub App configured: the sandbox (the real worker answers a demo issue against
#                          loopback stand-ins of GitHub and the model; no account needed), then exits.
#                          GitHub App configured (GITHUB_APP_ID or GITHUB_CLIENT_ID exported): the worker.
#   bash run.sh VERB ...   any verb of the binary (status, enqueue, dead list, github check, llm ping, webhook, ...).
#   bash run.sh --help     this text and the binary's verbs (no build, no Redis).
# When REDIS_URL is not set, the worker and the verbs share one local redis-server (data in .runner/redis): the
# first one starts it and records its port and pid in .runner/redis/server; the others use that server.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dll=Runner/bin/Release/net10.0/Runner.dll

if [ $# -ge 1 ] && [[ "$1" =~ ^(-h|--help|help|-\?)$ ]] && [ $# -eq 1 ]; then
  sed -n '2,9s/^# \{0,1\}//p' "$0"
  if [ -f "$dll" ]; then
    echo
    dotnet "$dll" --help
  else
    echo
    echo "Verbs: run 'bash run.sh help' again after the first build, or see README.md (Commands)."
  fi
  exit 0
fi

if [ $# -eq 0 ] && [ -z "${GITHUB_APP_ID:-}${GITHUB_CLIENT_ID:-}" ]; then
  echo "run.sh: no GitHub App configured (GITHUB_APP_ID): running the sandbox. Export the variables of .env.example to run the worker."
  set -- sandbox
fi

needs_redis=false
# The sandbox starts its own throw-away redis-server; `help` needs none.
if [ "${1:-}" != "sandbox" ] && [ "${1:-}" != "help" ] && [ -z "${REDIS_URL:-}" ]; then
  needs_redis=true
fi

if ! command -v redis-server >/dev/null 2>&1 && { $needs_redis || [ "${1:-}" = "sandbox" ]; }; then
  if [ "$(id -u)" = 0 ]; then
    echo "run.sh: installing redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
  else
    echo "run.sh: redis-server is not installed: install it (sudo apt-get install redis-server) or set REDIS_URL" >&2
    exit 1
  fi
fi

redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    rm -f .runner/redis/server
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
# Ctrl-C or SIGTERM: bash runs these only after the foreground worker has drained and exited, then the EXIT trap
# stops the Redis it still needed while draining.
trap 'exit 130' INT
trap 'exit 143' TERM

redis_answers() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

if $needs_redis; then
  mkdir -p .runner/redis
  # One lock around "is there a server? else start one": two run.sh starting at once must not both start one on
  # the same data directory (two servers appending to one AOF).
  exec 9>.runner/redis/lock
  flock 9
  port="" pid=""
  if [ -f .runner/redis/server ]; then
    read -r port pid < .runner/redis/server || true
  fi
  if [ -n "$port" ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && redis_answers "$port"; then
    echo "run.sh: using the local redis-server on 127.0.0.1:$port (pid $pid, started by another run.sh)"
  else
    port=6379
    while (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    # setsid: Ctrl-C must reach the worker (which drains its jobs) but not Redis, which it still needs while draining.
    setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.runner/redis" --appendonly yes --save "" \
      --logfile "$PWD/.runner/redis/redis.log" &
    redis_pid=$!
    for _ in $(seq 1 50); do redis_answers "$port" && break; sleep 0.1; done
    redis_answers "$port" || { echo "run.sh: redis-server did not start; see .runner/redis/redis.log" >&2; exit 1; }
    echo "$port $redis_pid" > .runner/redis/server
    echo "run.sh: local redis-server on 127.0.0.1:$port (REDIS_URL is not set; data in .runner/redis)"
  fi
  flock -u 9
  exec 9>&-
  export REDIS_URL="redis://127.0.0.1:$port"
fi

if [ ! -f "$dll" ]; then
  echo "run.sh: building Runner, first run takes about 2 minutes"
fi
build_log="$(mktemp)"
mkdir -p .runner
# Two run.sh building the same output at once would fight over its files: one builds, the other waits.
if ! flock .runner/build.lock dotnet build Runner/Runner.csproj -c Release -nologo -v quiet >"$build_log" 2>&1; then
  grep -E ': error |error [A-Z]+[0-9]+' "$build_log" | sort -u | head -n 20 >&2 || cat "$build_log" >&2
  rm -f "$build_log"
  echo "run.sh: the build failed" >&2
  exit 1
fi
rm -f "$build_log"

exec_status=0
dotnet "$dll" "$@" || exec_status=$?
exit "$exec_status"
