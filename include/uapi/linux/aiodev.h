/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * aiodev: the io_uring passthrough ABI of /dev/aiodevN.
 *
 * Commands reach the device straight from the SQE, as with the NVMe generic
 * char device: an IORING_OP_URING_CMD SQE on an open /dev/aiodevN, with
 * sqe->cmd_op one of AIODEV_URING_CMD_* and a struct aiodev_uring_cmd in the
 * SQE's command area.
 *
 * The command needs a 128-byte SQE.  It takes 40 bytes (24 of fields, 16
 * reserved to grow), more than the 16-byte command area of a 64-byte SQE,
 * and Linux 6.1 gives a driver only that area (not the rest of the SQE).
 * A 128-byte SQE is any SQE of a ring created with IORING_SETUP_SQE128, or,
 * on kernels with mixed-size SQE rings (Linux 7.3 has them), an
 * IORING_OP_URING_CMD128 SQE on a ring created with IORING_SETUP_SQE_MIXED:
 * it takes two contiguous SQ entries (io_uring fails one that would start in
 * the ring's last entry with -EINVAL), and io_uring hands it to the driver
 * as a 128-byte SQE (IO_URING_F_SQE128), like those of an SQE128 ring.  A
 * command in a 64-byte SQE (IORING_OP_URING_CMD on any other ring, mixed
 * ones included) completes with -EOPNOTSUPP.
 *
 * Access: the file's open mode decides, as it does for read(2) and
 * write(2) (which the VFS checks, and ->uring_cmd() does not pass through):
 * READ needs a file opened for reading (O_RDONLY, O_RDWR), WRITE one opened
 * for writing (O_WRONLY, O_RDWR), NOP and FLUSH either (they move no data,
 * as fsync(2) does not), QUERY any open file (even one opened with access
 * mode 3, for ioctls only: it reports what sysfs shows to anyone).  A
 * command the mode does not allow completes with -EBADF before anything
 * else: no data moves and no statistic counts it.  There is no exception
 * for privileged tasks, as there is none for write(2).
 *
 * Results, in cqe->res: READ and WRITE give the bytes moved (short at the
 * end of the device; a READ at or past the end gives 0, a WRITE there
 * -ENOSPC); NOP and FLUSH give 0; QUERY gives the bytes of struct
 * aiodev_info it wrote.  Errors are negative errnos:
 *   -ENOTTY      unknown cmd_op
 *   -EBADF       the file's access mode does not allow the command (above)
 *   -EINVAL      non-zero reserved field, unknown flag, a field that must be
 *                zero for this command is not, offset + len overflows, or
 *                len is over AIODEV_MAX_LEN
 *   -EFAULT      the buffer is not (all) user memory
 *   -EOPNOTSUPP  the command is not in a 128-byte SQE (above)
 *   -EIO         an error injected through sysfs (inject/)
 *   -ENOMEM      the kernel is out of memory
 *   -ECANCELED   the ring or its task went away with the command in flight
 *                (on kernels with cancelable commands, 6.7 and later), or
 *                a hung command's owner closed the file or exited
 *   -ETIMEDOUT   a hung command (sysfs inject/read_hang_every, ...)
 *                reached timeout_ms
 *
 * Registered buffers: set IORING_URING_CMD_FIXED in sqe->uring_cmd_flags and
 * the buffer's index in sqe->buf_index; addr and len must lie within it.
 * Polled rings (IORING_SETUP_IOPOLL) are supported; any task that polls the
 * ring completes its commands into the submitter's buffers (their pages are
 * pinned at submission).
 */
#ifndef _UAPI_LINUX_AIODEV_H
#define _UAPI_LINUX_AIODEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Raised on an incompatible change; new features only add feature bits. */
#define AIODEV_ABI_VERSION	1

/* The largest len of one command (MAX_RW_COUNT: cqe->res is 32 bits). */
#define AIODEV_MAX_LEN		0x7ffff000U

/**
 * struct aiodev_uring_cmd - the command, in the SQE's command area
 * @addr: user address of the buffer (READ, WRITE, QUERY)
 * @offset: byte offset on the device (READ, WRITE; 0 otherwise)
 * @len: bytes to move (READ, WRITE) or the buffer's size (QUERY); 0 for NOP
 * @flags: AIODEV_CMD_F_*, or 0
 * @reserved: must be 0
 */
struct aiodev_uring_cmd {
	__u64	addr;
	__u64	offset;
	__u32	len;
	__u32	flags;
	__u64	reserved[2];
};

/*
 * struct aiodev_uring_cmd.flags: a WRITE that bypasses the volatile write
 * cache, durable when it completes, as RWF_DSYNC (a WRITE on a file opened
 * O_DSYNC does too).  Only for WRITE.
 */
#define AIODEV_CMD_F_DSYNC	(1U << 0)

/* sqe->cmd_op */
#define AIODEV_URING_CMD_READ	_IOW('a', 0x01, struct aiodev_uring_cmd)
#define AIODEV_URING_CMD_WRITE	_IOW('a', 0x02, struct aiodev_uring_cmd)
/* Through the whole device pipeline (queue slot, latency), moving no data. */
#define AIODEV_URING_CMD_NOP	_IOW('a', 0x03, struct aiodev_uring_cmd)
/* Fill struct aiodev_info at addr (len bytes at most); completes at once. */
#define AIODEV_URING_CMD_QUERY	_IOW('a', 0x04, struct aiodev_uring_cmd)
/*
 * Flush the volatile write cache (AIODEV_FEAT_WRITE_CACHE): every write
 * completed before it is durable once it completes, as after fsync(2).
 * addr, offset and len must be 0.  Completes at once.
 */
#define AIODEV_URING_CMD_FLUSH	_IOW('a', 0x05, struct aiodev_uring_cmd)

/* How the device completes requests (sysfs attribute "completion"). */
enum aiodev_completion {
	AIODEV_COMPLETION_INLINE = 0,	/* in the submitter */
	AIODEV_COMPLETION_WORKQUEUE = 1,	/* from a workqueue */
	AIODEV_COMPLETION_TIMER = 2,	/* from an hrtimer */
};

/* The spread of the service time (sysfs attribute "jitter"). */
enum aiodev_jitter {
	AIODEV_JITTER_NONE = 0,		/* always latency_ns */
	AIODEV_JITTER_UNIFORM = 1,	/* uniform in [0, 2 * latency_ns] */
	AIODEV_JITTER_EXPONENTIAL = 2,	/* exponential, mean latency_ns */
};

/* struct aiodev_info.features */
#define AIODEV_FEAT_FIXED_BUFFERS	(1U << 0)	/* IORING_URING_CMD_FIXED */
#define AIODEV_FEAT_IOPOLL		(1U << 1)	/* IORING_SETUP_IOPOLL rings */
#define AIODEV_FEAT_CANCEL		(1U << 2)	/* -ECANCELED on ring exit */
/* Faults: hung requests (-ETIMEDOUT, -ECANCELED), spikes, stalls. */
#define AIODEV_FEAT_FAULTS		(1U << 3)
/* The volatile write cache: cache_size, AIODEV_URING_CMD_FLUSH. */
#define AIODEV_FEAT_WRITE_CACHE		(1U << 4)

/**
 * struct aiodev_info - what AIODEV_URING_CMD_QUERY reports
 * @abi_version: AIODEV_ABI_VERSION of the module
 * @features: AIODEV_FEAT_* this kernel and module support
 * @size: device size in bytes
 * @latency_ns: mean service time of a request
 * @bandwidth_mbps: MiB/s of the transfer bus, 0 if unlimited
 * @queue_depth: requests served at once
 * @completion: an enum aiodev_completion
 * @jitter: an enum aiodev_jitter
 * @index: N of /dev/aiodevN
 * @max_len: the largest len of one command
 * @write_latency_ns: mean service time of a write (AIODEV_FEAT_FAULTS;
 *	the same as @latency_ns unless set apart)
 * @cache_size: bytes of volatile write cache, 0 if none: writes are then
 *	durable when they complete (AIODEV_FEAT_WRITE_CACHE)
 * @timeout_ms: a hung request fails with -ETIMEDOUT after this, 0 if
 *	never (AIODEV_FEAT_FAULTS)
 * @reserved32: 0
 * @reserved: 0
 *
 * Fields may be added at the end; a shorter buffer gets a prefix.  The
 * fields after @max_len were reserved (0) before their feature bits.
 */
struct aiodev_info {
	__u32	abi_version;
	__u32	features;
	__u64	size;
	__u64	latency_ns;
	__u32	bandwidth_mbps;
	__u32	queue_depth;
	__u8	completion;
	__u8	jitter;
	__u16	index;
	__u32	max_len;
	__u64	write_latency_ns;
	__u64	cache_size;
	__u32	timeout_ms;
	__u32	reserved32;
	__u64	reserved;
};

#endif /* _UAPI_LINUX_AIODEV_H */
