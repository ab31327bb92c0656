// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the aiodev selftests: see lib.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

const char *const aiodev_engine_names[] = {
	"sync", "aio", "io_uring", "io_uring-iopoll", "uring_cmd",
	"uring_cmd-fixed", "uring_cmd-iopoll", "uring_cmd-fixed-iopoll",
};

int aiodev_open(int index, int flags)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/aiodev%d", index);
	return open(path, flags);
}

int aiodev_nr_devices(void)
{
	FILE *f = fopen("/sys/module/aiodev/parameters/nr_devices", "r");
	int n = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

void *aiodev_map_bad_second_page(size_t page)
{
	uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (map != MAP_FAILED && mprotect(map + page, page, PROT_NONE)) {
		munmap(map, 2 * page);
		return MAP_FAILED;
	}
	return map;
}

static int aiodev_attr_open(int index, const char *attr, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/aiodev/aiodev%d/%s", index,
		 attr);
	return open(path, flags);
}

/* Write @val to @fd, just opened (-1 with errno if that failed), and close it. */
static int aiodev_write_fd(int fd, const char *val)
{
	ssize_t len = strlen(val);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

int aiodev_getevents(io_context_t ctx, long min, long nr,
		     struct io_event *events)
{
	int ret;

	do
		ret = io_getevents(ctx, min, nr, events, NULL);
	while (ret == -EINTR);
	return ret;
}

int aiodev_write_file(const char *path, const char *val)
{
	return aiodev_write_fd(open(path, O_WRONLY | O_TRUNC), val);
}

int aiodev_set(int index, const char *attr, const char *fmt, ...)
{
	char val[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return aiodev_write_fd(aiodev_attr_open(index, attr, O_WRONLY), val);
}

/* Read @fd (closed here) into @buf, newline removed; 0 or -errno. */
static int aiodev_read_fd(int fd, char *buf, size_t len)
{
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int aiodev_read_file(const char *path, char *buf, size_t len)
{
	return aiodev_read_fd(open(path, O_RDONLY), buf, len);
}

int aiodev_get_str(int index, const char *attr, char *buf, size_t len)
{
	return aiodev_read_fd(aiodev_attr_open(index, attr, O_RDONLY), buf, len);
}

long long aiodev_get(int index, const char *attr)
{
	char buf[64];

	if (aiodev_get_str(index, attr, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

int aiodev_reset(int index, const char *completion)
{
	static const char *const defaults[][2] = {
		{ "latency_ns", "0" },
		{ "jitter", "none" },
		{ "bandwidth_mbps", "0" },
		{ "queue_depth", "32" },
		{ "inject/read_every", "0" },
		{ "inject/read_percent", "0" },
		{ "inject/read_bad_range", "none" },
		{ "inject/write_every", "0" },
		{ "inject/write_percent", "0" },
		{ "inject/write_bad_range", "none" },
		{ "inject/read_bad_range_fails", "0" },
		{ "inject/write_bad_range_fails", "0" },
		{ "inject/read_hang_every", "0" },
		{ "inject/read_hang_percent", "0" },
		{ "inject/write_hang_every", "0" },
		{ "inject/write_hang_percent", "0" },
		{ "inject/spike_every", "0" },
		{ "inject/spike_percent", "0" },
		{ "inject/spike_ns", "0" },
		{ "inject/stall_period_ns", "0" },
		{ "inject/stall_ns", "0" },
		{ "write_latency_ns", "same" },
		{ "timeout_ms", "0" },
		{ "cache_size", "0" },
		{ "stats/reset", "1" },
	};
	int ret = aiodev_set(index, "completion", "%s", completion);

	for (size_t i = 0; !ret && i < sizeof(defaults) / sizeof(defaults[0]); i++)
		ret = aiodev_set(index, defaults[i][0], "%s", defaults[i][1]);
	return ret;
}

/*
 * Eight bytes of the pattern: those of offsets 8 * @word to 8 * @word + 7.
 * The seed is mixed in before splitmix64's finalizer, so every bit of the
 * offset and of the seed reaches every byte: data written with one seed
 * does not pass for another's.  One word for eight bytes: the finalizer
 * costs TCG guests more than a byte's worth.
 */
static uint64_t aiodev_pattern_word(uint64_t word, unsigned int seed)
{
	uint64_t x = (word + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void aiodev_pattern_fill(void *buf, size_t len, uint64_t off, unsigned int seed)
{
	uint8_t *p = buf;
	uint64_t w = 0;

	for (size_t i = 0; i < len; i++) {
		if (!i || !((off + i) & 7))
			w = aiodev_pattern_word((off + i) >> 3, seed);
		p[i] = w >> ((off + i) & 7) * 8;
	}
}

ssize_t aiodev_pattern_check(const void *buf, size_t len, uint64_t off,
			     unsigned int seed)
{
	const uint8_t *p = buf;
	uint64_t w = 0;

	for (size_t i = 0; i < len; i++) {
		if (!i || !((off + i) & 7))
			w = aiodev_pattern_word((off + i) >> 3, seed);
		if (p[i] != (uint8_t)(w >> ((off + i) & 7) * 8))
			return i;
	}
	return -1;
}

uint64_t aiodev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int aiodev_wait_for(int index, const char *stat, int n, bool idle)
{
	for (int i = 0; i < 2000; i++) {
		long long now = aiodev_get(index, stat);

		if (idle ? now == 0 : now >= n)
			return 0;
		usleep(5000);
	}
	return -1;
}

int aiodev_wait_in_flight(int index, int n)
{
	return aiodev_wait_for(index, "stats/in_flight", n, false);
}

int aiodev_wait_stat(int index, const char *stat, int n)
{
	return aiodev_wait_for(index, stat, n, false);
}

int aiodev_wait_idle(int index)
{
	return aiodev_wait_for(index, "stats/in_flight", 0, true);
}

int aiodev_count_threads(const char *prefix)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	char path[300], comm[32];
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	closedir(dir);
	return n;
}

static void aiodev_done(struct aiodev_op *op, ssize_t res, int i, int *order,
			int *ndone)
{
	op->res = res;
	op->done_ns = aiodev_now_ns();
	if (order)
		order[*ndone] = i;
	(*ndone)++;
}

static int aiodev_run_sync(int fd, struct aiodev_op *ops, int n, int *order)
{
	int done = 0;

	for (int i = 0; i < n; i++) {
		struct aiodev_op *op = &ops[i];
		struct iovec iov = { op->buf, op->len };
		ssize_t res;

		op->submit_ns = aiodev_now_ns();
		if (op->write)
			res = pwritev2(fd, &iov, 1, op->off, op->rw_flags);
		else
			res = preadv2(fd, &iov, 1, op->off, op->rw_flags);
		aiodev_done(op, res < 0 ? -errno : res, i, order, &done);
	}
	return 0;
}

static int aiodev_run_aio(int fd, struct aiodev_op *ops, int n, int depth,
			  int *order)
{
	struct io_event *events = calloc(depth, sizeof(*events));
	struct iocb *cbs = calloc(n, sizeof(*cbs));
	io_context_t ctx = 0;
	int next = 0, done = 0, inflight = 0, ret;

	if (!events || !cbs) {
		ret = -ENOMEM;
		goto out;
	}
	ret = io_setup(depth, &ctx);
	if (ret)
		goto out;
	while (done < n) {
		while (inflight < depth && next < n) {
			struct aiodev_op *op = &ops[next];
			struct iocb *cb = &cbs[next], *cbp = cb;

			if (op->write)
				io_prep_pwrite(cb, fd, op->buf, op->len, op->off);
			else
				io_prep_pread(cb, fd, op->buf, op->len, op->off);
			cb->aio_rw_flags = op->rw_flags;
			cb->data = (void *)(intptr_t)next;
			op->submit_ns = aiodev_now_ns();
			ret = io_submit(ctx, 1, &cbp);
			if (ret != 1) {
				ret = ret < 0 ? ret : -EIO;
				goto out_destroy;
			}
			next++;
			inflight++;
		}
		ret = aiodev_getevents(ctx, 1, depth, events);
		if (ret < 0)
			goto out_destroy;
		for (int e = 0; e < ret; e++) {
			int i = (intptr_t)events[e].data;

			aiodev_done(&ops[i], (long)events[e].res, i, order, &done);
			inflight--;
		}
	}
	ret = 0;
out_destroy:
	io_destroy(ctx);
out:
	free(events);
	free(cbs);
	return ret;
}

void aiodev_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		     const void *buf, uint32_t len, uint64_t offset)
{
	struct aiodev_uring_cmd *cmd = (struct aiodev_uring_cmd *)sqe->cmd;

	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	cmd->addr = (uintptr_t)buf;
	cmd->len = len;
	cmd->offset = offset;
}

/* Registers one buffer spanning every op's; 0 or -errno. */
static int aiodev_register_span(struct io_uring *ring, struct aiodev_op *ops,
				int n)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0, page = 4096;
	struct iovec iov;

	for (int i = 0; i < n; i++) {
		uintptr_t b = (uintptr_t)ops[i].buf;

		lo = b < lo ? b : lo;
		hi = b + ops[i].len > hi ? b + ops[i].len : hi;
	}
	iov.iov_base = (void *)(lo & ~(page - 1));
	iov.iov_len = ((hi + page - 1) & ~(page - 1)) - (uintptr_t)iov.iov_base;
	return io_uring_register_buffers(ring, &iov, 1);
}

static int aiodev_run_uring(enum aiodev_engine engine, int fd,
			    struct aiodev_op *ops, int n, int depth, int *order)
{
	bool cmd = engine >= AIODEV_CMD;
	bool fixed = engine == AIODEV_CMD_FIXED ||
		     engine == AIODEV_CMD_FIXED_IOPOLL;
	bool iopoll = engine == AIODEV_URING_IOPOLL ||
		      engine == AIODEV_CMD_IOPOLL ||
		      engine == AIODEV_CMD_FIXED_IOPOLL;
	unsigned int flags = (cmd ? IORING_SETUP_SQE128 : 0) |
			     (iopoll ? IORING_SETUP_IOPOLL : 0);
	int next = 0, done = 0, inflight = 0, ret;
	struct io_uring ring;

	ret = io_uring_queue_init(depth, &ring, flags);
	if (ret)
		return ret;
	if (fixed) {
		ret = aiodev_register_span(&ring, ops, n);
		if (ret)
			goto out;
	}
	while (done < n) {
		struct io_uring_cqe *cqe;

		while (inflight < depth && next < n) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct aiodev_op *op = &ops[next];

			if (cmd) {
				aiodev_prep_cmd(sqe, fd, op->write ?
						AIODEV_URING_CMD_WRITE :
						AIODEV_URING_CMD_READ,
						op->buf, op->len, op->off);
				if (fixed)
					sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
			} else if (op->write) {
				io_uring_prep_write(sqe, fd, op->buf, op->len, op->off);
			} else {
				io_uring_prep_read(sqe, fd, op->buf, op->len, op->off);
			}
			if (!cmd)
				sqe->rw_flags = op->rw_flags;
			io_uring_sqe_set_data64(sqe, next);
			op->submit_ns = aiodev_now_ns();
			next++;
			inflight++;
			ret = io_uring_submit(&ring);
			if (ret != 1) {
				ret = ret < 0 ? ret : -EIO;
				goto out;
			}
		}
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret)
			goto out;
		do {
			int i = io_uring_cqe_get_data64(cqe);

			aiodev_done(&ops[i], cqe->res, i, order, &done);
			inflight--;
			io_uring_cqe_seen(&ring, cqe);
		} while (!io_uring_peek_cqe(&ring, &cqe));
	}
	ret = 0;
out:
	io_uring_queue_exit(&ring);
	return ret;
}

int aiodev_run_ops(enum aiodev_engine engine, int fd, struct aiodev_op *ops,
		   int n, int depth, int *order)
{
	switch (engine) {
	case AIODEV_SYNC:
		return aiodev_run_sync(fd, ops, n, order);
	case AIODEV_AIO:
		return aiodev_run_aio(fd, ops, n, depth, order);
	default:
		return aiodev_run_uring(engine, fd, ops, n, depth, order);
	}
}

int aiodev_check_integrity(enum aiodev_engine engine, int fd, off_t base,
			   int n, int depth, unsigned int seed, char *why,
			   size_t whylen)
{
	const size_t slot = 128 * 1024;
	struct aiodev_op *ops = calloc(n, sizeof(*ops));
	uint8_t *wbuf = malloc(n * slot), *rbuf = malloc(n * slot);
	int ret = -1;

	snprintf(why, whylen, "%s: out of memory", aiodev_engine_names[engine]);
	if (!ops || !wbuf || !rbuf)
		goto out;
	srand(seed);
	for (int i = 0; i < n; i++) {
		size_t start = rand() % slot;

		ops[i].off = base + i * slot + start;
		ops[i].len = 1 + rand() % (slot - start);
		ops[i].buf = wbuf + i * slot + start;
		ops[i].write = true;
		aiodev_pattern_fill(ops[i].buf, ops[i].len, ops[i].off, seed);
	}
	for (int pass = 0; pass < 2; pass++) {
		int err = aiodev_run_ops(engine, fd, ops, n, depth, NULL);

		if (err) {
			snprintf(why, whylen, "%s: %s", aiodev_engine_names[engine],
				 strerror(-err));
			goto out;
		}
		for (int i = 0; i < n; i++) {
			if (ops[i].res != (ssize_t)ops[i].len) {
				snprintf(why, whylen, "%s: %s %d (off %lld len %zu): %zd",
					 aiodev_engine_names[engine],
					 pass ? "read" : "write", i,
					 (long long)ops[i].off, ops[i].len, ops[i].res);
				goto out;
			}
		}
		if (pass)
			break;
		memset(rbuf, 0, n * slot);
		for (int i = 0; i < n; i++) {
			ops[i].write = false;
			ops[i].buf = rbuf + (ops[i].off - base);
		}
	}
	for (int i = 0; i < n; i++) {
		ssize_t bad = aiodev_pattern_check(ops[i].buf, ops[i].len,
						   ops[i].off, seed);

		if (bad >= 0) {
			snprintf(why, whylen, "%s: read %d (off %lld len %zu): byte %zd differs",
				 aiodev_engine_names[engine], i,
				 (long long)ops[i].off, ops[i].len, bad);
			goto out;
		}
	}
	ret = 0;
out:
	free(ops);
	free(wbuf);
	free(rbuf);
	return ret;
}
