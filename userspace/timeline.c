// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench timeline: one workload, run with --log-interval, its intervals
 * into --out DIR as CSV and JSON and a gnuplot SVG of IOPS and latency over
 * time (a stall is a gap, a spike a peak), and the table on stdout.
 */
#include <inttypes.h>
#include <linux/aiodev.h>
#include <stdio.h>

#include "aiobench.h"

/* The CSV's rows of @n intervals @p of @job ("all", or its number). */
static void aiobench_timeline_rows(FILE *f, const char *job,
				   const struct aiobench_point *p, size_t n)
{
	for (size_t k = 0; k < n; k++, p++) {
		fprintf(f, "%s,%zu,%.6f,%.6f,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%.1f,", job, k, p->start, p->seconds, p->partial,
			p->ios, p->reads, p->writes, p->iops);
		if (p->ios)
			fprintf(f, "%" PRIu64 ",%.0f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
				",%" PRIu64 "\n", p->min, p->mean, p->p50, p->p99,
				p->p99_9, p->max);
		else		/* no I/O, no latency */
			fputs(",,,,,\n", f);
	}
}

/* DIR/timeline.csv: all jobs' intervals, then each job's. */
static void aiobench_timeline_csv(const char *dir, const struct aiobench_timeline *t)
{
	FILE *f = aiobench_out_file(dir, "timeline.csv");
	char job[16];

	fputs("job,interval,start_s,seconds,partial,ios,reads,writes,iops,"
	      "lat_min_ns,lat_mean_ns,lat_p50_ns,lat_p99_ns,lat_p99_9_ns,lat_max_ns\n", f);
	aiobench_timeline_rows(f, "all", t->total, t->n);
	for (unsigned int j = 0; j < t->jobs; j++) {
		snprintf(job, sizeof(job), "%u", j);
		aiobench_timeline_rows(f, job, t->job[j], t->job_n[j]);
	}
	fclose(f);
}

/* The plot's title: the workload, and on aiodev the device and its faults. */
static void aiobench_timeline_title(FILE *f, const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;
	char dev[256], faults[128];
	struct aiodev_info info;

	fprintf(f, "set multiplot layout 2,1 title \"aiobench timeline: %s %s, bs %zu, "
		"%u job%s x qd %u, on %s, %g ms intervals",
		aiobench_engine_names[o->engine], aiobench_rw_names[o->rw], o->bs,
		o->jobs, o->jobs > 1 ? "s" : "", o->qd, o->file,
		r->log.interval_ns / 1e6);
	if (aiobench_query(o->file, &info)) {
		aiobench_device_str(&info, dev, sizeof(dev));
		aiobench_faults_str(o->file, faults, sizeof(faults));
		fprintf(f, "\\n%s%s%s", dev, *faults ? "\\n" : "", faults);
	}
	fputs("\"\n", f);
}

/*
 * DIR/timeline.svg from DIR/timeline.csv: IOPS, a bar as wide as its
 * interval, over p50, p99 and max latency, broken where nothing completed.
 */
static void aiobench_timeline_plot(const char *dir, const struct aiobench_result *r)
{
	const struct aiobench_timeline *t = &r->log;
	const struct aiobench_point *last = &t->total[t->n - 1];
	FILE *f = aiobench_plot_open(dir, "timeline", 1000, 650);

	fputs("set termoption noenhanced\nset datafile separator ','\n", f);
	aiobench_timeline_title(f, r);
	fprintf(f, "set lmargin 12\nset rmargin 4\nset grid\nset xrange [0:%.6f]\n"
		"set yrange [0:*]\nset format y '%%.0f'\nset key off\n"
		"set ylabel 'IOPS (all jobs)'\n"
		"set style fill solid 0.6 noborder\n"
		"all(x) = strcol(1) eq 'all' ? x : NaN\n"
		"lat(c) = strcol(1) eq 'all' && strcol(c) ne '' ? column(c) / 1e6 : NaN\n"
		"plot '%s/timeline.csv' skip 1 using (all($3 + $4 / 2)):9:4 with boxes "
		"lc rgb '#3060c0'\n",
		last->start + last->seconds, dir);
	fprintf(f, "set logscale y\nset yrange [*:*]\nset format y '%%g'\n"
		"set ylabel 'latency (ms)'\nset key below horizontal\n"
		"set xlabel 'seconds from the start of the run (no latency where nothing completed)'\n"
		"plot '%s/timeline.csv' skip 1 using ($3 + $4 / 2):(lat(15)) with points "
		"pt 7 ps 0.5 lc rgb '#c03030' title 'max', "
		"'' skip 1 using ($3 + $4 / 2):(lat(13)) with lines lw 2 lc rgb '#e08000' title 'p99', "
		"'' skip 1 using ($3 + $4 / 2):(lat(12)) with lines lc rgb '#208020' title 'p50'\n"
		"unset multiplot\n", dir);
	aiobench_plot_run(f, dir, "timeline");
}

int aiobench_cmd_timeline(struct aiobench_cli *cli)
{
	const struct aiobench_opts *o = &cli->opts;
	const char *out = cli->out ?: "aiobench-timeline";
	struct aiobench_result r;
	int status;
	FILE *f;

	if (cli->engines || cli->depths || cli->latencies)
		aiobench_die("timeline: one workload: --engines, --depths and --latencies are for compare and sweep");
	aiobench_run(o, &r);
	status = aiobench_report(&r);
	if (!r.setup_error) {
		f = aiobench_out_file(out, "timeline.json");
		aiobench_print_json(f, &r);
		fputc('\n', f);
		fclose(f);
		aiobench_timeline_csv(out, &r.log);
		if (r.ios)
			aiobench_timeline_plot(out, &r);
		else
			fprintf(stderr, "aiobench: timeline: no I/O completed: no plot\n");
		if (o->format == AIOBENCH_NORMAL)
			printf("aiobench timeline: %s/timeline.csv, %s/timeline.json, %s/timeline.svg\n",
			       out, out, out);
	}
	aiobench_result_free(&r);
	return status;
}
