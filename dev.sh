#!/usr/bin/env bash
# hecha's two entry points on a fresh machine (Python 3.10+ with venv):
#   ./dev.sh run    set up .venv and start the TUI on the default database, with demo data
#   ./dev.sh test   set up .venv (with test extras and the tools the tests use), check lint (ruff),
#                   formatting (ruff format) and types (mypy), and run the tests
#   ./dev.sh kit    build the offline install kit in dist/ (needs network; scripts/build_kit.py --help)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

setup() {  # $1: the extras to install ("" or "[test]")
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$1"
}

# age(1), ssh-keygen(1), tmux(1) and sshd(8): the tests check bundles with the standard tools and drive
# hecha in a real terminal, and log in to a clerk's account over SSH; sqlite3(1): the bundle bench's floor (sqlite3 .dump | gzip | age), which a test
# runs; Java 17 for Spark in local mode (the province's comparison, issue 21). Installed from Debian's packages when running as root, asked for otherwise.
tools() {
  local missing=()
  command -v age >/dev/null || missing+=(age)
  command -v sqlite3 >/dev/null || missing+=(sqlite3)
  command -v tmux >/dev/null || missing+=(tmux)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)  # a clerk's login over SSH (tests/test_kit.py)
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)  # Spark in local mode (tests/test_platform.py)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "缺少测试工具：${missing[*]}。请先安装：sudo apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
}

case "${1:-}" in
  run)
    setup ""
    status=0
    .venv/bin/hecha demo --start || status=$?  # set -e would end here, and the hint below be lost
    echo "以后启动：$(pwd)/.venv/bin/hecha（或先 source .venv/bin/activate，再用 hecha）；命令一览：.venv/bin/hecha --help" >&2
    exit $status
    ;;
  test)
    shift
    tools
    setup "[test]"
    if [ $# -eq 0 ]; then  # the whole suite: lint, formatting and types first (a few seconds)
      .venv/bin/ruff check .
      .venv/bin/ruff format --check .
      .venv/bin/mypy
    fi
    # four workers on two cores: most tests wait (a terminal, a subprocess, another writer), and with
    # two the machine sat half idle (310 s against 196 s; the heavy files go first, tests/conftest.py)
    exec .venv/bin/python -m pytest -n 4 --dist worksteal -q "$@"
    ;;
  kit)
    shift
    setup ""
    .venv/bin/python -m pip install -q --disable-pip-version-check setuptools wheel  # to build hecha's wheel
    exec .venv/bin/python scripts/build_kit.py "$@"
    ;;
  *)
    echo "usage: ./dev.sh run | ./dev.sh test [pytest args] | ./dev.sh kit [--here] [--python 3.x] [--arch x86_64|aarch64]" >&2
    exit 2
    ;;
esac
