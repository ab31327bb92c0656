// SPDX-License-Identifier: GPL-2.0
/*
 * The file under test: its size, and on aiodev the device's own view of
 * itself (AIODEV_URING_CMD_QUERY), the best its configuration allows
 * (Little's law) and its sysfs attributes, which sweep changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine.h"

/* Size of @fd: a regular file's, a block device's, or aiodev's (sysfs). */
uint64_t aiobench_file_size(int fd)
{
	char path[96];
	struct stat st;
	uint64_t size = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	if (S_ISREG(st.st_mode))
		return st.st_size;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) ? 0 : size;
	if (!S_ISCHR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &size) != 1)
		size = 0;
	fclose(f);
	return size;
}

/* What aiodev says of itself (AIODEV_URING_CMD_QUERY); false if not aiodev. */
bool aiobench_query(const char *file, struct aiodev_info *info)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	bool ok = false;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return false;
	if (io_uring_queue_init(2, &ring, IORING_SETUP_SQE128)) {
		close(fd);
		return false;
	}
	sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		goto out;
	aiobench_prep_cmd(sqe, fd, AIODEV_URING_CMD_QUERY, info, sizeof(*info), 0);
	if (io_uring_submit(&ring) == 1 && !io_uring_wait_cqe(&ring, &cqe)) {
		ok = cqe->res >= (int)offsetof(struct aiodev_info, reserved);
		io_uring_cqe_seen(&ring, cqe);
	}
out:
	io_uring_queue_exit(&ring);
	close(fd);
	return ok;
}

/* The best IOPS Little's law allows @inflight requests on @info's device. */
double aiobench_ideal(const struct aiodev_info *info, unsigned int inflight,
		      size_t bs)
{
	double iops, bw;

	if (!info->latency_ns)
		return 0;
	iops = (inflight < info->queue_depth ? inflight : info->queue_depth) *
	       1e9 / info->latency_ns;
	bw = info->bandwidth_mbps * 1048576.0 / bs;
	return info->bandwidth_mbps && bw < iops ? bw : iops;
}

/* @info's configuration, in words, into @buf. */
void aiobench_device_str(const struct aiodev_info *info, char *buf, size_t len)
{
	static const char *const modes[] = { "inline", "workqueue", "timer" };
	static const char *const jitters[] = { "none", "uniform", "exponential" };
	char bw[32] = "unlimited";

	if (info->bandwidth_mbps)
		snprintf(bw, sizeof(bw), "%u MiB/s", info->bandwidth_mbps);
	snprintf(buf, len, "aiodev%u, latency %" PRIu64 " ns (jitter %s), queue depth %u, "
		 "bandwidth %s, completion %s", info->index, (uint64_t)info->latency_ns,
		 info->jitter < 3 ? jitters[info->jitter] : "?", info->queue_depth,
		 bw, info->completion < 3 ? modes[info->completion] : "?");
}

void aiobench_describe(const struct aiodev_info *info)
{
	char buf[256];

	aiobench_device_str(info, buf, sizeof(buf));
	printf("device: %s\n", buf);
}

/* aiodev @file's sysfs attribute @attr as a number: 0 if it cannot be read. */
static uint64_t aiobench_sysfs_u64(const char *file, const char *attr)
{
	char val[32];

	if (aiobench_sysfs(file, attr, NULL, val, sizeof(val)))
		return 0;
	return strtoull(val, NULL, 0);
}

void aiobench_faults_str(const char *file, char *buf, size_t len)
{
	uint64_t stall = aiobench_sysfs_u64(file, "inject/stall_ns");
	uint64_t period = aiobench_sysfs_u64(file, "inject/stall_period_ns");
	uint64_t spike = aiobench_sysfs_u64(file, "inject/spike_ns");
	uint64_t every = aiobench_sysfs_u64(file, "inject/spike_every");
	uint64_t pct = aiobench_sysfs_u64(file, "inject/spike_percent");
	int n = 0;

	buf[0] = '\0';
	if (stall && period)
		n = snprintf(buf, len, "stalls of %g ms every %g ms", stall / 1e6,
			     period / 1e6);
	if (n < 0 || (size_t)n >= len || !spike || !(every || pct))
		return;
	if (every)
		snprintf(buf + n, len - n, "%sa spike of %g ms every %" PRIu64 " requests",
			 n ? ", " : "", spike / 1e6, every);
	else
		snprintf(buf + n, len - n, "%sspikes of %g ms in %" PRIu64 "%% of requests",
			 n ? ", " : "", spike / 1e6, pct);
}

/*
 * Writes @val (unless NULL) to aiodev's sysfs attribute @attr for @file, after
 * reading its old value into @old (unless NULL); 0 or -errno.
 */
int aiobench_sysfs(const char *file, const char *attr, const char *val,
		   char *old, size_t oldlen)
{
	struct stat st;
	char path[128];
	int fd, ret = 0;
	ssize_t n;

	if (stat(file, &st) || !S_ISCHR(st.st_mode))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s", major(st.st_rdev),
		 minor(st.st_rdev), attr);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, oldlen - 1);
		old[n > 0 ? n : 0] = '\0';
	}
	if (val && pwrite(fd, val, strlen(val), 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The device latency found before the first change, put back at exit. */
static const char *aiobench_restore_file;
static char aiobench_restore_latency[32];

static void aiobench_latency_restore(void)
{
	aiobench_sysfs(aiobench_restore_file, "latency_ns",
		       aiobench_restore_latency, NULL, 0);
}

void aiobench_set_latency(const char *file, uint64_t lat)
{
	char val[24];
	int ret;

	if (!aiobench_restore_file) {
		if (aiobench_sysfs(file, "latency_ns", NULL, aiobench_restore_latency,
				   sizeof(aiobench_restore_latency)))
			aiobench_die("%s: cannot read latency_ns in sysfs", file);
		aiobench_restore_file = file;
		atexit(aiobench_latency_restore);
	}
	snprintf(val, sizeof(val), "%" PRIu64, lat);
	ret = aiobench_sysfs(file, "latency_ns", val, NULL, 0);
	if (ret)
		aiobench_die("%s: set latency_ns %s: %s", file, val, strerror(-ret));
}
