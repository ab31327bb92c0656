// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev_cache.c - the volatile write cache (sysfs cache_size, power_cut).
 *
 * A device with a write cache acknowledges a write once the data is in the
 * cache; only a flush (fsync(2), IORING_OP_FSYNC, aio's fsync, the FLUSH
 * passthrough command, or the cache filling up) makes it durable, and a
 * power cut loses what was not flushed.  Reads see the cache.
 *
 * Kept as an undo log, so that reads, the common case, need nothing: the
 * store always holds the newest data, and the log holds, for each block
 * written since the last flush, what the block held at that flush.  The
 * first write to a block saves it; a flush forgets the saved blocks (the
 * store is durable as it is); a power cut copies them back.  A write that
 * bypasses the cache (RWF_DSYNC, O_DSYNC) is copied into the saved block
 * too, so a power cut keeps it.  A block that cannot be saved (no memory)
 * is a full cache: it is flushed.
 *
 * Writes that are in flight at a flush or a power cut land in either
 * state, as on hardware.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "aiodev.h"

void aiodev_cache_init(struct aiodev_cache *cache)
{
	spin_lock_init(&cache->lock);
	xa_init(&cache->saved);
	cache->nr = 0;
}

/* Forget the saved blocks; with @restore, copy them back first. */
static void aiodev_cache_drop(struct aiodev *ad, bool restore)
{
	struct aiodev_cache *cache = &ad->cache;
	unsigned long index;
	struct page *page;

	lockdep_assert_held(&cache->lock);
	xa_for_each(&cache->saved, index, page) {
		if (restore)
			memcpy_from_page(ad->data + index * AIODEV_CACHE_BLOCK,
					 page, 0, AIODEV_CACHE_BLOCK);
		__free_page(page);
	}
	xa_destroy(&cache->saved);
	cache->nr = 0;
}

/* A flush: what the store holds is durable.  @cache->lock held. */
static void aiodev_cache_flush_locked(struct aiodev *ad)
{
	aiodev_cache_drop(ad, false);
	this_cpu_inc(ad->stats->flushes);
}

/**
 * aiodev_cache_write - a write of [@pos, @pos + @len) is about to land
 * @ad: the device
 * @pos: its offset
 * @len: its length
 * @dsync: it bypasses the cache
 *
 * Saves the blocks it is the first to write since the last flush.  Any
 * context (the timer's softirq among them).
 */
void aiodev_cache_write(struct aiodev *ad, loff_t pos, size_t len, bool dsync)
{
	struct aiodev_cache *cache = &ad->cache;
	u64 size = READ_ONCE(ad->cfg.cache_size);
	unsigned long index = pos / AIODEV_CACHE_BLOCK;
	unsigned long last = (pos + len - 1) / AIODEV_CACHE_BLOCK;
	unsigned long flags, max;
	struct page *page;

	if (dsync || !len || (!size && !READ_ONCE(cache->nr)))
		return;
	max = max_t(u64, size / AIODEV_CACHE_BLOCK, 1);
	spin_lock_irqsave(&cache->lock, flags);
	if (!size) {
		/* The cache was turned off: what it held is written back. */
		aiodev_cache_flush_locked(ad);
		goto out;
	}
	for (; index <= last; index++) {
		if (xa_load(&cache->saved, index))
			continue;
		if (cache->nr >= max)
			aiodev_cache_flush_locked(ad);	/* full */
		page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (!page)
			goto full;
		memcpy_to_page(page, 0, ad->data + index * AIODEV_CACHE_BLOCK,
			       AIODEV_CACHE_BLOCK);
		if (xa_err(xa_store(&cache->saved, index, page, GFP_ATOMIC))) {
			__free_page(page);
			goto full;
		}
		cache->nr++;
	}
	goto out;
full:
	/* No memory to keep more: as full, flushed, and written through. */
	aiodev_cache_flush_locked(ad);
out:
	spin_unlock_irqrestore(&cache->lock, flags);
}

/**
 * aiodev_cache_written - a write of [@pos, @pos + @len) has landed
 * @ad: the device
 * @pos: its offset
 * @len: the bytes it moved
 * @dsync: it bypasses the cache: its bytes are durable at once
 */
void aiodev_cache_written(struct aiodev *ad, loff_t pos, size_t len,
			  bool dsync)
{
	struct aiodev_cache *cache = &ad->cache;
	unsigned long flags;
	loff_t end = pos + len;
	struct page *page;

	if (!dsync || !len || !READ_ONCE(cache->nr))
		return;
	spin_lock_irqsave(&cache->lock, flags);
	while (pos < end) {
		unsigned long index = pos / AIODEV_CACHE_BLOCK;
		size_t off = pos % AIODEV_CACHE_BLOCK;
		size_t n = min_t(loff_t, AIODEV_CACHE_BLOCK - off, end - pos);

		page = xa_load(&cache->saved, index);
		if (page)
			memcpy_to_page(page, off, ad->data + pos, n);
		pos += n;
	}
	spin_unlock_irqrestore(&cache->lock, flags);
}

/* A flush command: with a cache, what it acknowledged becomes durable. */
void aiodev_cache_flush(struct aiodev *ad)
{
	unsigned long flags;

	if (!READ_ONCE(ad->cfg.cache_size) && !READ_ONCE(ad->cache.nr))
		return;
	spin_lock_irqsave(&ad->cache.lock, flags);
	aiodev_cache_flush_locked(ad);
	spin_unlock_irqrestore(&ad->cache.lock, flags);
}

/* A power cut: every write that was not flushed is lost. */
void aiodev_cache_power_cut(struct aiodev *ad)
{
	unsigned long flags;

	spin_lock_irqsave(&ad->cache.lock, flags);
	this_cpu_add(ad->stats->lost_bytes,
		     (u64)ad->cache.nr * AIODEV_CACHE_BLOCK);
	aiodev_cache_drop(ad, true);
	spin_unlock_irqrestore(&ad->cache.lock, flags);
}

/* Bytes of the blocks written since the last flush. */
u64 aiodev_cache_dirty(struct aiodev *ad)
{
	return (u64)READ_ONCE(ad->cache.nr) * AIODEV_CACHE_BLOCK;
}

/* The device goes away: free the saved blocks. */
void aiodev_cache_destroy(struct aiodev *ad)
{
	spin_lock_irq(&ad->cache.lock);
	aiodev_cache_drop(ad, false);
	spin_unlock_irq(&ad->cache.lock);
}
