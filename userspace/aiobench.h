/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiobench: measure async I/O against blocking read/write.
 * Definitions shared by its files.  Who calls whom, one way:
 *
 *   aiobench.c  main(): dispatches to the run command or to
 *   compare.c   compare: each engine on one workload, side by side
 *   sweep.c     sweep: engines x queue depths x device latencies, plots
 *   timeline.c  timeline: one run's log of intervals, into files and a plot
 *   options.c   the command line, its checks and --help
 *   run.c       run one workload: the file, the jobs' threads, the sums
 *   job.c       one job's loop, driving an engine through engine.h
 *   engines.c   the engines (sync, aio, io_uring, passthrough, epoll)
 *   output.c    a result as a table or JSON, with its log
 *   device.c    the file's size; aiodev's QUERY, ideal and sysfs
 *   log.c       --log-interval: each job's log, the run's intervals
 *   plot.c      --out DIR's files, gnuplot's SVG plots
 *
 * The commands call run.c, output.c, device.c and plot.c; run.c calls
 * job.c, which calls the engines, which report completions back to job.c
 * through engine.h.  hist.c, log.c and util.c are leaves everyone may use.
 */
#ifndef AIOBENCH_H
#define AIOBENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Latency histogram, log-linear: values below 2^AIOBENCH_SUB_BITS ns have a
 * bucket each; above, each power of two is split into 2^AIOBENCH_SUB_BITS
 * linear buckets, so a bucket is at most 1/64 (1.6%) of its value wide.
 */
#define AIOBENCH_SUB_BITS	6
#define AIOBENCH_SUB		(1u << AIOBENCH_SUB_BITS)
#define AIOBENCH_BUCKETS	((64 - AIOBENCH_SUB_BITS + 1) * AIOBENCH_SUB)

struct aiobench_hist {
	uint64_t count;
	uint64_t sum;		/* ns */
	double sum_sq;		/* ns^2, for the standard deviation */
	uint64_t min;
	uint64_t max;
	uint64_t bucket[AIOBENCH_BUCKETS];
};

void aiobench_hist_init(struct aiobench_hist *h);
void aiobench_hist_add(struct aiobench_hist *h, uint64_t ns);
void aiobench_hist_merge(struct aiobench_hist *into, const struct aiobench_hist *h);
/* The value at percentile @p (0-100]: within 1/64 of the true one. */
uint64_t aiobench_hist_percentile(const struct aiobench_hist *h, double p);
/* The mean, 0 for no samples. */
double aiobench_hist_mean(const struct aiobench_hist *h);
/*
 * The standard deviation of @n samples of sum @sum and sum of squares
 * @sum_sq, as fio gives it (of a sample: n - 1); 0 for fewer than 2.
 */
double aiobench_stddev(uint64_t n, double sum, double sum_sq);
/* Of the histogram's samples: exact, not from the buckets. */
double aiobench_hist_stddev(const struct aiobench_hist *h);
unsigned int aiobench_hist_index(uint64_t ns);
uint64_t aiobench_hist_value(unsigned int index);

/*
 * --log-interval: what the I/Os completed in each interval of the timed
 * run saw.  Each job logs its own completions in its own thread, without a
 * lock, and without a histogram of its own: an interval's histogram is the
 * difference of the job's histograms between its two ends, taken when the
 * first completion past its end comes (or the job ends), and only across
 * the buckets between its least and largest latency, which the completions
 * keep (exactly).  A completion costs two comparisons more.
 */

/* A bucket of an interval's histogram: a bin. */
struct aiobench_log_bin {
	uint32_t index;		/* of the bucket */
	uint32_t count;		/* 2^32 in a minute is 71M IOPS in one bucket */
};

/* One closed interval of a job's log. */
struct aiobench_log_iv {
	uint64_t reads, writes;
	uint64_t sum, min, max;	/* ns */
	size_t bin;		/* its bins: the log's bins[bin..bin + nr_bins) */
	size_t nr_bins;
};

/* A job's log: interval k is [start_ns + k I, start_ns + (k + 1) I). */
struct aiobench_log {
	uint64_t interval_ns;	/* I; 0: no log */
	uint64_t start_ns;	/* the same for every job of the run */
	uint64_t next_ns;	/* the end of the open interval */
	uint64_t end_ns;	/* of the job's timed pass: its last interval ends there */
	uint64_t min, max;	/* latencies of the open interval, ns */
	uint64_t *snap;		/* the buckets (reads + writes) at its start */
	uint64_t snap_reads, snap_writes, snap_sum;
	struct aiobench_log_iv *iv;
	size_t nr_iv, cap_iv;
	struct aiobench_log_bin *bins;
	size_t nr_bins, cap_bins;
};

/* The longest --log-interval, in ms (a bin's count fits). */
#define AIOBENCH_LOG_MAX_MS	60000

/* log.c: a job's log.  Set up (0 or -ENOMEM) for @interval_ns, and freed. */
int aiobench_log_init(struct aiobench_log *log, uint64_t interval_ns);
void aiobench_log_free(struct aiobench_log *log);
/*
 * Interval 0 of every job's log starts at the same time: the first job to
 * start sets *@shared from @now; the start, for the others too.
 */
uint64_t aiobench_log_epoch(uint64_t *shared, uint64_t now);
void aiobench_log_start(struct aiobench_log *log, uint64_t start_ns);
/* Close the open interval, and those without a completion up to @now. */
void aiobench_log_roll(struct aiobench_log *log,
		       const struct aiobench_hist h[2], uint64_t now);
/* The job's timed pass ended at @end_ns: its last interval (partial). */
void aiobench_log_end(struct aiobench_log *log, const struct aiobench_hist h[2],
		      uint64_t end_ns);

/*
 * The hot path: an I/O completed at @now after @lat ns, not yet added to
 * the job's histograms @h (reads, writes).
 */
static inline void aiobench_log_note(struct aiobench_log *log,
				     const struct aiobench_hist h[2],
				     uint64_t now, uint64_t lat)
{
	if (now >= log->next_ns)
		aiobench_log_roll(log, h, now);
	if (lat < log->min)
		log->min = lat;
	if (lat > log->max)
		log->max = lat;
}

/* An interval of the run, or of one job, summed up after the run. */
struct aiobench_point {
	double start, seconds;	/* from the run's start; its length (s) */
	bool partial;		/* the last, shorter than the interval */
	uint64_t ios, reads, writes;
	double iops;		/* ios / seconds */
	/* Latencies of the I/Os completed in it (ns); none without an I/O. */
	uint64_t min, p50, p99, p99_9, max;
	double mean;
};

/* @p's latencies (min ... max) from @h, which holds its I/Os. */
void aiobench_point_lat(struct aiobench_point *p, const struct aiobench_hist *h);

/* A run's log: its intervals, of all jobs and of each. */
struct aiobench_timeline {
	uint64_t interval_ns;		/* 0: no log */
	size_t n;			/* intervals of the run */
	struct aiobench_point *total;	/* [n] */
	unsigned int jobs;
	size_t *job_n;			/* intervals of job j: to its end */
	struct aiobench_point **job;	/* [jobs][job_n[j]] */
};

/* The jobs' @logs (@jobs of them) into @t: 0, or -ENOMEM. */
int aiobench_timeline_build(struct aiobench_timeline *t,
			    const struct aiobench_log *const *logs,
			    unsigned int jobs);
void aiobench_timeline_free(struct aiobench_timeline *t);

/* What the table says of a run's intervals, all jobs: of the full ones. */
struct aiobench_timeline_stats {
	size_t full;			/* intervals of full length */
	double iops_min, iops_median, iops_max;
	size_t low;			/* under 10% of the median IOPS */
	size_t lat_n;			/* with an I/O, so a latency */
	uint64_t p99_min, p99_median, p99_max;
	double p99_max_start;		/* s: where the largest p99 is */
};

void aiobench_timeline_stats(const struct aiobench_timeline *t,
			     struct aiobench_timeline_stats *s);

/* The widest line of aiobench_timeline_spark(). */
#define AIOBENCH_SPARK_WIDTH	64
/*
 * A line of characters into @out (AIOBENCH_SPARK_WIDTH + 1) for @t's IOPS
 * (@p99 false) or p99 latency, on a scale of 9 levels to @top, ".:-=+*#%@"
 * ('@' @top or more; '_' 0 IOPS, ' ' no latency): a column an interval,
 * or when there are more, a column per the intervals returned, of which
 * it shows the lowest IOPS, the highest p99.
 */
size_t aiobench_timeline_spark(const struct aiobench_timeline *t, bool p99,
			       double top, char *out);

enum aiobench_engine_id {
	AIOBENCH_SYNC,
	AIOBENCH_AIO,
	AIOBENCH_URING,
	AIOBENCH_URING_CMD,
	AIOBENCH_EPOLL,
	AIOBENCH_NR_ENGINES,
};

enum aiobench_rw {
	AIOBENCH_READ,
	AIOBENCH_WRITE,
	AIOBENCH_RANDREAD,
	AIOBENCH_RANDWRITE,
	AIOBENCH_MIXED,		/* random offsets, --mix percent reads */
	AIOBENCH_NOP,		/* uring-cmd: AIODEV_URING_CMD_NOP, no data */
};
#define AIOBENCH_NR_RW		(AIOBENCH_NOP + 1)

/* Whether @rw's I/Os count as reads, as writes (a NOP counts as a read). */
static inline bool aiobench_rw_reads(enum aiobench_rw rw)
{
	return rw != AIOBENCH_WRITE && rw != AIOBENCH_RANDWRITE;
}

static inline bool aiobench_rw_writes(enum aiobench_rw rw)
{
	return rw == AIOBENCH_WRITE || rw == AIOBENCH_RANDWRITE || rw == AIOBENCH_MIXED;
}

/* The words of the command line for each (options.c). */
extern const char *const aiobench_engine_names[AIOBENCH_NR_ENGINES];
extern const char *const aiobench_rw_names[AIOBENCH_NR_RW];

/* One workload on one file: what the command line says. */
struct aiobench_opts {
	const char *file;
	enum aiobench_engine_id engine;
	enum aiobench_rw rw;
	unsigned int mix;		/* % reads for AIOBENCH_MIXED */
	size_t bs;
	unsigned int qd;		/* in flight per job */
	unsigned int jobs;		/* threads */
	double runtime;			/* seconds; 0: until @ops */
	uint64_t ops;			/* per job; 0: until @runtime */
	uint64_t offset;
	uint64_t size;			/* 0: the whole file from @offset */
	unsigned int seed;
	bool verify;
	bool direct;			/* O_DIRECT */
	bool fixed_bufs;		/* registered buffers */
	bool fixed_files;		/* registered file */
	bool sqpoll;
	bool iopoll;
	unsigned int batch_submit;	/* submit when this many are queued */
	unsigned int batch_complete;	/* reap at least this many at once */
	enum aiobench_format {
		AIOBENCH_NORMAL,	/* a table */
		AIOBENCH_JSON,		/* aiobench's JSON */
		AIOBENCH_FIO_JSON,	/* fio's json+ layout */
	} format;
	bool quiet;			/* no progress line */
	unsigned int log_interval_ms;	/* --log-interval; 0: no log */
	bool log_lines;			/* the table: a line per interval */
};

/* The command line: a workload, and what compare and sweep add. */
struct aiobench_cli {
	struct aiobench_opts opts;
	const char *engines;
	const char *depths;
	const char *latencies;
	const char *out;
	bool jobs_given;	/* compare and sweep set jobs per engine */
};

/* options.c */
struct aiobench_opts aiobench_default_opts(void);
void aiobench_parse(int argc, char **argv, struct aiobench_cli *cli);
/* "a,b,c" into @out (at most @max); the count. */
int aiobench_split(const char *list, char **out, int max);
uint64_t aiobench_number(const char *s, const char *opt, uint64_t min,
			 uint64_t max);
/* --latencies: device latencies in ns into @out (at most @max); the count. */
int aiobench_latencies(const char *list, uint64_t *out, int max);

/* Statistics of the IOPS of the run's intervals (fio's iops_* fields). */
struct aiobench_samples {
	uint64_t n;
	double min, max, sum, sum_sq;
};

/* What one run of a workload measured. */
struct aiobench_result {
	struct aiobench_opts opts;
	double seconds;
	uint64_t ios, reads, writes, bytes, mismatches;
	struct aiobench_hist hist;		/* every I/O */
	struct aiobench_hist dir_hist[2];	/* reads, writes */
	/* --output-format fio-json: IOPS each AIOBENCH_SAMPLE_MS, per direction. */
	struct aiobench_samples samples[2];
	double usr_ns, sys_ns;			/* CPU time of the process */
	double usr_ns_per_io, sys_ns_per_io;
	uint64_t ctx, majf, minf;	/* context switches, page faults */
	int error;
	bool setup_error;	/* the run could not start */
	char error_msg[256];
	struct aiobench_timeline log;	/* --log-interval */
};

/* fio's default interval of its bandwidth and IOPS samples (bwavgtime). */
#define AIOBENCH_SAMPLE_MS	500

/* run.c: run @o's jobs, each a thread with its own engine instance. */
int aiobench_run(const struct aiobench_opts *o, struct aiobench_result *r);
/* What a result holds besides itself (its log); after aiobench_run(). */
void aiobench_result_free(struct aiobench_result *r);
/* Set by Ctrl-C: the timed passes end, compare and sweep skip what is left. */
extern volatile sig_atomic_t aiobench_stop;

/* output.c: a result as a table, as JSON, and its verdict. */
double aiobench_iops(const struct aiobench_result *r);
double aiobench_mibs(const struct aiobench_result *r);
void aiobench_human_ns(char *buf, size_t len, double ns);
void aiobench_print(const struct aiobench_result *r);
void aiobench_print_json(FILE *f, const struct aiobench_result *r);
/* {"interval_ms": ..., "intervals": [...], "jobs": [[...], ...]} */
void aiobench_timeline_json(FILE *f, const struct aiobench_timeline *t);
/* run's and timeline's output of @r, in its format; the exit status. */
int aiobench_report(const struct aiobench_result *r);
/* @s as a JSON string: quoted, with quotes, backslashes and controls escaped. */
void aiobench_json_str(FILE *f, const char *s);
void aiobench_fail(const struct aiobench_result *r);

/* fio_json.c: results in fio's json+ layout, a job each. */
void aiobench_fio_json_head(FILE *f);
void aiobench_fio_json_job(FILE *f, const struct aiobench_result *r,
			   const char *name, bool first);
void aiobench_fio_json_tail(FILE *f);
int aiobench_verdict(const struct aiobench_result *r, const char *name);

/* device.c: the file under test, and aiodev's view of itself. */
struct aiodev_info;
uint64_t aiobench_file_size(int fd);
bool aiobench_query(const char *file, struct aiodev_info *info);
double aiobench_ideal(const struct aiodev_info *info, unsigned int inflight,
		      size_t bs);
void aiobench_describe(const struct aiodev_info *info);
/* @info's configuration, in words, into @buf. */
void aiobench_device_str(const struct aiodev_info *info, char *buf, size_t len);
/* aiodev @file's stalls and spikes (sysfs inject/) in words: "" if none. */
void aiobench_faults_str(const char *file, char *buf, size_t len);
int aiobench_sysfs(const char *file, const char *attr, const char *val,
		   char *old, size_t oldlen);
/*
 * Set aiodev @file's latency_ns to @lat; the value it had before the first
 * change is put back at exit, however the command ends.
 */
void aiobench_set_latency(const char *file, uint64_t lat);

/* compare.c: an engine as compare and sweep run it. */
struct aiobench_variant {
	const char *name;
	enum aiobench_engine_id engine;
	bool threads;		/* qd threads of one I/O each */
};

const struct aiobench_variant *aiobench_variant(const char *name);
struct aiobench_opts aiobench_variant_opts(const struct aiobench_opts *base,
					   const struct aiobench_variant *v,
					   unsigned int depth);
int aiobench_cmd_compare(struct aiobench_cli *cli);

/* sweep.c */
int aiobench_cmd_sweep(struct aiobench_cli *cli);

/* timeline.c: one run with the log, into CSV, JSON and a plot. */
int aiobench_cmd_timeline(struct aiobench_cli *cli);

/* plot.c: --out DIR's files, and their gnuplot plots. */
/* DIR/NAME, opened for writing (DIR made if need be); exits if it cannot. */
FILE *aiobench_out_file(const char *dir, const char *name);
/*
 * DIR/NAME.gp, opened, which makes DIR/NAME.svg (@width x @height): the
 * caller writes the plot, aiobench_plot_run() closes it and runs gnuplot.
 */
FILE *aiobench_plot_open(const char *dir, const char *name, int width,
			 int height);
void aiobench_plot_run(FILE *f, const char *dir, const char *name);

/* util.c: helpers without I/O. */
void aiobench_die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
uint64_t aiobench_now_ns(void);

/* The pattern --verify writes: a function of the offset and seed. */
void aiobench_fill(void *buf, size_t len, uint64_t offset, unsigned int seed);
bool aiobench_check(const void *buf, size_t len, uint64_t offset,
		    unsigned int seed);
/*
 * Each byte is that of one pattern or the other: what a read racing a
 * write of the other pattern may see, torn anywhere.
 */
bool aiobench_check_either(const void *buf, size_t len, uint64_t offset,
			   unsigned int seed_a, unsigned int seed_b);

/* Parse "4k", "1m", "512": bytes, or -1. */
int64_t aiobench_parse_size(const char *s);

#endif /* AIOBENCH_H */
