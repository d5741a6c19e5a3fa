# slow: A's scan_objects sleeps 200 ms while a kthread frees A (see shrinker_lab.c)
. /lab/lib.sh
lab setup slow
walk
lab run
wait $WALKER
lab finish
result
