// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest aiodev passthrough client: write a block with
 * AIODEV_URING_CMD_WRITE, read it back with AIODEV_URING_CMD_READ, compare.
 * Usage: uring_cmd_example [/dev/aiodevN]
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/aiodev.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int aiodev_cmd(struct io_uring *ring, int fd, __u32 op, void *buf,
		      __u32 len, __u64 offset)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct aiodev_uring_cmd *cmd;
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);		/* a 128-byte SQE: reserved fields 0 */
	cmd = (struct aiodev_uring_cmd *)sqe->cmd;
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	cmd->addr = (uintptr_t)buf;
	cmd->len = len;
	cmd->offset = offset;
	res = io_uring_submit(ring);
	if (res < 0)
		return res;
	res = io_uring_wait_cqe(ring, &cqe);
	if (res < 0)
		return res;
	res = cqe->res;			/* bytes moved, or -errno */
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	char out[4096] = "hello, aiodev", in[4096];
	struct io_uring ring;
	int fd = open(argc > 1 ? argv[1] : "/dev/aiodev0", O_RDWR);

	if (fd < 0 || io_uring_queue_init(8, &ring, IORING_SETUP_SQE128)) {
		perror("uring_cmd_example");
		return 1;
	}
	printf("write: %d\n", aiodev_cmd(&ring, fd, AIODEV_URING_CMD_WRITE,
					 out, sizeof(out), 0));
	printf("read: %d\n", aiodev_cmd(&ring, fd, AIODEV_URING_CMD_READ,
					in, sizeof(in), 0));
	return memcmp(in, out, sizeof(out)) != 0;
}
