// SPDX-License-Identifier: GPL-2.0
/* aiobench's helpers without I/O: errors, time, sizes, the --verify pattern. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aiobench.h"

/* Bad usage or setup: say so and exit 2. */
void aiobench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("aiobench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

uint64_t aiobench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int64_t aiobench_parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	/* Decimal (a leading 0 is not octal), or hexadecimal after 0x. */
	v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		end++;
	if (*end || v > (uint64_t)INT64_MAX >> shift)
		return -1;
	return (int64_t)(v << shift);
}

/* The pattern: 8-byte words, each a function of its offset and the seed. */
static uint64_t aiobench_word(uint64_t offset, unsigned int seed)
{
	uint64_t x = (offset + seed) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29) ^ seed;
}

void aiobench_fill(void *buf, size_t len, uint64_t offset, unsigned int seed)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = aiobench_word(offset + i * 8, seed);
}

bool aiobench_check(const void *buf, size_t len, uint64_t offset,
		    unsigned int seed)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != aiobench_word(offset + i * 8, seed))
			return false;
	return true;
}

bool aiobench_check_either(const void *buf, size_t len, uint64_t offset,
			   unsigned int seed_a, unsigned int seed_b)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++) {
		uint64_t a = w[i] ^ aiobench_word(offset + i * 8, seed_a);
		uint64_t b = w[i] ^ aiobench_word(offset + i * 8, seed_b);

		for (int byte = 0; byte < 64; byte += 8)
			if ((a >> byte & 0xff) && (b >> byte & 0xff))
				return false;
	}
	return true;
}
