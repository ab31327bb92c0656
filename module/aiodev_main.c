// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev: an asynchronous I/O character device emulating hardware.
 *
 * The module creates nr_devices devices /dev/aiodev0..N-1 in class "aiodev",
 * each a RAM-backed, fixed-size, seekable device of size_mb MiB with the
 * semantics of a block device opened as a file: reads at or past the end
 * return 0 and a read crossing it is short; a write at or past the end fails
 * with ENOSPC and one crossing it is short; lseek past the end is EINVAL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "aiodev.h"

#define AIODEV_MAX_DEVICES	64
#define AIODEV_MAX_SIZE_MB	SZ_1M		/* 1 TiB */

static unsigned int nr_devices = 1;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Number of devices /dev/aiodevN (1-64, default 1)");

static unsigned int size_mb = 64;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "Size of each device in MiB (default 64)");

static dev_t aiodev_devt;
static struct cdev aiodev_cdev;
static struct aiodev *aiodev_devices;	/* nr_devices of them */

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n", ad->size);
}
static DEVICE_ATTR_RO(size);

static struct attribute *aiodev_attrs[] = {
	&dev_attr_size.attr,
	NULL,
};
ATTRIBUTE_GROUPS(aiodev);

static struct class aiodev_class = {
	.name = "aiodev",
	.dev_groups = aiodev_groups,
};

static int aiodev_open(struct inode *inode, struct file *file)
{
	file->private_data = &aiodev_devices[iminor(inode)];
	return 0;
}

static loff_t aiodev_llseek(struct file *file, loff_t offset, int whence)
{
	struct aiodev *ad = file->private_data;

	return fixed_size_llseek(file, offset, whence, ad->size);
}

/*
 * aiodev_clamp - bytes of a @len byte transfer at @pos that fit the device.
 * The VFS has already rejected negative and overflowing positions
 * (rw_verify_area); checked again here because every path relies on it.
 */
static ssize_t aiodev_clamp(struct aiodev *ad, loff_t pos, size_t len)
{
	if (pos < 0 || pos + len < pos)
		return -EINVAL;
	if (pos >= ad->size)
		return 0;
	return min_t(u64, len, ad->size - pos);
}

static ssize_t aiodev_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct aiodev *ad = iocb->ki_filp->private_data;
	ssize_t len = aiodev_clamp(ad, iocb->ki_pos, iov_iter_count(to));
	size_t done;

	if (len <= 0)
		return len;
	done = copy_to_iter(ad->data + iocb->ki_pos, len, to);
	if (!done)
		return -EFAULT;
	iocb->ki_pos += done;
	return done;
}

static ssize_t aiodev_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct aiodev *ad = iocb->ki_filp->private_data;
	size_t count = iov_iter_count(from);
	ssize_t len;
	size_t done;

	if (!count)
		return 0;
	len = aiodev_clamp(ad, iocb->ki_pos, count);
	if (len <= 0)
		return len ?: -ENOSPC;
	done = copy_from_iter(ad->data + iocb->ki_pos, len, from);
	if (!done)
		return -EFAULT;
	iocb->ki_pos += done;
	return done;
}

static const struct file_operations aiodev_fops = {
	.owner = THIS_MODULE,
	.open = aiodev_open,
	.llseek = aiodev_llseek,
	.read_iter = aiodev_read_iter,
	.write_iter = aiodev_write_iter,
};

static int aiodev_create(struct aiodev *ad, unsigned int index)
{
	ad->index = index;
	ad->size = (loff_t)size_mb << 20;
	ad->data = __vmalloc(ad->size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!ad->data) {
		pr_err("aiodev%u: cannot allocate %u MiB\n", index, size_mb);
		return -ENOMEM;
	}
	ad->dev = device_create(&aiodev_class, NULL, aiodev_devt + index, ad,
				"aiodev%u", index);
	if (IS_ERR(ad->dev)) {
		vfree(ad->data);
		return PTR_ERR(ad->dev);
	}
	return 0;
}

static void aiodev_destroy(struct aiodev *ad)
{
	device_destroy(&aiodev_class, aiodev_devt + ad->index);
	vfree(ad->data);
}

static int __init aiodev_init(void)
{
	unsigned int i;
	int ret;

	if (!nr_devices || nr_devices > AIODEV_MAX_DEVICES) {
		pr_err("nr_devices=%u: must be 1..%u\n", nr_devices,
		       AIODEV_MAX_DEVICES);
		return -EINVAL;
	}
	if (!size_mb || size_mb > AIODEV_MAX_SIZE_MB) {
		pr_err("size_mb=%u: must be 1..%u\n", size_mb,
		       AIODEV_MAX_SIZE_MB);
		return -EINVAL;
	}

	aiodev_devices = kcalloc(nr_devices, sizeof(*aiodev_devices),
				 GFP_KERNEL);
	if (!aiodev_devices)
		return -ENOMEM;
	ret = alloc_chrdev_region(&aiodev_devt, 0, nr_devices, "aiodev");
	if (ret)
		goto err_free;
	ret = class_register(&aiodev_class);
	if (ret)
		goto err_region;
	for (i = 0; i < nr_devices; i++) {
		ret = aiodev_create(&aiodev_devices[i], i);
		if (ret)
			goto err_devices;
	}
	/* Last: once the cdev is live, open() may find any device. */
	cdev_init(&aiodev_cdev, &aiodev_fops);
	ret = cdev_add(&aiodev_cdev, aiodev_devt, nr_devices);
	if (ret)
		goto err_devices;
	return 0;

err_devices:
	while (i--)
		aiodev_destroy(&aiodev_devices[i]);
	class_unregister(&aiodev_class);
err_region:
	unregister_chrdev_region(aiodev_devt, nr_devices);
err_free:
	kfree(aiodev_devices);
	return ret;
}

static void __exit aiodev_exit(void)
{
	unsigned int i;

	cdev_del(&aiodev_cdev);
	for (i = 0; i < nr_devices; i++)
		aiodev_destroy(&aiodev_devices[i]);
	class_unregister(&aiodev_class);
	unregister_chrdev_region(aiodev_devt, nr_devices);
	kfree(aiodev_devices);
}

module_init(aiodev_init);
module_exit(aiodev_exit);
MODULE_DESCRIPTION("Asynchronous I/O character device emulating hardware");
MODULE_LICENSE("GPL");
