# Sourced by .ci/steps/container.sh (not a step itself).
# ensure_base_images builds local stand-ins for the images Runner/Dockerfile and docker-compose.yml start FROM,
# because no image registry is reachable from CI. Each image is built only when the engine does not have it yet.
#   - a Debian minbase root file system (debootstrap from the Debian archive) with redis-server and libicu,
#     imported as runner-ci/debian:bookworm;
#   - mcr.microsoft.com/dotnet/aspnet:<v>: that root + this machine's .NET runtimes + the `app` user (uid 1654);
#   - mcr.microsoft.com/dotnet/sdk:<v>: the aspnet stand-in + this machine's SDK + this machine's CA bundle (NuGet
#     restore inside the build reaches the package registry through the same TLS trust as this machine);
#   - redis:7-alpine: the Debian root with Debian's redis-server, started like the official image (no protected
#     mode, /data as the working directory).
# The stand-ins are tagged with the real names, so the Dockerfile and the compose file are used unchanged.

standin_base=runner-ci/debian:bookworm

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

build_debian_base() {
  image_present "$standin_base" && return 0
  local root
  root="$(mktemp -d /var/tmp/runner-ci-rootfs.XXXXXX)"
  echo "ci: container: debootstrap bookworm minbase (redis-server, libicu72, ca-certificates)"
  if ! debootstrap --variant=minbase --include=redis-server,redis-tools,libicu72,ca-certificates,tzdata \
      bookworm "$root" http://deb.debian.org/debian >"$root.log" 2>&1; then
    tail -n 20 "$root.log"; rm -rf "$root" "$root.log"; return 1
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$standin_base" >/dev/null
  local status=$?
  rm -rf "$root" "$root.log"
  return $status
}

# build_from_context TAG DOCKERFILE_TEXT [SOURCE DEST]...: builds TAG from a scratch context holding the Dockerfile
# and each SOURCE (file or folder of this machine) at DEST (hard links where possible, so nothing large is copied).
build_from_context() {
  local tag="$1" dockerfile="$2"; shift 2
  local context
  context="$(mktemp -d /var/tmp/runner-ci-context.XXXXXX)"
  printf '%s\n' "$dockerfile" >"$context/Dockerfile"
  while [ $# -ge 2 ]; do
    mkdir -p "$(dirname "$context/$2")"
    cp -al "$1" "$context/$2" 2>/dev/null || cp -a "$1" "$context/$2"
    shift 2
  done
  local status=0
  docker build -q -t "$tag" "$context" >"$context.log" 2>&1 || { status=$?; tail -n 20 "$context.log"; }
  rm -rf "$context" "$context.log"
  return $status
}

ensure_base_images() {
  local version="$1"   # e.g. 10.0
  local dotnet_root
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  local aspnet="mcr.microsoft.com/dotnet/aspnet:$version" sdk="mcr.microsoft.com/dotnet/sdk:$version"

  build_debian_base || { echo "ci: container: could not build the Debian base"; return 1; }

  if ! image_present "$aspnet"; then
    echo "ci: container: building stand-in $aspnet from $dotnet_root"
    build_from_context "$aspnet" "FROM $standin_base
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \\
 && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --create-home --home-dir /home/app app
ENV APP_UID=1654 ASPNETCORE_HTTP_PORTS=8080 DOTNET_RUNNING_IN_CONTAINER=true DOTNET_VERSION=$version" \
      "$dotnet_root/dotnet" dotnet/dotnet "$dotnet_root/host" dotnet/host "$dotnet_root/shared" dotnet/shared \
      || { echo "ci: container: could not build $aspnet"; return 1; }
  fi

  if ! image_present "$sdk"; then
    echo "ci: container: building stand-in $sdk (with this machine's CA bundle)"
    local revocation=""
    [ -n "${NUGET_CERT_REVOCATION_MODE:-}" ] && revocation="ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE"
    build_from_context "$sdk" "FROM $aspnet
COPY dotnet/ /usr/share/dotnet/
COPY ca/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
$revocation" \
      "$dotnet_root/sdk" dotnet/sdk "$dotnet_root/packs" dotnet/packs "$dotnet_root/sdk-manifests" dotnet/sdk-manifests \
      "$dotnet_root/templates" dotnet/templates "$(readlink -f /etc/ssl/certs/ca-certificates.crt)" ca/ca-certificates.crt \
      || { echo "ci: container: could not build $sdk"; return 1; }
  fi

  if ! image_present redis:7-alpine; then
    echo "ci: container: building stand-in redis:7-alpine (Debian's redis-server)"
    build_from_context redis:7-alpine "FROM $standin_base
RUN mkdir -p /data && printf '%s\n' '#!/bin/sh' \
 'if [ \"\${1:-}\" = redis-server ]; then shift; exec redis-server \"\$@\" --protected-mode no; fi' 'exec \"\$@\"' \
 > /usr/local/bin/docker-entrypoint.sh && chmod +x /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
ENTRYPOINT [\"docker-entrypoint.sh\"]
CMD [\"redis-server\"]" \
      || { echo "ci: container: could not build redis:7-alpine"; return 1; }
  fi
}
