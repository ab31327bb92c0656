#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# aiobench's own tests, natively on the host (no aiodev needed): options
# and their errors, every engine that works on regular files and /dev/zero,
# --ops, --verify, --json, --output-format fio-json (against fio's own
# output and tool), compare, --log-interval and timeline.  TAP output.

cd "$(dirname "$0")" || exit 1
bench=./aiobench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
file=$tmp/data
head -c 8M /dev/zero > "$file"
n=0
failed=0

ok()
{
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=1
	fi
}

# fails STATUS PATTERN DESCRIPTION ARGS...: aiobench exits STATUS and says PATTERN.
fails()
{
	local status=$1 pattern=$2 what=$3 out

	shift 3
	out=$($bench "$@" 2>&1)
	[ $? = "$status" ] && grep -q -- "$pattern" <<< "$out"
	ok $? "$what"
}

# json_ok EXPR DESCRIPTION ARGS...: --json output satisfies the Python EXPR on r.
json_ok()
{
	local expr=$1 what=$2

	shift 2
	$bench --json "$@" > "$tmp/out.json" 2> "$tmp/err"
	python3 -c "import json, sys; r = json.load(open('$tmp/out.json')); sys.exit(0 if ($expr) else 1)" \
		2>> "$tmp/err"
	ok $? "$what"
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
}

echo "TAP version 13"

$bench --help > "$tmp/help"
ok $? "--help exits 0"
missing=
for word in sync aio uring uring-cmd epoll --engine --rw --mix --bs --qd --jobs \
	    --threads --runtime --ops --offset --size --seed --verify --direct \
	    --fixed-bufs --fixed-files --sqpoll --iopoll --batch-submit \
	    --batch-complete --json --quiet --engines --depths --latencies --out \
	    --output-format --version --help --log-interval --log-lines compare \
	    sweep timeline nop; do
	grep -q -- "$word" "$tmp/help" || missing="$missing $word"
done
[ -z "$missing" ]
ok $? "--help documents every engine, command and option${missing:+ (missing:$missing)}"

pkgver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' ../dkms.conf)
version=$($bench --version)
[ $? = 0 ] && [[ $version =~ ^aiobench\ ${pkgver//./\\.}(\+g[0-9a-f]+(-dirty)?)?$ ]]
ok $? "--version gives the package's version, $pkgver, and the commit (got: $version)"

fails 2 "unknown engine" "an unknown engine is refused" -e foo "$file"
fails 2 "unknown --rw mode" "an unknown --rw is refused" --rw sideways "$file"
fails 2 "--qd '0'" "--qd 0 is refused" --qd 0 "$file"
fails 2 "--bs 'abc'" "--bs abc is refused" --bs abc "$file"
fails 2 "--mix '101'" "--mix 101 is refused" --mix 101 "$file"
fails 2 "--runtime" "--runtime -1 is refused" --runtime -1 "$file"
fails 2 "use --jobs" "--qd with the sync engine is refused" -e sync --qd 4 "$file"
fails 2 "needs --rw mixed" "--mix without --rw mixed is refused" --mix 30 "$file"
fails 2 "jobs is for run" "compare refuses --jobs" compare -j 2 "$file"
fails 2 "need -e uring" "--sqpoll with aio is refused" -e aio --sqpoll "$file"
fails 2 "cannot exceed --qd" "--batch-submit above --qd is refused" --qd 4 -s 8 "$file"
fails 2 "give one FILE" "no FILE is refused"
fails 2 "No such file" "a missing file is named" "$tmp/nope"
fails 2 "give --size" "/dev/zero needs --size" /dev/zero
fails 2 "is past its end (8388608 bytes)" "a range past the end of the file is refused" \
	--offset 8m --size 4k "$file"
fails 2 "multiples of 512" "--direct with an unaligned --bs is refused" --direct --bs 1000 "$file"
: > "$tmp/empty"
fails 1 "short read at offset 0: 0 of 4096 bytes" "a short read is named as one" \
	-e sync --size 4k -n 1 "$tmp/empty"
fails 2 "cannot be polled" "epoll on a file that cannot be polled is refused" -e epoll "$file"
fails 1 "read at offset .*Operation not supported" \
	"uring-cmd on a file without passthrough fails, naming the op" \
	-e uring-cmd -t 1 "$file"
fails 2 "--rw nop needs -e uring-cmd" "--rw nop without uring-cmd is refused" --rw nop "$file"
fails 2 "moves no data" "--rw nop with --verify is refused" -e uring-cmd --rw nop --verify "$file"
fails 2 "--rw nop is for run" "compare refuses --rw nop" compare -e uring-cmd --rw nop "$file"
fails 1 "nop at offset 0: Operation not supported" \
	"--rw nop on a file without passthrough fails, naming the op" \
	-e uring-cmd --rw nop -t 1 "$file"
# /dev/null's uring_cmd (drivers/char/mem.c) completes any command with 0.
if $bench -e uring-cmd --rw nop --size 1M -n 1 -q /dev/null 2>&1 |
   grep -q "Operation not supported"; then
	n=$((n + 1))
	echo "ok $n # SKIP --rw nop on /dev/null: this kernel's /dev/null has no uring_cmd"
else
	json_ok "r['ios'] == 500 and r['reads'] == 500 and r['bytes'] == 0 and r['rw'] == 'nop'" \
		"--rw nop on /dev/null: 500 NOPs, counted as reads of 0 bytes" \
		-e uring-cmd --rw nop --size 1M -n 500 /dev/null
fi

for engine in sync aio uring; do
	json_ok "r['ios'] == 1000 and r['reads'] == 1000 and r['error'] == ''" \
		"$engine: --ops 1000 does 1000 reads" -e $engine -n 1000 "$file"
done
json_ok "r['ios'] == 2 * 500 and r['jobs'] == 2" "--jobs 2 --ops 500 does 1000" \
	-e sync -j 2 -n 500 "$file"
json_ok "r['writes'] > 0 and r['reads'] > 0" "--rw mixed reads and writes" \
	-e aio --rw mixed -n 400 "$file"
json_ok "r['ios'] == 300" "io_uring with registered buffers and file, batches" \
	-e uring --fixed-bufs --fixed-files -s 8 -c 4 -d 16 -n 300 "$file"
json_ok "r['ios'] == 300" "aio with batches" -e aio -s 8 -c 4 -d 16 -n 300 "$file"
json_ok "r['ios'] == 300" "io_uring with SQPOLL" -e uring --sqpoll -d 8 -n 300 "$file"
json_ok "r['ios'] == 300 and r['bytes'] == 300 * 65536" "--bs 64k and O_DIRECT" \
	-e uring --direct --bs 64k -n 300 "$file"
json_ok "r['lat_ns']['p50'] <= r['lat_ns']['p99'] <= r['lat_ns']['max'] and r['lat_ns']['min'] <= r['lat_ns']['mean']" \
	"latency percentiles are ordered" -e uring -n 2000 "$file"
json_ok "r['mismatches'] == 0 and r['verify']" "--verify after random writes finds no mismatch" \
	-e uring --rw randwrite --verify -n 2000 --seed 9 "$file"
json_ok "r['mismatches'] == 0" "--verify on reads (the range is filled first)" \
	-e aio --rw read --verify -n 1000 "$file"
json_ok "r['ios'] == 500" "/dev/zero with --size" -e uring --size 1M -n 500 /dev/zero

json_ok "r['ios'] == 2 * 300 and r['jobs'] == 2" "--threads is --jobs" \
	-e sync --threads 2 -n 300 "$file"

# On a terminal (script(1) gives one), a progress line goes to stderr.
script -qec "$bench -e sync -t 2.5 $file" /dev/null > "$tmp/tty" 2>&1
grep -q "IOPS  " "$tmp/tty" && grep -q "aiobench: sync randread" "$tmp/tty"
ok $? "a progress line on a terminal"
script -qec "$bench -e sync -j 16 -t 1.5 $file" /dev/null > "$tmp/tty" 2>&1
[ $? = 0 ] && grep -q "jobs=16" "$tmp/tty"
ok $? "a progress line with 16 jobs, and a clean exit"
$bench -e sync -t 1.5 "$file" > "$tmp/out" 2> "$tmp/err"
[ ! -s "$tmp/err" ]
ok $? "no progress line when stderr is not a terminal"

$bench -e uring --rw read --verify --size 1M -n 100 -q /dev/zero > "$tmp/out" 2>&1
[ $? = 1 ] && grep -q "verify: 100 mismatched reads" "$tmp/out"
ok $? "--verify counts mismatches (zeros from /dev/zero) and exits 1"

$bench compare -t 0.3 "$file" > "$tmp/out" 2>&1
status=$?
grep -q "^sync  " "$tmp/out" && grep -q "^sync-threads" "$tmp/out" &&
	grep -q "^aio " "$tmp/out" && grep -q "^uring " "$tmp/out" &&
	! grep -q "^uring-cmd" "$tmp/out" && [ $status = 0 ]
ok $? "compare runs each engine (no uring-cmd off aiodev) and exits 0"
grep -q "^epoll .*n/a" "$tmp/out"
ok $? "compare marks an engine the file cannot use as n/a"
grep -q "usr/req   sys/req$" "$tmp/out" &&
	grep -Eq "^uring +1 x 32 .* [0-9.]+(ns|us|ms|s) +[0-9.]+(ns|us|ms|s)$" "$tmp/out"
ok $? "compare shows the CPU time per request, user and system"
fails 2 "compare --latencies: .* is not an aiodev device" \
	"compare --latencies off aiodev is refused" compare --latencies 0 "$file"
$bench compare -t 0.2 --engines aio --out "$tmp/cmp" "$file" > /dev/null
python3 -c "import json; r = json.load(open('$tmp/cmp/compare.json')); assert r[0]['name'] == 'aio' and r[0]['result']['ios'] > 0"
ok $? "compare --out writes compare.json"
python3 -c "
import json
r = json.load(open('$tmp/cmp/compare.json'))[0]
cpu = r['result']['cpu_ns_per_io']
assert r['latency_ns'] is None and cpu['usr'] + cpu['sys'] > 0, r"
ok $? "compare.json has the CPU time per request, and no device latency off aiodev"
$bench compare --json -t 0.2 --engines sync,uring --out "$tmp/cmp2" "$file" > "$tmp/out.json"
python3 -c "import json; r = json.load(open('$tmp/out.json')); assert [x['name'] for x in r] == ['sync', 'uring']"
ok $? "compare --json lists the engines asked for"
python3 -c "import json; r = json.load(open('$tmp/cmp2/compare.json')); assert [x['name'] for x in r] == ['sync', 'uring']"
ok $? "compare --json --out writes compare.json too"
$bench compare --engines sync,uring --rw read --verify --size 1M -t 0.2 /dev/zero > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q "uring: --verify found [0-9]* mismatched reads" "$tmp/err"
ok $? "compare reports --verify mismatches (zeros from /dev/zero) and exits 1"

# Writes that are lost: after the fill's 16, pwrite() says done and does not.
cat > "$tmp/lose.c" <<'EOF2'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

static int calls;

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);

	if (!real)
		real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	return ++calls > 16 ? (ssize_t)n : real(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite64(fd, buf, n, off);
}
EOF2
if cc -shared -fPIC -o "$tmp/lose.so" "$tmp/lose.c" -ldl; then
	LD_PRELOAD=$tmp/lose.so $bench -e sync --rw randwrite --verify --size 64k \
		-n 200 -q "$file" > "$tmp/out" 2>&1
	[ $? = 1 ] && grep -q "verify: [1-9][0-9]* mismatched reads" "$tmp/out"
	ok $? "--verify finds writes that were lost"
else
	ok 1 "--verify finds writes that were lost (cannot build the shim)"
fi
$bench -e sync --rw randwrite --verify --size 64k -n 200 -q "$file" > "$tmp/out" 2>&1
[ $? = 0 ] && grep -q "verify: 0 mismatched reads" "$tmp/out"
ok $? "--verify passes writes that were done"
# 16 blocks at depth 32: reads race writes of their block all the time.
$bench -e uring --rw mixed --verify --size 64k -d 32 -n 20000 -q "$file" > "$tmp/out" 2>&1
[ $? = 0 ] && grep -q "verify: 0 mismatched reads" "$tmp/out"
ok $? "--verify with mixed reads and writes racing on the same blocks"

# SQPOLL's thread may post a CQE before it frees the SQE: no EBUSY.
for i in 1 2 3 4 5 6; do
	$bench -q -e uring --sqpoll -d 8 -t 0.2 "$file" > /dev/null 2> "$tmp/err" || break
done
[ ! -s "$tmp/err" ]
ok $? "--sqpoll runs end cleanly (6 runs)"
[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"

json_ok "r['ios'] == 10" "a number with a leading 0 is decimal" -e sync -n 010 "$file"
json_ok "'aiobench ' + r['version'] == '$version'" "the JSON gives --version's version" \
	-e sync -n 1 "$file"
json_ok "r['ios'] == 16" "0x is hexadecimal" -e sync -n 0x10 "$file"

timeout --preserve-status -s INT 0.4 $bench compare -t 0.3 \
	--engines sync,aio,uring,sync "$file" > "$tmp/out" 2> "$tmp/err"
[ $? = 1 ] && grep -q "compare: interrupted after [0-9] of 4 engines" "$tmp/err"
ok $? "Ctrl-C in compare skips the engines left and exits 1"
fails 2 "no engine could run" "compare with no engine that can run exits 2" \
	compare -t 0.2 "$tmp/missing"

# --output-format fio-json: the layout of fio's json+, as fio itself writes
# it on the same file, and read by fio's own fio_jsonplus_clat2csv.
fio --name=ref --filename="$file" --rw=randrw --bs=4k --ioengine=psync --iodepth=1 \
	--numjobs=1 --size=8M --runtime=1 --time_based --thread --lat_percentiles=1 \
	--output-format=json+ --output="$tmp/fio.json" > /dev/null 2>&1
ok $? "fio runs on the file (the reference)"
$bench --output-format fio-json -e sync --rw mixed -t 1.2 "$file" > "$tmp/fj.json" 2> "$tmp/err"
ok $? "--output-format fio-json runs"
./fio_json_check.py structure "$tmp/fio.json" "$tmp/fj.json" > "$tmp/err" 2>&1
ok $? "fio-json has fio's keys with fio's types (read, write, trim, percentiles, bins)"
sed 's/^/# /' "$tmp/err"
python3 -c "
import json
d = json.load(open('$tmp/fj.json'))
del d['jobs'][0]['read']['iops']
d['jobs'][0]['write']['bw'] = 1.5
json.dump(d, open('$tmp/fj-bad.json', 'w'))"
./fio_json_check.py structure "$tmp/fio.json" "$tmp/fj-bad.json" > "$tmp/err" 2>&1
[ $? = 1 ] && grep -q "missing: jobs\[0\].read.iops" "$tmp/err" &&
	grep -q "write.bw: float, fio has int" "$tmp/err"
ok $? "the structure check fails on a missing key and on a wrong type"
./fio_json_check.py values "$tmp/fj.json" 4096 > "$tmp/err" 2>&1
ok $? "fio-json's numbers agree: I/Os, bytes, bins, percentiles, samples, shares"
sed 's/^/# /' "$tmp/err"
(cd "$tmp" && fio_jsonplus_clat2csv fj.json fj.csv > /dev/null &&
	fio_jsonplus_clat2csv fj.json fj.csv --validate > /dev/null)
ok $? "fio_jsonplus_clat2csv converts fio-json, and validates its CSV against it"
python3 -c "
import csv, json
job = json.load(open('$tmp/fj.json'))['jobs'][0]
rows = list(csv.reader(open('$tmp/fj_job0.csv'), skipinitialspace=True))
head = [h.strip() for h in rows[0]]
for d in ('read', 'write'):
    count = head.index(d + '_clat_ns_count')
    cum = [int(r[count + 1]) for r in rows[1:] if r[count].strip()]
    assert cum[-1] == job[d]['total_ios'] > 0, (d, cum[-1:], job[d]['total_ios'])
    assert cum == sorted(cum)"
ok $? "its CSV counts every read and every write, in order of latency"
$bench compare --output-format fio-json -t 0.2 --engines sync,aio "$file" > "$tmp/fjc.json"
python3 -c "
import json
jobs = json.load(open('$tmp/fjc.json'))['jobs']
assert [j['jobname'] for j in jobs] == ['sync', 'aio']
assert [j['job options']['iodepth'] for j in jobs] == ['1', '32']
assert all(j['read']['total_ios'] > 0 for j in jobs)"
ok $? "compare --output-format fio-json: a job per engine"
fails 2 "unknown --output-format 'xml'" "an unknown --output-format is refused" \
	--output-format xml "$file"
fails 2 "fio-json is for run and compare" "sweep refuses fio-json" \
	sweep --output-format fio-json "$file"

# --log-interval: the intervals of a run, checked by log_check FILE.JSON
# [STALLED]: they add up to the run's I/Os, all jobs and each; they follow
# each other from 0, each of the interval's length but the last (partial);
# latencies where something completed only; with STALLED, some interval
# has nothing (a stall: 0 IOPS, no latency).
log_check()
{
	python3 - "$@" <<'EOF2'
import json, sys
r = json.load(open(sys.argv[1]))
log = r['log']
step = log['interval_ms'] / 1000
for iv in [log['intervals']] + log['jobs']:
    assert iv and abs(iv[0]['start_s']) < 1e-9, iv[:1]
    for a, b in zip(iv, iv[1:]):
        assert b['start_s'] > a['start_s'], (a, b)
        assert abs(a['start_s'] + a['seconds'] - b['start_s']) < 1e-6, (a, b)
        assert not a['partial'] and abs(a['seconds'] - step) < 1e-6, a
    last = iv[-1]
    assert last['partial'] == (last['seconds'] < step - 1e-9), last
    for i in iv:
        assert i['ios'] == i['reads'] + i['writes'], i
        assert (i['lat_ns'] is None) == (i['ios'] == 0), i
        assert i['ios'] == 0 or i['lat_ns']['p50'] <= i['lat_ns']['p99'] <= i['lat_ns']['max'], i
        assert abs(i['iops'] - i['ios'] / i['seconds']) <= 0.1 + 1e-6 * i['iops'], i
total = log['intervals']
assert sum(i['ios'] for i in total) == r['ios'], (sum(i['ios'] for i in total), r['ios'])
assert sum(i['reads'] for i in total) == r['reads']
assert len(log['jobs']) == r['jobs']
for k, i in enumerate(total):
    assert i['ios'] == sum(j[k]['ios'] for j in log['jobs'] if k < len(j)), k
    mx = [j[k]['lat_ns']['max'] for j in log['jobs'] if k < len(j) and j[k]['ios']]
    assert i['ios'] == 0 or i['lat_ns']['max'] == max(mx), k
if len(sys.argv) > 2:
    assert any(i['ios'] == 0 and i['iops'] == 0 for i in total if not i['partial']), total
EOF2
}

# (A run lasts its --runtime and the time its last I/Os take, at least.)
$bench --json --log-interval 50 -e uring -t 1.02 "$file" > "$tmp/log.json"
[ $? = 0 ] && log_check "$tmp/log.json" 2> "$tmp/err" &&
	python3 -c "
import json
r = json.load(open('$tmp/log.json'))
iv = r['log']['intervals']
assert len(iv) >= 21 and iv[-1]['partial'] and abs(iv[-1]['start_s'] + iv[-1]['seconds'] - r['seconds']) < 0.001, (len(iv), iv[-1], r['seconds'])" 2>> "$tmp/err"
ok $? "--log-interval 50 over 1.02 s: 21 intervals or more to the run's end, the last partial"
sed 's/^/# /' "$tmp/err"
$bench --json --log-interval 20 -e sync -j 3 --rw mixed -n 2000 "$file" > "$tmp/log.json" &&
	log_check "$tmp/log.json" 2> "$tmp/err"
ok $? "--log-interval with 3 jobs and --ops: each job's intervals and all jobs'"
sed 's/^/# /' "$tmp/err"
$bench --json --log-interval 1 -e aio --rw randwrite --verify -n 5000 "$file" > "$tmp/log.json" &&
	log_check "$tmp/log.json" 2> "$tmp/err" &&
	python3 -c "import json; r = json.load(open('$tmp/log.json')); assert r['log']['interval_ms'] == 1 and r['mismatches'] == 0"
ok $? "--log-interval 1 with --verify: only the timed run is logged"
sed 's/^/# /' "$tmp/err"

# A stall, natively: the 300th pread sleeps 350 ms, so at least two whole
# 100 ms intervals see nothing complete.
cat > "$tmp/stall.c" <<'EOF2'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

static int calls;

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	static ssize_t (*real)(int, void *, size_t, off_t);
	struct timespec ts = { 0, 350 * 1000000 };

	if (!real)
		real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
	if (++calls == 300)
		nanosleep(&ts, NULL);
	return real(fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return pread64(fd, buf, n, off);
}
EOF2
if cc -shared -fPIC -o "$tmp/stall.so" "$tmp/stall.c" -ldl; then
	LD_PRELOAD=$tmp/stall.so $bench --json --log-interval 100 -e sync -t 1 \
		"$file" > "$tmp/log.json" && log_check "$tmp/log.json" stalled 2> "$tmp/err"
	ok $? "a stall shows: intervals with 0 IOPS and no latency (null)"
	sed 's/^/# /' "$tmp/err"
	LD_PRELOAD=$tmp/stall.so $bench --log-interval 100 -e sync -t 1 "$file" > "$tmp/out"
	grep -Eq "^  IOPS  min 0, median [0-9]+, max [0-9]+; [2-9] of [0-9]+ under 10% of the median$" "$tmp/out" &&
		grep -Eq '^  IOPS \|[^|]*__[^|]*\|  @ [0-9]+, _ none$' "$tmp/out" &&
		grep -Eq '^  p99  \|[^|]*  [^|]*\|  @ ' "$tmp/out"
	ok $? "the short timeline shows the stall: intervals under 10% of the median, gaps"
	sed 's/^/# /' "$tmp/out"
	LD_PRELOAD=$tmp/stall.so $bench timeline -t 1 -e sync -q --out "$tmp/tl-stall" \
		"$file" > /dev/null 2>&1 &&
		grep -q '^all,[0-9]*,[0-9.]*,0.100000,0,0,0,0,0.0,,,,,,$' "$tmp/tl-stall/timeline.csv"
	ok $? "timeline.csv: an interval without I/O has 0 IOPS and empty latencies"
else
	ok 1 "a stall shows (cannot build the shim)"
fi

$bench --log-interval 100 --log-lines -e sync -t 0.35 "$file" > "$tmp/out"
nlog=$(sed -En 's/^log: ([0-9]+) intervals of 100 ms, all jobs \(the last partial: [0-9.]+(ns|us|ms)\)$/\1/p' "$tmp/out")
[ -n "$nlog" ] && [ "$nlog" -ge 4 ] &&
	[ "$(grep -Ec '^ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} ' "$tmp/out")" = "$nlog" ] &&
	[ "$(grep -c ' partial$' "$tmp/out")" = 1 ] &&
	tail -n 1 "$tmp/out" | grep -Eq "^ +$((nlog - 1))00\.000 .*  partial$|^ +0\.$((nlog - 1))00 .*  partial$"
ok $? "--log-lines: a line per interval, the last labelled partial"
sed 's/^/# /' "$tmp/out"
fails 2 "--log-interval '0'" "--log-interval 0 is refused" --log-interval 0 "$file"
fails 2 "--log-interval '60001'" "--log-interval above a minute is refused" \
	--log-interval 60001 "$file"
fails 2 "needs --log-interval" "--log-lines without --log-interval is refused" --log-lines "$file"
fails 2 "no place for --log-interval" "--log-interval with fio-json is refused" \
	--log-interval 10 --output-format fio-json "$file"
fails 2 "log-lines is for run" "compare refuses --log-lines" \
	compare --log-interval 10 --log-lines "$file"
$bench compare --json --log-interval 50 -t 0.3 --engines sync,aio "$file" > "$tmp/out.json"
python3 -c "
import json
rows = json.load(open('$tmp/out.json'))
assert [len(r['result']['log']['intervals']) for r in rows] == [7, 7], rows
assert all(sum(i['ios'] for i in r['result']['log']['intervals']) == r['result']['ios'] for r in rows)"
ok $? "compare --log-interval: each row's JSON has its log"

# timeline: the log into CSV, JSON and a plot.
$bench timeline -e aio -j 2 -t 1 --log-interval 50 --out "$tmp/tl" "$file" > "$tmp/out" 2> "$tmp/err"
[ $? = 0 ] && [ ! -s "$tmp/err" ] && grep -q "^log: [0-9]* intervals of 50 ms" "$tmp/out" &&
	grep -q "^aiobench timeline: $tmp/tl/timeline.csv, $tmp/tl/timeline.json, $tmp/tl/timeline.svg$" "$tmp/out"
ok $? "timeline runs, says what it wrote, and gnuplot has nothing to say"
sed 's/^/# /' "$tmp/err"
log_check "$tmp/tl/timeline.json" 2> "$tmp/err"
ok $? "timeline.json validates: the run and its intervals"
sed 's/^/# /' "$tmp/err"
python3 - "$tmp/tl" <<'EOF2'
import csv, json, sys
d = sys.argv[1]
log = json.load(open(d + '/timeline.json'))['log']
rows = list(csv.DictReader(open(d + '/timeline.csv')))
alljobs = [r for r in rows if r['job'] == 'all']
assert len(alljobs) == len(log['intervals']) and len(rows) == len(alljobs) + sum(len(j) for j in log['jobs'])
for r, i in zip(alljobs, log['intervals']):
    assert int(r['ios']) == i['ios'] and r['partial'] == str(int(i['partial'])), (r, i)
    assert (r['lat_p99_ns'] == '') == (i['lat_ns'] is None)
    assert r['lat_p99_ns'] == '' or int(r['lat_p99_ns']) == i['lat_ns']['p99']
EOF2
ok $? "timeline.csv holds the JSON's intervals, all jobs' then each job's"
grep -q "<svg" "$tmp/tl/timeline.svg" && grep -q "latency (ms)" "$tmp/tl/timeline.svg" &&
	grep -q "aio randread, bs 4096, 2 jobs x qd 32" "$tmp/tl/timeline.svg"
ok $? "timeline.svg is plotted: IOPS and latency, titled with the workload"
$bench timeline -t 0.2 --json --out "$tmp/tl2" "$file" > "$tmp/out.json" 2> /dev/null &&
	log_check "$tmp/out.json" && cmp -s "$tmp/out.json" "$tmp/tl2/timeline.json" &&
	python3 -c "import json; assert json.load(open('$tmp/out.json'))['log']['interval_ms'] == 100"
ok $? "timeline --json prints timeline.json; --log-interval is 100 by default"
fails 2 "for compare and sweep" "timeline refuses --engines" timeline --engines aio "$file"

cp "$file" "$tmp/a\"b\\c"
json_ok "r['file'].endswith('a\"b\\\\c') and r['ios'] == 10" \
	"--json escapes the file name" -n 10 "$tmp/a\"b\\c"

echo "1..$n"
exit $failed
