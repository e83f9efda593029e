#!/usr/bin/env bash
# The README's run command on a fresh machine (no accounts, no REDIS_URL) must show Runner answering the demo issue,
# and `run.sh sandbox review` / `run.sh sandbox fix` must show a review with an inline comment and a draft pull request.
set -uo pipefail
cd "$(dirname "$0")/../.."

demo() { # demo <name> <expected>... ; runs `bash run.sh [sandbox <name>]` and checks its output
  local name="$1"; shift
  local out; out="$(mktemp)"
  local args=(); [ "$name" = triage ] || args=(sandbox "$name")
  env -u REDIS_URL -u OLLAMA_API_KEY -u GITHUB_APP_ID -u GITHUB_CLIENT_ID timeout 600 bash run.sh "${args[@]}" >"$out" 2>&1
  local status=$?
  tail -n 40 "$out"
  if [ "$status" -ne 0 ]; then echo "sandbox $name: run.sh exited $status"; exit 1; fi
  for expected in "sandbox: outcome: Completed" "succeeded in" "$@"; do
    grep -qF -- "$expected" "$out" || { echo "sandbox $name: output lacks '$expected'"; exit 1; }
  done
  echo "sandbox $name: ok"
}

demo triage "### Triage" "Possible duplicates"
demo review "----- review (COMMENT)" "----- inline comment on src/main.py line 4 (side RIGHT)" "### Runner review"
demo fix "(draft) runner/issue-12 → main" "Opened the draft pull request"
echo "sandbox: ok"
