# leak: no walker at all; a leaked reference keeps shrinker_free() waiting
. /lab/lib.sh
lab setup leak
lab run
lab finish
result
