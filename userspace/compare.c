// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench compare: one workload through each engine, side by side, with
 * the speedup over blocking I/O and the share of the Little's law ideal.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/aiodev.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aiobench.h"

/* The rows compare can show, in --engines's words. */
static const struct aiobench_variant aiobench_variants[] = {
	{ "sync", AIOBENCH_SYNC, false },
	{ "sync-threads", AIOBENCH_SYNC, true },
	{ "aio", AIOBENCH_AIO, false },
	{ "uring", AIOBENCH_URING, false },
	{ "uring-cmd", AIOBENCH_URING_CMD, false },
	{ "epoll", AIOBENCH_EPOLL, false },
};

const struct aiobench_variant *aiobench_variant(const char *name)
{
	for (size_t i = 0; i < sizeof(aiobench_variants) / sizeof(aiobench_variants[0]); i++)
		if (!strcmp(aiobench_variants[i].name, name))
			return &aiobench_variants[i];
	aiobench_die("unknown engine '%s' in --engines", name);
}

/* @base's workload through @v, with @depth in flight in all. */
struct aiobench_opts aiobench_variant_opts(const struct aiobench_opts *base,
					   const struct aiobench_variant *v,
					   unsigned int depth)
{
	struct aiobench_opts o = *base;

	o.engine = v->engine;
	o.quiet = true;
	o.json = false;
	if (v->engine == AIOBENCH_SYNC || v->engine == AIOBENCH_EPOLL) {
		o.jobs = v->threads ? depth : 1;
		o.qd = 1;
		o.batch_submit = o.batch_complete = 1;
	} else {
		o.jobs = 1;
		o.qd = depth;
	}
	return o;
}

/* What compare ran, and what it found. */
struct aiobench_compare {
	const struct aiobench_variant *ran[16];
	struct aiobench_result results[16];
	int done, usable, status;
	double sync_iops;
};

/* One row of compare's JSON: @sep, then the result of @name and its ideal. */
static void aiobench_compare_row(FILE *f, const char *sep, const char *name,
				 double ideal, const struct aiobench_result *r)
{
	fprintf(f, "%s{\"name\": \"%s\", \"ideal_iops\": %.1f, \"result\": ",
		sep, name, ideal);
	aiobench_print_json(f, r);
	fputc('}', f);
}

/* compare --out DIR: the rows as DIR/compare.json too. */
static void aiobench_compare_json(const char *dir, const struct aiobench_compare *c,
				  const struct aiodev_info *info)
{
	char path[512];
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST)
		aiobench_die("%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/compare.json", dir);
	f = fopen(path, "w");
	if (!f)
		aiobench_die("%s: %s", path, strerror(errno));
	fprintf(f, "[");
	for (int i = 0; i < c->done; i++) {
		const struct aiobench_opts *o = &c->results[i].opts;

		aiobench_compare_row(f, i ? ",\n " : "", c->ran[i]->name,
				     info ? aiobench_ideal(info, o->jobs * o->qd, o->bs) : 0,
				     &c->results[i]);
	}
	fprintf(f, "]\n");
	fclose(f);
}

/* The table's head: the workload, the device, the columns. */
static void aiobench_compare_head(const struct aiobench_opts *base,
				  const struct aiodev_info *info)
{
	printf("aiobench compare: %s, bs %zu, queue depth %u, %.1f s each, on %s\n",
	       aiobench_rw_names[base->rw], base->bs, base->qd,
	       base->runtime, base->file);
	if (info)
		aiobench_describe(info);
	printf("\n%-13s %9s %11s %9s %9s %9s %8s %9s\n", "engine", "jobs x qd",
	       "IOPS", "MiB/s", "lat p50", "lat p99", "vs sync", "of ideal");
}

/* A row of the table: @v's result @r, against @sync_iops and @ideal. */
static void aiobench_compare_line(const struct aiobench_variant *v,
				  const struct aiobench_result *r,
				  double sync_iops, double ideal)
{
	const struct aiobench_opts *o = &r->opts;
	char p50[16], p99[16], jq[24], speed[16] = "", of_ideal[16] = "";

	if (r->setup_error) {	/* n/a: this engine cannot work here */
		printf("%-13s %9s  n/a: %s\n", v->name, "", r->error_msg);
		return;
	}
	aiobench_human_ns(p50, sizeof(p50), aiobench_hist_percentile(&r->hist, 50));
	aiobench_human_ns(p99, sizeof(p99), aiobench_hist_percentile(&r->hist, 99));
	snprintf(jq, sizeof(jq), "%u x %u", o->jobs, o->qd);
	if (sync_iops)
		snprintf(speed, sizeof(speed), "%.2fx", aiobench_iops(r) / sync_iops);
	if (ideal)
		snprintf(of_ideal, sizeof(of_ideal), "%.0f%%",
			 100 * aiobench_iops(r) / ideal);
	printf("%-13s %9s %11.0f %9.1f %9s %9s %8s %9s\n", v->name,
	       jq, aiobench_iops(r), aiobench_mibs(r), p50, p99, speed, of_ideal);
}

/* Under the table: the ideal, and how to read the numbers. */
static void aiobench_compare_foot(const struct aiobench_opts *base,
				  const struct aiodev_info *info)
{
	if (info && info->latency_ns)
		printf("\nideal (Little's law): min(in flight, device queue depth %u) / "
		       "latency %.1f us%s;\n  at queue depth %u: %.0f IOPS\n",
		       info->queue_depth, info->latency_ns / 1e3,
		       info->bandwidth_mbps ? ", capped by the bandwidth" : "",
		       base->qd, aiobench_ideal(info, base->qd, base->bs));
	printf("Compare ratios: absolute numbers under emulation (TCG) are not those of hardware.\n");
}

/* Run @v on @base's workload into @c, and show it. */
static void aiobench_compare_one(const struct aiobench_opts *base,
				 const struct aiodev_info *info,
				 const struct aiobench_variant *v,
				 struct aiobench_compare *c)
{
	struct aiobench_opts o = aiobench_variant_opts(base, v, base->qd);
	struct aiobench_result *r = &c->results[c->done];
	double ideal = info ? aiobench_ideal(info, o.jobs * o.qd, o.bs) : 0;

	if (!base->quiet && !base->json && isatty(2))
		fprintf(stderr, "running %s...\r", v->name);
	aiobench_run(&o, r);
	c->ran[c->done++] = v;
	if (!r->setup_error) {
		c->status |= aiobench_verdict(r, v->name);
		c->usable++;
	}
	if (!c->sync_iops && v->engine == AIOBENCH_SYNC && !v->threads)
		c->sync_iops = aiobench_iops(r);
	if (base->json)
		aiobench_compare_row(stdout, c->done > 1 ? ", " : "", v->name,
				     ideal, r);
	else
		aiobench_compare_line(v, r, c->sync_iops, ideal);
}

int aiobench_cmd_compare(struct aiobench_cli *cli)
{
	const struct aiobench_opts *base = &cli->opts;
	const char *list = cli->engines ?: "sync,sync-threads,aio,uring,uring-cmd,epoll";
	const struct aiobench_variant *variants[16];
	static struct aiobench_compare c;	/* large: a histogram per engine */
	struct aiodev_info info;
	bool aiodev = aiobench_query(base->file, &info);
	char *names[16];
	int n = aiobench_split(list, names, 16);

	if (cli->jobs_given)
		aiobench_die("compare: each engine has its jobs (sync-threads: --qd threads); --jobs is for run");
	for (int i = 0; i < n; i++)
		variants[i] = aiobench_variant(names[i]);
	if (!base->json)
		aiobench_compare_head(base, aiodev ? &info : NULL);
	else
		printf("[");
	for (int i = 0; i < n && !aiobench_stop; i++) {
		if (variants[i]->engine == AIOBENCH_URING_CMD && !aiodev)
			continue;	/* passthrough speaks only to aiodev */
		aiobench_compare_one(base, aiodev ? &info : NULL, variants[i], &c);
	}
	if (cli->out)
		aiobench_compare_json(cli->out, &c, aiodev ? &info : NULL);
	if (aiobench_stop) {
		fprintf(stderr, "aiobench: compare: interrupted after %d of %d engines\n",
			c.done, n);
		c.status |= 1;
	}
	if (c.done && !c.usable) {
		fprintf(stderr, "aiobench: compare: no engine could run on %s\n",
			base->file);
		c.status = 2;
	}
	if (base->json) {
		printf("]\n");
		return c.status;
	}
	aiobench_compare_foot(base, aiodev ? &info : NULL);
	return c.status;
}
