#!/usr/bin/env bash
# run.sh as operators use it next to a running worker: `--help` starts nothing; a long-running run.sh (the
# webhook receiver here, started like the worker) owns the local redis-server; verbs run meanwhile use that same
# server (recorded port and pid) instead of starting a second one on the same data directory; the server goes
# away with its owner. Waits on output lines, never on fixed sleeps.
set -uo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "runsh: FAILED: $*"; [ -n "${owner_log:-}" ] && tail -n 20 "$owner_log"; exit 1; }
wait_for() { # FILE PATTERN SECONDS
  for _ in $(seq 1 $(($3 * 4))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.25; done
  return 1
}
unset REDIS_URL GITHUB_APP_ID GITHUB_CLIENT_ID

[ ! -f .runner/redis/server ] || fail "a recorded redis-server is left from before: .runner/redis/server"
help="$(bash run.sh --help 2>&1)" || fail "run.sh --help exited non-zero"
grep -q "bash run.sh VERB" <<<"$help" || fail "run.sh --help does not print its usage"
[ ! -f .runner/redis/server ] || fail "run.sh --help started a redis-server"

owner_log="$(mktemp)"
GITHUB_WEBHOOK_SECRET=ci RUNNER_WEBHOOK_URLS=http://127.0.0.1:0 setsid bash run.sh webhook >"$owner_log" 2>&1 &
owner=$!
trap 'kill -TERM -- -"$owner" 2>/dev/null; rm -f "$owner_log"' EXIT
wait_for "$owner_log" "Now listening on" 600 || fail "run.sh webhook did not start"
read -r port pid < .runner/redis/server || fail "no recorded redis-server"

status="$(bash run.sh status 2>&1)" || fail "run.sh status: $status"
grep -q "using the local redis-server on 127.0.0.1:$port (pid $pid" <<<"$status" || fail "status did not reuse the worker's Redis: $status"
# redis-server rewrites its command line, but --dir is its working directory.
servers=0
for candidate in $(pgrep -x redis-server); do
  [ "$(readlink "/proc/$candidate/cwd" 2>/dev/null)" = "$PWD/.runner/redis" ] && servers=$((servers + 1))
done
[ "$servers" = 1 ] || fail "$servers redis-server processes on .runner/redis"

payload="$(mktemp)"; echo '{"action":"opened"}' >"$payload"
before="$(redis-cli -p "$port" XLEN runner:jobs)"
enqueued="$(bash run.sh enqueue issues "$payload" 2>&1)" || fail "run.sh enqueue: $enqueued"
rm -f "$payload"
after="$(redis-cli -p "$port" XLEN runner:jobs)"
# The probe job must not stay in .runner/redis for the next real worker.
redis-cli -p "$port" XDEL runner:jobs "$(sed -n 's/^enqueued \([0-9-]*\) .*/\1/p' <<<"$enqueued")" >/dev/null
[ "$after" = $((before + 1)) ] || fail "the job did not land in the worker's Redis (XLEN $before, then $after)"

kill -TERM -- -"$owner"
wait "$owner" 2>/dev/null
[ ! -f .runner/redis/server ] || fail "the owner left .runner/redis/server behind"
kill -0 "$pid" 2>/dev/null && fail "the owner left its redis-server (pid $pid) running"
echo "runsh: ok (verbs reused 127.0.0.1:$port; one server on .runner/redis; --help started nothing)"
