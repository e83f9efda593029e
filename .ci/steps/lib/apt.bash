# Sourced by the CI steps (not a step itself: .ci/run runs only .ci/steps/*.sh).
# apt_install PACKAGE...: installs from Debian without recommends (docker-compose would pull the whole engine).
apt_install() {
  echo "ci: installing $* with apt"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}
