# race: the real race on the lab's own kernel (tools/lab/race; see tools/lab/shrinker_lab.c).
# LAB_RACE_N iterations (lab_race_n= on the kernel command line), each with fresh shrinkers A
# and B, a real shrink_slab() walker (drop_caches) and the real shrinker_free() on both.
# module.txt gets one line per iteration.
. /lab/lib.sh
N=$(sed -n 's/.* lab_race_n=\([0-9]*\).*/\1/p' /proc/cmdline); N=${N:-20}
note "iterations=$N"
cat /sys/kernel/debug/shrinker_lab/list > $OUT/shrinkers.txt
i=1
while [ $i -le $N ]; do
    lab setup race
    walk
    if echo run > $CMD; then
        wait $WALKER
        lab finish
        cat /sys/kernel/debug/shrinker_lab/result >> $OUT/module.txt
    else
        note "FAILED: run (iteration $i)"
        echo finish > $CMD          # releases the walker, waits for the freers
        wait $WALKER
        cat /sys/kernel/debug/shrinker_lab/result >> $OUT/module.txt
        exit 1
    fi
    i=$((i + 1))
done
