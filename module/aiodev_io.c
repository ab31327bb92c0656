// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev_io.c - one request's life: submission, the emulated device, and
 * completion.
 *
 * Submission (read_iter/write_iter): the request is clamped to the device,
 * given its error-injection verdict and queued: it takes one of the
 * device's queue_depth slots, or waits for one in FIFO order.
 *
 * The device: when a request takes a slot, its due time follows from the
 * service time (latency_ns with its jitter) and from the bandwidth model, a
 * bus shared by all slots that moves bandwidth_mbps.  The requests in
 * service sit in a timerqueue ordered by due time, one per device and CPU
 * (the CPU that started them: the submitter's, mostly), and one hrtimer
 * per queue, pinned to its CPU, is armed to the earliest (a lone request's
 * a little before, and with some slack after while the submitter reaps,
 * see below): each expiry
 * finishes every request of its queue that is due, starts waiting ones in
 * the slots they free, and completes the finished ones outside the lock,
 * on the CPU that submitted them, then those that fell due meanwhile.
 * A submission first finishes what its CPU's queue has due, as a driver
 * reaps its completion queue when it submits, and so does a task polling a
 * polled ring: a busy submitter leaves the timer little to do, and each
 * expiry it saves is an interrupt; once it has reaped a few times in a row,
 * the timer keeps its place while the earliest due time stays within its
 * slack (see AIODEV_COALESCE_NS), and each move it saves reprograms no
 * clock event device.  A request alone on a CPU that idles
 * has its timer armed as early as the timer has been late waking that CPU,
 * and the expiry spins until it is due (see aiodev_arm_at()).
 * (One timer per request cost a timer interrupt and softirq per request;
 * one per device ran every completion on whichever CPU armed it last;
 * null_blk found that re-arming a shared timer for each new command delays
 * earlier ones: a queue is armed to its earliest deadline, re-armed when
 * a new request is due sooner or a submission has taken the earliest.)
 *
 * Completion depends on who waits:
 *  - A synchronous kiocb (read(2), pread(2), ...), and in inline mode every
 *    kiocb: the submitting task sleeps until its request completes, then
 *    copies the data to or from its own iov_iter and returns the result.
 *    Inline mode is a device that does its work in the submitter, as a
 *    driver without completion interrupts would: io_submit() and
 *    io_uring_enter() block for the service time.  IOCB_NOWAIT still
 *    refuses a request that would wait for a slot.
 *  - An asynchronous kiocb (legacy aio, io_uring read/write): read_iter
 *    returns -EIOCBQUEUED.  The caller's iov_iter does not outlive that
 *    return (legacy aio frees it) and completion runs in a timer, a worker
 *    or another task's submission, without the user's mm.  So, as direct
 *    I/O does, the user pages are taken at submission (pinned by
 *    iov_iter_extract_pages(); referenced before 6.3), the data is copied
 *    into or out of them at completion, and ki_complete() reports the
 *    result.  Releasing pages the device wrote that are not dirty yet
 *    (dirtying them) may sleep, so the timer (or a submitter or poller
 *    that reaps) defers that to the workqueue, as it does the whole
 *    completion of a request of over 1 MiB (a long copy has no place in a
 *    softirq).
 *
 * The slot is released before the caller is told, so a caller that keeps
 * no more requests in flight than queue_depth always finds a free slot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/aio.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>

#include "aiodev.h"
#include "aiodev_compat.h"

#define CREATE_TRACE_POINTS
#include "aiodev_trace.h"

static struct kmem_cache *aiodev_rq_cache;

static void aiodev_complete(struct aiodev_rq *rq, bool may_sleep);
static void aiodev_reap(struct aiodev *ad, ktime_t now,
			struct list_head *done);
static void aiodev_complete_list(struct aiodev *ad, struct list_head *done);
static void aiodev_defer(struct aiodev_rq *rq);

/**
 * aiodev_rq_init - a new request on @file, from the current task
 * @rq: where it lives: the submitter's stack when it waits for its request
 *	(as a bio that submit_bio_wait() waits for may), else aiodev_rq_alloc()
 * @file: the file
 */
void aiodev_rq_init(struct aiodev_rq *rq, struct file *file)
{
	*rq = (struct aiodev_rq){
		.ad = file->private_data,
		.file = file,
		.owner = current->files,
	};
	timerqueue_init(&rq->due);
}

/* A new request that outlives its submission, for aiodev_rq_free(). */
struct aiodev_rq *aiodev_rq_alloc(struct file *file, gfp_t gfp)
{
	struct aiodev_rq *rq = kmem_cache_alloc(aiodev_rq_cache, gfp);

	if (!rq)
		return NULL;
	aiodev_rq_init(rq, file);
	atomic_inc(&rq->ad->nr_rqs);
	return rq;
}

void aiodev_rq_free(struct aiodev_rq *rq)
{
	struct aiodev *ad = rq->ad;

	if (rq->bvec != rq->inline_bvec)
		kvfree(rq->bvec);
	kmem_cache_free(aiodev_rq_cache, rq);
	if (atomic_dec_and_test(&ad->nr_rqs))
		wake_up_var(&ad->nr_rqs);
}

/**
 * aiodev_release_pages - drop what aiodev_take_pages() took
 * @rq: the request
 * @may_sleep: the caller may sleep
 *
 * Pages the device wrote must be marked dirty, which may sleep on a page's
 * lock.  A folio that is dirty already needs nothing: it stays dirty until
 * writeback cleans it, and writeback writes what it holds then, the data
 * copied into it included.  So, as bio_check_pages_dirty() does for direct
 * I/O, a caller that may not sleep releases the pages at once when every
 * folio is dirty (anonymous memory, the usual buffer, always is), and hands
 * the rest to a context that may sleep.
 *
 * Return: true when the pages are released; false, releasing nothing, when
 * @may_sleep is false and a page the device wrote is clean.
 */
bool aiodev_release_pages(struct aiodev_rq *rq, bool may_sleep)
{
	bool dirty = rq->dirty;
	unsigned int i;

	if (rq->release && dirty && !may_sleep) {
		for (i = 0; i < rq->nr_bvec; i++)
			if (!folio_test_dirty(page_folio(rq->bvec[i].bv_page)))
				return false;
		dirty = false;
	}
	if (rq->release)
		for (i = 0; i < rq->nr_bvec; i++)
			aiodev_release_page(rq->bvec[i].bv_page, dirty);
	rq->nr_bvec = 0;
	return true;
}

/**
 * aiodev_take_pages - take the user pages of an asynchronous request
 * @rq: the request; its data is then moved by aiodev_copy_pages(), in any
 *	context, and its pages dropped by aiodev_release_pages()
 * @iter: the user's buffer, advanced past what was taken
 *
 * Fills @rq->bvec with one entry per page of the first @rq->len bytes of
 * @iter, faulting in pages that are not present: even under IOCB_NOWAIT,
 * as the block layer's direct I/O does, since a refusal that poll() cannot
 * end would only send io_uring round its retries to its io-wq workers.  A
 * bad address part way shortens the request.
 *
 * Return: 0, or the error taking the first page (-EFAULT for a bad
 * address, -ENOMEM); after an error @rq holds no pages.
 */
int aiodev_take_pages(struct aiodev_rq *rq, struct iov_iter *iter)
{
	int max = iov_iter_npages_cap(iter, INT_MAX, rq->len);
	struct page *pages[16];
	size_t got = 0, off;
	int i, err = -EFAULT;
	ssize_t n;

	/* Small requests, the common ones, keep their pages in @rq. */
	if (max <= ARRAY_SIZE(rq->inline_bvec))
		rq->bvec = rq->inline_bvec;
	else
		rq->bvec = kvmalloc_array(max, sizeof(*rq->bvec), GFP_KERNEL);
	if (!rq->bvec)
		return -ENOMEM;
	rq->release = aiodev_extract_holds_pages(iter);

	while (got < rq->len && rq->nr_bvec < max) {
		n = aiodev_extract_pages(iter, pages, rq->len - got,
					 min_t(int, ARRAY_SIZE(pages),
					       max - rq->nr_bvec), &off);
		if (n <= 0) {
			err = n ?: -EFAULT;
			break;
		}
		got += n;
		for (i = 0; n; i++) {
			size_t plen = min_t(size_t, n, PAGE_SIZE - off);

			bvec_set_page(&rq->bvec[rq->nr_bvec++], pages[i], plen,
				      off);
			n -= plen;
			off = 0;
		}
	}

	if (got) {
		rq->len = got;
		return 0;
	}
	if (rq->bvec != rq->inline_bvec)
		kvfree(rq->bvec);
	rq->bvec = NULL;
	return err;
}

/*
 * The data transfer of an asynchronous request, between the device and its
 * pages; may run in the timer's softirq.  Not copy_to_iter(): its hardened
 * usercopy check of the vmalloc'ed store takes the vmap area lock, which a
 * softirq must not take, as it may interrupt a holder on its own CPU.
 */
ssize_t aiodev_copy_pages(struct aiodev_rq *rq)
{
	void *data = rq->ad->data + rq->pos;
	unsigned int i;

	if (rq->write)
		aiodev_cache_write(rq->ad, rq->pos, rq->len, rq->dsync);
	for (i = 0; i < rq->nr_bvec; i++) {
		const struct bio_vec *bv = &rq->bvec[i];

		if (rq->write)
			memcpy_from_page(data, bv->bv_page, bv->bv_offset,
					 bv->bv_len);
		else
			memcpy_to_page(bv->bv_page, bv->bv_offset, data,
				       bv->bv_len);
		data += bv->bv_len;
	}
	if (rq->write)
		aiodev_cache_written(rq->ad, rq->pos, rq->len, rq->dsync);
	/* Only pages the device wrote are dirtied when released. */
	rq->dirty = !rq->write;
	return rq->len;
}

/* The data transfer, between the device and @iter: bytes moved or -EFAULT. */
ssize_t aiodev_copy(struct aiodev_rq *rq, struct iov_iter *iter)
{
	void *data = rq->ad->data + rq->pos;
	size_t done;

	if (rq->write) {
		aiodev_cache_write(rq->ad, rq->pos, rq->len, rq->dsync);
		done = copy_from_iter(data, rq->len, iter);
		aiodev_cache_written(rq->ad, rq->pos, done, rq->dsync);
	} else {
		done = copy_to_iter(data, rq->len, iter);
	}
	return done ?: -EFAULT;
}

/*
 * aiodev_exp_ns - an exponentially distributed sample of mean @mean
 *
 * -ln(u) for u uniform in (0, 1], from log2(u) in 16.16 fixed point (bit by
 * bit: squaring a number in [1, 2) gives a number >= 2 for a 1 bit).
 */
static u64 aiodev_exp_ns(u64 mean)
{
	u32 u = get_random_u32() | 1;
	unsigned int ip = ilog2(u);
	u64 x = (u64)u << (31 - ip);	/* u / 2^ip in Q31, in [1, 2) */
	u64 neg_log2;
	u32 frac = 0;
	int bit;

	for (bit = 15; bit >= 0; bit--) {
		x = (x * x) >> 31;
		if (x >= 1ULL << 32) {
			x >>= 1;
			frac |= 1U << bit;
		}
	}
	/* -log2(u / 2^32) = 32 - ip - frac / 2^16; ln 2 = 45426 / 2^16 */
	neg_log2 = ((u64)(32 - ip) << 16) - frac;
	return mul_u64_u64_shr(mean, neg_log2 * 45426, 32);
}

/* The mean service time of a read or a write. */
static u64 aiodev_latency(const struct aiodev_config *cfg, bool write)
{
	if (write && cfg->write_latency_ns != AIODEV_SAME_LATENCY)
		return cfg->write_latency_ns;
	return cfg->latency_ns;
}

/* A service time: the latency spread by jitter. */
static u64 aiodev_service_ns(const struct aiodev_config *cfg, bool write)
{
	u64 lat = aiodev_latency(cfg, write);

	switch (cfg->jitter) {
	case AIODEV_JITTER_UNIFORM:
		return mul_u64_u32_shr(2 * lat, get_random_u32(), 32);
	case AIODEV_JITTER_EXPONENTIAL:
		return aiodev_exp_ns(lat);
	default:
		return lat;
	}
}

/*
 * The end of the stall window that @t falls in, or @t: the device serves
 * nothing for stall_ns every stall_period_ns, counted from the last
 * configuration change.  @ad->lock held.
 */
static ktime_t aiodev_unstall(const struct aiodev *ad, ktime_t t)
{
	const struct aiodev_config *cfg = &ad->cfg;
	u64 phase;

	if (!cfg->stall_ns || !cfg->stall_period_ns || t < ad->stall_epoch)
		return t;
	div64_u64_rem(ktime_sub(t, ad->stall_epoch), cfg->stall_period_ns,
		      &phase);
	return phase < cfg->stall_ns ? ktime_add_ns(t, cfg->stall_ns - phase) : t;
}

/*
 * The most a timer is armed before a due time, and so the longest an
 * expiry spins (see aiodev_timer_early()).
 */
#define AIODEV_LATE_MAX_NS	(250 * NSEC_PER_USEC)

/*
 * Interrupt coalescing for a submitter that reaps: after this many
 * submissions or polls in a row have taken due requests without the timer
 * completing one on an idle CPU, the timer of their CPU's queue is only a
 * backstop, and may fire up to AIODEV_COALESCE_NS after the earliest due
 * time (its slack, in the hrtimer's terms).  Each move of a timer reprograms the CPU's
 * clock event device, which under emulation is a host event that costs
 * about what an expiry does (with timer 50 us, fio io_uring QD32, 0.8
 * moves per request, 12 us each); with the slack, a reap that leaves the
 * earliest due time within the timer's range leaves the timer alone.  The
 * first expiry that finds a request to complete on an idle CPU ends it:
 * the submitter has stopped reaping, and that request was late by at most
 * the slack.  An expiry that completes requests on a busy CPU (interrupting
 * a submitter that reaps less often than the slack, or in ksoftirqd) keeps
 * it: ending it there made the timer move at every reap again, which made
 * a slow submitter slower still.  (Under PREEMPT_RT, whose expiries never
 * run in the idle task, it lasts once begun.)
 */
#define AIODEV_COALESCE_REAPS	4
#define AIODEV_COALESCE_NS	(50 * NSEC_PER_USEC)

/* How late after its earliest due time @q's timer may fire. */
static u64 aiodev_slack(const struct aiodev_queue *q)
{
	return q->reaps >= AIODEV_COALESCE_REAPS ? AIODEV_COALESCE_NS : 0;
}

/*
 * Arm @q's timer for @next, its earliest request, at @now.  A request alone
 * in the queue of a CPU that idles at expiries has nothing else in flight to
 * hide a late wake-up, and under emulation a timer that wakes a halted CPU
 * comes tens of microseconds late: its timer is armed as early as it has
 * been firing late there (q->late_ns), or at once, and the expiry spins
 * until the request is due (see aiodev_timer_early()).  On a CPU whose
 * submitter reaps, the timer is armed with its slack, and left alone while
 * @next falls within its range.  On @q's CPU, @ad->lock held: the timer is
 * armed only so, so its expiry is stable here; its soft expiry never later
 * than @next is due.
 */
static void aiodev_arm_at(struct aiodev_queue *q,
			  struct timerqueue_node *next, ktime_t now)
{
	ktime_t at = next->expires;
	u64 slack = 0;

	if (q->idle && !rb_next(&next->node)) {
		at = max(ktime_sub_ns(at, q->late_ns), now);
	} else {
		slack = aiodev_slack(q);
		if (slack && hrtimer_is_queued(&q->timer) &&
		    hrtimer_get_softexpires(&q->timer) <= at &&
		    at <= hrtimer_get_expires(&q->timer))
			return;
	}
	hrtimer_start_range_ns(&q->timer, at, slack,
			       HRTIMER_MODE_ABS_PINNED_SOFT);
}

/*
 * Arm @q's timer for its earliest request, unless it fires by then
 * already.  On @q's CPU, @ad->lock held.
 */
static void aiodev_arm(struct aiodev_queue *q, ktime_t now)
{
	struct timerqueue_node *next = timerqueue_getnext(&q->due);

	/* KTIME_MAX: only hung requests, which no time finishes. */
	if (next && next->expires != KTIME_MAX &&
	    (!hrtimer_is_queued(&q->timer) ||
	     next->expires < hrtimer_get_softexpires(&q->timer)))
		aiodev_arm_at(q, next, now);
}

/*
 * A request takes a slot at @now: the device sets its due time, and the
 * timer fires by then.  A hung request is due when timeout_ms has passed,
 * with -ETIMEDOUT, or never.  @ad->lock held.
 */
static void aiodev_start(struct aiodev_rq *rq, ktime_t now)
{
	struct aiodev *ad = rq->ad;
	const struct aiodev_config *cfg = &ad->cfg;
	u64 service_ns = aiodev_service_ns(cfg, rq->write) + rq->spike_ns;
	ktime_t start = aiodev_unstall(ad, now);
	ktime_t due = ktime_add_ns(start, service_ns);

	trace_aiodev_start(rq, service_ns);
	if (cfg->bandwidth_mbps) {
		u64 xfer_ns = div64_u64((u64)rq->len * NSEC_PER_SEC,
					(u64)cfg->bandwidth_mbps << 20);

		ad->bus_free = ktime_add_ns(max(start, ad->bus_free), xfer_ns);
		due = max(due, ad->bus_free);
	}
	due = aiodev_unstall(ad, due);
	if (rq->hung) {
		rq->status = -ETIMEDOUT;
		due = cfg->timeout_ms ? ktime_add_ms(now, cfg->timeout_ms) :
					KTIME_MAX;
	}
	rq->due.expires = due;
	rq->state = AIODEV_RQ_IN_SERVICE;
	ad->in_service++;
	/*
	 * This CPU's queue (the lock keeps us on this CPU); re-armed only for
	 * a new earliest: no jitter, no re-arming.
	 */
	rq->q = this_cpu_ptr(ad->queues);
	if (timerqueue_add(&rq->q->due, &rq->due))
		aiodev_arm(rq->q, now);
}

/* Whether request number @seq is an "every Nth" one, or one in @percent. */
static bool aiodev_picked(u64 seq, u32 every, u32 percent)
{
	u32 rem = 1;

	if (every)
		div_u64_rem(seq, every, &rem);
	return !rem || (percent && get_random_u32_below(100) < percent);
}

/* Whether @rq touches its direction's bad range, and fails there. */
static bool aiodev_bad_range(struct aiodev *ad, struct aiodev_rq *rq)
{
	const struct aiodev_inject *inj = &ad->cfg.inject[rq->write];

	if (rq->pos >= inj->bad_end || rq->pos + rq->len <= inj->bad_start)
		return false;
	if (!inj->bad_fails)
		return true;
	if (!ad->bad_left[rq->write])
		return false;
	ad->bad_left[rq->write]--;
	return true;
}

/*
 * The fault-injection verdict for a new request: an extra delay, then an
 * error or a hang.  A NOP moves no data: it may be slow, nothing more.
 * @ad->lock held.
 */
static void aiodev_inject(struct aiodev *ad, struct aiodev_rq *rq)
{
	const struct aiodev_config *cfg = &ad->cfg;
	const struct aiodev_inject *inj = &cfg->inject[rq->write];
	u64 seq;

	if (cfg->spike_ns &&
	    aiodev_picked(++ad->spike_seq, cfg->spike_every, cfg->spike_percent))
		rq->spike_ns = cfg->spike_ns;
	if (!rq->len)
		return;
	seq = ++ad->seq[rq->write];
	if (aiodev_picked(seq, inj->every, inj->percent) ||
	    aiodev_bad_range(ad, rq))
		rq->status = -EIO;
	else if (aiodev_picked(seq, inj->hang_every, inj->hang_percent))
		rq->hung = true;
}

/**
 * aiodev_reconfigured - the configuration of @ad has changed
 * @ad: the device, @ad->lock held
 *
 * Injection counts requests, and stall windows time, from the last change.
 */
void aiodev_reconfigured(struct aiodev *ad)
{
	ad->seq[READ] = 0;
	ad->seq[WRITE] = 0;
	ad->spike_seq = 0;
	ad->bad_left[READ] = ad->cfg.inject[READ].bad_fails;
	ad->bad_left[WRITE] = ad->cfg.inject[WRITE].bad_fails;
	ad->stall_epoch = ktime_get();
}

bool aiodev_has_slot(struct aiodev *ad)
{
	return !READ_ONCE(ad->nr_waiting) &&
	       READ_ONCE(ad->in_service) < READ_ONCE(ad->cfg.queue_depth);
}

/* The device serves a request in no time (unless it hangs or spikes). */
static bool aiodev_instant(const struct aiodev_config *cfg, bool write)
{
	return !aiodev_latency(cfg, write) && !cfg->bandwidth_mbps &&
	       !cfg->stall_ns;
}

/**
 * aiodev_at_once - whether an inline-mode request would complete at once
 * @ad: the device
 * @write: its direction
 *
 * For an issuer that should not sleep for a service time, as io_uring's
 * nonblocking issue of a command: no latency, bandwidth limit or stall,
 * and no hang or spike that injection could pick.  A guess, without the
 * lock: if the configuration changes before the request is queued, its
 * issuer waits for it, as every inline-mode submitter does.
 */
bool aiodev_at_once(struct aiodev *ad, bool write)
{
	const struct aiodev_inject *inj = &ad->cfg.inject[write];

	return aiodev_instant(&ad->cfg, write) &&
	       !READ_ONCE(inj->hang_every) && !READ_ONCE(inj->hang_percent) &&
	       !READ_ONCE(ad->cfg.spike_every) &&
	       !READ_ONCE(ad->cfg.spike_percent);
}

/*
 * aiodev_queue - hand a new request to the device
 *
 * First finishes the requests that this CPU's queue has due (see
 * aiodev_reap()), unless the device completes in its worker.  Then takes
 * a free slot, or joins the waiting list; with @nowait a request that
 * would wait for a slot is refused with -EAGAIN instead.  In inline mode a
 * request whose submitter waits for it, and that the device finishes at
 * once (latency 0, unlimited bandwidth), is finished here, in the
 * submitter, without taking a slot.
 *
 * Return: 0 when queued, 1 when finished at once (nothing completes it:
 * its submitter carries on), -EAGAIN when refused.
 */
int aiodev_queue(struct aiodev_rq *rq, bool nowait)
{
	struct aiodev *ad = rq->ad;
	LIST_HEAD(done);
	int ret = 0;
	bool slot;

	rq->submitted = ktime_get();
	spin_lock_irq(&ad->lock);
	/*
	 * Not for a workqueue-mode device: its worker would still complete
	 * what a submitter reaps, woken for a few requests each time.
	 */
	if (rq->mode != AIODEV_COMPLETION_WORKQUEUE)
		aiodev_reap(ad, rq->submitted, &done);
	slot = !ad->nr_waiting && ad->in_service < ad->cfg.queue_depth;
	if (!slot && nowait) {
		spin_unlock_irq(&ad->lock);
		aiodev_complete_list(ad, &done);
		return -EAGAIN;
	}
	/* Under the lock: once queued, @rq may complete on another CPU. */
	trace_aiodev_submit(rq);
	aiodev_inject(ad, rq);
	ad->nr_hung += rq->hung;
	ad->max_in_flight = max(ad->max_in_flight,
				ad->in_service + ad->nr_waiting + 1);
	if (slot && rq->kind == AIODEV_RQ_SYNC &&
	    rq->mode == AIODEV_COMPLETION_INLINE && !rq->hung &&
	    !rq->spike_ns && aiodev_instant(&ad->cfg, rq->write)) {
		trace_aiodev_start(rq, 0);
		rq->state = AIODEV_RQ_DONE;
		ret = 1;
	} else if (slot) {
		aiodev_start(rq, rq->submitted);
	} else {
		list_add_tail(&rq->node, &ad->waiting);
		ad->nr_waiting++;
		rq->state = AIODEV_RQ_WAITING;
	}
	spin_unlock_irq(&ad->lock);
	aiodev_complete_list(ad, &done);
	return ret;
}

/* Start waiting requests while slots are free.  @ad->lock held. */
static void aiodev_start_waiting(struct aiodev *ad, ktime_t now)
{
	struct aiodev_rq *rq;

	while (ad->nr_waiting && ad->in_service < ad->cfg.queue_depth) {
		rq = list_first_entry(&ad->waiting, struct aiodev_rq, node);
		list_del(&rq->node);
		ad->nr_waiting--;
		aiodev_start(rq, now);
	}
}

/* Slots may be free: tell poll() (see aiodev_poll()). */
static void aiodev_wake_pollers(struct aiodev *ad)
{
	if (wq_has_sleeper(&ad->poll_wait))
		wake_up_poll(&ad->poll_wait,
			     EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM);
}

/*
 * A request leaves the device, finished or taken back: it is its
 * completion's now.  @ad->lock held.
 */
static void aiodev_leave(struct aiodev *ad, struct aiodev_rq *rq)
{
	if (rq->state == AIODEV_RQ_WAITING) {
		list_del(&rq->node);
		ad->nr_waiting--;
	} else {
		timerqueue_del(&rq->q->due, &rq->due);
		ad->in_service--;
	}
	ad->nr_hung -= rq->hung;
	rq->state = AIODEV_RQ_DONE;
}

static bool aiodev_pending(const struct aiodev_rq *rq)
{
	return rq->state == AIODEV_RQ_WAITING ||
	       rq->state == AIODEV_RQ_IN_SERVICE;
}

/**
 * aiodev_cancel - take back a request the device has not finished
 * @rq: a request handed to aiodev_queue()
 *
 * Safe with interrupts off (aio's cancel callback).
 *
 * Return: true if @rq was still waiting for a slot or in service: it is
 * the caller's again.  False if the device has finished it: the
 * completion path owns it.
 */
bool aiodev_cancel(struct aiodev_rq *rq)
{
	struct aiodev *ad = rq->ad;
	unsigned long flags;
	bool cancelled;

	spin_lock_irqsave(&ad->lock, flags);
	cancelled = aiodev_pending(rq);
	if (cancelled) {
		/* The timer may fire for nothing: it finds no request due. */
		aiodev_leave(ad, rq);
		if (ad->nr_waiting)
			aiodev_start_waiting(ad, ktime_get());
	}
	spin_unlock_irqrestore(&ad->lock, flags);
	if (cancelled)
		aiodev_wake_pollers(ad);
	return cancelled;
}

/*
 * Take back every request of @ad that @match picks and complete it with
 * -ECANCELED, from the worker: the caller may hold locks that completing
 * takes (aio's, for its cancel callback).  Return: how many.
 */
static unsigned int aiodev_cancel_where(struct aiodev *ad,
					bool (*match)(const struct aiodev_rq *,
						      const void *),
					const void *data)
{
	struct timerqueue_node *node, *next;
	struct aiodev_rq *rq, *tmp;
	LIST_HEAD(cancelled);
	unsigned long flags;
	unsigned int n = 0;
	int cpu;

	spin_lock_irqsave(&ad->lock, flags);
	list_for_each_entry_safe(rq, tmp, &ad->waiting, node) {
		if (match(rq, data)) {
			aiodev_leave(ad, rq);
			list_add_tail(&rq->node, &cancelled);
		}
	}
	for_each_possible_cpu(cpu) {
		struct aiodev_queue *q = per_cpu_ptr(ad->queues, cpu);

		for (node = timerqueue_getnext(&q->due); node; node = next) {
			next = timerqueue_iterate_next(node);
			rq = container_of(node, struct aiodev_rq, due);
			if (match(rq, data)) {
				aiodev_leave(ad, rq);
				list_add_tail(&rq->node, &cancelled);
			}
		}
	}
	list_for_each_entry(rq, &cancelled, node) {
		rq->status = -ECANCELED;
		n++;
	}
	if (n && ad->nr_waiting)
		aiodev_start_waiting(ad, ktime_get());
	spin_unlock_irqrestore(&ad->lock, flags);

	list_for_each_entry_safe(rq, tmp, &cancelled, node)
		aiodev_defer(rq);
	if (n)
		aiodev_wake_pollers(ad);
	return n;
}

static bool aiodev_is_iocb(const struct aiodev_rq *rq, const void *iocb)
{
	return rq->kind == AIODEV_RQ_KIOCB && rq->iocb == iocb;
}

/*
 * aio's cancel callback (io_cancel(2), io_destroy(2), exit), under aio's
 * context lock with interrupts off.  The request is looked up, not taken
 * from the kiocb: it may never have been queued, or be gone.
 */
static int aiodev_aio_cancel(struct kiocb *iocb)
{
	struct aiodev *ad = iocb->ki_filp->private_data;

	return aiodev_cancel_where(ad, aiodev_is_iocb, iocb) ? 0 : -EAGAIN;
}

struct aiodev_owner {
	struct file *file;
	fl_owner_t id;
};

static bool aiodev_is_owners_hung(const struct aiodev_rq *rq,
				  const void *owner)
{
	const struct aiodev_owner *o = owner;

	return rq->hung && rq->file == o->file && rq->owner == o->id;
}

/**
 * aiodev_flush - ->flush(): a task closes @file, or exits
 * @file: the file
 * @id: the closing task's files
 *
 * The hung requests this task submitted on @file have lost their owner:
 * they complete with -ECANCELED.  Others finish as they would.
 *
 * Return: 0.
 */
int aiodev_flush(struct file *file, fl_owner_t id)
{
	struct aiodev *ad = file->private_data;
	struct aiodev_owner owner = { file, id };

	if (READ_ONCE(ad->nr_hung))
		aiodev_cancel_where(ad, aiodev_is_owners_hung, &owner);
	return 0;
}

/**
 * aiodev_dispatch - start waiting requests while slots are free
 * @ad: the device
 *
 * For a change of queue_depth; completions start waiting requests
 * themselves.  Slots left free wake poll().
 */
void aiodev_dispatch(struct aiodev *ad)
{
	spin_lock_irq(&ad->lock);
	if (ad->nr_waiting)
		aiodev_start_waiting(ad, ktime_get());
	spin_unlock_irq(&ad->lock);
	aiodev_wake_pollers(ad);
}

/* Count a completed request: @ret is what its submitter is told. */
void aiodev_account(struct aiodev_rq *rq, ssize_t ret)
{
	struct aiodev_stats __percpu *stats = rq->ad->stats;
	u64 lat = ktime_to_ns(ktime_sub(ktime_get(), rq->submitted));
	unsigned int bucket = lat ? min(ilog2(lat), AIODEV_LAT_BUCKETS - 1) : 0;

	if (!rq->len)
		this_cpu_inc(stats->nops);
	else
		this_cpu_inc(stats->ios[rq->write]);
	if (ret < 0)
		this_cpu_inc(stats->errors[rq->write]);
	else
		this_cpu_add(stats->bytes[rq->write], ret);
	if (unlikely(rq->hung))
		this_cpu_inc(stats->hung);
	if (unlikely(ret == -ETIMEDOUT))
		this_cpu_inc(stats->timed_out);
	/* A killed waiter's taken back request returns -EINTR. */
	else if (unlikely(ret == -ECANCELED || rq->status == -ECANCELED))
		this_cpu_inc(stats->cancelled);
	if (unlikely(rq->spike_ns))
		this_cpu_inc(stats->spikes);
	this_cpu_inc(stats->lat[bucket]);
	trace_aiodev_complete(rq, ret, lat);
}

/*
 * Hand @rq to the device's worker: its completion (@rq->state
 * AIODEV_RQ_DONE) or, once it is completed, the release of its pages
 * (AIODEV_RQ_RELEASE).  In order: the worker reverses the list.
 */
static void aiodev_defer(struct aiodev_rq *rq)
{
	struct aiodev *ad = rq->ad;

	if (llist_add(&rq->defer, &ad->deferred))
		queue_work(ad->wq, &ad->defer_work);
}

static void aiodev_defer_work(struct work_struct *work)
{
	struct aiodev *ad = container_of(work, struct aiodev, defer_work);
	struct llist_node *list = llist_del_all(&ad->deferred);
	struct aiodev_rq *rq, *next;

	llist_for_each_entry_safe(rq, next, llist_reverse_order(list), defer) {
		if (rq->state == AIODEV_RQ_RELEASE) {
			aiodev_release_pages(rq, true);
			aiodev_rq_free(rq);
		} else {
			aiodev_complete(rq, true);
		}
	}
}

/*
 * aiodev_complete - the device has finished @rq
 *
 * Runs where the completion mode says: in the timer's softirq or a
 * submitter or poller that reaps it (timer, inline), or in the device's
 * worker (workqueue), which alone passes @may_sleep.  Its slot is free
 * already.  Moves an asynchronous request's data, then tells the waiter or
 * the kiocb's owner.
 */
static void aiodev_complete(struct aiodev_rq *rq, bool may_sleep)
{
	ssize_t ret = rq->status;

	switch (rq->kind) {
	case AIODEV_RQ_SYNC:
		/*
		 * Accounted by its waiter, which moves its data; @rq may be
		 * gone once the waiter wakes.
		 */
		complete(&rq->done);
		return;
	case AIODEV_RQ_CMD:
		/* Accounted when its data has moved, in its task. */
		aiodev_uring_complete(rq);
		return;
	case AIODEV_RQ_KIOCB:
		break;
	}

	if (!ret)
		ret = aiodev_copy_pages(rq);
	aiodev_account(rq, ret);
	if (ret > 0)
		rq->iocb->ki_pos += ret;
	rq->iocb->ki_complete(rq->iocb, ret);
	if (!aiodev_release_pages(rq, may_sleep)) {
		rq->state = AIODEV_RQ_RELEASE;
		aiodev_defer(rq);
		return;
	}
	aiodev_rq_free(rq);
}

/*
 * An asynchronous kiocb copies its data when it completes: above this size
 * the timer's softirq, or a submission or poll that reaps it, leaves that
 * copy to the workqueue.
 */
#define AIODEV_SOFTIRQ_COPY_MAX	SZ_1M

/*
 * Take @q's requests that are due at @now out of the device, onto @done,
 * and start waiting requests in the slots they free.  On @q's CPU,
 * @ad->lock held.
 */
static void aiodev_take_due(struct aiodev *ad, struct aiodev_queue *q,
			    ktime_t now, struct list_head *done)
{
	struct timerqueue_node *next;
	struct aiodev_rq *rq;

	while ((next = timerqueue_getnext(&q->due)) && next->expires <= now) {
		rq = container_of(next, struct aiodev_rq, due);
		aiodev_leave(ad, rq);
		list_add_tail(&rq->node, done);
	}
	aiodev_start_waiting(ad, now);
}

/*
 * A submitter, or a poller (aiodev_poll_due()), finishes what its CPU's
 * queue has due at @now, its time before the lock, as a driver reaps its
 * completion queue when it submits or polls: no interrupt for those.  The
 * timer, armed for the earliest of them, moves to the earliest left.
 * @ad->lock held.
 */
static void aiodev_reap(struct aiodev *ad, ktime_t now,
			struct list_head *done)
{
	struct aiodev_queue *q = this_cpu_ptr(ad->queues);
	struct timerqueue_node *next;

	next = timerqueue_getnext(&q->due);
	if (!next || next->expires > now)
		return;
	/*
	 * The time under the lock: a request that joined the waiting list
	 * after @now must not start before it was submitted.
	 */
	aiodev_take_due(ad, q, ktime_get(), done);
	/* A busy CPU: no early timer, whose expiries would find it busy. */
	q->idle = false;
	if (q->reaps < U8_MAX)
		q->reaps++;
	next = timerqueue_getnext(&q->due);
	if (next && next->expires != KTIME_MAX)
		aiodev_arm_at(q, next, now);
	else
		hrtimer_try_to_cancel(&q->timer);
}

/*
 * Complete the requests on @done, in order, outside the lock, and tell
 * poll() about the slots they freed.  Never sleeps.
 */
static void aiodev_complete_list(struct aiodev *ad, struct list_head *done)
{
	struct aiodev_rq *rq, *tmp;

	if (list_empty(done))
		return;
	/* Once completed, a request may be freed: _safe. */
	list_for_each_entry_safe(rq, tmp, done, node) {
		if (rq->mode == AIODEV_COMPLETION_WORKQUEUE ||
		    (rq->kind == AIODEV_RQ_KIOCB &&
		     rq->len > AIODEV_SOFTIRQ_COPY_MAX))
			aiodev_defer(rq);
		else
			aiodev_complete(rq, false);
	}
	INIT_LIST_HEAD(done);
	aiodev_wake_pollers(ad);
}

/*
 * aiodev_timer_early - the start of an expiry of @q's timer, on its CPU
 *
 * An expiry that woke the CPU from idle measures how late the timer fires,
 * and whether the CPU was idle tells how to arm the timer next (see
 * aiodev_arm_at()).  A timer armed early may fire before the earliest
 * request is due: on a CPU that was idle and has nothing else to run, the
 * expiry spins until it is, if it is due within q->late_ns, as a driver
 * polls for a completion it expects within microseconds (or until it is
 * taken back); else (a busy CPU, a request further off, or a task that
 * wants the CPU meanwhile) it re-arms the timer for that due time.  Under
 * PREEMPT_RT the timer runs in a thread, never in the idle task: no spin,
 * no early timer.
 *
 * Return: true to go on and finish what is due; false when the expiry ends
 * here (the timer re-armed, unless only hung requests remain).
 */
static bool aiodev_timer_early(struct aiodev_queue *q)
{
	struct aiodev *ad = q->ad;
	bool idle = is_idle_task(current);
	struct timerqueue_node *next;
	ktime_t now = ktime_get();
	ktime_t due;
	bool early;
	s64 late;

	spin_lock_irq(&ad->lock);
	if (idle) {
		late = ktime_to_ns(ktime_sub(now, hrtimer_get_expires(&q->timer)));
		late = clamp_t(s64, late, 0, AIODEV_LATE_MAX_NS);
		q->late_ns = (7 * (u64)q->late_ns + late) / 8;
	}
	q->idle = idle;
	next = timerqueue_getnext(&q->due);
	early = next && ktime_before(now, next->expires);
	if (early && idle &&
	    ktime_to_ns(ktime_sub(next->expires, now)) <= q->late_ns) {
		due = next->expires;
		spin_unlock_irq(&ad->lock);
		while (!need_resched() && ktime_before(ktime_get(), due) &&
		       /* Racy on purpose: a request taken back ends it. */
		       data_race(timerqueue_getnext(&q->due)) == next)
			cpu_relax();
		spin_lock_irq(&ad->lock);
		/* Unless something else wants the CPU: the timer will do. */
		next = timerqueue_getnext(&q->due);
		early = next && ktime_before(ktime_get(), next->expires);
	}
	if (early && next->expires != KTIME_MAX)
		hrtimer_start_range_ns(&q->timer, next->expires,
				       aiodev_slack(q),
				       HRTIMER_MODE_ABS_PINNED_SOFT);
	spin_unlock_irq(&ad->lock);
	return !early;
}

/* Rounds of an expiry that finds requests due (see aiodev_timer_fn()). */
#define AIODEV_TIMER_ROUNDS	4

/*
 * The device's timer: the requests in service that are due now leave their
 * slots, waiting requests take them, and the finished requests complete
 * outside the lock, in the order they finished.  Completing takes time, in
 * which more requests fall due: the expiry takes those too, as an interrupt
 * handler reaps what the hardware posted while it ran, instead of arming
 * the timer for them (another interrupt and softirq, each late under
 * emulation).  Bounded, so that a device that finishes requests as fast as
 * they come (latency 0) does not keep the softirq: the timer is armed for
 * what remains after the last round.
 */
static enum hrtimer_restart aiodev_timer_fn(struct hrtimer *timer)
{
	struct aiodev_queue *q = container_of(timer, struct aiodev_queue, timer);
	struct aiodev *ad = q->ad;
	unsigned int round = 0;
	LIST_HEAD(done);
	ktime_t now;
	bool more;

	if (!aiodev_timer_early(q))
		return HRTIMER_NORESTART;
	do {
		spin_lock_irq(&ad->lock);
		now = ktime_get();
		aiodev_take_due(ad, q, now, &done);
		/*
		 * An idle CPU: its submitter has stopped reaping, so no
		 * coalescing.  On a busy one it is only slower than the slack.
		 */
		if (!list_empty(&done) && is_idle_task(current))
			q->reaps = 0;
		more = !list_empty(&done) && ++round < AIODEV_TIMER_ROUNDS;
		if (!more)
			aiodev_arm(q, now);
		spin_unlock_irq(&ad->lock);
		aiodev_complete_list(ad, &done);
	} while (more);
	return HRTIMER_NORESTART;
}

/*
 * Queue a request and wait until the device finishes it: 0 when it has
 * (its data not moved yet), -EAGAIN (not queued) or -EINTR (killed).  The
 * device has let go of @rq on return, whatever happened.
 */
static int aiodev_queue_wait(struct aiodev_rq *rq, bool nowait)
{
	int ret;

	rq->kind = AIODEV_RQ_SYNC;
	init_completion(&rq->done);
	ret = aiodev_queue(rq, nowait);
	if (ret)
		return min(ret, 0);	/* refused, or finished at once */
	if (!wait_for_completion_killable(&rq->done))
		return 0;
	/*
	 * Killed: take it back, or, if the device has finished it, wait for
	 * its completion, which is on its way (in the timer, the worker or a
	 * submission or poll that reaped it).
	 */
	if (aiodev_cancel(rq))
		rq->status = -ECANCELED;
	else
		wait_for_completion(&rq->done);
	return -EINTR;
}

/**
 * aiodev_sync_io - a request its submitter waits for
 * @rq: a new request, the caller's again on return
 * @iter: where its data goes to or comes from, in the submitter's context
 * @nowait: refuse with -EAGAIN rather than wait for a slot
 *
 * Queues @rq, waits until the device has finished it, then moves the data.
 *
 * Return: bytes moved, or -errno.
 */
ssize_t aiodev_sync_io(struct aiodev_rq *rq, struct iov_iter *iter,
		       bool nowait)
{
	ssize_t ret = aiodev_queue_wait(rq, nowait);

	if (ret == -EAGAIN)
		return ret;
	if (!ret)
		ret = rq->status ?: rq->len ? aiodev_copy(rq, iter) : 0;
	aiodev_account(rq, ret);
	return ret;
}

/* The device completes the request; ki_complete() reports it. */
static ssize_t aiodev_rw_async(struct aiodev_rq *rq, struct kiocb *iocb,
			       struct iov_iter *iter, bool nowait)
{
	int ret;

	rq->kind = AIODEV_RQ_KIOCB;
	rq->iocb = iocb;
	ret = aiodev_take_pages(rq, iter);
	if (!ret) {
		/*
		 * io_cancel(2) and io_destroy(2) reach legacy aio's requests
		 * (only those: the callback assumes an aio kiocb); before the
		 * queue, which may complete the kiocb at once.
		 */
		if (iocb->ki_flags & IOCB_AIO_RW)
			kiocb_set_cancel_fn(iocb, aiodev_aio_cancel);
		ret = aiodev_queue(rq, nowait);
		if (!ret)
			return -EIOCBQUEUED;
		aiodev_release_pages(rq, true);
		iov_iter_revert(iter, rq->len);
	}
	aiodev_rq_free(rq);
	return ret;
}

static ssize_t aiodev_rw(struct kiocb *iocb, struct iov_iter *iter,
			 bool write)
{
	struct file *file = iocb->ki_filp;
	struct aiodev *ad = file->private_data;
	bool nowait = (iocb->ki_flags & IOCB_NOWAIT) ||
		      (file->f_flags & O_NONBLOCK);
	size_t count = iov_iter_count(iter);
	loff_t pos = iocb->ki_pos;
	struct aiodev_rq stack_rq, *rq = &stack_rq;
	enum aiodev_completion mode;
	bool sync;
	ssize_t ret;

	/* The VFS has checked the range (rw_verify_area); every path relies on it. */
	if (pos < 0 || count > LLONG_MAX - pos)
		return -EINVAL;
	if (!count)
		return 0;
	if (pos >= ad->size)
		return write ? -ENOSPC : 0;

	/*
	 * The submitter waits for the request and moves the data itself, or
	 * the device completes the kiocb and the request outlives this call.
	 * NOWAIT refuses only what poll() can end: the wait for a slot.
	 */
	mode = READ_ONCE(ad->cfg.completion);
	sync = is_sync_kiocb(iocb) || mode == AIODEV_COMPLETION_INLINE;
	if (sync) {
		aiodev_rq_init(rq, file);
	} else {
		rq = aiodev_rq_alloc(file, GFP_KERNEL);
		if (!rq)
			return -ENOMEM;
	}
	rq->write = write;
	rq->dsync = write && (iocb->ki_flags & IOCB_DSYNC);
	rq->pos = pos;
	rq->len = min_t(u64, count, ad->size - pos);
	rq->mode = mode;
	if (sync) {
		ret = aiodev_sync_io(rq, iter, nowait);
		if (ret > 0)
			iocb->ki_pos += ret;
	} else {
		ret = aiodev_rw_async(rq, iocb, iter, nowait);
	}
	if (ret == -EAGAIN)
		this_cpu_inc(ad->stats->eagain);
	return ret;
}

ssize_t aiodev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return aiodev_rw(iocb, to, false);
}

ssize_t aiodev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return aiodev_rw(iocb, from, true);
}

/**
 * aiodev_poll_due - a poller finishes what its CPU's queue has due
 * @ad: the device
 *
 * On a polled ring (IORING_SETUP_IOPOLL) the polling task asks the device
 * for completions, as a driver's poll reaps its completion queue: what is
 * due on this CPU's queue completes here, without waiting for the timer's
 * interrupt, which under emulation comes tens of microseconds late.  The
 * timer still completes what no poll reached first.  The timer moves to
 * the earliest request left.  Not in workqueue mode, whose worker
 * completes (see aiodev_queue()).  Process context (the polling task, its
 * SQPOLL thread, or io_uring's exit work); does not sleep, but for
 * @ad->lock on PREEMPT_RT.
 *
 * Return: the number of requests taken from the device, of any task
 * (completed here, or handed to the worker as aiodev_complete_list() says).
 */
int aiodev_poll_due(struct aiodev *ad)
{
	struct aiodev_queue *q = raw_cpu_ptr(ad->queues);
	struct aiodev_rq *rq;
	LIST_HEAD(done);
	ktime_t now;
	int n = 0;

	/*
	 * A look without the lock, as a driver peeks at its completion
	 * queue before it locks it: an empty queue, or a timer armed for
	 * later (see struct aiodev_queue), has nothing due.  A stale look
	 * costs one needless lock, or leaves a request to the next poll or
	 * the timer.  A queue of hung requests only, which no timer is armed
	 * for, costs a lock per poll.
	 */
	if (READ_ONCE(ad->cfg.completion) == AIODEV_COMPLETION_WORKQUEUE ||
	    RB_EMPTY_ROOT(&q->due.rb_root.rb_root))
		return 0;
	now = ktime_get();
	if (hrtimer_is_queued(&q->timer) &&
	    /* Racy on purpose, as said above. */
	    ktime_before(now, data_race(hrtimer_get_softexpires(&q->timer))))
		return 0;
	spin_lock_irq(&ad->lock);
	aiodev_reap(ad, now, &done);
	spin_unlock_irq(&ad->lock);
	list_for_each_entry(rq, &done, node)
		n++;
	aiodev_complete_list(ad, &done);
	return n;
}

/**
 * aiodev_iopoll - ->iopoll(): poll for completions of a polled kiocb
 * @iocb: an O_DIRECT kiocb on a polled ring (IOCB_HIPRI)
 * @iob: unused: io_uring's ki_complete for polled kiocbs only marks them
 *	done
 * @flags: unused
 *
 * Return: the number of requests taken (see aiodev_poll_due()).
 */
int aiodev_iopoll(struct kiocb *iocb, struct io_comp_batch *iob,
		  unsigned int flags)
{
	return aiodev_poll_due(iocb->ki_filp->private_data);
}

/**
 * aiodev_io_setup - the request path's part of a new device
 * @ad: the device, zeroed
 *
 * Return: 0, or -ENOMEM.
 */
int aiodev_io_setup(struct aiodev *ad)
{
	int cpu;

	ad->queues = alloc_percpu(struct aiodev_queue);
	if (!ad->queues)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct aiodev_queue *q = per_cpu_ptr(ad->queues, cpu);

		q->ad = ad;
		timerqueue_init_head(&q->due);
		aiodev_hrtimer_setup(&q->timer, aiodev_timer_fn,
				     CLOCK_MONOTONIC,
				     HRTIMER_MODE_ABS_PINNED_SOFT);
	}
	spin_lock_init(&ad->lock);
	INIT_LIST_HEAD(&ad->waiting);
	init_llist_head(&ad->deferred);
	INIT_WORK(&ad->defer_work, aiodev_defer_work);
	init_waitqueue_head(&ad->poll_wait);
	atomic_set(&ad->nr_rqs, 0);
	aiodev_cache_init(&ad->cache);
	aiodev_reconfigured(ad);
	return 0;
}

/**
 * aiodev_drain - wait until no request of @ad remains
 * @ad: the device, whose files are all closed
 *
 * A request can outlive its file: the kiocb's owner may drop the file once
 * ki_complete() has run, while a timer or the worker still releases pages.
 * After the last request is freed, hrtimer_cancel() waits out the timer
 * that may have freed it; the caller's destroy_workqueue() waits out the
 * worker.  A submission that reaped it holds a file of the device, and
 * so does a poll (of the kiocb or command it polls for).
 */
void aiodev_drain(struct aiodev *ad)
{
	int cpu;

	wait_var_event(&ad->nr_rqs, !atomic_read(&ad->nr_rqs));
	for_each_possible_cpu(cpu)
		hrtimer_cancel(&per_cpu_ptr(ad->queues, cpu)->timer);
}

/* Undo aiodev_io_setup(), once aiodev_drain() has. */
void aiodev_io_destroy(struct aiodev *ad)
{
	free_percpu(ad->queues);
}

int aiodev_io_init(void)
{
	aiodev_rq_cache = KMEM_CACHE(aiodev_rq, 0);
	return aiodev_rq_cache ? 0 : -ENOMEM;
}

void aiodev_io_exit(void)
{
	kmem_cache_destroy(aiodev_rq_cache);
}
