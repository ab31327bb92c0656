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
 * (actions[]): completion mode, latency, jitter, bandwidth, queue depth,
 * error injection.  It kills workers with I/O in flight and starts them
 * again, has them tear rings down with I/O in flight, and tries to unload
 * the module, which must be refused.  At the end, with the workers stopped
 * and the device idle, it reads every region back in full.
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
};

/* Inputs whose request reaches the device: its queue, its injection. */
#define REACHES_DEVICE	(BIT(OC_NORMAL) | BIT(OC_CROSS_END) | BIT(OC_BAD_BUF) | \
			 BIT(OC_SHORT_BUF))
/* Inputs on the worker's own range: what they leave there is checked. */
#define IN_REGION	(REACHES_DEVICE | BIT(OC_WRONG_MODE))

/* When an error is allowed (every condition must hold). */
#define C_NOWAIT	BIT(0)	/* RWF_NOWAIT, or a file opened O_NONBLOCK */
#define C_INJECT	BIT(1)	/* injection (inject/) may have applied */
#define C_WRITE		BIT(2)	/* a write */

/*
 * The errors the documentation allows, by interface and input: README.md
 * (The device, Access, sysfs inject/) and aiodev.h.  Any other fails the
 * run.  The device behaviours of issue 11 add rows here (ETIMEDOUT of a
 * hung request, ECANCELED of one cancelled, ...).
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
	{ ENOMEM, CMD_IFACES, BIT(NR_CLASSES) - 1, 0,
	  "-ENOMEM: the kernel is out of memory" },
};

enum fd_kind { FD_RW, FD_DIRECT, FD_NONBLOCK, FD_RDONLY, FD_WRONLY, NR_FDS };

static const struct {
	const char *name;
	int flags;
} fd_kinds[NR_FDS] = {
	[FD_RW]		= { "", O_RDWR },
	[FD_DIRECT]	= { " O_DIRECT", O_RDWR | O_DIRECT },
	[FD_NONBLOCK]	= { " O_NONBLOCK", O_RDWR | O_NONBLOCK },
	[FD_RDONLY]	= { " O_RDONLY", O_RDONLY },
	[FD_WRONLY]	= { " O_WRONLY", O_WRONLY },
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
};

/* A worker's counters, summed at the end. */
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
};

/* Writes of a region that may be in flight, for the worker's successor. */
struct journal {
	uint32_t n;
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
	uint64_t bad_start, bad_end;
};

struct inj_snap {
	uint32_t gen, any;
	uint64_t bad_start, bad_end;
};

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
 * A volatile write cache (issue 11) fits the same way: keep the flushed
 * data beside val[], and after a power cut let each byte written since its
 * last flush be either its flushed data or val[] (the cache may have
 * written it back).
 */
static uint8_t *model_val, *model_alt, *model_either;

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
	ssize_t res;
	uint64_t log;		/* its entry in the region's log */
};

struct batch {
	enum iface iface;
	int rwf;		/* RWF_* of every operation */
	bool async;		/* IOSQE_ASYNC on every SQE */
	int n;
	struct op op[MAX_BATCH];
	int ntaken;		/* ranges of the region the batch uses */
	int64_t taken[MAX_BATCH][2];
};

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

static bool rule_applies(const struct errno_rule *rule, enum iface iface,
			 const struct op *op, bool inject)
{
	return (rule->ifaces & BIT(iface)) && (rule->classes & BIT(op->cls)) &&
	       (!(rule->when & C_NOWAIT) || op->nowait) &&
	       (!(rule->when & C_INJECT) || inject) &&
	       (!(rule->when & C_WRITE) || op->write);
}

static bool result_allowed(enum iface iface, const struct op *op, bool inject)
{
	size_t min, max;

	if (op->res >= 0) {
		expect_len(op, &min, &max);
		return (size_t)op->res >= min && (size_t)op->res <= max;
	}
	for (size_t i = 0; i < ARRAY_LEN(errno_rules); i++)
		if (errno_rules[i].err == -op->res &&
		    rule_applies(&errno_rules[i], iface, op, inject))
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

/* ---- the log and reports ---- */

static void log_op(struct region *reg, enum iface iface, struct op *op)
{
	uint64_t seq = reg->log_seq++;

	reg->log[seq % LOG_OPS] = (struct op_rec){
		.seq = seq, .off = op->off, .len = op->len, .res = RES_PENDING,
		.stamp = op->stamp, .iface = iface, .cls = op->cls,
		.write = op->write, .fdk = op->fdk, .nowait = op->nowait,
		.async = op->async,
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

	msg_add(m, "#%llu %s %lld+%u via %s%s%s%s (%s): %s", (unsigned long long)rec->seq,
		rec->write ? "write" : "read", (long long)rec->off, rec->len,
		ifaces[rec->iface].name, fd_kinds[rec->fdk].name,
		rec->nowait ? " nowait" : "", rec->async ? " IOSQE_ASYNC" : "",
		classes[rec->cls].name, res_str(rec->res, res, sizeof(res)));
	if (rec->write)
		msg_add(m, ", stamp 0x%x", rec->stamp);
}

/* The region's recent operations on byte @at, newest first. */
static void recent_ops(struct msg *m, int r, int64_t at)
{
	const struct region *reg = &sh->reg[r];
	uint64_t seq = reg->log_seq;
	int shown = 0;

	msg_add(m, "#   recent operations on offset %lld, newest first:\n", (long long)at);
	for (uint64_t i = 0; i < LOG_OPS && i < seq && shown < 12; i++) {
		const struct op_rec *rec = &reg->log[(seq - 1 - i) % LOG_OPS];
		uint8_t byte;

		if (rec->seq != seq - 1 - i || at < rec->off ||
		    at >= rec->off + MAX(rec->len, 1))
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
		.async = op->async,
	};

	describe_rec(m, &rec);
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
	recent_ops(&m, r, at);
	recent_actions(&m);
	msg_out(&m);
}

/* A result the documentation does not allow (@why: or another fault). */
static void report_unexpected(int r, enum iface iface, const struct op *op,
			      bool inject, const char *why)
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
			if (rule_applies(&errno_rules[i], iface, op, inject))
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

static int take_range(struct worker *wk, struct batch *b, size_t len,
		      size_t align, int64_t *off)
{
	int64_t start = wk->reg->start, span = wk->reg->end - start;

	for (int tries = 0; tries < 16; tries++) {
		int64_t o = start + rnd(&wk->rng, span - len + 1);

		o -= (o - start) % align;
		if (reserve(b, o, len)) {
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
	return p < 70 ? FD_RW : p < 85 ? FD_DIRECT : FD_NONBLOCK;
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
		return reserve(b, op->off, k) ? 0 : -1;
	case OC_SHORT_BUF:
		op->boundary = wk->page - align * rnd(&wk->rng, wk->page / align);
		op->len = op->boundary + align * (1 + rnd(&wk->rng, 2 * wk->page / align));
		return take_range(wk, b, op->len, align, &op->off);
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
		return take_range(wk, b, op->len, align, &op->off);
	}
}

static int plan_op(struct worker *wk, struct batch *b, struct op *op,
		   bool *short_used)
{
	unsigned int f = ifaces[b->iface].flags;
	size_t align = (f & F_DIRECT) || rnd(&wk->rng, 2) ? 512 : 1;
	size_t max = MIN(MAX_OP_LEN, (wk->reg->end - wk->reg->start) / 4);

	memset(op, 0, sizeof(*op));
	op->res = RES_PENDING;
	op->cls = pick_class(wk, f, *short_used);
	op->write = rnd(&wk->rng, 2);
	op->fdk = pick_fd(wk, f, op);
	op->nowait = !(f & F_CMD) &&
		     (op->fdk == FD_NONBLOCK || (b->rwf & RWF_NOWAIT));
	op->async = b->async;
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

	b->n = 0;
	b->ntaken = 0;
	wk->used = 0;
	b->rwf = (f & F_RWF) && rnd(&wk->rng, 100) < 15 ? RWF_NOWAIT : 0;
	b->async = (f & F_RING) && rnd(&wk->rng, 100) < 10;
	for (int i = 0; i < want; i++)
		if (!plan_op(wk, b, &b->op[b->n], &short_used))
			b->n++;
}

/* ---- running a batch ---- */

static ssize_t sync_io(int fd, enum iface iface, const struct op *op, int rwf)
{
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

static void run_sync(struct worker *wk, struct batch *b)
{
	bool pos = ifaces[b->iface].flags & F_POS;

	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];
		int fd = wk->fd[op->fdk];
		ssize_t res;
		off_t at;

		if (pos && lseek(fd, op->off, SEEK_SET) != op->off) {
			op->res = -errno;
			continue;
		}
		res = sync_io(fd, b->iface, op, b->rwf);
		op->res = res < 0 ? -errno : res;
		/* read(2) and write(2) advance the position by what they moved. */
		at = pos ? lseek(fd, 0, SEEK_CUR) : 0;
		if (pos && at != op->off + MAX(op->res, 0)) {
			char why[96];

			snprintf(why, sizeof(why), "the file position is %lld after it",
				 (long long)at);
			report_unexpected(wk->r, b->iface, op, false, why);
		}
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
		int fd = wk->fd[op->fdk];

		cbp = &cbs[i];
		if (op->iovcnt > 1 && op->write)
			io_prep_pwritev(cbp, fd, op->iov, op->iovcnt, op->off);
		else if (op->iovcnt > 1)
			io_prep_preadv(cbp, fd, op->iov, op->iovcnt, op->off);
		else if (op->write)
			io_prep_pwrite(cbp, fd, op->buf, op->len, op->off);
		else
			io_prep_pread(cbp, fd, op->buf, op->len, op->off);
		cbp->aio_rw_flags = b->rwf;
		cbp->data = (void *)(intptr_t)i;
		/* One at a time: an error at submission is that request's. */
		ret = io_submit(ctx, 1, &cbp);
		if (ret == 1)
			inflight++;
		else
			op->res = ret;
	}
	if (teardown) {
		if (rnd(&wk->rng, 2))
			io_destroy(ctx);
		return 0;
	}
	for (ret = 0; inflight > 0 && ret >= 0; ) {
		ret = aiodev_getevents(ctx, 1, MAX_BATCH, ev);
		for (int e = 0; e < ret; e++, inflight--)
			b->op[(intptr_t)ev[e].data].res = (long)ev[e].res;
	}
	if (ret < 0)
		report_fault(wk->r, "io_getevents: %s", strerror(-ret));
	io_destroy(ctx);
	return ret < 0 ? -1 : 0;
}

static void prep_sqe(struct worker *wk, struct batch *b, struct op *op,
		     struct io_uring_sqe *sqe)
{
	unsigned int f = ifaces[b->iface].flags;
	int fd = wk->fd[op->fdk];

	if (f & F_CMD) {
		aiodev_prep_cmd(sqe, fd, op->write ? AIODEV_URING_CMD_WRITE :
				AIODEV_URING_CMD_READ, op->buf, op->len, op->off);
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

	ret = io_uring_queue_init(MAX_BATCH, &ring, flags);
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

		prep_sqe(wk, b, &b->op[i], sqe);
		if (b->async)
			sqe->flags |= IOSQE_ASYNC;
		io_uring_sqe_set_data64(sqe, i);
	}
	/* An SQE that fails before its issue ends a submission: go on. */
	what = "io_uring_submit";
	while (io_uring_sq_ready(&ring)) {
		ret = io_uring_submit(&ring);
		if (ret == -EINTR)
			continue;
		if (ret <= 0) {
			ret = ret ? ret : -EIO;
			goto out;
		}
	}
	if (teardown) {
		if (rnd(&wk->rng, 2))
			io_uring_queue_exit(&ring);
		return 0;
	}
	/* One by one: io_uring does not poll while a CQE is pending. */
	what = "io_uring_wait_cqe";
	while (left) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret)
			goto out;
		b->op[cqe->user_data].res = cqe->res;
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

	if (f & F_RING)
		return run_ring(wk, b, teardown);
	if (f & F_ASYNC)
		return run_aio(wk, b, teardown);
	run_sync(wk, b);
	return 0;
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

static void count(struct worker *wk, enum iface iface, const struct op *op)
{
	struct wstats *st = &wk->reg->st;

	st->ops[iface]++;
	if (op->res < 0 && -op->res < NR_ERRNO)
		st->errs[-op->res]++;
	st->shorts += op->res > 0 && (size_t)op->res < op->len;
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
		report_unexpected(wk->r, iface, op, false, why);
		return;
	}
}

/* What a completed operation did to the region, and what its read saw. */
static void apply(struct worker *wk, const struct batch *b, const struct op *op)
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
	} else {
		model_check(wk->r, b, op, op->off, op->buf, n);
		wk->reg->st.bytes_verified += n;
	}
}

static void finish_batch(struct worker *wk, struct batch *b,
			 const struct inj_snap *before, const struct inj_snap *after)
{
	for (int i = 0; i < b->n; i++) {
		struct op *op = &b->op[i];
		bool inject = inject_possible(before, after, op);

		log_result(wk->reg, op, op->res);
		count(wk, b->iface, op);
		if (!result_allowed(b->iface, op, inject))
			report_unexpected(wk->r, b->iface, op, inject, NULL);
		apply(wk, b, op);
	}
}

static void run_checked(struct worker *wk, struct batch *b)
{
	struct inj_snap before[2], after[2];

	for (int i = 0; i < b->n; i++)
		log_op(wk->reg, b->iface, &b->op[i]);
	inject_snap(before);
	run_sync(wk, b);
	inject_snap(after);
	finish_batch(wk, b, before, after);
}

/* Reads of [@off, @off + @len) through pread, added to @v. */
static bool add_reads(struct worker *wk, struct batch *v, int64_t off, size_t len)
{
	while (len && v->n < MAX_BATCH) {
		size_t n = MIN(len, MAX_OP_LEN);
		struct op *op = &v->op[v->n];

		memset(op, 0, sizeof(*op));
		op->buf = arena_alloc(wk, n, 1);
		if (!op->buf)
			break;
		memset(op->buf, POISON, n);
		op->res = RES_PENDING;
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
 * while read injection fails it and the run goes on.
 */
static void settle(struct worker *wk, int64_t off, size_t len)
{
	for (;;) {
		struct batch v = { .iface = IF_PREAD_PWRITE };
		bool eio = false;

		wk->used = 0;
		add_reads(wk, &v, off, len);
		run_checked(wk, &v);
		for (int i = 0; i < v.n; i++)
			eio |= v.op[i].res == -EIO;
		if (!eio || stopping())
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

/*
 * The region's journal holds the writes that were in flight when their
 * process went away: each of their bytes holds the old data or the new
 * until a read settles it.
 */
static void recover(struct worker *wk)
{
	struct journal *jn = &wk->reg->jn;

	for (uint32_t i = 0; i < jn->n; i++)
		model_unknown(jn->w[i].off, jn->w[i].len, jn->w[i].stamp);
	/* If the run stops first, the final read settles them. */
	if (jn->n && !wait_dead_requests())
		return;
	for (uint32_t i = 0; i < jn->n; i++) {
		settle(wk, jn->w[i].off, jn->w[i].len);
		wk->reg->st.recovered += jn->w[i].len;
	}
	__atomic_store_n(&jn->n, 0, __ATOMIC_RELEASE);
}

/* The writes that may land, before any is submitted. */
static void journal_writes(struct worker *wk, const struct batch *b)
{
	struct journal *jn = &wk->reg->jn;
	uint32_t n = 0;

	for (int i = 0; i < b->n; i++) {
		const struct op *op = &b->op[i];

		if (!op->write || !(IN_REGION & BIT(op->cls)) ||
		    op->cls == OC_BAD_BUF || op->cls == OC_WRONG_MODE)
			continue;
		jn->w[n].off = op->off;
		jn->w[n].len = op->cls == OC_SHORT_BUF ? op->boundary : region_len(op);
		jn->w[n].stamp = op->stamp;
		n++;
	}
	__atomic_store_n(&jn->n, n, __ATOMIC_RELEASE);
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

static void worker_batch(struct worker *wk)
{
	struct inj_snap before[2], after[2];
	struct batch b;
	bool torn;
	int ret;

	b.iface = next_iface(wk);
	plan_batch(wk, &b);
	wk->reg->st.batches[b.iface]++;
	torn = (ifaces[b.iface].flags & F_ASYNC) &&
	       (__atomic_exchange_n(&wk->reg->teardown_req, 0, __ATOMIC_ACQ_REL) ||
		!rnd(&wk->rng, 40));
	for (int i = 0; i < b.n; i++)
		log_op(wk->reg, b.iface, &b.op[i]);
	journal_writes(wk, &b);
	inject_snap(before);
	ret = torn ? run_torn(wk, &b) : run_engine(wk, &b, false);
	inject_snap(after);
	/* Requests may be in flight after a failure too. */
	if (torn || ret) {
		recover(wk);
		return;
	}
	finish_batch(wk, &b, before, after);
	/* The model has every result: nothing is in flight any more. */
	__atomic_store_n(&wk->reg->jn.n, 0, __ATOMIC_RELEASE);
	verify_failed_writes(wk, &b);
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
	while (!stopping())
		worker_batch(&wk);
	_exit(0);
}

/* ---- the controller ---- */

struct ctl {
	uint64_t rng;
	int fd;			/* open all along: unloading must be refused */
	unsigned int done[16];	/* per action */
	unsigned int refused;	/* configuration writes the device refused */
	unsigned int kills, kills_in_flight, deaths;
	unsigned int rmmod_tries, rmmod_refused;
	int inj_kind[2];	/* what is injected now, per direction */
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

enum { INJ_OFF, INJ_EVERY, INJ_PERCENT, INJ_RANGE };

static const char *const inject_attrs[2][4] = {
	{ NULL, "inject/read_every", "inject/read_percent", "inject/read_bad_range" },
	{ NULL, "inject/write_every", "inject/write_percent", "inject/write_bad_range" },
};

/* Set injection of direction @dir to @kind (INJ_*), off first. */
static int inject_set(struct ctl *c, int dir, int kind)
{
	struct inject_state *in = &sh->inj[dir];
	int old = c->inj_kind[dir], ret = 0;
	int64_t start = 0, end = 0;

	__atomic_add_fetch(&in->gen, 1, __ATOMIC_SEQ_CST);	/* odd: changing */
	if (old != INJ_OFF)
		ret |= ctl_set(c, inject_attrs[dir][old], "%s",
			       old == INJ_RANGE ? "none" : "0");
	if (kind == INJ_EVERY)
		ret |= ctl_set(c, inject_attrs[dir][kind], "%u",
			       2 + (unsigned int)rnd(&c->rng, 63));
	if (kind == INJ_PERCENT)
		ret |= ctl_set(c, inject_attrs[dir][kind], "%u",
			       1 + (unsigned int)rnd(&c->rng, 30));
	if (kind == INJ_RANGE) {
		const struct region *reg = &sh->reg[rnd(&c->rng, sh->nr_workers)];

		start = reg->start + rnd(&c->rng, reg->end - reg->start);
		end = MIN(start + 1 + (int64_t)rnd(&c->rng, 256 * 1024), sh->size);
		ret |= ctl_set(c, inject_attrs[dir][kind], "%lld-%lld",
			       (long long)start, (long long)end);
	}
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
	static const int kinds[] = { INJ_OFF, INJ_OFF, INJ_OFF, INJ_EVERY,
				     INJ_PERCENT, INJ_RANGE };

	return inject_set(c, rnd(&c->rng, 2), PICK(c, kinds));
}

static int act_stats_reset(struct ctl *c)
{
	return ctl_set(c, "stats/reset", "1");
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
 * SIGKILL a worker, at best while it has writes in flight, and start
 * another in its place: the journal says what they were.
 */
static int act_kill(struct ctl *c)
{
	int r = rnd(&c->rng, sh->nr_workers);
	struct region *reg = &sh->reg[r];
	bool in_flight;

	for (int i = 0; i < 20 && !__atomic_load_n(&reg->jn.n, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	in_flight = __atomic_load_n(&reg->jn.n, __ATOMIC_ACQUIRE);
	ctl_log("worker %d: SIGKILL (%s)", r, in_flight ? "writes journaled" : "no write journaled");
	kill(-reg->pid, SIGKILL);
	c->kills++;
	c->kills_in_flight += in_flight;
	return reap_group(r) ? start_worker(c, r) : -1;
}

static const struct action {
	const char *name;
	unsigned int weight;
	int (*act)(struct ctl *c);
} actions[] = {
	{ "completion", 10, act_completion },
	{ "latency_ns", 10, act_latency },
	{ "jitter", 4, act_jitter },
	{ "bandwidth_mbps", 4, act_bandwidth },
	{ "queue_depth", 10, act_queue_depth },
	{ "inject", 8, act_inject },
	{ "stats/reset", 1, act_stats_reset },
	{ "teardown", 3, act_teardown },
	{ "kill", 2, act_kill },
	{ "rmmod", 2, act_rmmod },
	/* Issue 11 adds: stall windows, spikes, hung requests, the cache, power_cut. */
};

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

static void control(struct ctl *c, uint64_t end_ns)
{
	unsigned int sum = 0;

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

/* The device as the tests start it: fast, nothing injected. */
static int quiet_device(struct ctl *c)
{
	int ret = inject_set(c, 0, INJ_OFF) | inject_set(c, 1, INJ_OFF);

	return ret | ctl_set(c, "latency_ns", "0") | ctl_set(c, "bandwidth_mbps", "0") |
	       ctl_set(c, "queue_depth", "32");
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
					 .buf = buf, .fdk = FD_RW, .res = RES_PENDING };
			struct batch b = { .iface = IF_PREAD_PWRITE };

			op.res = pread(fd, buf, op.len, off);
			if (op.res != (ssize_t)op.len) {
				op.res = op.res < 0 ? -errno : op.res;
				report_unexpected(r, b.iface, &op, false,
						  "reading the device back failed");
				return done;
			}
			if (!check)
				model_write(off, buf, op.len);
			else
				*mismatches += !!model_check(r, &b, &op, off, buf, op.len);
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

static void summary(const struct ctl *c, const struct wstats *t)
{
	printf("# %-24s %10s %10s\n", "interface", "batches", "operations");
	for (int i = 0; i < NR_IFACES; i++)
		printf("# %-24s %10llu %10llu\n", ifaces[i].name,
		       (unsigned long long)t->batches[i], (unsigned long long)t->ops[i]);
	printf("# errors:");
	for (int e = 1; e < NR_ERRNO; e++)
		if (t->errs[e])
			printf(" %s %llu", errno_name(e), (unsigned long long)t->errs[e]);
	printf("\n# bytes: %llu written, %llu read and checked; %llu short transfers\n",
	       (unsigned long long)t->bytes_written,
	       (unsigned long long)t->bytes_verified, (unsigned long long)t->shorts);
	printf("# kills: %u (%u with writes journaled); teardowns: %llu; "
	       "bytes settled after them: %llu\n", c->kills, c->kills_in_flight,
	       (unsigned long long)t->teardowns, (unsigned long long)t->recovered);
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
	bool stopped, idle, closed, all_ran = true;
	struct wstats t;
	int workers;

	parse_args(argc, argv, &seed, &duration, &workers);
	ksft_print_header();
	printf("# seed %llu: %s --seed %llu --duration %u --workers %d\n",
	       (unsigned long long)seed, argv[0], (unsigned long long)seed, duration,
	       workers);
	setup(&c, seed, workers);
	ksft_set_plan(9);
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
	run_mismatches = t.mismatches;
	verified = read_device(c.fd, true, &mismatches);
	summary(&c, &t);
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
	ksft_finished();
}
