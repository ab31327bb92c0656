// SPDX-License-Identifier: GPL-2.0
/*
 * The volatile write cache (cache_size, power_cut): a completed write sits
 * in the cache until a flush (fsync(2), IORING_OP_FSYNC, aio's fsync, the
 * FLUSH passthrough command, or the cache filling up); a power cut loses
 * what was not flushed; reads see the cache; RWF_DSYNC, O_DSYNC and
 * AIODEV_CMD_F_DSYNC writes bypass it.  Through every interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

#define BLOCK 4096

FIXTURE(cache) {
	int fd;
	char old[4 * BLOCK];	/* what the device held before the test wrote */
	char new[4 * BLOCK];	/* what the test writes */
	char buf[4 * BLOCK];
};

FIXTURE_SETUP(cache)
{
	AIODEV_SETUP_OPEN(self->fd, 0);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	aiodev_pattern_fill(self->old, sizeof(self->old), 0, 1);
	aiodev_pattern_fill(self->new, sizeof(self->new), 0, 2);
	ASSERT_EQ(sizeof(self->old), pwrite(self->fd, self->old, sizeof(self->old), 0));
	ASSERT_EQ(0, aiodev_set(0, "cache_size", "%d", 64 * BLOCK));
	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
}

FIXTURE_TEARDOWN(cache)
{
	if (self->fd >= 0)
		close(self->fd);
	aiodev_reset(0, "timer");
}

static void power_cut(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, aiodev_set(0, "power_cut", "1"));
}

/* The device's first @len bytes, from offset 0. */
static void read_back(struct __test_metadata *_metadata, int fd, char *buf,
		      size_t len)
{
	memset(buf, 0, len);
	ASSERT_EQ(len, pread(fd, buf, len, 0));
}

TEST_F(cache, without_a_cache_a_power_cut_loses_nothing)
{
	ASSERT_EQ(0, aiodev_set(0, "cache_size", "0"));
	ASSERT_EQ(BLOCK, pwrite(self->fd, self->new, BLOCK, 0));
	power_cut(_metadata);
	read_back(_metadata, self->fd, self->buf, BLOCK);
	EXPECT_EQ(0, memcmp(self->buf, self->new, BLOCK));
	EXPECT_EQ(0, aiodev_get(0, "stats/lost_bytes"));
}

/* Every interface writes into the cache; reads see it; a cut loses it. */
TEST_F(cache, a_power_cut_loses_unflushed_writes_of_every_interface)
{
	static const enum aiodev_engine engines[] = {
		AIODEV_SYNC, AIODEV_AIO, AIODEV_URING, AIODEV_CMD,
		AIODEV_CMD_IOPOLL,
	};

	for (size_t e = 0; e < ARRAY_SIZE(engines); e++) {
		const char *name = aiodev_engine_names[engines[e]];
		struct aiodev_op op = { .write = true, .buf = self->new + 100,
					.len = BLOCK + 1, .off = 100 };

		ASSERT_EQ(0, aiodev_run_ops(engines[e], self->fd, &op, 1, 1, NULL));
		ASSERT_EQ(BLOCK + 1, op.res) TH_LOG("%s", name);
		EXPECT_EQ(2 * BLOCK, aiodev_get(0, "stats/cache_dirty")) TH_LOG("%s", name);
		read_back(_metadata, self->fd, self->buf, 2 * BLOCK);
		EXPECT_EQ(0, memcmp(self->buf + 100, self->new + 100, BLOCK + 1))
			TH_LOG("%s: reads do not see the cache", name);
		power_cut(_metadata);
		read_back(_metadata, self->fd, self->buf, 2 * BLOCK);
		EXPECT_EQ(0, memcmp(self->buf, self->old, 2 * BLOCK))
			TH_LOG("%s: the cut kept an unflushed write", name);
		EXPECT_EQ(0, aiodev_get(0, "stats/cache_dirty"));
	}
	EXPECT_EQ(ARRAY_SIZE(engines) * 2 * BLOCK, aiodev_get(0, "stats/lost_bytes"));
}

/* How a test flushes: its result (0). */
typedef int (*flush_fn)(int fd);

static int flush_fsync(int fd)
{
	return fsync(fd) ? -errno : 0;
}

static int flush_fdatasync(int fd)
{
	return fdatasync(fd) ? -errno : 0;
}

static int flush_ring(int fd, bool cmd)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(2, &ring, cmd ? IORING_SETUP_SQE128 : 0);
	if (ret)
		return ret;
	if (cmd)
		aiodev_prep_cmd(io_uring_get_sqe(&ring), fd,
				AIODEV_URING_CMD_FLUSH, NULL, 0, 0);
	else
		io_uring_prep_fsync(io_uring_get_sqe(&ring), fd, 0);
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe) ?: cqe->res;
	io_uring_queue_exit(&ring);
	return ret;
}

static int flush_io_uring(int fd)
{
	return flush_ring(fd, false);
}

static int flush_uring_cmd(int fd)
{
	return flush_ring(fd, true);
}

static int flush_aio(int fd)
{
	struct iocb cb, *cbp = &cb;
	io_context_t ctx = 0;
	struct io_event ev;
	int ret;

	ret = io_setup(1, &ctx);
	if (ret)
		return ret;
	io_prep_fsync(&cb, fd);
	ret = io_submit(ctx, 1, &cbp);
	if (ret == 1)
		ret = aiodev_getevents(ctx, 1, 1, &ev) == 1 ? (long)ev.res : -EIO;
	io_destroy(ctx);
	return ret;
}

static void check_flush(struct __test_metadata *_metadata,
			FIXTURE_DATA(cache) *self, flush_fn flush)
{
	ASSERT_EQ(2 * BLOCK, pwrite(self->fd, self->new, 2 * BLOCK, 0));
	EXPECT_EQ(0, flush(self->fd));
	EXPECT_EQ(0, aiodev_get(0, "stats/cache_dirty"));
	EXPECT_EQ(1, aiodev_get(0, "stats/flushes"));
	power_cut(_metadata);
	read_back(_metadata, self->fd, self->buf, 2 * BLOCK);
	EXPECT_EQ(0, memcmp(self->buf, self->new, 2 * BLOCK));
	EXPECT_EQ(0, aiodev_get(0, "stats/lost_bytes"));
}

TEST_F(cache, fsync_makes_writes_durable)
{
	check_flush(_metadata, self, flush_fsync);
}

TEST_F(cache, fdatasync_makes_writes_durable)
{
	check_flush(_metadata, self, flush_fdatasync);
}

TEST_F(cache, io_uring_fsync_makes_writes_durable)
{
	check_flush(_metadata, self, flush_io_uring);
}

TEST_F(cache, aio_fsync_makes_writes_durable)
{
	check_flush(_metadata, self, flush_aio);
}

TEST_F(cache, the_flush_command_makes_writes_durable)
{
	check_flush(_metadata, self, flush_uring_cmd);
}

/* A file opened only for reading may flush, as fsync(2) allows. */
TEST_F(cache, a_read_only_file_may_flush)
{
	int ro = aiodev_open(0, O_RDONLY);

	ASSERT_LE(0, ro);
	ASSERT_EQ(BLOCK, pwrite(self->fd, self->new, BLOCK, 0));
	EXPECT_EQ(0, flush_fsync(ro));
	EXPECT_EQ(0, flush_uring_cmd(ro));
	EXPECT_EQ(2, aiodev_get(0, "stats/flushes"));
	close(ro);
}

/* One passthrough WRITE with @flags: its result. */
static int cmd_write(int fd, const void *buf, uint32_t len, uint64_t off,
		     uint32_t flags)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(2, &ring, IORING_SETUP_SQE128);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(&ring);
	aiodev_prep_cmd(sqe, fd, AIODEV_URING_CMD_WRITE, buf, len, off);
	((struct aiodev_uring_cmd *)sqe->cmd)->flags = flags;
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe) ?: cqe->res;
	io_uring_queue_exit(&ring);
	return ret;
}

/*
 * Writes that bypass the cache are durable when they complete, byte for
 * byte, even inside a block the cache holds: RWF_DSYNC, an O_DSYNC file
 * through pwrite, aio, io_uring and passthrough, and the passthrough flag.
 */
TEST_F(cache, dsync_writes_bypass_the_cache)
{
	static const struct {
		enum aiodev_engine engine;
		off_t off;
	} dsync_file[] = {
		{ AIODEV_SYNC, 1500 }, { AIODEV_AIO, 2000 },
		{ AIODEV_URING, 2500 }, { AIODEV_CMD, 3000 },
	};
	int dsync = aiodev_open(0, O_RDWR | O_DSYNC);
	struct iovec iov = { self->new + 1000, 500 };
	char want[BLOCK];

	ASSERT_LE(0, dsync);
	memcpy(want, self->old, BLOCK);
	/* An ordinary write puts the block in the cache first: lost. */
	ASSERT_EQ(10, pwrite(self->fd, self->new, 10, 0));
	ASSERT_EQ(500, pwritev2(self->fd, &iov, 1, 1000, RWF_DSYNC));
	memcpy(want + 1000, self->new + 1000, 500);
	for (size_t i = 0; i < ARRAY_SIZE(dsync_file); i++) {
		off_t off = dsync_file[i].off;
		struct aiodev_op op = { .write = true, .buf = self->new + off,
					.len = 100, .off = off };

		ASSERT_EQ(0, aiodev_run_ops(dsync_file[i].engine, dsync, &op,
					    1, 1, NULL));
		ASSERT_EQ(100, op.res) TH_LOG("%s", aiodev_engine_names[dsync_file[i].engine]);
		memcpy(want + off, self->new + off, 100);
	}
	ASSERT_EQ(100, cmd_write(self->fd, self->new + 3500, 100, 3500,
				 AIODEV_CMD_F_DSYNC));
	memcpy(want + 3500, self->new + 3500, 100);

	power_cut(_metadata);
	read_back(_metadata, self->fd, self->buf, BLOCK);
	for (int i = 0; i < BLOCK; i++) {
		ASSERT_EQ(want[i], self->buf[i]) TH_LOG("byte %d", i);
	}
	close(dsync);
}

/* A full cache flushes itself: only what came after is lost. */
TEST_F(cache, a_full_cache_flushes)
{
	ASSERT_EQ(0, aiodev_set(0, "cache_size", "%d", 2 * BLOCK));
	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
	for (int b = 0; b < 3; b++)
		ASSERT_EQ(BLOCK, pwrite(self->fd, self->new + b * BLOCK, BLOCK,
					b * BLOCK));
	EXPECT_EQ(1, aiodev_get(0, "stats/flushes"));
	EXPECT_EQ(BLOCK, aiodev_get(0, "stats/cache_dirty"));
	power_cut(_metadata);
	read_back(_metadata, self->fd, self->buf, 3 * BLOCK);
	EXPECT_EQ(0, memcmp(self->buf, self->new, 2 * BLOCK));
	EXPECT_EQ(0, memcmp(self->buf + 2 * BLOCK, self->old + 2 * BLOCK, BLOCK));
	EXPECT_EQ(BLOCK, aiodev_get(0, "stats/lost_bytes"));
}

/* Resizing the cache (to none, here) writes back what it held. */
TEST_F(cache, resizing_the_cache_flushes_it)
{
	ASSERT_EQ(BLOCK, pwrite(self->fd, self->new, BLOCK, 0));
	ASSERT_EQ(0, aiodev_set(0, "cache_size", "0"));
	EXPECT_EQ(0, aiodev_get(0, "stats/cache_dirty"));
	power_cut(_metadata);
	read_back(_metadata, self->fd, self->buf, BLOCK);
	EXPECT_EQ(0, memcmp(self->buf, self->new, BLOCK));
}

TEST_F(cache, power_cut_takes_only_1)
{
	EXPECT_EQ(-EINVAL, aiodev_set(0, "power_cut", "0"));
	EXPECT_EQ(-EINVAL, aiodev_set(0, "power_cut", "maybe"));
}

TEST_HARNESS_MAIN
