// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench's job loop: one job, a thread with its own engine instance
 * (engine.h), keeps --qd I/Os in flight through its timed pass, after
 * --verify's fill and before its read-back.  run.c starts the jobs.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

volatile sig_atomic_t aiobench_stop;

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
	case AIOBENCH_NOP:	/* no data, no offset: counted as a read */
		s->offset = 0;
		s->write = false;
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
	bool nop = o->rw == AIOBENCH_NOP;
	uint64_t now, lat;

	job->free_slots[job->nr_free++] = slot;
	job->inflight--;
	if (res != (nop ? 0 : (long)o->bs)) {
		const char *op = nop ? "nop" : s->write ? "write" : "read";

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
	now = aiobench_now_ns();
	lat = now - s->start_ns;
	if (job->log.interval_ns)	/* before the histogram has it */
		aiobench_log_note(&job->log, job->hist, now, lat);
	aiobench_hist_add(&job->hist[s->write], lat);
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


void *aiobench_job_main(void *arg)
{
	struct aiobench_job *job = arg;
	const struct aiobench_opts *o = job->opts;
	bool writes = aiobench_rw_writes(o->rw);
	struct aiobench_pass pass = { .rw = o->rw, .ops = o->ops, .timed = true };
	uint64_t blocks = job->span / o->bs, end;

	/* --verify: the range holds the pattern before, and is checked after. */
	if (o->verify)
		aiobench_run_pass(job, &(struct aiobench_pass){
			.rw = AIOBENCH_WRITE, .ops = blocks });
	/* Between the two waits, aiobench_run() takes the CPU time. */
	pthread_barrier_wait(job->barrier);
	job->start_ns = aiobench_now_ns();
	if (job->log.interval_ns)
		aiobench_log_start(&job->log, aiobench_log_epoch(job->log_epoch,
								 job->start_ns));
	if (!o->ops)
		pass.deadline = job->start_ns + o->runtime * 1e9;
	aiobench_run_pass(job, &pass);
	end = aiobench_now_ns();
	if (job->log.interval_ns)
		aiobench_log_end(&job->log, job->hist, end);
	__atomic_store_n(&job->end_ns, end, __ATOMIC_RELEASE);
	pthread_barrier_wait(job->barrier);
	if (o->verify && !job->error && writes)
		aiobench_run_pass(job, &(struct aiobench_pass){
			.rw = AIOBENCH_READ, .ops = blocks, .check = true });
	return NULL;
}

/* Job @j of @o on @fd's @size bytes: its range, buffers and engine; 0 or -errno. */
int aiobench_job_init(struct aiobench_job *job, const struct aiobench_opts *o,
		      unsigned int j, int fd, uint64_t size)
{
	job->opts = o;
	job->engine = aiobench_engines[o->engine];
	job->index = j;
	job->fd = fd;
	job->span = size / o->jobs / o->bs * o->bs;
	job->base = o->offset + j * job->span;
	/* Any seed, UINT32_MAX too, gives each job its own state: never 0. */
	job->rng = ((uint64_t)o->seed + 1) * 0x9e3779b97f4a7c15ull + j ?: 1;
	aiobench_hist_init(&job->hist[0]);
	aiobench_hist_init(&job->hist[1]);
	job->slots = calloc(o->qd, sizeof(*job->slots));
	job->free_slots = calloc(o->qd, sizeof(*job->free_slots));
	if (o->verify)
		job->written = calloc((job->span / o->bs + 63) / 64,
				      sizeof(*job->written));
	if (!job->slots || !job->free_slots || (o->verify && !job->written) ||
	    (o->log_interval_ms &&
	     aiobench_log_init(&job->log, o->log_interval_ms * 1000000ull)))
		aiobench_die("out of memory");
	for (unsigned int i = 0; i < o->qd; i++) {
		if (posix_memalign(&job->slots[i].buf, 4096, o->bs))
			aiobench_die("out of memory");
		memset(job->slots[i].buf, 0, o->bs);
		job->free_slots[job->nr_free++] = o->qd - 1 - i;
	}
	return job->engine->init(job);
}

void aiobench_job_free(struct aiobench_job *job)
{
	const struct aiobench_opts *o = job->opts;

	if (!o)		/* never set up */
		return;
	job->engine->exit(job);
	for (unsigned int i = 0; job->slots && i < o->qd; i++)
		free(job->slots[i].buf);
	free(job->slots);
	free(job->free_slots);
	free(job->written);
	aiobench_log_free(&job->log);
}
