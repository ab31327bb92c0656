// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench: measure the throughput and latency of one I/O interface on a
 * file or device (aiobench run), several side by side (aiobench compare),
 * a grid of queue depths and device latencies (aiobench sweep), or one
 * run's IOPS and latency over time, plotted (aiobench timeline).
 * main() only dispatches: see aiobench.h for who does what.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "aiobench.h"

/* Ctrl-C: stop issuing, drain what is in flight, report. */
static void aiobench_sigint(int sig)
{
	aiobench_stop = 1;
}

static int aiobench_cmd_run(struct aiobench_cli *cli)
{
	struct aiobench_result r;
	int status;

	aiobench_run(&cli->opts, &r);
	status = aiobench_report(&r);
	aiobench_result_free(&r);
	return status;
}

int main(int argc, char **argv)
{
	struct aiobench_cli cli = { .opts = aiobench_default_opts() };
	int (*cmd)(struct aiobench_cli *) = aiobench_cmd_run;

	if (argc > 1 && !strcmp(argv[1], "run")) {
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "compare")) {
		cmd = aiobench_cmd_compare;
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "sweep")) {
		cmd = aiobench_cmd_sweep;
		cli.opts.runtime = 1;
		argv++;
		argc--;
	} else if (argc > 1 && !strcmp(argv[1], "timeline")) {
		cmd = aiobench_cmd_timeline;
		cli.opts.runtime = 10;
		cli.opts.log_interval_ms = 100;
		argv++;
		argc--;
	}
	aiobench_parse(argc, argv, &cli);
	signal(SIGINT, aiobench_sigint);
	return cmd(&cli);
}
