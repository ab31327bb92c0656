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

void aiobench_print_json(FILE *f, const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;

	fputs("{\"version\": \"" AIOBENCH_VERSION "\", \"file\": ", f);
	aiobench_json_str(f, o->file);
	fprintf(f, ", \"engine\": \"%s\", \"rw\": \"%s\", "
		"\"bs\": %zu, \"qd\": %u, \"jobs\": %u, \"seconds\": %.6f, "
		"\"ios\": %" PRIu64 ", \"reads\": %" PRIu64 ", \"writes\": %" PRIu64
		", \"bytes\": %" PRIu64 ", \"iops\": %.1f, \"mib_s\": %.3f, "
		"\"lat_ns\": {\"min\": %" PRIu64 ", \"mean\": %.0f, \"p50\": %" PRIu64
		", \"p99\": %" PRIu64 ", \"p99_9\": %" PRIu64 ", \"max\": %" PRIu64 "}, "
		"\"cpu_ns_per_io\": {\"usr\": %.0f, \"sys\": %.0f}, "
		"\"verify\": %s, \"mismatches\": %" PRIu64 ", \"error\": ",
		aiobench_engine_label(o), aiobench_rw_names[o->rw], o->bs,
		o->qd, o->jobs, r->seconds, r->ios, r->reads, r->writes, r->bytes,
		aiobench_iops(r), aiobench_mibs(r),
		r->hist.count ? r->hist.min : 0,
		aiobench_hist_mean(&r->hist),
		aiobench_hist_percentile(&r->hist, 50),
		aiobench_hist_percentile(&r->hist, 99),
		aiobench_hist_percentile(&r->hist, 99.9),
		r->hist.count ? r->hist.max : 0, r->usr_ns_per_io,
		r->sys_ns_per_io, o->verify ? "true" : "false", r->mismatches);
	aiobench_json_str(f, r->error_msg);
	fputc('}', f);
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
