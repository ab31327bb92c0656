// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench: measure the throughput and latency of one I/O interface on a
 * file or device (aiobench run), several side by side (aiobench compare),
 * or a grid of queue depths and device latencies (aiobench sweep).
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

	aiobench_run(&cli->opts, &r);
	if (cli->opts.format == AIOBENCH_JSON) {
		aiobench_print_json(stdout, &r);
		putchar('\n');
	} else if (cli->opts.format == AIOBENCH_FIO_JSON) {
		aiobench_fio_json_head(stdout);
		aiobench_fio_json_job(stdout, &r, "aiobench", true);
		aiobench_fio_json_tail(stdout);
	} else if (!r.error || r.ios) {
		aiobench_print(&r);
	}
	if (r.error)
		aiobench_fail(&r);
	if (r.setup_error)
		return 2;
	return r.error || r.mismatches ? 1 : 0;
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
	}
	aiobench_parse(argc, argv, &cli);
	signal(SIGINT, aiobench_sigint);
	return cmd(&cli);
}
