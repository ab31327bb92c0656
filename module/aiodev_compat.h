/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiodev_compat.h - the kernel API differences aiodev meets, in one place.
 *
 * aiodev_probed.h is generated at build time by scripts/compat-probe, which
 * compiles a test per API against the target kernel: Debian backports make
 * version numbers unreliable.  Each entry below names the newest API and
 * maps it onto what older kernels have.
 */
#ifndef AIODEV_COMPAT_H
#define AIODEV_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/uio.h>

#include "aiodev_probed.h"

#ifdef AIODEV_HAVE_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>		/* 6.8 */
#else
#include <linux/io_uring.h>
#endif

/* hrtimer_setup() replaced hrtimer_init() + ->function in 6.13. */
static inline void aiodev_hrtimer_setup(struct hrtimer *timer,
					enum hrtimer_restart (*fn)(struct hrtimer *),
					clockid_t clock, enum hrtimer_mode mode)
{
#ifdef AIODEV_HAVE_HRTIMER_SETUP
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
#ifdef AIODEV_HAVE_IOV_ITER_EXTRACT_PAGES
	return iov_iter_extract_pages(iter, &pages, maxsize, maxpages, 0, offset);
#else
	return iov_iter_get_pages2(iter, pages, maxsize, maxpages, offset);
#endif
}

/* Whether the pages aiodev_extract_pages() returns must be released. */
static inline bool aiodev_extract_holds_pages(const struct iov_iter *iter)
{
#ifdef AIODEV_HAVE_IOV_ITER_EXTRACT_PAGES
	return iov_iter_extract_will_pin(iter);
#else
	return true;
#endif
}

/* Release a page from aiodev_extract_pages(); @dirty: the device wrote it. */
static inline void aiodev_release_page(struct page *page, bool dirty)
{
#ifdef AIODEV_HAVE_IOV_ITER_EXTRACT_PAGES
	unpin_user_page_range_dirty_lock(page, 1, dirty);
#else
	if (dirty)
		set_page_dirty_lock(page);
	put_page(page);
#endif
}

/*
 * io_uring passthrough.  The entries for 6.15 (import_fixed's issue flags),
 * 6.18 (io_uring_cmd_done() without res2) and 6.19 (task work callbacks
 * taking a struct io_tw_req) follow those kernels' headers; only the 6.1
 * and 6.12 branches are compiled and tested here.
 */

/* The command area of the SQE: the whole SQE is available from 6.4. */
static inline const void *aiodev_uring_sqe_cmd(const struct io_uring_cmd *ioucmd)
{
#ifdef AIODEV_HAVE_IO_URING_SQE_CMD
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

static inline void aiodev_uring_cmd_done(struct io_uring_cmd *ioucmd,
					 ssize_t ret, unsigned int issue_flags)
{
#ifdef AIODEV_HAVE_IO_URING_CMD_DONE_3ARG
	io_uring_cmd_done(ioucmd, ret, issue_flags);
#else
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
#endif
}

static inline int aiodev_uring_import_fixed(u64 addr, unsigned long len,
					    int dir, struct iov_iter *iter,
					    struct io_uring_cmd *ioucmd,
					    unsigned int issue_flags)
{
#ifdef AIODEV_HAVE_IO_URING_CMD_IMPORT_FIXED_6ARG
	return io_uring_cmd_import_fixed(addr, len, dir, iter, ioucmd,
					 issue_flags);
#else
	return io_uring_cmd_import_fixed(addr, len, dir, iter, ioucmd);
#endif
}

/*
 * AIODEV_URING_TASK_WORK(name, fn) defines the task work callback @name,
 * which runs void fn(struct io_uring_cmd *, unsigned int issue_flags).
 */
#ifdef AIODEV_HAVE_IO_URING_CMD_FROM_TW
#define AIODEV_URING_TASK_WORK(name, fn)				\
	static void name(struct io_tw_req tw_req, io_tw_token_t tw)	\
	{								\
		fn(io_uring_cmd_from_tw(tw_req),			\
		   IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);			\
	}
#else
#define AIODEV_URING_TASK_WORK(name, fn)				\
	static void name(struct io_uring_cmd *ioucmd, unsigned int flags) \
	{								\
		fn(ioucmd, flags);					\
	}
#endif

/* Single-CQE commands may batch their wake-ups (6.5). */
#ifdef AIODEV_HAVE_IO_URING_CMD_DO_IN_TASK_LAZY
#define aiodev_uring_do_in_task io_uring_cmd_do_in_task_lazy
#else
#define aiodev_uring_do_in_task io_uring_cmd_complete_in_task
#endif

#endif /* AIODEV_COMPAT_H */
