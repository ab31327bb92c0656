/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiodev: an asynchronous I/O character device emulating hardware.
 * Internal definitions shared by the module's files.
 */
#ifndef AIODEV_H
#define AIODEV_H

#include <linux/bvec.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timerqueue.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

/* The passthrough ABI; also enum aiodev_completion and enum aiodev_jitter. */
#include <uapi/linux/aiodev.h>

struct io_uring_cmd;
struct io_comp_batch;

/* Fault injection for one direction. */
struct aiodev_inject {
	u32 every;		/* every Nth request fails with -EIO, 0: off */
	u32 percent;		/* this percentage of requests fails */
	u64 bad_start;		/* requests touching [bad_start, bad_end) fail */
	u64 bad_end;		/* bad_start == bad_end: no bad range */
	u32 bad_fails;		/* only the range's first N accesses fail; 0: all */
	u32 hang_every;		/* every Nth request hangs, 0: off */
	u32 hang_percent;	/* this percentage of requests hangs */
};

/* write_latency_ns when writes take latency_ns (sysfs: "same"). */
#define AIODEV_SAME_LATENCY	U64_MAX

/* The emulated hardware: what sysfs and the module parameters set. */
struct aiodev_config {
	u64 latency_ns;
	u64 write_latency_ns;	/* or AIODEV_SAME_LATENCY */
	enum aiodev_jitter jitter;
	u32 bandwidth_mbps;	/* MiB/s, 0: unlimited */
	u32 queue_depth;	/* requests in service at once */
	enum aiodev_completion completion;
	u32 timeout_ms;		/* a hung request fails after it; 0: never */
	u64 cache_size;		/* bytes of volatile write cache; 0: none */
	struct aiodev_inject inject[2];	/* [READ], [WRITE] */
	u32 spike_every;	/* every Nth request takes spike_ns more */
	u32 spike_percent;	/* this percentage of requests does */
	u64 spike_ns;
	u64 stall_ns;		/* the device serves nothing for stall_ns */
	u64 stall_period_ns;	/* every stall_period_ns; 0: never */
};

#define AIODEV_MAX_LATENCY_NS	(10ULL * NSEC_PER_SEC)
#define AIODEV_MAX_BANDWIDTH	SZ_1M		/* MiB/s */
#define AIODEV_MAX_QUEUE_DEPTH	4096U
#define AIODEV_MAX_TIMEOUT_MS	(3600U * MSEC_PER_SEC)
#define AIODEV_MAX_STALL_NS	(3600ULL * NSEC_PER_SEC)
#define AIODEV_LAT_BUCKETS	40	/* log2 buckets of ns, up to ~18 min */

/* Per-CPU counters of completed requests. */
struct aiodev_stats {
	u64 ios[2];		/* [READ], [WRITE] */
	u64 bytes[2];
	u64 errors[2];
	u64 eagain;		/* requests refused with -EAGAIN */
	u64 nops;		/* AIODEV_URING_CMD_NOP: no data, no direction */
	u64 hung;		/* requests that hung */
	u64 timed_out;		/* hung requests that failed with -ETIMEDOUT */
	u64 cancelled;		/* requests taken back before the device finished */
	u64 spikes;		/* requests that took spike_ns more */
	u64 flushes;		/* volatile write cache flushes */
	u64 lost_bytes;		/* bytes of the cache that power cuts discarded */
	u64 lat[AIODEV_LAT_BUCKETS];	/* bucket i: [2^i, 2^(i+1)) ns */
};

/*
 * The volatile write cache, as an undo log: the store always holds the
 * newest data (reads see the cache), and @saved holds, for every block
 * written since the last flush, what it held then, what a power cut
 * brings back.  aiodev_cache.c.
 */
struct aiodev_cache {
	spinlock_t lock;	/* @saved, @nr; taken with interrupts off */
	struct xarray saved;	/* block index -> its flushed contents */
	unsigned long nr;	/* blocks in @saved */
};

#define AIODEV_CACHE_BLOCK	PAGE_SIZE

/**
 * struct aiodev_queue - where a CPU's requests in service wait: one per
 *	device and CPU, so that a request completes on the CPU that started
 *	it (the submitter's, mostly), as blk-mq completes on the submitting
 *	CPU, and two CPUs submitting share the completion work
 * @ad: the device
 * @timer: fires, on this CPU, at the earliest due time in @due, up to
 *	@late_ns before it for a request alone there, or up to its slack
 *	after it while submissions reap (see aiodev_slack()) (armed, moved
 *	and cancelled under @ad->lock, on this CPU only; but when this CPU
 *	goes offline, the hrtimer core moves its timers to a CPU still
 *	online, where this one's expiries finish what is left and re-arm it,
 *	until this CPU, back online, arms it again).  While queued, its soft
 *	expiry is never later than the earliest due time in @due, which
 *	aiodev_poll_due() relies on when it looks without the lock
 * @due: the requests in service this CPU started, by due time (under
 *	@ad->lock); a submission, or a poll of a polled ring, on this CPU
 *	takes those due first
 * @late_ns: how late @timer has fired when it woke this CPU from idle: a
 *	moving average, at most AIODEV_LATE_MAX_NS (under @ad->lock)
 * @idle: @timer's last expiry, early or not, found this CPU idle, and no
 *	submission or poll has taken a due request since; a lone request's
 *	timer is then armed @late_ns early (under @ad->lock)
 * @reaps: submissions and polls on this CPU that took due requests since
 *	@timer last completed one with this CPU idle, at most U8_MAX (under
 *	@ad->lock)
 */
struct aiodev_queue {
	struct aiodev *ad;
	struct hrtimer timer;
	struct timerqueue_head due;
	u32 late_ns;
	bool idle;
	u8 reaps;
};

/**
 * struct aiodev - one /dev/aiodevN
 * @index: N
 * @size: capacity in bytes, fixed at creation
 * @data: @size bytes of backing store, zeroed at creation.  Not locked:
 *	concurrent I/O to overlapping ranges sees an undefined mix of the
 *	data, as it would on hardware.
 * @dev: the class device, /sys/class/aiodev/aiodevN
 * @wq: runs @defer_work
 * @deferred: requests for @defer_work: completions in workqueue mode and
 *	of large requests, pages to release that must be dirtied
 * @defer_work: works through @deferred, in process context
 * @queues: per CPU, the requests in service that CPU started
 * @stats: per-CPU counters
 * @poll_wait: woken when a queue slot frees, for poll()
 * @nr_rqs: requests allocated; the device is not freed before it is 0
 * @lock: protects @cfg (writers; the submit path reads it under @lock),
 *	@waiting, @nr_waiting, @queues (their timerqueues and the arming of
 *	their timers), @in_service, @bus_free, @max_in_flight, @nr_hung,
 *	@seq, @spike_seq, @bad_left, @stall_epoch, and the state of every
 *	request.  Taken with interrupts off: from process context, the
 *	timers' softirq callback, and aio's cancel callback (under aio's own
 *	lock, with interrupts off).  The hrtimer's base lock nests inside it.
 * @cfg: the emulated hardware
 * @waiting: requests waiting for a queue slot, oldest first
 * @nr_waiting: length of @waiting
 * @in_service: requests holding a queue slot (in a queue of @queues)
 * @bus_free: when the shared transfer bus is next idle (bandwidth model)
 * @max_in_flight: highest @nr_waiting + @in_service seen
 * @nr_hung: hung requests waiting or in service
 * @seq: requests submitted per direction since the last change of @cfg
 *	(for inject.every and inject.hang_every)
 * @spike_seq: requests submitted since the last change (spike_every)
 * @bad_left: accesses of inject.bad_start..bad_end left to fail, when
 *	inject.bad_fails is set (from the last change)
 * @stall_epoch: when stall windows start (the last change)
 * @cache: the volatile write cache
 */
struct aiodev {
	unsigned int index;
	loff_t size;
	void *data;
	struct device *dev;
	struct workqueue_struct *wq;
	struct llist_head deferred;
	struct work_struct defer_work;
	struct aiodev_queue __percpu *queues;
	struct aiodev_stats __percpu *stats;
	wait_queue_head_t poll_wait;
	atomic_t nr_rqs;

	spinlock_t lock;	/* see above */
	struct aiodev_config cfg;
	struct list_head waiting;
	unsigned int nr_waiting;
	unsigned int in_service;
	ktime_t bus_free;
	unsigned int max_in_flight;
	unsigned int nr_hung;
	u64 seq[2];
	u64 spike_seq;
	u32 bad_left[2];
	ktime_t stall_epoch;

	struct aiodev_cache cache;
};

enum aiodev_rq_kind {
	AIODEV_RQ_SYNC,		/* a task waits on @done and copies */
	AIODEV_RQ_KIOCB,	/* async kiocb, user pages in @bvec */
	AIODEV_RQ_CMD,		/* io_uring passthrough, buffer in @iter or @bvec */
};

/* Where a request is; changed under @ad->lock until AIODEV_RQ_DONE. */
enum aiodev_rq_state {
	AIODEV_RQ_NEW,		/* not queued yet */
	AIODEV_RQ_WAITING,	/* on @ad->waiting */
	AIODEV_RQ_IN_SERVICE,	/* holds a slot, in @q->due */
	AIODEV_RQ_DONE,		/* finished or taken back: its completion's */
	AIODEV_RQ_RELEASE,	/* completed, its pages left to the worker */
};

/* Pages a request keeps in itself (more are allocated): 16 KiB. */
#define AIODEV_INLINE_BVECS	4

/**
 * struct aiodev_rq - one request, from submission to completion
 * @ad: the device
 * @node: in @ad->waiting while it waits for a slot; then in the list of
 *	finished requests of the timer, submission or poll that took it
 * @q: the queue it is in while in service
 * @due: in @q->due while in service; @due.expires is its due time
 * @defer: in @ad->deferred
 * @state: an enum aiodev_rq_state
 * @kind: who waits for it and where its data goes
 * @mode: the completion mode when it was submitted
 * @write: direction
 * @pos: device offset
 * @len: bytes to move (within the device)
 * @status: 0, or the error it completes with
 * @hung: the device will not finish it: it waits for a cancellation, its
 *	owner to close the file, or timeout_ms
 * @dsync: a write that bypasses the volatile write cache
 * @spike_ns: extra service time (inject spike_*)
 * @file: the file it was submitted on
 * @owner: the submitter's files (->flush() of a hung request's owner)
 * @submitted: submission time, for the latency histogram
 * @done: AIODEV_RQ_SYNC: completed when the request is; its waiter keeps
 *	@rq (on its stack) until the device has let go of it
 * @iocb: AIODEV_RQ_KIOCB: the caller's kiocb
 * @bvec: AIODEV_RQ_KIOCB, and AIODEV_RQ_CMD with @iopoll and a user buffer:
 *	the user's pages, taken at submission (@inline_bvec or allocated)
 * @nr_bvec: entries in @bvec
 * @release: the pages of @bvec hold a pin or reference to drop
 * @dirty: the pages were written by the device (a read)
 * @ioucmd: AIODEV_RQ_CMD: the io_uring command
 * @iter: AIODEV_RQ_CMD: its buffer (user memory or a registered buffer)
 * @iopoll: AIODEV_RQ_CMD: on a polled ring, completed by the poller
 * @polled: AIODEV_RQ_CMD with @iopoll: the device has finished it
 * @inline_bvec: @bvec of a small request
 */
struct aiodev_rq {
	struct aiodev *ad;
	struct list_head node;
	struct aiodev_queue *q;
	struct timerqueue_node due;
	struct llist_node defer;
	enum aiodev_rq_state state;
	enum aiodev_rq_kind kind;
	enum aiodev_completion mode;
	bool write;
	loff_t pos;
	size_t len;
	int status;
	bool hung;
	bool dsync;
	u64 spike_ns;
	struct file *file;
	fl_owner_t owner;
	ktime_t submitted;
	struct completion done;
	struct kiocb *iocb;
	struct bio_vec *bvec;
	unsigned int nr_bvec;
	bool release;
	bool dirty;
	struct io_uring_cmd *ioucmd;
	struct iov_iter iter;
	bool iopoll;
	bool polled;
	struct bio_vec inline_bvec[AIODEV_INLINE_BVECS];
};

/* aiodev_io.c */
int aiodev_io_init(void);
void aiodev_io_exit(void);
ssize_t aiodev_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t aiodev_write_iter(struct kiocb *iocb, struct iov_iter *from);
int aiodev_iopoll(struct kiocb *iocb, struct io_comp_batch *iob,
		  unsigned int flags);
int aiodev_poll_due(struct aiodev *ad);
bool aiodev_has_slot(struct aiodev *ad);
void aiodev_dispatch(struct aiodev *ad);
int aiodev_io_setup(struct aiodev *ad);
void aiodev_io_destroy(struct aiodev *ad);
void aiodev_drain(struct aiodev *ad);
void aiodev_rq_init(struct aiodev_rq *rq, struct file *file);
struct aiodev_rq *aiodev_rq_alloc(struct file *file, gfp_t gfp);
void aiodev_rq_free(struct aiodev_rq *rq);
int aiodev_queue(struct aiodev_rq *rq, bool nowait);
bool aiodev_at_once(struct aiodev *ad, bool write);
ssize_t aiodev_sync_io(struct aiodev_rq *rq, struct iov_iter *iter,
		       bool nowait);
bool aiodev_cancel(struct aiodev_rq *rq);
int aiodev_flush(struct file *file, fl_owner_t id);
void aiodev_reconfigured(struct aiodev *ad);
ssize_t aiodev_copy(struct aiodev_rq *rq, struct iov_iter *iter);
int aiodev_take_pages(struct aiodev_rq *rq, struct iov_iter *iter);
ssize_t aiodev_copy_pages(struct aiodev_rq *rq);
bool aiodev_release_pages(struct aiodev_rq *rq, bool may_sleep);
void aiodev_account(struct aiodev_rq *rq, ssize_t ret);

/* aiodev_cache.c */
void aiodev_cache_init(struct aiodev_cache *cache);
void aiodev_cache_write(struct aiodev *ad, loff_t pos, size_t len, bool dsync);
void aiodev_cache_written(struct aiodev *ad, loff_t pos, size_t len,
			  bool dsync);
void aiodev_cache_flush(struct aiodev *ad);
void aiodev_cache_power_cut(struct aiodev *ad);
u64 aiodev_cache_dirty(struct aiodev *ad);
void aiodev_cache_destroy(struct aiodev *ad);

/* aiodev_uring.c */
int aiodev_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
int aiodev_uring_iopoll(struct io_uring_cmd *ioucmd, struct io_comp_batch *iob,
			unsigned int poll_flags);
void aiodev_uring_complete(struct aiodev_rq *rq);

/* aiodev_sysfs.c */
extern const struct attribute_group *aiodev_groups[];
int aiodev_cfg_set_param(struct aiodev_config *cfg, const char *name,
			 const char *val);
int aiodev_cfg_get_param(const struct aiodev_config *cfg, const char *name,
			 char *buf);
bool aiodev_cfg_valid(const struct aiodev_config *cfg);

#endif /* AIODEV_H */
