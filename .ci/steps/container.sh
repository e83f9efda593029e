#!/usr/bin/env bash
# Builds Runner's image from Runner/Dockerfile and runs docker-compose.yml's stack on a real Docker engine, the
# way the README tells operators to: `docker compose --env-file demo.env --profile demo up --build`, exported
# variables on top. The worker container then answers the demo issue end to end (Redis container, the
# `sandbox` container's GitHub and model stand-ins); the scale and webhook profiles join the same stack; and
# `docker stop runner` must drain and exit 0.
#
# It starts its own dockerd (own socket, own pid, stopped by pid at the end) with images kept under
# /var/lib/runner-ci/docker, so a second run reuses the base images and the restore layer. No image registry is
# reachable from CI: the FROM images are stand-ins built locally (.ci/steps/lib/standin-images.bash).
# Skipped, with the reason, only when dockerd cannot start on this machine (no privileges for it).
set -uo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

# shellcheck source=lib/apt.bash
source .ci/steps/lib/apt.bash
# shellcheck source=lib/standin-images.bash
source .ci/steps/lib/standin-images.bash

step_start=$SECONDS
say() { echo "ci: container: $* ($((SECONDS - step_start)) s)"; }
fail() { echo "ci: container: FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "ci: container: SKIPPED: not root, so dockerd cannot be started here"; exit 0; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  # docker.io without recommends: no extra tooling, but its iptables/containerd/runc dependencies.
  apt_install "${missing[@]}" || fail "could not install ${missing[*]}"
fi

# Kept between runs (base images, restore layer); RUNNER_CI_STATE points elsewhere, e.g. to measure a cold run.
state="${RUNNER_CI_STATE:-/var/lib/runner-ci}"
run_dir="$(mktemp -d /run/runner-ci-docker.XXXXXX)"
export DOCKER_HOST="unix://$run_dir/docker.sock"
mkdir -p "$state/docker"
dockerd --data-root "$state/docker" --exec-root "$run_dir/exec" --pidfile "$run_dir/dockerd.pid" \
  --host "$DOCKER_HOST" >"$run_dir/dockerd.log" 2>&1 &
dockerd_pid=$!

project=runner-ci
compose=(docker-compose --project-name "$project" --project-directory "$repo" -f "$repo/docker-compose.yml"
  --env-file "$repo/demo.env" --profile demo)

cleanup() {
  if kill -0 "$dockerd_pid" 2>/dev/null; then
    # Containers, the project's network and its volumes go; images stay for the next run.
    "${compose[@]}" down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$dockerd_pid" 2>/dev/null || true
  fi
  wait "$dockerd_pid" 2>/dev/null || true
  # dockerd leaves its default bridge behind; the compose network was removed by `down`.
  ip link delete docker0 >/dev/null 2>&1 || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || break
  sleep 0.5
done
if ! docker info >/dev/null 2>&1; then
  if kill -0 "$dockerd_pid" 2>/dev/null; then
    tail -n 20 "$run_dir/dockerd.log"; fail "dockerd runs but does not answer on $DOCKER_HOST"
  fi
  echo "ci: container: SKIPPED: dockerd cannot start on this machine: $(grep -m1 -iE 'level=(fatal|error)' "$run_dir/dockerd.log" | cut -c1-300)"
  exit 0
fi
say "dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null) up (pid $dockerd_pid)"

dotnet_version="$(sed -n 's/^ARG DOTNET_VERSION=//p' Runner/Dockerfile)"
ensure_base_images "$dotnet_version" || fail "could not build the stand-in base images"
say "base images ready"

# The operators' way: values exported in the shell, the rest from an env file (demo.env: the stand-ins).
GITHUB_APP_PRIVATE_KEY="$(openssl genrsa 2048 2>/dev/null | base64 -w0)"
RUNNER_REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
export GITHUB_APP_PRIVATE_KEY RUNNER_REVISION

"${compose[@]}" build >"$run_dir/build.log" 2>&1 || { tail -n 40 "$run_dir/build.log"; fail "docker-compose build"; }
say "image built"
"${compose[@]}" up -d >"$run_dir/up.log" 2>&1 || { cat "$run_dir/up.log"; fail "docker-compose up -d"; }
say "stack up"

# Wait for the signal (the job's finish line), not for a fixed time.
finished=""
for _ in $(seq 1 240); do
  finished="$(docker logs runner 2>&1 | grep -m1 -E 'Job .* attempt 1 (succeeded|failed|dead)')" && break
  sleep 0.5
done
comment="$("${compose[@]}" logs --no-color sandbox 2>&1)"
runner_log="$(docker logs runner 2>&1)"
show_logs() { echo "$runner_log" | tail -n 40; echo "$comment" | tail -n 40; }
[ -n "$finished" ] || { show_logs; fail "the worker did not finish the demo job within 120 s"; }
grep -q "succeeded in" <<<"$finished" || { show_logs; fail "the demo job did not succeed: $finished"; }
say "job done: ${finished#*: }"

for _ in $(seq 1 40); do
  comment="$("${compose[@]}" logs --no-color sandbox 2>&1)"
  grep -q "comment by runner\[bot\]" <<<"$comment" && break
  sleep 0.25
done
grep -q "### Triage" <<<"$comment" || { show_logs; fail "the sandbox saw no triage comment"; }

banner="$(grep -m1 'starting worker' <<<"$runner_log")"
grep -q "Runner [0-9.]*+$RUNNER_REVISION" <<<"$banner" || fail "banner lacks the revision $RUNNER_REVISION: $banner"
uid="$(docker exec runner id -u)"
[ "$uid" = 1654 ] || fail "the worker runs as uid $uid, not 1654"
health="$(docker exec runner dotnet Runner.dll health 2>&1)" || fail "health probe in the container: $health"
say "banner has +$RUNNER_REVISION, uid $uid, $health"

# The other profiles on the same stack: two scaled replicas join the group, and the webhook receiver queues a
# signed delivery (published on loopback only).
export GITHUB_WEBHOOK_SECRET=ci-webhook-secret RUNNER_WEBHOOK_PORT=127.0.0.1:18080
"${compose[@]}" --profile scale --profile webhook up -d --scale runners=2 >"$run_dir/up2.log" 2>&1 \
  || { cat "$run_dir/up2.log"; fail "docker-compose --profile scale --profile webhook up -d --scale runners=2"; }
consumers=""
for _ in $(seq 1 240); do
  consumers="$(docker exec runner dotnet Runner.dll health 2>&1 | grep -o '[0-9]* consumers')" && [ "${consumers%% *}" -ge 3 ] && break
  sleep 0.5
done
[ "${consumers%% *}" -ge 3 ] 2>/dev/null || fail "scaled replicas did not join the group ($consumers)"
for _ in $(seq 1 240); do curl -fsS http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.5; done
# issues.closed: queued by the receiver (202), then acknowledged by a worker without a run.
body='{"action":"closed","repository":{"full_name":"octo-demo/hello-runner"}}'
signature="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" | sed 's/^.*= //')"
status="$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:18080/webhook -H 'Content-Type: application/json' \
  -H 'X-GitHub-Event: issues' -H 'X-GitHub-Delivery: ci-signed' -H "X-Hub-Signature-256: $signature" --data-binary "$body")"
[ "$status" = 202 ] || fail "webhook answered $status to a signed delivery"
unsigned="$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:18080/webhook -H 'Content-Type: application/json' \
  -H 'X-GitHub-Event: issues' -H 'X-GitHub-Delivery: ci-unsigned' --data-binary "$body")"
[ "$unsigned" = 401 ] || fail "webhook answered $unsigned to an unsigned delivery"
say "scale: $consumers in group runner; webhook: signed delivery 202 (queued), unsigned 401"

docker stop --time 40 runner >/dev/null
exit_code="$(docker inspect --format '{{.State.ExitCode}}' runner)"
[ "$exit_code" = 0 ] || { docker logs --tail 20 runner; fail "docker stop runner: exit code $exit_code"; }
# The last lines reach docker's log file a moment after the process wrote them (the log copier drains the pipe after
# the exit, and the worker's last batch is written at exit): wait for them instead of reading once.
drained=""
for _ in $(seq 1 20); do
  docker logs runner 2>&1 | grep -q "Application is shutting down" && { drained=yes; break; }
  sleep 0.5
done
[ -n "$drained" ] || fail "no drain line after docker stop"
say "docker stop runner drained and exited 0; ok"
