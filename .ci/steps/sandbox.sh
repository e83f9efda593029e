#!/usr/bin/env bash
# The README's run command on a fresh machine (no accounts, no REDIS_URL) must show Runner answering the demo issue.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="$(mktemp)"
env -u REDIS_URL -u OLLAMA_API_KEY -u GITHUB_APP_ID -u GITHUB_CLIENT_ID timeout 600 bash run.sh >"$out" 2>&1
status=$?
tail -n 40 "$out"
if [ "$status" -ne 0 ]; then echo "sandbox: run.sh exited $status"; exit 1; fi
for expected in "sandbox: outcome: Completed" "### Triage" "Possible duplicates" "succeeded in"; do
  grep -qF "$expected" "$out" || { echo "sandbox: output lacks '$expected'"; exit 1; }
done
echo "sandbox: ok"
