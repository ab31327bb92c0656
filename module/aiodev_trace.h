/* SPDX-License-Identifier: GPL-2.0 */
/*
 * aiodev tracepoints: follow requests with ftrace or perf trace,
 * e.g. `perf trace -e 'aiodev:*'`.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM aiodev

#if !defined(AIODEV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define AIODEV_TRACE_H

#include <linux/tracepoint.h>

#include "aiodev.h"

TRACE_EVENT(aiodev_submit,
	    TP_PROTO(const struct aiodev_rq *rq),
	    TP_ARGS(rq),
	    TP_STRUCT__entry(__field(const void *, rq)
			     __field(unsigned int, dev)
			     __field(bool, write)
			     __field(bool, sync)
			     __field(loff_t, pos)
			     __field(size_t, len)),
	    TP_fast_assign(__entry->rq = rq;
			   __entry->dev = rq->ad->index;
			   __entry->write = rq->write;
			   __entry->sync = rq->kind == AIODEV_RQ_SYNC;
			   __entry->pos = rq->pos;
			   __entry->len = rq->len;),
	    TP_printk("aiodev%u rq=%p %s%s pos=%lld len=%zu", __entry->dev,
		      __entry->rq, __entry->write ? "write" : "read",
		      __entry->sync ? " sync" : "", __entry->pos, __entry->len)
);

/*
 * A request takes a slot, with the service time the device drew for it
 * (latency_ns spread by jitter; a bandwidth limit may add to it).
 */
TRACE_EVENT(aiodev_start,
	    TP_PROTO(const struct aiodev_rq *rq, u64 service_ns),
	    TP_ARGS(rq, service_ns),
	    TP_STRUCT__entry(__field(const void *, rq)
			     __field(unsigned int, dev)
			     __field(u64, service_ns)),
	    TP_fast_assign(__entry->rq = rq;
			   __entry->dev = rq->ad->index;
			   __entry->service_ns = service_ns;),
	    TP_printk("aiodev%u rq=%p service_ns=%llu", __entry->dev,
		      __entry->rq, __entry->service_ns)
);

TRACE_EVENT(aiodev_complete,
	    TP_PROTO(const struct aiodev_rq *rq, long ret, u64 latency_ns),
	    TP_ARGS(rq, ret, latency_ns),
	    TP_STRUCT__entry(__field(const void *, rq)
			     __field(unsigned int, dev)
			     __field(bool, write)
			     __field(long, ret)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->rq = rq;
			   __entry->dev = rq->ad->index;
			   __entry->write = rq->write;
			   __entry->ret = ret;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("aiodev%u rq=%p %s ret=%ld latency_ns=%llu",
		      __entry->dev, __entry->rq,
		      __entry->write ? "write" : "read", __entry->ret,
		      __entry->latency_ns)
);

#endif /* AIODEV_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE aiodev_trace
#include <trace/define_trace.h>
