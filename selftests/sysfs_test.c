// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/aiodev/aiodevN/: module parameters as defaults, validation
 * (a bad value is EINVAL and changes nothing), read-only attributes,
 * statistics, and the tracepoints.  run.sh loads the module with
 * nr_devices=2 latency_ns=12345 jitter=uniform bandwidth_mbps=99
 * queue_depth=7 completion=workqueue.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib.h"

static const char *const config_attrs[] = {
	"latency_ns", "jitter", "bandwidth_mbps", "queue_depth", "completion",
	"inject/read_every", "inject/read_percent", "inject/read_bad_range",
	"inject/write_every", "inject/write_percent", "inject/write_bad_range",
};

static void expect_attr(struct __test_metadata *_metadata, int index,
			const char *attr, const char *want)
{
	char val[128];

	ASSERT_EQ(0, aiodev_get_str(index, attr, val, sizeof(val)));
	EXPECT_STREQ(want, val) TH_LOG("aiodev%d/%s", index, attr);
}

TEST(module_parameters_are_the_defaults)
{
	for (int i = 0; i < 2; i++) {
		expect_attr(_metadata, i, "latency_ns", "12345");
		expect_attr(_metadata, i, "jitter", "uniform");
		expect_attr(_metadata, i, "bandwidth_mbps", "99");
		expect_attr(_metadata, i, "queue_depth", "7");
		expect_attr(_metadata, i, "completion", "workqueue");
		expect_attr(_metadata, i, "inject/read_every", "0");
		expect_attr(_metadata, i, "inject/write_percent", "0");
		expect_attr(_metadata, i, "inject/read_bad_range", "none");
		expect_attr(_metadata, i, "write_latency_ns", "23456");
		expect_attr(_metadata, i, "timeout_ms", "789");
		expect_attr(_metadata, i, "cache_size", "8192");
		expect_attr(_metadata, i, "inject/write_bad_range", "4096-8192");
		expect_attr(_metadata, i, "inject/write_bad_range_fails", "3");
		expect_attr(_metadata, i, "inject/read_hang_percent", "0");
		expect_attr(_metadata, i, "inject/spike_every", "5");
		expect_attr(_metadata, i, "inject/stall_period_ns", "1000000");
		expect_attr(_metadata, i, "inject/stall_ns", "10");
	}
}

/* /sys/module/aiodev/parameters shows the defaults as sysfs does. */
TEST(module_parameters_read_back)
{
	char val[64];
	FILE *f = fopen("/sys/module/aiodev/parameters/write_latency_ns", "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(val, sizeof(val), f));
	fclose(f);
	EXPECT_STREQ("23456\n", val);
}

TEST(valid_values_round_trip)
{
	static const char *const values[][3] = {
		/* attribute, written, read back */
		{ "latency_ns", "0", "0" },
		{ "latency_ns", "10000000000", "10000000000" },
		{ "latency_ns", "0x10\n", "16" },
		{ "jitter", "exponential\n", "exponential" },
		{ "jitter", "none", "none" },
		{ "bandwidth_mbps", "1048576", "1048576" },
		{ "bandwidth_mbps", "0", "0" },
		{ "queue_depth", "1", "1" },
		{ "queue_depth", "4096", "4096" },
		{ "completion", "inline", "inline" },
		{ "completion", "timer\n", "timer" },
		{ "inject/read_every", "4294967295", "4294967295" },
		{ "inject/read_every", "0", "0" },
		{ "inject/write_percent", "100", "100" },
		{ "inject/write_percent", "0", "0" },
		{ "inject/write_bad_range", "0-1", "0-1" },
		{ "inject/write_bad_range", "4096-8192\n", "4096-8192" },
		{ "inject/write_bad_range", "none", "none" },
		{ "write_latency_ns", "0", "0" },
		{ "write_latency_ns", "same\n", "same" },
		{ "timeout_ms", "3600000", "3600000" },
		{ "cache_size", "1099511627776", "1099511627776" },
		{ "cache_size", "0", "0" },
		{ "inject/read_bad_range_fails", "4294967295", "4294967295" },
		{ "inject/write_hang_every", "7", "7" },
		{ "inject/write_hang_percent", "100", "100" },
		{ "inject/spike_percent", "100", "100" },
		{ "inject/spike_ns", "10000000000", "10000000000" },
		{ "inject/stall_period_ns", "3600000000000", "3600000000000" },
		{ "inject/stall_ns", "3599999999999", "3599999999999" },
		{ "inject/stall_ns", "0", "0" },
		{ "inject/stall_period_ns", "0", "0" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		EXPECT_EQ(0, aiodev_set(0, values[i][0], "%s", values[i][1]))
			TH_LOG("%s <- %s", values[i][0], values[i][1]);
		expect_attr(_metadata, 0, values[i][0], values[i][2]);
	}
}

TEST(invalid_values_are_einval_and_change_nothing)
{
	static const char *const junk[][2] = {
		{ "latency_ns", "abc" },
		{ "latency_ns", "\n" },
		{ "latency_ns", "-1" },
		{ "latency_ns", "12abc" },
		{ "latency_ns", "10000000001" },
		{ "latency_ns", "18446744073709551616" },
		{ "jitter", "gaussian" },
		{ "bandwidth_mbps", "1048577" },
		{ "queue_depth", "0" },
		{ "queue_depth", "4097" },
		{ "queue_depth", "99999999999999999999999" },
		{ "completion", "softirq" },
		{ "completion", "timerx" },
		{ "inject/read_every", "4294967296" },
		{ "inject/read_percent", "101" },
		{ "inject/read_bad_range", "8192-4096" },
		{ "inject/read_bad_range", "4096-4096" },
		{ "inject/read_bad_range", "4096" },
		{ "inject/read_bad_range", "x-4096" },
		{ "inject/read_bad_range", "1-" },
		{ "inject/read_bad_range", "1-2-3" },
		{ "write_latency_ns", "10000000001" },
		{ "write_latency_ns", "samey" },
		{ "timeout_ms", "3600001" },
		{ "cache_size", "1099511627777" },
		{ "inject/write_hang_percent", "101" },
		{ "inject/spike_ns", "10000000001" },
		{ "inject/stall_period_ns", "3600000000001" },
		/* A stall as long as its period: the device would never serve. */
		{ "inject/stall_ns", "1000000" },
	};
	char before[128], after[128];

	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		ASSERT_EQ(0, aiodev_get_str(1, junk[i][0], before, sizeof(before)));
		EXPECT_EQ(-EINVAL, aiodev_set(1, junk[i][0], "%s", junk[i][1]))
			TH_LOG("%s <- '%s'", junk[i][0], junk[i][1]);
		ASSERT_EQ(0, aiodev_get_str(1, junk[i][0], after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("%s", junk[i][0]);
	}
}

TEST(read_only_attributes_refuse_writes)
{
	static const char *const ro[] = {
		"size", "stats/reads", "stats/write_bytes", "stats/in_flight",
		"stats/latency_hist",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ro); i++) {
		EXPECT_EQ(-EACCES, aiodev_set(0, ro[i], "0")) TH_LOG("%s", ro[i]);
	}
	expect_attr(_metadata, 0, "size", "67108864");
}

TEST(devices_are_configured_independently)
{
	char before[16][128];

	for (size_t i = 0; i < ARRAY_SIZE(config_attrs); i++)
		ASSERT_EQ(0, aiodev_get_str(0, config_attrs[i], before[i], 128));
	ASSERT_EQ(0, aiodev_set(1, "latency_ns", "777"));
	ASSERT_EQ(0, aiodev_set(1, "completion", "inline"));
	ASSERT_EQ(0, aiodev_set(1, "inject/read_bad_range", "1-2"));
	for (size_t i = 0; i < ARRAY_SIZE(config_attrs); i++)
		expect_attr(_metadata, 0, config_attrs[i], before[i]);
}

TEST(stats_reset)
{
	int fd = aiodev_open(0, O_RDWR);
	char buf[4096];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	ASSERT_EQ(sizeof(buf), pwrite(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(1, aiodev_get(0, "stats/reads"));
	EXPECT_EQ(4096, aiodev_get(0, "stats/write_bytes"));
	EXPECT_EQ(-EINVAL, aiodev_set(0, "stats/reset", "0"));
	EXPECT_EQ(-EINVAL, aiodev_set(0, "stats/reset", "junk"));
	EXPECT_EQ(1, aiodev_get(0, "stats/reads"));
	EXPECT_EQ(0, aiodev_set(0, "stats/reset", "1"));
	EXPECT_EQ(0, aiodev_get(0, "stats/reads"));
	EXPECT_EQ(0, aiodev_get(0, "stats/write_bytes"));
	EXPECT_EQ(0, aiodev_get(0, "stats/max_in_flight"));
	close(fd);
}

/* "LOW COUNT" lines: LOW 0 or a power of two, ascending, COUNT > 0. */
TEST(latency_histogram_format)
{
	int fd = aiodev_open(0, O_RDWR);
	char hist[2048], buf[512], *line;
	unsigned long long prev = 0, total = 0;
	int lines = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	ASSERT_EQ(0, aiodev_set(0, "jitter", "exponential"));
	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "100000"));
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), i * 512));
	ASSERT_EQ(0, aiodev_get_str(0, "stats/latency_hist", hist, sizeof(hist)));
	for (line = strtok(hist, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long low, n;

		ASSERT_EQ(2, sscanf(line, "%llu %llu", &low, &n)) TH_LOG("%s", line);
		EXPECT_EQ(0, low & (low - 1)) TH_LOG("%s", line);
		if (lines++) {
			EXPECT_LT(prev, low);
		}
		EXPECT_LT(0, n);
		prev = low;
		total += n;
	}
	EXPECT_EQ(50, total);
	close(fd);
}

static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	static char path[128];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	return NULL;
}

/* Write @val to the tracefs file @name in @dir; 0, or -errno. */
static int write_file(const char *dir, const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return aiodev_write_file(path, val);
}

FIXTURE(trace) {
	const char *dir;
	int fd;
};

FIXTURE_SETUP(trace)
{
	char path[256];

	self->fd = -1;
	self->dir = tracefs();
	if (!self->dir)
		SKIP(return, "no tracefs (kernel without tracing?)");
	snprintf(path, sizeof(path), "%s/events/aiodev", self->dir);
	ASSERT_EQ(0, access(path, F_OK))
		TH_LOG("%s: %s: the module's tracepoints are missing", path,
		       strerror(errno));
	self->fd = aiodev_open(0, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, aiodev_reset(0, "timer"));
	ASSERT_EQ(0, write_file(self->dir, "trace", ""));
}

FIXTURE_TEARDOWN(trace)
{
	if (self->dir)
		write_file(self->dir, "events/aiodev/enable", "0");
	if (self->fd >= 0)
		close(self->fd);
}

static FILE *open_trace(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/trace", dir);
	return fopen(path, "r");
}

TEST_F(trace, tracepoints_follow_requests)
{
	int submits = 0, starts = 0, completes = 0;
	char line[512], buf[512];
	FILE *trace;

	ASSERT_EQ(0, write_file(self->dir, "events/aiodev/enable", "1"));
	ASSERT_EQ(sizeof(buf), pwrite(self->fd, buf, sizeof(buf), 4096));
	ASSERT_EQ(sizeof(buf), pread(self->fd, buf, sizeof(buf), 4096));
	ASSERT_EQ(0, write_file(self->dir, "events/aiodev/enable", "0"));

	trace = open_trace(self->dir);
	ASSERT_NE(NULL, trace);
	while (fgets(line, sizeof(line), trace)) {
		if (strstr(line, "aiodev_submit: aiodev0") &&
		    strstr(line, "pos=4096 len=512"))
			submits++;
		if (strstr(line, "aiodev_start: aiodev0"))
			starts++;
		if (strstr(line, "aiodev_complete: aiodev0") &&
		    strstr(line, "ret=512"))
			completes++;
	}
	fclose(trace);
	EXPECT_EQ(2, submits);
	EXPECT_EQ(2, starts);
	EXPECT_EQ(2, completes);
}

/*
 * The service time the device draws for each request, as aiodev_start
 * traces it (no clock is read): fixed without jitter, in [0, 2 x mean]
 * for uniform, and a long tail for exponential; the mean is latency_ns.
 * With 1000 draws the bounds below are many standard deviations wide.
 */
TEST_F(trace, jitter_shapes_the_service_times)
{
	static const char *const jitters[] = { "none", "uniform", "exponential" };
	const unsigned long long mean = 100000;
	const int n = 1000;
	char line[512], buf[512];

	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "%llu", mean));
	for (size_t j = 0; j < ARRAY_SIZE(jitters); j++) {
		unsigned long long ns, min = ~0ull, max = 0, sum = 0;
		const char *field;
		FILE *trace;
		int got = 0;

		ASSERT_EQ(0, aiodev_set(0, "jitter", "%s", jitters[j]));
		ASSERT_EQ(0, write_file(self->dir, "trace", ""));
		ASSERT_EQ(0, write_file(self->dir, "events/aiodev/aiodev_start/enable", "1"));
		for (int i = 0; i < n; i++)
			ASSERT_EQ(sizeof(buf), pread(self->fd, buf, sizeof(buf), 0));
		ASSERT_EQ(0, write_file(self->dir, "events/aiodev/aiodev_start/enable", "0"));

		trace = open_trace(self->dir);
		ASSERT_NE(NULL, trace);
		while (fgets(line, sizeof(line), trace)) {
			if (!strstr(line, "aiodev_start: aiodev0"))
				continue;
			field = strstr(line, "service_ns=");
			if (!field || sscanf(field, "service_ns=%llu", &ns) != 1)
				continue;
			got++;
			sum += ns;
			min = ns < min ? ns : min;
			max = ns > max ? ns : max;
		}
		fclose(trace);
		TH_LOG("jitter %s: min %llu, mean %llu, max %llu ns", jitters[j],
		       min, got ? sum / got : 0, max);
		ASSERT_EQ(n, got);
		if (!strcmp(jitters[j], "none")) {
			EXPECT_EQ(mean, min);
			EXPECT_EQ(mean, max);
			continue;
		}
		EXPECT_LE(mean * 8 / 10, sum / n);
		EXPECT_GE(mean * 12 / 10, sum / n);
		EXPECT_GT(mean / 4, min);
		if (!strcmp(jitters[j], "uniform")) {
			EXPECT_LT(mean * 7 / 4, max);
			EXPECT_GE(2 * mean, max);
		} else {
			EXPECT_LT(4 * mean, max);
		}
	}
}

/*
 * Writes take write_latency_ns, reads latency_ns, and every spike_every-th
 * request spike_ns more: the service times aiodev_start traces, in order.
 */
TEST_F(trace, write_latency_and_spikes_shape_the_service_times)
{
	static const unsigned long long want[] = {
		100000, 300000, 100000 + 5000000, 300000, 100000,
		300000 + 5000000,
	};
	unsigned long long ns;
	char line[512], buf[512];
	const char *field;
	FILE *trace;
	size_t got = 0;

	ASSERT_EQ(0, aiodev_set(0, "latency_ns", "100000"));
	ASSERT_EQ(0, aiodev_set(0, "write_latency_ns", "300000"));
	ASSERT_EQ(0, aiodev_set(0, "inject/spike_ns", "5000000"));
	ASSERT_EQ(0, aiodev_set(0, "inject/spike_every", "3"));
	ASSERT_EQ(0, aiodev_set(0, "stats/reset", "1"));
	ASSERT_EQ(0, write_file(self->dir, "events/aiodev/aiodev_start/enable", "1"));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		ssize_t n = i & 1 ? pwrite(self->fd, buf, sizeof(buf), 0) :
				    pread(self->fd, buf, sizeof(buf), 0);

		ASSERT_EQ(sizeof(buf), n);
	}
	ASSERT_EQ(0, write_file(self->dir, "events/aiodev/aiodev_start/enable", "0"));
	EXPECT_EQ(2, aiodev_get(0, "stats/spikes"));

	trace = open_trace(self->dir);
	ASSERT_NE(NULL, trace);
	while (fgets(line, sizeof(line), trace)) {
		field = strstr(line, "service_ns=");
		if (!strstr(line, "aiodev_start: aiodev0") || !field ||
		    sscanf(field, "service_ns=%llu", &ns) != 1)
			continue;
		if (got < ARRAY_SIZE(want)) {
			EXPECT_EQ(want[got], ns) TH_LOG("request %zu", got + 1);
		}
		got++;
	}
	fclose(trace);
	EXPECT_EQ(ARRAY_SIZE(want), got);
}

TEST_HARNESS_MAIN
