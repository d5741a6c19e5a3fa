# churn: 20 tmpfs mount/umount (one superblock shrinker each), then a full walk
. /lab/lib.sh
cat /sys/kernel/debug/shrinker_lab/list > $OUT/shrinkers.txt
i=0
while [ $i -lt 20 ]; do
    mount -t tmpfs -o size=4m lab-churn /mnt/churn || { note "mount $i failed"; exit 1; }
    echo "churn $i" > /mnt/churn/f; cat /mnt/churn/f > /dev/null
    umount /mnt/churn || { note "umount $i failed"; exit 1; }
    i=$((i + 1))
done
echo 2 > /proc/sys/vm/drop_caches
echo 2 > /proc/sys/vm/drop_caches
lab barrier            # the RCU frees of the churned shrinkers have run
note "churned=20"
