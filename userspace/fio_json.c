// SPDX-License-Identifier: GPL-2.0
/*
 * --output-format fio-json: results in the layout of fio's json+ output,
 * with fio's names and units, for the tools that read fio's (fio-plot,
 * fio_jsonplus_clat2csv).  A run is one job, as fio reports a group of
 * threads with group_reporting; compare gives a job per engine.
 *
 * What aiobench measures differently is said here and in aiobench(1):
 * one latency per I/O, from its queueing to its completion being seen
 * (fio's lat), so clat_ns holds the same numbers and slat_ns is absent;
 * bins are the histogram's buckets (their middle value, in ns, within 1/64);
 * CPU time and context switches are the process's.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "aiobench.h"
#include "version.h"

/* fio's default percentile_list. */
static const double aiobench_fio_pct[] = {
	1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
};

/* --rw in fio's words (nop in aiobench's). */
static const char *const aiobench_fio_rw[AIOBENCH_NR_RW] = {
	[AIOBENCH_READ] = "read",
	[AIOBENCH_WRITE] = "write",
	[AIOBENCH_RANDREAD] = "randread",
	[AIOBENCH_RANDWRITE] = "randwrite",
	[AIOBENCH_MIXED] = "randrw",
	[AIOBENCH_NOP] = "nop",		/* fio has none: aiobench's word */
};

void aiobench_fio_json_head(FILE *f)
{
	struct timeval tv;
	char when[64];
	struct tm tm;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(f, "{\n  \"fio version\" : \"aiobench-%s\",\n"
		"  \"timestamp\" : %lld,\n  \"timestamp_ms\" : %lld,\n"
		"  \"time\" : \"%s\",\n  \"jobs\" : [", AIOBENCH_VERSION,
		(long long)tv.tv_sec,
		(long long)tv.tv_sec * 1000 + tv.tv_usec / 1000, when);
}

void aiobench_fio_json_tail(FILE *f)
{
	fputs("\n  ]\n}\n", f);
}

/* "name" : "value", as fio writes each of its job options. */
static void aiobench_fio_opt(FILE *f, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void aiobench_fio_opt(FILE *f, const char *name, const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	fprintf(f, ",\n        \"%s\" : ", name);
	aiobench_json_str(f, val);
}

/* The options of @o that fio has, under fio's names. */
static void aiobench_fio_options(FILE *f, const struct aiobench_opts *o,
				 const char *name)
{
	fputs("      \"job options\" : {\n        \"name\" : ", f);
	aiobench_json_str(f, name);
	aiobench_fio_opt(f, "filename", "%s", o->file);
	aiobench_fio_opt(f, "rw", "%s", aiobench_fio_rw[o->rw]);
	if (o->rw == AIOBENCH_MIXED)
		aiobench_fio_opt(f, "rwmixread", "%u", o->mix);
	aiobench_fio_opt(f, "bs", "%zu", o->bs);
	aiobench_fio_opt(f, "ioengine", "%s", aiobench_engine_names[o->engine]);
	aiobench_fio_opt(f, "iodepth", "%u", o->qd);
	aiobench_fio_opt(f, "numjobs", "%u", o->jobs);
	if (o->ops)
		aiobench_fio_opt(f, "number_ios", "%" PRIu64, o->ops);
	else
		aiobench_fio_opt(f, "runtime", "%g", o->runtime);
	if (o->offset)
		aiobench_fio_opt(f, "offset", "%" PRIu64, o->offset);
	if (o->size)
		aiobench_fio_opt(f, "size", "%" PRIu64, o->size);
	aiobench_fio_opt(f, "randseed", "%u", o->seed);
	aiobench_fio_opt(f, "direct", "%d", o->direct || o->iopoll);
	if (o->fixed_bufs)
		aiobench_fio_opt(f, "fixedbufs", "1");
	if (o->fixed_files)
		aiobench_fio_opt(f, "registerfiles", "1");
	if (o->sqpoll)
		aiobench_fio_opt(f, "sqthread_poll", "1");
	if (o->iopoll)
		aiobench_fio_opt(f, "hipri", "1");
	aiobench_fio_opt(f, "iodepth_batch_submit", "%u", o->batch_submit);
	aiobench_fio_opt(f, "iodepth_batch_complete_min", "%u", o->batch_complete);
	fputs("\n      },\n", f);
}

/* A latency's statistics: min, max, mean, stddev, N, percentiles, bins. */
static void aiobench_fio_lat(FILE *f, const char *name,
			     const struct aiobench_hist *h, bool last)
{
	const char *sep = "";

	fprintf(f, "        \"%s\" : {\n          \"min\" : %" PRIu64 ",\n"
		"          \"max\" : %" PRIu64 ",\n          \"mean\" : %f,\n"
		"          \"stddev\" : %f,\n          \"N\" : %" PRIu64,
		name, h->count ? h->min : 0, h->max, aiobench_hist_mean(h),
		aiobench_hist_stddev(h), h->count);
	if (h->count) {		/* as fio: no percentiles of nothing */
		fputs(",\n          \"percentile\" : {", f);
		for (size_t i = 0; i < sizeof(aiobench_fio_pct) / sizeof(aiobench_fio_pct[0]); i++)
			fprintf(f, "%s\n            \"%f\" : %" PRIu64, i ? "," : "",
				aiobench_fio_pct[i],
				aiobench_hist_percentile(h, aiobench_fio_pct[i]));
		fputs("\n          },\n          \"bins\" : {", f);
		for (unsigned int i = 0; i < AIOBENCH_BUCKETS; i++) {
			if (!h->bucket[i])
				continue;
			fprintf(f, "%s\n            \"%" PRIu64 "\" : %" PRIu64, sep,
				aiobench_hist_value(i), h->bucket[i]);
			sep = ",";
		}
		fputs("\n          }", f);
	}
	fprintf(f, "\n        }%s\n", last ? "" : ",");
}

/* The statistics of @s scaled by @k: fio's <what>_min, _max, _mean, ... */
static void aiobench_fio_samples(FILE *f, const char *what, const char *dev,
				 const struct aiobench_samples *s, double k)
{
	double mean = s->n ? s->sum / s->n : 0;

	fprintf(f, "        \"%s_min\" : %.0f,\n        \"%s_max\" : %.0f,\n"
		"        \"%s_mean\" : %f,\n        \"%s_%s\" : %f,\n"
		"        \"%s_samples\" : %" PRIu64, what, s->min * k, what,
		s->max * k, what, mean * k, what, dev,
		aiobench_stddev(s->n, s->sum, s->sum_sq) * k, what, s->n);
}

/* Direction @d (0 reads, 1 writes, 2 trims: none) of @r. */
static void aiobench_fio_dir(FILE *f, const struct aiobench_result *r, int d)
{
	static const struct aiobench_samples none;
	const struct aiobench_hist *h = d < 2 ? &r->dir_hist[d] : NULL;
	uint64_t ios = h ? h->count : 0, bytes = ios * r->opts.bs;
	double secs = ios ? r->seconds : 0, iops = secs ? ios / secs : 0;
	const struct aiobench_samples *s = d < 2 ? &r->samples[d] : &none;
	struct aiobench_hist empty;

	if (!h) {
		aiobench_hist_init(&empty);
		h = &empty;
	}
	fprintf(f, "      \"%s\" : {\n        \"io_bytes\" : %" PRIu64 ",\n"
		"        \"io_kbytes\" : %" PRIu64 ",\n        \"bw_bytes\" : %.0f,\n"
		"        \"bw\" : %.0f,\n        \"iops\" : %f,\n"
		"        \"runtime\" : %.0f,\n        \"total_ios\" : %" PRIu64 ",\n"
		"        \"short_ios\" : 0,\n        \"drop_ios\" : 0,\n",
		d == 0 ? "read" : d == 1 ? "write" : "trim", bytes, bytes / 1024,
		secs ? bytes / secs : 0, secs ? bytes / secs / 1024 : 0, iops,
		secs * 1000, ios);
	aiobench_fio_lat(f, "clat_ns", h, false);
	aiobench_fio_lat(f, "lat_ns", h, false);
	aiobench_fio_samples(f, "bw", "dev", s, r->opts.bs / 1024.0);
	fprintf(f, ",\n        \"bw_agg\" : %f,\n", ios ? 100.0 : 0);
	aiobench_fio_samples(f, "iops", "stddev", s, 1);
	fputs("\n      },\n", f);
}

/*
 * fio's latency_ns, latency_us and latency_ms: the share of I/Os (%) below
 * each bound and at or above the one before, from the histogram's buckets.
 */
static void aiobench_fio_lat_shares(FILE *f, const struct aiobench_hist *h)
{
	static const unsigned int bounds[] = {
		2, 4, 10, 20, 50, 100, 250, 500, 750, 1000, 2000,
	};
	static const char *const names[] = { "ns", "us", "ms" };
	double share[3][12] = { };

	for (unsigned int i = 0; i < AIOBENCH_BUCKETS; i++) {
		uint64_t v = aiobench_hist_value(i);
		int unit = v < 1000 ? 0 : v < 1000000 ? 1 : 2, b = 0;

		if (!h->bucket[i])
			continue;
		v /= unit == 0 ? 1 : unit == 1 ? 1000 : 1000000;
		while (b < 11 && v >= bounds[b])
			b++;
		share[unit][b] += 100.0 * h->bucket[i] / h->count;
	}
	for (int unit = 0; unit < 3; unit++) {
		int n = unit < 2 ? 10 : 12;

		fprintf(f, ",\n      \"latency_%s\" : {", names[unit]);
		for (int b = 0; b < n; b++)
			fprintf(f, "%s\n        \"%s%u\" : %f", b ? "," : "",
				b == 11 ? ">=" : "", bounds[b < 11 ? b : 10],
				share[unit][b]);
		fputs("\n      }", f);
	}
}

void aiobench_fio_json_job(FILE *f, const struct aiobench_result *r,
			   const char *name, bool first)
{
	const struct aiobench_opts *o = &r->opts;
	/* As fio with group_reporting: per job (thread), averaged. */
	double cpu = r->seconds * 1e9 * o->jobs;

	fprintf(f, "%s\n    {\n      \"jobname\" : ", first ? "" : ",");
	aiobench_json_str(f, name);
	fprintf(f, ",\n      \"groupid\" : 0,\n      \"error\" : %d,\n"
		"      \"elapsed\" : %.0f,\n", -r->error, ceil(r->seconds));
	aiobench_fio_options(f, o, name);
	for (int d = 0; d < 3; d++)
		aiobench_fio_dir(f, r, d);
	fprintf(f, "      \"job_runtime\" : %.0f,\n      \"usr_cpu\" : %f,\n"
		"      \"sys_cpu\" : %f,\n      \"ctx\" : %" PRIu64 ",\n"
		"      \"majf\" : %" PRIu64 ",\n      \"minf\" : %" PRIu64,
		r->seconds * 1000, cpu ? 100 * r->usr_ns / cpu : 0,
		cpu ? 100 * r->sys_ns / cpu : 0, r->ctx, r->majf, r->minf);
	aiobench_fio_lat_shares(f, &r->hist);
	fputs("\n    }", f);
}
