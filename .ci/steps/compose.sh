#!/usr/bin/env bash
# Validates every compose file with `docker compose config` (or Debian's docker-compose): syntax, schema,
# interpolation, profiles, the override, the three ways of passing configuration, and that every variable of
# .env.example reaches the containers. No Docker engine is needed: nothing is built or started here
# (.ci/steps/container.sh does that).
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
python="$(yaml_python)" || { echo "ci: could not install python3-yaml"; exit 1; }

# A scratch copy, so a developer's real .env is never read or overwritten.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Runner" "$work/elsewhere"
cp docker-compose*.yml .env.example demo.env "$work/"
cp Runner/Dockerfile "$work/Runner/"
cd "$work"
filled() {
  cat .env.example
  echo "OLLAMA_API_KEY=ci-dummy-key"
  echo "GITHUB_APP_ID=4711"
  echo "GITHUB_APP_PRIVATE_KEY=ci-dummy-key"
  echo "GITHUB_WEBHOOK_SECRET=ci-dummy-secret"
}
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

filled > .env
check "docker-compose.yml" -f docker-compose.yml
check "docker-compose.yml, all profiles" -f docker-compose.yml --profile webhook --profile ollama --profile scale --profile demo
for override in docker-compose.*.yml; do
  check "docker-compose.yml + $override" -f docker-compose.yml -f "$override" --profile scale
done

# The three ways operators configure it must all reach the worker's environment: (1) exported variables and no
# .env, (2) a .env next to the compose file, (3) --env-file with a file elsewhere. Then: every variable that
# .env.example lists (except the compose-only ones at its end) is passed into the worker and the webhook, and a
# fresh `cp .env.example .env` with empty values does not make compose refuse `config`/`down`.
rendered() { "${compose[@]}" "$@" --profile webhook config 2>&1; }
expect_app_id() {
  local label="$1"; shift
  local output
  if output=$(rendered "$@") && grep -qE "GITHUB_APP_ID: ['\"]?4711" <<<"$output"; then
    echo "ci: compose ok: $label reaches the worker"
  else
    echo "ci: compose FAILED: $label does not reach the worker"; echo "$output" | head -n 20; return 1
  fi
}
rm -f .env
(
  set -a
  # shellcheck disable=SC1090
  source <(filled | grep -v '^#')
  set +a
  expect_app_id "exported variables, no .env" -f docker-compose.yml
) || failures=$((failures + 1))
# A fresh `cp .env.example .env` (empty values) must not hide what is exported in the shell.
cp .env.example .env
(
  set -a
  # shellcheck disable=SC1090
  source <(filled | grep -v '^#')
  set +a
  expect_app_id "exported variables over an empty .env" -f docker-compose.yml
) || failures=$((failures + 1))
filled > .env
expect_app_id ".env next to the compose file" -f docker-compose.yml || failures=$((failures + 1))
mv .env elsewhere/runner.env
expect_app_id "--env-file elsewhere/runner.env" --env-file elsewhere/runner.env -f docker-compose.yml || failures=$((failures + 1))

cp .env.example .env
check "a fresh copy of .env.example (empty values)" -f docker-compose.yml

if ! missing=$(rendered --env-file elsewhere/runner.env -f docker-compose.yml | "$python" -c '
import re, sys, yaml
config = yaml.safe_load(sys.stdin)
names, compose_only = [], False
for line in open(".env.example", encoding="utf-8"):
    compose_only |= line.startswith("# --- docker compose only")
    match = re.match(r"^#?([A-Z][A-Z0-9_]+)=", line)
    if match and not compose_only:
        names.append(match.group(1))
for service in ("runner", "webhook"):
    environment = config["services"][service].get("environment") or {}
    for name in names:
        if name not in environment:
            print(f"{service}: {name}")
'); then
  echo "ci: compose FAILED: could not read the rendered configuration"; failures=$((failures + 1))
elif [ -n "$missing" ]; then
  echo "ci: compose FAILED: .env.example variables not passed into the containers:"; echo "$missing"; failures=$((failures + 1))
else
  echo "ci: compose ok: every .env.example variable reaches runner and webhook"
fi

[ "$failures" -eq 0 ] || { echo "ci: $failures compose check(s) failed"; exit 1; }
