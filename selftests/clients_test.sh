#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Clients nobody here wrote, on the device in each completion mode: dd
# (with and without O_DIRECT) and cmp, and fio's own data verification
# through psync, libaio, io_uring, io_uring on a polled ring (hipri), with
# an SQPOLL thread (polling too), with registered buffers and files, and
# two jobs at once.
# What the README promises any client must hold for these too.  Loads the
# module itself (AIODEV_KO, as module_test.sh).  TAP output.

. "$(dirname "$0")/lib.sh"

dev=/dev/aiodev0
sys=/sys/class/aiodev/aiodev0
tmp=$(mktemp -d -p /run 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
loaded && rmmod aiodev
# aiodev1 is never written: it must read as zeros.
load nr_devices=2 latency_ns=20000 || { not_ok "load the module"; tap_end; }

# fio_verify DESCRIPTION OPTION...: fio writes 2 MiB (per job) in random
# order, O_DIRECT, at queue depth 16 where the engine queues, then reads it
# back and checks every block's checksum (exit status 0 only if all matched
# and no I/O failed).  The range is zeroed first and fio seeds its data
# afresh, so a write the device lost cannot pass on an earlier run's data.
fio_verify()
{
	local what=$1

	shift
	if ! command -v fio > /dev/null; then
		ok "$what # SKIP fio not installed (scripts/install-deps)"
		return
	fi
	if ! dd if=/dev/zero of=$dev bs=1M count=4 oflag=direct status=none; then
		not_ok "$what (zeroing the range failed)"
		return
	fi
	if fio --name=verify --filename=$dev --size=2M --bs=4k --rw=randwrite \
	       --direct=1 --iodepth=16 --verify=crc32c --do_verify=1 \
	       --verify_fatal=1 --verify_state_save=0 --randrepeat=0 --thread \
	       "$@" > "$tmp/fio.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$tmp/fio.out"
	fi
}

# dd_round_trip MODE: a random MiB written with O_DIRECT reads back the
# same, with O_DIRECT and without.
dd_round_trip()
{
	local mode=$1

	head -c 1M /dev/urandom > "$tmp/pattern"
	check "$mode: dd O_DIRECT writes a MiB" \
		dd if="$tmp/pattern" of=$dev bs=64k seek=16 oflag=direct \
		conv=notrunc status=none
	check "$mode: dd O_DIRECT reads it back" eval \
		"dd if=$dev bs=64k skip=16 count=16 iflag=direct status=none |
		 cmp - $tmp/pattern"
	check "$mode: dd reads it back 4 KiB at a time" eval \
		"dd if=$dev bs=4k skip=256 count=256 status=none |
		 cmp - $tmp/pattern"
}

for mode in inline workqueue timer; do
	check "completion $mode is set" eval "echo $mode > $sys/completion"
	dd_round_trip $mode
	fio_verify "$mode: fio psync, verify" --ioengine=psync
	fio_verify "$mode: fio libaio, verify" --ioengine=libaio
	fio_verify "$mode: fio io_uring, verify" --ioengine=io_uring
	fio_verify "$mode: fio io_uring on a polled ring, verify" \
		--ioengine=io_uring --hipri=1
	fio_verify "$mode: fio io_uring on a polled ring, SQPOLL, verify" \
		--ioengine=io_uring --hipri=1 --sqthread_poll=1
	fio_verify "$mode: fio io_uring, registered buffers and file, SQPOLL, verify" \
		--ioengine=io_uring --fixedbufs=1 --registerfiles=1 --sqthread_poll=1
	fio_verify "$mode: fio io_uring, 2 jobs on their own ranges, verify" \
		--ioengine=io_uring --numjobs=2 --offset_increment=2M
done
check "a device never written reads as zeros (cmp with /dev/zero)" \
	cmp -n 4194304 /dev/aiodev1 /dev/zero
errors=$(( $(cat $sys/stats/read_errors) + $(cat $sys/stats/write_errors) ))
check "the device counted no error" [ "$errors" = 0 ]

rmmod aiodev || not_ok "unload the module"
tap_end
