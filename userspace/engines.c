// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench's engines: one I/O interface each, behind struct aiobench_engine.
 * The job loop (job.c) queues I/O into slots, submits and reaps; an
 * engine reports each completion with aiobench_complete().
 */
#include <errno.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine.h"

/* sync: pread/pwrite, one at a time; --jobs gives a pool of threads. */

/* The slot's I/O with pread/pwrite: bytes, or -1 with errno. */
static ssize_t sync_rw(struct aiobench_job *job, const struct aiobench_slot *s)
{
	if (s->write)
		return pwrite(job->fd, s->buf, job->opts->bs, s->offset);
	return pread(job->fd, s->buf, job->opts->bs, s->offset);
}

static int sync_queue(struct aiobench_job *job, unsigned int i)
{
	ssize_t res = sync_rw(job, &job->slots[i]);

	aiobench_complete(job, i, res < 0 ? -errno : res);
	return 0;
}

/* sync_queue() did the I/O: everything queued is submitted. */
static int sync_submit(struct aiobench_job *job)
{
	return job->queued;
}

static int sync_reap(struct aiobench_job *job, unsigned int min)
{
	return 0;
}

static int sync_init(struct aiobench_job *job)
{
	return 0;
}

static void sync_exit(struct aiobench_job *job)
{
}

static const struct aiobench_engine aiobench_sync = {
	.name = "sync",
	.init = sync_init,
	.queue = sync_queue,
	.submit = sync_submit,
	.reap = sync_reap,
	.exit = sync_exit,
};

/* epoll: an O_NONBLOCK file, and epoll_wait() whenever it says EAGAIN. */

struct epoll_priv {
	int ep;
};

static int epoll_init(struct aiobench_job *job)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET };
	struct epoll_priv *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	job->priv = p;
	p->ep = epoll_create1(0);
	if (p->ep < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, job->fd, &ev))
		return -errno;
	return 0;
}

static int epoll_queue(struct aiobench_job *job, unsigned int i)
{
	struct epoll_priv *p = job->priv;
	struct aiobench_slot *s = &job->slots[i];
	struct epoll_event ev;
	ssize_t res;

	for (;;) {
		res = sync_rw(job, s);
		if (res >= 0 || errno != EAGAIN)
			break;
		if (epoll_wait(p->ep, &ev, 1, 1000) < 0 && errno != EINTR)
			break;
	}
	aiobench_complete(job, i, res < 0 ? -errno : res);
	return 0;
}

static void epoll_exit(struct aiobench_job *job)
{
	struct epoll_priv *p = job->priv;

	if (!p)
		return;
	if (p->ep >= 0)
		close(p->ep);
	free(p);
}

static const struct aiobench_engine aiobench_epoll = {
	.name = "epoll",
	.init = epoll_init,
	.queue = epoll_queue,
	.submit = sync_submit,
	.reap = sync_reap,
	.exit = epoll_exit,
};

/* aio: Linux native aio through libaio. */

struct aio_priv {
	io_context_t ctx;
	struct iocb *cbs;		/* one per slot */
	struct iocb **pending;		/* queued, not submitted */
	unsigned int nr_pending;
	struct io_event *events;
};

static int aio_init(struct aiobench_job *job)
{
	unsigned int qd = job->opts->qd;
	struct aio_priv *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->cbs = calloc(qd, sizeof(*p->cbs));
	p->pending = calloc(qd, sizeof(*p->pending));
	p->events = calloc(qd, sizeof(*p->events));
	job->priv = p;
	if (!p->cbs || !p->pending || !p->events)
		return -ENOMEM;
	ret = io_setup(qd, &p->ctx);
	return ret;
}

static int aio_queue(struct aiobench_job *job, unsigned int i)
{
	struct aio_priv *p = job->priv;
	struct aiobench_slot *s = &job->slots[i];
	struct iocb *cb = &p->cbs[i];

	if (s->write)
		io_prep_pwrite(cb, job->fd, s->buf, job->opts->bs, s->offset);
	else
		io_prep_pread(cb, job->fd, s->buf, job->opts->bs, s->offset);
	cb->data = (void *)(uintptr_t)i;
	p->pending[p->nr_pending++] = cb;
	return 0;
}

static int aio_submit(struct aiobench_job *job)
{
	struct aio_priv *p = job->priv;
	int ret = io_submit(p->ctx, p->nr_pending, p->pending);

	if (ret < 0)
		return ret;
	p->nr_pending -= ret;
	memmove(p->pending, p->pending + ret, p->nr_pending * sizeof(*p->pending));
	return ret;
}

static int aio_reap(struct aiobench_job *job, unsigned int min)
{
	struct aio_priv *p = job->priv;
	int n = io_getevents(p->ctx, min, job->opts->qd, p->events, NULL);

	for (int e = 0; e < n; e++)
		aiobench_complete(job, (uintptr_t)p->events[e].data,
				  (long)p->events[e].res);
	/* EINTR: io_uring task work (another job's ring exit) woke us. */
	return n < 0 && n != -EINTR ? n : 0;
}

static void aio_exit(struct aiobench_job *job)
{
	struct aio_priv *p = job->priv;

	if (!p)
		return;
	if (p->ctx)
		io_destroy(p->ctx);
	free(p->cbs);
	free(p->pending);
	free(p->events);
	free(p);
}

static const struct aiobench_engine aiobench_aio = {
	.name = "aio",
	.init = aio_init,
	.queue = aio_queue,
	.submit = aio_submit,
	.reap = aio_reap,
	.exit = aio_exit,
};

/*
 * io_uring read/write, and io_uring passthrough to aiodev (uring_cmd):
 * the same ring handling, different SQEs.
 */

struct uring_priv {
	struct io_uring ring;
	bool cmd;
};

static int uring_setup(struct aiobench_job *job, bool cmd)
{
	const struct aiobench_opts *o = job->opts;
	struct io_uring_params params = { 0 };
	struct uring_priv *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	job->priv = p;
	p->cmd = cmd;
	if (cmd)
		params.flags |= IORING_SETUP_SQE128;
	if (o->iopoll)
		params.flags |= IORING_SETUP_IOPOLL;
	if (o->sqpoll) {
		params.flags |= IORING_SETUP_SQPOLL;
		params.sq_thread_idle = 1000;
	}
	ret = io_uring_queue_init_params(o->qd, &p->ring, &params);
	if (ret) {
		free(p);
		job->priv = NULL;
		return ret;
	}
	if (o->fixed_bufs) {
		struct iovec *iov = calloc(o->qd, sizeof(*iov));

		if (!iov)
			return -ENOMEM;
		for (unsigned int i = 0; i < o->qd; i++) {
			iov[i].iov_base = job->slots[i].buf;
			iov[i].iov_len = o->bs;
		}
		ret = io_uring_register_buffers(&p->ring, iov, o->qd);
		free(iov);
		if (ret)
			return ret;
	}
	if (o->fixed_files)
		return io_uring_register_files(&p->ring, &job->fd, 1);
	return 0;
}

static int uring_init(struct aiobench_job *job)
{
	return uring_setup(job, false);
}

static int uring_cmd_init(struct aiobench_job *job)
{
	return uring_setup(job, true);
}

void aiobench_prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t op,
		       void *buf, uint32_t len, uint64_t offset)
{
	struct aiodev_uring_cmd *cmd = (struct aiodev_uring_cmd *)sqe->cmd;

	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	cmd->addr = (uintptr_t)buf;
	cmd->len = len;
	cmd->offset = offset;
}

static int uring_queue(struct aiobench_job *job, unsigned int i)
{
	const struct aiobench_opts *o = job->opts;
	struct uring_priv *p = job->priv;
	struct aiobench_slot *s = &job->slots[i];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
	int fd = o->fixed_files ? 0 : job->fd;
	int ret;

	/*
	 * The SQPOLL thread may post a CQE before it frees its SQE: a slot we
	 * reaped can still be taken in the SQ ring.  Wait for the thread.
	 */
	while (!sqe && (p->ring.flags & IORING_SETUP_SQPOLL)) {
		ret = io_uring_sqring_wait(&p->ring);
		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&p->ring);
	}
	if (!sqe)
		return -EBUSY;
	if (p->cmd && o->rw == AIOBENCH_NOP) {
		/* On another file, the same SQE goes to its ->uring_cmd(). */
		aiobench_prep_cmd(sqe, fd, AIODEV_URING_CMD_NOP, NULL, 0, 0);
	} else if (p->cmd) {
		aiobench_prep_cmd(sqe, fd, s->write ? AIODEV_URING_CMD_WRITE :
				  AIODEV_URING_CMD_READ, s->buf, o->bs, s->offset);
		if (o->fixed_bufs) {
			sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
			sqe->buf_index = i;
		}
	} else if (o->fixed_bufs) {
		if (s->write)
			io_uring_prep_write_fixed(sqe, fd, s->buf, o->bs, s->offset, i);
		else
			io_uring_prep_read_fixed(sqe, fd, s->buf, o->bs, s->offset, i);
	} else if (s->write) {
		io_uring_prep_write(sqe, fd, s->buf, o->bs, s->offset);
	} else {
		io_uring_prep_read(sqe, fd, s->buf, o->bs, s->offset);
	}
	if (o->fixed_files)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, i);
	return 0;
}

static int uring_submit(struct aiobench_job *job)
{
	struct uring_priv *p = job->priv;

	return io_uring_submit(&p->ring);
}

static int uring_reap(struct aiobench_job *job, unsigned int min)
{
	struct uring_priv *p = job->priv;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	ret = io_uring_wait_cqe_nr(&p->ring, &cqe, min);
	if (ret && ret != -EINTR)
		return ret;
	io_uring_for_each_cqe(&p->ring, head, cqe) {
		aiobench_complete(job, io_uring_cqe_get_data64(cqe), cqe->res);
		n++;
	}
	io_uring_cq_advance(&p->ring, n);
	return 0;
}

static void uring_exit(struct aiobench_job *job)
{
	struct uring_priv *p = job->priv;

	if (!p)
		return;
	io_uring_queue_exit(&p->ring);
	free(p);
}

static const struct aiobench_engine aiobench_uring = {
	.name = "io_uring",
	.init = uring_init,
	.queue = uring_queue,
	.submit = uring_submit,
	.reap = uring_reap,
	.exit = uring_exit,
};

static const struct aiobench_engine aiobench_uring_cmd = {
	.name = "uring_cmd",
	.init = uring_cmd_init,
	.queue = uring_queue,
	.submit = uring_submit,
	.reap = uring_reap,
	.exit = uring_exit,
};

const struct aiobench_engine *const aiobench_engines[AIOBENCH_NR_ENGINES] = {
	[AIOBENCH_SYNC] = &aiobench_sync,
	[AIOBENCH_AIO] = &aiobench_aio,
	[AIOBENCH_URING] = &aiobench_uring,
	[AIOBENCH_URING_CMD] = &aiobench_uring_cmd,
	[AIOBENCH_EPOLL] = &aiobench_epoll,
};
