// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev: an asynchronous I/O character device emulating hardware.
 *
 * The module creates nr_devices devices /dev/aiodev0..N-1 in class "aiodev",
 * each a RAM-backed, fixed-size, seekable device of size_mb MiB with the
 * semantics of a block device opened as a file: reads at or past the end
 * return 0 and a read crossing it is short; a write at or past the end fails
 * with ENOSPC and one crossing it is short; lseek past the end is EINVAL.
 *
 * Requests, from read_iter/write_iter (aiodev_io.c) or io_uring passthrough
 * (aiodev_uring.c), go through an emulated device with a latency, a
 * bandwidth and a queue depth, configured per device in sysfs
 * (aiodev_sysfs.c); the module parameters below give the defaults.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "aiodev.h"
#include "aiodev_compat.h"

#define AIODEV_MAX_DEVICES	64
#define AIODEV_MAX_SIZE_MB	SZ_1M		/* 1 TiB */

static unsigned int nr_devices = 1;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Number of devices /dev/aiodevN (1-64, default 1)");

static unsigned int size_mb = 64;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "Size of each device in MiB (default 64)");

/*
 * Every attribute that configures a device is also a module parameter: the
 * default of all devices, parsed and checked by the attribute's own code
 * (modinfo aiodev; aiodev(4) has the ranges).
 */
static struct aiodev_config aiodev_defaults = {
	.latency_ns = 50 * NSEC_PER_USEC,
	.write_latency_ns = AIODEV_SAME_LATENCY,
	.jitter = AIODEV_JITTER_NONE,
	.queue_depth = 32,
	.completion = AIODEV_COMPLETION_TIMER,
};

static int aiodev_param_set(const char *val, const struct kernel_param *kp)
{
	return aiodev_cfg_set_param(&aiodev_defaults, kp->name, val);
}

static int aiodev_param_get(char *buf, const struct kernel_param *kp)
{
	return aiodev_cfg_get_param(&aiodev_defaults, kp->name, buf);
}

static const struct kernel_param_ops aiodev_param_ops = {
	.set = aiodev_param_set,
	.get = aiodev_param_get,
};

module_param_cb(latency_ns, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(latency_ns, "Service time of a request in ns (default 50000)");
module_param_cb(write_latency_ns, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_latency_ns, "Service time of a write in ns, or same (default)");
module_param_cb(jitter, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(jitter, "Service time spread: none (default), uniform, exponential");
module_param_cb(bandwidth_mbps, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(bandwidth_mbps, "Transfer rate in MiB/s, 0 for unlimited (default)");
module_param_cb(queue_depth, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(queue_depth, "Requests the device serves at once (default 32)");
module_param_cb(completion, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(completion, "Completion: inline, workqueue or timer (default)");
module_param_cb(timeout_ms, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(timeout_ms, "Hung requests fail with ETIMEDOUT after it, 0: never");
module_param_cb(cache_size, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(cache_size, "Bytes of volatile write cache, 0 for none (default)");
module_param_cb(read_every, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_every, "Fail every Nth read with EIO, 0 for none");
module_param_cb(read_percent, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_percent, "Fail this percentage of reads with EIO");
module_param_cb(read_bad_range, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_bad_range, "Fail reads touching bytes START-END with EIO, or none");
module_param_cb(read_bad_range_fails, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_bad_range_fails, "Only the first N reads there fail, 0: all");
module_param_cb(read_hang_every, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_hang_every, "Every Nth read hangs, 0 for none");
module_param_cb(read_hang_percent, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(read_hang_percent, "This percentage of reads hangs");
module_param_cb(write_every, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_every, "Fail every Nth write with EIO, 0 for none");
module_param_cb(write_percent, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_percent, "Fail this percentage of writes with EIO");
module_param_cb(write_bad_range, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_bad_range, "Fail writes touching bytes START-END with EIO, or none");
module_param_cb(write_bad_range_fails, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_bad_range_fails, "Only the first N writes there fail, 0: all");
module_param_cb(write_hang_every, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_hang_every, "Every Nth write hangs, 0 for none");
module_param_cb(write_hang_percent, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(write_hang_percent, "This percentage of writes hangs");
module_param_cb(spike_every, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(spike_every, "Every Nth request takes spike_ns longer, 0 for none");
module_param_cb(spike_percent, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(spike_percent, "This percentage of requests takes spike_ns longer");
module_param_cb(spike_ns, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(spike_ns, "How much longer a spike takes, in ns");
module_param_cb(stall_ns, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(stall_ns, "The device serves nothing for this long, in ns, ...");
module_param_cb(stall_period_ns, &aiodev_param_ops, NULL, 0444);
MODULE_PARM_DESC(stall_period_ns, "... every this many ns, 0 for never");

static dev_t aiodev_devt;
static struct cdev aiodev_cdev;
static struct aiodev *aiodev_devices;	/* nr_devices of them */

static struct class aiodev_class = {
	.name = "aiodev",
	.dev_groups = aiodev_groups,
};

static int aiodev_open(struct inode *inode, struct file *file)
{
	file->private_data = &aiodev_devices[iminor(inode)];
	file->f_mode |= FMODE_NOWAIT | FMODE_CAN_ODIRECT;
	return 0;
}

static loff_t aiodev_llseek(struct file *file, loff_t offset, int whence)
{
	struct aiodev *ad = file->private_data;

	return fixed_size_llseek(file, offset, whence, ad->size);
}

/*
 * fsync(2), IORING_OP_FSYNC, aio's IOCB_CMD_FSYNC: flush the volatile
 * write cache.  Like fsync(2) on any file, any open mode may.
 */
static int aiodev_fsync(struct file *file, loff_t start, loff_t end,
			int datasync)
{
	aiodev_cache_flush(file->private_data);
	return 0;
}

/* Ready for reading and writing when a request would not wait for a slot. */
static __poll_t aiodev_poll(struct file *file, poll_table *wait)
{
	struct aiodev *ad = file->private_data;

	poll_wait(file, &ad->poll_wait, wait);
	/*
	 * Our entry on @ad->poll_wait before the look at the queue: pairs
	 * with the barrier in wq_has_sleeper() in aiodev_wake_pollers(), so
	 * either we see the freed slot or it sees us and wakes us.
	 */
	smp_mb();
	if (aiodev_has_slot(ad))
		return EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	return 0;
}

static const struct file_operations aiodev_fops = {
	.owner = THIS_MODULE,
	.open = aiodev_open,
	.llseek = aiodev_llseek,
	.read_iter = aiodev_read_iter,
	.write_iter = aiodev_write_iter,
	.iopoll = aiodev_iopoll,
	.poll = aiodev_poll,
	.flush = aiodev_flush,
	.fsync = aiodev_fsync,
	.uring_cmd = aiodev_uring_cmd,
	.uring_cmd_iopoll = aiodev_uring_iopoll,
};

static int aiodev_create(struct aiodev *ad, unsigned int index)
{
	int ret;

	ad->index = index;
	ad->size = (loff_t)size_mb << 20;
	ad->cfg = aiodev_defaults;
	ret = aiodev_io_setup(ad);
	if (ret)
		return ret;

	ret = -ENOMEM;
	ad->data = __vmalloc(ad->size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!ad->data) {
		pr_err("aiodev%u: cannot allocate %u MiB\n", index, size_mb);
		goto err_io;
	}
	ad->stats = alloc_percpu(struct aiodev_stats);
	if (!ad->stats)
		goto err_data;
	ad->wq = alloc_workqueue("aiodev%u", WQ_HIGHPRI | AIODEV_WQ_PERCPU, 0,
				 index);
	if (!ad->wq)
		goto err_stats;
	ad->dev = device_create(&aiodev_class, NULL, aiodev_devt + index, ad,
				"aiodev%u", index);
	if (IS_ERR(ad->dev)) {
		ret = PTR_ERR(ad->dev);
		goto err_wq;
	}
	return 0;

err_wq:
	destroy_workqueue(ad->wq);
err_stats:
	free_percpu(ad->stats);
err_data:
	vfree(ad->data);
err_io:
	aiodev_io_destroy(ad);
	return ret;
}

static void aiodev_destroy(struct aiodev *ad)
{
	device_destroy(&aiodev_class, aiodev_devt + ad->index);
	aiodev_drain(ad);
	destroy_workqueue(ad->wq);
	aiodev_cache_destroy(ad);
	free_percpu(ad->stats);
	vfree(ad->data);
	aiodev_io_destroy(ad);
}

/* What the parameters' own checks cannot see. */
static int aiodev_check_params(void)
{
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
	if (!aiodev_cfg_valid(&aiodev_defaults)) {
		pr_err("stall_ns=%llu: must be less than stall_period_ns=%llu\n",
		       aiodev_defaults.stall_ns, aiodev_defaults.stall_period_ns);
		return -EINVAL;
	}
	return 0;
}

static int __init aiodev_init(void)
{
	unsigned int i;
	int ret;

	ret = aiodev_check_params();
	if (ret)
		return ret;
	aiodev_devices = kcalloc(nr_devices, sizeof(*aiodev_devices),
				 GFP_KERNEL);
	if (!aiodev_devices)
		return -ENOMEM;
	ret = aiodev_io_init();
	if (ret)
		goto err_free;
	ret = alloc_chrdev_region(&aiodev_devt, 0, nr_devices, "aiodev");
	if (ret)
		goto err_io;
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
err_io:
	aiodev_io_exit();
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
	aiodev_io_exit();
	kfree(aiodev_devices);
}

module_init(aiodev_init);
module_exit(aiodev_exit);
MODULE_DESCRIPTION("Asynchronous I/O character device emulating hardware");
MODULE_LICENSE("GPL");
