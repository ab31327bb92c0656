// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench sweep: engines x queue depths x device latencies on aiodev
 * (latency_ns set through sysfs and restored), into CSV, JSON and a
 * gnuplot SVG per latency of IOPS by queue depth, with the ideal.
 */
#include <inttypes.h>
#include <linux/aiodev.h>
#include <stdio.h>
#include <unistd.h>

#include "aiobench.h"

/* IOPS against queue depth for each engine, and the ideal: an SVG plot. */
static void aiobench_plot(const char *out, uint64_t lat, int ne)
{
	char name[64];
	FILE *f;

	snprintf(name, sizeof(name), "sweep-%" PRIu64, lat);
	f = aiobench_plot_open(out, name, 800, 500);
	fprintf(f, "set title 'aiodev, device latency %" PRIu64 " ns: IOPS by requests in flight'\n"
		"set logscale x 2\nset xlabel 'requests in flight (queue depth; threads for sync)'\n"
		"set ylabel 'IOPS'\nset key top left\nset grid\n"
		"plot for [i=3:%d] '%s/%s.dat' using 1:i with linespoints "
		"title columnheader(i)", lat, ne + 2, out, name);
	if (lat)
		fprintf(f, ", '' using 1:2 with lines dashtype 2 lc rgb 'black' "
			"title \"ideal (Little's law)\"");
	fputc('\n', f);
	aiobench_plot_run(f, out, name);
}

/* A sweep: what it runs, and where its results go. */
struct aiobench_sweep {
	const struct aiobench_opts *base;
	const char *out;
	const struct aiobench_variant *variants[8];
	unsigned int depths[16];
	uint64_t lats[16];
	int ne, nd, nl;
	FILE *csv, *json;
	bool first;		/* no JSON row written yet */
	int status;
};

/* @cli's lists, checked, into @s. */
static void aiobench_sweep_lists(const struct aiobench_cli *cli,
				 struct aiobench_sweep *s)
{
	char *engines[8], *depths[16];

	s->ne = aiobench_split(cli->engines ?: "sync,aio,uring,uring-cmd", engines, 8);
	s->nd = aiobench_split(cli->depths ?: "1,2,4,8,16,32,64,128", depths, 16);
	for (int e = 0; e < s->ne; e++)
		s->variants[e] = aiobench_variant(engines[e]);
	for (int d = 0; d < s->nd; d++)
		s->depths[d] = aiobench_number(depths[d], "--depths", 1, 1024);
	s->nl = aiobench_latencies(cli->latencies ?: "0,10000,100000,1000000",
				   s->lats, 16);
}

/* The output directory and its CSV and JSON files. */
static void aiobench_sweep_files(struct aiobench_sweep *s)
{
	s->csv = aiobench_out_file(s->out, "sweep.csv");
	s->json = aiobench_out_file(s->out, "sweep.json");
}

/* One point: @v at @depth on the device at @lat, into the files and @dat. */
static void aiobench_sweep_point(struct aiobench_sweep *s, FILE *dat, uint64_t lat,
				 unsigned int depth, double ideal,
				 const struct aiobench_variant *v)
{
	const struct aiobench_opts *base = s->base;
	struct aiobench_opts o = aiobench_variant_opts(base, v, depth);
	struct aiobench_result r;

	if (v->engine == AIOBENCH_SYNC || v->engine == AIOBENCH_EPOLL)
		o.jobs = depth;	/* a thread per request in flight */
	if (!base->quiet && isatty(2))
		fprintf(stderr, "latency %" PRIu64 " ns, %s, depth %u...   \r",
			lat, v->name, depth);
	aiobench_run(&o, &r);
	s->status |= aiobench_verdict(&r, v->name);
	fprintf(dat, " %.1f", aiobench_iops(&r));
	fprintf(s->csv, "%" PRIu64 ",%s,%u,%.1f,%.3f,%.0f,%" PRIu64 ",%" PRIu64 ",%.1f\n",
		lat, v->name, depth, aiobench_iops(&r), aiobench_mibs(&r),
		aiobench_hist_mean(&r.hist),
		aiobench_hist_percentile(&r.hist, 50),
		aiobench_hist_percentile(&r.hist, 99), ideal);
	fprintf(s->json, "%s{\"latency_ns\": %" PRIu64 ", \"name\": \"%s\", "
		"\"depth\": %u, \"ideal_iops\": %.1f, \"result\": ",
		s->first ? "" : ",\n ", lat, v->name, depth, ideal);
	aiobench_print_json(s->json, &r);
	fputc('}', s->json);
	s->first = false;
	aiobench_result_free(&r);
}

/* Every depth and engine with the device at latency @lat, and its plot. */
static void aiobench_sweep_latency(struct aiobench_sweep *s, uint64_t lat)
{
	const struct aiobench_opts *base = s->base;
	struct aiodev_info info;
	char name[64];
	FILE *dat;

	aiobench_set_latency(base->file, lat);
	aiobench_query(base->file, &info);
	snprintf(name, sizeof(name), "sweep-%" PRIu64 ".dat", lat);
	dat = aiobench_out_file(s->out, name);
	fprintf(dat, "depth ideal");
	for (int e = 0; e < s->ne; e++)
		fprintf(dat, " %s", s->variants[e]->name);
	fputc('\n', dat);
	for (int d = 0; d < s->nd && !aiobench_stop; d++) {
		unsigned int depth = s->depths[d];
		double ideal = aiobench_ideal(&info, depth, base->bs);

		fprintf(dat, "%u %.1f", depth, ideal);
		for (int e = 0; e < s->ne && !aiobench_stop; e++)
			aiobench_sweep_point(s, dat, lat, depth, ideal, s->variants[e]);
		fputc('\n', dat);
	}
	fclose(dat);
	if (!aiobench_stop)
		aiobench_plot(s->out, lat, s->ne);
}

int aiobench_cmd_sweep(struct aiobench_cli *cli)
{
	const struct aiobench_opts *base = &cli->opts;
	struct aiobench_sweep s = {
		.base = base, .out = cli->out ?: "aiobench-sweep", .first = true,
	};
	struct aiodev_info info;

	if (cli->jobs_given)
		aiobench_die("sweep: each engine has its jobs (sync: a thread per I/O in flight); --jobs is for run");
	if (base->rw == AIOBENCH_NOP)
		aiobench_die("sweep: --rw nop is for run (-e uring-cmd)");
	if (base->format == AIOBENCH_FIO_JSON)
		aiobench_die("sweep: --output-format fio-json is for run and compare (sweep writes CSV and JSON files)");
	if (base->log_lines)
		aiobench_die("sweep: --log-lines is for run and timeline (--log-interval's log is in sweep.json)");
	if (!aiobench_query(base->file, &info))
		aiobench_die("sweep: %s is not an aiodev device", base->file);
	aiobench_sweep_lists(cli, &s);
	aiobench_sweep_files(&s);
	fprintf(s.csv, "latency_ns,engine,depth,iops,mib_s,lat_mean_ns,lat_p50_ns,lat_p99_ns,ideal_iops\n");
	fprintf(s.json, "[");
	for (int l = 0; l < s.nl && !aiobench_stop; l++)
		aiobench_sweep_latency(&s, s.lats[l]);
	fprintf(s.json, "]\n");
	fclose(s.json);
	fclose(s.csv);
	if (!base->quiet && isatty(2))
		fputs("\r\033[K", stderr);
	if (aiobench_stop) {
		fprintf(stderr, "aiobench: sweep: interrupted; %s holds what ran\n", s.out);
		return 1;
	}
	printf("aiobench sweep: %s/sweep.csv, %s/sweep.json, %s/sweep-LATENCY.svg\n",
	       s.out, s.out, s.out);
	return s.status;
}
