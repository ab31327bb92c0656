// SPDX-License-Identifier: GPL-2.0
/*
 * What the commands leave in --out DIR: the directory, its files, and the
 * gnuplot scripts that make SVG plots of them (sweep, timeline).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aiobench.h"

/* DIR/NAME, opened for writing (DIR made if need be); exits if it cannot. */
FILE *aiobench_out_file(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	if (mkdir(dir, 0755) && errno != EEXIST)
		aiobench_die("%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		aiobench_die("%s: %s", path, strerror(errno));
	return f;
}

FILE *aiobench_plot_open(const char *dir, const char *name, int width,
			 int height)
{
	char gp[256];
	FILE *f;

	snprintf(gp, sizeof(gp), "%s.gp", name);
	f = aiobench_out_file(dir, gp);
	fprintf(f, "set terminal svg size %d,%d dynamic\nset output '%s/%s.svg'\n",
		width, height, dir, name);
	return f;
}

void aiobench_plot_run(FILE *f, const char *dir, const char *name)
{
	char cmd[600];

	fclose(f);
	snprintf(cmd, sizeof(cmd), "gnuplot '%s/%s.gp'", dir, name);
	/* The numbers are in the other files: a missing plot is no failure. */
	if (system(cmd))
		fprintf(stderr, "aiobench: gnuplot %s/%s.gp failed (is gnuplot installed?): no plot\n",
			dir, name);
}
