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

#endif /* AIODEV_COMPAT_H */
