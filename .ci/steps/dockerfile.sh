#!/usr/bin/env bash
# Replays the build stage of Runner/Dockerfile without Docker (so it is checked even where container.sh must skip
# because dockerd cannot start): copies into a scratch /src
# exactly what each COPY copies (minus .dockerignore's bin/ and obj/), runs each RUN there with /app redirected
# to the scratch folder, then starts the published Runner.dll the way ENTRYPOINT does. This catches a restore
# layer that misses a file, a Release-only build error, or an entry point that does not start. It does not pull
# the base images or build a real image.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/src" "$scratch/app"

# The build stage: from the first FROM up to the next FROM, continuation lines joined.
mapfile -t instructions < <(awk '
  /^[[:space:]]*#/ { next }
  { line = line $0 }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, " ", line); next }
  { print line; line = "" }' Runner/Dockerfile \
  | awk '/^FROM /{ stage++ } stage == 1 && !/^FROM /')

copies=0; runs=0
for instruction in "${instructions[@]}"; do
  read -r verb rest <<<"$instruction"
  case "$verb" in
    COPY)
      read -r -a parts <<<"$rest"
      dest="${parts[-1]}"
      unset 'parts[-1]'
      target="$scratch/src/$dest"
      mkdir -p "$target"
      for source in "${parts[@]}"; do
        if [ -d "$repo/$source" ]; then
          tar -C "$repo/$source" --exclude=bin --exclude=obj -cf - . | tar -C "$target" -xf -
        else
          cp "$repo/$source" "$target"
        fi
      done
      copies=$((copies + 1))
      ;;
    RUN)
      command="${rest//\/app/$scratch/app}"
      echo "ci: dockerfile RUN ${rest:0:80}..."
      (cd "$scratch/src" && bash -c "$command" >"$scratch/run.log" 2>&1) \
        || { tail -n 30 "$scratch/run.log"; echo "ci: dockerfile build stage failed: $rest"; exit 1; }
      runs=$((runs + 1))
      ;;
  esac
done

[ "$copies" -gt 0 ] && [ "$runs" -gt 0 ] || { echo "ci: no COPY/RUN found in the build stage"; exit 1; }
[ -f "$scratch/app/Runner.dll" ] || { echo "ci: the build stage published no Runner.dll"; exit 1; }
# The final stage's ENTRYPOINT is `dotnet Runner.dll`; its verbs must be there.
help="$(cd "$scratch/app" && dotnet Runner.dll --help)"
for verb in webhook health; do
  grep -q "^  $verb " <<<"$help" || { echo "ci: published Runner.dll has no '$verb' verb"; exit 1; }
done
echo "ci: dockerfile build stage ok ($copies COPY, $runs RUN, $(du -sh "$scratch/app" | cut -f1) published)"
