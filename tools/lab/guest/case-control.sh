# control: see tools/lab/shrinker_lab.c
. /lab/lib.sh
lab setup control
walk
lab run
wait $WALKER
lab finish
result
