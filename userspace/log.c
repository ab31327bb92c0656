// SPDX-License-Identifier: GPL-2.0
/*
 * --log-interval: each job's log of its intervals, kept by the job's own
 * thread as its I/Os complete (aiobench.h says how it stays cheap), and,
 * after the run, the run's intervals summed up from the jobs' logs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aiobench.h"

int aiobench_log_init(struct aiobench_log *log, uint64_t interval_ns)
{
	memset(log, 0, sizeof(*log));
	log->interval_ns = interval_ns;
	log->snap = calloc(AIOBENCH_BUCKETS, sizeof(*log->snap));
	return log->snap ? 0 : -ENOMEM;
}

void aiobench_log_free(struct aiobench_log *log)
{
	free(log->snap);
	free(log->iv);
	free(log->bins);
	memset(log, 0, sizeof(*log));
}

uint64_t aiobench_log_epoch(uint64_t *shared, uint64_t now)
{
	uint64_t seen = 0;

	if (__atomic_compare_exchange_n(shared, &seen, now, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return now;
	/*
	 * Another job came first, with a time taken before ours: our I/O
	 * starts after it, so every completion we log is inside the grid.
	 */
	return seen;
}

void aiobench_log_start(struct aiobench_log *log, uint64_t start_ns)
{
	log->start_ns = start_ns;
	log->next_ns = start_ns + log->interval_ns;
	log->min = UINT64_MAX;
	log->max = 0;
}

/* Room in *@arr (*@cap entries of @size) for entry @n; exits if none. */
static void *aiobench_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 256;
	arr = realloc(arr, *cap * size);
	if (!arr)
		aiobench_die("out of memory for --log-interval's log");
	return arr;
}

/*
 * The open interval's bins: what each bucket of @h gained since it opened.
 * Only the buckets from its least to its largest latency can have.
 */
static void aiobench_log_bins(struct aiobench_log *log,
			      const struct aiobench_hist h[2])
{
	unsigned int i = aiobench_hist_index(log->min);
	unsigned int last = aiobench_hist_index(log->max);

	for (; i <= last; i++) {
		uint64_t now = h[0].bucket[i] + h[1].bucket[i];

		if (now == log->snap[i])
			continue;
		log->bins = aiobench_grow(log->bins, &log->cap_bins,
					  log->nr_bins, sizeof(*log->bins));
		log->bins[log->nr_bins++] = (struct aiobench_log_bin){
			.index = i, .count = now - log->snap[i],
		};
		log->snap[i] = now;
	}
}

/* Close the open interval: what @h gained since it opened. */
static void aiobench_log_close(struct aiobench_log *log,
			       const struct aiobench_hist h[2])
{
	struct aiobench_log_iv *iv;
	size_t bin = log->nr_bins;

	if (log->min != UINT64_MAX)	/* an I/O completed in it */
		aiobench_log_bins(log, h);
	log->iv = aiobench_grow(log->iv, &log->cap_iv, log->nr_iv, sizeof(*log->iv));
	iv = &log->iv[log->nr_iv++];
	*iv = (struct aiobench_log_iv){
		.reads = h[0].count - log->snap_reads,
		.writes = h[1].count - log->snap_writes,
		.sum = h[0].sum + h[1].sum - log->snap_sum,
		.min = log->min, .max = log->max,
		.bin = bin, .nr_bins = log->nr_bins - bin,
	};
	log->snap_reads = h[0].count;
	log->snap_writes = h[1].count;
	log->snap_sum = h[0].sum + h[1].sum;
	log->min = UINT64_MAX;
	log->max = 0;
}

void aiobench_log_roll(struct aiobench_log *log, const struct aiobench_hist h[2],
		       uint64_t now)
{
	do {	/* the open interval, then any without a completion */
		aiobench_log_close(log, h);
		log->next_ns += log->interval_ns;
	} while (now >= log->next_ns);
}

void aiobench_log_end(struct aiobench_log *log, const struct aiobench_hist h[2],
		      uint64_t end_ns)
{
	if (end_ns >= log->next_ns)
		aiobench_log_roll(log, h, end_ns);
	log->end_ns = end_ns;
	/* The last, partial, unless the pass ended on its start with nothing. */
	if (end_ns > log->next_ns - log->interval_ns || log->min != UINT64_MAX)
		aiobench_log_close(log, h);
}

void aiobench_point_lat(struct aiobench_point *p, const struct aiobench_hist *h)
{
	p->min = h->count ? h->min : 0;
	p->max = h->max;
	p->mean = aiobench_hist_mean(h);
	p->p50 = aiobench_hist_percentile(h, 50);
	p->p99 = aiobench_hist_percentile(h, 99);
	p->p99_9 = aiobench_hist_percentile(h, 99.9);
}

/* Interval @k of @log into @p and its histogram @h (summing jobs). */
static void aiobench_point_add(struct aiobench_point *p, struct aiobench_hist *h,
			       const struct aiobench_log *log, size_t k)
{
	const struct aiobench_log_iv *iv = &log->iv[k];

	p->reads += iv->reads;
	p->writes += iv->writes;
	if (!(iv->reads + iv->writes))
		return;
	for (size_t b = iv->bin; b < iv->bin + iv->nr_bins; b++)
		h->bucket[log->bins[b].index] += log->bins[b].count;
	h->count += iv->reads + iv->writes;
	h->sum += iv->sum;
	h->min = iv->min < h->min ? iv->min : h->min;
	h->max = iv->max > h->max ? iv->max : h->max;
}

/*
 * @p, interval @k of @t, whose I/Os are in @h, summed up; the last ends at
 * @end (ns from the start), maybe before its full length.  @h is left
 * empty, cleared where it can hold counts: from its least to its largest.
 */
static void aiobench_point_finish(struct aiobench_point *p, struct aiobench_hist *h,
				  const struct aiobench_timeline *t, size_t k,
				  uint64_t end)
{
	uint64_t from = k * t->interval_ns, to = from + t->interval_ns;

	if (to > end) {
		to = end;
		p->partial = true;
	}
	p->start = from / 1e9;
	p->seconds = (to - from) / 1e9;
	p->ios = p->reads + p->writes;
	p->iops = p->seconds > 0 ? p->ios / p->seconds : 0;
	if (!h->count)
		return;
	aiobench_point_lat(p, h);
	memset(&h->bucket[aiobench_hist_index(h->min)], 0,
	       (aiobench_hist_index(h->max) - aiobench_hist_index(h->min) + 1) *
	       sizeof(h->bucket[0]));
	h->count = h->sum = h->max = 0;
	h->min = UINT64_MAX;
}

/* Allocate @t's arrays for @logs: 0, or -ENOMEM. */
static int aiobench_timeline_alloc(struct aiobench_timeline *t,
				   const struct aiobench_log *const *logs)
{
	t->total = calloc(t->n ?: 1, sizeof(*t->total));
	t->job_n = calloc(t->jobs, sizeof(*t->job_n));
	t->job = calloc(t->jobs, sizeof(*t->job));
	if (!t->total || !t->job_n || !t->job)
		return -ENOMEM;
	for (unsigned int j = 0; j < t->jobs; j++) {
		t->job_n[j] = logs[j]->nr_iv;
		t->job[j] = calloc(t->job_n[j] ?: 1, sizeof(*t->job[j]));
		if (!t->job[j])
			return -ENOMEM;
	}
	return 0;
}

int aiobench_timeline_build(struct aiobench_timeline *t,
			    const struct aiobench_log *const *logs,
			    unsigned int jobs)
{
	uint64_t start = logs[0]->start_ns, end = 0;
	struct aiobench_hist *h = malloc(sizeof(*h));
	unsigned int j;
	size_t k;

	memset(t, 0, sizeof(*t));
	t->interval_ns = logs[0]->interval_ns;
	t->jobs = jobs;
	for (j = 0; j < jobs; j++) {
		end = logs[j]->end_ns > end ? logs[j]->end_ns : end;
		t->n = logs[j]->nr_iv > t->n ? logs[j]->nr_iv : t->n;
	}
	if (!h || aiobench_timeline_alloc(t, logs)) {
		free(h);
		aiobench_timeline_free(t);
		return -ENOMEM;
	}
	aiobench_hist_init(h);
	for (k = 0; k < t->n; k++) {
		for (j = 0; j < jobs; j++)
			if (k < logs[j]->nr_iv)
				aiobench_point_add(&t->total[k], h, logs[j], k);
		aiobench_point_finish(&t->total[k], h, t, k, end - start);
	}
	for (j = 0; j < jobs; j++)
		for (k = 0; k < t->job_n[j]; k++) {
			aiobench_point_add(&t->job[j][k], h, logs[j], k);
			aiobench_point_finish(&t->job[j][k], h, t, k,
					      logs[j]->end_ns - start);
		}
	free(h);
	return 0;
}

void aiobench_timeline_free(struct aiobench_timeline *t)
{
	for (unsigned int j = 0; t->job && j < t->jobs; j++)
		free(t->job[j]);
	free(t->job);
	free(t->job_n);
	free(t->total);
	memset(t, 0, sizeof(*t));
}

static int aiobench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @v's @n values (the lower of the two middle ones); sorts @v. */
static double aiobench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), aiobench_cmp_double);
	return v[(n - 1) / 2];
}

/* The p99 of @t's full intervals with an I/O: min, median, max, into @s. */
static void aiobench_timeline_p99(const struct aiobench_timeline *t,
				  struct aiobench_timeline_stats *s, double *v)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct aiobench_point *p = &t->total[k];

		if (p->partial || !p->ios)
			continue;
		v[s->lat_n++] = p->p99;
		if (s->lat_n == 1 || p->p99 < s->p99_min)
			s->p99_min = p->p99;
		if (s->lat_n == 1 || p->p99 > s->p99_max) {
			s->p99_max = p->p99;
			s->p99_max_start = p->start;
		}
	}
	if (s->lat_n)
		s->p99_median = aiobench_median(v, s->lat_n);
}

void aiobench_timeline_stats(const struct aiobench_timeline *t,
			     struct aiobench_timeline_stats *s)
{
	double *v = malloc((t->n ?: 1) * sizeof(*v));
	size_t k;

	if (!v)
		aiobench_die("out of memory");
	memset(s, 0, sizeof(*s));
	for (k = 0; k < t->n; k++) {
		const struct aiobench_point *p = &t->total[k];

		if (p->partial)
			continue;
		v[s->full++] = p->iops;
		if (s->full == 1 || p->iops < s->iops_min)
			s->iops_min = p->iops;
		if (p->iops > s->iops_max)
			s->iops_max = p->iops;
	}
	if (s->full)
		s->iops_median = aiobench_median(v, s->full);
	for (k = 0; k < t->n; k++)
		s->low += !t->total[k].partial &&
			  t->total[k].iops < s->iops_median / 10;
	aiobench_timeline_p99(t, s, v);
	free(v);
}

/* @v's level of @top: a character of the spark line. */
static char aiobench_spark_level(double v, double top)
{
	static const char levels[] = ".:-=+*#%@";
	double l = top > 0 && v < top ? ceil(v / top * 9) : 9;

	if (v <= 0)
		return '_';
	return levels[(l < 1 ? 1 : (int)l) - 1];	/* only 0 is '_' */
}

size_t aiobench_timeline_spark(const struct aiobench_timeline *t, bool p99,
			       double top, char *out)
{
	size_t per = (t->n + AIOBENCH_SPARK_WIDTH - 1) / AIOBENCH_SPARK_WIDTH;
	size_t c, k;

	for (c = 0; c * per < t->n; c++) {
		double v = p99 ? 0 : -1;
		bool any = false;

		for (k = c * per; k < (c + 1) * per && k < t->n; k++) {
			const struct aiobench_point *p = &t->total[k];

			if (p99 && p->ios && p->p99 > v)
				v = p->p99;
			else if (!p99 && (v < 0 || p->iops < v))
				v = p->iops;
			any |= !p99 || p->ios;
		}
		out[c] = any ? aiobench_spark_level(v, top) : ' ';
	}
	out[c] = '\0';
	return per ?: 1;
}
