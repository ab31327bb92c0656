/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiodev_compat.h - the kernel API differences aiodev meets, in one place.
 *
 * aiodev_probed.h is generated at build time by scripts/compat-probe, which
 * compiles a test of every form of each API against the target kernel
 * (Debian backports make version numbers unreliable) and defines
 * AIODEV_<API>_<FORM> for the one form that compiles; it fails the build
 * when none or several do.  Each entry below maps the forms of one API.
 */
#ifndef AIODEV_COMPAT_H
#define AIODEV_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <uapi/linux/aiodev.h>

#include "aiodev_probed.h"

#ifdef AIODEV_URING_H_CMD_H
#include <linux/io_uring/cmd.h>		/* 6.8 */
#else
#include <linux/io_uring.h>
#endif

/* hrtimer_setup() replaced hrtimer_init() + ->function in 6.13. */
static inline void aiodev_hrtimer_setup(struct hrtimer *timer,
					enum hrtimer_restart (*fn)(struct hrtimer *),
					clockid_t clock, enum hrtimer_mode mode)
{
#ifdef AIODEV_HRTIMER_SETUP
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/*
 * Taking the pages behind an iov_iter for I/O that outlives the call.
 * From 6.3, iov_iter_extract_pages() pins user pages (FOLL_PIN) and takes
 * nothing on kernel pages (bvec iterators: the owner keeps them); before,
 * iov_iter_get_pages2() takes a page reference on every kind of iterator.
 */
static inline ssize_t aiodev_extract_pages(struct iov_iter *iter,
					   struct page **pages, size_t maxsize,
					   unsigned int maxpages, size_t *offset)
{
#ifdef AIODEV_PAGES_EXTRACT
	return iov_iter_extract_pages(iter, &pages, maxsize, maxpages, 0, offset);
#else
	return iov_iter_get_pages2(iter, pages, maxsize, maxpages, offset);
#endif
}

/* Whether the pages aiodev_extract_pages() returns must be released. */
static inline bool aiodev_extract_holds_pages(const struct iov_iter *iter)
{
#ifdef AIODEV_PAGES_EXTRACT
	return iov_iter_extract_will_pin(iter);
#else
	return true;
#endif
}

/* Release a page from aiodev_extract_pages(); @dirty: the device wrote it. */
static inline void aiodev_release_page(struct page *page, bool dirty)
{
#ifdef AIODEV_PAGES_EXTRACT
	unpin_user_page_range_dirty_lock(page, 1, dirty);
#else
	if (dirty)
		set_page_dirty_lock(page);
	put_page(page);
#endif
}

/*
 * A workqueue says whether it is per-CPU (WQ_PERCPU) or unbound from 6.17,
 * and one that says neither is warned about on 7.x.  aiodev's completion
 * workqueue is per-CPU, as workqueues were by default before.
 */
#ifdef AIODEV_WORKQUEUE_PERCPU_FLAG
#define AIODEV_WQ_PERCPU	WQ_PERCPU
#else
#define AIODEV_WQ_PERCPU	0
#endif

/* io_uring passthrough. */

/* The command, in the command area of a 128-byte SQE. */
static inline const struct aiodev_uring_cmd *
aiodev_uring_sqe_cmd(const struct io_uring_cmd *ioucmd)
{
#if defined(AIODEV_SQE_CMD_SQE128_TYPED)	/* 7.x: checks the size */
	return io_uring_sqe128_cmd(ioucmd->sqe, struct aiodev_uring_cmd);
#elif defined(AIODEV_SQE_CMD_SQE)		/* 6.4: the whole SQE */
	return io_uring_sqe_cmd(ioucmd->sqe);
#else						/* 6.1: the command area */
	return ioucmd->cmd;
#endif
}

/* io_uring_cmd_done() lost its res2 argument in 6.18. */
static inline void aiodev_uring_cmd_done(struct io_uring_cmd *ioucmd,
					 ssize_t ret, unsigned int issue_flags)
{
#ifdef AIODEV_DONE_3ARG
	io_uring_cmd_done(ioucmd, ret, issue_flags);
#else
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
#endif
}

/* io_uring_cmd_import_fixed() takes the issue flags from 6.15. */
static inline int aiodev_uring_import_fixed(u64 addr, unsigned long len,
					    int dir, struct iov_iter *iter,
					    struct io_uring_cmd *ioucmd,
					    unsigned int issue_flags)
{
#ifdef AIODEV_IMPORT_FIXED_6ARG
	return io_uring_cmd_import_fixed(addr, len, dir, iter, ioucmd,
					 issue_flags);
#else
	return io_uring_cmd_import_fixed(addr, len, dir, iter, ioucmd);
#endif
}

/*
 * AIODEV_URING_TASK_WORK(name, fn) defines the task work callback @name,
 * which runs void fn(struct io_uring_cmd *, unsigned int issue_flags,
 * bool cancel).  @cancel: io_uring cancels the work, which must not touch
 * the task's user memory.  Where callbacks take a struct io_tw_req (6.19),
 * io_uring says so (tw.cancel: the task is exiting, io_uring's fallback
 * worker runs the work, or the ring is going away).  Before, the callback
 * is not told, and cancel is guessed: the task is exiting, or a kernel
 * thread (the fallback worker) runs the work.
 */
#ifdef AIODEV_TW_IO_TW_REQ
#define AIODEV_URING_TASK_WORK(name, fn)				\
	static void name(struct io_tw_req tw_req, io_tw_token_t tw)	\
	{								\
		fn(io_uring_cmd_from_tw(tw_req),			\
		   IO_URING_CMD_TASK_WORK_ISSUE_FLAGS, tw.cancel);	\
	}
#else
#define AIODEV_URING_TASK_WORK(name, fn)				\
	static void name(struct io_uring_cmd *ioucmd, unsigned int flags) \
	{								\
		fn(ioucmd, flags,					\
		   !!(current->flags & (PF_EXITING | PF_KTHREAD)));	\
	}
#endif

/* Single-CQE commands may batch their wake-ups (6.5). */
#ifdef AIODEV_DO_IN_TASK_LAZY
#define aiodev_uring_do_in_task io_uring_cmd_do_in_task_lazy
#else
#define aiodev_uring_do_in_task io_uring_cmd_complete_in_task
#endif

#endif /* AIODEV_COMPAT_H */
