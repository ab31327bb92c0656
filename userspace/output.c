// SPDX-License-Identifier: GPL-2.0
/* aiobench's output: a result as a table or as JSON, and what went wrong. */
#include <inttypes.h>
#include <stdio.h>

#include "engine.h"
#include "version.h"

void aiobench_human_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

double aiobench_iops(const struct aiobench_result *r)
{
	return r->seconds > 0 ? r->ios / r->seconds : 0;
}

double aiobench_mibs(const struct aiobench_result *r)
{
	return r->seconds > 0 ? r->bytes / r->seconds / 1048576 : 0;
}

static const char *aiobench_engine_label(const struct aiobench_opts *o)
{
	return aiobench_engines[o->engine]->name;
}

/* A line per interval of @t, all jobs. */
static void aiobench_print_log_lines(const struct aiobench_timeline *t)
{
	char lat[3][16];

	printf("%9s %9s %9s %10s %9s %9s %9s\n", "from s", "to s", "I/Os",
	       "IOPS", "lat p50", "lat p99", "lat max");
	for (size_t k = 0; k < t->n; k++) {
		const struct aiobench_point *p = &t->total[k];
		uint64_t v[3] = { p->p50, p->p99, p->max };

		for (int i = 0; i < 3; i++)	/* no I/O, no latency */
			if (p->ios)
				aiobench_human_ns(lat[i], sizeof(lat[i]), v[i]);
			else
				snprintf(lat[i], sizeof(lat[i]), "-");
		printf("%9.3f %9.3f %9" PRIu64 " %10.0f %9s %9s %9s%s\n", p->start,
		       p->start + p->seconds, p->ios, p->iops, lat[0], lat[1],
		       lat[2], p->partial ? "  partial" : "");
	}
}

/* @t's full intervals in a few numbers. */
static void aiobench_print_log_stats(const struct aiobench_timeline_stats *s)
{
	char lat[3][16];

	if (!s->full) {
		printf("  no full interval\n");
		return;
	}
	printf("  IOPS  min %.0f, median %.0f, max %.0f; %zu of %zu under 10%% of the median\n",
	       s->iops_min, s->iops_median, s->iops_max, s->low, s->full);
	if (!s->lat_n)
		return;
	aiobench_human_ns(lat[0], sizeof(lat[0]), s->p99_min);
	aiobench_human_ns(lat[1], sizeof(lat[1]), s->p99_median);
	aiobench_human_ns(lat[2], sizeof(lat[2]), s->p99_max);
	printf("  p99   min %s, median %s, max %s (the interval from %.3f s)\n",
	       lat[0], lat[1], lat[2], s->p99_max_start);
}

/* @t as a short timeline, or with @lines a line per interval. */
static void aiobench_print_log(const struct aiobench_timeline *t, bool lines)
{
	const struct aiobench_point *last = &t->total[t->n ? t->n - 1 : 0];
	struct aiobench_timeline_stats s;
	char line[AIOBENCH_SPARK_WIDTH + 1], top[16];
	size_t per;

	printf("log: %zu intervals of %g ms, all jobs", t->n, t->interval_ns / 1e6);
	aiobench_human_ns(top, sizeof(top), last->seconds * 1e9);
	if (t->n && last->partial)
		printf(" (the last partial: %s)", top);
	putchar('\n');
	if (lines) {
		aiobench_print_log_lines(t);
		return;
	}
	aiobench_timeline_stats(t, &s);
	aiobench_print_log_stats(&s);
	per = aiobench_timeline_spark(t, false, s.iops_max, line);
	printf("  IOPS |%s|  @ %.0f, _ none\n", line, s.iops_max);
	aiobench_timeline_spark(t, true, s.p99_max, line);
	aiobench_human_ns(top, sizeof(top), s.p99_max);
	printf("  p99  |%s|  @ %s, blank: no I/O\n", line, top);
	if (per > 1)
		printf("  (%zu intervals a column: their lowest IOPS, their highest p99)\n",
		       per);
}

void aiobench_print(const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;
	static const double pct[] = { 50, 99, 99.9 };
	char lat[5][16];

	aiobench_human_ns(lat[0], sizeof(lat[0]),
			  aiobench_hist_mean(&r->hist));
	for (int i = 0; i < 3; i++)
		aiobench_human_ns(lat[i + 1], sizeof(lat[i + 1]),
				  aiobench_hist_percentile(&r->hist, pct[i]));
	aiobench_human_ns(lat[4], sizeof(lat[4]), r->hist.count ? r->hist.max : 0);
	printf("aiobench: %s %s bs=%zu qd=%u jobs=%u on %s: %" PRIu64 " I/Os in %.2f s\n",
	       aiobench_engine_label(o), aiobench_rw_names[o->rw], o->bs, o->qd,
	       o->jobs, o->file, r->ios, r->seconds);
	printf("%12s %10s %9s %9s %9s %9s %9s %10s %10s\n", "IOPS", "MiB/s",
	       "lat mean", "p50", "p99", "p99.9", "max", "usr/req", "sys/req");
	printf("%12.0f %10.1f %9s %9s %9s %9s %9s %8.0fns %8.0fns\n",
	       aiobench_iops(r), aiobench_mibs(r), lat[0], lat[1], lat[2], lat[3],
	       lat[4], r->usr_ns_per_io, r->sys_ns_per_io);
	if (o->verify)
		printf("verify: %" PRIu64 " mismatched reads\n", r->mismatches);
	if (r->log.interval_ns)
		aiobench_print_log(&r->log, o->log_lines);
}

/* @s as a JSON string: quoted, with quotes, backslashes and controls escaped. */
void aiobench_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* {"min": ..., "max": ...}: latencies in ns. */
static void aiobench_json_lat(FILE *f, const struct aiobench_point *p)
{
	fprintf(f, "{\"min\": %" PRIu64 ", \"mean\": %.0f, \"p50\": %" PRIu64
		", \"p99\": %" PRIu64 ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64 "}",
		p->min, p->mean, p->p50, p->p99, p->p99_9, p->max);
}

void aiobench_print_json(FILE *f, const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;
	struct aiobench_point lat;

	aiobench_point_lat(&lat, &r->hist);
	fputs("{\"version\": \"" AIOBENCH_VERSION "\", \"file\": ", f);
	aiobench_json_str(f, o->file);
	fprintf(f, ", \"engine\": \"%s\", \"rw\": \"%s\", "
		"\"bs\": %zu, \"qd\": %u, \"jobs\": %u, \"seconds\": %.6f, "
		"\"ios\": %" PRIu64 ", \"reads\": %" PRIu64 ", \"writes\": %" PRIu64
		", \"bytes\": %" PRIu64 ", \"iops\": %.1f, \"mib_s\": %.3f, "
		"\"lat_ns\": ",
		aiobench_engine_label(o), aiobench_rw_names[o->rw], o->bs,
		o->qd, o->jobs, r->seconds, r->ios, r->reads, r->writes, r->bytes,
		aiobench_iops(r), aiobench_mibs(r));
	aiobench_json_lat(f, &lat);
	fprintf(f, ", \"cpu_ns_per_io\": {\"usr\": %.0f, \"sys\": %.0f}, "
		"\"verify\": %s, \"mismatches\": %" PRIu64 ", \"error\": ",
		r->usr_ns_per_io, r->sys_ns_per_io, o->verify ? "true" : "false",
		r->mismatches);
	aiobench_json_str(f, r->error_msg);
	if (r->log.interval_ns) {
		fputs(", \"log\": ", f);
		aiobench_timeline_json(f, &r->log);
	}
	fputc('}', f);
}

/* An interval: when, how long, what completed in it, and their latencies. */
static void aiobench_point_json(FILE *f, const struct aiobench_point *p)
{
	fprintf(f, "{\"start_s\": %.9f, \"seconds\": %.9f, \"partial\": %s, "
		"\"ios\": %" PRIu64 ", \"reads\": %" PRIu64 ", \"writes\": %" PRIu64
		", \"iops\": %.1f, \"lat_ns\": ", p->start, p->seconds,
		p->partial ? "true" : "false", p->ios, p->reads, p->writes, p->iops);
	if (p->ios)
		aiobench_json_lat(f, p);
	else		/* nothing completed: no latency, not a made-up one */
		fputs("null", f);
	fputc('}', f);
}

static void aiobench_points_json(FILE *f, const struct aiobench_point *p, size_t n)
{
	fputc('[', f);
	for (size_t k = 0; k < n; k++) {
		if (k)
			fputs(", ", f);
		aiobench_point_json(f, &p[k]);
	}
	fputc(']', f);
}

void aiobench_timeline_json(FILE *f, const struct aiobench_timeline *t)
{
	fprintf(f, "{\"interval_ms\": %g, \"intervals\": ", t->interval_ns / 1e6);
	aiobench_points_json(f, t->total, t->n);
	fputs(", \"jobs\": [", f);
	for (unsigned int j = 0; j < t->jobs; j++) {
		if (j)
			fputs(", ", f);
		aiobench_points_json(f, t->job[j], t->job_n[j]);
	}
	fputs("]}", f);
}

void aiobench_fail(const struct aiobench_result *r)
{
	fprintf(stderr, "aiobench: %s\n", r->error_msg);
}

/* compare's and sweep's verdict on @name's run: 1, said on stderr, if it failed. */
int aiobench_verdict(const struct aiobench_result *r, const char *name)
{
	if (r->error) {
		aiobench_fail(r);
		return 1;
	}
	if (r->mismatches) {
		fprintf(stderr, "aiobench: %s: %s: --verify found %" PRIu64
			" mismatched reads\n", r->opts.file, name, r->mismatches);
		return 1;
	}
	return 0;
}

/* run's and timeline's output of @r, in its format; the exit status. */
int aiobench_report(const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;

	if (o->format == AIOBENCH_JSON) {
		aiobench_print_json(stdout, r);
		putchar('\n');
	} else if (o->format == AIOBENCH_FIO_JSON) {
		aiobench_fio_json_head(stdout);
		aiobench_fio_json_job(stdout, r, "aiobench", true);
		aiobench_fio_json_tail(stdout);
	} else if (!r->error || r->ios) {
		aiobench_print(r);
	}
	if (r->error)
		aiobench_fail(r);
	if (r->setup_error)
		return 2;
	return r->error || r->mismatches ? 1 : 0;
}
