// SPDX-License-Identifier: GPL-2.0
/* aiobench's helpers without I/O: sizes and the --verify pattern. */
#include <errno.h>
#include <stdlib.h>

#include "aiobench.h"

int64_t aiobench_parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
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
