#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the aiodev selftests: each test program against a freshly loaded
# module (with the parameters it needs), then the module lifecycle tests.
# Output is TAP; the exit status is 0 only if every test passed.
#
# usage: run.sh [-m MODULE.ko] [PROGRAM...]
#   -m MODULE.ko  the module to load (default: modprobe aiodev)
#   PROGRAM       test programs to run (default: all)
# AIODEV_TORTURE_DURATION (seconds, default 60) and AIODEV_TORTURE_SEED
# set torture_test's run (make soak sets them).

ko=
while getopts m:h opt; do
	case $opt in
	m) ko=$(realpath "$OPTARG") ;;
	*) sed -n 's/^# \?//; 4,11p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$(dirname "$0")" || exit 1

# Module parameters per test program.
declare -A params=(
	[rw_test]="nr_devices=3"
	[async_test]=""
	[uring_cmd_test]=""
	[fault_test]=""
	[access_test]=""
	[faults_test]=""
	[cache_test]=""
	[sysfs_test]="nr_devices=2 latency_ns=12345 jitter=uniform bandwidth_mbps=99 queue_depth=7 completion=workqueue
		write_latency_ns=23456 timeout_ms=789 cache_size=8192 write_bad_range=4096-8192
		write_bad_range_fails=3 spike_every=5 stall_period_ns=1000000 stall_ns=10"
	[torture_test]="size_mb=16"
)
# Arguments per test program.
torture_duration=${AIODEV_TORTURE_DURATION:-60}
declare -A args=(
	[torture_test]="--duration $torture_duration${AIODEV_TORTURE_SEED:+ --seed $AIODEV_TORTURE_SEED}"
)
progs=${*:-rw_test async_test uring_cmd_test access_test faults_test cache_test sysfs_test fault_test module_test.sh aiobench_smoke.sh clients_test.sh torture_test}
# settings' timeout is kselftest's bound on run.sh as a whole; a program
# that hangs is stopped sooner, so the others still run (the torture run
# has its duration on top).
timeout=600
kmemleak=/sys/kernel/debug/kmemleak
failed=0

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the tests load a module: run as root"
	exit 4
fi
if [ -z "$ko" ] && ! modprobe -n -q aiodev; then
	echo "1..0 # SKIP no aiodev module to load (make modules_install, or -m)"
	exit 4
fi

aiodev_load()
{
	if [ -n "$ko" ]; then
		insmod "$ko" "$@"
	else
		modprobe aiodev "$@"
	fi
}

aiodev_not_ok()
{
	echo "not ok - $*"
	failed=1
}

# aiodev_kmemleak WHEN: scan for leaks; a report is a failure.
aiodev_kmemleak()
{
	local report

	[ -w $kmemleak ] || return 0
	echo scan > $kmemleak
	report=$(cat $kmemleak)		# debugfs: [ -s ] sees size 0
	if [ -n "$report" ]; then
		aiodev_not_ok "kmemleak $1"
		sed 's/^/# /' <<< "$report"
		echo clear > $kmemleak
	else
		echo "ok - kmemleak $1"
	fi
}

# For the tracepoint tests.
tracing=/sys/kernel/tracing
[ -d $tracing ] && [ ! -e $tracing/trace ] && mount -t tracefs tracefs $tracing

# Whatever the kernel leaked before the tests is not theirs.
[ -w $kmemleak ] && echo scan > $kmemleak && echo clear > $kmemleak

for prog in $progs; do
	grep -q '^aiodev ' /proc/modules && rmmod aiodev
	case $prog in
	*.sh)
		AIODEV_KO=$ko timeout "$timeout" "./$prog"
		rc=$?
		;;
	*)
		echo "# $prog: module parameters: ${params[$prog]}"
		# shellcheck disable=SC2086
		if ! aiodev_load ${params[$prog]}; then
			aiodev_not_ok "$prog: loading the module failed"
			continue
		fi
		t=$timeout
		[ "$prog" = torture_test ] && t=$((timeout + torture_duration))
		# shellcheck disable=SC2086
		timeout "$t" "./$prog" ${args[$prog]}
		rc=$?
		aiodev_kmemleak "after $prog"
		rmmod aiodev || aiodev_not_ok "$prog: rmmod after the test"
		;;
	esac
	case $rc in
	0|4) ;;		# pass, or skip (the program said why)
	*) aiodev_not_ok "$prog exited with status $rc" ;;
	esac
done

if [ -w $kmemleak ]; then
	sleep 6		# kmemleak only reports objects older than 5 s
	aiodev_kmemleak "after unloading the module"
fi
exit $failed
