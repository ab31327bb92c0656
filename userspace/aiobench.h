/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiobench: measure async I/O against blocking read/write.
 * Definitions shared by its files.
 */
#ifndef AIOBENCH_H
#define AIOBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
unsigned int aiobench_hist_index(uint64_t ns);
uint64_t aiobench_hist_value(unsigned int index);

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
};

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
	bool json;
	bool quiet;			/* no progress line */
};

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
	struct aiobench_hist hist;
	uint64_t reads, writes, bytes;
	uint64_t mismatches;		/* --verify: reads that did not match */
	uint64_t *written;		/* --verify: blocks the timed pass wrote */
	int error;			/* first error, -errno */
	char error_msg[160];		/* what failed, and how */
};

/* Fill @sqe, of a ring with 128-byte SQEs, with an aiodev passthrough command. */
struct io_uring_sqe;
void aiobench_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		       void *buf, uint32_t len, uint64_t offset);

/* Engines report each completion with this. */
void aiobench_complete(struct aiobench_job *job, unsigned int slot, long res);

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
