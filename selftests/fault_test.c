// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on each interface, by systematic fault injection:
 * with /proc/thread-self/fail-nth = N the Nth slab allocation of this task
 * fails, so running one request with N = 1, 2, 3... until no allocation
 * is left to fail walks every allocation on its submission path (the
 * interface's own, the device's request and its page vector; a blocking
 * read or write has none: its request lives on the submitter's stack).
 * Each run must fail cleanly (-ENOMEM, or -EAGAIN where the interface
 * says "try again") or succeed; a failed write changes nothing, a failed
 * read leaves the device as it was, and nothing leaks (run.sh scans with
 * kmemleak after each program).  Needs CONFIG_FAILSLAB (the debug
 * kernel); SKIP elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

#define FAILSLAB "/sys/kernel/debug/failslab/"
#define LEN (64 * 1024)		/* 16 pages: the page vector is allocated */
#define OFF (1024 * 1024 + 123)	/* unaligned */
#define MAX_STEPS 500

FIXTURE(fault) {
	int fd;
	int nth;		/* /proc/thread-self/fail-nth */
	uint8_t *buf;
	uint8_t *dev;		/* what the device holds at OFF */
};

FIXTURE_VARIANT(fault) {
	enum aiodev_engine engine;
	/*
	 * Whether a run must see the device's own -ENOMEM: io_uring retries a
	 * nonblocking read/write from an io-wq worker, a task that injects
	 * nothing, so there the device's allocation failure is never seen.
	 */
	bool enomem;
	/* No allocation at all: the request is on the submitter's stack. */
	bool none;
};

FIXTURE_VARIANT_ADD(fault, sync) {
	.engine = AIODEV_SYNC,
	.none = true,
};

FIXTURE_VARIANT_ADD(fault, aio) {
	.engine = AIODEV_AIO,
	.enomem = true,
};

FIXTURE_VARIANT_ADD(fault, io_uring) {
	.engine = AIODEV_URING,
	.enomem = false,
};

FIXTURE_VARIANT_ADD(fault, uring_cmd) {
	.engine = AIODEV_CMD,
	.enomem = true,
};

FIXTURE_VARIANT_ADD(fault, uring_cmd_fixed) {
	.engine = AIODEV_CMD_FIXED,
	.enomem = true,
};

FIXTURE_SETUP(fault)
{
	/* failslab fails only the Nth allocation, of any cache, silently. */
	static const char *const attrs[][2] = {
		{ FAILSLAB "probability", "0" },
		{ FAILSLAB "cache-filter", "N" },
		{ FAILSLAB "task-filter", "N" },
		{ FAILSLAB "ignore-gfp-wait", "N" },
		{ FAILSLAB "verbose", "0" },
		{ FAILSLAB "times", "-1" },
	};

	self->nth = -1;
	AIODEV_SETUP_OPEN(self->fd, 0);
	if (access(FAILSLAB "probability", W_OK))
		SKIP(return, "no " FAILSLAB ": a kernel without CONFIG_FAILSLAB");
	/*
	 * Count only the requests' allocations, not those of page faults on
	 * this program's code and data (over 9p in the test VM).
	 */
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, self->nth);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		ASSERT_EQ(0, aiodev_write_file(attrs[i][0], attrs[i][1]));
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	self->buf = malloc(LEN);
	self->dev = malloc(LEN);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->dev);
	aiodev_pattern_fill(self->dev, LEN, OFF, 0);
	ASSERT_EQ(LEN, pwrite(self->fd, self->dev, LEN, OFF));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->nth >= 0)
		close(self->nth);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	free(self->dev);
}

/* Arm fail-nth: the @n-th allocation from now fails. */
static int fail_nth(int fd, int n)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%d", n);

	return pwrite(fd, val, len, 0) == len ? 0 : -errno;
}

/* Disarm fail-nth; true if it fired (the Nth allocation happened). */
static bool fail_nth_fired(int fd)
{
	char val[16] = "";

	if (pread(fd, val, sizeof(val) - 1, 0) <= 0)
		return false;
	fail_nth(fd, 0);
	return atoi(val) == 0;
}

/*
 * One request with the Nth allocation failing, for N = 1, 2, ... until
 * the request no longer reaches an Nth allocation.  Returns how many runs
 * saw the device's own -ENOMEM.
 */
static int walk_allocations(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fault) *self,
			    const FIXTURE_VARIANT(fault) *variant, bool write)
{
	enum aiodev_engine engine = variant->engine;
	struct aiodev_op warm = { .write = write, .buf = self->buf, .len = LEN,
				  .off = OFF };
	int n, enomem = 0;

	/* Once with nothing failing: first-time allocations are made now. */
	if (write)
		memcpy(self->buf, self->dev, LEN);
	ASSERT_EQ(0, aiodev_run_ops(engine, self->fd, &warm, 1, 1, NULL));
	ASSERT_EQ(LEN, warm.res);

	for (n = 1; n <= MAX_STEPS; n++) {
		struct aiodev_op op = { .write = write, .buf = self->buf,
					.len = LEN, .off = OFF };
		bool fired;
		int ret;

		if (write)
			aiodev_pattern_fill(self->buf, LEN, OFF, n);
		ASSERT_EQ(0, fail_nth(self->nth, n));
		ret = aiodev_run_ops(engine, self->fd, &op, 1, 1, NULL);
		fired = fail_nth_fired(self->nth);

		/* The interface itself failed: the request never ran. */
		if (ret) {
			EXPECT_TRUE(ret == -ENOMEM || ret == -EAGAIN)
				TH_LOG("N=%d: %s: %s", n, aiodev_engine_names[engine],
				       strerror(-ret));
			op.res = ret;
		} else if (op.res != LEN) {
			EXPECT_TRUE(op.res == -ENOMEM || op.res == -EAGAIN)
				TH_LOG("N=%d: request: %s", n, strerror(-op.res));
			enomem += op.res == -ENOMEM;
		} else if (!write) {
			EXPECT_EQ(0, memcmp(self->buf, self->dev, LEN))
				TH_LOG("N=%d: the read returned wrong data", n);
		} else {
			memcpy(self->dev, self->buf, LEN);
		}
		/* The device holds what the completed writes wrote, no more. */
		ASSERT_EQ(LEN, pread(self->fd, self->buf, LEN, OFF));
		ASSERT_EQ(0, memcmp(self->buf, self->dev, LEN))
			TH_LOG("N=%d: the device changed (request: %zd)", n, op.res);
		ASSERT_EQ(0, aiodev_wait_idle(0));
		if (!fired) {
			/* Nothing was left to fail: the request completed. */
			EXPECT_EQ(LEN, op.res);
			break;
		}
	}
	if (variant->none) {
		EXPECT_EQ(1, n);	/* nothing to fail */
	} else {
		EXPECT_GT(n, 1);	/* there were allocations to fail */
	}
	EXPECT_GE(MAX_STEPS, n);	/* and not endlessly many */
	return enomem;
}

/*
 * Walk the request's allocations; where the variant says so, one of the
 * runs must see the device's own -ENOMEM.  How many allocations an
 * io_uring run makes before the device's is not fixed: each run sets up a
 * new ring, which the kernel files in this task's io_uring context under
 * the ring's address, and the previous ring's exit work runs when it does
 * (measured on the debug kernel: a uring_cmd run makes 70 to 76 slab
 * allocations, 88 after a pause).  So now and then the device's allocation
 * moves past the walk's N; about one walk in thirty missed it.  A new walk
 * starts over; three walks that all miss it are a failure.
 */
static void walk_until_enomem(struct __test_metadata *_metadata,
			      FIXTURE_DATA(fault) *self,
			      const FIXTURE_VARIANT(fault) *variant, bool write)
{
	int walk, enomem;

	for (walk = 1;; walk++) {
		enomem = walk_allocations(_metadata, self, variant, write);
		if (enomem || !variant->enomem || walk == 3)
			break;
		TH_LOG("walk %d missed the device's allocation; walking again", walk);
	}
	if (variant->enomem)
		EXPECT_LT(0, enomem);
}

TEST_F(fault, write_allocations)
{
	walk_until_enomem(_metadata, self, variant, true);
}

TEST_F(fault, read_allocations)
{
	walk_until_enomem(_metadata, self, variant, false);
}

TEST_HARNESS_MAIN
