#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifecycle: parameters, device nodes and sysfs, unload refused while
# a device is open and complete after.  AIODEV_KO names the module to load
# (default: modprobe aiodev).  TAP output.

. "$(dirname "$0")/lib.sh"

unloaded_cleanly()
{
	! loaded && [ ! -e /dev/aiodev0 ] && [ ! -e /sys/class/aiodev ]
}

# refused PARAM: loading with PARAM fails with EINVAL and leaves nothing.
refused()
{
	local err

	if err=$(load "$1" 2>&1); then
		rmmod aiodev
		return 1
	fi
	echo "$err" | grep -q "Invalid param" && unloaded_cleanly
}

node_is()
{
	[ "$(stat -c '%F %a %U' "$1")" = "$2" ]
}

echo "TAP version 13"
loaded && rmmod aiodev

for bad in nr_devices=0 nr_devices=65 nr_devices=abc size_mb=0 \
	   size_mb=1048577 size_mb=-1 latency_ns=abc latency_ns=10000000001 \
	   jitter=normal bandwidth_mbps=-5 queue_depth=0 queue_depth=4097 \
	   completion=softirq write_latency_ns=soon timeout_ms=3600001 \
	   cache_size=-1 read_bad_range=2-1 write_hang_percent=101 \
	   spike_ns=10000000001 "stall_ns=2 stall_period_ns=2"; do
	check "load with $bad is refused with EINVAL" refused "$bad"
done

check "load with nr_devices=3" load nr_devices=3
for i in 0 1 2; do
	check "/dev/aiodev$i is a 0600 root char device" \
		node_is /dev/aiodev$i "character special file 600 root"
	check "/sys/class/aiodev/aiodev$i/size is the 64 MiB default" \
		[ "$(cat /sys/class/aiodev/aiodev$i/size)" = 67108864 ]
done
check "no /dev/aiodev3" [ ! -e /dev/aiodev3 ]

check "a write to /dev/aiodev0 (for the reload below)" \
	eval "printf persist > /dev/aiodev0 && [ \"\$(head -c 7 /dev/aiodev0)\" = persist ]"
exec 3<> /dev/aiodev1
check "rmmod is refused while a device is open" \
	eval '! rmmod aiodev 2>/dev/null && loaded'
exec 3>&-
check "rmmod succeeds once the device is closed" rmmod aiodev
check "unload removes the devices and the class" unloaded_cleanly

check "load with size_mb=1" load size_mb=1
check "size_mb=1 gives a 1 MiB device" \
	[ "$(cat /sys/class/aiodev/aiodev0/size)" = 1048576 ]
check "a reloaded device reads zeros again" \
	eval "[ \"\$(head -c 7 /dev/aiodev0 | od -An -tx1 | tr -d ' ')\" = 00000000000000 ]"
rmmod aiodev

tap_end
