#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# aiobench on aiodev: every engine and option, in each completion mode, with
# --verify; compare and sweep; --log-interval and timeline through stall
# windows and spikes (the shape, never the timing).  A smoke test of the tool on the device it
# was written for (its logic is tested natively by userspace/).  Loads the
# module itself (AIODEV_KO, as module_test.sh).  TAP output.

. "$(dirname "$0")/lib.sh"

bench=$(dirname "$0")/../userspace/aiobench
dev=/dev/aiodev0
sys=/sys/class/aiodev/aiodev0
tmp=$(mktemp -d -p /run 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
if [ ! -x "$bench" ]; then
	echo "ok 1 # SKIP $bench not built (make userspace)"
	exit 4
fi
loaded && rmmod aiodev
load latency_ns=20000 || { not_ok "load the module"; tap_end; }

# counted: the requests the device completed (NOPs too).
counted()
{
	echo $(( $(cat $sys/stats/reads) + $(cat $sys/stats/writes) + $(cat $sys/stats/nops) ))
}

# run DESCRIPTION ARGS...: aiobench --json ARGS on the device exits 0, with
# no error, no mismatch, and the device counted every I/O it reported.
run()
{
	local what=$1 before after

	shift
	before=$(counted)
	if ! "$bench" --json --size 2M "$@" "$dev" > "$tmp/out.json" 2> "$tmp/err"; then
		not_ok "$what"
		sed 's/^/# /' "$tmp/err"
		return
	fi
	after=$(counted)
	# --verify's fill and read-back passes are I/O the device sees too.
	if [ "$(json error)" = '""' ] && [ "$(json mismatches)" = 0 ] &&
	   [ "$(json ios)" -gt 0 ] && [ "$(json ios)" -le $((after - before)) ]; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$tmp/out.json"
	fi
}

# json FIELD: a top-level field of the last run's JSON.
json()
{
	grep -o "\"$1\": [^,}]*" "$tmp/out.json" | head -n 1 | cut -d' ' -f2
}

for mode in inline workqueue timer; do
	check "completion $mode is set" eval "echo $mode > $sys/completion"
	run "$mode: sync, verify" -e sync -n 200 --rw randwrite --verify
	run "$mode: sync, 4 threads" -e sync -j 4 -n 100 --verify --rw mixed
	run "$mode: aio, verify" -e aio -n 300 --rw randwrite --verify
	run "$mode: uring, verify" -e uring -n 300 --rw randwrite --verify
	run "$mode: uring-cmd, verify" -e uring-cmd -n 300 --rw randwrite --verify
	run "$mode: epoll, verify" -e epoll -n 200 --rw write --verify
	nops=$(cat $sys/stats/nops)
	run "$mode: uring-cmd, nop" -e uring-cmd --rw nop -n 300
	check "$mode: the device counted the 300 NOPs" [ $(( $(cat $sys/stats/nops) - nops )) = 300 ]
done
check "completion timer is set" eval "echo timer > $sys/completion"
run "uring: registered buffers and file, batches" \
	-e uring --fixed-bufs --fixed-files -s 8 -c 4 -d 16 -n 400 --verify --rw randwrite
run "uring: SQPOLL" -e uring --sqpoll -n 300 --verify --rw randwrite
run "uring: IOPOLL (O_DIRECT)" -e uring --iopoll -n 300 --verify --rw randwrite
run "uring-cmd: registered buffers" -e uring-cmd --fixed-bufs -n 300 --verify --rw randwrite
run "uring-cmd: IOPOLL" -e uring-cmd --iopoll -n 300 --verify --rw randwrite
run "uring-cmd: registered buffers, IOPOLL" -e uring-cmd --fixed-bufs --iopoll -n 300 --verify
run "aio: mixed, 2 jobs, 64 KiB" -e aio --rw mixed -j 2 --bs 64k -n 100 --verify
run "uring: sequential read over an offset range" -e uring --rw read --offset 1M -n 2000

"$bench" --output-format fio-json -e uring-cmd --rw mixed -t 1.2 --size 2M "$dev" \
	> "$tmp/fio.json" 2> "$tmp/err"
check "fio-json on the device" [ $? = 0 ]
"$(dirname "$0")"/../userspace/fio_json_check.py values "$tmp/fio.json" 4096 > "$tmp/err" 2>&1
check "fio-json's numbers agree (reads and writes, bins, samples)" [ $? = 0 ]
sed 's/^/# /' "$tmp/err"

"$bench" compare -t 0.5 "$dev" > "$tmp/compare" 2>&1
status=$?
sed 's/^/# /' "$tmp/compare"
check "compare exits 0" [ $status = 0 ]
missing=
for row in sync sync-threads aio uring uring-cmd epoll; do
	grep -q "^$row " "$tmp/compare" || missing="$missing $row"
done
check "compare has a row per engine${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "compare gives the Little's law ideal" grep -q "ideal (Little's law)" "$tmp/compare"
check "compare gives the CPU time per request" grep -q "usr/req   sys/req$" "$tmp/compare"

"$bench" compare -t 0.3 --latencies 100000,0 --engines sync,uring-cmd \
	--out "$tmp/cmp" "$dev" > "$tmp/compare" 2>&1
status=$?
sed 's/^/# /' "$tmp/compare"
check "compare --latencies exits 0" [ $status = 0 ]
check "compare --latencies: a table per latency" \
	[ "$(grep -c '^device: aiodev0, latency \(100000\|0\) ns' "$tmp/compare")" = 2 ]
check "compare.json: each engine at each latency" python3 -c "
import json
rows = json.load(open('$tmp/cmp/compare.json'))
assert [(r['name'], r['latency_ns']) for r in rows] == [
    ('sync', 100000), ('uring-cmd', 100000), ('sync', 0), ('uring-cmd', 0)], rows
assert all(r['result']['ios'] > 0 and 'cpu_ns_per_io' in r['result'] for r in rows)"
check "compare restores the device's latency" [ "$(cat $sys/latency_ns)" = 20000 ]

"$bench" sweep -t 0.3 --latencies 0,100000 --depths 1,4 \
	--engines sync,uring,uring-cmd --out "$tmp/sweep" "$dev" > /dev/null 2>&1
check "sweep exits 0" [ $? = 0 ]
check "sweep.csv has a row per point" \
	[ "$(tail -n +2 "$tmp/sweep/sweep.csv" | wc -l)" = 12 ]
check "sweep.json has a result per point" \
	[ "$(grep -o '"latency_ns"' "$tmp/sweep/sweep.json" | wc -l)" = 12 ]
check "sweep plots each latency" \
	grep -q "<svg" "$tmp/sweep/sweep-0.svg" "$tmp/sweep/sweep-100000.svg"
check "sweep restores the device's latency" [ "$(cat $sys/latency_ns)" = 20000 ]
"$bench" sweep -t 0.3 --latencies 100000 --depths 1,x --engines uring \
	--out "$tmp/sweep2" "$dev" > /dev/null 2>&1
check "sweep refuses a bad --depths (exit 2)" [ $? = 2 ]
check "and leaves the device's latency as it was" [ "$(cat $sys/latency_ns)" = 20000 ]

# Stall windows of 300 ms every second: some 100 ms intervals see (nearly)
# nothing complete, others many.  The shape, loosely: some full interval has
# under 10% of the median interval's completions.
stalled()
{
	python3 - "$1" <<'EOF'
import json, sys
iv = [i['ios'] for i in json.load(open(sys.argv[1]))['log']['intervals'] if not i['partial']]
med = sorted(iv)[(len(iv) - 1) // 2]
print('# intervals:', iv)
assert med > 0 and min(iv) < med / 10, (min(iv), med)
EOF
}

echo 0 > $sys/latency_ns
echo 300000000 > $sys/inject/stall_ns
echo 1000000000 > $sys/inject/stall_period_ns
for engine in sync uring; do
	"$bench" --json --log-interval 100 -t 3 -e $engine --size 2M "$dev" \
		> "$tmp/log.json" 2> "$tmp/err"
	check "$engine: --log-interval 100 through stall windows exits 0" [ $? = 0 ]
	check "$engine: the stalls show: an interval under 10% of the median's I/Os" \
		stalled "$tmp/log.json"
done
"$bench" timeline -q -t 2.5 --size 2M --out "$tmp/tl" "$dev" > "$tmp/out" 2> "$tmp/err"
check "timeline through stall windows exits 0" [ $? = 0 ]
sed 's/^/# /' "$tmp/out" "$tmp/err"
check "timeline: its JSON shows the stalls" stalled "$tmp/tl/timeline.json"
check "timeline: the plot, titled with the device's stalls" \
	grep -q "stalls of 300 ms every 1000 ms" "$tmp/tl/timeline.svg"
check "timeline.csv: a row per interval, all jobs and the job" \
	[ "$(grep -c '^all,' "$tmp/tl/timeline.csv")" = "$(grep -c '^0,' "$tmp/tl/timeline.csv")" ]
echo 0 > $sys/inject/stall_period_ns

# Spikes of 50 ms, one request in 500: some interval's largest latency is
# at least that (the device's lower bound), as is the run's.
echo 20000 > $sys/latency_ns
echo 50000000 > $sys/inject/spike_ns
echo 500 > $sys/inject/spike_every
"$bench" --json --log-interval 100 -t 1.5 -e uring-cmd --size 2M "$dev" > "$tmp/log.json"
check "spikes: --log-interval runs" [ $? = 0 ]
check "spikes: some interval's largest latency is a spike's, and the run's" python3 -c "
import json
r = json.load(open('$tmp/log.json'))
top = max(i['lat_ns']['max'] for i in r['log']['intervals'] if i['ios'])
assert top >= 50000000 and top == r['lat_ns']['max'], (top, r['lat_ns'])"
echo 0 > $sys/inject/spike_every

rmmod aiodev
tap_end
