# trigger: every walk trigger from a real cause, each by a task of its own name (labmem -n):
#   kswapd, direct  reclaimable memory first: 256 MiB of page cache (the lab's NVMe disk, read
#                   while the shell holds it open: the last close drops a block device's cache)
#                   and 100000 negative sysfs dentries (slab); then lab-hog touches anonymous
#                   memory down to 192 MiB free, raises min_free_kbytes 64 MiB above that and
#                   touches on until it has been in direct reclaim itself (allocstall rose) and
#                   kswapd0, woken by its allocations failing the watermarks, is reclaiming
#                   (pgscan_kswapd rose)
#   memory.high     lab-high, in cgroup /lab-high (memory.high 8M), makes 10000 dentries there
#                   and reads 32 MiB of the disk into the page cache (charged to /lab-high)
#   memory.max      lab-max, in cgroup /lab-max (memory.max 8M), the same
#   memory.reclaim  lab-rdent does the same in cgroup /lab-reclaim (no limit), then lab-reclaim
#                   writes 8M to its memory.reclaim
#   drop_caches     lab-drop writes 2 to /proc/sys/vm/drop_caches
# Page cache is what makes each reclaim succeed: dentries are freed after an RCU grace period
# (a memcg at memory.max with only slab to give goes OOM under TCG's slow grace periods), and
# memcg reclaim does not count freed slab as progress. The dentries give the walks' shrinkers
# (the superblocks' shrinkers, per memcg) work.
# The tracer runs with --stacks (case-trigger.args); the guest's init converts the log with
# `shrinktrace replay --format folded` (folded.txt). case.txt: what each step reported.
. /lab/lib.sh
CG=/sys/fs/cgroup
DISK=/dev/nvme0n1
FAILED=0
step() { note "step: $*"; "$@" >> $OUT/case.txt 2>&1 || { note "FAILED: $*"; FAILED=1; }; }
mem() { note "$1: $(grep -E '^(MemFree|Active\(file\)|Inactive\(file\)|SReclaimable):' /proc/meminfo | tr -s ' \n' ' ')"; }
grep -q " $CG cgroup2 " /proc/mounts || { note "FAILED: no cgroup2 on $CG (guest/init mounts it)"; exit 1; }
[ -b $DISK ] || { note "FAILED: no $DISK (tools/lab/run attaches the lab disk as NVMe)"; exit 1; }
exec 3< $DISK       # held open to the end: the disk's page cache stays
echo +memory > $CG/cgroup.subtree_control || { note "FAILED: +memory in cgroup.subtree_control"; exit 1; }
mkdir -p $CG/lab-high $CG/lab-max $CG/lab-reclaim

# kswapd and direct reclaim: real memory pressure, stopped well before the OOM killer
step dd if=$DISK of=/dev/null bs=1M count=256
step labmem -n lab-dent dentries /sys/kernel 100000
mem before-hog
step labmem -n lab-hog hog 196608 65536
mem after-hog

# a memcg over memory.high, one over memory.max, and memory.reclaim: each fills its cgroup
# with dentries and page cache of its own part of the disk (MiB 256-288, 288-320, 320-352)
fill() {   # cgroup, MiB offset, comm
    step labmem -n $3 -g $CG/$1 dentries $CG/$1 10000
    step labmem -n $3 -g $CG/$1 read $DISK $2 32
}
echo 8M > $CG/lab-high/memory.high
fill lab-high 256 lab-high
echo 8M > $CG/lab-max/memory.max
fill lab-max 288 lab-max
fill lab-reclaim 320 lab-rdent
note "lab-reclaim memory.current=$(cat $CG/lab-reclaim/memory.current)"
step labmem -n lab-reclaim write $CG/lab-reclaim/memory.reclaim 8M
note "lab-reclaim memory.current=$(cat $CG/lab-reclaim/memory.current)"

# drop_caches
step labmem -n lab-drop write /proc/sys/vm/drop_caches 2

for g in high max reclaim; do
    note "lab-$g memory.events: $(tr '\n' ' ' < $CG/lab-$g/memory.events)"
    rmdir $CG/lab-$g
done
echo -memory > $CG/cgroup.subtree_control
exec 3<&-
exit $FAILED
