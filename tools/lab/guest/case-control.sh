. /lab/lib.sh
T=/sys/kernel/tracing
echo 'p:rsp register_shrinker_prepared' >> $T/kprobe_events 2>>$OUT/case.txt
echo 'p:rs register_shrinker' >> $T/kprobe_events 2>>$OUT/case.txt
echo 'p:prs prealloc_shrinker' >> $T/kprobe_events 2>>$OUT/case.txt
echo 1 > $T/events/kprobes/enable
lab setup control
walk
lab run
wait $WALKER
lab finish
mount -t tmpfs x /mnt/churn; umount /mnt/churn
echo 0 > $T/events/kprobes/enable
grep -v '^#' $T/trace >> $OUT/case.txt
grep -E ' (register_shrinker|register_shrinker_prepared|prealloc_shrinker|__register_shrinker|__prealloc_shrinker)$' /proc/kallsyms >> $OUT/case.txt
result
