// SPDX-License-Identifier: GPL-2.0
/* aiobench's latency histogram: see aiobench.h. */
#include <math.h>
#include <string.h>

#include "aiobench.h"

unsigned int aiobench_hist_index(uint64_t ns)
{
	unsigned int msb;

	if (ns < AIOBENCH_SUB)
		return ns;
	msb = 63 - __builtin_clzll(ns);
	return (msb - AIOBENCH_SUB_BITS + 1) * AIOBENCH_SUB +
	       ((ns >> (msb - AIOBENCH_SUB_BITS)) & (AIOBENCH_SUB - 1));
}

/* The middle of bucket @index. */
uint64_t aiobench_hist_value(unsigned int index)
{
	unsigned int group = index / AIOBENCH_SUB, sub = index % AIOBENCH_SUB;
	unsigned int shift;
	uint64_t low;

	if (!group)
		return index;
	shift = group - 1;
	low = (uint64_t)(AIOBENCH_SUB + sub) << shift;
	return low + ((1ull << shift) >> 1);
}

void aiobench_hist_init(struct aiobench_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void aiobench_hist_add(struct aiobench_hist *h, uint64_t ns)
{
	h->bucket[aiobench_hist_index(ns)]++;
	h->count++;
	h->sum += ns;
	h->sum_sq += (double)ns * ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
}

void aiobench_hist_merge(struct aiobench_hist *into, const struct aiobench_hist *h)
{
	for (unsigned int i = 0; i < AIOBENCH_BUCKETS; i++)
		into->bucket[i] += h->bucket[i];
	into->count += h->count;
	into->sum += h->sum;
	into->sum_sq += h->sum_sq;
	if (h->min < into->min)
		into->min = h->min;
	if (h->max > into->max)
		into->max = h->max;
}

double aiobench_hist_mean(const struct aiobench_hist *h)
{
	return h->count ? (double)h->sum / h->count : 0;
}

double aiobench_stddev(uint64_t n, double sum, double sum_sq)
{
	double var;

	if (n < 2)
		return 0;
	var = (sum_sq - sum * sum / n) / (n - 1);
	return var > 0 ? sqrt(var) : 0;	/* rounding can make it a hair below 0 */
}

double aiobench_hist_stddev(const struct aiobench_hist *h)
{
	return aiobench_stddev(h->count, h->sum, h->sum_sq);
}

uint64_t aiobench_hist_percentile(const struct aiobench_hist *h, double p)
{
	/* Less a rounding error: 99.9% of 1000 is 999, not 999.0000000000001. */
	double want = p * h->count / 100 * (1 - 1e-12);
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	/* Nearest rank: the smallest value with p% of the samples at or below. */
	rank = (uint64_t)want;
	if (rank < want || rank < 1)
		rank++;
	if (rank >= h->count)
		return h->max;
	for (unsigned int i = 0; i < AIOBENCH_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t v = aiobench_hist_value(i);

			/* Never outside what was seen. */
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}
