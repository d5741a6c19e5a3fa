# blocked: see tools/lab/shrinker_lab.c
. /lab/lib.sh
lab setup blocked
walk
lab run
wait $WALKER
lab finish
result
