# detail: lab-a's callbacks take known times and report what they saw (see shrinker_lab.c);
# drop_caches walks until it has made 12 calls (a few per walk: drop_slab() repeats while
# shrinkers free), so deferred work carries over from call to call. calls.txt: the module's
# record of each call, checked against the log's shrink_end records by tools/lab/check.py.
. /lab/lib.sh
lab setup detail
i=0
n=0
while [ $i -lt 10 ] && [ $n -lt 12 ]; do
    echo 2 > /proc/sys/vm/drop_caches
    n=$(grep -c '^call=' /sys/kernel/debug/shrinker_lab/calls)
    i=$((i + 1))
done
note "drop_caches=$i calls=$n"
cat /sys/kernel/debug/shrinker_lab/calls > $OUT/calls.txt
lab finish
result
