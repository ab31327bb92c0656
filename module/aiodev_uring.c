// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev_uring.c - io_uring passthrough: IORING_OP_URING_CMD on /dev/aiodevN
 * (the ABI is include/uapi/linux/aiodev.h).
 *
 * A command goes straight from the SQE to the device pipeline of
 * aiodev_io.c: the same queue slots, latency, bandwidth, statistics and
 * error injection as read_iter.  Its life:
 *
 * Issue (->uring_cmd(), in the submitter; IO_URING_F_NONBLOCK on the first
 * try).  Everything the command needs is read from the SQE now: the SQE is
 * only valid during this call.  The request joins the device queue, where
 * it waits for a slot if it must (the issuer does not sleep: its request is
 * allocated with GFP_NOWAIT; only a polled command whose buffer is not in
 * memory faults it in, see below), and the issue returns -EIOCBQUEUED.
 * It never returns -EAGAIN: io_uring would issue the command again from
 * io-wq, and the 6.12 kernels re-read the SQE from the ring then, where a
 * newer SQE may have taken its slot.  So in inline mode, where the issuer
 * does the device's work and must be able to sleep, only an issue that may
 * block (IOSQE_ASYNC, io-wq), or one the device finishes at once (latency
 * 0, nothing injected that delays it, a free slot), is done inline;
 * another nonblocking issue takes the asynchronous path, as in timer mode.
 *
 * Completion.  The device's timer or worker, or a submission or poll that
 * reaps it, hands the command back to the task that submitted it, as
 * io_uring task work.  That callback runs in the submitter's own context,
 * with its mm: it copies the data to or from the user buffer and posts the
 * CQE with io_uring_cmd_done().  That is the point of this interface: no
 * pages are pinned (unlike read_iter for aio, whose completion runs without
 * the user's mm), because the copy runs where the user memory is mapped.
 * On a polled ring (IORING_SETUP_IOPOLL) the device only marks the command
 * done, and ->uring_cmd_iopoll(), called by the polling task, completes it:
 * never through task work, whose list entry shares space with the poll
 * list's.  A poll that finds its command not done yet asks the device for
 * what its CPU's queue has due (aiodev_poll_due()): a command polled for on
 * the CPU that started it does not wait for the timer's interrupt.
 * Any task with the ring may poll (a forked child, a process the ring was
 * passed to), whose memory is not the submitter's: so a polled command's
 * user buffer is pinned at issue, as direct I/O does, and the poller copies
 * to and from those pages.
 *
 * Cancellation (6.7 and later).  Commands are marked cancelable; when the
 * ring or its task goes away, io_uring calls ->uring_cmd() with
 * IO_URING_F_CANCEL, and a command still waiting for a slot, or in service
 * (no timer, submission or poll has taken it yet), completes at once with
 * -ECANCELED.  One the device has finished is left to its task work, so
 * each command completes once.
 * Without cancelable commands (6.1), teardown waits for the device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "aiodev.h"
#include "aiodev_compat.h"

/* What a command keeps in its io_uring_cmd. */
struct aiodev_uring_pdu {
	struct aiodev_rq *rq;
};

static struct aiodev_uring_pdu *aiodev_uring_pdu(struct io_uring_cmd *ioucmd)
{
	BUILD_BUG_ON(sizeof(struct aiodev_uring_pdu) > sizeof(ioucmd->pdu));
	return (struct aiodev_uring_pdu *)ioucmd->pdu;
}

static int aiodev_uring_query(struct aiodev *ad, void __user *buf, u32 len)
{
	struct aiodev_info info = {
		.abi_version = AIODEV_ABI_VERSION,
		.features = AIODEV_FEAT_FIXED_BUFFERS | AIODEV_FEAT_IOPOLL |
			    AIODEV_FEAT_FAULTS | AIODEV_FEAT_WRITE_CACHE,
		.size = ad->size,
		.index = ad->index,
		.max_len = AIODEV_MAX_LEN,
	};

#ifdef AIODEV_CANCELABLE_MARKED
	info.features |= AIODEV_FEAT_CANCEL;
#endif
	spin_lock_irq(&ad->lock);
	info.latency_ns = ad->cfg.latency_ns;
	info.bandwidth_mbps = ad->cfg.bandwidth_mbps;
	info.queue_depth = ad->cfg.queue_depth;
	info.completion = ad->cfg.completion;
	info.jitter = ad->cfg.jitter;
	info.write_latency_ns = ad->cfg.write_latency_ns;
	if (info.write_latency_ns == AIODEV_SAME_LATENCY)
		info.write_latency_ns = info.latency_ns;
	info.cache_size = ad->cfg.cache_size;
	info.timeout_ms = ad->cfg.timeout_ms;
	spin_unlock_irq(&ad->lock);

	len = min_t(u32, len, sizeof(info));
	if (copy_to_user(buf, &info, len))
		return -EFAULT;
	return len;
}

/*
 * A new request for a READ, WRITE or NOP command @c (checked, its length
 * within the device), with its buffer as an iov_iter kept for the
 * completion.
 */
static int aiodev_uring_prep(struct aiodev_rq *rq,
			     struct io_uring_cmd *ioucmd,
			     const struct aiodev_uring_cmd *c,
			     unsigned int issue_flags)
{
	void __user *buf = u64_to_user_ptr(c->addr);
	int dir;

	rq->write = ioucmd->cmd_op == AIODEV_URING_CMD_WRITE;
	rq->dsync = (c->flags & AIODEV_CMD_F_DSYNC) ||
		    (rq->write && (ioucmd->file->f_flags & O_DSYNC));
	rq->pos = c->offset;
	rq->len = c->len;
	if (!rq->len)
		return 0;
	dir = rq->write ? ITER_SOURCE : ITER_DEST;
	if (ioucmd->flags & IORING_URING_CMD_FIXED)
		return aiodev_uring_import_fixed(c->addr, rq->len, dir,
						 &rq->iter, ioucmd, issue_flags);
	if (!access_ok(buf, rq->len))
		return -EFAULT;
	iov_iter_ubuf(&rq->iter, dir, buf, rq->len);
	return 0;
}

/*
 * The data transfer at completion, in the submitting task: bytes moved, or
 * the error.  @cancel: io_uring cancels the task work, run without the
 * task's user memory (the task is exiting, io_uring's fallback worker runs
 * it, or the ring is going away: see AIODEV_URING_TASK_WORK); registered
 * buffers are the ring's, and are filled in any task.
 */
static ssize_t aiodev_uring_transfer(struct aiodev_rq *rq, bool cancel)
{
	if (rq->status)
		return rq->status;
	if (!rq->len)
		return 0;
	if (rq->nr_bvec)	/* pinned at issue: any task may copy */
		return aiodev_copy_pages(rq);
	if (cancel && user_backed_iter(&rq->iter))
		return -ECANCELED;
	return aiodev_copy(rq, &rq->iter);
}

static void aiodev_uring_finish(struct io_uring_cmd *ioucmd,
				unsigned int issue_flags, bool cancel)
{
	struct aiodev_rq *rq = aiodev_uring_pdu(ioucmd)->rq;
	ssize_t ret = aiodev_uring_transfer(rq, cancel);

	aiodev_release_pages(rq, true);
	aiodev_account(rq, ret);
	/*
	 * Put before the done: the done may drop the last reference to the
	 * file, and so to the module; the request must not outlive it.
	 */
	aiodev_rq_free(rq);
	aiodev_uring_cmd_done(ioucmd, ret, issue_flags);
}

AIODEV_URING_TASK_WORK(aiodev_uring_task_work, aiodev_uring_finish)

/**
 * aiodev_uring_complete - the device has finished a command
 * @rq: the command's request
 *
 * Called from the device's timer or worker, or a submission or poll that
 * reaps it.  Hands the command to its task, or, on a polled ring, to the
 * poller.  @rq may be gone on return.
 */
void aiodev_uring_complete(struct aiodev_rq *rq)
{
	if (rq->iopoll) {
		/* Pairs with aiodev_uring_iopoll(): @rq is the poller's now. */
		smp_store_release(&rq->polled, true);
	} else {
		aiodev_uring_do_in_task(rq->ioucmd, aiodev_uring_task_work);
	}
}

/**
 * aiodev_uring_iopoll - ->uring_cmd_iopoll(): complete a finished command
 * @ioucmd: a command on a polled ring
 * @iob: unused: completions are posted one by one
 * @poll_flags: unused
 *
 * Runs in the polling task (or its SQPOLL thread, or at ring teardown a
 * kernel worker), with the ring's lock held.  A command the device has not
 * finished yet may be due: the poll completes what this CPU's queue has
 * due, other tasks' requests too, then looks again.
 *
 * Return: 1 if the command was completed, 0 if the device is still on it.
 */
int aiodev_uring_iopoll(struct io_uring_cmd *ioucmd, struct io_comp_batch *iob,
			unsigned int poll_flags)
{
	struct aiodev_rq *rq = aiodev_uring_pdu(ioucmd)->rq;
	bool done;

	/* Pairs with aiodev_uring_complete(): the device is done with @rq. */
	done = smp_load_acquire(&rq->polled);
	if (!done && aiodev_poll_due(rq->ad))
		/* Or is now, completed by this poll: pairs as above. */
		done = smp_load_acquire(&rq->polled);
	if (!done)
		return 0;
	aiodev_uring_finish(ioucmd, 0, false);	/* its user pages are pinned */
	return 1;
}

/*
 * A result known at issue, returned as it is or posted with
 * io_uring_cmd_done() as for a queued command, where Linux 6.1 would
 * mishandle the returned value: it loses a positive result returned to
 * io-wq, and on a polled ring it completes a returned result and also puts
 * the command on the poll list, whose poll then finds no request of ours
 * (a NULL dereference).  Posting is right on every kernel.
 */
static int aiodev_uring_issued_done(struct io_uring_cmd *ioucmd, int ret,
				    unsigned int issue_flags)
{
	if (ret == -EIOCBQUEUED ||
	    (ret <= 0 && !(issue_flags & IO_URING_F_IOPOLL)))
		return ret;
	aiodev_uring_cmd_done(ioucmd, ret, issue_flags);
	return -EIOCBQUEUED;
}

#ifdef AIODEV_CANCELABLE_MARKED
/* IO_URING_F_CANCEL: called with the ring's lock held, before any done. */
static int aiodev_uring_cancel(struct io_uring_cmd *ioucmd,
			       unsigned int issue_flags)
{
	struct aiodev_rq *rq = aiodev_uring_pdu(ioucmd)->rq;

	if (aiodev_cancel(rq)) {
		aiodev_account(rq, -ECANCELED);
		aiodev_rq_free(rq);
		aiodev_uring_cmd_done(ioucmd, -ECANCELED, issue_flags);
	}
	return 0;
}
#endif

/* Issue a command: -EIOCBQUEUED when the device has it, or its result. */
static int aiodev_uring_issue(struct io_uring_cmd *ioucmd,
			      unsigned int issue_flags)
{
	struct aiodev *ad = ioucmd->file->private_data;
	bool nonblock = issue_flags & IO_URING_F_NONBLOCK;
	const struct aiodev_uring_cmd *cmd;
	enum aiodev_completion mode;
	struct aiodev_uring_cmd c;
	struct aiodev_rq *rq;
	fmode_t need;
	int ret;

	/*
	 * The file's access mode, as read(2) and write(2) check it: the VFS
	 * does not check it on the way to ->uring_cmd().  First, so that a
	 * refused command does nothing at all.
	 */
	switch (ioucmd->cmd_op) {
	case AIODEV_URING_CMD_READ:
		need = FMODE_READ;
		break;
	case AIODEV_URING_CMD_WRITE:
		need = FMODE_WRITE;
		break;
	case AIODEV_URING_CMD_NOP:	/* takes the device's time: either */
	case AIODEV_URING_CMD_FLUSH:	/* as fsync(2): either */
		need = FMODE_READ | FMODE_WRITE;
		break;
	case AIODEV_URING_CMD_QUERY:	/* what sysfs shows: any open file */
		need = 0;
		break;
	default:
		return -ENOTTY;
	}
	if (need && !(ioucmd->file->f_mode & need))
		return -EBADF;
	/* A 128-byte SQE: on an SQE128 ring, or a URING_CMD128 one (7.x). */
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EOPNOTSUPP;

	/* The SQE is valid during this call only: read it once, now. */
	cmd = aiodev_uring_sqe_cmd(ioucmd);
	c.addr = READ_ONCE(cmd->addr);
	c.offset = READ_ONCE(cmd->offset);
	c.len = READ_ONCE(cmd->len);
	c.flags = READ_ONCE(cmd->flags);
	if (READ_ONCE(cmd->reserved[0]) || READ_ONCE(cmd->reserved[1]) ||
	    (c.flags && (c.flags != AIODEV_CMD_F_DSYNC ||
			 ioucmd->cmd_op != AIODEV_URING_CMD_WRITE)))
		return -EINVAL;

	switch (ioucmd->cmd_op) {
	case AIODEV_URING_CMD_QUERY:
		if (c.offset)
			return -EINVAL;
		return aiodev_uring_query(ad, u64_to_user_ptr(c.addr), c.len);
	case AIODEV_URING_CMD_FLUSH:
		if (c.addr || c.offset || c.len)
			return -EINVAL;
		aiodev_cache_flush(ad);
		return 0;
	case AIODEV_URING_CMD_NOP:
		if (c.addr || c.offset || c.len)
			return -EINVAL;
		break;
	default:
		if (c.len > AIODEV_MAX_LEN || c.offset > LLONG_MAX - c.len)
			return -EINVAL;
		if (!c.len)
			return 0;
		if (c.offset >= ad->size)
			return ioucmd->cmd_op == AIODEV_URING_CMD_WRITE ?
				-ENOSPC : 0;
		c.len = min_t(u64, c.len, ad->size - c.offset);
		break;
	}

	mode = READ_ONCE(ad->cfg.completion);
	if (mode == AIODEV_COMPLETION_INLINE) {
		/*
		 * Done by the issuer when it may block, or when the device
		 * takes no time and has a free slot, as /dev/null's commands
		 * complete at issue.  The issuer waits for it: the request
		 * lives on its stack.
		 */
		if (!nonblock ||
		    aiodev_at_once(ad, ioucmd->cmd_op == AIODEV_URING_CMD_WRITE)) {
			struct aiodev_rq srq;

			aiodev_rq_init(&srq, ioucmd->file);
			srq.mode = mode;
			ret = aiodev_uring_prep(&srq, ioucmd, &c, issue_flags);
			if (!ret)
				ret = aiodev_sync_io(&srq, &srq.iter, nonblock);
			if (ret != -EAGAIN)
				return ret;
		}
		/* No -EAGAIN (see the top of this file): the timer completes it. */
		mode = AIODEV_COMPLETION_TIMER;
	}

	/* A nonblocking issue never sleeps, and is never retried: -ENOMEM. */
	rq = aiodev_rq_alloc(ioucmd->file,
			     nonblock ? GFP_NOWAIT | __GFP_NOWARN : GFP_KERNEL);
	if (!rq)
		return -ENOMEM;
	rq->mode = mode;
	ret = aiodev_uring_prep(rq, ioucmd, &c, issue_flags);
	if (ret)
		goto out_free;

	rq->kind = AIODEV_RQ_CMD;
	rq->ioucmd = ioucmd;
	rq->iopoll = issue_flags & IO_URING_F_IOPOLL;
	if (rq->iopoll && rq->len &&
	    !(ioucmd->flags & IORING_URING_CMD_FIXED)) {
		/*
		 * Its poller may be another task (see the top of this file).
		 * The one exception to a nonblocking issue never sleeping:
		 * pages not present are faulted in, as the issue cannot be
		 * retried (NVMe passthrough's nonblocking issue does the same).
		 */
		ret = aiodev_take_pages(rq, &rq->iter);
		if (ret)
			goto out_free;
	}
	aiodev_uring_pdu(ioucmd)->rq = rq;
#ifdef AIODEV_CANCELABLE_MARKED
	/* Polled commands complete from the poll loop, which teardown runs. */
	if (!rq->iopoll)
		io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
#endif
	aiodev_queue(rq, false);
	return -EIOCBQUEUED;

out_free:
	aiodev_rq_free(rq);
	return ret;
}

/**
 * aiodev_uring_cmd - ->uring_cmd(): issue (or cancel) a command
 * @ioucmd: the command
 * @issue_flags: IO_URING_F_*
 *
 * Return: -EIOCBQUEUED when the device has the command or its result is
 * posted, 0 or an error for the CQE.
 */
int aiodev_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
#ifdef AIODEV_CANCELABLE_MARKED
	if (issue_flags & IO_URING_F_CANCEL)
		return aiodev_uring_cancel(ioucmd, issue_flags);
#endif
	return aiodev_uring_issued_done(ioucmd,
					aiodev_uring_issue(ioucmd, issue_flags),
					issue_flags);
}
