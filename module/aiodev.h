/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiodev: an asynchronous I/O character device emulating hardware.
 * Internal definitions shared by the module's files.
 */
#ifndef AIODEV_H
#define AIODEV_H

#include <linux/types.h>

/**
 * struct aiodev - one /dev/aiodevN
 * @index: N
 * @size: capacity in bytes, fixed at creation
 * @data: @size bytes of backing store, zeroed at creation.  Not locked:
 *	concurrent I/O to overlapping ranges sees an undefined mix of the
 *	data, as it would on hardware.
 * @dev: the class device, /sys/class/aiodev/aiodevN
 */
struct aiodev {
	unsigned int index;
	loff_t size;
	void *data;
	struct device *dev;
};

#endif /* AIODEV_H */
