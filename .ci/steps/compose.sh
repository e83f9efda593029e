#!/usr/bin/env bash
# Validates every compose file with `docker compose config` (or Debian's docker-compose): syntax, schema,
# interpolation, profiles and the override. No Docker engine is needed or used: nothing is built or started.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=lib/apt.bash
source .ci/steps/lib/apt.bash

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  apt_install docker-compose || { echo "ci: could not install docker-compose"; exit 1; }
  compose=(docker-compose)
fi
echo "ci: compose: $("${compose[@]}" version 2>/dev/null | head -n 1)"

# A scratch copy, so a developer's real .env is never read or overwritten.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Runner"
cp docker-compose*.yml .env.example "$work/"
cp Runner/Dockerfile "$work/Runner/"
cd "$work"
{
  cat .env.example
  echo "OLLAMA_API_KEY=ci-dummy-key"
  echo "GITHUB_APP_ID=1"
  echo "GITHUB_APP_PRIVATE_KEY=ci-dummy-key"
  echo "GITHUB_WEBHOOK_SECRET=ci-dummy-secret"
} > .env
touch github-app.private-key.pem

failures=0
check() {
  local label="$1"; shift
  if output=$("${compose[@]}" "$@" config 2>&1 >/dev/null); then
    echo "ci: compose ok: $label"
  else
    echo "ci: compose INVALID: $label"; echo "$output" | head -n 20; failures=$((failures + 1))
  fi
}

check "docker-compose.yml" -f docker-compose.yml
check "docker-compose.yml, all profiles" -f docker-compose.yml --profile webhook --profile ollama --profile scale
for override in docker-compose.*.yml; do
  check "docker-compose.yml + $override" -f docker-compose.yml -f "$override" --profile scale
done

# The required key must really be required: without it, compose has to refuse.
grep -v '^OLLAMA_API_KEY=' .env > .env.without-key && mv .env.without-key .env
if "${compose[@]}" -f docker-compose.yml config >/dev/null 2>&1; then
  echo "ci: compose accepted a missing OLLAMA_API_KEY"; failures=$((failures + 1))
else
  echo "ci: compose ok: refuses to start without OLLAMA_API_KEY"
fi

[ "$failures" -eq 0 ] || { echo "ci: $failures compose check(s) failed"; exit 1; }
