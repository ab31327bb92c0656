// SPDX-License-Identifier: GPL-2.0
/*
 * The file's access mode decides what it may do, on every interface: a
 * read needs a file opened for reading, a write one opened for writing,
 * whether it goes through read_iter (read, pread, readv, preadv2, aio,
 * io_uring) or io_uring passthrough, which the VFS does not check.  NOP
 * and FLUSH need either, QUERY any open file (even access mode 3, for
 * ioctls only).
 * A refused request fails with EBADF and changes nothing: no data moves,
 * no statistic counts it.  Each test runs in every completion mode.
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

#define LEN	8192		/* two pages, O_DIRECT-aligned */
#define OFF	(4 * MIB)

/* How the ring of an io_uring interface is set up and used. */
enum {
	RING_FIXED = 1 << 0,	/* a registered buffer */
	RING_IOPOLL = 1 << 1,	/* a polled ring (an O_DIRECT file) */
	RING_VEC = 1 << 2,	/* READV/WRITEV */
};

/* Bytes moved, or -errno: the io function of each interface. */
typedef ssize_t (*io_fn)(int fd, bool wr, void *buf, size_t len, off_t off);

static ssize_t io_read(int fd, bool wr, void *buf, size_t len, off_t off)
{
	ssize_t ret;

	if (lseek(fd, off, SEEK_SET) != off)
		return -errno;
	ret = wr ? write(fd, buf, len) : read(fd, buf, len);
	return ret < 0 ? -errno : ret;
}

static ssize_t io_pread(int fd, bool wr, void *buf, size_t len, off_t off)
{
	ssize_t ret = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);

	return ret < 0 ? -errno : ret;
}

/* Two iovecs, so the vectored paths see more than one segment. */
static ssize_t io_readv(int fd, bool wr, void *buf, size_t len, off_t off)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len / 2 } };
	ssize_t ret;

	if (lseek(fd, off, SEEK_SET) != off)
		return -errno;
	ret = wr ? writev(fd, iov, 2) : readv(fd, iov, 2);
	return ret < 0 ? -errno : ret;
}

static ssize_t io_preadv2(int fd, bool wr, void *buf, size_t len, off_t off)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len / 2 } };
	ssize_t ret = wr ? pwritev2(fd, iov, 2, off, 0) :
			      preadv2(fd, iov, 2, off, 0);

	return ret < 0 ? -errno : ret;
}

static ssize_t io_aio_any(int fd, bool wr, void *buf, size_t len, off_t off,
			  bool vec)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len / 2 } };
	struct iocb cb, *cbp = &cb;
	struct io_event ev;
	io_context_t ctx = 0;
	int ret;

	ret = io_setup(1, &ctx);
	if (ret)
		return ret;
	if (vec && wr)
		io_prep_pwritev(&cb, fd, iov, 2, off);
	else if (vec)
		io_prep_preadv(&cb, fd, iov, 2, off);
	else if (wr)
		io_prep_pwrite(&cb, fd, buf, len, off);
	else
		io_prep_pread(&cb, fd, buf, len, off);
	ret = io_submit(ctx, 1, &cbp);
	if (ret == 1)
		ret = aiodev_getevents(ctx, 1, 1, &ev) == 1 ? (long)ev.res : -EIO;
	io_destroy(ctx);
	return ret;
}

static ssize_t io_aio(int fd, bool wr, void *buf, size_t len, off_t off)
{
	return io_aio_any(fd, wr, buf, len, off, false);
}

static ssize_t io_aio_vec(int fd, bool wr, void *buf, size_t len, off_t off)
{
	return io_aio_any(fd, wr, buf, len, off, true);
}

/*
 * One SQE on a new ring: io_uring read/write (@op 0) or passthrough @op,
 * set up as @how says.  The CQE's result, or -errno of the setup.
 */
static ssize_t io_ring(int fd, bool wr, void *buf, size_t len, off_t off,
		       uint32_t op, unsigned int how)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len / 2 } };
	unsigned int flags = (op ? IORING_SETUP_SQE128 : 0) |
			     (how & RING_IOPOLL ? IORING_SETUP_IOPOLL : 0);
	struct iovec whole = { buf, len };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, flags);
	if (ret)
		return ret;
	if (how & RING_FIXED) {
		ret = io_uring_register_buffers(&ring, &whole, 1);
		if (ret)
			goto out;
	}
	sqe = io_uring_get_sqe(&ring);
	if (op) {
		aiodev_prep_cmd(sqe, fd, op, buf, len, off);
		if (how & RING_FIXED)
			sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	} else if (how & RING_FIXED) {
		if (wr)
			io_uring_prep_write_fixed(sqe, fd, buf, len, off, 0);
		else
			io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
	} else if (how & RING_VEC) {
		if (wr)
			io_uring_prep_writev(sqe, fd, iov, 2, off);
		else
			io_uring_prep_readv(sqe, fd, iov, 2, off);
	} else if (wr) {
		io_uring_prep_write(sqe, fd, buf, len, off);
	} else {
		io_uring_prep_read(sqe, fd, buf, len, off);
	}
	ret = io_uring_submit(&ring);
	if (ret != 1) {
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}
	do
		ret = io_uring_wait_cqe(&ring, &cqe);
	while (ret == -EINTR);
	if (!ret) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
out:
	io_uring_queue_exit(&ring);
	return ret;
}

#define RING_IO(name, how)						\
	static ssize_t name(int fd, bool wr, void *buf, size_t len,	\
			    off_t off)					\
	{								\
		return io_ring(fd, wr, buf, len, off, 0, how);	\
	}								\
	static ssize_t name##_cmd(int fd, bool wr, void *buf,	\
				  size_t len, off_t off)		\
	{								\
		return io_ring(fd, wr, buf, len, off, wr ?	\
			       AIODEV_URING_CMD_WRITE :			\
			       AIODEV_URING_CMD_READ, how);		\
	}

RING_IO(io_uring, 0)
RING_IO(io_uring_fixed, RING_FIXED)
RING_IO(io_uring_iopoll, RING_IOPOLL)
RING_IO(io_uring_fixed_iopoll, RING_FIXED | RING_IOPOLL)

static ssize_t io_uring_vec(int fd, bool wr, void *buf, size_t len, off_t off)
{
	return io_ring(fd, wr, buf, len, off, 0, RING_VEC);
}

FIXTURE(access) {
	int rw;			/* /dev/aiodev0 O_RDWR: the reference */
	uint8_t *buf;
	uint8_t *dev;
};

FIXTURE_VARIANT(access) {
	int flags;		/* the access mode under test */
	bool can_read;
	bool can_write;
};

FIXTURE_VARIANT_ADD(access, rdonly) {
	.flags = O_RDONLY,
	.can_read = true,
};

FIXTURE_VARIANT_ADD(access, wronly) {
	.flags = O_WRONLY,
	.can_write = true,
};

FIXTURE_VARIANT_ADD(access, rdwr) {
	.flags = O_RDWR,
	.can_read = true,
	.can_write = true,
};

/* O_ACCMODE: open for ioctls only, neither read nor write. */
FIXTURE_VARIANT_ADD(access, ioctl_only) {
	.flags = O_ACCMODE,
};

FIXTURE_SETUP(access)
{
	AIODEV_SETUP_OPEN(self->rw, 0);
	self->buf = aligned_alloc(4096, LEN);
	self->dev = malloc(LEN);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->dev);
}

FIXTURE_TEARDOWN(access)
{
	if (self->rw >= 0)
		close(self->rw);
	free(self->buf);
	free(self->dev);
}

/* Every counter a request could move: a refused one moves none. */
static long long stats_sum(void)
{
	static const char *const names[] = {
		"stats/reads", "stats/writes", "stats/read_errors",
		"stats/write_errors", "stats/eagain", "stats/nops",
	};
	long long sum = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sum += aiodev_get(0, names[i]);
	return sum;
}

/*
 * Read and write through @io on /dev/aiodev0 opened with the variant's
 * access mode (and @oflags), in each completion mode.
 */
static void check_access(struct __test_metadata *_metadata,
			 FIXTURE_DATA(access) *self,
			 const FIXTURE_VARIANT(access) *variant, io_fn io,
			 int oflags)
{
	static const char *const modes[] = { "inline", "workqueue", "timer" };

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		const char *mode = modes[m];
		long long stats;
		ssize_t res;
		int fd;

		ASSERT_EQ(0, aiodev_reset(0, mode));
		aiodev_pattern_fill(self->dev, LEN, OFF, 1);
		ASSERT_EQ(LEN, pwrite(self->rw, self->dev, LEN, OFF));
		fd = aiodev_open(0, variant->flags | oflags);
		ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(errno));
		stats = stats_sum();

		memset(self->buf, 0x5a, LEN);
		res = io(fd, false, self->buf, LEN, OFF);
		if (variant->can_read) {
			EXPECT_EQ(LEN, res) TH_LOG("%s: read", mode);
			EXPECT_EQ(-1, aiodev_pattern_check(self->buf, LEN, OFF, 1))
				TH_LOG("%s: read the wrong data", mode);
			stats++;
		} else {
			EXPECT_EQ(-EBADF, res) TH_LOG("%s: read", mode);
			EXPECT_EQ(0x5a, self->buf[0]) TH_LOG("%s: read", mode);
			EXPECT_EQ(0, memcmp(self->buf, self->buf + 1, LEN - 1))
				TH_LOG("%s: a refused read filled the buffer", mode);
		}
		EXPECT_EQ(stats, stats_sum()) TH_LOG("%s: read counted", mode);

		aiodev_pattern_fill(self->buf, LEN, OFF, 2);
		res = io(fd, true, self->buf, LEN, OFF);
		ASSERT_EQ(LEN, pread(self->rw, self->dev, LEN, OFF));
		stats++;	/* that pread */
		if (variant->can_write) {
			EXPECT_EQ(LEN, res) TH_LOG("%s: write", mode);
			EXPECT_EQ(-1, aiodev_pattern_check(self->dev, LEN, OFF, 2))
				TH_LOG("%s: the write did not land", mode);
			stats++;
		} else {
			EXPECT_EQ(-EBADF, res) TH_LOG("%s: write", mode);
			EXPECT_EQ(-1, aiodev_pattern_check(self->dev, LEN, OFF, 1))
				TH_LOG("%s: a refused write changed the device", mode);
		}
		EXPECT_EQ(stats, stats_sum()) TH_LOG("%s: write counted", mode);
		close(fd);
	}
}

#define ACCESS_TEST(name, io, oflags)					\
	TEST_F(access, name)						\
	{								\
		check_access(_metadata, self, variant, io, oflags);	\
	}

ACCESS_TEST(read_write, io_read, 0)
ACCESS_TEST(pread_pwrite, io_pread, 0)
ACCESS_TEST(readv_writev, io_readv, 0)
ACCESS_TEST(preadv2_pwritev2, io_preadv2, 0)
ACCESS_TEST(aio, io_aio, 0)
ACCESS_TEST(aio_vectored, io_aio_vec, 0)
ACCESS_TEST(aio_direct, io_aio, O_DIRECT)
ACCESS_TEST(io_uring, io_uring, 0)
ACCESS_TEST(io_uring_vectored, io_uring_vec, 0)
ACCESS_TEST(io_uring_registered_buffer, io_uring_fixed, 0)
ACCESS_TEST(io_uring_polled_ring, io_uring_iopoll, O_DIRECT)
ACCESS_TEST(io_uring_registered_buffer_polled_ring, io_uring_fixed_iopoll, O_DIRECT)
ACCESS_TEST(uring_cmd, io_uring_cmd, 0)
ACCESS_TEST(uring_cmd_registered_buffer, io_uring_fixed_cmd, 0)
ACCESS_TEST(uring_cmd_polled_ring, io_uring_iopoll_cmd, 0)
ACCESS_TEST(uring_cmd_registered_buffer_polled_ring, io_uring_fixed_iopoll_cmd, 0)

/* NOP moves no data but takes the device's time: read or write access. */
TEST_F(access, uring_cmd_nop)
{
	bool allowed = variant->can_read || variant->can_write;
	int fd = aiodev_open(0, variant->flags);
	long long nops;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	nops = aiodev_get(0, "stats/nops");
	EXPECT_EQ(allowed ? 0 : -EBADF,
		  io_ring(fd, false, NULL, 0, 0, AIODEV_URING_CMD_NOP, 0));
	EXPECT_EQ(nops + allowed, aiodev_get(0, "stats/nops"));
	close(fd);
}

/* FLUSH moves no data, as fsync(2): read or write access. */
TEST_F(access, uring_cmd_flush)
{
	bool allowed = variant->can_read || variant->can_write;
	int fd = aiodev_open(0, variant->flags);
	long long flushes;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	ASSERT_EQ(0, aiodev_set(0, "cache_size", "65536"));
	flushes = aiodev_get(0, "stats/flushes");
	EXPECT_EQ(allowed ? 0 : -EBADF,
		  io_ring(fd, false, NULL, 0, 0, AIODEV_URING_CMD_FLUSH, 0));
	EXPECT_EQ(flushes + allowed, aiodev_get(0, "stats/flushes"));
	close(fd);
}

/* QUERY reports what sysfs shows to anyone: any open file may ask. */
TEST_F(access, uring_cmd_query)
{
	int fd = aiodev_open(0, variant->flags);
	struct aiodev_info info = { 0 };

	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(info), io_ring(fd, false, &info, sizeof(info), 0,
					AIODEV_URING_CMD_QUERY, 0));
	EXPECT_EQ(AIODEV_ABI_VERSION, info.abi_version);
	EXPECT_EQ(aiodev_get(0, "size"), info.size);
	close(fd);
}

TEST_HARNESS_MAIN
