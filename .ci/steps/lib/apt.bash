# Sourced by the CI steps (not a step itself: .ci/run runs only .ci/steps/*.sh).
# apt_install PACKAGE...: installs from Debian without recommends (docker-compose would pull the whole engine).
apt_install() {
  echo "ci: installing $* with apt"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

# yaml_python: prints a python interpreter that has PyYAML. The python3 on PATH may not be Debian's (pyenv), so
# whichever has it is used, else Debian's python3-yaml is installed.
yaml_python() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import yaml' >/dev/null 2>&1; then echo "$candidate"; return 0; fi
  done
  apt_install python3-yaml >&2 || return 1
  echo /usr/bin/python3
}
