# fcost (benchmark, not in the default case list): BPF run time per do_shrink_slab() call of
# shrinktrace's fentry/fexit pair next to a reference pair that only reserves and submits one
# ring-buffer record (tools/bench/fentryref), both attached in this run.
. /lab/lib.sh
echo 1 > /proc/sys/kernel/bpf_stats_enabled
/bin/fentryref > $OUT/fcost.txt 2>$OUT/fentryref.err &
REF=$!
i=0
while [ $i -lt 50 ] && ! grep -q attached $OUT/fentryref.err 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
i=0
while [ $i -lt ${FCOST_WALKS:-120} ]; do
    echo 2 > /proc/sys/vm/drop_caches
    i=$((i + 1))
done
kill -INT $REF
wait $REF
note "walks=$i"
