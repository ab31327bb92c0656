// SPDX-License-Identifier: GPL-2.0
/*
 * The asynchronous engine, in each completion mode (the fixture variants)
 * and through each interface: blocking pread/pwrite, legacy aio
 * (io_submit) and io_uring read/write.  Data integrity, concurrency,
 * NOWAIT and poll, queue order, error injection, statistics, lifetimes of
 * requests whose submitter closes, exits or is killed or whose CPU goes
 * offline, and latency and bandwidth as lower bounds (tests never bound
 * timings from above).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <libaio.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

#define MSEC 1000000ull

FIXTURE(dev) {
	int fd;
	off_t size;
};

FIXTURE_VARIANT(dev) {
	const char *mode;
};

FIXTURE_VARIANT_ADD(dev, inline) {
	.mode = "inline",
};

FIXTURE_VARIANT_ADD(dev, workqueue) {
	.mode = "workqueue",
};

FIXTURE_VARIANT_ADD(dev, timer) {
	.mode = "timer",
};

FIXTURE_SETUP(dev)
{
	AIODEV_SETUP_OPEN(self->fd, 0);
	ASSERT_EQ(0, aiodev_reset(0, variant->mode));
	self->size = aiodev_get(0, "size");
	ASSERT_GE(self->size, 64 * MIB);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void check_integrity(struct __test_metadata *_metadata, int fd,
			    enum aiodev_engine engine, off_t base, int n,
			    int depth, unsigned int seed)
{
	char why[256];

	ASSERT_EQ(0, aiodev_check_integrity(engine, fd, base, n, depth, seed,
					    why, sizeof(why)))
		TH_LOG("%s", why);
}

TEST_F(dev, integrity_sync)
{
	check_integrity(_metadata, self->fd, AIODEV_SYNC, 0, 128, 1, 1);
}

TEST_F(dev, integrity_aio)
{
	check_integrity(_metadata, self->fd, AIODEV_AIO, 0, 128, 32, 2);
}

TEST_F(dev, integrity_io_uring)
{
	check_integrity(_metadata, self->fd, AIODEV_URING, 0, 128, 32, 3);
}

TEST_F(dev, integrity_at_depth_above_the_device)
{
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "4"));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "20000"));
	check_integrity(_metadata, self->fd, AIODEV_AIO, 0, 64, 64, 4);
	check_integrity(_metadata, self->fd, AIODEV_URING, 0, 64, 64, 5);
}

/* Requests of several MiB (in timer mode, copied by the workqueue). */
TEST_F(dev, integrity_of_large_requests)
{
	const size_t len = 5 * MIB + 123;
	uint8_t *wbuf = malloc(2 * len), *rbuf = malloc(2 * len);
	struct aiodev_op ops[2];

	ASSERT_NE(NULL, wbuf);
	ASSERT_NE(NULL, rbuf);
	aiodev_pattern_fill(wbuf, 2 * len, 7, 9);
	for (int i = 0; i < 2; i++)
		ops[i] = (struct aiodev_op){ .write = true, .buf = wbuf + i * len,
					     .len = len, .off = 7 + i * len };
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, ops, 2, 2, NULL));
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(len, ops[i].res);
		ops[i].write = false;
		ops[i].buf = rbuf + i * len;
	}
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_URING, self->fd, ops, 2, 2, NULL));
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(len, ops[i].res);
	EXPECT_EQ(-1, aiodev_pattern_check(rbuf, 2 * len, 7, 9));
	free(wbuf);
	free(rbuf);
}

TEST_F(dev, integrity_with_o_direct)
{
	int fd = aiodev_open(0, O_RDWR | O_DIRECT);

	ASSERT_LE(0, fd) TH_LOG("O_DIRECT open: %s", strerror(errno));
	check_integrity(_metadata, fd, AIODEV_URING, 0, 32, 16, 6);
	close(fd);
}

struct thread_arg {
	struct __test_metadata *meta;
	int fd;
	int index;
};

/* Each thread checks its own region through its own interface. */
static void *integrity_thread(void *p)
{
	struct thread_arg *arg = p;

	check_integrity(arg->meta, arg->fd, arg->index % 3,
			arg->index * 4 * MIB, 24, 8, 100 + arg->index);
	return NULL;
}

TEST_F(dev, concurrent_threads_all_interfaces)
{
	struct thread_arg args[6];
	pthread_t t[6];

	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "10000"));
	for (int i = 0; i < 6; i++) {
		args[i] = (struct thread_arg){ _metadata, self->fd, i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, integrity_thread, &args[i]));
	}
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
}

/*
 * Every one of @n requests of @engine, @depth in flight, at latency @ns
 * takes at least that, by the caller's clock.
 */
static void check_latency(struct __test_metadata *_metadata, int fd,
			  enum aiodev_engine engine, unsigned long long ns,
			  int n, int depth)
{
	struct aiodev_op ops[100];
	char buf[100][512];

	ASSERT_GE(100, n);
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", ns));
	for (int i = 0; i < n; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 512, .off = i * 512 };
	ASSERT_EQ(0, aiodev_run_ops(engine, fd, ops, n, depth, NULL));
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(512, ops[i].res);
		ASSERT_LE(ns, ops[i].done_ns - ops[i].submit_ns);
	}
}

/*
 * The requests stats/latency_hist counts (*@total), and how many of them in
 * buckets from @low ns up (the return value).
 */
static long long count_latencies(struct __test_metadata *_metadata,
				 unsigned long long low, long long *total)
{
	char hist[1024], *line;
	long long from = 0;

	*total = 0;
	ASSERT_EQ(0, aiodev_get_str(0, "stats/latency_hist", hist, sizeof(hist)));
	for (line = strtok(hist, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long bucket, n;

		ASSERT_EQ(2, sscanf(line, "%llu %llu", &bucket, &n)) TH_LOG("%s", line);
		*total += n;
		if (bucket >= low)
			from += n;
	}
	return from;
}

TEST_F(dev, latency_applies_to_sync)
{
	check_latency(_metadata, self->fd, AIODEV_SYNC, 20 * MSEC, 4, 4);
}

TEST_F(dev, latency_applies_to_aio)
{
	check_latency(_metadata, self->fd, AIODEV_AIO, 20 * MSEC, 4, 4);
}

TEST_F(dev, latency_applies_to_io_uring)
{
	check_latency(_metadata, self->fd, AIODEV_URING, 20 * MSEC, 4, 4);
}

TEST_F(dev, latency_histogram_counts_every_request)
{
	long long total;

	check_latency(_metadata, self->fd, AIODEV_URING, 20 * MSEC, 4, 4);
	/* 16.8 ms: 20 ms lands at or above */
	EXPECT_EQ(4, count_latencies(_metadata, 1 << 24, &total));
	EXPECT_EQ(4, total);
}

/*
 * A request alone on its CPU, at a latency as short as the timer is late
 * waking an idle CPU (tens of microseconds under emulation), has its timer
 * armed early or at once, and the expiry spins until it is due: it still
 * completes no sooner, by the caller's clock and by the device's own.
 */
TEST_F(dev, short_latency_is_a_floor_for_a_lone_request)
{
	long long total;

	check_latency(_metadata, self->fd, AIODEV_SYNC, 50000, 100, 1);
	check_latency(_metadata, self->fd, AIODEV_AIO, 50000, 100, 1);
	check_latency(_metadata, self->fd, AIODEV_URING, 50000, 100, 1);
	/* 32.8 us: 50 us lands at or above */
	EXPECT_EQ(300, count_latencies(_metadata, 1 << 15, &total));
	EXPECT_EQ(300, total);
}

/* With one slot, the 4th of 4 requests submitted together waits 3 others. */
TEST_F(dev, queue_depth_serialises_requests)
{
	struct aiodev_op ops[4];
	char buf[4][512];

	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "1"));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 10 * MSEC));
	for (int i = 0; i < 4; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 512, .off = 0 };
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, ops, 4, 4, NULL));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(512, ops[i].res);
	ASSERT_LE(40 * MSEC, ops[3].done_ns - ops[0].submit_ns);
}

TEST_F(dev, queue_full_completes_in_submission_order)
{
	struct aiodev_op ops[16];
	char buf[16][512];
	int order[16];

	if (!strcmp(variant->mode, "inline"))
		SKIP(return, "inline mode: io_submit does each request before the next");
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "1"));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 2 * MSEC));
	for (int i = 0; i < 16; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 512, .off = i * 512 };
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, ops, 16, 16, order));
	for (int i = 0; i < 16; i++) {
		EXPECT_EQ(512, ops[i].res);
		EXPECT_EQ(i, order[i]);
	}
}

/*
 * A deeper queue starts a waiting request at once.  A is in service for
 * 5 s; B, submitted once latency is 0, waits for A's slot.  Raising
 * queue_depth starts B, which completes first: without the raise it would
 * complete after A.
 */
TEST_F(dev, raising_queue_depth_starts_waiting_requests)
{
	struct iocb cbs[2], *cbp;
	struct io_event ev;
	char buf[2][512];
	io_context_t ctx = 0;

	if (!strcmp(variant->mode, "inline"))
		SKIP(return, "inline mode: io_submit does each request before the next");
	ASSERT_EQ(0, io_setup(2, &ctx));
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "1"));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 5000 * MSEC));
	for (int i = 0; i < 2; i++) {
		io_prep_pread(&cbs[i], self->fd, buf[i], 512, 0);
		cbs[i].data = &cbs[i];
	}
	cbp = &cbs[0];
	ASSERT_EQ(1, io_submit(ctx, 1, &cbp));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "0"));
	cbp = &cbs[1];
	ASSERT_EQ(1, io_submit(ctx, 1, &cbp));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 2));
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "2"));
	ASSERT_EQ(1, aiodev_getevents(ctx, 1, 1, &ev));
	EXPECT_EQ(&cbs[1], ev.data);
	EXPECT_EQ(512, (long)ev.res);
	ASSERT_EQ(1, aiodev_getevents(ctx, 1, 1, &ev));
	EXPECT_EQ(&cbs[0], ev.data);
	EXPECT_EQ(512, (long)ev.res);
	io_destroy(ctx);
}

/* Bandwidth is shared: 2 x 2 MiB at 16 MiB/s take 250 ms whatever the depth. */
TEST_F(dev, bandwidth_limits_the_transfer)
{
	struct aiodev_op ops[2];
	uint8_t *buf = malloc(4 * MIB);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, aiodev_set(0, "bandwidth_mbps", "16"));
	for (int i = 0; i < 2; i++)
		ops[i] = (struct aiodev_op){ .buf = buf + i * 2 * MIB,
					     .len = 2 * MIB, .off = i * 2 * MIB };
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_URING, self->fd, ops, 2, 2, NULL));
	EXPECT_EQ(2 * MIB, ops[0].res);
	EXPECT_EQ(2 * MIB, ops[1].res);
	EXPECT_LE(250 * MSEC, ops[1].done_ns - ops[0].submit_ns);
	free(buf);
}

/* One op at a time, so the device sees them in this order. */
static void run_one_by_one(struct __test_metadata *_metadata, int fd,
			   enum aiodev_engine engine, struct aiodev_op *ops,
			   int n)
{
	ASSERT_EQ(0, aiodev_run_ops(engine, fd, ops, n, 1, NULL));
}

/*
 * inject/{read,write}_every=3: requests 3, 6, 9 of that direction fail
 * with EIO; those of the other direction do not.
 */
static void check_inject_every(struct __test_metadata *_metadata, int fd,
			       enum aiodev_engine engine, bool write)
{
	const char *dir = write ? "write" : "read";
	struct aiodev_op ops[9];
	char buf[9][256], attr[32];

	snprintf(attr, sizeof(attr), "inject/%s_every", dir);
	ASSERT_EQ(0, aiodev_set(0, attr, "3"));
	for (int i = 0; i < 9; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 256,
					     .off = i * 256, .write = write };
	run_one_by_one(_metadata, fd, engine, ops, 9);
	for (int i = 0; i < 9; i++) {
		EXPECT_EQ(i % 3 == 2 ? -EIO : 256, ops[i].res)
			TH_LOG("%s %d", dir, i);
	}
	for (int i = 0; i < 9; i++)
		ops[i].write = !write;
	run_one_by_one(_metadata, fd, engine, ops, 9);
	for (int i = 0; i < 9; i++) {
		EXPECT_EQ(256, ops[i].res) TH_LOG("%s %d", write ? "read" : "write", i);
	}
	EXPECT_EQ(write ? 0 : 3, aiodev_get(0, "stats/read_errors"));
	EXPECT_EQ(write ? 3 : 0, aiodev_get(0, "stats/write_errors"));
	ASSERT_EQ(0, aiodev_set(0, attr, "0"));
	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
}

TEST_F(dev, inject_every_nth_sync)
{
	check_inject_every(_metadata, self->fd, AIODEV_SYNC, false);
	check_inject_every(_metadata, self->fd, AIODEV_SYNC, true);
}

TEST_F(dev, inject_every_nth_aio)
{
	check_inject_every(_metadata, self->fd, AIODEV_AIO, false);
	check_inject_every(_metadata, self->fd, AIODEV_AIO, true);
}

TEST_F(dev, inject_every_nth_io_uring)
{
	check_inject_every(_metadata, self->fd, AIODEV_URING, false);
	check_inject_every(_metadata, self->fd, AIODEV_URING, true);
}

/* A rejected configuration write changes nothing, not even the count. */
TEST_F(dev, rejected_value_keeps_the_every_nth_count)
{
	char buf[512];

	ASSERT_EQ(0, aiodev_set(0, "inject/read_every", "2"));
	EXPECT_EQ(sizeof(buf), pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-EINVAL, aiodev_set(0, "latency_ns", "junk"));
	EXPECT_EQ(-1, pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EIO, errno);
}

/*
 * A bad range fails the writes that touch it, and a failed write leaves the
 * data as it was; reads are not affected by a write bad range.
 */
static void check_inject_range(struct __test_metadata *_metadata, int fd,
			       enum aiodev_engine engine)
{
	const off_t bad = 8 * MIB;
	char old[8192], buf[8192];
	struct aiodev_op ops[4] = {
		{ .write = true, .buf = buf, .len = 1024, .off = bad - 512 },
		{ .write = true, .buf = buf, .len = 4096, .off = bad - 4096 },
		{ .write = true, .buf = buf, .len = 4096, .off = bad + 4096 },
		{ .write = true, .buf = buf, .len = 1, .off = bad + 4095 },
	};

	aiodev_pattern_fill(old, sizeof(old), bad - 4096, 7);
	ASSERT_EQ(sizeof(old), pwrite(fd, old, sizeof(old), bad - 4096));
	ASSERT_EQ(0, aiodev_set(0, "inject/write_bad_range", "%lld-%lld",
				(long long)bad, (long long)bad + 4096));
	memset(buf, 0x5a, sizeof(buf));
	run_one_by_one(_metadata, fd, engine, ops, 4);
	EXPECT_EQ(-EIO, ops[0].res);
	EXPECT_EQ(4096, ops[1].res);
	EXPECT_EQ(4096, ops[2].res);
	EXPECT_EQ(-EIO, ops[3].res);
	/* The range itself still holds the old data. */
	ASSERT_EQ(4096, pread(fd, buf, 4096, bad));
	EXPECT_EQ(-1, aiodev_pattern_check(buf, 4096, bad, 7));
	ASSERT_EQ(0, aiodev_set(0, "inject/write_bad_range", "none"));
	EXPECT_EQ(1024, pwrite(fd, buf, 1024, bad - 512));
}

/* A read bad range fails the reads that touch it, and no write. */
static void check_inject_read_range(struct __test_metadata *_metadata, int fd,
				    enum aiodev_engine engine)
{
	const off_t bad = 8 * MIB;
	char buf[4096];
	struct aiodev_op ops[4] = {
		{ .buf = buf, .len = 1024, .off = bad - 512 },
		{ .buf = buf, .len = 4096, .off = bad - 4096 },
		{ .buf = buf, .len = 4096, .off = bad + 4096 },
		{ .write = true, .buf = buf, .len = 4096, .off = bad },
	};

	ASSERT_EQ(0, aiodev_set(0, "inject/read_bad_range", "%lld-%lld",
				(long long)bad, (long long)bad + 4096));
	run_one_by_one(_metadata, fd, engine, ops, 4);
	EXPECT_EQ(-EIO, ops[0].res);
	EXPECT_EQ(4096, ops[1].res);
	EXPECT_EQ(4096, ops[2].res);
	EXPECT_EQ(4096, ops[3].res);
	ASSERT_EQ(0, aiodev_set(0, "inject/read_bad_range", "none"));
	EXPECT_EQ(1024, pread(fd, buf, 1024, bad - 512));
}

TEST_F(dev, inject_bad_range_sync)
{
	check_inject_range(_metadata, self->fd, AIODEV_SYNC);
	check_inject_read_range(_metadata, self->fd, AIODEV_SYNC);
}

TEST_F(dev, inject_bad_range_aio)
{
	check_inject_range(_metadata, self->fd, AIODEV_AIO);
	check_inject_read_range(_metadata, self->fd, AIODEV_AIO);
}

TEST_F(dev, inject_bad_range_io_uring)
{
	check_inject_range(_metadata, self->fd, AIODEV_URING);
	check_inject_read_range(_metadata, self->fd, AIODEV_URING);
}

TEST_F(dev, inject_percent_all_or_none)
{
	struct aiodev_op ops[8];
	char buf[8][64];

	for (int i = 0; i < 8; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 64, .off = i * 64 };
	ASSERT_EQ(0, aiodev_set(0, "inject/read_percent", "100"));
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_URING, self->fd, ops, 8, 8, NULL));
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(-EIO, ops[i].res);
	ASSERT_EQ(0, aiodev_set(0, "inject/read_percent", "0"));
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, ops, 8, 8, NULL));
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(64, ops[i].res);
}

TEST_F(dev, stats_add_up_when_idle)
{
	struct aiodev_op ops[10];
	char buf[10][8192];
	char hist[1024], *line;
	long long total = 0;

	for (int i = 0; i < 10; i++)
		ops[i] = (struct aiodev_op){ .buf = buf[i], .len = 4096, .off = i * 8192 };
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_SYNC, self->fd, ops, 10, 1, NULL));
	for (int i = 0; i < 7; i++) {
		ops[i].write = true;
		ops[i].len = 8192;
	}
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, ops, 7, 4, NULL));
	for (int i = 0; i < 5; i++) {
		ops[i].write = false;
		ops[i].len = 512;
	}
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_URING, self->fd, ops, 5, 4, NULL));

	EXPECT_EQ(15, aiodev_get(0, "stats/reads"));
	EXPECT_EQ(7, aiodev_get(0, "stats/writes"));
	EXPECT_EQ(10 * 4096 + 5 * 512, aiodev_get(0, "stats/read_bytes"));
	EXPECT_EQ(7 * 8192, aiodev_get(0, "stats/write_bytes"));
	EXPECT_EQ(0, aiodev_get(0, "stats/read_errors"));
	EXPECT_EQ(0, aiodev_get(0, "stats/write_errors"));
	EXPECT_EQ(0, aiodev_get(0, "stats/in_flight"));
	EXPECT_EQ(0, aiodev_get(0, "stats/eagain"));
	EXPECT_LE(1, aiodev_get(0, "stats/max_in_flight"));
	EXPECT_GE(4, aiodev_get(0, "stats/max_in_flight"));
	ASSERT_EQ(0, aiodev_get_str(0, "stats/latency_hist", hist, sizeof(hist)));
	for (line = strtok(hist, "\n"); line; line = strtok(NULL, "\n"))
		total += strtoll(strchr(line, ' '), NULL, 10);
	EXPECT_EQ(22, total);
}

/*
 * Wait (10 s at most) until task @pid (a process or a thread) is in @state
 * ('S' asleep, 'D' asleep uninterruptibly, as a killable wait shows): 0,
 * or -1.
 */
static int wait_for_state(pid_t pid, char state)
{
	char path[64], stat[256], *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");

		if (!f)
			return -1;
		s = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
		fclose(f);
		if (s && s[1] == ' ' && s[2] == state)
			return 0;
		usleep(5000);
	}
	return -1;
}

/* Holds the device's only slot with a blocking read until it completes. */
static void *slot_holder(void *p)
{
	int fd = *(int *)p;
	char buf[512];

	return (void *)(intptr_t)pread(fd, buf, sizeof(buf), 0);
}

static void hold_the_slot(struct __test_metadata *_metadata, int *fd,
			  pthread_t *t)
{
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "1"));
	/* Long enough for the caller's checks on a slow, loaded VM. */
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 2000 * MSEC));
	ASSERT_EQ(0, pthread_create(t, NULL, slot_holder, fd));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
}

TEST_F(dev, rwf_nowait_on_a_full_device_is_eagain)
{
	struct aiodev_op op = { .len = 512 };
	char buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	pthread_t t;
	void *res;

	op.buf = buf;
	op.rw_flags = RWF_NOWAIT;
	hold_the_slot(_metadata, &self->fd, &t);
	EXPECT_EQ(-1, preadv2(self->fd, &iov, 1, 0, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_AIO, self->fd, &op, 1, 1, NULL));
	EXPECT_EQ(-EAGAIN, op.res);
	ASSERT_EQ(0, pthread_join(t, &res));
	EXPECT_EQ(512, (intptr_t)res);
	EXPECT_EQ(2, aiodev_get(0, "stats/eagain"));
	/* A free slot takes a NOWAIT request. */
	EXPECT_EQ(512, preadv2(self->fd, &iov, 1, 0, RWF_NOWAIT));
}

TEST_F(dev, o_nonblock_and_poll_follow_the_queue)
{
	int nb = aiodev_open(0, O_RDWR | O_NONBLOCK);
	struct pollfd pfd = { .fd = nb, .events = POLLIN | POLLOUT };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int ep = epoll_create1(0);
	char buf[512];
	pthread_t t;

	ASSERT_LE(0, nb);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, nb, &ev));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);

	hold_the_slot(_metadata, &self->fd, &t);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(-1, read(nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* The slot frees when the holder's read completes. */
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 10000));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, ev.events);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(512, pread(nb, buf, sizeof(buf), 0));
	close(ep);
	close(nb);
}

struct raiser_arg {
	pid_t tid;
	int ret;
};

/* Once the test's thread sleeps in poll(), give the device a second slot. */
static void *raise_queue_depth(void *p)
{
	struct raiser_arg *arg = p;

	arg->ret = wait_for_state(arg->tid, 'S') ?:
		   aiodev_set(0, "queue_depth", "2");
	return NULL;
}

/* A deeper queue wakes poll(): the slot holder is still in service. */
TEST_F(dev, raising_queue_depth_wakes_poll)
{
	int nb = aiodev_open(0, O_RDWR | O_NONBLOCK);
	struct pollfd pfd = { .fd = nb, .events = POLLOUT };
	struct raiser_arg arg = { .tid = gettid() };
	pthread_t t, r;

	ASSERT_LE(0, nb);
	hold_the_slot(_metadata, &self->fd, &t);
	ASSERT_EQ(0, pthread_create(&r, NULL, raise_queue_depth, &arg));
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(1, aiodev_get(0, "stats/in_flight"));
	ASSERT_EQ(0, pthread_join(r, NULL));
	EXPECT_EQ(0, arg.ret);
	ASSERT_EQ(0, pthread_join(t, NULL));
	close(nb);
}

/*
 * A buffer whose second page cannot be accessed: the transfer stops there,
 * short, through aio and io_uring as through pread/pwrite (rw_test).
 */
TEST_F(dev, bad_buffer_part_way_is_short)
{
	static const enum aiodev_engine engines[] = { AIODEV_AIO, AIODEV_URING };
	const size_t page = sysconf(_SC_PAGESIZE);
	uint8_t *map = aiodev_map_bad_second_page(page);

	ASSERT_NE(MAP_FAILED, map);
	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		struct aiodev_op w = { .write = true, .buf = map, .len = 2 * page,
				       .off = MIB };
		struct aiodev_op r = { .buf = map, .len = 2 * page, .off = MIB };

		aiodev_pattern_fill(map, page, MIB, 40 + e);
		ASSERT_EQ(0, aiodev_run_ops(engines[e], self->fd, &w, 1, 1, NULL));
		EXPECT_EQ((ssize_t)page, w.res) TH_LOG("%s write", aiodev_engine_names[engines[e]]);
		memset(map, 0, page);
		ASSERT_EQ(0, aiodev_run_ops(engines[e], self->fd, &r, 1, 1, NULL));
		EXPECT_EQ((ssize_t)page, r.res) TH_LOG("%s read", aiodev_engine_names[engines[e]]);
		EXPECT_EQ(-1, aiodev_pattern_check(map, page, MIB, 40 + e));
	}
	munmap(map, 2 * page);
}

/*
 * O_NONBLOCK and RWF_NOWAIT refuse only the wait for a slot, what poll()
 * can end: a buffer whose pages are not in memory yet is faulted in,
 * through aio and io_uring alike, as the block layer's direct I/O does.
 */
TEST_F(dev, nowait_faults_buffers_in)
{
	static const enum aiodev_engine engines[] = { AIODEV_AIO, AIODEV_URING };
	int nb = aiodev_open(0, O_RDWR | O_NONBLOCK);
	const size_t len = 64 * 1024;

	ASSERT_LE(0, nb);
	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		for (int i = 0; i < 4; i++) {
			bool write = i & 1, rwf = i & 2;
			/* Fresh anonymous memory: not one page present. */
			void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			struct aiodev_op op = { .buf = buf, .len = len,
						.off = MIB, .write = write,
						.rw_flags = rwf ? RWF_NOWAIT : 0 };

			ASSERT_NE(MAP_FAILED, buf);
			ASSERT_EQ(0, aiodev_run_ops(engines[e], rwf ? self->fd : nb,
						    &op, 1, 1, NULL));
			EXPECT_EQ((ssize_t)len, op.res)
				TH_LOG("%s %s %s: %s", aiodev_engine_names[engines[e]],
				       rwf ? "RWF_NOWAIT" : "O_NONBLOCK",
				       write ? "write" : "read", strerror(-op.res));
			munmap(buf, len);
		}
	}
	EXPECT_EQ(0, aiodev_get(0, "stats/eagain"));
	close(nb);
}

/*
 * With no more in flight than the device's queue depth, io_uring issues
 * every request inline with IOCB_NOWAIT and never needs io-wq workers (in
 * inline mode, because the submitter does the work itself), even with
 * buffers whose pages are not in memory yet, as fio's are at first.
 */
TEST_F(dev, io_uring_within_queue_depth_needs_no_workers)
{
	const size_t len = 400 * 4096;
	struct aiodev_op *ops = calloc(400, sizeof(*ops));
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(NULL, ops);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", MSEC));
	for (int i = 0; i < 400; i++)
		ops[i] = (struct aiodev_op){ .buf = buf + i * 4096, .len = 4096,
					     .off = i * 4096, .write = i & 1 };
	/* As many in flight as the device has slots (aiodev_reset(): 32). */
	ASSERT_EQ(0, aiodev_run_ops(AIODEV_URING, self->fd, ops, 400, 32, NULL));
	for (int i = 0; i < 400; i++)
		ASSERT_EQ(4096, ops[i].res);
	EXPECT_EQ(0, aiodev_count_threads("iou-wrk"));
	EXPECT_EQ(0, aiodev_get(0, "stats/eagain"));
	free(ops);
	munmap(buf, len);
}

/* Submits @n aio and @n io_uring reads; returns with them in flight. */
static int submit_and_leave(int fd, int n, io_context_t *ctx,
			    struct io_uring *ring, char *buf)
{
	struct iocb *cbs = calloc(n, sizeof(*cbs));

	if (!cbs || io_setup(n, ctx) || io_uring_queue_init(n, ring, 0))
		return -1;
	for (int i = 0; i < n; i++) {
		struct iocb *cb = &cbs[i];
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		io_prep_pread(cb, fd, buf + i * 4096, 4096, i * 4096);
		if (io_submit(*ctx, 1, &cb) != 1)
			return -1;
		io_uring_prep_read(sqe, fd, buf + (n + i) * 4096, 4096, i * 4096);
	}
	return io_uring_submit(ring) == n ? 0 : -1;
}

/* The file is closed with requests in flight: they still complete. */
TEST_F(dev, close_with_requests_in_flight)
{
	char *buf = calloc(16, 4096);
	struct io_event events[8];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	io_context_t ctx = 0;
	int fd = aiodev_open(0, O_RDWR), got = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 100 * MSEC));
	ASSERT_EQ(0, submit_and_leave(fd, 8, &ctx, &ring, buf));
	ASSERT_EQ(0, close(fd));
	while (got < 8) {
		int n = aiodev_getevents(ctx, 1, 8, events);

		ASSERT_LT(0, n);
		for (int i = 0; i < n; i++)
			EXPECT_EQ(4096, (long)events[i].res);
		got += n;
	}
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(4096, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	io_destroy(ctx);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, aiodev_wait_idle(0));
	free(buf);
}

/*
 * A request in flight holds the device's file, so unloading is refused
 * even after the submitter closed it (delete_module() straight away: the
 * request has three seconds to run).
 */
TEST_F(dev, rmmod_is_refused_while_a_request_holds_the_device)
{
	char *buf = calloc(2, 4096);
	struct io_event event;
	struct io_uring ring;
	io_context_t ctx = 0;
	int fd = aiodev_open(0, O_RDWR);

	if (!strcmp(variant->mode, "inline"))
		SKIP(return, "inline mode completes requests before submission returns");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 3000 * MSEC));
	ASSERT_EQ(0, submit_and_leave(fd, 1, &ctx, &ring, buf));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "aiodev", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(1, aiodev_getevents(ctx, 1, 1, &event));
	EXPECT_EQ(4096, (long)event.res);
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
	free(buf);
}

/* The ring and the aio context go away with requests in flight. */
TEST_F(dev, teardown_with_requests_in_flight)
{
	char *buf = calloc(32, 4096);
	struct io_uring ring;
	io_context_t ctx = 0;

	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 100 * MSEC));
	ASSERT_EQ(0, submit_and_leave(self->fd, 16, &ctx, &ring, buf));
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
	EXPECT_EQ(0, aiodev_wait_idle(0));
	EXPECT_EQ(4096, pread(self->fd, buf, 4096, 0));
	free(buf);
}

/*
 * A child with aio and io_uring requests in flight (not in inline mode,
 * where they complete in the submitter) and blocked in a read, exits
 * (@sig 0) or is killed by @sig.  The device drains and works on; on the
 * debug kernel KASAN, lockdep and kmemleak watch the rest.
 */
static void check_child_death(struct __test_metadata *_metadata, int fd,
			      int sig)
{
	int ready[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 200 * MSEC));
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "4"));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *buf = calloc(16, 4096);
		struct io_uring ring;
		io_context_t ctx = 0;

		if (submit_and_leave(fd, 6, &ctx, &ring, buf) ||
		    write(ready[1], "x", 1) != 1)
			_exit(1);
		if (!sig)
			_exit(0);
		for (;;)
			pread(fd, buf, 4096, 0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	if (sig) {
		/* Its requests in flight, and the child asleep in its read. */
		ASSERT_EQ(0, wait_for_state(pid, 'D'));
		ASSERT_EQ(0, kill(pid, sig));
	}
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(0, aiodev_wait_idle(0));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "0"));
	check_integrity(_metadata, fd, AIODEV_URING, 0, 8, 8, 9);
}

TEST_F(dev, exit_with_requests_in_flight)
{
	check_child_death(_metadata, self->fd, 0);
}

TEST_F(dev, sigkill_with_requests_in_flight)
{
	check_child_death(_metadata, self->fd, SIGKILL);
}

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

/*
 * Submit @n aio and @n io_uring reads of the pattern at offset 0 from CPU 1
 * into @buf; return with them in flight (see submit_and_leave()), and this
 * thread allowed on every CPU again.
 */
static void submit_from_cpu1(struct __test_metadata *_metadata, int fd,
			     int n, io_context_t *ctx, struct io_uring *ring,
			     char *buf)
{
	cpu_set_t all, one;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, submit_and_leave(fd, n, ctx, ring, buf));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 2 * n));
}

/* Reap what submit_from_cpu1() submitted, and check every read's data. */
static void reap_from_cpu1(struct __test_metadata *_metadata, int n,
			   io_context_t ctx, struct io_uring *ring,
			   const char *buf)
{
	struct io_uring_cqe *cqe;
	struct io_event event;

	for (int i = 0; i < n; i++) {
		ASSERT_EQ(1, aiodev_getevents(ctx, 1, 1, &event));
		EXPECT_EQ(4096, (long)event.res);
		ASSERT_EQ(0, io_uring_wait_cqe(ring, &cqe));
		EXPECT_EQ(4096, cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
	for (int i = 0; i < 2 * n; i++)
		EXPECT_EQ(-1, aiodev_pattern_check(buf + i * 4096, 4096,
						   (i % n) * 4096, 11));
	io_destroy(ctx);
	io_uring_queue_exit(ring);
}

/*
 * Requests in flight on a CPU that goes offline: the hrtimer core moves
 * that CPU's timers, its queue's among them, to a CPU still online, which
 * completes them.  Back online, the CPU's submissions arm its queue's timer
 * where it now is.  Nothing is lost, and no splat (the runner's dmesg
 * check; on the debug kernel, lockdep and KASAN).
 */
TEST_F(dev, requests_in_flight_survive_their_cpu_going_offline)
{
	struct io_uring ring;
	io_context_t ctx = 0;
	long long in_flight;
	char *buf, state[8];
	int idle;

	if (!strcmp(variant->mode, "inline"))
		SKIP(return, "inline mode completes requests before submission returns");
	if (aiodev_read_file(CPU1_ONLINE, state, sizeof(state)) ||
	    strcmp(state, "1"))
		SKIP(return, "no CPU 1 to take offline (%s)", CPU1_ONLINE);
	buf = malloc(16 * 4096);
	ASSERT_NE(NULL, buf);
	aiodev_pattern_fill(buf, 8 * 4096, 0, 11);
	ASSERT_EQ(8 * 4096, pwrite(self->fd, buf, 8 * 4096, 0));
	memset(buf, 0, 16 * 4096);
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", 1000 * MSEC));
	submit_from_cpu1(_metadata, self->fd, 8, &ctx, &ring, buf);
	ASSERT_EQ(0, aiodev_write_file(CPU1_ONLINE, "0"));
	/* Offline in tens of milliseconds: a second is ample. */
	in_flight = aiodev_get(0, "stats/in_flight");
	idle = aiodev_wait_idle(0);
	ASSERT_EQ(0, aiodev_write_file(CPU1_ONLINE, "1"));
	ASSERT_EQ(16, in_flight) TH_LOG("CPU 1 went offline after its requests completed");
	ASSERT_EQ(0, idle);
	reap_from_cpu1(_metadata, 8, ctx, &ring, buf);

	memset(buf, 0, 16 * 4096);
	ctx = 0;
	submit_from_cpu1(_metadata, self->fd, 8, &ctx, &ring, buf);
	EXPECT_EQ(0, aiodev_wait_idle(0));
	reap_from_cpu1(_metadata, 8, ctx, &ring, buf);
	free(buf);
}

/* Configuration changes under load are safe and never corrupt data. */
struct churn_arg {
	volatile bool stop;
	int changes;		/* rounds of changes the device took */
	int failed;		/* changes it refused: none should be */
};

static void *churn(void *p)
{
	static const char *const modes[] = { "inline", "workqueue", "timer" };
	static const char *const jitters[] = { "none", "uniform", "exponential" };
	struct churn_arg *arg = p;

	srand(42);
	while (!arg->stop) {
		int ret = aiodev_set(0, "queue_depth", "%d", 1 + rand() % 64) ||
			  aiodev_set(0, "latency_ns", "%d", rand() % 200000) ||
			  aiodev_set(0, "completion", "%s", modes[rand() % 3]) ||
			  aiodev_set(0, "jitter", "%s", jitters[rand() % 3]) ||
			  aiodev_set(0, "bandwidth_mbps", "%d", rand() % 2 ? 0 : 1000);

		if (ret)
			arg->failed++;
		else
			arg->changes++;
		usleep(2000);
	}
	return NULL;
}

TEST_F(dev, config_changes_under_load)
{
	struct churn_arg churn_arg = { 0 };
	struct thread_arg args[3];
	pthread_t t[3], c;

	ASSERT_EQ(0, pthread_create(&c, NULL, churn, &churn_arg));
	for (int i = 0; i < 3; i++) {
		args[i] = (struct thread_arg){ _metadata, self->fd, i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, integrity_thread, &args[i]));
	}
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	churn_arg.stop = true;
	ASSERT_EQ(0, pthread_join(c, NULL));
	EXPECT_LT(0, churn_arg.changes);
	EXPECT_EQ(0, churn_arg.failed);
	EXPECT_EQ(0, aiodev_wait_idle(0));
}

TEST_HARNESS_MAIN
