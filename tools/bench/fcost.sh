#!/usr/bin/env bash
# What the fentry path costs against its limit (not a test; `make bench` runs it):
#   tools/bench/fcost.sh
# Boots Debian's 6.12 under QEMU (tools/lab/run 6.12 fcost) with kernel.bpf_stats_enabled=1
# and shrinktrace (fentry/fexit on do_shrink_slab) plus tools/bench/fentryref's reference
# pair (fentry+fexit that reserve and submit one ring-buffer record) attached at once, runs
# 120 drop_caches walks, and prints the BPF run time per do_shrink_slab() call of each pair.
# QEMU runs with -icount (guest time counts instructions): plain TCG timings swing several
# times between runs with the host's load, instruction counts do not.  Absolute ns mean
# little under TCG; the ratio is the figure (target: at most 2).
# env: LAB_CACHE (default build/lab-cache; /work/lab-cache reuses the downloads here),
#      FCOST_RUNS boots (default 1)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/bench-fcost
runs=${FCOST_RUNS:-1}
[ "$(id -u)" -eq 0 ] || { echo "fcost.sh: needs root (the lab's module build and QEMU): skipped"; exit 0; }
ratios=()
for r in $(seq "$runs"); do
	LAB_ACCEL=tcg,thread=single LAB_QEMU_ARGS="-icount shift=0,sleep=off" LAB_TIMEOUT=600 \
		LAB_OUT=$out "$root/tools/lab/run" 6.12 fcost > "$out.log" 2>&1
	line=$(grep -E '^(PASS|FAIL) 6.12 fcost' "$out.log")
	echo "fentry cost, 6.12 guest (run $r): ${line#* fcost }"
	ratio=$(echo "$line" | sed -n 's/.*ratio \([0-9.]*\).*/\1/p')
	[ -n "$ratio" ] && ratios+=("$ratio")
done
if [ ${#ratios[@]} -eq 0 ]; then
	echo "fcost.sh: no ratio (log: $out.log)"; exit 1
fi
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = sorted(float(x) for x in sys.argv[1:])
m = statistics.median(r)
print("  fentry/fexit per do_shrink_slab(): %.2fx the reference pair (median of %d); target <= 2x: %s"
      % (m, len(r), "met" if m <= 2 else "NOT met"))
PY
