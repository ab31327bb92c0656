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
#include <linux/refcount.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timerqueue.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* The passthrough ABI; also enum aiodev_completion and enum aiodev_jitter. */
#include <uapi/linux/aiodev.h>

struct io_uring_cmd;
struct io_comp_batch;

/* Error injection for one direction: requests fail with -EIO. */
struct aiodev_inject {
	u32 every;		/* every Nth request, 0: off */
	u32 percent;		/* this percentage of requests */
	u64 bad_start;		/* requests touching [bad_start, bad_end) */
	u64 bad_end;		/* bad_start == bad_end: no bad range */
};

/* The emulated hardware: what sysfs and the module parameters set. */
struct aiodev_config {
	u64 latency_ns;
	enum aiodev_jitter jitter;
	u32 bandwidth_mbps;	/* MiB/s, 0: unlimited */
	u32 queue_depth;	/* requests in service at once */
	enum aiodev_completion completion;
	struct aiodev_inject inject[2];	/* [READ], [WRITE] */
};

#define AIODEV_MAX_LATENCY_NS	(10ULL * NSEC_PER_SEC)
#define AIODEV_MAX_BANDWIDTH	SZ_1M		/* MiB/s */
#define AIODEV_MAX_QUEUE_DEPTH	4096U
#define AIODEV_LAT_BUCKETS	40	/* log2 buckets of ns, up to ~18 min */

/* Per-CPU counters of completed requests. */
struct aiodev_stats {
	u64 ios[2];		/* [READ], [WRITE] */
	u64 bytes[2];
	u64 errors[2];
	u64 eagain;		/* requests refused with -EAGAIN */
	u64 nops;		/* AIODEV_URING_CMD_NOP: no data, no direction */
	u64 lat[AIODEV_LAT_BUCKETS];	/* bucket i: [2^i, 2^(i+1)) ns */
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
 * @timer: fires at the earliest due time in @due (armed under @lock)
 * @stats: per-CPU counters
 * @poll_wait: woken when a queue slot frees, for poll()
 * @nr_rqs: requests allocated; the device is not freed before it is 0
 * @lock: protects @cfg (writers; the submit path reads it under @lock),
 *	@waiting, @nr_waiting, @due, @in_service, @bus_free,
 *	@max_in_flight, @seq, the state of every request, and the arming of
 *	@timer.  Taken from process context with bottom halves off and from
 *	the timer's softirq callback.
 * @cfg: the emulated hardware
 * @waiting: requests waiting for a queue slot, oldest first
 * @nr_waiting: length of @waiting
 * @due: requests holding a queue slot, by due time
 * @in_service: requests in @due
 * @bus_free: when the shared transfer bus is next idle (bandwidth model)
 * @max_in_flight: highest @nr_waiting + @in_service seen
 * @seq: requests submitted per direction since the last change of @cfg
 *	(for inject.every)
 */
struct aiodev {
	unsigned int index;
	loff_t size;
	void *data;
	struct device *dev;
	struct workqueue_struct *wq;
	struct llist_head deferred;
	struct work_struct defer_work;
	struct hrtimer timer;
	struct aiodev_stats __percpu *stats;
	wait_queue_head_t poll_wait;
	atomic_t nr_rqs;

	spinlock_t lock;	/* see above */
	struct aiodev_config cfg;
	struct list_head waiting;
	unsigned int nr_waiting;
	struct timerqueue_head due;
	unsigned int in_service;
	ktime_t bus_free;
	unsigned int max_in_flight;
	u64 seq[2];
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
	AIODEV_RQ_IN_SERVICE,	/* holds a slot, in @ad->due */
	AIODEV_RQ_DONE,		/* finished or taken back: its completion's */
	AIODEV_RQ_RELEASE,	/* completed, its pages left to the worker */
};

/* Pages a request keeps in itself (more are allocated): 16 KiB. */
#define AIODEV_INLINE_BVECS	4

/**
 * struct aiodev_rq - one request, from submission to completion
 * @ad: the device
 * @node: in @ad->waiting while it waits for a slot; then in the timer's
 *	list of finished requests
 * @due: in @ad->due while in service; @due.expires is its due time
 * @defer: in @ad->deferred
 * @state: an enum aiodev_rq_state
 * @kind: who waits for it and where its data goes
 * @mode: the completion mode when it was submitted
 * @write: direction
 * @pos: device offset
 * @len: bytes to move (within the device)
 * @status: 0, or the error it completes with
 * @submitted: submission time, for the latency histogram
 * @ref: AIODEV_RQ_SYNC: one for the waiter, one for the device
 * @done: AIODEV_RQ_SYNC: completed when the request is
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
	struct timerqueue_node due;
	struct llist_node defer;
	enum aiodev_rq_state state;
	enum aiodev_rq_kind kind;
	enum aiodev_completion mode;
	bool write;
	loff_t pos;
	size_t len;
	int status;
	ktime_t submitted;
	refcount_t ref;
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
bool aiodev_has_slot(struct aiodev *ad);
void aiodev_dispatch(struct aiodev *ad);
void aiodev_io_setup(struct aiodev *ad);
void aiodev_drain(struct aiodev *ad);
struct aiodev_rq *aiodev_rq_alloc(struct aiodev *ad, gfp_t gfp);
void aiodev_rq_put(struct aiodev_rq *rq);
int aiodev_queue(struct aiodev_rq *rq, bool nowait);
ssize_t aiodev_sync_io(struct aiodev_rq *rq, struct iov_iter *iter,
		       bool nowait);
bool aiodev_cancel(struct aiodev_rq *rq);
ssize_t aiodev_copy(struct aiodev_rq *rq, struct iov_iter *iter);
int aiodev_take_pages(struct aiodev_rq *rq, struct iov_iter *iter);
ssize_t aiodev_copy_pages(struct aiodev_rq *rq);
bool aiodev_release_pages(struct aiodev_rq *rq, bool may_sleep);
void aiodev_account(struct aiodev_rq *rq, ssize_t ret);

/* aiodev_uring.c */
int aiodev_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
int aiodev_uring_iopoll(struct io_uring_cmd *ioucmd, struct io_comp_batch *iob,
			unsigned int poll_flags);
void aiodev_uring_complete(struct aiodev_rq *rq);

/* aiodev_sysfs.c */
extern const struct attribute_group *aiodev_groups[];
int aiodev_cfg_set_param(struct aiodev_config *cfg, const char *name,
			 const char *val);

#endif /* AIODEV_H */
