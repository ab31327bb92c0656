// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench compare: one workload through each engine, side by side, with
 * the speedup over blocking I/O and the share of the Little's law ideal.
 */
#include <inttypes.h>
#include <linux/aiodev.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

/* What compare runs, and what it found. */
struct aiobench_compare {
	const struct aiobench_opts *base;
	const struct aiobench_variant *variants[16];
	int n;			/* variants */
	uint64_t lats[16];	/* --latencies */
	int nl;
	bool aiodev;
	struct aiodev_info info;	/* the device, as the runs find it */
	FILE *json;		/* --out DIR's compare.json, or NULL */
	int done, usable, status;
	double sync_iops;
	struct aiobench_result r;	/* the latest run */
};

/* One row of compare's JSON: @sep, then the result of @name and its ideal. */
static void aiobench_compare_row(FILE *f, const char *sep, const char *name,
				 const struct aiobench_compare *c, double ideal)
{
	fprintf(f, "%s{\"name\": \"%s\", \"ideal_iops\": %.1f, \"latency_ns\": ",
		sep, name, ideal);
	if (c->aiodev)
		fprintf(f, "%" PRIu64, (uint64_t)c->info.latency_ns);
	else
		fputs("null", f);
	fputs(", \"result\": ", f);
	aiobench_print_json(f, &c->r);
	fputc('}', f);
}

/* compare --out DIR: DIR/compare.json, opened, its rows to come. */
static FILE *aiobench_compare_file(const char *dir)
{
	FILE *f = aiobench_out_file(dir, "compare.json");

	fputc('[', f);
	return f;
}

/* A table's head: the device, the columns. */
static void aiobench_compare_head(const struct aiobench_compare *c)
{
	if (c->aiodev)
		aiobench_describe(&c->info);
	printf("\n%-13s %9s %9s %9s %9s %8s %9s %9s %9s %9s\n", "engine",
	       "jobs x qd", "IOPS", "ideal", "of ideal", "vs sync", "lat p50",
	       "lat p99", "usr/req", "sys/req");
}

/* A row of the table: @v's result, against @sync_iops and @ideal. */
static void aiobench_compare_line(const struct aiobench_variant *v,
				  const struct aiobench_result *r,
				  double sync_iops, double ideal)
{
	const struct aiobench_opts *o = &r->opts;
	char lat[4][16], jq[24], speed[16] = "", id[16] = "", of_ideal[16] = "";

	if (r->setup_error) {	/* n/a: this engine cannot work here */
		printf("%-13s %9s  n/a: %s\n", v->name, "", r->error_msg);
		return;
	}
	aiobench_human_ns(lat[0], sizeof(lat[0]), aiobench_hist_percentile(&r->hist, 50));
	aiobench_human_ns(lat[1], sizeof(lat[1]), aiobench_hist_percentile(&r->hist, 99));
	aiobench_human_ns(lat[2], sizeof(lat[2]), r->usr_ns_per_io);
	aiobench_human_ns(lat[3], sizeof(lat[3]), r->sys_ns_per_io);
	snprintf(jq, sizeof(jq), "%u x %u", o->jobs, o->qd);
	if (sync_iops)
		snprintf(speed, sizeof(speed), "%.2fx", aiobench_iops(r) / sync_iops);
	if (ideal) {
		snprintf(id, sizeof(id), "%.0f", ideal);
		snprintf(of_ideal, sizeof(of_ideal), "%.0f%%",
			 100 * aiobench_iops(r) / ideal);
	}
	printf("%-13s %9s %9.0f %9s %9s %8s %9s %9s %9s %9s\n", v->name, jq,
	       aiobench_iops(r), id, of_ideal, speed, lat[0], lat[1], lat[2],
	       lat[3]);
}

/* Under a table: the ideal. */
static void aiobench_compare_foot(const struct aiobench_compare *c)
{
	const struct aiodev_info *info = &c->info;
	const struct aiobench_opts *base = c->base;

	if (c->aiodev && info->latency_ns)
		printf("\nideal (Little's law): min(in flight, device queue depth %u) / "
		       "latency %.1f us%s;\n  at queue depth %u: %.0f IOPS\n",
		       info->queue_depth, info->latency_ns / 1e3,
		       info->bandwidth_mbps ? ", capped by the bandwidth" : "",
		       base->qd, aiobench_ideal(info, base->qd, base->bs));
}

/* @v's run as a job of fio's JSON, named after its device latency too. */
static void aiobench_compare_fio_job(const struct aiobench_compare *c,
				     const struct aiobench_variant *v)
{
	char name[64];

	if (c->nl)
		snprintf(name, sizeof(name), "%s, latency %" PRIu64 " ns", v->name,
			 (uint64_t)c->info.latency_ns);
	else
		snprintf(name, sizeof(name), "%s", v->name);
	aiobench_fio_json_job(stdout, &c->r, name, !c->done);
}

/* Run @v on the workload into @c, and show it. */
static void aiobench_compare_one(struct aiobench_compare *c,
				 const struct aiobench_variant *v)
{
	const struct aiobench_opts *base = c->base;
	struct aiobench_opts o = aiobench_variant_opts(base, v, base->qd);
	struct aiobench_result *r = &c->r;
	double ideal = c->aiodev ? aiobench_ideal(&c->info, o.jobs * o.qd, o.bs) : 0;

	if (!base->quiet && base->format == AIOBENCH_NORMAL && isatty(2))
		fprintf(stderr, "running %s...\r", v->name);
	aiobench_run(&o, r);
	if (!r->setup_error) {
		c->status |= aiobench_verdict(r, v->name);
		c->usable++;
	}
	if (!c->sync_iops && v->engine == AIOBENCH_SYNC && !v->threads)
		c->sync_iops = aiobench_iops(r);
	if (c->json)
		aiobench_compare_row(c->json, c->done ? ",\n " : "", v->name, c, ideal);
	if (base->format == AIOBENCH_JSON)
		aiobench_compare_row(stdout, c->done ? ", " : "", v->name, c, ideal);
	else if (base->format == AIOBENCH_FIO_JSON)
		aiobench_compare_fio_job(c, v);
	else
		aiobench_compare_line(v, r, c->sync_iops, ideal);
	aiobench_result_free(r);
	c->done++;
}

/* Every engine, with the device as it is (@lat < 0) or at latency @lat. */
static void aiobench_compare_table(struct aiobench_compare *c, int64_t lat)
{
	const struct aiobench_opts *base = c->base;

	if (lat >= 0) {
		aiobench_set_latency(base->file, lat);
		aiobench_query(base->file, &c->info);
	}
	c->sync_iops = 0;
	if (base->format == AIOBENCH_NORMAL)
		aiobench_compare_head(c);
	for (int i = 0; i < c->n && !aiobench_stop; i++) {
		if (c->variants[i]->engine == AIOBENCH_URING_CMD && !c->aiodev)
			continue;	/* passthrough speaks only to aiodev */
		aiobench_compare_one(c, c->variants[i]);
	}
	if (base->format == AIOBENCH_NORMAL)
		aiobench_compare_foot(c);
}

/* @cli's engines and latencies into @c; the device, which they may need. */
static void aiobench_compare_setup(const struct aiobench_cli *cli,
				   struct aiobench_compare *c)
{
	const char *list = cli->engines ?: "sync,sync-threads,aio,uring,uring-cmd,epoll";
	char *names[16];

	if (cli->jobs_given)
		aiobench_die("compare: each engine has its jobs (sync-threads: --qd threads); --jobs is for run");
	if (cli->opts.rw == AIOBENCH_NOP)
		aiobench_die("compare: --rw nop is for run (-e uring-cmd)");
	if (cli->opts.log_lines)
		aiobench_die("compare: --log-lines is for run and timeline (--log-interval's log is in compare's JSON)");
	c->base = &cli->opts;
	c->n = aiobench_split(list, names, 16);
	for (int i = 0; i < c->n; i++)
		c->variants[i] = aiobench_variant(names[i]);
	if (cli->latencies)
		c->nl = aiobench_latencies(cli->latencies, c->lats, 16);
	c->aiodev = aiobench_query(c->base->file, &c->info);
	if (c->nl && !c->aiodev)
		aiobench_die("compare --latencies: %s is not an aiodev device",
			     c->base->file);
	if (cli->out)
		c->json = aiobench_compare_file(cli->out);
}

/* What comes before the tables, in each output format. */
static void aiobench_compare_start(const struct aiobench_opts *base)
{
	switch (base->format) {
	case AIOBENCH_NORMAL:
		printf("aiobench compare: %s, bs %zu, queue depth %u, %.1f s each, on %s\n",
		       aiobench_rw_names[base->rw], base->bs, base->qd,
		       base->runtime, base->file);
		break;
	case AIOBENCH_JSON:
		putchar('[');
		break;
	case AIOBENCH_FIO_JSON:
		aiobench_fio_json_head(stdout);
		break;
	}
}

/* What comes after them. */
static void aiobench_compare_end(const struct aiobench_opts *base)
{
	switch (base->format) {
	case AIOBENCH_NORMAL:
		printf("Compare ratios: absolute numbers under emulation (TCG) are not those of hardware.\n"
		       "usr/req, sys/req: CPU time of the aiobench process per request, user and system\n"
		       "  (io_uring's SQPOLL and io-wq threads are in it; softirqs and kernel workers not).\n");
		break;
	case AIOBENCH_JSON:
		printf("]\n");
		break;
	case AIOBENCH_FIO_JSON:
		aiobench_fio_json_tail(stdout);
		break;
	}
}

int aiobench_cmd_compare(struct aiobench_cli *cli)
{
	static struct aiobench_compare c;	/* large: a histogram */
	const struct aiobench_opts *base = &cli->opts;
	int l = 0;

	aiobench_compare_setup(cli, &c);
	aiobench_compare_start(base);
	do {
		if (base->format == AIOBENCH_NORMAL && l)
			putchar('\n');
		aiobench_compare_table(&c, c.nl ? (int64_t)c.lats[l] : -1);
	} while (++l < c.nl && !aiobench_stop);
	if (c.json) {
		fputs("]\n", c.json);
		fclose(c.json);
	}
	if (aiobench_stop) {
		fprintf(stderr, "aiobench: compare: interrupted after %d of %d engines\n",
			c.done, c.n * (c.nl ?: 1));
		c.status |= 1;
	}
	if (c.done && !c.usable) {
		fprintf(stderr, "aiobench: compare: no engine could run on %s\n",
			base->file);
		c.status = 2;
	}
	aiobench_compare_end(base);
	return c.status;
}
