// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench's logic without I/O, natively: the latency histogram and its
 * percentiles, size parsing, the --verify pattern, --log-interval's log
 * of intervals and its summary.  TAP output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiobench.h"

static int n, failed;

static void ok(int cond, const char *what)
{
	n++;
	printf("%sok %d %s\n", cond ? "" : "not ", n, what);
	failed |= !cond;
}

/* |a - b| <= tolerance * b */
static int near(uint64_t a, uint64_t b, double tolerance)
{
	double d = (double)a - (double)b;

	return (d < 0 ? -d : d) <= tolerance * b;
}

static struct aiobench_hist h, h2;

/* The buckets: exact below 64 ns, within 1/64 above, in order. */
static void test_buckets(void)
{
	int exact = 1, close = 1, monotonic = 1;
	uint64_t prev = 0;

	for (uint64_t v = 0; v < 64; v++)
		exact &= aiobench_hist_value(aiobench_hist_index(v)) == v;
	ok(exact, "values below 64 ns have a bucket each");
	for (uint64_t v = 64; v < (1ull << 40); v = v * 1.01 + 1) {
		unsigned int i = aiobench_hist_index(v);

		close &= i < AIOBENCH_BUCKETS && near(aiobench_hist_value(i), v, 1.0 / 64);
		monotonic &= i >= prev;
		prev = i;
	}
	ok(close, "a bucket's value is within 1/64 of what it holds");
	ok(monotonic, "buckets grow with the value");
	ok(aiobench_hist_index(UINT64_MAX) < AIOBENCH_BUCKETS, "the largest value has a bucket");
}

static void test_percentiles(void)
{
	aiobench_hist_init(&h);
	ok(aiobench_hist_percentile(&h, 50) == 0, "an empty histogram gives 0");
	for (uint64_t v = 1; v <= 100000; v++)
		aiobench_hist_add(&h, v);
	ok(near(aiobench_hist_percentile(&h, 50), 50000, 0.02), "p50 of 1..100000");
	ok(near(aiobench_hist_percentile(&h, 99), 99000, 0.02), "p99 of 1..100000");
	ok(near(aiobench_hist_percentile(&h, 99.9), 99900, 0.02), "p99.9 of 1..100000");
	ok(aiobench_hist_percentile(&h, 100) == 100000, "p100 is the maximum");
	ok(h.min == 1 && h.max == 100000 && h.sum == 5000050000ull, "min, max, sum");
	/* 1..n, as a sample: variance n (n + 1) / 12 */
	ok(fabs(aiobench_hist_stddev(&h) - sqrt(1e5 * (1e5 + 1) / 12)) < 0.01,
	   "the standard deviation of 1..100000 is exact");

	aiobench_hist_init(&h2);
	for (int i = 0; i < 1000; i++)
		aiobench_hist_add(&h2, 123456);
	ok(aiobench_hist_percentile(&h2, 1) == 123456 &&
	   aiobench_hist_percentile(&h2, 99.9) == 123456,
	   "a constant gives itself at every percentile");
	ok(aiobench_hist_stddev(&h2) == 0, "a constant has no deviation");

	aiobench_hist_init(&h2);
	for (int i = 0; i < 99; i++)
		aiobench_hist_add(&h2, 1000);
	aiobench_hist_add(&h2, 1000000);
	ok(near(aiobench_hist_percentile(&h2, 99), 1000, 0.02) &&
	   aiobench_hist_percentile(&h2, 99.9) == 1000000,
	   "nearest rank: 1 slow request in 100 is p99.9, not p99");

	aiobench_hist_init(&h2);
	for (int i = 0; i < 999; i++)
		aiobench_hist_add(&h2, 1000);
	aiobench_hist_add(&h2, 1000000);
	ok(near(aiobench_hist_percentile(&h2, 99.9), 1000, 0.02),
	   "p99.9 of 1000 samples is the 999th, not the largest");
}

/* After test_percentiles(): @h holds 1..100000. */
static void test_merge(void)
{
	struct aiobench_hist *rest = calloc(1, sizeof(*rest));

	aiobench_hist_init(&h2);
	for (uint64_t v = 1; v <= 50000; v++)
		aiobench_hist_add(&h2, v);
	aiobench_hist_init(rest);
	for (uint64_t v = 50001; v <= 100000; v++)
		aiobench_hist_add(rest, v);
	aiobench_hist_merge(&h2, rest);
	free(rest);
	ok(!memcmp(&h, &h2, sizeof(h)), "merging two halves gives the whole");
}

static void test_parse_size(void)
{
	ok(aiobench_parse_size("4096") == 4096, "size 4096");
	ok(aiobench_parse_size("4k") == 4096, "size 4k");
	ok(aiobench_parse_size("2M") == 2 << 20, "size 2M");
	ok(aiobench_parse_size("1g") == 1 << 30, "size 1g");
	ok(aiobench_parse_size("0x10") == 16, "size 0x10");
	ok(aiobench_parse_size("010") == 10, "size 010 is decimal, not octal");
	ok(aiobench_parse_size("09") == 9, "size 09 too");
	ok(aiobench_parse_size("abc") == -1, "size abc is refused");
	ok(aiobench_parse_size("") == -1, "an empty size is refused");
	ok(aiobench_parse_size("-1") == -1, "a negative size is refused");
	ok(aiobench_parse_size("4kb") == -1, "trailing junk is refused");
	ok(aiobench_parse_size("99999999999g") == -1, "an overflowing size is refused");
}

static void test_pattern(void)
{
	char buf[4096];

	aiobench_fill(buf, sizeof(buf), 8192, 7);
	ok(aiobench_check(buf, sizeof(buf), 8192, 7), "the pattern checks");
	ok(!aiobench_check(buf, sizeof(buf), 4096, 7), "at another offset it does not");
	ok(!aiobench_check(buf, sizeof(buf), 8192, 8), "nor with another seed");
	buf[100] ^= 1;
	ok(!aiobench_check(buf, sizeof(buf), 8192, 7), "a flipped bit is found");
}

static void test_pattern_torn(void)
{
	char a[4096], b[4096], torn[4096];

	aiobench_fill(a, sizeof(a), 0, 1);
	aiobench_fill(b, sizeof(b), 0, 2);
	memcpy(torn, a, sizeof(torn));
	memcpy(torn + 1001, b + 1001, 2000);	/* torn mid-word */
	ok(aiobench_check_either(torn, sizeof(torn), 0, 1, 2),
	   "either pattern, torn anywhere, checks");
	ok(!aiobench_check(torn, sizeof(torn), 0, 1), "but not as one pattern");
	torn[3000] ^= 0x10;
	ok(!aiobench_check_either(torn, sizeof(torn), 0, 1, 2),
	   "a byte of neither pattern is found");
	memset(torn, 0, sizeof(torn));
	ok(!aiobench_check_either(torn, sizeof(torn), 0, 1, 2),
	   "zeros are neither");
}

/* A job's completion, as job.c records it: at @now, after @lat ns. */
static void complete(struct aiobench_log *log, struct aiobench_hist hist[2],
		     uint64_t now, uint64_t lat, int write)
{
	aiobench_log_note(log, hist, now, lat);
	aiobench_hist_add(&hist[write], lat);
}

#define T0	1000000000ull	/* where the logs start, ns */
#define IV	1000000ull	/* their interval: 1 ms */

static struct aiobench_hist jh[2][2];	/* two jobs' reads and writes */
static struct aiobench_log logs[2];

/*
 * Job 0: 100 reads in interval 0 (1..100 us), nothing in 1 and 2 (a stall),
 * 10 writes of 5 ms at the start of 3, ends half way through 4.
 * Job 1: 50 reads of 2 us in interval 0, ends at the end of 1, on a boundary.
 */
static void log_two_jobs(struct aiobench_timeline *t)
{
	const struct aiobench_log *const l[2] = { &logs[0], &logs[1] };

	for (int j = 0; j < 2; j++) {
		aiobench_hist_init(&jh[j][0]);
		aiobench_hist_init(&jh[j][1]);
		aiobench_log_init(&logs[j], IV);
		aiobench_log_start(&logs[j], T0);
	}
	for (int i = 1; i <= 100; i++)
		complete(&logs[0], jh[0], T0 + i * 9000, i * 1000, 0);
	for (int i = 0; i < 10; i++)
		complete(&logs[0], jh[0], T0 + 3 * IV + i, 5000000, 1);
	aiobench_log_end(&logs[0], jh[0], T0 + 4 * IV + IV / 2);
	for (int i = 0; i < 50; i++)
		complete(&logs[1], jh[1], T0 + 1000 + i, 2000, 0);
	aiobench_log_end(&logs[1], jh[1], T0 + 2 * IV);
	ok(!aiobench_timeline_build(t, l, 2), "the log: the intervals are built");
}

static void test_log(void)
{
	struct aiobench_timeline t;
	const struct aiobench_point *p;
	int empty_ok = 1;
	uint64_t sum = 0;

	log_two_jobs(&t);
	ok(t.n == 5 && t.job_n[0] == 5 && t.job_n[1] == 2,
	   "the log: intervals to each job's end, the run's to the last");
	p = t.total;
	ok(p[0].ios == 150 && p[0].reads == 150 && p[1].ios == 0 && p[2].ios == 0 &&
	   p[3].ios == 10 && p[3].writes == 10 && p[4].ios == 0,
	   "the log: each completion counted in its interval, all jobs");
	for (size_t k = 0; k < t.n; k++)
		sum += p[k].ios;
	ok(sum == jh[0][0].count + jh[0][1].count + jh[1][0].count,
	   "the log: the intervals add up to the run's I/Os");
	for (int k = 1; k < 5; k += k == 2 ? 2 : 1)
		empty_ok &= p[k].iops == 0 && !p[k].p50 && !p[k].p99 && !p[k].max;
	ok(empty_ok, "the log: an interval without I/O has 0 IOPS and no latency");
	/* 1 us, 51 of 2 us, then 3..100 us: the 75th is 25 us, the 149th 99 us. */
	ok(p[0].min == 1000 && p[0].max == 100000 && near(p[0].p50, 25000, 0.02) &&
	   near(p[0].p99, 99000, 0.02), "the log: an interval's latencies, jobs merged");
	ok(p[3].p50 == 5000000 && p[3].p99 == 5000000 && p[3].max == 5000000,
	   "the log: a stall's aftermath in its own interval");
	ok(!p[3].partial && p[4].partial && p[4].seconds == IV / 2 / 1e9 &&
	   p[3].start == 3 * IV / 1e9, "the log: only the last is partial, and as long as it was");
	ok(p[0].iops == 150 / (IV / 1e9), "the log: IOPS over the interval's length");
	ok(t.job[0][0].ios == 100 && t.job[1][0].ios == 50 && t.job[1][1].ios == 0 &&
	   !t.job[1][1].partial && t.job[0][4].partial,
	   "the log: per job; ending on a boundary leaves no empty partial one");
	ok(near(t.job[0][0].p50, 50000, 0.02) && t.job[1][0].max == 2000,
	   "the log: per job latencies");
	aiobench_timeline_free(&t);
	for (int j = 0; j < 2; j++)
		aiobench_log_free(&logs[j]);
}

static void test_log_epoch(void)
{
	uint64_t shared = 0;

	ok(aiobench_log_epoch(&shared, 500) == 500 &&
	   aiobench_log_epoch(&shared, 400) == 500 &&
	   aiobench_log_epoch(&shared, 600) == 500,
	   "the log: the first job to start sets every job's start");
}

/* @n intervals of @iops IOPS (0: none completed), p99 @lat, into @t. */
static void fake_timeline(struct aiobench_timeline *t, struct aiobench_point *p,
			  size_t n, const double *iops, uint64_t lat)
{
	memset(t, 0, sizeof(*t));
	memset(p, 0, n * sizeof(*p));
	t->n = n;
	t->total = p;
	t->interval_ns = IV;
	for (size_t k = 0; k < n; k++) {
		p[k].iops = iops[k];
		p[k].ios = iops[k] > 0;
		p[k].p99 = p[k].ios ? lat : 0;
		p[k].start = k * IV / 1e9;
	}
}

static void test_log_stats(void)
{
	static const double iops[] = { 1000, 900, 0, 50, 1100, 1000, 2000 };
	struct aiobench_point p[200];
	struct aiobench_timeline_stats s;
	struct aiobench_timeline t;
	double many[200];
	char line[AIOBENCH_SPARK_WIDTH + 1];

	fake_timeline(&t, p, 7, iops, 1000);
	p[6].partial = true;		/* not in the statistics */
	p[4].p99 = 9000;
	aiobench_timeline_stats(&t, &s);
	ok(s.full == 6 && s.iops_min == 0 && s.iops_max == 1100 && s.iops_median == 900,
	   "log stats: min, median, max of the full intervals");
	ok(s.low == 2, "log stats: intervals under 10% of the median");
	ok(s.lat_n == 5 && s.p99_max == 9000 && s.p99_max_start == p[4].start &&
	   s.p99_median == 1000, "log stats: p99 of the intervals with an I/O");
	ok(aiobench_timeline_spark(&t, false, 1100, line) == 1 &&
	   !strcmp(line, "@%_.@@@"), "spark: IOPS, 0 as '_', at or over the top '@'");
	aiobench_timeline_spark(&t, true, 9000, line);
	ok(!strcmp(line, ".. .@.."), "spark: p99, blank without I/O");
	for (int k = 0; k < 200; k++)
		many[k] = k == 77 ? 0 : 100;
	fake_timeline(&t, p, 200, many, 10);
	p[150].p99 = 1000;
	ok(aiobench_timeline_spark(&t, false, 100, line) == 4 && strlen(line) == 50 &&
	   line[19] == '_' && line[18] == '@', "spark: 4 intervals a column, their lowest IOPS");
	aiobench_timeline_spark(&t, true, 1000, line);
	ok(line[37] == '@' && line[36] == '.', "spark: their highest p99");
}

int main(void)
{
	printf("TAP version 13\n");
	test_buckets();
	test_percentiles();
	test_merge();
	test_parse_size();
	test_pattern();
	test_pattern_torn();
	test_log();
	test_log_epoch();
	test_log_stats();
	printf("1..%d\n", n);
	return failed;
}
