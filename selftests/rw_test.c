// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking I/O semantics of /dev/aiodevN: a RAM-backed, fixed-size,
 * seekable device.  Needs a freshly loaded module with three devices
 * (run.sh loads it): /dev/aiodev2 is left alone until a test checks that a
 * fresh device reads zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

FIXTURE(aiodev) {
	int fd;
	off_t size;
	uint8_t *buf;	/* two 8 MiB buffers */
	uint8_t *buf2;
};

FIXTURE_SETUP(aiodev)
{
	AIODEV_SETUP_OPEN(self->fd, 0);
	self->size = aiodev_get(0, "size");
	ASSERT_GE(self->size, 16 * MIB);
	self->buf = malloc(8 * MIB);
	self->buf2 = malloc(8 * MIB);
	ASSERT_NE(NULL, self->buf);
	ASSERT_NE(NULL, self->buf2);
}

FIXTURE_TEARDOWN(aiodev)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	free(self->buf2);
}

TEST_F(aiodev, fresh_device_reads_zeros)
{
	int fd = aiodev_open(2, O_RDONLY);

	ASSERT_LE(0, fd) TH_LOG("/dev/aiodev2: needs nr_devices=3");
	for (off_t off = 0; off < self->size; off += MIB) {
		memset(self->buf, 0xa5, MIB);
		ASSERT_EQ(MIB, pread(fd, self->buf, MIB, off));
		for (size_t i = 0; i < MIB; i++) {
			ASSERT_EQ(0, self->buf[i])
				TH_LOG("offset %lld", (long long)(off + i));
		}
	}
	close(fd);
}

TEST_F(aiodev, round_trip_many_offsets_and_sizes)
{
	static const size_t sizes[] = {
		1, 2, 3, 511, 512, 513, 4095, 4096, 4097, 65537, MIB + 3,
		5 * MIB + 7,
	};
	unsigned int seed = 1;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s];
		off_t offsets[] = { 0, 1, 4095, 4096, 12345, 3 * MIB - 1,
				    self->size - len };

		for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			off_t off = offsets[o];

			seed++;
			aiodev_pattern_fill(self->buf, len, off, seed);
			ASSERT_EQ(len, pwrite(self->fd, self->buf, len, off));
			memset(self->buf2, 0, len);
			ASSERT_EQ(len, pread(self->fd, self->buf2, len, off));
			ASSERT_EQ(-1, aiodev_pattern_check(self->buf2, len, off, seed))
				TH_LOG("len %zu off %lld", len, (long long)off);
		}
	}
}

TEST_F(aiodev, read_at_or_past_end_returns_0)
{
	EXPECT_EQ(0, pread(self->fd, self->buf, 1, self->size));
	EXPECT_EQ(0, pread(self->fd, self->buf, 4096, self->size + 4096));
	EXPECT_EQ(0, pread(self->fd, self->buf, 4096, LLONG_MAX - 4096));
}

TEST_F(aiodev, read_crossing_end_is_short)
{
	EXPECT_EQ(100, pread(self->fd, self->buf, 8192, self->size - 100));
}

TEST_F(aiodev, write_at_or_past_end_is_enospc)
{
	EXPECT_EQ(-1, pwrite(self->fd, self->buf, 1, self->size));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, pwrite(self->fd, self->buf, 4096, self->size + 4096));
	EXPECT_EQ(ENOSPC, errno);
}

TEST_F(aiodev, write_crossing_end_is_short)
{
	off_t off = self->size - 100;

	aiodev_pattern_fill(self->buf, 8192, off, 77);
	ASSERT_EQ(100, pwrite(self->fd, self->buf, 8192, off));
	ASSERT_EQ(100, pread(self->fd, self->buf2, 8192, off));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, 100, off, 77));
}

TEST_F(aiodev, zero_length_io_returns_0)
{
	EXPECT_EQ(0, pread(self->fd, self->buf, 0, 0));
	EXPECT_EQ(0, pwrite(self->fd, self->buf, 0, 0));
	EXPECT_EQ(0, pread(self->fd, self->buf, 0, self->size));
	EXPECT_EQ(0, pwrite(self->fd, self->buf, 0, self->size));
}

TEST_F(aiodev, lseek_set_cur_end)
{
	EXPECT_EQ(4096, lseek(self->fd, 4096, SEEK_SET));
	EXPECT_EQ(4106, lseek(self->fd, 10, SEEK_CUR));
	EXPECT_EQ(4096, lseek(self->fd, -10, SEEK_CUR));
	EXPECT_EQ(self->size, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(self->size - 1, lseek(self->fd, -1, SEEK_END));
	EXPECT_EQ(0, lseek(self->fd, -self->size, SEEK_END));
}

TEST_F(aiodev, lseek_outside_device_is_einval)
{
	ASSERT_EQ(100, lseek(self->fd, 100, SEEK_SET));
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, self->size + 1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 1, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, LLONG_MAX, SEEK_CUR));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, 42));
	EXPECT_EQ(EINVAL, errno);
	/* A failed lseek leaves the position alone. */
	EXPECT_EQ(100, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(aiodev, read_write_advance_the_position)
{
	aiodev_pattern_fill(self->buf, 6000, 8192, 5);
	ASSERT_EQ(8192, lseek(self->fd, 8192, SEEK_SET));
	ASSERT_EQ(1000, write(self->fd, self->buf, 1000));
	ASSERT_EQ(5000, write(self->fd, self->buf + 1000, 5000));
	EXPECT_EQ(14192, lseek(self->fd, 0, SEEK_CUR));
	ASSERT_EQ(8192, lseek(self->fd, 8192, SEEK_SET));
	ASSERT_EQ(3000, read(self->fd, self->buf2, 3000));
	ASSERT_EQ(3000, read(self->fd, self->buf2 + 3000, 3000));
	EXPECT_EQ(14192, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, 6000, 8192, 5));
	/* At the end, read returns 0 and the position stays. */
	ASSERT_EQ(self->size - 10, lseek(self->fd, -10, SEEK_END));
	EXPECT_EQ(10, read(self->fd, self->buf2, 4096));
	EXPECT_EQ(0, read(self->fd, self->buf2, 4096));
	EXPECT_EQ(self->size, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(aiodev, data_persists_across_reopen)
{
	off_t off = 7 * MIB + 3;

	aiodev_pattern_fill(self->buf, 3 * MIB, off, 11);
	ASSERT_EQ(3 * MIB, pwrite(self->fd, self->buf, 3 * MIB, off));
	ASSERT_EQ(0, close(self->fd));
	self->fd = open("/dev/aiodev0", O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(3 * MIB, pread(self->fd, self->buf2, 3 * MIB, off));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, 3 * MIB, off, 11));
}

TEST_F(aiodev, readv_writev_scatter_gather)
{
	off_t off = 10 * MIB + 17;
	struct iovec wv[3] = {
		{ self->buf, 1 },
		{ self->buf + 1, 4095 },
		{ self->buf + 4096, 10000 },
	};
	struct iovec rv[2] = {
		{ self->buf2, 7000 },
		{ self->buf2 + 7000, 7096 },
	};

	aiodev_pattern_fill(self->buf, 14096, off, 21);
	memset(self->buf2, 0, 14096);
	ASSERT_EQ(14096, pwritev(self->fd, wv, 3, off));
	ASSERT_EQ(14096, preadv(self->fd, rv, 2, off));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, 14096, off, 21));
	/* And through the file position. */
	ASSERT_EQ(off, lseek(self->fd, off, SEEK_SET));
	memset(self->buf2, 0, 14096);
	ASSERT_EQ(14096, readv(self->fd, rv, 2));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, 14096, off, 21));
	EXPECT_EQ(off + 14096, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(aiodev, bad_user_pointers_are_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	/* volatile: keeps the compiler from flagging the bad pointers. */
	void *volatile null_ptr = NULL, *volatile low_ptr = (void *)1;
	uint8_t *map;

	EXPECT_EQ(-1, pread(self->fd, null_ptr, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pwrite(self->fd, low_ptr, 16, 0));
	EXPECT_EQ(EFAULT, errno);

	/* A read-only buffer cannot be read into. */
	map = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, pread(self->fd, map, 16, 0));
	EXPECT_EQ(EFAULT, errno);

	/* A buffer whose second page is unmapped gives a short transfer. */
	ASSERT_EQ(0, mprotect(map, page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, munmap(map + page, page));
	aiodev_pattern_fill(map, page, 0, 31);
	EXPECT_EQ(page, pwrite(self->fd, map, 2 * page, 0));
	memset(map, 0, page);
	EXPECT_EQ(page, pread(self->fd, map, 2 * page, 0));
	EXPECT_EQ(-1, aiodev_pattern_check(map, page, 0, 31));
	munmap(map, page);
}

TEST_F(aiodev, overflowing_and_negative_offsets_are_einval)
{
	/* An iovec longer than SSIZE_MAX cannot be represented in the result. */
	struct iovec huge[2] = {
		{ self->buf, 16 },
		{ self->buf, (size_t)SSIZE_MAX + 1 },
	};

	EXPECT_EQ(-1, pread(self->fd, self->buf, 16, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(self->fd, self->buf, 16, -4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->fd, self->buf, 16, LLONG_MAX - 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(self->fd, self->buf, 16, LLONG_MAX - 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, preadv(self->fd, huge, 2, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwritev(self->fd, huge, 2, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(aiodev, two_devices_do_not_share_data)
{
	off_t off = 123456;
	int fd1;

	AIODEV_SETUP_OPEN(fd1, 1);
	aiodev_pattern_fill(self->buf, MIB, off, 41);
	aiodev_pattern_fill(self->buf2, MIB, off, 42);
	ASSERT_EQ(MIB, pwrite(self->fd, self->buf, MIB, off));
	ASSERT_EQ(MIB, pwrite(fd1, self->buf2, MIB, off));
	ASSERT_EQ(MIB, pread(self->fd, self->buf, MIB, off));
	ASSERT_EQ(MIB, pread(fd1, self->buf2, MIB, off));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf, MIB, off, 41));
	EXPECT_EQ(-1, aiodev_pattern_check(self->buf2, MIB, off, 42));
	close(fd1);
}

#define WRITERS 8
#define WRITER_SPAN MIB

struct writer {
	int fd;
	int index;
	int failed;
};

/* Writes its own span in chunks of varying size, several passes. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	off_t base = (off_t)w->index * WRITER_SPAN;
	uint8_t *buf = malloc(WRITER_SPAN);
	size_t chunk = 509 + w->index * 997;

	if (!buf) {
		w->failed = 1;
		return NULL;
	}
	for (int pass = 0; pass < 4; pass++) {
		aiodev_pattern_fill(buf, WRITER_SPAN, base, 100 + w->index + pass);
		for (size_t done = 0; done < WRITER_SPAN; done += chunk) {
			size_t n = WRITER_SPAN - done < chunk ? WRITER_SPAN - done : chunk;

			if (pwrite(w->fd, buf + done, n, base + done) != (ssize_t)n)
				w->failed = 1;
		}
		chunk = chunk * 3 + 1;
	}
	free(buf);
	return NULL;
}

TEST_F(aiodev, concurrent_writers_to_disjoint_ranges)
{
	struct writer w[WRITERS];
	pthread_t t[WRITERS];

	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .fd = self->fd, .index = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer_main, &w[i]));
	}
	for (int i = 0; i < WRITERS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, w[i].failed);
	}
	for (int i = 0; i < WRITERS; i++) {
		off_t base = (off_t)i * WRITER_SPAN;

		ASSERT_EQ(WRITER_SPAN, pread(self->fd, self->buf, WRITER_SPAN, base));
		EXPECT_EQ(-1, aiodev_pattern_check(self->buf, WRITER_SPAN, base, 100 + i + 3))
			TH_LOG("writer %d", i);
	}
}

TEST_HARNESS_MAIN
