// SPDX-License-Identifier: GPL-2.0
/*
 * aiodev_sysfs.c - /sys/class/aiodev/aiodevN/: the emulated hardware's
 * configuration (read-write, validated: a bad value gets -EINVAL and changes
 * nothing), its statistics in stats/ and error injection in inject/.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "aiodev.h"

static const char * const aiodev_completion_names[] = {
	[AIODEV_COMPLETION_INLINE] = "inline",
	[AIODEV_COMPLETION_WORKQUEUE] = "workqueue",
	[AIODEV_COMPLETION_TIMER] = "timer",
	NULL
};

static const char * const aiodev_jitter_names[] = {
	[AIODEV_JITTER_NONE] = "none",
	[AIODEV_JITTER_UNIFORM] = "uniform",
	[AIODEV_JITTER_EXPONENTIAL] = "exponential",
	NULL
};

enum aiodev_cfg_type {
	AIODEV_CFG_U32,		/* a u32 in [min, max] */
	AIODEV_CFG_U64,		/* a u64 in [min, max] */
	AIODEV_CFG_ENUM,	/* an enum, one of names[] */
	AIODEV_CFG_RANGE,	/* "START-END" or "none": a u64 pair */
};

/**
 * struct aiodev_cfg_attr - a configuration attribute
 * @attr: the sysfs attribute
 * @type: the field's type and how the value is written
 * @offset: of the field in struct aiodev_config
 * @min: the smallest value (AIODEV_CFG_U32, AIODEV_CFG_U64)
 * @max: the largest value (AIODEV_CFG_U32, AIODEV_CFG_U64)
 * @names: the values' names, NULL-terminated (AIODEV_CFG_ENUM); for
 *	AIODEV_CFG_U64, the one name that stands for U64_MAX, or NULL
 */
struct aiodev_cfg_attr {
	struct device_attribute attr;
	enum aiodev_cfg_type type;
	size_t offset;
	u64 min;
	u64 max;
	const char * const *names;
};

/* write_latency_ns: "same" as latency_ns. */
static const char * const aiodev_same_names[] = { "same", NULL };

#define to_cfg_attr(a) container_of(a, struct aiodev_cfg_attr, attr)

static u64 aiodev_cfg_get(const struct aiodev_config *cfg,
			  const struct aiodev_cfg_attr *a, unsigned int i)
{
	const void *field = (const void *)cfg + a->offset + i * sizeof(u64);

	BUILD_BUG_ON(sizeof(enum aiodev_completion) != sizeof(u32));
	BUILD_BUG_ON(sizeof(enum aiodev_jitter) != sizeof(u32));
	if (a->type == AIODEV_CFG_U32 || a->type == AIODEV_CFG_ENUM)
		return *(const u32 *)field;
	return *(const u64 *)field;
}

static void aiodev_cfg_put(struct aiodev_config *cfg,
			   const struct aiodev_cfg_attr *a, unsigned int i,
			   u64 val)
{
	void *field = (void *)cfg + a->offset + i * sizeof(u64);

	if (a->type == AIODEV_CFG_U32 || a->type == AIODEV_CFG_ENUM)
		*(u32 *)field = val;
	else
		*(u64 *)field = val;
}

/* "START-END" (bytes, END exclusive, START < END) or "none". */
static int aiodev_parse_range(const char *buf, u64 *start, u64 *end)
{
	char str[48], *dash;

	if (sysfs_streq(buf, "none")) {
		*start = 0;
		*end = 0;
		return 0;
	}
	if (strscpy(str, buf, sizeof(str)) < 0)
		return -EINVAL;
	dash = strchr(str, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (kstrtou64(str, 0, start) || kstrtou64(dash + 1, 0, end) ||
	    *start >= *end)
		return -EINVAL;
	return 0;
}

/**
 * aiodev_cfg_parse - set one configuration value from its text
 * @cfg: the configuration to change
 * @a: the attribute
 * @buf: the text, as written to sysfs or given as a module parameter
 *
 * Return: 0, or -EINVAL (junk, out of range, overflow) leaving @cfg alone.
 */
static int aiodev_cfg_parse(struct aiodev_config *cfg,
			    const struct aiodev_cfg_attr *a, const char *buf)
{
	u64 val, end;
	int ret;

	switch (a->type) {
	case AIODEV_CFG_U32:
	case AIODEV_CFG_U64:
		if (a->names && sysfs_streq(buf, a->names[0]))
			val = U64_MAX;
		else if (kstrtou64(buf, 0, &val) || val < a->min || val > a->max)
			return -EINVAL;
		break;
	case AIODEV_CFG_ENUM:
		ret = __sysfs_match_string(a->names, -1, buf);
		if (ret < 0)
			return -EINVAL;
		val = ret;
		break;
	case AIODEV_CFG_RANGE:
		if (aiodev_parse_range(buf, &val, &end))
			return -EINVAL;
		aiodev_cfg_put(cfg, a, 1, end);
		break;
	}
	aiodev_cfg_put(cfg, a, 0, val);
	return 0;
}

/* The text of a configuration value, as sysfs shows it. */
static int aiodev_cfg_format(const struct aiodev_config *cfg,
			     const struct aiodev_cfg_attr *a, char *buf)
{
	u64 val = aiodev_cfg_get(cfg, a, 0);
	u64 end;

	switch (a->type) {
	case AIODEV_CFG_ENUM:
		return sysfs_emit(buf, "%s\n", a->names[val]);
	case AIODEV_CFG_RANGE:
		end = aiodev_cfg_get(cfg, a, 1);
		if (val == end)
			return sysfs_emit(buf, "none\n");
		return sysfs_emit(buf, "%llu-%llu\n", val, end);
	default:
		if (a->names && val == U64_MAX)
			return sysfs_emit(buf, "%s\n", a->names[0]);
		return sysfs_emit(buf, "%llu\n", val);
	}
}

static ssize_t aiodev_cfg_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);
	struct aiodev_config cfg;

	spin_lock_irq(&ad->lock);
	cfg = ad->cfg;
	spin_unlock_irq(&ad->lock);
	return aiodev_cfg_format(&cfg, to_cfg_attr(attr), buf);
}

/**
 * aiodev_cfg_valid - what no one value can say of itself
 * @cfg: a configuration
 *
 * Return: whether the device would ever serve a request: a stall must
 * leave some of its period.
 */
bool aiodev_cfg_valid(const struct aiodev_config *cfg)
{
	return !cfg->stall_period_ns || cfg->stall_ns < cfg->stall_period_ns;
}

static ssize_t aiodev_cfg_store(struct device *dev,
				struct device_attribute *attr, const char *buf,
				size_t count)
{
	struct aiodev *ad = dev_get_drvdata(dev);
	struct aiodev_config cfg;
	bool cache_changed;
	int ret;

	spin_lock_irq(&ad->lock);
	cfg = ad->cfg;
	ret = aiodev_cfg_parse(&cfg, to_cfg_attr(attr), buf);
	if (!ret && !aiodev_cfg_valid(&cfg))
		ret = -EINVAL;
	if (!ret) {
		cache_changed = cfg.cache_size != ad->cfg.cache_size;
		ad->cfg = cfg;
		aiodev_reconfigured(ad);
	}
	spin_unlock_irq(&ad->lock);
	if (ret)
		return ret;
	/* A cache of another size starts empty: what it held is durable. */
	if (cache_changed)
		aiodev_cache_flush(ad);
	/* A deeper queue starts waiting requests. */
	aiodev_dispatch(ad);
	return count;
}

#define AIODEV_CFG_ATTR(_name, _type, _field, _min, _max, _names)	\
	static struct aiodev_cfg_attr aiodev_attr_##_name = {		\
		.attr = __ATTR(_name, 0644, aiodev_cfg_show,		\
			       aiodev_cfg_store),			\
		.type = _type,						\
		.offset = offsetof(struct aiodev_config, _field),	\
		.min = _min,						\
		.max = _max,						\
		.names = _names,					\
	}

AIODEV_CFG_ATTR(latency_ns, AIODEV_CFG_U64, latency_ns, 0,
		AIODEV_MAX_LATENCY_NS, NULL);
AIODEV_CFG_ATTR(write_latency_ns, AIODEV_CFG_U64, write_latency_ns, 0,
		AIODEV_MAX_LATENCY_NS, aiodev_same_names);
AIODEV_CFG_ATTR(jitter, AIODEV_CFG_ENUM, jitter, 0, 0, aiodev_jitter_names);
AIODEV_CFG_ATTR(bandwidth_mbps, AIODEV_CFG_U32, bandwidth_mbps, 0,
		AIODEV_MAX_BANDWIDTH, NULL);
AIODEV_CFG_ATTR(queue_depth, AIODEV_CFG_U32, queue_depth, 1,
		AIODEV_MAX_QUEUE_DEPTH, NULL);
AIODEV_CFG_ATTR(completion, AIODEV_CFG_ENUM, completion, 0, 0,
		aiodev_completion_names);
AIODEV_CFG_ATTR(timeout_ms, AIODEV_CFG_U32, timeout_ms, 0,
		AIODEV_MAX_TIMEOUT_MS, NULL);
AIODEV_CFG_ATTR(cache_size, AIODEV_CFG_U64, cache_size, 0, SZ_1T, NULL);

/* Error injection, hangs, transient errors, spikes and stalls: inject/. */
AIODEV_CFG_ATTR(read_every, AIODEV_CFG_U32, inject[READ].every, 0, U32_MAX,
		NULL);
AIODEV_CFG_ATTR(read_percent, AIODEV_CFG_U32, inject[READ].percent, 0, 100,
		NULL);
AIODEV_CFG_ATTR(read_bad_range, AIODEV_CFG_RANGE, inject[READ].bad_start, 0,
		0, NULL);
AIODEV_CFG_ATTR(read_bad_range_fails, AIODEV_CFG_U32, inject[READ].bad_fails,
		0, U32_MAX, NULL);
AIODEV_CFG_ATTR(read_hang_every, AIODEV_CFG_U32, inject[READ].hang_every, 0,
		U32_MAX, NULL);
AIODEV_CFG_ATTR(read_hang_percent, AIODEV_CFG_U32, inject[READ].hang_percent,
		0, 100, NULL);
AIODEV_CFG_ATTR(write_every, AIODEV_CFG_U32, inject[WRITE].every, 0, U32_MAX,
		NULL);
AIODEV_CFG_ATTR(write_percent, AIODEV_CFG_U32, inject[WRITE].percent, 0, 100,
		NULL);
AIODEV_CFG_ATTR(write_bad_range, AIODEV_CFG_RANGE, inject[WRITE].bad_start, 0,
		0, NULL);
AIODEV_CFG_ATTR(write_bad_range_fails, AIODEV_CFG_U32, inject[WRITE].bad_fails,
		0, U32_MAX, NULL);
AIODEV_CFG_ATTR(write_hang_every, AIODEV_CFG_U32, inject[WRITE].hang_every, 0,
		U32_MAX, NULL);
AIODEV_CFG_ATTR(write_hang_percent, AIODEV_CFG_U32, inject[WRITE].hang_percent,
		0, 100, NULL);
AIODEV_CFG_ATTR(spike_every, AIODEV_CFG_U32, spike_every, 0, U32_MAX, NULL);
AIODEV_CFG_ATTR(spike_percent, AIODEV_CFG_U32, spike_percent, 0, 100, NULL);
AIODEV_CFG_ATTR(spike_ns, AIODEV_CFG_U64, spike_ns, 0, AIODEV_MAX_LATENCY_NS,
		NULL);
AIODEV_CFG_ATTR(stall_ns, AIODEV_CFG_U64, stall_ns, 0, AIODEV_MAX_STALL_NS,
		NULL);
AIODEV_CFG_ATTR(stall_period_ns, AIODEV_CFG_U64, stall_period_ns, 0,
		AIODEV_MAX_STALL_NS, NULL);

/* Every configuration attribute; each is a module parameter too. */
static const struct aiodev_cfg_attr *aiodev_cfg_attrs[] = {
	&aiodev_attr_latency_ns,
	&aiodev_attr_write_latency_ns,
	&aiodev_attr_jitter,
	&aiodev_attr_bandwidth_mbps,
	&aiodev_attr_queue_depth,
	&aiodev_attr_completion,
	&aiodev_attr_timeout_ms,
	&aiodev_attr_cache_size,
	&aiodev_attr_read_every,
	&aiodev_attr_read_percent,
	&aiodev_attr_read_bad_range,
	&aiodev_attr_read_bad_range_fails,
	&aiodev_attr_read_hang_every,
	&aiodev_attr_read_hang_percent,
	&aiodev_attr_write_every,
	&aiodev_attr_write_percent,
	&aiodev_attr_write_bad_range,
	&aiodev_attr_write_bad_range_fails,
	&aiodev_attr_write_hang_every,
	&aiodev_attr_write_hang_percent,
	&aiodev_attr_spike_every,
	&aiodev_attr_spike_percent,
	&aiodev_attr_spike_ns,
	&aiodev_attr_stall_ns,
	&aiodev_attr_stall_period_ns,
};

static const struct aiodev_cfg_attr *aiodev_cfg_attr_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(aiodev_cfg_attrs); i++)
		if (!strcmp(aiodev_cfg_attrs[i]->attr.attr.name, name))
			return aiodev_cfg_attrs[i];
	return NULL;
}

/**
 * aiodev_cfg_set_param - apply a module parameter to a configuration
 * @cfg: the configuration
 * @name: the parameter, named as its sysfs attribute
 * @val: its text
 *
 * Module parameters and sysfs share one parser and one set of limits.
 *
 * Return: 0, or -EINVAL for an unknown name or a bad value.
 */
int aiodev_cfg_set_param(struct aiodev_config *cfg, const char *name,
			 const char *val)
{
	const struct aiodev_cfg_attr *a = aiodev_cfg_attr_named(name);

	return a ? aiodev_cfg_parse(cfg, a, val) : -EINVAL;
}

/* A module parameter's text, as its sysfs attribute shows it. */
int aiodev_cfg_get_param(const struct aiodev_config *cfg, const char *name,
			 char *buf)
{
	const struct aiodev_cfg_attr *a = aiodev_cfg_attr_named(name);

	return a ? aiodev_cfg_format(cfg, a, buf) : -EINVAL;
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n", ad->size);
}
static DEVICE_ATTR_RO(size);

/* Writing 1 loses every write the volatile write cache holds. */
static ssize_t power_cut_store(struct device *dev,
			       struct device_attribute *attr, const char *buf,
			       size_t count)
{
	bool cut;

	if (kstrtobool(buf, &cut) || !cut)
		return -EINVAL;
	aiodev_cache_power_cut(dev_get_drvdata(dev));
	return count;
}
static DEVICE_ATTR_WO(power_cut);

static struct attribute *aiodev_attrs[] = {
	&dev_attr_size.attr,
	&aiodev_attr_latency_ns.attr.attr,
	&aiodev_attr_write_latency_ns.attr.attr,
	&aiodev_attr_jitter.attr.attr,
	&aiodev_attr_bandwidth_mbps.attr.attr,
	&aiodev_attr_queue_depth.attr.attr,
	&aiodev_attr_completion.attr.attr,
	&aiodev_attr_timeout_ms.attr.attr,
	&aiodev_attr_cache_size.attr.attr,
	&dev_attr_power_cut.attr,
	NULL,
};

static const struct attribute_group aiodev_group = {
	.attrs = aiodev_attrs,
};

static struct attribute *aiodev_inject_attrs[] = {
	&aiodev_attr_read_every.attr.attr,
	&aiodev_attr_read_percent.attr.attr,
	&aiodev_attr_read_bad_range.attr.attr,
	&aiodev_attr_read_bad_range_fails.attr.attr,
	&aiodev_attr_read_hang_every.attr.attr,
	&aiodev_attr_read_hang_percent.attr.attr,
	&aiodev_attr_write_every.attr.attr,
	&aiodev_attr_write_percent.attr.attr,
	&aiodev_attr_write_bad_range.attr.attr,
	&aiodev_attr_write_bad_range_fails.attr.attr,
	&aiodev_attr_write_hang_every.attr.attr,
	&aiodev_attr_write_hang_percent.attr.attr,
	&aiodev_attr_spike_every.attr.attr,
	&aiodev_attr_spike_percent.attr.attr,
	&aiodev_attr_spike_ns.attr.attr,
	&aiodev_attr_stall_ns.attr.attr,
	&aiodev_attr_stall_period_ns.attr.attr,
	NULL,
};

static const struct attribute_group aiodev_inject_group = {
	.name = "inject",
	.attrs = aiodev_inject_attrs,
};

/* Statistics: per-CPU counters, summed when read. */

struct aiodev_stat_attr {
	struct device_attribute attr;
	size_t offset;		/* of a u64 in struct aiodev_stats */
};

static u64 aiodev_stat_sum(struct aiodev *ad, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((void *)per_cpu_ptr(ad->stats, cpu) + offset);
	return sum;
}

static ssize_t aiodev_stat_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	const struct aiodev_stat_attr *a =
		container_of(attr, struct aiodev_stat_attr, attr);

	return sysfs_emit(buf, "%llu\n",
			  aiodev_stat_sum(dev_get_drvdata(dev), a->offset));
}

#define AIODEV_STAT_ATTR(_name, _field)					\
	static struct aiodev_stat_attr aiodev_stat_##_name = {		\
		.attr = __ATTR(_name, 0444, aiodev_stat_show, NULL),	\
		.offset = offsetof(struct aiodev_stats, _field),	\
	}

AIODEV_STAT_ATTR(reads, ios[READ]);
AIODEV_STAT_ATTR(writes, ios[WRITE]);
AIODEV_STAT_ATTR(read_bytes, bytes[READ]);
AIODEV_STAT_ATTR(write_bytes, bytes[WRITE]);
AIODEV_STAT_ATTR(read_errors, errors[READ]);
AIODEV_STAT_ATTR(write_errors, errors[WRITE]);
AIODEV_STAT_ATTR(eagain, eagain);
AIODEV_STAT_ATTR(nops, nops);
AIODEV_STAT_ATTR(hung, hung);
AIODEV_STAT_ATTR(timed_out, timed_out);
AIODEV_STAT_ATTR(cancelled, cancelled);
AIODEV_STAT_ATTR(spikes, spikes);
AIODEV_STAT_ATTR(flushes, flushes);
AIODEV_STAT_ATTR(lost_bytes, lost_bytes);

static ssize_t cache_dirty_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", aiodev_cache_dirty(dev_get_drvdata(dev)));
}
static DEVICE_ATTR_RO(cache_dirty);

static ssize_t in_flight_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);
	unsigned int n;

	spin_lock_irq(&ad->lock);
	n = ad->in_service + ad->nr_waiting;
	spin_unlock_irq(&ad->lock);
	return sysfs_emit(buf, "%u\n", n);
}
static DEVICE_ATTR_RO(in_flight);

static ssize_t max_in_flight_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(ad->max_in_flight));
}
static DEVICE_ATTR_RO(max_in_flight);

/* One line per non-empty bucket: its lower bound in ns, and its count. */
static ssize_t latency_hist_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct aiodev *ad = dev_get_drvdata(dev);
	int len = 0;
	unsigned int i;
	u64 n;

	for (i = 0; i < AIODEV_LAT_BUCKETS; i++) {
		n = aiodev_stat_sum(ad, offsetof(struct aiodev_stats, lat[i]));
		if (n)
			len += sysfs_emit_at(buf, len, "%llu %llu\n",
					     i ? 1ULL << i : 0, n);
	}
	return len;
}
static DEVICE_ATTR_RO(latency_hist);

/* Writing 1 zeroes the counters; max_in_flight restarts from now. */
static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct aiodev *ad = dev_get_drvdata(dev);
	bool reset;
	int cpu;

	if (kstrtobool(buf, &reset) || !reset)
		return -EINVAL;
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(ad->stats, cpu), 0, sizeof(struct aiodev_stats));
	spin_lock_irq(&ad->lock);
	ad->max_in_flight = ad->in_service + ad->nr_waiting;
	spin_unlock_irq(&ad->lock);
	return count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *aiodev_stats_attrs[] = {
	&aiodev_stat_reads.attr.attr,
	&aiodev_stat_writes.attr.attr,
	&aiodev_stat_read_bytes.attr.attr,
	&aiodev_stat_write_bytes.attr.attr,
	&aiodev_stat_read_errors.attr.attr,
	&aiodev_stat_write_errors.attr.attr,
	&aiodev_stat_eagain.attr.attr,
	&aiodev_stat_nops.attr.attr,
	&aiodev_stat_hung.attr.attr,
	&aiodev_stat_timed_out.attr.attr,
	&aiodev_stat_cancelled.attr.attr,
	&aiodev_stat_spikes.attr.attr,
	&aiodev_stat_flushes.attr.attr,
	&aiodev_stat_lost_bytes.attr.attr,
	&dev_attr_cache_dirty.attr,
	&dev_attr_in_flight.attr,
	&dev_attr_max_in_flight.attr,
	&dev_attr_latency_hist.attr,
	&dev_attr_reset.attr,
	NULL,
};

static const struct attribute_group aiodev_stats_group = {
	.name = "stats",
	.attrs = aiodev_stats_attrs,
};

const struct attribute_group *aiodev_groups[] = {
	&aiodev_group,
	&aiodev_stats_group,
	&aiodev_inject_group,
	NULL,
};
