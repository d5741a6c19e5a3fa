# unlink: see tools/lab/shrinker_lab.c
. /lab/lib.sh
lab setup unlink
walk
lab run
wait $WALKER
lab finish
result
