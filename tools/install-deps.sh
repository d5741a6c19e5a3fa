#!/bin/sh
# tools/install-deps.sh - install what shrinktrace needs to build and test on
# Debian 12 (bookworm), as root.  Installs only what is missing; safe to rerun.
#   build:  make gcc clang libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev pkg-config
#           libmicrohttpd-dev (the metrics endpoint)
#   tests:  libcmocka-dev python3 (JSON checks in the live test), util-linux (mount),
#           libclang-rt-14-dev (libFuzzer and the sanitizer runtimes for clang: make fuzz),
#           linux-perf (perf: the independent recording of tests/live/xdetail.py)
#   package: debhelper dpkg-dev (make deb), lintian, man-db (man -l), systemd
#           (systemd-analyze verify of the unit), git (tests/package/run.sh)
set -eu
pkgs="make gcc libc6-dev clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
libjson-c-dev pkg-config libmicrohttpd-dev libcmocka-dev python3 util-linux time \
libclang-rt-14-dev linux-perf debhelper dpkg-dev lintian man-db systemd git"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: everything is installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root (sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
