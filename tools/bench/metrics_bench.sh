#!/bin/sh
# tools/bench/metrics_bench.sh BUILD - what the exporter costs (root; `make bench`): its
# idle CPU (the tracer process plus its BPF programs' run time, without and with
# --metrics) and its CPU per scrape (rendering + serving), tools/bench/metrics_bench.py.
# RUNS (default 3) runs of IDLE_S (default 20) seconds, medians; N_FAST (default 300)
# scrapes in a row.  Not a test: it prints numbers.
exec python3 "$(dirname "$0")/metrics_bench.py" "${1:-build}"
