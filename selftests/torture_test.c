// SPDX-License-Identifier: GPL-2.0
/*
 * The torture run: every interface at once on one device, for a while,
 * against a model of its data, while the device's configuration changes
 * under the I/O.
 *
 * Workers (processes, --workers) each own a region of /dev/aiodev0 and
 * drive it in batches, each batch through one interface (enum iface, all
 * of them in turn, in a random order): blocking read/write, pread/pwrite,
 * readv/writev, preadv2/pwritev2, legacy aio, io_uring read/write (plain,
 * from registered buffers, vectored, on a polled ring) and passthrough
 * (plain, from registered buffers, on a polled ring, both).  Operations
 * have random sizes and offsets, some of them bad inputs (enum op_class),
 * on files opened O_DIRECT or O_NONBLOCK at times, with RWF_NOWAIT at
 * times, issued from io_uring's workers (IOSQE_ASYNC) at times.  Every
 * byte read is checked against the model (below), and every result must
 * be one the documentation allows for that interface and that input
 * (expect_len(), errno_rules[]).
 *
 * The controller (the main process) changes the device meanwhile
 * (actions[]): completion mode, latency, write latency, jitter, bandwidth,
 * queue depth, error injection (transient bad ranges too), hung requests
 * and their timeout, latency spikes, stall windows, the size of the
 * volatile write cache.  It kills workers with I/O in flight (at times in
 * a blocking request, which only SIGKILL, a close or timeout_ms ends if it
 * hangs) and starts them again, has them tear rings down with I/O in
 * flight, and tries to unload the module, which must be refused.  Some
 * actions pause the workers (pause_workers()): a power cut, a change
 * between a cache that can fill and one that cannot, most resets of the
 * statistics.  At the end,
 * with the workers stopped and the device idle, it reads every region back
 * in full and checks the device's statistics against the workers' counts.
 *
 * Hung requests end by timeout_ms (always set: no worker waits forever)
 * or are cancelled by the batch itself (enum cancel_kind): io_cancel(2),
 * IORING_OP_ASYNC_CANCEL (which ends only what io_uring itself waits on,
 * not a request the driver holds), closing the file under its requests (another thread's close for
 * blocking I/O); ring teardowns and kills end them too.
 *
 * Flushes (fsync(2), fdatasync(2), aio's fsync, IORING_OP_FSYNC, the
 * FLUSH command) are operations of their own (OC_FLUSH), and writes may
 * bypass the cache (O_DSYNC and O_SYNC files, RWF_DSYNC,
 * AIODEV_CMD_F_DSYNC): the model keeps what a power cut must leave beside
 * what reads must see (below).
 *
 * The seed comes first in the output: --seed replays the same choices
 * (not the same timing).  Exit status 0 only if nothing went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libaio.h>
#include <limits.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "lib.h"

#define MAX_WORKERS	8
#define MAX_BATCH	32		/* requests in flight together */
#define MAX_SYNC_BATCH	8		/* blocking calls in a batch */
#define MAX_IOV		4
#define MAX_OP_LEN	(2 * MIB)	/* over 1 MiB: timer mode's workqueue copy */
#define ARENA_LEN	(8 * MIB)	/* a worker's buffers */
#define LOG_OPS		1024		/* recent operations kept per region */
#define LOG_CTL		64		/* recent controller actions */
#define NR_ERRNO	134		/* errnos counted by value (EHWPOISON 133) */
#define MAX_REPORTS	5		/* failures reported; then the run stops */
#define POISON		0xa5		/* in read buffers: what no read wrote */
#define RES_PENDING	INT32_MIN	/* a result not known (yet) */
#define RES_TORN	(INT32_MIN + 1)	/* in the log: its ring or context torn down */
#define KERNEL_ADDR	0xffff888000000000ull	/* not user memory */
#define STOP_WAIT_S	120		/* for workers to stop: only a hang takes this */
#define KILL_WAIT_S	60		/* for a killed process to go away: likewise */
#define BLOCK		4096		/* the cache's block: what a power cut restores */
#define RING_ENTRIES	(2 * MAX_BATCH)	/* a batch and its ASYNC_CANCELs */
#define CANCEL_TAG	1000		/* user_data of an ASYNC_CANCEL: + its target */

#define BIT(n)		(1U << (n))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

enum iface {
	IF_READ_WRITE,
	IF_PREAD_PWRITE,
	IF_READV_WRITEV,
	IF_PREADV2,
	IF_AIO,
	IF_URING,
	IF_URING_FIXED,
	IF_URING_VEC,
	IF_URING_IOPOLL,
	IF_CMD,
	IF_CMD_FIXED,
	IF_CMD_IOPOLL,
	IF_CMD_FIXED_IOPOLL,
	NR_IFACES
};

/* What an interface is and takes. */
#define F_POS		BIT(0)	/* at the file position: lseek() first */
#define F_VEC		BIT(1)	/* an iovec array */
#define F_RWF		BIT(2)	/* RWF_* flags */
#define F_ASYNC		BIT(3)	/* requests in flight together: can be torn down */
#define F_RING		BIT(4)	/* io_uring */
#define F_CMD		BIT(5)	/* passthrough: IORING_OP_URING_CMD, SQE128 ring */
#define F_FIXED		BIT(6)	/* a registered buffer */
#define F_IOPOLL	BIT(7)	/* a polled ring */
#define F_DIRECT	BIT(8)	/* an O_DIRECT file, aligned I/O */

static const struct iface_desc {
	const char *name;
	unsigned int flags;
} ifaces[NR_IFACES] = {
	[IF_READ_WRITE]		= { "read/write", F_POS },
	[IF_PREAD_PWRITE]	= { "pread/pwrite", 0 },
	[IF_READV_WRITEV]	= { "readv/writev", F_POS | F_VEC },
	[IF_PREADV2]		= { "preadv2/pwritev2", F_VEC | F_RWF },
	[IF_AIO]		= { "aio", F_VEC | F_RWF | F_ASYNC },
	[IF_URING]		= { "io_uring", F_RWF | F_ASYNC | F_RING },
	[IF_URING_FIXED]	= { "io_uring-fixed",
				    F_RWF | F_ASYNC | F_RING | F_FIXED },
	[IF_URING_VEC]		= { "io_uring-vec", F_VEC | F_RWF | F_ASYNC | F_RING },
	[IF_URING_IOPOLL]	= { "io_uring-iopoll",
				    F_RWF | F_ASYNC | F_RING | F_IOPOLL | F_DIRECT },
	[IF_CMD]		= { "uring_cmd", F_ASYNC | F_RING | F_CMD },
	[IF_CMD_FIXED]		= { "uring_cmd-fixed", F_ASYNC | F_RING | F_CMD | F_FIXED },
	[IF_CMD_IOPOLL]		= { "uring_cmd-iopoll", F_ASYNC | F_RING | F_CMD | F_IOPOLL },
	[IF_CMD_FIXED_IOPOLL]	= { "uring_cmd-fixed-iopoll",
				    F_ASYNC | F_RING | F_CMD | F_FIXED | F_IOPOLL },
};

#define ALL_IFACES	(BIT(NR_IFACES) - 1)
#define CMD_IFACES	(BIT(IF_CMD) | BIT(IF_CMD_FIXED) | BIT(IF_CMD_IOPOLL) | \
			 BIT(IF_CMD_FIXED_IOPOLL))
/* Rings that take IORING_OP_ASYNC_CANCEL (a polled ring takes only I/O). */
#define CANCEL_IFACES	(BIT(IF_URING) | BIT(IF_URING_FIXED) | BIT(IF_URING_VEC) | \
			 BIT(IF_CMD) | BIT(IF_CMD_FIXED))

/* The input of an operation. */
enum op_class {
	OC_NORMAL,	/* in the worker's region, a good buffer */
	OC_CROSS_END,	/* crossing the device's end (the last region's) */
	OC_PAST_END,	/* at or past the end */
	OC_BAD_OFF,	/* a negative offset, or offset + length overflows */
	OC_BAD_BUF,	/* NULL, kernel memory, a read into read-only memory,
			 * or outside the registered buffer */
	OC_SHORT_BUF,	/* a buffer whose second page is PROT_NONE */
	OC_ZERO,	/* zero bytes */
	OC_WRONG_MODE,	/* a write on an O_RDONLY file, a read on O_WRONLY */
	OC_FLUSH,	/* no data: flush the volatile write cache */
	NR_CLASSES
};

static const struct class_desc {
	const char *name;
	unsigned int weight;
	unsigned int not_with;	/* interface flags it does not go with */
} classes[NR_CLASSES] = {
	[OC_NORMAL]	= { "normal", 70, 0 },
	[OC_CROSS_END]	= { "crossing the end", 4, 0 },
	[OC_PAST_END]	= { "past the end", 4, 0 },
	/* lseek() itself refuses a bad offset */
	[OC_BAD_OFF]	= { "bad offset", 4, F_POS },
	[OC_BAD_BUF]	= { "bad buffer", 5, 0 },
	/* registering a buffer refuses a PROT_NONE page */
	[OC_SHORT_BUF]	= { "buffer bad part way", 5, F_FIXED },
	[OC_ZERO]	= { "zero length", 3, 0 },
	/* a polled ring's read/write needs O_DIRECT, the other files lack it */
	[OC_WRONG_MODE]	= { "wrong access mode", 3, F_DIRECT },
	/* not on a polled ring's read/write: IORING_OP_FSYNC is not polled */
	[OC_FLUSH]	= { "flush", 1, 0 },
};

/* Inputs whose request reaches the device: its queue, its injection. */
#define REACHES_DEVICE	(BIT(OC_NORMAL) | BIT(OC_CROSS_END) | BIT(OC_BAD_BUF) | \
			 BIT(OC_SHORT_BUF))
/* Inputs on the worker's own range: what they leave there is checked. */
#define IN_REGION	(REACHES_DEVICE | BIT(OC_WRONG_MODE))
/* Inputs whose write may change the data of its range. */
#define CHANGES_DATA	(BIT(OC_NORMAL) | BIT(OC_CROSS_END) | BIT(OC_SHORT_BUF))
#define ALL_CLASSES	(BIT(NR_CLASSES) - 1)

/* When an error is allowed (every condition must hold). */
#define C_NOWAIT	BIT(0)	/* RWF_NOWAIT, or a file opened O_NONBLOCK */
#define C_INJECT	BIT(1)	/* injection (inject/) may have applied */
#define C_WRITE		BIT(2)	/* a write */
#define C_HANG		BIT(3)	/* a hang (inject/) may have been picked for it */
#define C_CLOSED	BIT(4)	/* its file descriptor was closed under it */
#define C_CANCELLED	BIT(5)	/* a cancel reached it (ring_cancelled(), aio_cancel()) */

/*
 * The errors the documentation allows, by interface and input: README.md
 * (The device, Access, sysfs inject/) and aiodev.h.  Any other fails the
 * run.  Flushes (OC_FLUSH) succeed but where a row says.
 */
static const struct errno_rule {
	int err;
	unsigned int ifaces;	/* BIT(enum iface) */
	unsigned int classes;	/* BIT(enum op_class) */
	unsigned int when;	/* C_* */
	const char *doc;
} errno_rules[] = {
	{ EIO, ALL_IFACES, REACHES_DEVICE, C_INJECT,
	  "injected errors reach the caller as EIO on every path" },
	{ EAGAIN, ALL_IFACES & ~CMD_IFACES, REACHES_DEVICE, C_NOWAIT,
	  "a NOWAIT request that would wait for a slot gets EAGAIN" },
	{ EFAULT, ALL_IFACES, BIT(OC_BAD_BUF), 0, "bad buffers EFAULT" },
	{ EINVAL, ALL_IFACES, BIT(OC_BAD_OFF), 0,
	  "negative or overflowing offsets give EINVAL" },
	{ ENOSPC, ALL_IFACES, BIT(OC_PAST_END), C_WRITE,
	  "a write at or past the end fails with ENOSPC" },
	{ EBADF, ALL_IFACES, BIT(OC_WRONG_MODE), 0,
	  "a request the access mode forbids fails with EBADF" },
	{ ENOMEM, CMD_IFACES, ALL_CLASSES & ~BIT(OC_FLUSH), 0,
	  "-ENOMEM: the kernel is out of memory" },
	{ ETIMEDOUT, ALL_IFACES, REACHES_DEVICE, C_HANG,
	  "a hung request fails with ETIMEDOUT when timeout_ms passes" },
	{ ECANCELED, ALL_IFACES, REACHES_DEVICE, C_HANG | C_CLOSED,
	  "closing the file ends the closing task's hung requests with ECANCELED" },
	{ ECANCELED, BIT(IF_AIO), REACHES_DEVICE, C_CANCELLED,
	  "io_cancel(2) returns EINPROGRESS, the event is ECANCELED" },
	{ ECANCELED, CANCEL_IFACES, ALL_CLASSES, C_CANCELLED,
	  "IORING_OP_ASYNC_CANCEL ends what io_uring holds itself with ECANCELED" },
	{ EBADF, ALL_IFACES, ALL_CLASSES, C_CLOSED,
	  "a request on a file descriptor closed before its issue: EBADF" },
};

enum fd_kind {
	FD_RW, FD_DIRECT, FD_NONBLOCK, FD_RDONLY, FD_WRONLY, FD_DSYNC, FD_SYNC,
	NR_FDS
};

static const struct {
	const char *name;
	int flags;
} fd_kinds[NR_FDS] = {
	[FD_RW]		= { "", O_RDWR },
	[FD_DIRECT]	= { " O_DIRECT", O_RDWR | O_DIRECT },
	[FD_NONBLOCK]	= { " O_NONBLOCK", O_RDWR | O_NONBLOCK },
	[FD_RDONLY]	= { " O_RDONLY", O_RDONLY },
	[FD_WRONLY]	= { " O_WRONLY", O_WRONLY },
	[FD_DSYNC]	= { " O_DSYNC", O_RDWR | O_DSYNC },
	[FD_SYNC]	= { " O_SYNC", O_RDWR | O_SYNC },
};

/* How a batch cancels its own requests (besides timeout_ms). */
enum cancel_kind {
	CANCEL_NONE,
	CANCEL_CLOSE,	/* close the files under them (a thread for blocking I/O) */
	CANCEL_IO,	/* io_cancel(2) (aio) */
	CANCEL_ASYNC,	/* IORING_OP_ASYNC_CANCEL (rings but polled ones) */
	NR_CANCELS
};

static const char *const cancel_names[NR_CANCELS] = {
	[CANCEL_CLOSE] = " closed", [CANCEL_IO] = " io_cancel",
	[CANCEL_ASYNC] = " ASYNC_CANCEL",
};

/* A flush: how an operation of class OC_FLUSH flushes. */
enum flush_kind { FL_FSYNC, FL_FDATASYNC, FL_CMD, NR_FLUSH_KINDS };

static const char *const flush_names[NR_FLUSH_KINDS] = {
	[FL_FSYNC] = "fsync", [FL_FDATASYNC] = "fdatasync", [FL_CMD] = "FLUSH",
};

/* One operation of a region's log, for the diagnosis of a failure. */
struct op_rec {
	uint64_t seq;
	int64_t off;
	uint32_t len;
	int32_t res;
	uint32_t stamp;		/* a write's data: aiodev_pattern_fill() seed */
	uint8_t iface;
	uint8_t cls;
	uint8_t write;
	uint8_t fdk;
	uint8_t nowait;
	uint8_t async;
	uint8_t dsync;
	uint8_t flush;		/* enum flush_kind, of an OC_FLUSH */
	uint8_t cancel;		/* enum cancel_kind of its batch */
};

/* A worker's counters, summed at the end (and at a paused stats/reset). */
struct wstats {
	uint64_t batches[NR_IFACES];
	uint64_t ops[NR_IFACES];
	uint64_t errs[NR_ERRNO];
	uint64_t shorts;		/* short transfers */
	uint64_t bytes_written;
	uint64_t bytes_verified;
	uint64_t teardowns;
	uint64_t recovered;	/* bytes settled after a kill or a teardown */
	uint64_t unexpected;
	uint64_t mismatches;
	uint64_t flushes[NR_IFACES];	/* flushes done, per interface */
	uint64_t flush_kinds[NR_FLUSH_KINDS];
	uint64_t flushes_counted;	/* done with the cache on: stats/flushes */
	uint64_t recovery_flushes;	/* after a kill or teardown (recover()) */
	uint64_t dsync_bytes;		/* written bypassing the cache */
	uint64_t cancel_batches[NR_CANCELS];
	uint64_t closed_ecanceled;	/* ECANCELED in batches that closed */
	uint64_t io_cancels, io_cancel_ok;	/* io_cancel(2) tried, EINPROGRESS */
	uint64_t async_cancels, async_cancel_ok, async_cancel_enoent,
		 async_cancel_ealready, async_cancel_ecanceled;
	uint64_t unseen;	/* device requests whose result no one saw */
};

/*
 * Writes of a region that may be in flight, for the worker's successor;
 * and how many device requests (@ops), whose results it will not see.
 */
struct journal {
	uint32_t n;
	uint32_t ops;
	struct {
		int64_t off;
		uint32_t len;
		uint32_t stamp;
	} w[MAX_BATCH];
};

struct region {
	int64_t start, end;
	pid_t pid;		/* its worker, a process group leader */
	unsigned int incarnation;
	int files;		/* aiodev files its worker has open */
	int teardown_req;	/* the controller asks for a teardown */
	int blocking;		/* in a blocking read (1) or write (2): act_kill() */
	uint32_t pause_ack;	/* the pause it is in (sh->pause) */
	uint64_t flushed;	/* flushes_done() its model reflects (see model_dur) */
	uint32_t next_stamp;
	struct journal jn;
	struct wstats st;
	uint64_t log_seq;
	struct op_rec log[LOG_OPS];
};

/*
 * What the controller has injected in one direction.  gen is odd while it
 * changes: a request that saw it odd, or saw it change, may have been
 * failed by any configuration.
 */
struct inject_state {
	uint32_t gen;
	uint32_t any;		/* every or percent: any request may fail */
	uint32_t hang;		/* any request may hang */
	uint64_t bad_start, bad_end;
};

struct inj_snap {
	uint32_t gen, any, hang;
	uint64_t bad_start, bad_end;
};

/*
 * The volatile write cache as the controller set it; gen is odd while it
 * changes.  A small cache (smaller than the device) can fill, and then
 * flushes itself at a time no one knows: it changes to or from small only
 * while the workers are paused.
 */
struct cache_state {
	uint32_t gen;
	uint32_t small;
	uint64_t size;
};

struct cache_snap {
	uint32_t gen, small;
	uint64_t size;
};

/*
 * The flushes of one issuer (a worker's region, or the controller):
 * begun before it submits them, settled when their outcome is known (done
 * or not), done when they have flushed.  done counts before settled.
 */
struct flush_ctr {
	uint64_t begun, settled, done;
};

#define CTL_FLUSHER	MAX_WORKERS	/* the controller's struct flush_ctr */

/* Shared by the controller and the workers, which it outlives. */
struct shared {
	int stop;
	int failures;
	uint64_t seed;
	uint32_t nonce;		/* this run's data differs from an earlier one's */
	int64_t size;
	int nr_workers;
	uint64_t t0_ns;
	struct inject_state inj[2];	/* [read], [write] */
	struct cache_state cache;
	struct flush_ctr fl[MAX_WORKERS + 1];
	uint32_t pause;		/* non-zero: workers wait at their next batch */
	uint64_t ctl_seq;
	struct {
		uint64_t ms;
		char what[72];
	} ctl_log[LOG_CTL];
	struct region reg[MAX_WORKERS];
};

static struct shared *sh;

/*
 * The model: what each byte of the device may read as, shared so that a
 * worker's successor takes it over.  Normally the data of the last
 * acknowledged write to it, val[].  A write whose outcome is unknown (its
 * process was killed, or its ring torn down, with it in flight) may or may
 * not have landed: until a read finds out, the byte may also be alt[], that
 * write's data, marked in either[].  The read waits until every request of
 * the process is done (wait_dead_requests()), so it settles the byte for
 * good.
 *
 * The volatile write cache: what a power cut must leave, dur[], beside
 * what reads see.  A byte reads as its data at the last flush, or of the
 * last write that bypassed the cache (DSYNC), whichever came last: a block
 * (BLOCK bytes) written since the last flush goes back to its saved copy,
 * which DSYNC writes update.  So a write that goes through the cache
 * changes val[] only, a DSYNC write (or any write while there is no cache)
 * both, and a flush that surely came after a region's writes makes its
 * dur[] its val[] (model_flushed()).  A flush concurrent with a batch's
 * writes (any worker's: a flush is the device's) may have come before or
 * after each of them: their bytes may be left either way by a cut, marked
 * BLK_MAYBE in blk[] (per block: the other bytes of the block are flushed
 * then, dur[] = val[]).  A byte with two possible values must not be
 * written again through the cache before a flush settles it (writable()):
 * a third would be possible.  A small cache flushes itself when it fills,
 * at any time: every write through it is then BLK_MAYBE, and only blocks
 * that are flushed (not BLK_DIRTY) are written through it.
 *
 * Which flushes surely came after a worker's writes: each issuer counts
 * its flushes in struct flush_ctr.  A worker that ends a batch waits until
 * every flush begun by then is settled (flush_wait()), so no flush spans
 * two of its batches; a flush done after that (flushes_done() above the
 * region's flushed) came after all of the batch's writes, and one done
 * during the next batch may have come before or after each of its writes.
 * A flush whose process went away may or may not have been done: the
 * successor (recover()) settles it with one of its own once the dead
 * process's requests are all done.  A power cut happens with the workers
 * paused and nothing in flight; the controller reads back the blocks
 * written since their flush (BLK_DIRTY, BLK_TOUCHED) and checks them.
 */
static uint8_t *model_val, *model_alt, *model_either, *model_dur;

/* Per block of the device, in model_blk[]. */
#define BLK_DIRTY	BIT(0)	/* a byte whose dur[] is not its val[] */
#define BLK_MAYBE	BIT(1)	/* a cut leaves dur[] or val[] */
#define BLK_TOUCHED	BIT(2)	/* the device may hold it in its cache */
static uint8_t *model_blk;

/* Output from any process: one write(2) a message, so lines do not mix. */
struct msg {
	size_t len;
	char buf[12288];
};

static __attribute__((format(printf, 2, 3)))
void msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len >= sizeof(m->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->len, sizeof(m->buf) - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len = MIN(m->len + n, sizeof(m->buf) - 1);
}

static void msg_out(struct msg *m)
{
	if (m->len && write(STDOUT_FILENO, m->buf, m->len) < 0)
		m->len = 0;
	m->len = 0;
}

static bool stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

/*
 * Count a failure; true if it is one of the first MAX_REPORTS, to be
 * reported.  The run stops after those: one replayable failure is enough.
 */
static bool failure(void)
{
	int n = __atomic_add_fetch(&sh->failures, 1, __ATOMIC_SEQ_CST);

	if (n >= MAX_REPORTS)
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return n <= MAX_REPORTS;
}

/* splitmix64: reproducible from the seed in every process. */
static uint64_t rnd64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 if n is 0. */
static uint64_t rnd(uint64_t *state, uint64_t n)
{
	return n ? rnd64(state) % n : 0;
}

static unsigned int pat_seed(uint32_t stamp)
{
	return stamp ^ sh->nonce;
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

/* A result as text: bytes, or the errno's name. */
static const char *res_str(int64_t res, char *buf, size_t len)
{
	if (res == RES_PENDING)
		return "in flight";
	if (res == RES_TORN)
		return "torn down";
	if (res >= 0)
		snprintf(buf, len, "%lld bytes", (long long)res);
	else
		snprintf(buf, len, "%s", errno_name(-res));
	return buf;
}

/* ---- the model ---- */

static bool model_is_either(int64_t i)
{
	return model_either[i / 8] & BIT(i % 8);
}

static void model_settle(int64_t i, uint8_t val)
{
	model_val[i] = val;
	model_either[i / 8] &= ~BIT(i % 8);
}

static void model_clear_either(int64_t off, size_t n)
{
	int64_t end = off + n;

	for (; off < end && off % 8; off++)
		model_either[off / 8] &= ~BIT(off % 8);
	if (end - off >= 8) {
		memset(model_either + off / 8, 0, (end - off) / 8);
		off += (end - off) / 8 * 8;
	}
	for (; off < end; off++)
		model_either[off / 8] &= ~BIT(off % 8);
}

/* An acknowledged write of @n bytes of @data at @off. */
static void model_write(int64_t off, const uint8_t *data, size_t n)
{
	memcpy(model_val + off, data, n);
	model_clear_either(off, n);
}

/* A write of @n bytes of pattern @stamp at @off may or may not have landed. */
static void model_unknown(int64_t off, size_t n, uint32_t stamp)
{
	aiodev_pattern_fill(model_alt + off, n, off, pat_seed(stamp));
	for (size_t i = 0; i < n; i++)
		model_either[(off + i) / 8] |= BIT((off + i) % 8);
}

/* Set @flags on the blocks of [@off, @off + @n). */
static void blk_mark(int64_t off, size_t n, uint8_t flags)
{
	for (int64_t b = off / BLOCK; n && b <= (off + (int64_t)n - 1) / BLOCK; b++)
		model_blk[b] |= flags;
}

/* Whether a block of [@off, @off + @n) has one of @flags. */
static bool blk_any(int64_t off, size_t n, uint8_t flags)
{
	for (int64_t b = off / BLOCK; n && b <= (off + (int64_t)n - 1) / BLOCK; b++)
		if (model_blk[b] & flags)
			return true;
	return false;
}

/*
 * A flush came after every write of region @r, and none is in flight: a
 * cut leaves what reads see now.
 */
static void model_flushed(int r)
{
	const struct region *reg = &sh->reg[r];

	for (int64_t b = reg->start / BLOCK; b < reg->end / BLOCK; b++) {
		if (model_blk[b] & BLK_DIRTY)
			memcpy(model_dur + b * BLOCK, model_val + b * BLOCK, BLOCK);
		model_blk[b] = 0;
	}
}

/* The flushes done so far, by anyone. */
static uint64_t flushes_done(void)
{
	uint64_t n = 0;

	for (int i = 0; i <= CTL_FLUSHER; i++)
		n += __atomic_load_n(&sh->fl[i].done, __ATOMIC_ACQUIRE);
	return n;
}

/*
 * Between two batches of region @r: the flushes done since its last
 * batch's flush_wait() came after all of its writes.
 */
static void model_boundary(int r)
{
	uint64_t done = flushes_done();

	if (done > sh->reg[r].flushed) {
		model_flushed(r);
		sh->reg[r].flushed = done;
	}
}

struct batch;
struct op;
static void report_mismatch(int r, const struct batch *b, const struct op *op,
			    int64_t at, uint8_t got, size_t bad);

/*
 * What a read of [@off, @off + @n) returned, against the model: bytes that
 * were either settle.  Returns how many bytes differ; they are reported,
 * then taken as the device's, so that one fault is reported once.
 */
static size_t model_check(int r, const struct batch *b, const struct op *op,
			  int64_t off, const uint8_t *got, size_t n)
{
	size_t bad = 0, first = 0;

	if (!memcmp(model_val + off, got, n)) {
		model_clear_either(off, n);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t o = off + i;

		if (got[i] == model_val[o] ||
		    (model_is_either(o) && got[i] == model_alt[o])) {
			model_settle(o, got[i]);
			continue;
		}
		if (!bad++)
			first = i;
	}
	if (!bad)
		return 0;
	report_mismatch(r, b, op, off + first, got[first], bad);
	for (size_t i = 0; i < n; i++)
		model_settle(off + i, got[i]);
	blk_mark(off, n, BLK_DIRTY);
	return bad;
}

/* ---- operations and batches ---- */

struct op {
	enum op_class cls;
	enum fd_kind fdk;
	bool write;
	bool nowait;
	bool async;		/* IOSQE_ASYNC: issued from io-wq */
	int64_t off;
	size_t len;
	uint8_t *buf;		/* may be a bad pointer (OC_BAD_BUF) */
	int iovcnt;
	struct iovec iov[MAX_IOV];	/* pieces of buf */
	size_t boundary;	/* OC_SHORT_BUF: bytes before the bad page */
	uint32_t stamp;
	bool dsync;		/* a write that bypasses the cache */
	bool cmd_dsync;		/* by AIODEV_CMD_F_DSYNC */
	enum flush_kind flush;	/* OC_FLUSH: how */
	int fd;			/* where it goes, when its batch runs */
	bool closed;		/* CANCEL_CLOSE: @fd was closed under it */
	bool cancelled;		/* its cancel succeeded: it must be ECANCELED */
	int cancel_res;		/* what io_cancel(2) or ASYNC_CANCEL said, or 1 */
	ssize_t res;
	uint64_t log;		/* its entry in the region's log */
};

struct batch {
	enum iface iface;
	int rwf;		/* RWF_* of every read and write */
	bool async;		/* IOSQE_ASYNC on every SQE */
	enum cancel_kind cancel;
	int n;
	struct op op[MAX_BATCH];
	int ntaken;		/* ranges of the region the batch uses */
	int64_t taken[MAX_BATCH][2];
};

static void op_init(struct op *op)
{
	memset(op, 0, sizeof(*op));
	op->res = RES_PENDING;
	op->cancel_res = 1;
	op->fd = -1;
}

struct worker {
	int r;
	struct region *reg;
	uint64_t rng;
	int fd[NR_FDS];
	size_t page;
	uint8_t *arena;
	size_t used;
	uint8_t *short_map;	/* two pages, the second PROT_NONE */
	uint8_t *ro;		/* a read-only page */
	uint8_t order[NR_IFACES];
	int next;
};

/* The bytes of the region a successful @op may change or has read. */
static size_t region_len(const struct op *op)
{
	if (op->cls == OC_CROSS_END)
		return sh->size - op->off;
	return op->len;
}

/*
 * The bytes a successful @op moves, in [*min, *max] (none if *min > *max:
 * it must fail).  README.md, The device: a read at or past the end returns
 * 0, one crossing it is short; a write at or past the end fails, one
 * crossing it is short; a buffer that goes bad part way gives a short
 * transfer.  No alignment is documented for O_DIRECT: any is served.
 */
static void expect_len(const struct op *op, size_t *min, size_t *max)
{
	*min = *max = op->len;
	switch (op->cls) {
	case OC_CROSS_END:
		*min = *max = sh->size - op->off;
		break;
	case OC_PAST_END:
		*min = op->write;
		*max = 0;
		break;
	case OC_SHORT_BUF:
		*min = 1;
		*max = op->boundary;
		break;
	case OC_ZERO:
		*min = *max = 0;
		break;
	case OC_BAD_OFF:
	case OC_BAD_BUF:
	case OC_WRONG_MODE:
		*min = 1;
		*max = 0;
		break;
	default:
		break;
	}
}

/* The conditions (C_*) that hold for @op; @inject and @hang: may have applied. */
static unsigned int conditions(const struct op *op, bool inject, bool hang)
{
	return (op->nowait ? C_NOWAIT : 0) | (inject ? C_INJECT : 0) |
	       (op->write ? C_WRITE : 0) | (hang ? C_HANG : 0) |
	       (op->closed ? C_CLOSED : 0) | (op->cancelled ? C_CANCELLED : 0);
}

static bool rule_applies(const struct errno_rule *rule, enum iface iface,
			 const struct op *op, unsigned int holds)
{
	return (rule->ifaces & BIT(iface)) && (rule->classes & BIT(op->cls)) &&
	       !(rule->when & ~holds);
}

static bool result_allowed(enum iface iface, const struct op *op, unsigned int holds)
{
	size_t min, max;

	if (op->res >= 0) {
		expect_len(op, &min, &max);
		return (size_t)op->res >= min && (size_t)op->res <= max;
	}
	for (size_t i = 0; i < ARRAY_LEN(errno_rules); i++)
		if (errno_rules[i].err == -op->res &&
		    rule_applies(&errno_rules[i], iface, op, holds))
			return true;
	return false;
}

/* ---- the injection state ---- */

static void inject_snap(struct inj_snap *s)
{
	for (int d = 0; d < 2; d++) {
		struct inject_state *in = &sh->inj[d];

		s[d].gen = __atomic_load_n(&in->gen, __ATOMIC_ACQUIRE);
		s[d].any = __atomic_load_n(&in->any, __ATOMIC_RELAXED);
		s[d].hang = __atomic_load_n(&in->hang, __ATOMIC_RELAXED);
		s[d].bad_start = __atomic_load_n(&in->bad_start, __ATOMIC_RELAXED);
		s[d].bad_end = __atomic_load_n(&in->bad_end, __ATOMIC_RELAXED);
		if (__atomic_load_n(&in->gen, __ATOMIC_ACQUIRE) != s[d].gen)
			s[d].gen |= 1;	/* torn: changing */
	}
}

/*
 * Whether injection may have failed @op: the snapshots are taken before
 * the batch's first submission and after its last completion, and the
 * device decides when it queues the request, in between.
 */
static bool inject_possible(const struct inj_snap *before,
			    const struct inj_snap *after, const struct op *op)
{
	const struct inj_snap *s = &before[op->write];

	if (!(REACHES_DEVICE & BIT(op->cls)))
		return false;
	if (s->gen != after[op->write].gen || (s->gen & 1) || s->any)
		return true;
	return op->off < (int64_t)s->bad_end &&
	       op->off + (int64_t)region_len(op) > (int64_t)s->bad_start;
}

/* Whether a hang may have been picked for @op: as inject_possible(). */
static bool hang_possible(const struct inj_snap *before,
			  const struct inj_snap *after, const struct op *op)
{
	const struct inj_snap *s = &before[op->write];

	return (REACHES_DEVICE & BIT(op->cls)) &&
	       (s->gen != after[op->write].gen || (s->gen & 1) || s->hang);
}

static void cache_snap(struct cache_snap *s)
{
	struct cache_state *cs = &sh->cache;

	s->gen = __atomic_load_n(&cs->gen, __ATOMIC_ACQUIRE);
	s->small = __atomic_load_n(&cs->small, __ATOMIC_RELAXED);
	s->size = __atomic_load_n(&cs->size, __ATOMIC_RELAXED);
	if (__atomic_load_n(&cs->gen, __ATOMIC_ACQUIRE) != s->gen)
		s->gen |= 1;
}

/* Whether there was no cache from @before to @after: writes are durable. */
static bool cache_off(const struct cache_snap *before, const struct cache_snap *after)
{
	return before->gen == after->gen && !(before->gen & 1) && !before->size;
}

/* ---- the log and reports ---- */

static void log_op(struct region *reg, enum iface iface, enum cancel_kind cancel,
		   struct op *op)
{
	uint64_t seq = reg->log_seq++;

	reg->log[seq % LOG_OPS] = (struct op_rec){
		.seq = seq, .off = op->off, .len = op->len, .res = RES_PENDING,
		.stamp = op->stamp, .iface = iface, .cls = op->cls,
		.write = op->write, .fdk = op->fdk, .nowait = op->nowait,
		.async = op->async, .dsync = op->dsync, .flush = op->flush,
		.cancel = cancel,
	};
	op->log = seq;
}

static void log_result(struct region *reg, const struct op *op, int32_t res)
{
	struct op_rec *rec = &reg->log[op->log % LOG_OPS];

	if (rec->seq == op->log)
		rec->res = res;
}

static void describe_rec(struct msg *m, const struct op_rec *rec)
{
	char res[32];

	if (rec->cls == OC_FLUSH)
		msg_add(m, "#%llu %s via %s%s%s%s: %s", (unsigned long long)rec->seq,
			flush_names[rec->flush], ifaces[rec->iface].name,
			fd_kinds[rec->fdk].name, rec->async ? " IOSQE_ASYNC" : "",
			cancel_names[rec->cancel] ?: "",
			rec->res ? res_str(rec->res, res, sizeof(res)) : "done");
	else
		msg_add(m, "#%llu %s %lld+%u via %s%s%s%s%s%s (%s): %s",
			(unsigned long long)rec->seq, rec->write ? "write" : "read",
			(long long)rec->off, rec->len, ifaces[rec->iface].name,
			fd_kinds[rec->fdk].name, rec->nowait ? " nowait" : "",
			rec->dsync ? " dsync" : "", rec->async ? " IOSQE_ASYNC" : "",
			cancel_names[rec->cancel] ?: "", classes[rec->cls].name,
			res_str(rec->res, res, sizeof(res)));
	if (rec->write)
		msg_add(m, ", stamp 0x%x", rec->stamp);
}

/* The region's recent operations on byte @at (and @flushes), newest first. */
static void recent_ops(struct msg *m, int r, int64_t at, bool flushes)
{
	const struct region *reg = &sh->reg[r];
	uint64_t seq = reg->log_seq;
	int shown = 0;

	msg_add(m, "#   recent operations on offset %lld, newest first:\n", (long long)at);
	for (uint64_t i = 0; i < LOG_OPS && i < seq && shown < 12; i++) {
		const struct op_rec *rec = &reg->log[(seq - 1 - i) % LOG_OPS];
		uint8_t byte;

		if (rec->seq != seq - 1 - i)
			continue;
		if (rec->cls == OC_FLUSH ? !flushes :
		    at < rec->off || at >= rec->off + MAX(rec->len, 1))
			continue;
		msg_add(m, "#     ");
		describe_rec(m, rec);
		if (rec->write) {
			aiodev_pattern_fill(&byte, 1, at, pat_seed(rec->stamp));
			msg_add(m, ", its data there 0x%02x", byte);
		}
		msg_add(m, "\n");
		shown++;
	}
	if (!shown)
		msg_add(m, "#     none in the last %d\n", LOG_OPS);
}

static void recent_actions(struct msg *m)
{
	uint64_t seq = __atomic_load_n(&sh->ctl_seq, __ATOMIC_ACQUIRE);

	msg_add(m, "#   recent controller actions:\n");
	for (uint64_t i = seq > 10 ? seq - 10 : 0; i < seq; i++)
		msg_add(m, "#     %llu.%03llu s: %s\n",
			(unsigned long long)sh->ctl_log[i % LOG_CTL].ms / 1000,
			(unsigned long long)sh->ctl_log[i % LOG_CTL].ms % 1000,
			sh->ctl_log[i % LOG_CTL].what);
}

static void describe_op(struct msg *m, enum iface iface, const struct op *op)
{
	struct op_rec rec = {
		.seq = op->log, .off = op->off, .len = op->len, .res = op->res,
		.stamp = op->stamp, .iface = iface, .cls = op->cls,
		.write = op->write, .fdk = op->fdk, .nowait = op->nowait,
		.async = op->async, .dsync = op->dsync, .flush = op->flush,
		.cancel = op->closed ? CANCEL_CLOSE : CANCEL_NONE,
	};

	describe_rec(m, &rec);
	if (op->cancel_res <= 0)
		msg_add(m, "; its cancel: %s",
			op->cancel_res ? errno_name(-op->cancel_res) : "0 (done)");
}

static void report_mismatch(int r, const struct batch *b, const struct op *op,
			    int64_t at, uint8_t got, size_t bad)
{
	struct msg m = { 0 };

	sh->reg[r].st.mismatches++;
	if (!failure())
		return;
	msg_add(&m, "# MISMATCH (seed %llu): region %d [%lld, %lld), offset %lld: expected 0x%02x",
		(unsigned long long)sh->seed, r, (long long)sh->reg[r].start,
		(long long)sh->reg[r].end, (long long)at, model_val[at]);
	if (model_is_either(at))
		msg_add(&m, " or 0x%02x", model_alt[at]);
	msg_add(&m, ", got 0x%02x (%zu bytes differ)\n#   the read: ", got, bad);
	describe_op(&m, b->iface, op);
	msg_add(&m, "\n");
	recent_ops(&m, r, at, false);
	recent_actions(&m);
	msg_out(&m);
}

/* A result the documentation does not allow (@why: or another fault). */
static void report_unexpected(int r, enum iface iface, const struct op *op,
			      unsigned int holds, const char *why)
{
	struct msg m = { 0 };
	size_t min, max;

	sh->reg[r].st.unexpected++;
	if (!failure())
		return;
	msg_add(&m, "# UNEXPECTED (seed %llu): region %d: ", (unsigned long long)sh->seed, r);
	describe_op(&m, iface, op);
	if (why) {
		msg_add(&m, "\n#   %s\n", why);
	} else {
		expect_len(op, &min, &max);
		msg_add(&m, "\n#   allowed:");
		if (min <= max)
			msg_add(&m, " %zu to %zu bytes;", min, max);
		for (size_t i = 0; i < ARRAY_LEN(errno_rules); i++)
			if (rule_applies(&errno_rules[i], iface, op, holds))
				msg_add(&m, " %s (%s);", errno_name(errno_rules[i].err),
					errno_rules[i].doc);
		msg_add(&m, "\n");
	}
	recent_actions(&m);
	msg_out(&m);
}

/* A failure that is no operation's result. */
static __attribute__((format(printf, 2, 3))) void report_fault(int r, const char *fmt, ...)
{
	struct msg m = { 0 };
	char what[256];
	va_list ap;

	sh->reg[r].st.unexpected++;
	if (!failure())
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	msg_add(&m, "# FAILED (seed %llu): region %d: %s\n", (unsigned long long)sh->seed,
		r, what);
	recent_actions(&m);
	msg_out(&m);
}

/* ---- planning a batch ---- */

static bool range_free(const struct batch *b, int64_t off, size_t len)
{
	for (int i = 0; i < b->ntaken; i++)
		if (off < b->taken[i][1] && off + (int64_t)len > b->taken[i][0])
			return false;
	return true;
}

/*
 * Operations of a batch do not overlap: the order of concurrent requests
 * to one range is not defined.
 */
static bool reserve(struct batch *b, int64_t off, size_t len)
{
	if (b->ntaken == MAX_BATCH || !range_free(b, off, len))
		return false;
	b->taken[b->ntaken][0] = off;
	b->taken[b->ntaken++][1] = off + len;
	return true;
}

/*
 * Whether @op may write to [@off, @off + @len) (see model_dur): not
 * through the cache to bytes a cut may leave two ways, nor, when the cache
 * may flush itself, to bytes written since their flush.
 */
static bool writable(const struct op *op, int64_t off, size_t len)
{
	if (!op->write || op->dsync || !(CHANGES_DATA & BIT(op->cls)))
		return true;
	return !blk_any(off, len, __atomic_load_n(&sh->cache.small, __ATOMIC_RELAXED) ?
			BLK_DIRTY : BLK_MAYBE);
}

static int take_range(struct worker *wk, struct batch *b, const struct op *op,
		      size_t len, size_t align, int64_t *off)
{
	int64_t start = wk->reg->start, span = wk->reg->end - start;

	for (int tries = 0; tries < 16; tries++) {
		int64_t o = start + rnd(&wk->rng, span - len + 1);

		o -= (o - start) % align;
		if (writable(op, o, len) && reserve(b, o, len)) {
			*off = o;
			return 0;
		}
	}
	return -1;
}

/* Mostly small, at times over 1 MiB; a multiple of @align, at most @max. */
static size_t rand_len(struct worker *wk, size_t align, size_t max)
{
	unsigned int p = rnd(&wk->rng, 100);
	size_t len;

	if (p < 55)
		len = 1 + rnd(&wk->rng, 4096);
	else if (p < 85)
		len = 4096 + rnd(&wk->rng, 60 * 1024);
	else if (p < 97)
		len = 64 * 1024 + rnd(&wk->rng, 448 * 1024);
	else
		len = 512 * 1024 + rnd(&wk->rng, MAX_OP_LEN - 512 * 1024 + 1);
	len = (MIN(len, max) + align - 1) / align * align;
	return MIN(len, max / align * align);
}

static bool class_fits(const struct worker *wk, enum op_class c,
		       unsigned int f, bool short_used)
{
	if (classes[c].not_with & f)
		return false;
	if (c == OC_CROSS_END && wk->reg->end != sh->size)
		return false;
	/* A polled ring's read/write: IORING_OP_FSYNC is not a polled op. */
	if (c == OC_FLUSH && (f & F_IOPOLL) && !(f & F_CMD))
		return false;
	/* One operation at a time on the worker's one such buffer. */
	return c != OC_SHORT_BUF || !short_used;
}

static enum op_class pick_class(struct worker *wk, unsigned int f, bool short_used)
{
	unsigned int sum = 0, x;
	int c;

	for (c = 0; c < NR_CLASSES; c++)
		if (class_fits(wk, c, f, short_used))
			sum += classes[c].weight;
	x = rnd(&wk->rng, sum);
	for (c = 0; c < NR_CLASSES; c++) {
		if (!class_fits(wk, c, f, short_used))
			continue;
		if (x < classes[c].weight)
			break;
		x -= classes[c].weight;
	}
	return c;
}

static enum fd_kind pick_fd(struct worker *wk, unsigned int f, const struct op *op)
{
	unsigned int p = rnd(&wk->rng, 100);

	if (op->cls == OC_WRONG_MODE)
		return op->write ? FD_RDONLY : FD_WRONLY;
	if (f & F_DIRECT)
		return FD_DIRECT;
	return p < 60 ? FD_RW : p < 72 ? FD_DIRECT : p < 84 ? FD_NONBLOCK :
	       p < 94 ? FD_DSYNC : FD_SYNC;
}

static uint8_t *arena_alloc(struct worker *wk, size_t len, size_t align)
{
	size_t at = wk->used + (align == 1 ? rnd(&wk->rng, 64) : 0);

	at = (at + align - 1) / align * align;
	if (at + len > ARENA_LEN)
		return NULL;
	wk->used = at + len;
	return wk->arena + at;
}

static uint8_t *bad_buffer(struct worker *wk, const struct op *op, unsigned int f)
{
	/* Outside the registered buffer, which is within the arena. */
	if (f & F_FIXED)
		return wk->arena + ARENA_LEN + wk->page * rnd(&wk->rng, 16);
	switch (rnd(&wk->rng, op->write ? 2 : 3)) {
	case 0:
		return NULL;
	case 1:
		return (uint8_t *)(uintptr_t)KERNEL_ADDR;
	default:
		return wk->ro;	/* a read cannot fill it */
	}
}

/* Cut the buffer into 1 to MAX_IOV pieces where the interface takes iovecs. */
static void split_iov(struct worker *wk, struct op *op, unsigned int f)
{
	size_t cut[MAX_IOV + 1];
	int n = 1;

	if ((f & F_VEC) && op->cls != OC_SHORT_BUF && op->cls != OC_BAD_BUF)
		n = 1 + rnd(&wk->rng, MAX_IOV);
	cut[0] = 0;
	cut[n] = op->len;
	for (int i = 1; i < n; i++) {
		size_t c = rnd(&wk->rng, op->len + 1);
		int j = i;

		for (; j > 1 && cut[j - 1] > c; j--)
			cut[j] = cut[j - 1];
		cut[j] = c;
	}
	op->iovcnt = n;
	for (int i = 0; i < n; i++)
		op->iov[i] = (struct iovec){ op->buf + cut[i], cut[i + 1] - cut[i] };
}

static int plan_buffer(struct worker *wk, struct op *op, unsigned int f,
		       size_t align)
{
	size_t fill = op->len;

	if (op->cls == OC_SHORT_BUF) {
		op->buf = wk->short_map + wk->page - op->boundary;
		fill = op->boundary;
	} else if (op->cls == OC_BAD_BUF) {
		op->buf = bad_buffer(wk, op, f);
		fill = 0;
	} else {
		op->buf = arena_alloc(wk, op->len, align);
		if (!op->buf)
			return -1;
	}
	if (op->write) {
		op->stamp = (uint32_t)wk->r << 24 | (wk->reg->next_stamp++ & 0xffffff);
		aiodev_pattern_fill(op->buf, fill, op->off, pat_seed(op->stamp));
	} else {
		memset(op->buf, POISON, fill);
	}
	split_iov(wk, op, f);
	return 0;
}

/* Where the input says, in the worker's region for most. */
static int plan_range(struct worker *wk, struct batch *b, struct op *op,
		      unsigned int f, size_t align)
{
	int64_t span = wk->reg->end - wk->reg->start;
	size_t k;

	switch (op->cls) {
	case OC_CROSS_END:
		op->len = MAX(op->len, 2 * align);
		k = align * (1 + rnd(&wk->rng, (op->len - align) / align));
		op->off = sh->size - k;
		return writable(op, op->off, k) && reserve(b, op->off, k) ? 0 : -1;
	case OC_SHORT_BUF:
		op->boundary = wk->page - align * rnd(&wk->rng, wk->page / align);
		op->len = op->boundary + align * (1 + rnd(&wk->rng, 2 * wk->page / align));
		return take_range(wk, b, op, op->len, align, &op->off);
	case OC_PAST_END:
		k = rnd(&wk->rng, 3);
		if (f & F_POS || !k)
			op->off = sh->size;	/* lseek() takes the end, no further */
		else if (k == 1)
			op->off = sh->size + align * rnd(&wk->rng, (1 << 30) / align);
		else
			op->off = (LLONG_MAX - 2 * MAX_OP_LEN) / align * align;
		return 0;
	case OC_BAD_OFF:
		op->len = MAX(op->len, 16);
		/* Not -1: pwritev2() and io_uring take it for the file position. */
		if ((f & F_DIRECT) || rnd(&wk->rng, 2))
			op->off = -512 * (int64_t)(1 + rnd(&wk->rng, 1 << 20));
		else
			op->off = LLONG_MAX - rnd(&wk->rng, op->len - 1);
		return 0;
	case OC_ZERO:
		op->len = 0;
		op->off = wk->reg->start + rnd(&wk->rng, span) / align * align;
		return 0;
	default:
		return take_range(wk, b, op, op->len, align, &op->off);
	}
}

/* A flush: any access mode may flush (fsync(2) says so). */
static void plan_flush(struct worker *wk, struct op *op, unsigned int f)
{
	static const enum fd_kind kinds[] = { FD_RW, FD_RDONLY, FD_WRONLY, FD_DSYNC,
					      FD_NONBLOCK };

	op->fdk = kinds[rnd(&wk->rng, ARRAY_LEN(kinds))];
	/* A polled ring takes the command, not IORING_OP_FSYNC. */
	if ((f & F_CMD) && ((f & F_IOPOLL) || rnd(&wk->rng, 2)))
		op->flush = FL_CMD;
	else
		op->flush = rnd(&wk->rng, 2) ? FL_FSYNC : FL_FDATASYNC;
}

static int plan_op(struct worker *wk, struct batch *b, struct op *op,
		   bool *short_used)
{
	unsigned int f = ifaces[b->iface].flags;
	size_t align = (f & F_DIRECT) || rnd(&wk->rng, 2) ? 512 : 1;
	size_t max = MIN(MAX_OP_LEN, (wk->reg->end - wk->reg->start) / 4);

	op_init(op);
	op->async = b->async;
	op->cls = pick_class(wk, f, *short_used);
	if (op->cls == OC_FLUSH) {
		plan_flush(wk, op, f);
		return 0;
	}
	op->write = rnd(&wk->rng, 2);
	op->fdk = pick_fd(wk, f, op);
	op->cmd_dsync = (f & F_CMD) && op->write && rnd(&wk->rng, 100) < 15;
	op->dsync = op->write && (op->fdk == FD_DSYNC || op->fdk == FD_SYNC ||
				  (b->rwf & RWF_DSYNC) || op->cmd_dsync);
	op->nowait = !(f & F_CMD) &&
		     (op->fdk == FD_NONBLOCK || (b->rwf & RWF_NOWAIT));
	op->len = rand_len(wk, align, max);
	if (plan_range(wk, b, op, f, align) || plan_buffer(wk, op, f, align))
		return -1;
	*short_used |= op->cls == OC_SHORT_BUF;
	return 0;
}

static enum iface next_iface(struct worker *wk)
{
	/* Each interface once in a round, in a random order. */
	if (!wk->next) {
		for (int i = 0; i < NR_IFACES; i++)
			wk->order[i] = i;
		for (int i = NR_IFACES - 1; i > 0; i--) {
			int j = rnd(&wk->rng, i + 1);
			uint8_t t = wk->order[i];

			wk->order[i] = wk->order[j];
			wk->order[j] = t;
		}
	}
	enum iface i = wk->order[wk->next];

	wk->next = (wk->next + 1) % NR_IFACES;
	return i;
}

static void plan_batch(struct worker *wk, struct batch *b)
{
	unsigned int f = ifaces[b->iface].flags;
	int want = 1 + rnd(&wk->rng, f & F_ASYNC ? MAX_BATCH : MAX_SYNC_BATCH);
	bool short_used = false;
	unsigned int p;

	b->n = 0;
	b->ntaken = 0;
	wk->used = 0;
	b->rwf = (f & F_RWF) && rnd(&wk->rng, 100) < 15 ? RWF_NOWAIT : 0;
	b->rwf |= (f & F_RWF) && rnd(&wk->rng, 100) < 15 ? RWF_DSYNC : 0;
	b->async = (f & F_RING) && rnd(&wk->rng, 100) < 10;
	p = rnd(&wk->rng, 100);
	if (p < 10)
		b->cancel = CANCEL_CLOSE;
	else if (p < 25 && b->iface == IF_AIO)
		b->cancel = CANCEL_IO;
	else if (p < 25 && (CANCEL_IFACES & BIT(b->iface)))
		b->cancel = CANCEL_ASYNC;
	else
		b->cancel = CANCEL_NONE;
	for (int i = 0; i < want; i++)
		if (!plan_op(wk, b, &b->op[b->n], &short_used))
			b->n++;
}

/* ---- flushes ---- */

/* @n flushes of issuer @who (a worker's region, CTL_FLUSHER) are to be submitted. */
static void flush_begin(int who, unsigned int n)
{
	__atomic_add_fetch(&sh->fl[who].begun, n, __ATOMIC_SEQ_CST);
}

/* A flush of issuer @who has an outcome: @done, it flushed. */
static void flush_settle(int who, bool done)
{
	if (done)
		__atomic_add_fetch(&sh->fl[who].done, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->fl[who].settled, 1, __ATOMIC_SEQ_CST);
}

/*
 * Wait until every flush begun so far has an outcome (see model_dur): a
 * batch's writes are all done, and no flush may span two batches of one
 * worker.  A worker's flushes settle as they complete, a dead one's in
 * its successor's recover().
 */
static void flush_wait(void)
{
	uint64_t begun[CTL_FLUSHER + 1];

	for (int i = 0; i <= CTL_FLUSHER; i++)
		begun[i] = __atomic_load_n(&sh->fl[i].begun, __ATOMIC_SEQ_CST);
	for (int i = 0; i <= CTL_FLUSHER; i++)
		while (__atomic_load_n(&sh->fl[i].settled, __ATOMIC_SEQ_CST) < begun[i] &&
		       !stopping())
			usleep(200);
}

/* ---- running a batch ---- */

/* The worker knows @op's result; a flush's is its outcome. */
static void op_done(struct worker *wk, struct op *op, ssize_t res)
{
	op->res = res;
	if (op->cls == OC_FLUSH)
		flush_settle(wk->r, !res);
}

/*
 * Where each operation goes: the worker's file of its kind, or, in a
 * batch that closes its files under its requests, a dup() of it of its
 * own.  -1 if a dup() fails (reported).
 */
static int open_fds(struct worker *wk, struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];

		op->fd = wk->fd[op->fdk];
		if (b->cancel != CANCEL_CLOSE)
			continue;
		op->closed = true;
		op->fd = dup(op->fd);
		if (op->fd < 0) {
			report_fault(wk->r, "dup: %s", strerror(errno));
			while (i--)
				close(b->op[i].fd);
			return -1;
		}
	}
	return 0;
}

/* CANCEL_CLOSE: close the batch's files (those still open). */
static void close_fds(struct batch *b)
{
	for (int i = 0; i < b->n && b->cancel == CANCEL_CLOSE; i++) {
		if (b->op[i].fd >= 0)
			close(b->op[i].fd);
		b->op[i].fd = -1;
	}
}

static ssize_t sync_io(int fd, enum iface iface, const struct op *op, int rwf)
{
	if (op->cls == OC_FLUSH)
		return op->flush == FL_FDATASYNC ? fdatasync(fd) : fsync(fd);
	switch (iface) {
	case IF_READ_WRITE:
		return op->write ? write(fd, op->buf, op->len) :
				   read(fd, op->buf, op->len);
	case IF_READV_WRITEV:
		return op->write ? writev(fd, op->iov, op->iovcnt) :
				   readv(fd, op->iov, op->iovcnt);
	case IF_PREAD_PWRITE:
		return op->write ? pwrite(fd, op->buf, op->len, op->off) :
				   pread(fd, op->buf, op->len, op->off);
	default:
		return op->write ? pwritev2(fd, op->iov, op->iovcnt, op->off, rwf) :
				   preadv2(fd, op->iov, op->iovcnt, op->off, rwf);
	}
}

/* CANCEL_CLOSE of blocking I/O: another thread closes the files. */
struct closer {
	const struct batch *b;
	int started;		/* operations the worker has begun */
	uint64_t rng;
};

/*
 * Close each operation's file at a random time after the worker begins
 * it: a blocking request that hangs then ends with ECANCELED (README.md,
 * A device that misbehaves), one that does not finishes as usual.
 */
static void *closer_main(void *arg)
{
	struct closer *cl = arg;

	for (int i = 0; i < cl->b->n; i++) {
		while (__atomic_load_n(&cl->started, __ATOMIC_ACQUIRE) <= i)
			usleep(100);
		usleep(rnd(&cl->rng, 5000));
		close(cl->b->op[i].fd);
	}
	return NULL;
}

static void run_sync(struct worker *wk, struct batch *b)
{
	bool pos = ifaces[b->iface].flags & F_POS;
	struct closer cl = { .b = b, .rng = rnd64(&wk->rng) };
	bool closer = b->cancel == CANCEL_CLOSE;
	pthread_t thread;

	if (closer && pthread_create(&thread, NULL, closer_main, &cl)) {
		report_fault(wk->r, "pthread_create: %s", strerror(errno));
		closer = false;
	}
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];
		bool seek = pos && op->cls != OC_FLUSH;
		ssize_t res;
		off_t at;

		__atomic_store_n(&cl.started, i + 1, __ATOMIC_RELEASE);
		if (seek && lseek(op->fd, op->off, SEEK_SET) != op->off) {
			op->res = -errno;
			continue;
		}
		if (op->cls != OC_FLUSH)
			__atomic_store_n(&wk->reg->blocking, 1 + op->write, __ATOMIC_RELEASE);
		res = sync_io(op->fd, b->iface, op, b->rwf);
		__atomic_store_n(&wk->reg->blocking, 0, __ATOMIC_RELEASE);
		op_done(wk, op, res < 0 ? -errno : res);
		if (!seek)
			continue;
		/* read(2) and write(2) advance the position by what they moved. */
		at = lseek(op->fd, 0, SEEK_CUR);
		if (at < 0 && op->closed)
			continue;	/* the closer was there first */
		if (at != op->off + MAX(op->res, 0)) {
			char why[96];

			snprintf(why, sizeof(why), "the file position is %lld after it",
				 (long long)at);
			report_unexpected(wk->r, b->iface, op, 0, why);
		}
	}
	if (closer) {
		pthread_join(thread, NULL);
		for (int i = 0; i < b->n; i++)
			b->op[i].fd = -1;
	}
	close_fds(b);
}

/* CANCEL_CLOSE of a ring or aio context: close the files under the requests. */
static void close_under(struct worker *wk, struct batch *b)
{
	if (b->cancel != CANCEL_CLOSE)
		return;
	usleep(rnd(&wk->rng, 3) * 1000);
	close_fds(b);
}

/* CANCEL_IO: io_cancel(2) some of the requests in flight. */
static void aio_cancel(struct worker *wk, struct batch *b, io_context_t ctx,
		       struct iocb *cbs)
{
	struct io_event ev;

	usleep(rnd(&wk->rng, 2) * 1000);
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];

		if (op->res != RES_PENDING || !rnd(&wk->rng, 4))
			continue;
		/* aio delivers the event through the ring, not io_cancel's result. */
		op->cancel_res = io_cancel(ctx, &cbs[i], &ev);
		op->cancelled = op->cancel_res == -EINPROGRESS;
		wk->reg->st.io_cancels++;
		wk->reg->st.io_cancel_ok += op->cancelled;
	}
}

/*
 * Legacy aio.  @teardown: return with the requests in flight.  0, or -1
 * when aio itself failed (reported).
 */
static int run_aio(struct worker *wk, struct batch *b, bool teardown)
{
	struct io_event ev[MAX_BATCH];
	struct iocb cbs[MAX_BATCH], *cbp;
	io_context_t ctx = 0;
	int ret, inflight = 0;

	ret = io_setup(MAX_BATCH, &ctx);
	if (ret) {
		report_fault(wk->r, "io_setup: %s", strerror(-ret));
		return -1;
	}
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];

		cbp = &cbs[i];
		if (op->cls == OC_FLUSH && op->flush == FL_FDATASYNC)
			io_prep_fdsync(cbp, op->fd);
		else if (op->cls == OC_FLUSH)
			io_prep_fsync(cbp, op->fd);
		else if (op->iovcnt > 1 && op->write)
			io_prep_pwritev(cbp, op->fd, op->iov, op->iovcnt, op->off);
		else if (op->iovcnt > 1)
			io_prep_preadv(cbp, op->fd, op->iov, op->iovcnt, op->off);
		else if (op->write)
			io_prep_pwrite(cbp, op->fd, op->buf, op->len, op->off);
		else
			io_prep_pread(cbp, op->fd, op->buf, op->len, op->off);
		/* aio's fsync takes no flags */
		if (op->cls != OC_FLUSH)
			cbp->aio_rw_flags = b->rwf;
		cbp->data = (void *)(intptr_t)i;
		/* One at a time: an error at submission is that request's. */
		ret = io_submit(ctx, 1, &cbp);
		if (ret == 1)
			inflight++;
		else
			op_done(wk, op, ret);
	}
	if (teardown) {
		if (rnd(&wk->rng, 2))
			io_destroy(ctx);
		return 0;
	}
	if (b->cancel == CANCEL_IO)
		aio_cancel(wk, b, ctx, cbs);
	close_under(wk, b);
	for (ret = 0; inflight > 0 && ret >= 0; ) {
		ret = aiodev_getevents(ctx, 1, MAX_BATCH, ev);
		for (int e = 0; e < ret; e++, inflight--)
			op_done(wk, &b->op[(intptr_t)ev[e].data], (long)ev[e].res);
	}
	if (ret < 0)
		report_fault(wk->r, "io_getevents: %s", strerror(-ret));
	io_destroy(ctx);
	return ret < 0 ? -1 : 0;
}

static void prep_sqe(struct batch *b, struct op *op, struct io_uring_sqe *sqe)
{
	unsigned int f = ifaces[b->iface].flags;
	int fd = op->fd;

	if (op->cls == OC_FLUSH && op->flush == FL_CMD) {
		aiodev_prep_cmd(sqe, fd, AIODEV_URING_CMD_FLUSH, NULL, 0, 0);
		return;
	}
	if (op->cls == OC_FLUSH) {
		memset(sqe, 0, f & F_CMD ? 128 : sizeof(*sqe));
		io_uring_prep_fsync(sqe, fd, op->flush == FL_FDATASYNC ?
				    IORING_FSYNC_DATASYNC : 0);
		return;
	}
	if (f & F_CMD) {
		aiodev_prep_cmd(sqe, fd, op->write ? AIODEV_URING_CMD_WRITE :
				AIODEV_URING_CMD_READ, op->buf, op->len, op->off);
		if (op->cmd_dsync)
			((struct aiodev_uring_cmd *)sqe->cmd)->flags = AIODEV_CMD_F_DSYNC;
		if (f & F_FIXED)
			sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		return;
	}
	if ((f & F_VEC) && op->write)
		io_uring_prep_writev(sqe, fd, op->iov, op->iovcnt, op->off);
	else if (f & F_VEC)
		io_uring_prep_readv(sqe, fd, op->iov, op->iovcnt, op->off);
	else if ((f & F_FIXED) && op->write)
		io_uring_prep_write_fixed(sqe, fd, op->buf, op->len, op->off, 0);
	else if (f & F_FIXED)
		io_uring_prep_read_fixed(sqe, fd, op->buf, op->len, op->off, 0);
	else if (op->write)
		io_uring_prep_write(sqe, fd, op->buf, op->len, op->off);
	else
		io_uring_prep_read(sqe, fd, op->buf, op->len, op->off);
	sqe->rw_flags = b->rwf;
}

/* Submit every SQE of @ring; 0 or -errno. */
static int ring_submit(struct io_uring *ring)
{
	/* An SQE that fails before its issue ends a submission: go on. */
	while (io_uring_sq_ready(ring)) {
		int ret = io_uring_submit(ring);

		if (ret == -EINTR)
			continue;
		if (ret <= 0)
			return ret ? ret : -EIO;
	}
	return 0;
}

/*
 * CANCEL_ASYNC: IORING_OP_ASYNC_CANCEL some of the requests.  The number
 * submitted, or -errno.
 */
static int ring_cancel(struct worker *wk, struct batch *b, struct io_uring *ring)
{
	unsigned int f = ifaces[b->iface].flags;
	int n = 0, ret;

	usleep(rnd(&wk->rng, 3) * 1000);
	for (int i = 0; i < b->n; i++) {
		struct io_uring_sqe *sqe;

		if (rnd(&wk->rng, 2))
			continue;
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			break;
		memset(sqe, 0, f & F_CMD ? 128 : sizeof(*sqe));
		io_uring_prep_cancel64(sqe, i, 0);
		io_uring_sqe_set_data64(sqe, CANCEL_TAG + i);
		n++;
	}
	ret = ring_submit(ring);
	return ret ? ret : n;
}

/*
 * An ASYNC_CANCEL's result: the cancel of @op.  0: io_uring had it waiting
 * (in io-wq's queue, or for poll() after EAGAIN), it ends with ECANCELED.
 * EALREADY: an io-wq worker has it, which may not have issued it yet: it
 * may end with ECANCELED too (io_wq_submit_work() checks for a cancel
 * before it issues).
 */
static void ring_cancelled(struct worker *wk, struct op *op, int res)
{
	struct wstats *st = &wk->reg->st;

	op->cancel_res = res;
	op->cancelled = !res || res == -EALREADY;
	st->async_cancels++;
	st->async_cancel_ok += !res;
	st->async_cancel_enoent += res == -ENOENT;
	st->async_cancel_ealready += res == -EALREADY;
}

/* io_uring, read/write or passthrough.  @teardown, result: as run_aio(). */
static int run_ring(struct worker *wk, struct batch *b, bool teardown)
{
	unsigned int f = ifaces[b->iface].flags;
	unsigned int flags = (f & F_CMD ? IORING_SETUP_SQE128 : 0) |
			     (f & F_IOPOLL ? IORING_SETUP_IOPOLL : 0);
	struct iovec span = { wk->arena, (MAX(wk->used, 1) + wk->page - 1) /
					 wk->page * wk->page };
	const char *what = "io_uring_register_buffers";
	struct io_uring ring;
	int ret, left = b->n;

	ret = io_uring_queue_init(RING_ENTRIES, &ring, flags);
	if (ret) {
		report_fault(wk->r, "io_uring_queue_init: %s", strerror(-ret));
		return -1;
	}
	/* Every good buffer of the batch is in the arena's used part. */
	if (f & F_FIXED) {
		ret = io_uring_register_buffers(&ring, &span, 1);
		if (ret)
			goto out;
	}
	for (int i = 0; i < b->n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		prep_sqe(b, &b->op[i], sqe);
		if (b->async)
			sqe->flags |= IOSQE_ASYNC;
		io_uring_sqe_set_data64(sqe, i);
	}
	what = "io_uring_submit";
	ret = ring_submit(&ring);
	if (ret)
		goto out;
	if (teardown) {
		if (rnd(&wk->rng, 2))
			io_uring_queue_exit(&ring);
		return 0;
	}
	if (b->cancel == CANCEL_ASYNC) {
		ret = ring_cancel(wk, b, &ring);
		if (ret < 0)
			goto out;
		left += ret;
	}
	close_under(wk, b);
	/* One by one: io_uring does not poll while a CQE is pending. */
	what = "io_uring_wait_cqe";
	while (left) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret)
			goto out;
		if (cqe->user_data >= CANCEL_TAG)
			ring_cancelled(wk, &b->op[cqe->user_data - CANCEL_TAG], cqe->res);
		else
			op_done(wk, &b->op[cqe->user_data], cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		left--;
	}
	ret = 0;
out:
	if (ret)
		report_fault(wk->r, "%s: %s", what, strerror(-ret));
	io_uring_queue_exit(&ring);
	return ret ? -1 : 0;
}

static int run_engine(struct worker *wk, struct batch *b, bool teardown)
{
	unsigned int f = ifaces[b->iface].flags;
	int ret = 0;

	if (open_fds(wk, b))
		return -1;
	if (f & F_RING)
		ret = run_ring(wk, b, teardown);
	else if (f & F_ASYNC)
		ret = run_aio(wk, b, teardown);
	else
		run_sync(wk, b);
	close_fds(b);
	return ret;
}

/*
 * The batch in a child that goes away with its requests in flight: it
 * closes the ring or the aio context first, or just exits.  On files of
 * its own, which its requests hold until they are done (see
 * wait_dead_requests()).
 */
static int run_torn(struct worker *wk, struct batch *b)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		report_fault(wk->r, "fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; i < NR_FDS; i++) {
			close(wk->fd[i]);
			wk->fd[i] = aiodev_open(0, fd_kinds[i].flags);
		}
		_exit(run_engine(wk, b, true) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	wk->reg->st.teardowns++;
	for (int i = 0; i < b->n; i++)
		log_result(wk->reg, &b->op[i], RES_TORN);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	report_fault(wk->r, "the child tearing down %s ended with status 0x%x",
		     ifaces[b->iface].name, status);
	return -1;
}

/* ---- checking a batch ---- */

/* What a batch's writes leave for a power cut (see model_dur). */
struct cache_view {
	bool off;	/* no cache all along: writes are durable */
	bool on;	/* a cache all along: a flush counts in stats/flushes */
	bool maybe;	/* a flush may have come between the writes */
};

static void count(struct worker *wk, const struct batch *b, const struct op *op,
		  const struct cache_view *cv)
{
	struct wstats *st = &wk->reg->st;

	st->ops[b->iface]++;
	if (op->res < 0 && -op->res < NR_ERRNO)
		st->errs[-op->res]++;
	st->shorts += op->res > 0 && (size_t)op->res < op->len;
	st->closed_ecanceled += op->closed && op->res == -ECANCELED;
	/* io_uring's, not the device's: the request never reached it */
	st->async_cancel_ecanceled += b->cancel == CANCEL_ASYNC && op->cancelled &&
				      op->res == -ECANCELED;
	if (op->cls == OC_FLUSH && !op->res) {
		st->flushes[b->iface]++;
		st->flush_kinds[op->flush]++;
		st->flushes_counted += cv->on;
	}
}

/* What a cancel of @op said, against its result. */
static void check_cancel(struct worker *wk, const struct batch *b,
			 const struct op *op, unsigned int holds)
{
	int res = op->cancel_res;
	const char *why = NULL;

	if (res > 0)
		return;		/* none */
	if (b->cancel == CANCEL_IO && res != -EINPROGRESS && res != -EAGAIN &&
	    res != -EINVAL)
		why = "io_cancel(2) gave neither EINPROGRESS (cancelled) nor EAGAIN or EINVAL (done)";
	else if (b->cancel == CANCEL_ASYNC && res && res != -ENOENT && res != -EALREADY)
		why = "IORING_OP_ASYNC_CANCEL gave neither 0, ENOENT nor EALREADY";
	else if (op->cancelled && res != -EALREADY && op->res != -ECANCELED)
		why = "its cancel succeeded, yet it did not end with ECANCELED";
	if (why)
		report_unexpected(wk->r, b->iface, op, holds, why);
}

/* A read moved what it says and no more: the rest of its buffer is as it was. */
static void check_tail(struct worker *wk, enum iface iface, const struct op *op)
{
	size_t end = op->cls == OC_SHORT_BUF ? op->boundary : op->len;
	char why[96];

	if (op->write || op->res < 0 || op->cls == OC_BAD_BUF)
		return;
	for (size_t i = op->res; i < end; i++) {
		if (op->buf[i] == POISON)
			continue;
		snprintf(why, sizeof(why), "the read changed its buffer at byte %zu, past its result", i);
		report_unexpected(wk->r, iface, op, 0, why);
		return;
	}
}

/* What a completed operation did to the region, and what its read saw. */
static void apply(struct worker *wk, const struct batch *b, const struct op *op,
		  const struct cache_view *cv)
{
	size_t n;

	check_tail(wk, b->iface, op);
	if (op->res <= 0 || !(IN_REGION & BIT(op->cls)) || op->cls == OC_BAD_BUF)
		return;
	n = MIN((size_t)op->res, region_len(op));
	if (op->cls == OC_SHORT_BUF)
		n = MIN(n, op->boundary);
	if (op->write) {
		model_write(op->off, op->buf, n);
		wk->reg->st.bytes_written += n;
		if (op->dsync || cv->off) {
			memcpy(model_dur + op->off, op->buf, n);
			wk->reg->st.dsync_bytes += op->dsync ? n : 0;
		} else {
			blk_mark(op->off, n, BLK_DIRTY | (cv->maybe ? BLK_MAYBE : 0));
		}
	} else {
		model_check(wk->r, b, op, op->off, op->buf, n);
		wk->reg->st.bytes_verified += n;
	}
}

static void finish_batch(struct worker *wk, struct batch *b,
			 const struct inj_snap *before, const struct inj_snap *after,
			 const struct cache_view *cv)
{
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];
		unsigned int holds = conditions(op, inject_possible(before, after, op),
						hang_possible(before, after, op));

		log_result(wk->reg, op, op->res);
		count(wk, b, op, cv);
		if (!result_allowed(b->iface, op, holds))
			report_unexpected(wk->r, b->iface, op, holds, NULL);
		check_cancel(wk, b, op, holds);
		/* Whatever its result, the device may have put it in its cache. */
		if (op->write && !op->dsync && !cv->off && (REACHES_DEVICE & BIT(op->cls)))
			blk_mark(op->off, region_len(op), BLK_TOUCHED);
		apply(wk, b, op, cv);
	}
}

/* Reads only, which the cache does not change: a batch of pread. */
static void run_checked(struct worker *wk, struct batch *b)
{
	static const struct cache_view reads = { 0 };
	struct inj_snap before[2], after[2];

	for (int i = 0; i < b->n; i++)
		log_op(wk->reg, b->iface, b->cancel, &b->op[i]);
	__atomic_store_n(&wk->reg->jn.ops, b->n, __ATOMIC_RELEASE);
	inject_snap(before);
	if (!open_fds(wk, b))
		run_sync(wk, b);
	inject_snap(after);
	__atomic_store_n(&wk->reg->jn.ops, 0, __ATOMIC_RELEASE);
	finish_batch(wk, b, before, after, &reads);
}

/* Reads of [@off, @off + @len) through pread, added to @v. */
static bool add_reads(struct worker *wk, struct batch *v, int64_t off, size_t len)
{
	while (len && v->n < MAX_BATCH) {
		size_t n = MIN(len, MAX_OP_LEN);
		struct op *op = &v->op[v->n];

		op_init(op);
		op->buf = arena_alloc(wk, n, 1);
		if (!op->buf)
			break;
		memset(op->buf, POISON, n);
		op->off = off;
		op->len = n;
		op->iovcnt = 1;
		op->iov[0] = (struct iovec){ op->buf, n };
		v->n++;
		off += n;
		len -= n;
	}
	return !len;
}

/*
 * Read [@off, @off + @len) back and check it (settling what was either),
 * while read injection fails it or reads hang and the run goes on.
 */
static void settle(struct worker *wk, int64_t off, size_t len)
{
	for (;;) {
		struct batch v = { .iface = IF_PREAD_PWRITE };
		bool failed = false;

		wk->used = 0;
		add_reads(wk, &v, off, len);
		run_checked(wk, &v);
		for (int i = 0; i < v.n; i++)
			failed |= v.op[i].res == -EIO || v.op[i].res == -ETIMEDOUT;
		if (!failed || stopping())
			return;
		usleep(10000);
	}
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/aiodev/refcnt", "r");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* aiodev files live processes have open: the controller's, the workers'. */
static long live_files(void)
{
	long n = 1;

	for (int r = 0; r < sh->nr_workers; r++)
		n += __atomic_load_n(&sh->reg[r].files, __ATOMIC_ACQUIRE);
	return n;
}

/*
 * Wait until no request of a process that went away can still land.  Its
 * being reaped is not enough: an io_uring request it left outlives it
 * (a polled command's data moves only when the ring's exit work polls it).
 * But every request holds its file until it is done, and every open file
 * holds a reference to the module: once that count is down to the files
 * live processes hold, every dead process's requests are done.  False if
 * the run stops first.
 */
static bool wait_dead_requests(void)
{
	while (!stopping()) {
		long n = module_refcnt();

		if (n >= 0 && n <= live_files())
			return true;
		usleep(5000);
	}
	return false;
}

/* A flush of the worker's own, counted as any other. */
static void flush_now(struct worker *wk)
{
	int ret;

	flush_begin(wk->r, 1);
	ret = fsync(wk->fd[FD_RW]);
	if (ret)
		report_fault(wk->r, "fsync: %s", strerror(errno));
	flush_settle(wk->r, !ret);
	wk->reg->st.recovery_flushes++;
}

/*
 * The region's journal holds the writes that were in flight when their
 * process went away: each of their bytes holds the old data or the new
 * until a read settles it.  Whether they are durable, and whether the
 * flushes it had in flight were done, no one knows: a flush of our own,
 * after every request of theirs, settles both.
 */
static void recover(struct worker *wk)
{
	struct region *reg = wk->reg;
	struct journal *jn = &reg->jn;
	struct flush_ctr *fl = &sh->fl[wk->r];
	bool flushing = __atomic_load_n(&fl->settled, __ATOMIC_SEQ_CST) !=
			__atomic_load_n(&fl->begun, __ATOMIC_SEQ_CST);

	reg->st.unseen += jn->ops;
	__atomic_store_n(&jn->ops, 0, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < jn->n; i++) {
		model_unknown(jn->w[i].off, jn->w[i].len, jn->w[i].stamp);
		blk_mark(jn->w[i].off, jn->w[i].len, BLK_DIRTY | BLK_TOUCHED);
	}
	/* If the run stops first, the final read settles them. */
	if ((!jn->n && !flushing) || !wait_dead_requests())
		return;
	for (uint32_t i = 0; i < jn->n; i++) {
		settle(wk, jn->w[i].off, jn->w[i].len);
		reg->st.recovered += jn->w[i].len;
	}
	flush_now(wk);
	__atomic_store_n(&fl->settled, __atomic_load_n(&fl->begun, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	model_flushed(wk->r);
	reg->flushed = flushes_done();
	__atomic_store_n(&jn->n, 0, __ATOMIC_RELEASE);
}

/*
 * Before any request is submitted: the writes that may land, the device
 * requests, and the flushes (begun).
 */
static void journal_writes(struct worker *wk, const struct batch *b)
{
	struct journal *jn = &wk->reg->jn;
	uint32_t n = 0, ops = 0, flushes = 0;

	for (int i = 0; i < b->n; i++) {
		const struct op *op = &b->op[i];

		ops += !!(REACHES_DEVICE & BIT(op->cls));
		flushes += op->cls == OC_FLUSH;
		if (!op->write || !(IN_REGION & BIT(op->cls)) ||
		    op->cls == OC_BAD_BUF || op->cls == OC_WRONG_MODE)
			continue;
		jn->w[n].off = op->off;
		jn->w[n].len = op->cls == OC_SHORT_BUF ? op->boundary : region_len(op);
		jn->w[n].stamp = op->stamp;
		n++;
	}
	__atomic_store_n(&jn->ops, ops, __ATOMIC_RELEASE);
	__atomic_store_n(&jn->n, n, __ATOMIC_RELEASE);
	flush_begin(wk->r, flushes);
}

/*
 * A write that failed, or moved less than it was given, changed nothing
 * past what it moved: read that back.
 */
static void verify_failed_writes(struct worker *wk, const struct batch *b)
{
	struct batch v = { .iface = IF_PREAD_PWRITE };

	wk->used = 0;
	for (int i = 0; i < b->n; i++) {
		const struct op *op = &b->op[i];
		size_t moved = MAX(op->res, 0);

		if (!op->write || !(IN_REGION & BIT(op->cls)) ||
		    moved >= region_len(op))
			continue;
		if (!add_reads(wk, &v, op->off + moved, region_len(op) - moved))
			break;
	}
	if (v.n)
		run_checked(wk, &v);
}

/*
 * After a batch: whether there was a cache, and whether a flush may have
 * come between its writes (model_dur); one that surely came after all the
 * earlier ones makes them durable.
 */
static void batch_cache_view(struct worker *wk, uint64_t flushed,
			     const struct cache_snap *before,
			     const struct cache_snap *after, struct cache_view *cv)
{
	uint64_t done;

	flush_wait();
	done = flushes_done();
	cv->off = cache_off(before, after);
	cv->on = before->gen == after->gen && !(before->gen & 1) && before->size;
	cv->maybe = done > flushed || before->small;
	if (done > flushed) {
		model_flushed(wk->r);
		wk->reg->flushed = done;
	}
}

static void worker_batch(struct worker *wk)
{
	struct inj_snap before[2], after[2];
	struct cache_snap cbefore, cafter;
	struct region *reg = wk->reg;
	uint64_t flushed = reg->flushed;
	struct cache_view cv;
	struct batch b;
	bool torn;
	int ret;

	b.iface = next_iface(wk);
	plan_batch(wk, &b);
	reg->st.batches[b.iface]++;
	torn = (ifaces[b.iface].flags & F_ASYNC) &&
	       (__atomic_exchange_n(&reg->teardown_req, 0, __ATOMIC_ACQ_REL) ||
		!rnd(&wk->rng, 40));
	if (torn)
		b.cancel = CANCEL_NONE;
	reg->st.cancel_batches[b.cancel]++;
	for (int i = 0; i < b.n; i++)
		log_op(reg, b.iface, b.cancel, &b.op[i]);
	journal_writes(wk, &b);
	cache_snap(&cbefore);
	inject_snap(before);
	ret = torn ? run_torn(wk, &b) : run_engine(wk, &b, false);
	inject_snap(after);
	cache_snap(&cafter);
	/* Requests may be in flight after a failure too. */
	if (torn || ret) {
		recover(wk);
		return;
	}
	batch_cache_view(wk, flushed, &cbefore, &cafter, &cv);
	finish_batch(wk, &b, before, after, &cv);
	/* The model has every result: nothing is in flight any more. */
	__atomic_store_n(&reg->jn.ops, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&reg->jn.n, 0, __ATOMIC_RELEASE);
	verify_failed_writes(wk, &b);
}

/*
 * Between two batches: the flushes done since the last one's came after
 * all of its writes; while the controller pauses the workers, wait.
 */
static void boundary(struct worker *wk)
{
	uint32_t pause;

	model_boundary(wk->r);
	while ((pause = __atomic_load_n(&sh->pause, __ATOMIC_ACQUIRE)) && !stopping()) {
		__atomic_store_n(&wk->reg->pause_ack, pause, __ATOMIC_RELEASE);
		usleep(1000);
	}
	model_boundary(wk->r);
}

static void worker_init(struct worker *wk)
{
	wk->page = sysconf(_SC_PAGESIZE);
	wk->rng = sh->seed ^ (uint64_t)(wk->r + 1) << 40 ^
		  (uint64_t)wk->reg->incarnation << 20;
	for (int i = 0; i < NR_FDS; i++) {
		/* Counted first: the module's count never exceeds live_files(). */
		__atomic_add_fetch(&wk->reg->files, 1, __ATOMIC_RELEASE);
		wk->fd[i] = aiodev_open(0, fd_kinds[i].flags);
		if (wk->fd[i] < 0) {
			printf("# worker %d: open /dev/aiodev0%s: %s\n", wk->r,
			       fd_kinds[i].name, strerror(errno));
			_exit(2);
		}
	}
	wk->arena = mmap(NULL, ARENA_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	wk->short_map = aiodev_map_bad_second_page(wk->page);
	wk->ro = mmap(NULL, wk->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (wk->arena == MAP_FAILED || wk->short_map == MAP_FAILED ||
	    wk->ro == MAP_FAILED) {
		printf("# worker %d: mmap: %s\n", wk->r, strerror(errno));
		_exit(2);
	}
}

static __attribute__((noreturn)) void worker_main(int r)
{
	struct worker wk = { .r = r, .reg = &sh->reg[r] };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	worker_init(&wk);
	/* What its predecessor had in flight when it was killed. */
	recover(&wk);
	while (!stopping()) {
		boundary(&wk);
		if (!stopping())
			worker_batch(&wk);
	}
	_exit(0);
}

/* ---- the controller ---- */

/* The device's counters of issue 11's behaviours; -1 where unreadable. */
struct dev_stats {
	long long hung, timed_out, cancelled, spikes, flushes, lost_bytes;
};

static void read_dev_stats(struct dev_stats *d)
{
	d->hung = aiodev_get(0, "stats/hung");
	d->timed_out = aiodev_get(0, "stats/timed_out");
	d->cancelled = aiodev_get(0, "stats/cancelled");
	d->spikes = aiodev_get(0, "stats/spikes");
	d->flushes = aiodev_get(0, "stats/flushes");
	d->lost_bytes = aiodev_get(0, "stats/lost_bytes");
}

struct ctl {
	uint64_t rng;
	int fd;			/* open all along: unloading must be refused */
	unsigned int done[32];	/* per action */
	unsigned int refused;	/* configuration writes the device refused */
	unsigned int kills, kills_in_flight, deaths;
	unsigned int kills_blocking, kills_blocking_hang;
	unsigned int rmmod_tries, rmmod_refused;
	int inj_kind[2];	/* what is injected now, per direction */
	int hang_kind[2];	/* the hangs likewise */
	uint32_t pause_gen;	/* of the last pause (sh->pause) */
	unsigned int pauses, cuts, cache_changes, small_caches;
	uint64_t cut_checked;	/* bytes read back after power cuts */
	unsigned int cut_mismatches, cut_faults;
	/*
	 * The device's statistics against the workers' counts, from a pause
	 * (stats_mark()) on, unless they were reset under load since.
	 */
	bool stats_exact;
	uint64_t mark_ns;		/* the pause, or the reset under load */
	uint64_t load_resets_end_ns;	/* none after: the last third compares */
	struct wstats base;		/* the workers' counts then */
	struct dev_stats dev_base;	/* the device's */
	uint64_t lost;		/* bytes stats/cache_dirty had at the cuts since */
	uint64_t lost_all;	/* and at every cut of the run */
};

static __attribute__((format(printf, 1, 2))) void ctl_log(const char *fmt, ...)
{
	uint64_t seq = sh->ctl_seq;
	va_list ap;

	sh->ctl_log[seq % LOG_CTL].ms = (aiodev_now_ns() - sh->t0_ns) / 1000000;
	va_start(ap, fmt);
	vsnprintf(sh->ctl_log[seq % LOG_CTL].what, sizeof(sh->ctl_log[0].what), fmt, ap);
	va_end(ap);
	__atomic_store_n(&sh->ctl_seq, seq + 1, __ATOMIC_RELEASE);
}

/* Write a sysfs attribute of aiodev0; the device must take it. */
static __attribute__((format(printf, 3, 4)))
int ctl_set(struct ctl *c, const char *attr, const char *fmt, ...)
{
	char val[64];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	ret = aiodev_set(0, attr, "%s", val);
	ctl_log("%s %s%s%s", attr, val, ret ? ": " : "", ret ? strerror(-ret) : "");
	if (ret) {
		c->refused++;
		if (failure())
			printf("# the device refused %s = %s: %s\n", attr, val, strerror(-ret));
	}
	return ret;
}

#define PICK(c, a)	((a)[rnd(&(c)->rng, ARRAY_LEN(a))])

static int act_completion(struct ctl *c)
{
	static const char *const modes[] = { "inline", "workqueue", "timer" };

	return ctl_set(c, "completion", "%s", PICK(c, modes));
}

static int act_latency(struct ctl *c)
{
	static const unsigned int ns[] = { 0, 0, 1000, 10000, 50000, 200000,
					   1000000, 3000000 };

	return ctl_set(c, "latency_ns", "%u", PICK(c, ns));
}

static int act_jitter(struct ctl *c)
{
	static const char *const jitters[] = { "none", "uniform", "exponential" };

	return ctl_set(c, "jitter", "%s", PICK(c, jitters));
}

static int act_bandwidth(struct ctl *c)
{
	static const unsigned int mbps[] = { 0, 0, 0, 20, 100, 1000 };

	return ctl_set(c, "bandwidth_mbps", "%u", PICK(c, mbps));
}

static int act_queue_depth(struct ctl *c)
{
	static const unsigned int depths[] = { 1, 2, 4, 8, 16, 32, 64, 256 };

	return ctl_set(c, "queue_depth", "%u", PICK(c, depths));
}

static int act_write_latency(struct ctl *c)
{
	static const char *const ns[] = { "same", "same", "0", "20000", "200000",
					  "2000000" };

	return ctl_set(c, "write_latency_ns", "%s", PICK(c, ns));
}

enum { INJ_OFF, INJ_EVERY, INJ_PERCENT, INJ_RANGE, INJ_TRANSIENT };

static const char *const inject_attrs[2][5] = {
	{ NULL, "inject/read_every", "inject/read_percent", "inject/read_bad_range",
	  "inject/read_bad_range" },
	{ NULL, "inject/write_every", "inject/write_percent", "inject/write_bad_range",
	  "inject/write_bad_range" },
};

static const char *const fails_attrs[2] = {
	"inject/read_bad_range_fails", "inject/write_bad_range_fails",
};

/*
 * @kind INJ_EVERY: attribute @attrs[INJ_EVERY] to every Nth request, N from
 * @every on (@span values); INJ_PERCENT: @attrs[INJ_PERCENT] to 1 to
 * @percent %.
 */
static int set_rate(struct ctl *c, const char *const *attrs, int kind,
		    unsigned int every, unsigned int span, unsigned int percent)
{
	if (kind == INJ_EVERY)
		return ctl_set(c, attrs[kind], "%u", every + (unsigned int)rnd(&c->rng, span));
	if (kind == INJ_PERCENT)
		return ctl_set(c, attrs[kind], "%u", 1 + (unsigned int)rnd(&c->rng, percent));
	return 0;
}

/*
 * Set injection of direction @dir to @kind (INJ_*), off first.  A
 * transient range (its first accesses fail) is a range to the model: a
 * request touching it may fail.
 */
static int inject_set(struct ctl *c, int dir, int kind)
{
	struct inject_state *in = &sh->inj[dir];
	int old = c->inj_kind[dir], ret = 0;
	int64_t start = 0, end = 0;

	__atomic_add_fetch(&in->gen, 1, __ATOMIC_SEQ_CST);	/* odd: changing */
	if (old != INJ_OFF)
		ret |= ctl_set(c, inject_attrs[dir][old], "%s",
			       old >= INJ_RANGE ? "none" : "0");
	if (old == INJ_TRANSIENT)
		ret |= ctl_set(c, fails_attrs[dir], "0");
	ret |= set_rate(c, inject_attrs[dir], kind, 2, 63, 30);
	if (kind >= INJ_RANGE) {
		const struct region *reg = &sh->reg[rnd(&c->rng, sh->nr_workers)];

		start = reg->start + rnd(&c->rng, reg->end - reg->start);
		end = MIN(start + 1 + (int64_t)rnd(&c->rng, 256 * 1024), sh->size);
		ret |= ctl_set(c, inject_attrs[dir][kind], "%lld-%lld",
			       (long long)start, (long long)end);
	}
	if (kind == INJ_TRANSIENT)
		ret |= ctl_set(c, fails_attrs[dir], "%u", 1 + (unsigned int)rnd(&c->rng, 4));
	c->inj_kind[dir] = kind;
	__atomic_store_n(&in->any, kind == INJ_EVERY || kind == INJ_PERCENT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&in->bad_start, start, __ATOMIC_RELAXED);
	__atomic_store_n(&in->bad_end, end, __ATOMIC_RELAXED);
	__atomic_add_fetch(&in->gen, 1, __ATOMIC_SEQ_CST);	/* even: settled */
	return ret;
}

static int act_inject(struct ctl *c)
{
	/* Off half of the time: most I/O runs without. */
	static const int kinds[] = { INJ_OFF, INJ_OFF, INJ_OFF, INJ_OFF, INJ_EVERY,
				     INJ_PERCENT, INJ_RANGE, INJ_TRANSIENT };

	return inject_set(c, rnd(&c->rng, 2), PICK(c, kinds));
}

/* Hung requests: INJ_OFF, INJ_EVERY or INJ_PERCENT. */
static const char *const hang_attrs[2][3] = {
	{ NULL, "inject/read_hang_every", "inject/read_hang_percent" },
	{ NULL, "inject/write_hang_every", "inject/write_hang_percent" },
};

/*
 * Hung requests in direction @dir: @kind, off first.  timeout_ms is never
 * 0: every hung request ends, cancelled or not.
 */
static int hang_set(struct ctl *c, int dir, int kind)
{
	struct inject_state *in = &sh->inj[dir];
	int old = c->hang_kind[dir], ret = 0;

	__atomic_add_fetch(&in->gen, 1, __ATOMIC_SEQ_CST);
	if (old != INJ_OFF)
		ret |= ctl_set(c, hang_attrs[dir][old], "0");
	ret |= set_rate(c, hang_attrs[dir], kind, 8, 56, 5);
	c->hang_kind[dir] = kind;
	__atomic_store_n(&in->hang, kind != INJ_OFF, __ATOMIC_RELAXED);
	__atomic_add_fetch(&in->gen, 1, __ATOMIC_SEQ_CST);
	return ret;
}

static int act_hang(struct ctl *c)
{
	static const int kinds[] = { INJ_OFF, INJ_OFF, INJ_EVERY, INJ_PERCENT };

	return hang_set(c, rnd(&c->rng, 2), PICK(c, kinds));
}

/* Never 0 (main() sets it first): a hung request would wait for its cancel. */
static int act_timeout(struct ctl *c)
{
	static const unsigned int ms[] = { 10, 30, 100, 100, 300, 1000 };

	return ctl_set(c, "timeout_ms", "%u", PICK(c, ms));
}

/* Spikes and stalls change when requests complete, never what they do. */
static int act_spike(struct ctl *c)
{
	static const unsigned int ns[] = { 100000, 1000000, 5000000 };
	unsigned int kind = rnd(&c->rng, 3);
	int ret;

	ret = ctl_set(c, "inject/spike_every", "0");
	ret |= ctl_set(c, "inject/spike_percent", "0");
	if (!kind)
		return ret;
	ret |= ctl_set(c, "inject/spike_ns", "%u", PICK(c, ns));
	if (kind == 1)
		return ret | ctl_set(c, "inject/spike_every", "%u",
				     2 + (unsigned int)rnd(&c->rng, 20));
	return ret | ctl_set(c, "inject/spike_percent", "%u",
			     1 + (unsigned int)rnd(&c->rng, 25));
}

static int act_stall(struct ctl *c)
{
	static const unsigned long long period_ns[] = { 0, 0, 2000000, 10000000,
							50000000 };
	unsigned long long period = PICK(c, period_ns);
	int ret;

	/* The period off first: a stall must stay shorter than it. */
	ret = ctl_set(c, "inject/stall_period_ns", "0");
	if (!period)
		return ret | ctl_set(c, "inject/stall_ns", "0");
	ret |= ctl_set(c, "inject/stall_ns", "%llu", period / 10 * (1 + rnd(&c->rng, 5)));
	return ret | ctl_set(c, "inject/stall_period_ns", "%llu", period);
}

static int act_teardown(struct ctl *c)
{
	int r = rnd(&c->rng, sh->nr_workers);

	ctl_log("worker %d: tear down a ring or aio context", r);
	__atomic_store_n(&sh->reg[r].teardown_req, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Unloading must be refused while the device is open (it is, by c->fd). */
static int act_rmmod(struct ctl *c)
{
	int flags = rnd(&c->rng, 2) ? O_NONBLOCK : 0;

	c->rmmod_tries++;
	ctl_log("delete_module(aiodev, %s)", flags ? "O_NONBLOCK" : "0");
	if (!syscall(SYS_delete_module, "aiodev", flags)) {
		failure();
		printf("# delete_module(aiodev) succeeded with the device open\n");
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
		return -1;
	}
	if (errno == EWOULDBLOCK || errno == EBUSY) {
		c->rmmod_refused++;
		return 0;
	}
	if (failure())
		printf("# delete_module(aiodev): %s, not EWOULDBLOCK or EBUSY\n",
		       strerror(errno));
	return -1;
}

static uint64_t after_s(unsigned int s)
{
	return aiodev_now_ns() + s * 1000000000ull;
}

/*
 * Wait until @deadline for @pid, or every process of group -@pid, to end;
 * false if one is still there.
 */
static bool reap(pid_t pid, int *status, uint64_t deadline)
{
	while (aiodev_now_ns() < deadline) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if ((got > 0 && pid > 0) || (got < 0 && errno == ECHILD))
			return true;
		if (!got)
			usleep(10000);
	}
	return false;
}

/*
 * Reap worker @r and its teardown child, if any (reparented to us, a
 * subreaper): its files are not live any more.  A process that does not
 * go away stops the run.
 */
static bool reap_group(int r)
{
	uint64_t deadline = after_s(KILL_WAIT_S);
	pid_t pid = sh->reg[r].pid;
	int status;

	if (reap(pid, &status, deadline) && reap(-pid, &status, deadline)) {
		__atomic_store_n(&sh->reg[r].files, 0, __ATOMIC_RELEASE);
		return true;
	}
	failure();
	printf("# worker %d (pid %d), or its child, still there %d s after it was killed\n",
	       r, pid, KILL_WAIT_S);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return false;
}

static int start_worker(struct ctl *c, int r)
{
	pid_t pid;

	sh->reg[r].incarnation++;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		if (failure())
			printf("# fork: %s\n", strerror(errno));
		return -1;
	}
	if (!pid) {
		setpgid(0, 0);
		worker_main(r);
	}
	setpgid(pid, pid);
	sh->reg[r].pid = pid;
	return 0;
}

/*
 * Wait up to @ms for worker @r to have writes in flight, or with
 * @blocking, to be in a blocking read or write: one that hangs ends only
 * by SIGKILL, a close or timeout_ms (README.md, A device that misbehaves).
 */
static void kill_moment(int r, bool blocking, unsigned int ms)
{
	struct region *reg = &sh->reg[r];

	for (unsigned int i = 0; i < ms; i++) {
		if (blocking ? __atomic_load_n(&reg->blocking, __ATOMIC_ACQUIRE) :
		    __atomic_load_n(&reg->jn.n, __ATOMIC_ACQUIRE))
			return;
		usleep(1000);
	}
}

/*
 * SIGKILL a worker, at best while it has writes in flight or is in a
 * blocking request, and start another in its place: the journal says
 * what they were.
 */
static int act_kill(struct ctl *c)
{
	int r = rnd(&c->rng, sh->nr_workers);
	struct region *reg = &sh->reg[r];
	bool in_flight;
	int blocking;

	kill_moment(r, rnd(&c->rng, 2), 200);
	in_flight = __atomic_load_n(&reg->jn.n, __ATOMIC_ACQUIRE);
	blocking = __atomic_load_n(&reg->blocking, __ATOMIC_ACQUIRE);
	ctl_log("worker %d: SIGKILL (%s%s)", r,
		in_flight ? "writes journaled" : "no write journaled",
		blocking ? ", in a blocking request" : "");
	kill(-reg->pid, SIGKILL);
	c->kills++;
	c->kills_in_flight += in_flight;
	c->kills_blocking += !!blocking;
	c->kills_blocking_hang += blocking && c->hang_kind[blocking - 1] != INJ_OFF;
	return reap_group(r) ? start_worker(c, r) : -1;
}

/*
 * A worker that exits on its own while the run goes on has crashed (or
 * found its device gone).  Once the run stops, stop_workers() reaps them.
 */
static void check_workers(struct ctl *c)
{
	for (int r = 0; r < sh->nr_workers && !stopping(); r++) {
		int status;

		if (waitpid(sh->reg[r].pid, &status, WNOHANG) != sh->reg[r].pid)
			continue;
		c->deaths++;
		failure();
		printf("# worker %d died: %s %d\n", r,
		       WIFSIGNALED(status) ? "signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		kill(-sh->reg[r].pid, SIGKILL);
		if (reap_group(r) && !stopping())
			start_worker(c, r);
	}
}

static void sum_stats(struct wstats *t);

/*
 * With the workers paused and the device idle: the device's counters and
 * the workers' counts from now on are to agree (stats_agree()): at the
 * start, and at the first pause after a reset under load.
 */
static void stats_mark(struct ctl *c)
{
	c->stats_exact = true;
	c->mark_ns = aiodev_now_ns();
	sum_stats(&c->base);
	read_dev_stats(&c->dev_base);
	c->lost = 0;
}

/*
 * Have the workers wait at their next batch, and wait until they all do
 * and the device is idle, dead processes' requests done too.  Reads must
 * end for that (a worker that settles bytes retries until it reads them):
 * read injection and read hangs go off first.  Then every region's model
 * takes in the flushes done so far (model_boundary()), and the
 * statistics are marked if a reset under load made them unfit to compare.
 * False if the run stops first.
 */
static bool pause_workers(struct ctl *c, const char *why)
{
	uint64_t deadline = after_s(STOP_WAIT_S);
	uint32_t gen = ++c->pause_gen;
	int r = 0;

	if (c->inj_kind[0] != INJ_OFF)
		inject_set(c, 0, INJ_OFF);
	if (c->hang_kind[0] != INJ_OFF)
		hang_set(c, 0, INJ_OFF);
	ctl_log("pause the workers: %s", why);
	c->pauses++;
	__atomic_store_n(&sh->pause, gen, __ATOMIC_SEQ_CST);
	while (r < sh->nr_workers || module_refcnt() > live_files() ||
	       aiodev_get(0, "stats/in_flight")) {
		if (r < sh->nr_workers &&
		    __atomic_load_n(&sh->reg[r].pause_ack, __ATOMIC_ACQUIRE) == gen) {
			r++;
			continue;
		}
		check_workers(c);
		if (stopping())
			return false;
		if (aiodev_now_ns() > deadline) {
			failure();
			printf("# the workers did not pause in %d s (worker %d)\n",
			       STOP_WAIT_S, r);
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
			return false;
		}
		usleep(1000);
	}
	for (r = 0; r < sh->nr_workers; r++)
		model_boundary(r);
	if (!c->stats_exact)
		stats_mark(c);
	return true;
}

static void resume_workers(void)
{
	ctl_log("resume the workers");
	__atomic_store_n(&sh->pause, 0, __ATOMIC_SEQ_CST);
}

/* Set cache_size to @size, another than it is: a flush, the controller's. */
static int cache_set(struct ctl *c, uint64_t size)
{
	struct cache_state *cs = &sh->cache;
	int ret;

	flush_begin(CTL_FLUSHER, 1);
	__atomic_add_fetch(&cs->gen, 1, __ATOMIC_SEQ_CST);
	ret = ctl_set(c, "cache_size", "%llu", (unsigned long long)size);
	if (!ret) {
		__atomic_store_n(&cs->size, size, __ATOMIC_RELAXED);
		__atomic_store_n(&cs->small, size && size < (uint64_t)sh->size,
				 __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&cs->gen, 1, __ATOMIC_SEQ_CST);
	flush_settle(CTL_FLUSHER, !ret);
	c->cache_changes++;
	return ret;
}

/*
 * No cache, one that cannot fill (the device's size or more), or a small
 * one that flushes itself when full.  Between the last two kinds, with
 * the workers paused: their writes are planned for one or the other.
 */
static int act_cache_size(struct ctl *c)
{
	const uint64_t sizes[] = { 0, sh->size, sh->size, 2 * sh->size, 1ull << 40,
				   BLOCK, 16 * BLOCK, 256 * BLOCK, 4 * MIB };
	uint64_t size;
	bool small;
	int ret;

	do
		size = PICK(c, sizes);
	while (size == sh->cache.size);
	small = size && size < (uint64_t)sh->size;
	if (small == sh->cache.small)
		return cache_set(c, size);
	if (!pause_workers(c, small ? "a cache that fills" : "a cache that does not fill"))
		return -1;
	ret = cache_set(c, size);
	c->small_caches += small;
	resume_workers();
	return ret;
}

/* A byte a power cut left as the model does not say. */
static void report_cut_mismatch(int r, int64_t at, uint8_t got, size_t bad)
{
	struct msg m = { 0 };

	if (!failure())
		return;
	msg_add(&m, "# MISMATCH after a power cut (seed %llu): region %d [%lld, %lld), offset %lld: expected 0x%02x",
		(unsigned long long)sh->seed, r, (long long)sh->reg[r].start,
		(long long)sh->reg[r].end, (long long)at, model_dur[at]);
	if ((model_blk[at / BLOCK] & BLK_MAYBE) && model_val[at] != model_dur[at])
		msg_add(&m, " or 0x%02x", model_val[at]);
	msg_add(&m, " (read before the cut: 0x%02x), got 0x%02x (%zu bytes differ in the range)\n",
		model_val[at], got, bad);
	recent_ops(&m, r, at, true);
	recent_actions(&m);
	msg_out(&m);
}

/*
 * After a power cut: read back each block of region @r that the cut may
 * have changed, check it, and take it as durable data.
 */
static void check_cut(struct ctl *c, int r, uint8_t *buf)
{
	const struct region *reg = &sh->reg[r];
	int64_t b = reg->start / BLOCK, end = reg->end / BLOCK;

	for (;;) {
		int64_t n = 0, off;
		size_t bad = 0, first = 0;

		while (b < end && !model_blk[b])
			b++;
		while (b + n < end && model_blk[b + n] && n < MIB / BLOCK)
			n++;
		if (!n)
			break;
		off = b * BLOCK;
		if (pread(c->fd, buf, n * BLOCK, off) != n * BLOCK) {
			c->cut_faults++;
			if (failure())
				printf("# reading %lld+%lld back after a power cut: %s\n",
				       (long long)off, (long long)n * BLOCK,
				       strerror(errno));
			memcpy(buf, model_dur + off, n * BLOCK);
		}
		for (int64_t i = 0; i < n * BLOCK; i++) {
			if (buf[i] == model_dur[off + i] ||
			    ((model_blk[(off + i) / BLOCK] & BLK_MAYBE) &&
			     buf[i] == model_val[off + i]))
				continue;
			if (!bad++)
				first = i;
		}
		if (bad) {
			c->cut_mismatches++;
			report_cut_mismatch(r, off + first, buf[first], bad);
		}
		memcpy(model_val + off, buf, n * BLOCK);
		memcpy(model_dur + off, buf, n * BLOCK);
		memset(model_blk + b, 0, n);
		c->cut_checked += n * BLOCK;
		b += n;
	}
}

/*
 * Cut the power, with the workers paused and nothing in flight: the
 * device must then read as the model's dur[] (or val[], BLK_MAYBE), and
 * lose, by its statistics, what its cache held: stats/cache_dirty, which
 * the blocks written since their flush bound (BLK_DIRTY ones must be in
 * the cache, BLK_TOUCHED ones may).
 */
static int act_power_cut(struct ctl *c)
{
	long long dirty, lost, left;
	uint64_t lo = 0, hi = 0;
	uint8_t *buf;
	int ret;

	if (!pause_workers(c, "power cut"))
		return -1;
	for (int64_t b = 0; b < sh->size / BLOCK; b++) {
		lo += (model_blk[b] & (BLK_DIRTY | BLK_MAYBE)) == BLK_DIRTY;
		hi += !!model_blk[b];
	}
	if (sh->cache.small)
		hi = MIN(hi, MAX(sh->cache.size / BLOCK, 1));
	dirty = aiodev_get(0, "stats/cache_dirty");
	lost = aiodev_get(0, "stats/lost_bytes");
	ret = ctl_set(c, "power_cut", "1");
	left = aiodev_get(0, "stats/cache_dirty");
	lost = aiodev_get(0, "stats/lost_bytes") - lost;
	c->cuts++;
	c->lost += dirty;
	c->lost_all += dirty;
	if (dirty < (long long)(lo * BLOCK) || dirty > (long long)(hi * BLOCK) ||
	    lost != dirty || left) {
		c->cut_faults++;
		if (failure())
			printf("# power cut: stats/cache_dirty was %lld (the model: %llu to %llu), then %lld; stats/lost_bytes grew by %lld\n",
			       dirty, (unsigned long long)lo * BLOCK,
			       (unsigned long long)hi * BLOCK, left, lost);
	}
	buf = malloc(MIB);
	for (int r = 0; r < sh->nr_workers && buf; r++)
		check_cut(c, r, buf);
	free(buf);
	resume_workers();
	return ret;
}

/*
 * Zero the device's counters: under load at times, never in the run's
 * last third (the counts then differ from the workers' by what was in
 * flight: none are compared until the next pause), at other times with
 * the workers paused (then what they
 * counted is kept: stats_agree() compares from the mark on).
 */
static int stats_reset(struct ctl *c, bool paused)
{
	long long *base = (long long *)&c->dev_base;
	struct dev_stats before;
	int ret;

	read_dev_stats(&before);
	ret = ctl_set(c, "stats/reset", "1");
	if (!paused) {
		c->stats_exact = false;
		c->mark_ns = aiodev_now_ns();
		return ret;
	}
	for (size_t i = 0; i < sizeof(before) / sizeof(*base); i++)
		base[i] -= ((const long long *)&before)[i];
	return ret;
}

static int act_stats_reset(struct ctl *c)
{
	int ret;

	if (!rnd(&c->rng, 3) && aiodev_now_ns() < c->load_resets_end_ns)
		return stats_reset(c, false);
	if (!pause_workers(c, "reset the statistics"))
		return -1;
	ret = stats_reset(c, true);
	resume_workers();
	return ret;
}

static const struct action {
	const char *name;
	unsigned int weight;
	int (*act)(struct ctl *c);
} actions[] = {
	{ "completion", 10, act_completion },
	{ "latency_ns", 10, act_latency },
	{ "write_latency_ns", 4, act_write_latency },
	{ "jitter", 4, act_jitter },
	{ "bandwidth_mbps", 4, act_bandwidth },
	{ "queue_depth", 10, act_queue_depth },
	{ "inject", 8, act_inject },
	{ "hang", 6, act_hang },
	{ "timeout_ms", 3, act_timeout },
	{ "spike", 4, act_spike },
	{ "stall", 4, act_stall },
	{ "cache_size", 3, act_cache_size },
	{ "power_cut", 2, act_power_cut },
	{ "stats/reset", 1, act_stats_reset },
	{ "teardown", 3, act_teardown },
	{ "kill", 2, act_kill },
	{ "rmmod", 2, act_rmmod },
};

static void control(struct ctl *c, uint64_t end_ns)
{
	unsigned int sum = 0;

	c->load_resets_end_ns = end_ns - (end_ns - aiodev_now_ns()) / 3;
	for (size_t i = 0; i < ARRAY_LEN(actions); i++)
		sum += actions[i].weight;
	while (!stopping() && aiodev_now_ns() < end_ns) {
		unsigned int x = rnd(&c->rng, sum);
		size_t i = 0;

		usleep(10000 + rnd(&c->rng, 140000));
		check_workers(c);
		for (; x >= actions[i].weight; i++)
			x -= actions[i].weight;
		actions[i].act(c);
		c->done[i]++;
	}
}

/* Stop the workers; false if one did not (it is killed then). */
static bool stop_workers(void)
{
	uint64_t deadline = after_s(STOP_WAIT_S);
	bool ok = true;

	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (int r = 0; r < sh->nr_workers; r++) {
		pid_t pid = sh->reg[r].pid;
		int status = 0;

		if (!reap(pid, &status, deadline)) {
			printf("# worker %d (pid %d) did not stop in %d s\n", r, pid,
			       STOP_WAIT_S);
			kill(-pid, SIGKILL);
			ok = false;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# worker %d ended with status 0x%x\n", r, status);
			ok = false;
		}
	}
	for (int r = 0; r < sh->nr_workers && ok; r++)
		ok = reap_group(r);
	return ok;
}

/* The device as the tests start it: fast, nothing injected (the cache stays). */
static int quiet_device(struct ctl *c)
{
	int ret = 0;

	for (int dir = 0; dir < 2; dir++) {
		ret |= inject_set(c, dir, INJ_OFF);
		ret |= hang_set(c, dir, INJ_OFF);
	}
	ret |= ctl_set(c, "inject/spike_every", "0");
	ret |= ctl_set(c, "inject/spike_percent", "0");
	ret |= ctl_set(c, "inject/stall_period_ns", "0");
	ret |= ctl_set(c, "latency_ns", "0");
	ret |= ctl_set(c, "write_latency_ns", "same");
	ret |= ctl_set(c, "bandwidth_mbps", "0");
	return ret | ctl_set(c, "queue_depth", "32");
}

/* Read the whole device: into the model (@check false), or against it. */
static uint64_t read_device(int fd, bool check, uint64_t *mismatches)
{
	uint8_t *buf = malloc(MIB);
	uint64_t done = 0;

	if (!buf)
		return 0;
	for (int r = 0; r < sh->nr_workers; r++) {
		const struct region *reg = &sh->reg[r];

		for (int64_t off = reg->start; off < reg->end; off += MIB) {
			struct op op = { .off = off, .len = MIN(MIB, reg->end - off),
					 .buf = buf, .fdk = FD_RW, .res = RES_PENDING,
					 .cancel_res = 1 };
			struct batch b = { .iface = IF_PREAD_PWRITE };

			op.res = pread(fd, buf, op.len, off);
			if (op.res != (ssize_t)op.len) {
				op.res = op.res < 0 ? -errno : op.res;
				report_unexpected(r, b.iface, &op, 0,
						  "reading the device back failed");
				return done;
			}
			if (!check) {
				model_write(off, buf, op.len);
				memcpy(model_dur + off, buf, op.len);
			} else {
				*mismatches += !!model_check(r, &b, &op, off, buf, op.len);
			}
			done += op.len;
		}
	}
	free(buf);
	return done;
}

/* ---- the run ---- */

/*
 * Once the workers are gone, the module's only reference must be our
 * file: every request of theirs, torn down or not, is done and has let
 * go of its file (60 s at most: time enough for any queue to drain).
 */
static bool wait_files_closed(void)
{
	long n = -1;

	for (int i = 0; i < 6000; i++) {
		n = module_refcnt();
		if (n == 1)
			return true;
		usleep(10000);
	}
	printf("# /sys/module/aiodev/refcnt is %ld, not 1\n", n);
	return false;
}

static void sum_stats(struct wstats *t)
{
	memset(t, 0, sizeof(*t));
	for (int r = 0; r < sh->nr_workers; r++) {
		const uint64_t *s = (const uint64_t *)&sh->reg[r].st;
		uint64_t *d = (uint64_t *)t;

		for (size_t i = 0; i < sizeof(*t) / sizeof(uint64_t); i++)
			d[i] += s[i];
	}
}

static bool stat_in(const char *name, long long v, long long lo, long long hi,
		    const char *what)
{
	if (v >= 0 && v >= lo && v <= hi)
		return true;
	printf("# stats/%s is %lld, not %lld to %lld: %s\n", name, v, lo, hi, what);
	return false;
}

/*
 * The device's counters against what the workers saw since the mark
 * (stats_mark()).  The requests whose results no one saw (their
 * process killed, their ring torn down) widen the bounds.
 */
static bool stats_agree(const struct ctl *c, const struct wstats *t,
			const struct dev_stats *d)
{
	const struct wstats *b = &c->base;
	const struct dev_stats *db = &c->dev_base;
	long long unseen = t->unseen - b->unseen;
	long long timed_out = t->errs[ETIMEDOUT] - b->errs[ETIMEDOUT];
	/* Not the device's: what ASYNC_CANCEL took from io_uring's own waits. */
	long long cancelled = t->errs[ECANCELED] - b->errs[ECANCELED] -
			      (t->async_cancel_ecanceled - b->async_cancel_ecanceled);
	long long dev_timed_out = d->timed_out - db->timed_out;
	long long dev_cancelled = d->cancelled - db->cancelled;
	bool ok = true;

	ok &= stat_in("timed_out", dev_timed_out, timed_out, timed_out + unseen,
		      "ETIMEDOUT seen, and the results not seen");
	ok &= stat_in("cancelled", dev_cancelled, cancelled, cancelled + unseen,
		      "ECANCELED seen from the device, and the results not seen");
	ok &= stat_in("hung", d->hung - db->hung, dev_timed_out,
		      dev_timed_out + dev_cancelled + unseen,
		      "a hung request times out or is cancelled");
	ok &= stat_in("flushes", d->flushes - db->flushes,
		      t->flushes_counted - b->flushes_counted, LLONG_MAX,
		      "the flushes done with a cache");
	ok &= stat_in("lost_bytes", d->lost_bytes - db->lost_bytes, c->lost, c->lost,
		      "stats/cache_dirty at each power cut");
	return ok;
}

static void summary(const struct ctl *c, const struct wstats *t,
		    const struct dev_stats *d)
{
	static const struct dev_stats zero;
	const struct dev_stats *db = c->stats_exact ? &c->dev_base : &zero;
	const uint64_t *fk = t->flush_kinds;

	printf("# %-24s %10s %10s %8s\n", "interface", "batches", "operations",
	       "flushes");
	for (int i = 0; i < NR_IFACES; i++)
		printf("# %-24s %10llu %10llu %8llu\n", ifaces[i].name,
		       (unsigned long long)t->batches[i], (unsigned long long)t->ops[i],
		       (unsigned long long)t->flushes[i]);
	printf("# errors:");
	for (int e = 1; e < NR_ERRNO; e++)
		if (t->errs[e])
			printf(" %s %llu", errno_name(e), (unsigned long long)t->errs[e]);
	printf("\n# bytes: %llu written (%llu bypassing the cache), %llu read and checked; "
	       "%llu short transfers\n", (unsigned long long)t->bytes_written,
	       (unsigned long long)t->dsync_bytes,
	       (unsigned long long)t->bytes_verified, (unsigned long long)t->shorts);
	printf("# kills: %u (%u with writes journaled, %u in a blocking request, %u of "
	       "them with hangs on); teardowns: %llu; bytes settled after them: %llu\n",
	       c->kills, c->kills_in_flight, c->kills_blocking, c->kills_blocking_hang,
	       (unsigned long long)t->teardowns, (unsigned long long)t->recovered);
	printf("# results: %llu ETIMEDOUT (hung, timed out), %llu ECANCELED from the device; "
	       "cancels: close %llu batches (%llu ECANCELED), "
	       "io_cancel %llu in %llu batches (%llu EINPROGRESS), ASYNC_CANCEL %llu in "
	       "%llu batches (%llu done, %llu ENOENT, %llu EALREADY)\n",
	       (unsigned long long)t->errs[ETIMEDOUT],
	       (unsigned long long)(t->errs[ECANCELED] - t->async_cancel_ecanceled),
	       (unsigned long long)t->cancel_batches[CANCEL_CLOSE],
	       (unsigned long long)t->closed_ecanceled,
	       (unsigned long long)t->io_cancels,
	       (unsigned long long)t->cancel_batches[CANCEL_IO],
	       (unsigned long long)t->io_cancel_ok,
	       (unsigned long long)t->async_cancels,
	       (unsigned long long)t->cancel_batches[CANCEL_ASYNC],
	       (unsigned long long)t->async_cancel_ok,
	       (unsigned long long)t->async_cancel_enoent,
	       (unsigned long long)t->async_cancel_ealready);
	printf("# flushes: %llu fsync, %llu fdatasync, %llu FLUSH, %llu after kills and "
	       "teardowns; power cuts: %u (%llu bytes lost, %llu read back); cache_size "
	       "changes: %u (%u to a small cache); pauses: %u\n",
	       (unsigned long long)fk[FL_FSYNC], (unsigned long long)fk[FL_FDATASYNC],
	       (unsigned long long)fk[FL_CMD], (unsigned long long)t->recovery_flushes,
	       c->cuts, (unsigned long long)c->lost_all, (unsigned long long)c->cut_checked,
	       c->cache_changes, c->small_caches, c->pauses);
	printf("# device, %s %.1f s: hung %lld, timed_out %lld, cancelled %lld, "
	       "spikes %lld, flushes %lld, lost_bytes %lld\n",
	       c->stats_exact ? "from a pause on, at" : "since its reset under load at",
	       (c->mark_ns - sh->t0_ns) / 1e9, d->hung - db->hung,
	       d->timed_out - db->timed_out, d->cancelled - db->cancelled,
	       d->spikes - db->spikes, d->flushes - db->flushes,
	       d->lost_bytes - db->lost_bytes);
	printf("# controller:");
	for (size_t i = 0; i < ARRAY_LEN(actions); i++)
		printf(" %s %u", actions[i].name, c->done[i]);
	printf("; rmmod refused %u of %u\n", c->rmmod_refused, c->rmmod_tries);
}

static __attribute__((noreturn)) void usage(const char *prog, int status)
{
	printf("usage: %s [--seed N] [--duration SECONDS] [--workers N]\n"
	       "  --seed N            the random choices (default: from the time)\n"
	       "  --duration SECONDS  how long the I/O runs (default 10)\n"
	       "  --workers N         processes doing I/O, one region each (1-%d, default 4)\n"
	       "Needs root and aiodev loaded (/dev/aiodev0, its sysfs); TAP output.\n",
	       prog, MAX_WORKERS);
	exit(status);
}

static void parse_args(int argc, char **argv, uint64_t *seed, unsigned int *duration,
		       int *workers)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int o;

	*seed = aiodev_now_ns() ^ (uint64_t)getpid() << 32;
	*duration = 10;
	*workers = 4;
	while ((o = getopt_long(argc, argv, "s:d:w:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			*seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			*duration = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			*workers = atoi(optarg);
			break;
		case 'h':
			usage(argv[0], 0);
		default:
			usage(argv[0], 2);
		}
	}
	if (optind < argc || *workers < 1 || *workers > MAX_WORKERS)
		usage(argv[0], 2);
}

static void *map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap %zu bytes: %s\n", len, strerror(errno));
	return p;
}

static void setup(struct ctl *c, uint64_t seed, int workers)
{
	int64_t size, span;

	c->fd = aiodev_open(0, O_RDWR);
	if (c->fd < 0 && !aiodev_nr_devices())
		ksft_exit_skip("no /dev/aiodev0: aiodev not loaded\n");
	if (c->fd < 0)
		ksft_exit_fail_msg("/dev/aiodev0: %s\n", strerror(errno));
	if (aiodev_reset(0, "timer"))
		ksft_exit_fail_msg("resetting aiodev0 through sysfs (root?): %s\n",
				   strerror(errno));
	size = aiodev_get(0, "size");
	span = size / workers / 4096 * 4096;
	if (span < MIB)
		ksft_exit_fail_msg("aiodev0 is %lld bytes: %d regions of 1 MiB at least\n",
				   (long long)size, workers);
	sh = map_shared(sizeof(*sh));
	model_val = map_shared(size);
	model_alt = map_shared(size);
	model_either = map_shared(size / 8 + 1);
	model_dur = map_shared(size);
	model_blk = map_shared(size / BLOCK + 1);
	sh->seed = seed;
	sh->nonce = aiodev_now_ns() ^ getpid();
	sh->size = size;
	sh->nr_workers = workers;
	sh->t0_ns = aiodev_now_ns();
	for (int r = 0; r < workers; r++) {
		sh->reg[r].start = r * span;
		sh->reg[r].end = r == workers - 1 ? size : (r + 1) * span;
	}
	c->rng = seed ^ 0xc0c0c0c0ull;
	/* Orphans of a killed worker (its teardown child) come to us. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int main(int argc, char **argv)
{
	uint64_t seed, mismatches = 0, run_mismatches, verified;
	unsigned int duration;
	struct ctl c = { 0 };
	bool stopped, idle, closed, stats_ok, all_ran = true;
	struct dev_stats d;
	struct wstats t;
	int workers;

	parse_args(argc, argv, &seed, &duration, &workers);
	ksft_print_header();
	printf("# seed %llu: %s --seed %llu --duration %u --workers %d\n",
	       (unsigned long long)seed, argv[0], (unsigned long long)seed, duration,
	       workers);
	setup(&c, seed, workers);
	ksft_set_plan(11);
	/* Hung requests always end; a cache; the counters start with the workers. */
	ctl_set(&c, "timeout_ms", "100");
	cache_set(&c, sh->size);
	ctl_set(&c, "stats/reset", "1");
	stats_mark(&c);
	read_device(c.fd, false, NULL);
	act_rmmod(&c);
	for (int r = 0; r < workers; r++)
		start_worker(&c, r);
	control(&c, aiodev_now_ns() + duration * 1000000000ull);

	stopped = stop_workers();
	quiet_device(&c);
	idle = !aiodev_wait_idle(0) && aiodev_get(0, "stats/in_flight") == 0;
	/* A worker that is still there holds its files. */
	closed = stopped && wait_files_closed();
	sum_stats(&t);
	read_dev_stats(&d);
	run_mismatches = t.mismatches;
	verified = read_device(c.fd, true, &mismatches);
	summary(&c, &t, &d);
	stats_ok = c.stats_exact && stats_agree(&c, &t, &d);
	for (int i = 0; i < NR_IFACES; i++)
		all_ran &= t.ops[i] > 0;

	ksft_test_result(!run_mismatches,
			 "no data mismatch in the run: %llu bytes read and checked\n",
			 (unsigned long long)t.bytes_verified);
	ksft_test_result(!t.unexpected, "every result is one the documentation allows\n");
	ksft_test_result(all_ran, "every interface ran\n");
	ksft_test_result(!c.refused, "the device took every configuration change\n");
	ksft_test_result(c.rmmod_refused == c.rmmod_tries,
			 "unloading was refused while the device was open (%u tries)\n",
			 c.rmmod_tries);
	ksft_test_result(stopped && !c.deaths,
			 "workers ran to the end (%u killed and started again)\n", c.kills);
	ksft_test_result(idle, "the device went idle: stats/in_flight 0\n");
	ksft_test_result(closed, "every other file was released: the module's refcnt is 1\n");
	ksft_test_result(!mismatches && verified == (uint64_t)sh->size,
			 "the whole device read back matches the model (%llu bytes)\n",
			 (unsigned long long)verified);
	ksft_test_result(!c.cut_mismatches && !c.cut_faults,
			 "power cuts left what was flushed (%u cuts, %llu bytes checked)\n",
			 c.cuts, (unsigned long long)c.cut_checked);
	if (!c.stats_exact)
		ksft_test_result_skip("statistics reset under load after the last pause: not compared\n");
	else
		ksft_test_result(stats_ok && stopped && closed,
				 "the device's statistics agree with the workers' counts (from %.1f s on)\n",
				 (c.mark_ns - sh->t0_ns) / 1e9);
	ksft_finished();
}
