// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench: measure the throughput and latency of one I/O interface on a
 * file or device (aiobench run), several side by side (aiobench compare),
 * or a grid of queue depths and device latencies (aiobench sweep).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "aiobench.h"

static const char *const aiobench_rw_names[] = {
	"read", "write", "randread", "randwrite", "mixed",
};

static volatile sig_atomic_t aiobench_stop;

/* Ctrl-C: stop issuing, drain what is in flight, report. */
static void aiobench_sigint(int sig)
{
	aiobench_stop = 1;
}

static uint64_t aiobench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void aiobench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("aiobench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* xorshift64*: reproducible random offsets from --seed. */
static uint64_t aiobench_rand(struct aiobench_job *job)
{
	job->rng ^= job->rng >> 12;
	job->rng ^= job->rng << 25;
	job->rng ^= job->rng >> 27;
	return job->rng * 0x2545f4914f6cdd1dull;
}

/* What the job does next: @rw, or the pass that overrides it. */
struct aiobench_pass {
	enum aiobench_rw rw;
	uint64_t ops;		/* I/Os to issue, 0: until the deadline */
	uint64_t deadline;	/* ns, 0: none */
	bool timed;		/* counts in the results; Ctrl-C ends it */
	bool check;		/* --verify's read-back */
};

/*
 * --verify's patterns: the fill pass writes one, the timed pass another,
 * so a write that is lost shows in the read-back.
 */
#define AIOBENCH_FILL_SEED(seed)	(~(seed))

static void aiobench_prepare(struct aiobench_job *job,
			     const struct aiobench_pass *pass,
			     struct aiobench_slot *s)
{
	const struct aiobench_opts *o = job->opts;
	uint64_t blocks = job->span / o->bs;

	switch (pass->rw) {
	case AIOBENCH_READ:
	case AIOBENCH_WRITE:
		s->offset = job->base + job->next_offset;
		job->next_offset = (job->next_offset + o->bs) % (blocks * o->bs);
		s->write = pass->rw == AIOBENCH_WRITE;
		break;
	case AIOBENCH_RANDREAD:
	case AIOBENCH_RANDWRITE:
		s->offset = job->base + aiobench_rand(job) % blocks * o->bs;
		s->write = pass->rw == AIOBENCH_RANDWRITE;
		break;
	case AIOBENCH_MIXED:
		s->offset = job->base + aiobench_rand(job) % blocks * o->bs;
		s->write = aiobench_rand(job) % 100 >= o->mix;
		break;
	}
	if (!o->verify)
		return;
	if (s->write)
		aiobench_fill(s->buf, o->bs, s->offset,
			      pass->timed ? o->seed : AIOBENCH_FILL_SEED(o->seed));
	else	/* a read that moves nothing must not pass for a good one */
		memset(s->buf, 0xa5, o->bs);
}

/* The pass this thread's job runs. */
static __thread const struct aiobench_pass *aiobench_pass_now;

/*
 * --verify, for a completed I/O.  A read in the timed pass expects the
 * fill's pattern or, with --rw mixed, either pattern, torn anyhow (it may
 * race a write of its block); the check pass expects the timed pass's
 * pattern in the blocks it wrote, the fill's elsewhere.
 */
static void aiobench_verify(struct aiobench_job *job,
			    const struct aiobench_slot *s)
{
	const struct aiobench_opts *o = job->opts;
	const struct aiobench_pass *pass = aiobench_pass_now;
	unsigned int fill = AIOBENCH_FILL_SEED(o->seed);
	uint64_t blk = (s->offset - job->base) / o->bs;
	uint64_t bit = 1ull << (blk % 64);
	bool ok;

	if (s->write) {
		if (pass->timed)
			job->written[blk / 64] |= bit;
		return;
	}
	if (pass->check)
		ok = aiobench_check(s->buf, o->bs, s->offset,
				    job->written[blk / 64] & bit ? o->seed : fill);
	else if (pass->rw == AIOBENCH_MIXED)
		ok = aiobench_check_either(s->buf, o->bs, s->offset, fill, o->seed);
	else
		ok = aiobench_check(s->buf, o->bs, s->offset, fill);
	job->mismatches += !ok;
}

void aiobench_complete(struct aiobench_job *job, unsigned int slot, long res)
{
	const struct aiobench_opts *o = job->opts;
	struct aiobench_slot *s = &job->slots[slot];

	job->free_slots[job->nr_free++] = slot;
	job->inflight--;
	if (res != (long)o->bs) {
		const char *op = s->write ? "write" : "read";

		if (job->error)
			return;
		job->error = res < 0 ? (int)res : -EIO;
		if (res < 0)
			snprintf(job->error_msg, sizeof(job->error_msg),
				 "%s at offset %" PRIu64 ": %s", op, s->offset,
				 strerror(-res));
		else
			snprintf(job->error_msg, sizeof(job->error_msg),
				 "short %s at offset %" PRIu64 ": %ld of %zu bytes",
				 op, s->offset, res, o->bs);
		return;
	}
	if (o->verify)
		aiobench_verify(job, s);
	if (!aiobench_pass_now->timed)
		return;
	aiobench_hist_add(&job->hist, aiobench_now_ns() - s->start_ns);
	if (s->write)
		job->writes++;
	else
		job->reads++;
	job->bytes += res;
}

/* Whether @pass goes on issuing I/O. */
static bool aiobench_more(const struct aiobench_job *job,
			  const struct aiobench_pass *pass, uint64_t issued)
{
	return !job->error && !(pass->timed && aiobench_stop) &&
	       (!pass->ops || issued < pass->ops) &&
	       (!pass->deadline || aiobench_now_ns() < pass->deadline);
}

/* Submit what is queued: 0 or -errno. */
static int aiobench_submit(struct aiobench_job *job)
{
	int ret = job->engine->submit(job);

	if (ret < 0)
		return ret;
	job->queued -= (unsigned int)ret < job->queued ? (unsigned int)ret : job->queued;
	return 0;
}

/* The loop every engine runs under: keep qd in flight until done. */
static void aiobench_run_pass(struct aiobench_job *job,
			      const struct aiobench_pass *pass)
{
	const struct aiobench_opts *o = job->opts;
	const struct aiobench_engine *e = job->engine;
	unsigned int submitted;
	uint64_t issued = 0;
	const char *what;
	int ret;

	aiobench_pass_now = pass;
	job->next_offset = 0;
	for (;;) {
		bool more = aiobench_more(job, pass, issued);

		/* Fill every free slot, submitting each --batch-submit. */
		while (more && job->nr_free) {
			unsigned int i = job->free_slots[--job->nr_free];
			struct aiobench_slot *s = &job->slots[i];

			aiobench_prepare(job, pass, s);
			s->start_ns = aiobench_now_ns();
			job->inflight++;
			job->queued++;
			issued++;
			what = "queue";
			ret = e->queue(job, i);
			if (ret)
				goto fail;
			more = aiobench_more(job, pass, issued);
			if (job->queued >= o->batch_submit || !more || !job->nr_free) {
				what = "submit";
				ret = aiobench_submit(job);
				if (ret)
					goto fail;
			}
		}
		/* io_submit() may have taken part of a batch: the rest, now. */
		what = "submit";
		ret = job->queued ? aiobench_submit(job) : 0;
		if (ret)
			goto fail;
		if (!job->inflight) {
			if (!more)
				return;
			continue;
		}
		/* Wait only for I/O that was submitted. */
		submitted = job->inflight - job->queued;
		what = "reap";
		ret = e->reap(job, submitted < o->batch_complete ?
				   submitted : o->batch_complete);
		if (ret)
			goto fail;
	}
fail:
	if (!job->error) {
		job->error = ret;
		snprintf(job->error_msg, sizeof(job->error_msg), "%s %s: %s",
			 e->name, what, strerror(-ret));
	}
	/* The kernel may still fill the buffers: wait for what it has. */
	while (job->inflight > job->queued && !e->reap(job, 1))
		;
}

static struct aiobench_opts aiobench_default_opts(void)
{
	return (struct aiobench_opts){
		.engine = AIOBENCH_URING,
		.rw = AIOBENCH_RANDREAD,
		.mix = 50,
		.bs = 4096,
		.qd = 32,
		.jobs = 1,
		.runtime = 3,
		.seed = 1,
		.batch_submit = 1,
		.batch_complete = 1,
	};
}

/* Size of @fd: a regular file's, a block device's, or aiodev's (sysfs). */
static uint64_t aiobench_file_size(int fd)
{
	char path[96];
	struct stat st;
	uint64_t size = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	if (S_ISREG(st.st_mode))
		return st.st_size;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) ? 0 : size;
	if (!S_ISCHR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &size) != 1)
		size = 0;
	fclose(f);
	return size;
}

struct aiobench_result {
	struct aiobench_opts opts;
	double seconds;
	uint64_t ios, reads, writes, bytes, mismatches;
	struct aiobench_hist hist;
	double usr_ns_per_io, sys_ns_per_io;
	int error;
	bool setup_error;	/* the run could not start */
	char error_msg[256];
};

static void *aiobench_job_main(void *arg)
{
	struct aiobench_job *job = arg;
	const struct aiobench_opts *o = job->opts;
	bool writes = o->rw != AIOBENCH_READ && o->rw != AIOBENCH_RANDREAD;
	struct aiobench_pass pass = { .rw = o->rw, .ops = o->ops, .timed = true };
	uint64_t blocks = job->span / o->bs;

	/* --verify: the range holds the pattern before, and is checked after. */
	if (o->verify)
		aiobench_run_pass(job, &(struct aiobench_pass){
			.rw = AIOBENCH_WRITE, .ops = blocks });
	/* Between the two waits, aiobench_run() takes the CPU time. */
	pthread_barrier_wait(job->barrier);
	job->start_ns = aiobench_now_ns();
	if (!o->ops)
		pass.deadline = job->start_ns + o->runtime * 1e9;
	aiobench_run_pass(job, &pass);
	__atomic_store_n(&job->end_ns, aiobench_now_ns(), __ATOMIC_RELEASE);
	pthread_barrier_wait(job->barrier);
	if (o->verify && !job->error && writes)
		aiobench_run_pass(job, &(struct aiobench_pass){
			.rw = AIOBENCH_READ, .ops = blocks, .check = true });
	return NULL;
}

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

/* Run one workload: @o's jobs, each a thread with its own engine instance. */
static int aiobench_run(const struct aiobench_opts *o, struct aiobench_result *r)
{
	const struct aiobench_engine *e = aiobench_engines[o->engine];
	int flags = O_RDWR | (o->direct || o->iopoll ? O_DIRECT : 0) |
		    (o->engine == AIOBENCH_EPOLL ? O_NONBLOCK : 0);
	struct aiobench_job *jobs = calloc(o->jobs, sizeof(*jobs));
	pthread_t *threads = calloc(o->jobs, sizeof(*threads));
	pthread_barrier_t barrier;
	struct rusage ru0, ru1;
	uint64_t size, fsize, start, end, last_ios = 0, last_ns;
	bool progress = !o->quiet && !o->json && isatty(2);
	unsigned int j;
	int fd;

	memset(r, 0, sizeof(*r));
	r->opts = *o;
	aiobench_hist_init(&r->hist);
	if (!jobs || !threads)
		aiobench_die("out of memory");
	fd = open(o->file, flags);
	if (fd < 0 && errno == EISDIR)
		aiobench_die("%s: is a directory", o->file);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(o->file, flags & ~O_RDWR);	/* O_RDONLY */
	if (fd < 0) {
		snprintf(r->error_msg, sizeof(r->error_msg), "%s: open: %s",
			 o->file, strerror(errno));
		r->error = -errno;
		r->setup_error = true;
		goto out;
	}
	size = o->size;
	fsize = aiobench_file_size(fd);
	if (!size) {
		if (fsize <= o->offset) {
			snprintf(r->error_msg, sizeof(r->error_msg),
				 "%s: size unknown or within --offset: give --size",
				 o->file);
			r->error = -EINVAL;
			r->setup_error = true;
			goto out_close;
		}
		size = fsize - o->offset;
	} else if (fsize && o->offset + size > fsize) {
		snprintf(r->error_msg, sizeof(r->error_msg),
			 "%s: --offset + --size (%" PRIu64 ") is past its end (%" PRIu64 " bytes)",
			 o->file, o->offset + size, fsize);
		r->error = -EINVAL;
		r->setup_error = true;
		goto out_close;
	}
	if (size / o->jobs < o->bs) {
		snprintf(r->error_msg, sizeof(r->error_msg),
			 "%s: --size %" PRIu64 " leaves less than --bs per job",
			 o->file, size);
		r->error = -EINVAL;
		r->setup_error = true;
		goto out_close;
	}

	for (j = 0; j < o->jobs; j++) {
		struct aiobench_job *job = &jobs[j];

		job->opts = o;
		job->engine = e;
		job->barrier = &barrier;
		job->index = j;
		job->fd = fd;
		job->span = size / o->jobs / o->bs * o->bs;
		job->base = o->offset + j * job->span;
		/* Any seed, UINT32_MAX too, gives each job its own state: never 0. */
		job->rng = ((uint64_t)o->seed + 1) * 0x9e3779b97f4a7c15ull + j ?: 1;
		aiobench_hist_init(&job->hist);
		job->slots = calloc(o->qd, sizeof(*job->slots));
		job->free_slots = calloc(o->qd, sizeof(*job->free_slots));
		if (o->verify)
			job->written = calloc((job->span / o->bs + 63) / 64,
					      sizeof(*job->written));
		if (!job->slots || !job->free_slots || (o->verify && !job->written))
			aiobench_die("out of memory");
		for (unsigned int i = 0; i < o->qd; i++) {
			if (posix_memalign(&job->slots[i].buf, 4096, o->bs))
				aiobench_die("out of memory");
			memset(job->slots[i].buf, 0, o->bs);
			job->free_slots[job->nr_free++] = o->qd - 1 - i;
		}
		r->error = e->init(job);
		if (r->error) {
			snprintf(r->error_msg, sizeof(r->error_msg),
				 "%s: %s engine: %s", o->file, e->name,
				 o->engine == AIOBENCH_EPOLL && r->error == -EPERM ?
				 "the file cannot be polled" : strerror(-r->error));
			r->setup_error = true;
			goto out_jobs;
		}
	}

	/*
	 * The jobs' timed passes start together, after --verify's fill, and
	 * the CPU time of the whole process (io_uring's SQPOLL and io-wq
	 * threads are in it) is taken around them, not around the fill and
	 * the check.
	 */
	pthread_barrier_init(&barrier, NULL, o->jobs + 1);
	for (j = 0; j < o->jobs; j++)
		if (pthread_create(&threads[j], NULL, aiobench_job_main, &jobs[j]))
			aiobench_die("cannot start a thread");
	pthread_barrier_wait(&barrier);
	getrusage(RUSAGE_SELF, &ru0);
	start = aiobench_now_ns();
	last_ns = start;
	if (progress) {
		/* Show the rate each second until every timed pass has ended. */
		for (;;) {
			struct timespec ts = { 0, 100 * 1000000 };
			bool running = false;

			nanosleep(&ts, NULL);
			for (unsigned int k = 0; k < o->jobs; k++)
				running |= !__atomic_load_n(&jobs[k].end_ns, __ATOMIC_ACQUIRE);
			if (!running)
				break;
			if (aiobench_now_ns() - last_ns >= 1000000000)
				aiobench_progress(jobs, o->jobs, start, &last_ios, &last_ns);
		}
		fputs("\r\033[K", stderr);
	}
	pthread_barrier_wait(&barrier);
	getrusage(RUSAGE_SELF, &ru1);
	for (j = 0; j < o->jobs; j++)
		pthread_join(threads[j], NULL);
	pthread_barrier_destroy(&barrier);

	start = UINT64_MAX;
	for (j = 0, end = 0; j < o->jobs; j++) {
		start = jobs[j].start_ns < start ? jobs[j].start_ns : start;
		end = jobs[j].end_ns > end ? jobs[j].end_ns : end;
	}
	r->seconds = (end - start) / 1e9;
	for (j = 0; j < o->jobs; j++) {
		struct aiobench_job *job = &jobs[j];

		aiobench_hist_merge(&r->hist, &job->hist);
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
	if (r->ios) {
		r->usr_ns_per_io = aiobench_cpu_ns(&ru0.ru_utime, &ru1.ru_utime) / r->ios;
		r->sys_ns_per_io = aiobench_cpu_ns(&ru0.ru_stime, &ru1.ru_stime) / r->ios;
	}
out_jobs:
	for (j = 0; j < o->jobs; j++) {
		e->exit(&jobs[j]);
		for (unsigned int i = 0; jobs[j].slots && i < o->qd; i++)
			free(jobs[j].slots[i].buf);
		free(jobs[j].slots);
		free(jobs[j].free_slots);
		free(jobs[j].written);
	}
out_close:
	close(fd);
out:
	free(jobs);
	free(threads);
	return r->error;
}

/* What aiodev says of itself (AIODEV_URING_CMD_QUERY); false if not aiodev. */
static bool aiobench_query(const char *file, struct aiodev_info *info)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	bool ok = false;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return false;
	if (io_uring_queue_init(2, &ring, IORING_SETUP_SQE128)) {
		close(fd);
		return false;
	}
	sqe = io_uring_get_sqe(&ring);
	if (!sqe)
		goto out;
	aiobench_prep_cmd(sqe, fd, AIODEV_URING_CMD_QUERY, info, sizeof(*info), 0);
	if (io_uring_submit(&ring) == 1 && !io_uring_wait_cqe(&ring, &cqe)) {
		ok = cqe->res >= (int)offsetof(struct aiodev_info, reserved);
		io_uring_cqe_seen(&ring, cqe);
	}
out:
	io_uring_queue_exit(&ring);
	close(fd);
	return ok;
}

/* The best IOPS Little's law allows @inflight requests on @info's device. */
static double aiobench_ideal(const struct aiodev_info *info, unsigned int inflight,
			     size_t bs)
{
	double iops, bw;

	if (!info->latency_ns)
		return 0;
	iops = (inflight < info->queue_depth ? inflight : info->queue_depth) *
	       1e9 / info->latency_ns;
	bw = info->bandwidth_mbps * 1048576.0 / bs;
	return info->bandwidth_mbps && bw < iops ? bw : iops;
}

static void aiobench_human_ns(char *buf, size_t len, double ns)
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

static double aiobench_iops(const struct aiobench_result *r)
{
	return r->seconds > 0 ? r->ios / r->seconds : 0;
}

static double aiobench_mibs(const struct aiobench_result *r)
{
	return r->seconds > 0 ? r->bytes / r->seconds / 1048576 : 0;
}

static const char *aiobench_engine_label(const struct aiobench_opts *o)
{
	return aiobench_engines[o->engine]->name;
}

static void aiobench_print(const struct aiobench_result *r)
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
static void aiobench_json_str(FILE *f, const char *s)
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

static void aiobench_print_json(FILE *f, const struct aiobench_result *r)
{
	const struct aiobench_opts *o = &r->opts;

	fputs("{\"file\": ", f);
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

static const char *const aiobench_engine_names[AIOBENCH_NR_ENGINES] = {
	[AIOBENCH_SYNC] = "sync",
	[AIOBENCH_AIO] = "aio",
	[AIOBENCH_URING] = "uring",
	[AIOBENCH_URING_CMD] = "uring-cmd",
	[AIOBENCH_EPOLL] = "epoll",
};

static int aiobench_lookup(const char *const *names, int n, const char *s,
			   const char *what)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	aiobench_die("unknown %s '%s' (see aiobench --help)", what, s);
	return -1;
}

static uint64_t aiobench_number(const char *s, const char *opt, uint64_t min,
				uint64_t max)
{
	int64_t v = aiobench_parse_size(s);

	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max)
		aiobench_die("%s '%s': expected a number from %" PRIu64 " to %" PRIu64,
			     opt, s, min, max);
	return v;
}

static const char aiobench_usage[] =
"usage: aiobench [run] [OPTIONS] FILE       one workload, one engine\n"
"       aiobench compare [OPTIONS] FILE     every engine, side by side\n"
"       aiobench sweep [OPTIONS] FILE       queue depths x device latencies\n"
"\n"
"FILE is any file or device: /dev/aiodevN, a regular file, /dev/zero,\n"
"/dev/nullb0...  Everything is read and written in place: use a scratch file.\n"
"\n"
"Engines (-e):\n"
"  sync        blocking pread/pwrite; --jobs N threads for a thread pool\n"
"  aio         Linux native aio (io_submit/io_getevents)\n"
"  uring       io_uring read/write (default)\n"
"  uring-cmd   io_uring passthrough to aiodev (IORING_OP_URING_CMD)\n"
"  epoll       O_NONBLOCK reads/writes, epoll_wait() on EAGAIN\n"
"\n"
"Workload:\n"
"  -e, --engine NAME      the engine (above)\n"
"  -w, --rw MODE          read, write, randread (default), randwrite, mixed\n"
"      --mix PCT          reads in percent for --rw mixed (default 50)\n"
"  -b, --bs SIZE          block size (default 4k; k, m, g suffixes)\n"
"  -d, --qd N             I/Os in flight per job (default 32; 1 for sync, epoll)\n"
"  -j, --jobs N           threads, each with its own engine (default 1;\n"
"                         compare and sweep set it per engine)\n"
"      --threads N        the same as --jobs\n"
"  -t, --runtime SEC      run this long (default 3)\n"
"  -n, --ops N            or this many I/Os per job (then --runtime is unused)\n"
"      --offset SIZE      start of the range used (default 0)\n"
"      --size SIZE        length of the range (default: to the end of FILE)\n"
"      --seed N           random offsets and --verify pattern (default 1)\n"
"      --verify           check what is read: the range is filled with one\n"
"                         pattern before the run, the run writes another,\n"
"                         and if it writes, the range is read back after\n"
"                         (a lost write shows); mismatched reads are counted\n"
"      --direct           open with O_DIRECT (--bs, --offset: multiples of 512)\n"
"io_uring (uring, uring-cmd):\n"
"      --fixed-bufs       registered buffers\n"
"      --fixed-files      registered file\n"
"      --sqpoll           SQPOLL submission thread\n"
"      --iopoll           polled completions (IORING_SETUP_IOPOLL; O_DIRECT)\n"
"  -s, --batch-submit N   submit when N are queued (also aio; default 1)\n"
"  -c, --batch-complete N reap at least N at a time (also aio; default 1)\n"
"Output:\n"
"      --json             JSON instead of a table\n"
"  -q, --quiet            no progress line on stderr\n"
"compare:\n"
"      --engines LIST     default sync,sync-threads,aio,uring,uring-cmd,epoll\n"
"      --out DIR          also write DIR/compare.json\n"
"                         (sync-threads: qd threads of blocking I/O;\n"
"                         uring-cmd only on aiodev)\n"
"sweep (on aiodev, whose latency_ns it sets through sysfs and restores):\n"
"      --engines LIST     default sync,aio,uring,uring-cmd (sync: N threads)\n"
"      --depths LIST      default 1,2,4,8,16,32,64,128\n"
"      --latencies LIST   device latencies in ns, default 0,10000,100000,1000000\n"
"      --out DIR          where sweep.csv, sweep.json and the plots go\n"
"                         (default aiobench-sweep)\n"
"\n"
"Numbers are decimal (or hexadecimal after 0x).  Ctrl-C ends the timed run\n"
"(--verify's fill and read-back still complete); in compare and sweep it also\n"
"skips the runs left.\n"
"Exit status: 0 done, 1 an I/O failed, --verify found mismatches, or compare\n"
"or sweep was interrupted, 2 bad usage or setup (or no compared engine could\n"
"run).  Absolute numbers in a VM under emulation (TCG) are not\n"
"those of hardware: compare ratios measured in one run.\n";

struct aiobench_cli {
	struct aiobench_opts opts;
	const char *engines;
	const char *depths;
	const char *latencies;
	const char *out;
	bool jobs_given;	/* compare and sweep set jobs per engine */
};

static void aiobench_parse(int argc, char **argv, struct aiobench_cli *cli)
{
	enum { OPT_MIX = 256, OPT_THREADS, OPT_OFFSET, OPT_SIZE, OPT_SEED,
	       OPT_VERIFY, OPT_DIRECT, OPT_FIXED_BUFS, OPT_FIXED_FILES,
	       OPT_SQPOLL, OPT_IOPOLL, OPT_JSON, OPT_ENGINES, OPT_DEPTHS,
	       OPT_LATENCIES, OPT_OUT };
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, 'e' },
		{ "rw", required_argument, NULL, 'w' },
		{ "mix", required_argument, NULL, OPT_MIX },
		{ "bs", required_argument, NULL, 'b' },
		{ "qd", required_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "runtime", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "fixed-bufs", no_argument, NULL, OPT_FIXED_BUFS },
		{ "fixed-files", no_argument, NULL, OPT_FIXED_FILES },
		{ "sqpoll", no_argument, NULL, OPT_SQPOLL },
		{ "iopoll", no_argument, NULL, OPT_IOPOLL },
		{ "batch-submit", required_argument, NULL, 's' },
		{ "batch-complete", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "engines", required_argument, NULL, OPT_ENGINES },
		{ "depths", required_argument, NULL, OPT_DEPTHS },
		{ "latencies", required_argument, NULL, OPT_LATENCIES },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct aiobench_opts *o = &cli->opts;
	bool qd_given = false, mix_given = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "e:w:b:d:j:t:n:s:c:qh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'e':
			o->engine = aiobench_lookup(aiobench_engine_names,
						    AIOBENCH_NR_ENGINES, optarg,
						    "engine");
			break;
		case 'w':
			o->rw = aiobench_lookup(aiobench_rw_names, 5, optarg,
						"--rw mode");
			break;
		case OPT_MIX:
			o->mix = aiobench_number(optarg, "--mix", 0, 100);
			mix_given = true;
			break;
		case 'b':
			o->bs = aiobench_number(optarg, "--bs", 1, 64 << 20);
			break;
		case 'd':
			o->qd = aiobench_number(optarg, "--qd", 1, 4096);
			qd_given = true;
			break;
		case 'j':
		case OPT_THREADS:
			o->jobs = aiobench_number(optarg, "--jobs", 1, 1024);
			cli->jobs_given = true;
			break;
		case 't':
			errno = 0;
			o->runtime = strtod(optarg, &end);
			if (errno || *end || !(o->runtime > 0 && o->runtime < 1e6))
				aiobench_die("--runtime '%s': expected seconds > 0", optarg);
			break;
		case 'n':
			o->ops = aiobench_number(optarg, "--ops", 1, UINT64_MAX >> 1);
			break;
		case OPT_OFFSET:
			o->offset = aiobench_number(optarg, "--offset", 0, INT64_MAX);
			break;
		case OPT_SIZE:
			o->size = aiobench_number(optarg, "--size", 1, INT64_MAX);
			break;
		case OPT_SEED:
			o->seed = aiobench_number(optarg, "--seed", 0, UINT32_MAX);
			break;
		case OPT_VERIFY:
			o->verify = true;
			break;
		case OPT_DIRECT:
			o->direct = true;
			break;
		case OPT_FIXED_BUFS:
			o->fixed_bufs = true;
			break;
		case OPT_FIXED_FILES:
			o->fixed_files = true;
			break;
		case OPT_SQPOLL:
			o->sqpoll = true;
			break;
		case OPT_IOPOLL:
			o->iopoll = true;
			break;
		case 's':
			o->batch_submit = aiobench_number(optarg, "--batch-submit", 1, 4096);
			break;
		case 'c':
			o->batch_complete = aiobench_number(optarg, "--batch-complete", 1, 4096);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_ENGINES:
			cli->engines = optarg;
			break;
		case OPT_DEPTHS:
			cli->depths = optarg;
			break;
		case OPT_LATENCIES:
			cli->latencies = optarg;
			break;
		case OPT_OUT:
			cli->out = optarg;
			break;
		case 'h':
			fputs(aiobench_usage, stdout);
			exit(0);
		default:
			fputs(aiobench_usage, stderr);
			exit(2);
		}
	}
	if (optind != argc - 1)
		aiobench_die("give one FILE (see aiobench --help)");
	o->file = argv[optind];

	if (o->engine == AIOBENCH_SYNC || o->engine == AIOBENCH_EPOLL) {
		if (qd_given && o->qd != 1)
			aiobench_die("--qd: the %s engine does one I/O at a time: use --jobs",
				     aiobench_engine_names[o->engine]);
		o->qd = 1;
	}
	if ((o->fixed_bufs || o->fixed_files || o->sqpoll || o->iopoll) &&
	    o->engine != AIOBENCH_URING && o->engine != AIOBENCH_URING_CMD)
		aiobench_die("--fixed-bufs, --fixed-files, --sqpoll and --iopoll need -e uring or uring-cmd");
	if ((o->batch_submit > 1 || o->batch_complete > 1) &&
	    (o->engine == AIOBENCH_SYNC || o->engine == AIOBENCH_EPOLL))
		aiobench_die("--batch-submit and --batch-complete need an asynchronous engine");
	if (o->batch_submit > o->qd || o->batch_complete > o->qd)
		aiobench_die("--batch-submit and --batch-complete cannot exceed --qd (%u)", o->qd);
	if (mix_given && o->rw != AIOBENCH_MIXED)
		aiobench_die("--mix needs --rw mixed");
	if (o->verify && o->bs % 8)
		aiobench_die("--verify needs --bs a multiple of 8");
	if ((o->direct || o->iopoll) && (o->bs % 512 || o->offset % 512))
		aiobench_die("--direct and --iopoll need --bs and --offset multiples of 512");
}

/* "a,b,c" into @out (at most @max); the count. */
static int aiobench_split(const char *list, char **out, int max)
{
	char *copy = strdup(list), *tok, *save;
	int n = 0;

	if (!copy)
		aiobench_die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			aiobench_die("'%s': more than %d entries", list, max);
		out[n++] = tok;
	}
	return n;
}

static void aiobench_fail(const struct aiobench_result *r)
{
	fprintf(stderr, "aiobench: %s\n", r->error_msg);
}

/* compare's and sweep's verdict on @name's run: 1, said on stderr, if it failed. */
static int aiobench_verdict(const struct aiobench_result *r, const char *name)
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

static int aiobench_cmd_run(struct aiobench_cli *cli)
{
	struct aiobench_result r;

	aiobench_run(&cli->opts, &r);
	if (cli->opts.json) {
		aiobench_print_json(stdout, &r);
		putchar('\n');
	} else if (!r.error || r.ios) {
		aiobench_print(&r);
	}
	if (r.error)
		aiobench_fail(&r);
	if (r.setup_error)
		return 2;
	return r.error || r.mismatches ? 1 : 0;
}

/* One row of compare: an engine, and how it is run. */
struct aiobench_variant {
	const char *name;
	enum aiobench_engine_id engine;
	bool threads;		/* qd threads of one I/O each */
};

static const struct aiobench_variant aiobench_variants[] = {
	{ "sync", AIOBENCH_SYNC, false },
	{ "sync-threads", AIOBENCH_SYNC, true },
	{ "aio", AIOBENCH_AIO, false },
	{ "uring", AIOBENCH_URING, false },
	{ "uring-cmd", AIOBENCH_URING_CMD, false },
	{ "epoll", AIOBENCH_EPOLL, false },
};

static const struct aiobench_variant *aiobench_variant(const char *name)
{
	for (size_t i = 0; i < sizeof(aiobench_variants) / sizeof(aiobench_variants[0]); i++)
		if (!strcmp(aiobench_variants[i].name, name))
			return &aiobench_variants[i];
	aiobench_die("unknown engine '%s' in --engines", name);
	return NULL;
}

/* @base's workload through @v, with @depth in flight in all. */
static struct aiobench_opts aiobench_variant_opts(const struct aiobench_opts *base,
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

static void aiobench_describe(const struct aiodev_info *info)
{
	static const char *const modes[] = { "inline", "workqueue", "timer" };
	static const char *const jitters[] = { "none", "uniform", "exponential" };

	printf("device: aiodev%u, latency %" PRIu64 " ns (jitter %s), queue depth %u, ",
	       info->index, (uint64_t)info->latency_ns,
	       info->jitter < 3 ? jitters[info->jitter] : "?", info->queue_depth);
	if (info->bandwidth_mbps)
		printf("bandwidth %u MiB/s, ", info->bandwidth_mbps);
	else
		printf("bandwidth unlimited, ");
	printf("completion %s\n", info->completion < 3 ? modes[info->completion] : "?");
}

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
static void aiobench_compare_json(const char *dir,
				  const struct aiobench_variant *const *ran,
				  const struct aiobench_result *results, int n,
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
	for (int i = 0; i < n; i++) {
		const struct aiobench_opts *o = &results[i].opts;

		aiobench_compare_row(f, i ? ",\n " : "", ran[i]->name,
				     info ? aiobench_ideal(info, o->jobs * o->qd, o->bs) : 0,
				     &results[i]);
	}
	fprintf(f, "]\n");
	fclose(f);
}

static int aiobench_cmd_compare(struct aiobench_cli *cli)
{
	const struct aiobench_opts *base = &cli->opts;
	const char *list = cli->engines ?: "sync,sync-threads,aio,uring,uring-cmd,epoll";
	struct aiobench_result results[16];
	const struct aiobench_variant *variants[16], *ran[16];
	struct aiodev_info info;
	bool aiodev = aiobench_query(base->file, &info);
	char *names[16];
	int n = aiobench_split(list, names, 16), done = 0, usable = 0, status = 0;
	double sync_iops = 0;

	if (cli->jobs_given)
		aiobench_die("compare: each engine has its jobs (sync-threads: --qd threads); --jobs is for run");
	for (int i = 0; i < n; i++)
		variants[i] = aiobench_variant(names[i]);
	if (!base->json) {
		printf("aiobench compare: %s, bs %zu, queue depth %u, %.1f s each, on %s\n",
		       aiobench_rw_names[base->rw], base->bs, base->qd,
		       base->runtime, base->file);
		if (aiodev)
			aiobench_describe(&info);
		printf("\n%-13s %9s %11s %9s %9s %9s %8s %9s\n", "engine", "jobs x qd",
		       "IOPS", "MiB/s", "lat p50", "lat p99", "vs sync", "of ideal");
	} else {
		printf("[");
	}
	for (int i = 0; i < n && !aiobench_stop; i++) {
		struct aiobench_opts o = aiobench_variant_opts(base, variants[i], base->qd);
		struct aiobench_result *r = &results[done];
		double ideal = aiodev ? aiobench_ideal(&info, o.jobs * o.qd, o.bs) : 0;
		char p50[16], p99[16], jq[24], speed[16] = "", of_ideal[16] = "";

		if (variants[i]->engine == AIOBENCH_URING_CMD && !aiodev)
			continue;	/* passthrough speaks only to aiodev */
		if (!base->quiet && !base->json && isatty(2))
			fprintf(stderr, "running %s...\r", variants[i]->name);
		aiobench_run(&o, r);
		ran[done++] = variants[i];
		if (!r->setup_error) {	/* n/a below: this engine cannot work here */
			status |= aiobench_verdict(r, variants[i]->name);
			usable++;
		}
		if (!sync_iops && variants[i]->engine == AIOBENCH_SYNC && !variants[i]->threads)
			sync_iops = aiobench_iops(r);
		if (base->json) {
			aiobench_compare_row(stdout, done > 1 ? ", " : "",
					     variants[i]->name, ideal, r);
			continue;
		}
		if (r->setup_error) {
			printf("%-13s %9s  n/a: %s\n", variants[i]->name, "",
			       r->error_msg);
			continue;
		}
		aiobench_human_ns(p50, sizeof(p50), aiobench_hist_percentile(&r->hist, 50));
		aiobench_human_ns(p99, sizeof(p99), aiobench_hist_percentile(&r->hist, 99));
		snprintf(jq, sizeof(jq), "%u x %u", o.jobs, o.qd);
		if (sync_iops)
			snprintf(speed, sizeof(speed), "%.2fx", aiobench_iops(r) / sync_iops);
		if (ideal)
			snprintf(of_ideal, sizeof(of_ideal), "%.0f%%",
				 100 * aiobench_iops(r) / ideal);
		printf("%-13s %9s %11.0f %9.1f %9s %9s %8s %9s\n", variants[i]->name,
		       jq, aiobench_iops(r), aiobench_mibs(r), p50, p99, speed, of_ideal);
	}
	if (cli->out)
		aiobench_compare_json(cli->out, ran, results, done,
				      aiodev ? &info : NULL);
	if (aiobench_stop) {
		fprintf(stderr, "aiobench: compare: interrupted after %d of %d engines\n",
			done, n);
		status |= 1;
	}
	if (done && !usable) {
		fprintf(stderr, "aiobench: compare: no engine could run on %s\n",
			base->file);
		status = 2;
	}
	if (base->json) {
		printf("]\n");
		return status;
	}
	if (aiodev && info.latency_ns)
		printf("\nideal (Little's law): min(in flight, device queue depth %u) / "
		       "latency %.1f us%s;\n  at queue depth %u: %.0f IOPS\n",
		       info.queue_depth, info.latency_ns / 1e3,
		       info.bandwidth_mbps ? ", capped by the bandwidth" : "",
		       base->qd, aiobench_ideal(&info, base->qd, base->bs));
	printf("Compare ratios: absolute numbers under emulation (TCG) are not those of hardware.\n");
	return status;
}

/* Writes "value" to aiodev's sysfs attribute @attr for @file; 0 or -errno. */
static int aiobench_sysfs(const char *file, const char *attr, const char *val,
			  char *old, size_t oldlen)
{
	struct stat st;
	char path[128];
	int fd, ret = 0;
	ssize_t n;

	if (stat(file, &st) || !S_ISCHR(st.st_mode))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s", major(st.st_rdev),
		 minor(st.st_rdev), attr);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, oldlen - 1);
		old[n > 0 ? n : 0] = '\0';
	}
	if (val && pwrite(fd, val, strlen(val), 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* IOPS against queue depth for each engine, and the ideal: an SVG plot. */
static void aiobench_plot(const char *out, uint64_t lat, int ne)
{
	char gp[512], cmd[600];
	FILE *f;

	snprintf(gp, sizeof(gp), "%s/sweep-%" PRIu64 ".gp", out, lat);
	f = fopen(gp, "w");
	if (!f)
		aiobench_die("%s: %s", gp, strerror(errno));
	fprintf(f, "set terminal svg size 800,500 dynamic\n"
		"set output '%s/sweep-%" PRIu64 ".svg'\n"
		"set title 'aiodev, device latency %" PRIu64 " ns: IOPS by requests in flight'\n"
		"set logscale x 2\nset xlabel 'requests in flight (queue depth; threads for sync)'\n"
		"set ylabel 'IOPS'\nset key top left\nset grid\n"
		"plot for [i=3:%d] '%s/sweep-%" PRIu64 ".dat' using 1:i with linespoints "
		"title columnheader(i)", out, lat, lat, ne + 2, out, lat);
	if (lat)
		fprintf(f, ", '' using 1:2 with lines dashtype 2 title \"ideal (Little's law)\"");
	fputc('\n', f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gnuplot '%s'", gp);
	if (system(cmd))
		fprintf(stderr, "aiobench: gnuplot %s failed (is gnuplot installed?): no plot\n", gp);
}

/* The device latency sweep found, put back at exit, however sweep ends. */
static const char *aiobench_sweep_file;
static char aiobench_sweep_latency[32];

static void aiobench_sweep_restore(void)
{
	aiobench_sysfs(aiobench_sweep_file, "latency_ns", aiobench_sweep_latency,
		       NULL, 0);
}

static int aiobench_cmd_sweep(struct aiobench_cli *cli)
{
	const struct aiobench_opts *base = &cli->opts;
	const char *out = cli->out ?: "aiobench-sweep";
	char *engines[8], *depths_s[16], *lats_s[16], path[512];
	int ne = aiobench_split(cli->engines ?: "sync,aio,uring,uring-cmd", engines, 8);
	int nd = aiobench_split(cli->depths ?: "1,2,4,8,16,32,64,128", depths_s, 16);
	int nl = aiobench_split(cli->latencies ?: "0,10000,100000,1000000", lats_s, 16);
	const struct aiobench_variant *variants[8];
	unsigned int depths[16];
	uint64_t lats[16];
	struct aiodev_info info;
	FILE *csv, *json;
	int status = 0;
	bool first = true;

	if (cli->jobs_given)
		aiobench_die("sweep: each engine has its jobs (sync: a thread per I/O in flight); --jobs is for run");
	if (!aiobench_query(base->file, &info))
		aiobench_die("sweep: %s is not an aiodev device", base->file);
	for (int e = 0; e < ne; e++)
		variants[e] = aiobench_variant(engines[e]);
	for (int d = 0; d < nd; d++)
		depths[d] = aiobench_number(depths_s[d], "--depths", 1, 1024);
	for (int l = 0; l < nl; l++)
		lats[l] = aiobench_number(lats_s[l], "--latencies", 0, 10000000000ull);
	if (mkdir(out, 0755) && errno != EEXIST)
		aiobench_die("%s: %s", out, strerror(errno));
	snprintf(path, sizeof(path), "%s/sweep.csv", out);
	csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/sweep.json", out);
	json = fopen(path, "w");
	if (!csv || !json)
		aiobench_die("%s: cannot write results: %s", out, strerror(errno));
	if (aiobench_sysfs(base->file, "latency_ns", NULL, aiobench_sweep_latency,
			   sizeof(aiobench_sweep_latency)))
		aiobench_die("%s: cannot read latency_ns in sysfs", base->file);
	aiobench_sweep_file = base->file;
	atexit(aiobench_sweep_restore);
	fprintf(csv, "latency_ns,engine,depth,iops,mib_s,lat_mean_ns,lat_p50_ns,lat_p99_ns,ideal_iops\n");
	fprintf(json, "[");

	for (int l = 0; l < nl && !aiobench_stop; l++) {
		uint64_t lat = lats[l];
		char val[24];
		FILE *dat;
		int ret;

		snprintf(val, sizeof(val), "%" PRIu64, lat);
		ret = aiobench_sysfs(base->file, "latency_ns", val, NULL, 0);
		if (ret)
			aiobench_die("%s: set latency_ns %s: %s", base->file, val,
				     strerror(-ret));
		aiobench_query(base->file, &info);
		snprintf(path, sizeof(path), "%s/sweep-%" PRIu64 ".dat", out, lat);
		dat = fopen(path, "w");
		if (!dat)
			aiobench_die("%s: %s", path, strerror(errno));
		fprintf(dat, "depth ideal");
		for (int e = 0; e < ne; e++)
			fprintf(dat, " %s", variants[e]->name);
		fputc('\n', dat);
		for (int d = 0; d < nd && !aiobench_stop; d++) {
			unsigned int depth = depths[d];
			double ideal = aiobench_ideal(&info, depth, base->bs);

			fprintf(dat, "%u %.1f", depth, ideal);
			for (int e = 0; e < ne && !aiobench_stop; e++) {
				const struct aiobench_variant *v = variants[e];
				struct aiobench_opts o = aiobench_variant_opts(base, v, depth);
				struct aiobench_result r;

				if (v->engine == AIOBENCH_SYNC || v->engine == AIOBENCH_EPOLL)
					o.jobs = depth;	/* a thread per request in flight */
				if (!base->quiet && isatty(2))
					fprintf(stderr, "latency %" PRIu64 " ns, %s, depth %u...   \r",
						lat, v->name, depth);
				aiobench_run(&o, &r);
				status |= aiobench_verdict(&r, v->name);
				fprintf(dat, " %.1f", aiobench_iops(&r));
				fprintf(csv, "%" PRIu64 ",%s,%u,%.1f,%.3f,%.0f,%" PRIu64 ",%" PRIu64 ",%.1f\n",
					lat, v->name, depth, aiobench_iops(&r), aiobench_mibs(&r),
					aiobench_hist_mean(&r.hist),
					aiobench_hist_percentile(&r.hist, 50),
					aiobench_hist_percentile(&r.hist, 99), ideal);
				fprintf(json, "%s{\"latency_ns\": %" PRIu64 ", \"name\": \"%s\", "
					"\"depth\": %u, \"ideal_iops\": %.1f, \"result\": ",
					first ? "" : ",\n ", lat, v->name, depth, ideal);
				aiobench_print_json(json, &r);
				fputc('}', json);
				first = false;
			}
			fputc('\n', dat);
		}
		fclose(dat);
		if (!aiobench_stop)
			aiobench_plot(out, lat, ne);
	}
	fprintf(json, "]\n");
	fclose(json);
	fclose(csv);
	if (!base->quiet && isatty(2))
		fputs("\r\033[K", stderr);
	if (aiobench_stop) {
		fprintf(stderr, "aiobench: sweep: interrupted; %s holds what ran\n", out);
		return 1;
	}
	printf("aiobench sweep: %s/sweep.csv, %s/sweep.json, %s/sweep-LATENCY.svg\n",
	       out, out, out);
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
	}
	aiobench_parse(argc, argv, &cli);
	signal(SIGINT, aiobench_sigint);
	return cmd(&cli);
}
