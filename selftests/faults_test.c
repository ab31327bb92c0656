// SPDX-License-Identifier: GPL-2.0
/*
 * The device misbehaving on purpose: hung requests (inject/read_hang_every
 * and its siblings) and every way each interface has to end one
 * (timeout_ms, io_cancel(2), io_destroy(2), a fatal signal, close, exit,
 * ring teardown), transient bad ranges, and stall windows, in each
 * completion mode.  Timings are only ever bounded from below.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

#define MSEC 1000000ull
#define LEN 4096

FIXTURE(fault) {
	int fd;
	char buf[LEN];
	char dev[LEN];
};

FIXTURE_VARIANT(fault) {
	const char *mode;
	bool inline_mode;	/* aio and io_uring wait in the submitter */
};

FIXTURE_VARIANT_ADD(fault, inline) {
	.mode = "inline",
	.inline_mode = true,
};

FIXTURE_VARIANT_ADD(fault, workqueue) {
	.mode = "workqueue",
};

FIXTURE_VARIANT_ADD(fault, timer) {
	.mode = "timer",
};

FIXTURE_SETUP(fault)
{
	AIODEV_SETUP_OPEN(self->fd, 0);
	ASSERT_EQ(0, aiodev_reset(0, variant->mode));
	aiodev_pattern_fill(self->dev, LEN, 0, 1);
	ASSERT_EQ(LEN, pwrite(self->fd, self->dev, LEN, 0));
	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fd >= 0)
		close(self->fd);
	aiodev_reset(0, "timer");
}

/* An asynchronous interface's hung request must not block its submitter. */
#define SKIP_IF_INLINE()						\
	do {								\
		if (variant->inline_mode)				\
			SKIP(return, "inline mode: the submitter waits for its request"); \
	} while (0)

static const enum aiodev_engine engines[] = {
	AIODEV_SYNC, AIODEV_AIO, AIODEV_URING, AIODEV_CMD,
};

/* One op through @engine; its result. */
static ssize_t one_op(enum aiodev_engine engine, int fd, bool write, void *buf,
		      size_t len, off_t off)
{
	struct aiodev_op op = { .write = write, .buf = buf, .len = len,
				.off = off };
	int err = aiodev_run_ops(engine, fd, &op, 1, 1, NULL);

	return err ?: op.res;
}

/* The device at offset 0 still holds the pattern the setup wrote. */
static void expect_unchanged(struct __test_metadata *_metadata, int fd,
			     const char *what)
{
	char now[LEN];

	ASSERT_EQ(LEN, pread(fd, now, LEN, 0));
	EXPECT_EQ(-1, aiodev_pattern_check(now, LEN, 0, 1)) TH_LOG("%s", what);
}

TEST_F(fault, timeout_fails_hung_requests_with_etimedout)
{
	ASSERT_EQ(0, aiodev_set(0, "timeout_ms", "100"));
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, aiodev_set(0, "inject/write_hang_every", "1"));
	for (size_t e = 0; e < ARRAY_SIZE(engines); e++) {
		const char *name = aiodev_engine_names[engines[e]];

		memset(self->buf, 0x5a, LEN);
		EXPECT_EQ(-ETIMEDOUT, one_op(engines[e], self->fd, false,
					     self->buf, LEN, 0)) TH_LOG("%s read", name);
		EXPECT_EQ(0x5a, self->buf[0]) TH_LOG("%s: a timed out read filled the buffer", name);
		aiodev_pattern_fill(self->buf, LEN, 0, 2);
		EXPECT_EQ(-ETIMEDOUT, one_op(engines[e], self->fd, true,
					     self->buf, LEN, 0)) TH_LOG("%s write", name);
	}
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "0"));
	expect_unchanged(_metadata, self->fd, "a timed out write changed the device");
	EXPECT_EQ(8, aiodev_get(0, "stats/hung"));
	EXPECT_EQ(8, aiodev_get(0, "stats/timed_out"));
	EXPECT_EQ(4, aiodev_get(0, "stats/read_errors"));
	EXPECT_EQ(4, aiodev_get(0, "stats/write_errors"));
	EXPECT_EQ(0, aiodev_get(0, "stats/in_flight"));
}

TEST_F(fault, hang_every_picks_every_nth_in_its_direction)
{
	static const ssize_t want[] = { LEN, LEN, -ETIMEDOUT, LEN, LEN, -ETIMEDOUT };

	ASSERT_EQ(0, aiodev_set(0, "timeout_ms", "50"));
	ASSERT_EQ(0, aiodev_set(0, "inject/write_hang_every", "3"));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		EXPECT_EQ(want[i], one_op(AIODEV_SYNC, self->fd, true, self->dev,
					  LEN, 0)) TH_LOG("write %zu", i + 1);
		EXPECT_EQ(LEN, one_op(AIODEV_SYNC, self->fd, false, self->buf,
				      LEN, 0)) TH_LOG("read %zu", i + 1);
	}
	EXPECT_EQ(2, aiodev_get(0, "stats/hung"));
}

TEST_F(fault, hang_percent_all_or_none)
{
	ASSERT_EQ(0, aiodev_set(0, "timeout_ms", "50"));
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_percent", "100"));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(-ETIMEDOUT, one_op(AIODEV_AIO, self->fd, false,
					     self->buf, LEN, 0));
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_percent", "0"));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(LEN, one_op(AIODEV_AIO, self->fd, false, self->buf,
				      LEN, 0));
}

/* Submit one read or write with aio, and leave it in flight. */
static int aio_submit_one(io_context_t ctx, struct iocb *cb, int fd, bool write,
			  void *buf, size_t len, off_t off)
{
	struct iocb *cbp = cb;

	if (write)
		io_prep_pwrite(cb, fd, buf, len, off);
	else
		io_prep_pread(cb, fd, buf, len, off);
	return io_submit(ctx, 1, &cbp) == 1 ? 0 : -1;
}

/* The one event of @ctx, and its result. */
static long aio_reap_one(io_context_t ctx)
{
	struct io_event ev;

	return aiodev_getevents(ctx, 1, 1, &ev) == 1 ? (long)ev.res : -EIO;
}

TEST_F(fault, io_cancel_cancels_a_hung_aio_request)
{
	io_context_t ctx = 0;
	struct io_event ev;
	struct iocb cb;

	SKIP_IF_INLINE();
	ASSERT_EQ(0, aiodev_set(0, "inject/write_hang_every", "1"));
	ASSERT_EQ(0, io_setup(4, &ctx));
	aiodev_pattern_fill(self->buf, LEN, 0, 2);
	ASSERT_EQ(0, aio_submit_one(ctx, &cb, self->fd, true, self->buf, LEN, 0));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	/* aio delivers the event through the ring, not io_cancel's result. */
	EXPECT_EQ(-EINPROGRESS, io_cancel(ctx, &cb, &ev));
	EXPECT_EQ(-ECANCELED, aio_reap_one(ctx));
	EXPECT_EQ(0, aiodev_get(0, "stats/in_flight"));
	EXPECT_EQ(1, aiodev_get(0, "stats/cancelled"));
	expect_unchanged(_metadata, self->fd, "a cancelled write changed the device");
	/* A finished request cannot be cancelled. */
	ASSERT_EQ(0, aiodev_set(0, "inject/write_hang_every", "0"));
	ASSERT_EQ(0, aio_submit_one(ctx, &cb, self->fd, false, self->buf, LEN, 0));
	EXPECT_EQ(LEN, aio_reap_one(ctx));
	EXPECT_NE(0, io_cancel(ctx, &cb, &ev));
	io_destroy(ctx);
}

TEST_F(fault, io_destroy_cancels_hung_aio_requests)
{
	struct iocb cbs[4];
	io_context_t ctx = 0;

	SKIP_IF_INLINE();
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, io_setup(4, &ctx));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, aio_submit_one(ctx, &cbs[i], self->fd, false,
					    self->buf, LEN, 0));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 4));
	/* io_destroy(2) waits for the requests it cancels. */
	EXPECT_EQ(0, io_destroy(ctx));
	EXPECT_EQ(0, aiodev_get(0, "stats/in_flight"));
	EXPECT_EQ(4, aiodev_get(0, "stats/cancelled"));
}

/* A child submits hung requests through @engine and exits: they end. */
static void check_exit_cancels(struct __test_metadata *_metadata, int fd,
			       enum aiodev_engine engine)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static char buf[LEN];
		struct io_uring ring;
		io_context_t ctx = 0;
		struct iocb cb;

		if (engine == AIODEV_AIO) {
			if (io_setup(1, &ctx) ||
			    aio_submit_one(ctx, &cb, fd, false, buf, LEN, 0))
				_exit(1);
		} else {
			if (io_uring_queue_init(4, &ring, engine == AIODEV_CMD ?
						IORING_SETUP_SQE128 : 0))
				_exit(1);
			if (engine == AIODEV_CMD)
				aiodev_prep_cmd(io_uring_get_sqe(&ring), fd,
						AIODEV_URING_CMD_READ, buf, LEN, 0);
			else
				io_uring_prep_read(io_uring_get_sqe(&ring), fd,
						   buf, LEN, 0);
			if (io_uring_submit(&ring) != 1)
				_exit(1);
		}
		if (aiodev_wait_in_flight(0, 1))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("%s: the child could not submit", aiodev_engine_names[engine]);
	EXPECT_EQ(0, aiodev_wait_idle(0)) TH_LOG("%s", aiodev_engine_names[engine]);
	aiodev_wait_stat(0, "stats/cancelled", 1);
	EXPECT_EQ(1, aiodev_get(0, "stats/cancelled")) TH_LOG("%s", aiodev_engine_names[engine]);
}

TEST_F(fault, exit_cancels_the_tasks_hung_requests)
{
	SKIP_IF_INLINE();
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	check_exit_cancels(_metadata, self->fd, AIODEV_AIO);
	check_exit_cancels(_metadata, self->fd, AIODEV_URING);
	check_exit_cancels(_metadata, self->fd, AIODEV_CMD);
}

struct reader {
	int fd;
	char *buf;
	ssize_t res;
	int err;
};

static void *hung_reader(void *p)
{
	struct reader *r = p;

	r->res = pread(r->fd, r->buf, LEN, 0);
	r->err = errno;
	return NULL;
}

/*
 * A blocking read that hangs ends when its task closes the file (here
 * another thread of it): -ECANCELED.
 */
TEST_F(fault, close_cancels_a_hung_blocking_read)
{
	struct reader r = { .fd = aiodev_open(0, O_RDWR), .buf = self->buf };
	pthread_t t;

	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, pthread_create(&t, NULL, hung_reader, &r));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	EXPECT_EQ(0, close(r.fd));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-1, r.res);
	EXPECT_EQ(ECANCELED, r.err);
	EXPECT_EQ(1, aiodev_get(0, "stats/cancelled"));
}

TEST_F(fault, sigkill_ends_a_hung_blocking_read)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pread(self->fd, self->buf, LEN, 0);
		_exit(0);
	}
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(0, aiodev_wait_idle(0));
	EXPECT_EQ(1, aiodev_get(0, "stats/cancelled"));
}

/*
 * Closing the file ends the hung requests of the task that closes it, on
 * every asynchronous interface, with -ECANCELED; those of another task
 * that shares the file (a forked child) stay.
 */
TEST_F(fault, close_cancels_the_closers_hung_requests_only)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	io_context_t ctx = 0;
	int fd, status;
	struct iocb cb;
	pid_t pid;

	SKIP_IF_INLINE();
	fd = aiodev_open(0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, io_setup(1, &ctx));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, IORING_SETUP_SQE128));
	ASSERT_EQ(0, aio_submit_one(ctx, &cb, fd, false, self->buf, LEN, 0));
	io_uring_prep_read(io_uring_get_sqe(&ring), fd, self->buf, LEN, 0);
	aiodev_prep_cmd(io_uring_get_sqe(&ring), fd, AIODEV_URING_CMD_READ,
			self->buf, LEN, 0);
	ASSERT_EQ(2, io_uring_submit(&ring));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 3));

	/* A child that shares the file closes it and exits. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(3, aiodev_get(0, "stats/in_flight"));

	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(-ECANCELED, aio_reap_one(ctx));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(-ECANCELED, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(0, aiodev_get(0, "stats/in_flight"));
	EXPECT_EQ(3, aiodev_get(0, "stats/cancelled"));
	io_uring_queue_exit(&ring);
	io_destroy(ctx);
}

/*
 * IORING_OP_ASYNC_CANCEL reaches only what io_uring itself waits on: not a
 * read_iter or a passthrough command that a driver holds.  The request
 * stays until its file is closed.
 */
TEST_F(fault, async_cancel_cannot_reach_a_hung_request)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int fd;

	SKIP_IF_INLINE();
	fd = aiodev_open(0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, IORING_SETUP_SQE128));
	for (int cmd = 0; cmd < 2; cmd++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (cmd)
			aiodev_prep_cmd(sqe, fd, AIODEV_URING_CMD_READ,
					self->buf, LEN, 0);
		else
			io_uring_prep_read(sqe, fd, self->buf, LEN, 0);
		io_uring_sqe_set_data64(sqe, 1 + cmd);
		ASSERT_EQ(1, io_uring_submit(&ring));
		ASSERT_EQ(0, aiodev_wait_in_flight(0, 1 + cmd));
		sqe = io_uring_get_sqe(&ring);
		memset(sqe, 0, 128);
		io_uring_prep_cancel64(sqe, 1 + cmd, 0);
		io_uring_sqe_set_data64(sqe, 100);
		ASSERT_EQ(1, io_uring_submit(&ring));
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(100, cqe->user_data);
		EXPECT_TRUE(cqe->res == -ENOENT || cqe->res == -EALREADY)
			TH_LOG("%s: ASYNC_CANCEL gave %d", cmd ? "uring_cmd" : "read",
			       cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		EXPECT_EQ(1 + cmd, aiodev_get(0, "stats/in_flight"));
	}
	EXPECT_EQ(0, close(fd));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(-ECANCELED, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
}

/* Cancelable commands (6.7+): the ring's teardown ends a hung command. */
TEST_F(fault, ring_teardown_cancels_a_hung_command)
{
	struct aiodev_info info;
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	SKIP_IF_INLINE();
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, IORING_SETUP_SQE128));
	aiodev_prep_cmd(io_uring_get_sqe(&ring), self->fd,
			AIODEV_URING_CMD_QUERY, &info, sizeof(info), 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	ASSERT_EQ(sizeof(info), cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	if (!(info.features & AIODEV_FEAT_CANCEL)) {
		io_uring_queue_exit(&ring);
		SKIP(return, "no cancelable commands (Linux 6.7+)");
	}
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	aiodev_prep_cmd(io_uring_get_sqe(&ring), self->fd,
			AIODEV_URING_CMD_READ, self->buf, LEN, 0);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, aiodev_wait_idle(0));
	aiodev_wait_stat(0, "stats/cancelled", 1);
	EXPECT_EQ(1, aiodev_get(0, "stats/cancelled"));
}

/* A hung request holds its slot: the queue is full, poll() says so. */
TEST_F(fault, a_hung_request_holds_its_slot)
{
	struct iovec iov = { self->buf, LEN };
	io_context_t ctx = 0;
	struct io_event ev;
	struct iocb cb;

	SKIP_IF_INLINE();
	ASSERT_EQ(0, aiodev_set(0, "queue_depth", "1"));
	ASSERT_EQ(0, aiodev_set(0, "inject/read_hang_every", "1"));
	ASSERT_EQ(0, io_setup(1, &ctx));
	ASSERT_EQ(0, aio_submit_one(ctx, &cb, self->fd, false, self->buf, LEN, 0));
	ASSERT_EQ(0, aiodev_wait_in_flight(0, 1));
	EXPECT_EQ(-1, pwritev2(self->fd, &iov, 1, 0, RWF_NOWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EINPROGRESS, io_cancel(ctx, &cb, &ev));
	EXPECT_EQ(-ECANCELED, aio_reap_one(ctx));
	EXPECT_EQ(LEN, pwritev2(self->fd, &iov, 1, 0, RWF_NOWAIT));
	io_destroy(ctx);
}

/*
 * A transient bad range fails its first N accesses, then heals; writing
 * the attribute again re-arms it.  The other direction is not affected.
 */
TEST_F(fault, transient_bad_range_heals_after_n_accesses)
{
	for (size_t e = 0; e < ARRAY_SIZE(engines); e++) {
		const char *name = aiodev_engine_names[engines[e]];

		ASSERT_EQ(0, aiodev_set(0, "inject/read_bad_range", "100-200"));
		ASSERT_EQ(0, aiodev_set(0, "inject/read_bad_range_fails", "2"));
		EXPECT_EQ(100, one_op(engines[e], self->fd, false, self->buf,
				      100, 0)) TH_LOG("%s: before the range", name);
		for (int i = 0; i < 2; i++) {
			EXPECT_EQ(-EIO, one_op(engines[e], self->fd, false,
					       self->buf, LEN, 0)) TH_LOG("%s", name);
		}
		EXPECT_EQ(LEN, one_op(engines[e], self->fd, true, self->dev,
				      LEN, 0)) TH_LOG("%s: a write", name);
		EXPECT_EQ(LEN, one_op(engines[e], self->fd, false, self->buf,
				      LEN, 0)) TH_LOG("%s: healed", name);
		EXPECT_EQ(-1, aiodev_pattern_check(self->buf, LEN, 0, 1));
	}
}

/*
 * A request submitted in a stall window is served after it: right after
 * the window is set up (its start), a read takes at least the stall.
 */
TEST_F(fault, a_stall_window_holds_requests_back)
{
	const unsigned long long stall = 300 * MSEC;
	uint64_t start;

	ASSERT_EQ(0, aiodev_set(0, "inject/stall_period_ns", "%llu", 30000 * MSEC));
	start = aiodev_now_ns();
	ASSERT_EQ(0, aiodev_set(0, "inject/stall_ns", "%llu", stall));
	for (size_t e = 0; e < ARRAY_SIZE(engines); e++) {
		EXPECT_EQ(LEN, one_op(engines[e], self->fd, false, self->buf,
				      LEN, 0)) TH_LOG("%s", aiodev_engine_names[engines[e]]);
	}
	EXPECT_LE(start + stall, aiodev_now_ns());
	/* A stall must leave the device some of its period. */
	EXPECT_EQ(-EINVAL, aiodev_set(0, "inject/stall_ns", "%llu", 30000 * MSEC));
}

TEST_HARNESS_MAIN
