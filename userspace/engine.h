/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiobench's engine interface: what an I/O interface implements (engines.c)
 * and what the job loop that drives it (job.c) gives it.  As with fio's
 * ioengine_ops, the loop queues I/O into slots, submits and reaps; an
 * engine reports each completion to the loop with aiobench_complete().
 */
#ifndef AIOBENCH_ENGINE_H
#define AIOBENCH_ENGINE_H

#include <pthread.h>

#include "aiobench.h"

struct aiobench_job;

/* An I/O interface: the same loop drives each. */
struct aiobench_engine {
	const char *name;
	int (*init)(struct aiobench_job *job);
	/* Queue I/O @slot of the job (its offset, direction and buffer set). */
	int (*queue)(struct aiobench_job *job, unsigned int slot);
	/* Submit what is queued; the number submitted or -errno. */
	int (*submit)(struct aiobench_job *job);
	/* Wait for @min completions at least; aiobench_complete() each. */
	int (*reap)(struct aiobench_job *job, unsigned int min);
	void (*exit)(struct aiobench_job *job);
};

extern const struct aiobench_engine *const aiobench_engines[AIOBENCH_NR_ENGINES];

/* An I/O slot: one of a job's qd buffers. */
struct aiobench_slot {
	void *buf;
	uint64_t offset;
	bool write;
	uint64_t start_ns;
};

/* A thread running the workload through its own engine instance. */
struct aiobench_job {
	const struct aiobench_opts *opts;
	const struct aiobench_engine *engine;
	pthread_barrier_t *barrier;	/* the timed pass starts and ends together */
	unsigned int index;
	int fd;
	uint64_t base, span;		/* this job's range of the file */
	uint64_t next_offset;		/* sequential workloads */
	uint64_t rng;
	struct aiobench_slot *slots;
	unsigned int *free_slots;
	unsigned int nr_free;
	unsigned int queued;		/* queued, not submitted */
	unsigned int inflight;
	void *priv;			/* the engine's */

	/* Results. */
	uint64_t start_ns, end_ns;	/* of the timed pass; end_ns set atomically */
	struct aiobench_hist hist[2];	/* reads, writes */
	uint64_t reads, writes, bytes;
	uint64_t mismatches;		/* --verify: reads that did not match */
	uint64_t *written;		/* --verify: blocks the timed pass wrote */
	int error;			/* first error, -errno */
	char error_msg[160];		/* what failed, and how */
	struct aiobench_log log;	/* --log-interval */
	uint64_t *log_epoch;		/* the run's: every log starts there */
};

/* Fill @sqe, of a ring with 128-byte SQEs, with an aiodev passthrough command. */
struct io_uring_sqe;
void aiobench_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		       void *buf, uint32_t len, uint64_t offset);

/* Engines report each completion with this (job.c). */
void aiobench_complete(struct aiobench_job *job, unsigned int slot, long res);

/*
 * job.c: job @j of @o on @fd's @size bytes, set up (its range, buffers and
 * engine; 0 or -errno) and freed; its thread runs aiobench_job_main().
 */
int aiobench_job_init(struct aiobench_job *job, const struct aiobench_opts *o,
		      unsigned int j, int fd, uint64_t size);
void aiobench_job_free(struct aiobench_job *job);
void *aiobench_job_main(void *arg);

#endif /* AIOBENCH_ENGINE_H */
