# wild: the unsafe-ordering race in the wild (tools/lab/race-wild). No lab module, nothing
# paused: real stress for WILD_SECONDS of guest time (/lab/wild.env, written by the host), the
# jobs of /lab/wild.jobs, one a line:
#   NAME CPUS NICE SHRINKSTRESS-OPTIONS...   shrinkstress on the vCPUs CPUS (taskset) at NICE
#   busy CPUS N [NICE]                       N CPU-bound shell loops on CPUS (a busy machine)
# and /bin/stclock pairing CLOCK_MONOTONIC with the printk clock on the console.
# case.txt gets the guest's times; NAME.txt each shrinkstress's counts.
. /lab/lib.sh
. /lab/wild.env
up() { cut -d' ' -f1 /proc/uptime; }
if ! grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts; then
    mkdir -p /sys/fs/cgroup
    mount -t cgroup2 none /sys/fs/cgroup || note "FAILED: mount cgroup2"
fi
# the memory controller for the memcg workload's children (shrinkstress would enable it too)
echo +memory > /sys/fs/cgroup/cgroup.subtree_control || note "FAILED: +memory in cgroup.subtree_control"
mkdir -p /tmp/ss
/bin/stclock "$WILD_CLOCK_MS" &
CLK=$!
note "cpus=$(grep -c ^processor /proc/cpuinfo) mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
note "cmdline=$(cat /proc/cmdline)"
t0=$(up)
note "stress_start_uptime=$t0"
[ -f /lab/monitor.sh ] && { sh /lab/monitor.sh > "$OUT/monitor.txt" 2>&1 & }
pids='' busy=''
while read -r name cpus nice args; do
    case $name in
        ''|'#'*) continue ;;
        busy)   # busy CPUS N [NICE]
            i=0
            while [ "$i" -lt "$nice" ]; do
                # shellcheck disable=SC2016
                taskset -c "$cpus" sh -c 'renice -n "$1" -p $$ > /dev/null; while :; do :; done' sh "${args:-0}" &
                busy="$busy $!"
                i=$((i + 1))
            done
            note "busy: $nice loop(s) on cpus $cpus at nice ${args:-0}" ;;
        *)
            # busybox has no nice(1): the shell renices itself, then becomes taskset, then
            # shrinkstress
            # shellcheck disable=SC2016,SC2086
            sh -c 'n=$1; c=$2; shift 2; renice -n "$n" -p $$ > /dev/null && exec taskset -c "$c" "$@"' \
                sh "$nice" "$cpus" /bin/shrinkstress -q -s "$WILD_SECONDS" -d /tmp/ss $args \
                > "$OUT/$name.txt" 2>&1 &
            pids="$pids $!"
            note "$name: pid=$! cpus=$cpus nice=$nice args=$args" ;;
    esac
done < /lab/wild.jobs
rc=0
for p in $pids; do wait "$p" || rc=1; done
t1=$(up)
note "stress_end_uptime=$t1"
note "stress_rc=$rc"
# shellcheck disable=SC2086
[ -n "$busy" ] && kill $busy
kill "$CLK"
wait "$CLK" 2>/dev/null
# the RCU frees of the last unmounts: let them run under the tracer
sleep 1
exit 0
