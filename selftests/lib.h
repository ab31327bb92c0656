/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the aiodev selftests: the device and its sysfs
 * attributes, data patterns, and one way to run a batch of reads and writes
 * through each I/O interface (blocking, legacy aio, io_uring).
 */
#ifndef AIODEV_SELFTEST_LIB_H
#define AIODEV_SELFTEST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MIB (1024 * 1024)

/* Open /dev/aiodevN; -1 with errno on failure. */
int aiodev_open(int index, int flags);

/*
 * In a fixture setup or a test: open /dev/aiodev@index read-write into
 * @fd.  SKIP if the module is not loaded (or has fewer devices); if it
 * is, a device that does not open is a failure, not a skip.
 */
#define AIODEV_SETUP_OPEN(fd, index)					\
	do {								\
		(fd) = aiodev_open(index, O_RDWR);			\
		if ((fd) < 0 && aiodev_nr_devices() <= (index))	\
			SKIP(return, "no /dev/aiodev%d: aiodev not loaded, or fewer devices", \
			     index);					\
		ASSERT_LE(0, fd)					\
			TH_LOG("/dev/aiodev%d: %s", index, strerror(errno)); \
	} while (0)

/* How many devices the loaded module has (nr_devices); 0 if not loaded. */
int aiodev_nr_devices(void);

/*
 * Two pages of anonymous memory whose second cannot be accessed (PROT_NONE,
 * not unmapped: a ring's mmap could take the hole): a transfer from or to
 * it stops after the first page.  MAP_FAILED on failure; munmap 2 pages.
 */
void *aiodev_map_bad_second_page(size_t page);

struct io_context;
struct io_event;
/*
 * io_getevents(), waited again while interrupted (-EINTR: see
 * aiodev_run_ops()); the number of events, or -errno.
 */
int aiodev_getevents(struct io_context *ctx, long min, long nr,
		     struct io_event *events);

/*
 * Write a string to a file (sysfs, debugfs, tracefs), opened as the
 * shell's > does (O_TRUNC: tracefs's trace is cleared); 0, or -errno.
 */
int aiodev_write_file(const char *path, const char *val);
/* Read a file into @buf (newline removed); 0, or -errno. */
int aiodev_read_file(const char *path, char *buf, size_t len);
/*
 * Write a value to /sys/class/aiodev/aiodevN/ATTR (printf-style); 0, or
 * -errno as the kernel returned it.
 */
int aiodev_set(int index, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Read an attribute into @buf (newline removed); 0 or -errno. */
int aiodev_get_str(int index, const char *attr, char *buf, size_t len);
/* Read a numeric attribute; -1 if it cannot be read. */
long long aiodev_get(int index, const char *attr);

/* The device's defaults for the tests: no latency, no injected errors. */
int aiodev_reset(int index, const char *completion);

/* A reproducible pattern, a function of the device offset and a seed. */
void aiodev_pattern_fill(void *buf, size_t len, uint64_t off, unsigned int seed);
/* Index of the first byte that differs from the pattern, or -1. */
ssize_t aiodev_pattern_check(const void *buf, size_t len, uint64_t off,
			     unsigned int seed);

uint64_t aiodev_now_ns(void);

/*
 * Wait (10 s at most) until stats/in_flight of /dev/aiodevN is at least @n,
 * or (aiodev_wait_idle) 0; 0, or -1 on timeout.
 */
int aiodev_wait_in_flight(int index, int n);
int aiodev_wait_idle(int index);
/*
 * Likewise until the counter @stat (e.g. "stats/cancelled") is at least @n:
 * a request leaves in_flight when the device lets it go, and is counted
 * when it completes, later (from the worker or task work).
 */
int aiodev_wait_stat(int index, const char *stat, int n);

/* Threads of this process whose name starts with @prefix (iou-wrk...). */
int aiodev_count_threads(const char *prefix);

enum aiodev_engine {
	AIODEV_SYNC,		/* pread/pwrite */
	AIODEV_AIO,		/* io_submit/io_getevents */
	AIODEV_URING,		/* io_uring read/write */
	AIODEV_URING_IOPOLL,	/* the same on a polled ring (O_DIRECT fd) */
	AIODEV_CMD,		/* io_uring passthrough (uring_cmd) */
	AIODEV_CMD_FIXED,	/* the same from a registered buffer */
	AIODEV_CMD_IOPOLL,	/* uring_cmd on a polled ring */
	AIODEV_CMD_FIXED_IOPOLL,
};

extern const char *const aiodev_engine_names[];

struct aiodev_op {
	bool write;
	void *buf;
	size_t len;
	off_t off;
	int rw_flags;		/* RWF_* */
	ssize_t res;		/* bytes moved or -errno */
	uint64_t submit_ns;
	uint64_t done_ns;
};

/*
 * Run @n ops on @fd through @engine with up to @depth in flight, keeping
 * the queue full.  Completion order is recorded in @order if not NULL.
 * Returns 0, or -errno if the engine itself failed (not an op).  Waits
 * interrupted with EINTR are retried: when a ring goes away, io_uring
 * sends its tasks task work that interrupts their waits (TWA_SIGNAL),
 * even a wait in io_getevents().
 */
int aiodev_run_ops(enum aiodev_engine engine, int fd, struct aiodev_op *ops,
		   int n, int depth, int *order);

/* Fill an SQE (of a ring with 128-byte SQEs) with an aiodev command. */
struct io_uring_sqe;
void aiodev_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		     const void *buf, uint32_t len, uint64_t offset);

/*
 * Write then read back @n regions of random offset and size (1 byte to
 * 128 KiB, unaligned) within [@base, @base + n * 128 KiB), @depth at a
 * time.  Regions do not overlap: concurrent writes to one range are
 * unordered.  Returns 0, or -1 with what went wrong in @why.
 */
int aiodev_check_integrity(enum aiodev_engine engine, int fd, off_t base,
			   int n, int depth, unsigned int seed, char *why,
			   size_t whylen);

#endif
