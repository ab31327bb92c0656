// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench run: one workload on one file.  Open it, check the range, set
 * up the jobs (job.c), run their threads, show progress on a terminal, and
 * sum what they measured, with the CPU time the process spent, into a
 * struct aiobench_result.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

/* The progress line: the rate since the last one. */
static void aiobench_progress(const struct aiobench_job *jobs, unsigned int n,
			      uint64_t start, uint64_t *last_ios,
			      uint64_t *last_ns)
{
	uint64_t ios = 0, now = aiobench_now_ns();

	for (unsigned int j = 0; j < n; j++)
		ios += jobs[j].reads + jobs[j].writes;
	fprintf(stderr, "\r%6.1fs  %10.0f IOPS  ", (now - start) / 1e9,
		(ios - *last_ios) * 1e9 / (now - *last_ns + 1));
	*last_ios = ios;
	*last_ns = now;
}

/* CPU time from @from to @to, in ns. */
static double aiobench_cpu_ns(const struct timeval *from, const struct timeval *to)
{
	return (to->tv_sec - from->tv_sec) * 1e9 + (to->tv_usec - from->tv_usec) * 1e3;
}

/* The run cannot start: say why, in @r. */
static void aiobench_setup_fail(struct aiobench_result *r, int err,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void aiobench_setup_fail(struct aiobench_result *r, int err,
				const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error_msg, sizeof(r->error_msg), fmt, ap);
	va_end(ap);
	r->error = err;
	r->setup_error = true;
}

/* Open @o's file as the engine needs it: the fd, or -1 with @r's error set. */
static int aiobench_open(const struct aiobench_opts *o, struct aiobench_result *r)
{
	int flags = O_RDWR | (o->direct || o->iopoll ? O_DIRECT : 0) |
		    (o->engine == AIOBENCH_EPOLL ? O_NONBLOCK : 0);
	int fd = open(o->file, flags);

	if (fd < 0 && errno == EISDIR)
		aiobench_die("%s: is a directory", o->file);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(o->file, flags & ~O_RDWR);	/* O_RDONLY */
	if (fd < 0)
		aiobench_setup_fail(r, -errno, "%s: open: %s", o->file,
				    strerror(errno));
	return fd;
}

/* The bytes of @fd the run uses, from --offset: 0, with @r's error set, if bad. */
static uint64_t aiobench_range(const struct aiobench_opts *o, int fd,
			       struct aiobench_result *r)
{
	uint64_t size = o->size, fsize = aiobench_file_size(fd);

	if (!size) {
		if (fsize <= o->offset) {
			aiobench_setup_fail(r, -EINVAL,
					    "%s: size unknown or within --offset: give --size",
					    o->file);
			return 0;
		}
		size = fsize - o->offset;
	} else if (fsize && o->offset + size > fsize) {
		aiobench_setup_fail(r, -EINVAL,
				    "%s: --offset + --size (%" PRIu64 ") is past its end (%" PRIu64 " bytes)",
				    o->file, o->offset + size, fsize);
		return 0;
	}
	if (size / o->jobs < o->bs) {
		aiobench_setup_fail(r, -EINVAL,
				    "%s: --size %" PRIu64 " leaves less than --bs per job",
				    o->file, size);
		return 0;
	}
	return size;
}

/* What the main thread does while the timed passes run. */
struct aiobench_watch {
	bool progress;		/* a progress line each second */
	bool sample[2];		/* reads', writes' IOPS each AIOBENCH_SAMPLE_MS */
	uint64_t start, last_ns, last_ios;
	uint64_t sample_ns, sampled[2];
};

static void aiobench_sample_add(struct aiobench_samples *s, double v)
{
	if (!s->n || v < s->min)
		s->min = v;
	if (!s->n || v > s->max)
		s->max = v;
	s->n++;
	s->sum += v;
	s->sum_sq += v * v;
}

/* At the end of an interval, its IOPS in each direction, into @r. */
static void aiobench_sample(const struct aiobench_job *jobs, unsigned int n,
			    struct aiobench_watch *w, struct aiobench_result *r)
{
	uint64_t now = aiobench_now_ns(), done[2] = { 0, 0 };

	if (now - w->sample_ns < AIOBENCH_SAMPLE_MS * 1000000ull)
		return;
	for (unsigned int j = 0; j < n; j++) {
		done[0] += __atomic_load_n(&jobs[j].reads, __ATOMIC_RELAXED);
		done[1] += __atomic_load_n(&jobs[j].writes, __ATOMIC_RELAXED);
	}
	for (int d = 0; d < 2; d++) {
		if (w->sample[d])
			aiobench_sample_add(&r->samples[d], (done[d] - w->sampled[d]) *
					    1e9 / (now - w->sample_ns));
		w->sampled[d] = done[d];
	}
	w->sample_ns = now;
}

/* Watch the jobs (@w says for what) until every timed pass has ended. */
static void aiobench_watch(const struct aiobench_job *jobs, unsigned int n,
			   struct aiobench_watch *w, struct aiobench_result *r)
{
	for (;;) {
		struct timespec ts = { 0, 100 * 1000000 };
		bool running = false;

		nanosleep(&ts, NULL);
		for (unsigned int k = 0; k < n; k++)
			running |= !__atomic_load_n(&jobs[k].end_ns, __ATOMIC_ACQUIRE);
		if (!running)
			break;
		if (w->sample[0] || w->sample[1])
			aiobench_sample(jobs, n, w, r);
		if (w->progress && aiobench_now_ns() - w->last_ns >= 1000000000)
			aiobench_progress(jobs, n, w->start, &w->last_ios, &w->last_ns);
	}
	if (w->progress)
		fputs("\r\033[K", stderr);
}

/* What to watch in @o's run: a progress line, fio's IOPS samples. */
static struct aiobench_watch aiobench_watching(const struct aiobench_opts *o)
{
	bool fio = o->format == AIOBENCH_FIO_JSON;
	struct aiobench_watch w = {
		.progress = !o->quiet && o->format == AIOBENCH_NORMAL && isatty(2),
		.sample = {
			fio && aiobench_rw_reads(o->rw),
			fio && aiobench_rw_writes(o->rw),
		},
	};

	w.start = w.last_ns = w.sample_ns = aiobench_now_ns();
	return w;
}

/*
 * Run the jobs' threads.  Their timed passes start together, after
 * --verify's fill, and the CPU time of the whole process (io_uring's SQPOLL
 * and io-wq threads are in it) is taken around them, not around the fill
 * and the check.
 */
static void aiobench_threads(const struct aiobench_opts *o,
			     struct aiobench_job *jobs, struct rusage *ru0,
			     struct rusage *ru1, struct aiobench_result *r)
{
	pthread_t *threads = calloc(o->jobs, sizeof(*threads));
	struct aiobench_watch w;
	pthread_barrier_t barrier;
	uint64_t log_epoch = 0;
	unsigned int j;

	if (!threads)
		aiobench_die("out of memory");
	pthread_barrier_init(&barrier, NULL, o->jobs + 1);
	for (j = 0; j < o->jobs; j++) {
		jobs[j].barrier = &barrier;
		jobs[j].log_epoch = &log_epoch;
		if (pthread_create(&threads[j], NULL, aiobench_job_main, &jobs[j]))
			aiobench_die("cannot start a thread");
	}
	pthread_barrier_wait(&barrier);
	getrusage(RUSAGE_SELF, ru0);
	w = aiobench_watching(o);
	if (w.progress || w.sample[0] || w.sample[1])
		aiobench_watch(jobs, o->jobs, &w, r);
	pthread_barrier_wait(&barrier);
	getrusage(RUSAGE_SELF, ru1);
	for (j = 0; j < o->jobs; j++)
		pthread_join(threads[j], NULL);
	pthread_barrier_destroy(&barrier);
	free(threads);
}

/* --log-interval: the jobs' logs, summed up into @r's intervals. */
static void aiobench_collect_log(const struct aiobench_opts *o,
				 const struct aiobench_job *jobs,
				 struct aiobench_result *r)
{
	const struct aiobench_log **logs = calloc(o->jobs, sizeof(*logs));

	for (unsigned int j = 0; logs && j < o->jobs; j++)
		logs[j] = &jobs[j].log;
	if (!logs || aiobench_timeline_build(&r->log, logs, o->jobs))
		aiobench_die("out of memory for --log-interval's intervals");
	free(logs);
}

/* Sum the jobs' results into @r, CPU time from @ru0 to @ru1. */
static void aiobench_collect(const struct aiobench_opts *o,
			     const struct aiobench_job *jobs,
			     const struct rusage *ru0, const struct rusage *ru1,
			     struct aiobench_result *r)
{
	uint64_t start = UINT64_MAX, end = 0;
	unsigned int j;

	for (j = 0; j < o->jobs; j++) {
		start = jobs[j].start_ns < start ? jobs[j].start_ns : start;
		end = jobs[j].end_ns > end ? jobs[j].end_ns : end;
	}
	r->seconds = (end - start) / 1e9;
	for (j = 0; j < o->jobs; j++) {
		const struct aiobench_job *job = &jobs[j];

		for (int d = 0; d < 2; d++) {
			aiobench_hist_merge(&r->hist, &job->hist[d]);
			aiobench_hist_merge(&r->dir_hist[d], &job->hist[d]);
		}
		r->reads += job->reads;
		r->writes += job->writes;
		r->bytes += job->bytes;
		r->mismatches += job->mismatches;
		if (job->error && !r->error) {
			r->error = job->error;
			snprintf(r->error_msg, sizeof(r->error_msg), "%s: %s",
				 o->file, job->error_msg);
		}
	}
	r->ios = r->reads + r->writes;
	r->usr_ns = aiobench_cpu_ns(&ru0->ru_utime, &ru1->ru_utime);
	r->sys_ns = aiobench_cpu_ns(&ru0->ru_stime, &ru1->ru_stime);
	if (r->ios) {
		r->usr_ns_per_io = r->usr_ns / r->ios;
		r->sys_ns_per_io = r->sys_ns / r->ios;
	}
	r->ctx = ru1->ru_nvcsw + ru1->ru_nivcsw - ru0->ru_nvcsw - ru0->ru_nivcsw;
	r->majf = ru1->ru_majflt - ru0->ru_majflt;
	r->minf = ru1->ru_minflt - ru0->ru_minflt;
	if (o->log_interval_ms)
		aiobench_collect_log(o, jobs, r);
}

int aiobench_run(const struct aiobench_opts *o, struct aiobench_result *r)
{
	const struct aiobench_engine *e = aiobench_engines[o->engine];
	struct aiobench_job *jobs = calloc(o->jobs, sizeof(*jobs));
	struct rusage ru0, ru1;
	unsigned int j;
	uint64_t size;
	int fd;

	memset(r, 0, sizeof(*r));
	r->opts = *o;
	aiobench_hist_init(&r->hist);
	aiobench_hist_init(&r->dir_hist[0]);
	aiobench_hist_init(&r->dir_hist[1]);
	if (!jobs)
		aiobench_die("out of memory");
	fd = aiobench_open(o, r);
	if (fd < 0)
		goto out;
	size = aiobench_range(o, fd, r);
	if (!size)
		goto out_close;
	for (j = 0; j < o->jobs; j++) {
		int ret = aiobench_job_init(&jobs[j], o, j, fd, size);

		if (ret) {
			aiobench_setup_fail(r, ret, "%s: %s engine: %s", o->file, e->name,
					    o->engine == AIOBENCH_EPOLL && ret == -EPERM ?
					    "the file cannot be polled" : strerror(-ret));
			goto out_jobs;
		}
	}
	aiobench_threads(o, jobs, &ru0, &ru1, r);
	aiobench_collect(o, jobs, &ru0, &ru1, r);
out_jobs:
	for (j = 0; j < o->jobs; j++)
		aiobench_job_free(&jobs[j]);
out_close:
	close(fd);
out:
	free(jobs);
	return r->error;
}

void aiobench_result_free(struct aiobench_result *r)
{
	aiobench_timeline_free(&r->log);
}
