// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench's logic without I/O, natively: the latency histogram and its
 * percentiles, size parsing, the --verify pattern.  TAP output.
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

int main(void)
{
	printf("TAP version 13\n");
	test_buckets();
	test_percentiles();
	test_merge();
	test_parse_size();
	test_pattern();
	test_pattern_torn();
	printf("1..%d\n", n);
	return failed;
}
