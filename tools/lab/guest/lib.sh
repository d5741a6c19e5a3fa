# sourced by the case scripts: $1 is the case's output directory
OUT=$1
CMD=/sys/kernel/debug/shrinker_lab/cmd
note() { echo "$*" >> $OUT/case.txt; }
lab() { echo "$*" > $CMD || { note "FAILED: $*"; exit 1; }; }
result() { cat /sys/kernel/debug/shrinker_lab/result > $OUT/module.txt; }
# a walk of every shrinker (shrink_slab), in the background; WALKER is its pid
walk() { sh -c 'echo 2 > /proc/sys/vm/drop_caches' & WALKER=$!; note "walker_shell=$WALKER"; }
