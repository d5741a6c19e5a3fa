#!/usr/bin/env bash
# tests/live/metrics.sh BINARY - the exporter (--metrics) against a real Prometheus,
# --rotate, hostile HTTP clients, the systemd unit: tests/live/metrics.py (root;
# SKIP with a reason otherwise).  Prints PASS/FAIL per case and the closing line.
set -u
bin=${1:?usage: tests/live/metrics.sh BINARY}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
skip_all() { echo "SKIP metrics: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "not root"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "no /sys/kernel/btf/vmlinux (kernel without BTF)"
why=$(python3 "$here/logcheck.py" probe-bpf) || skip_all "BPF unusable: $why"
exec python3 "$here/metrics.py" "$bin"
