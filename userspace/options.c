// SPDX-License-Identifier: GPL-2.0
/*
 * aiobench's command line: the options of every command, their defaults,
 * their checks, and --help.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aiobench.h"
#include "version.h"

const char *const aiobench_rw_names[AIOBENCH_NR_RW] = {
	"read", "write", "randread", "randwrite", "mixed", "nop",
};

static const char *const aiobench_format_names[] = {
	[AIOBENCH_NORMAL] = "normal",
	[AIOBENCH_JSON] = "json",
	[AIOBENCH_FIO_JSON] = "fio-json",
};

const char *const aiobench_engine_names[AIOBENCH_NR_ENGINES] = {
	[AIOBENCH_SYNC] = "sync",
	[AIOBENCH_AIO] = "aio",
	[AIOBENCH_URING] = "uring",
	[AIOBENCH_URING_CMD] = "uring-cmd",
	[AIOBENCH_EPOLL] = "epoll",
};

struct aiobench_opts aiobench_default_opts(void)
{
	return (struct aiobench_opts){
		.engine = AIOBENCH_URING,
		.rw = AIOBENCH_RANDREAD,
		.mix = 50,
		.bs = 4096,
		.qd = 32,
		.jobs = 1,
		.runtime = 3,
		.seed = 1,
		.batch_submit = 1,
		.batch_complete = 1,
	};
}

static int aiobench_lookup(const char *const *names, int n, const char *s,
			   const char *what)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	aiobench_die("unknown %s '%s' (see aiobench --help)", what, s);
}

uint64_t aiobench_number(const char *s, const char *opt, uint64_t min,
			 uint64_t max)
{
	int64_t v = aiobench_parse_size(s);

	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max)
		aiobench_die("%s '%s': expected a number from %" PRIu64 " to %" PRIu64,
			     opt, s, min, max);
	return v;
}

static const char aiobench_usage[] =
"usage: aiobench [run] [OPTIONS] FILE       one workload, one engine\n"
"       aiobench compare [OPTIONS] FILE     every engine, side by side\n"
"       aiobench sweep [OPTIONS] FILE       queue depths x device latencies\n"
"       aiobench timeline [OPTIONS] FILE    IOPS and latency over time, plotted\n"
"\n"
"FILE is any file or device: /dev/aiodevN, a regular file, /dev/zero,\n"
"/dev/nullb0...  Everything is read and written in place: use a scratch file.\n"
"\n"
"Engines (-e):\n"
"  sync        blocking pread/pwrite; --jobs N threads for a thread pool\n"
"  aio         Linux native aio (io_submit/io_getevents)\n"
"  uring       io_uring read/write (default)\n"
"  uring-cmd   io_uring passthrough to aiodev (IORING_OP_URING_CMD)\n"
"  epoll       O_NONBLOCK reads/writes, epoll_wait() on EAGAIN\n"
"\n"
"Workload:\n"
"  -e, --engine NAME      the engine (above)\n"
"  -w, --rw MODE          read, write, randread (default), randwrite, mixed,\n"
"                         or nop (uring-cmd, run only: AIODEV_URING_CMD_NOP,\n"
"                         no data; another file's ->uring_cmd gets the same\n"
"                         command, e.g. /dev/null's, which completes it at once)\n"
"      --mix PCT          reads in percent for --rw mixed (default 50)\n"
"  -b, --bs SIZE          block size (default 4k; k, m, g suffixes)\n"
"  -d, --qd N             I/Os in flight per job (default 32; 1 for sync, epoll)\n"
"  -j, --jobs N           threads, each with its own engine (default 1;\n"
"                         compare and sweep set it per engine)\n"
"      --threads N        the same as --jobs\n"
"  -t, --runtime SEC      run this long (default 3; sweep: 1 a point)\n"
"  -n, --ops N            or this many I/Os per job (then --runtime is unused)\n"
"      --offset SIZE      start of the range used (default 0)\n"
"      --size SIZE        length of the range (default: to the end of FILE)\n"
"      --seed N           random offsets and --verify pattern (default 1)\n"
"      --verify           check what is read: the range is filled with one\n"
"                         pattern before the run, the run writes another,\n"
"                         and if it writes, the range is read back after\n"
"                         (a lost write shows); mismatched reads are counted\n"
"      --direct           open with O_DIRECT (--bs, --offset: multiples of 512)\n"
"io_uring (uring, uring-cmd):\n"
"      --fixed-bufs       registered buffers\n"
"      --fixed-files      registered file\n"
"      --sqpoll           SQPOLL submission thread\n"
"      --iopoll           polled completions (IORING_SETUP_IOPOLL; O_DIRECT)\n"
"  -s, --batch-submit N   submit when N are queued (also aio; default 1)\n"
"  -c, --batch-complete N reap at least N at a time (also aio; default 1)\n"
"Output:\n"
"      --json             JSON instead of a table\n"
"      --output-format FMT\n"
"                         normal (the table, default), json (as --json), or\n"
"                         fio-json: fio's json+ layout and names, for the\n"
"                         tools that read fio's (run and compare)\n"
"      --log-interval MS  log each MS ms (1 to 60000) of the timed run: the\n"
"                         I/Os completed in it (IOPS) and their latency (p50,\n"
"                         p99, max...), of all jobs and of each; the table\n"
"                         gets a short timeline, the JSON \"log\" (compare and\n"
"                         sweep: their JSON only)\n"
"      --log-lines        with --log-interval, the table has a line per interval\n"
"  -q, --quiet            no progress line on stderr\n"
"      --version          print aiobench's version and exit (also in the JSON)\n"
"  -h, --help             print this and exit\n"
"compare (the CPU time per request, user and system, in usr/req, sys/req):\n"
"      --engines LIST     default sync,sync-threads,aio,uring,uring-cmd,epoll\n"
"                         (sync-threads: qd threads of blocking I/O;\n"
"                         uring-cmd only on aiodev)\n"
"      --latencies LIST   on aiodev, a table at each device latency in ns (set\n"
"                         through sysfs, restored after; default: as it is)\n"
"      --out DIR          also write DIR/compare.json\n"
"sweep (on aiodev, whose latency_ns it sets through sysfs and restores):\n"
"      --engines LIST     default sync,aio,uring,uring-cmd (sync: N threads)\n"
"      --depths LIST      default 1,2,4,8,16,32,64,128\n"
"      --latencies LIST   device latencies in ns, default 0,10000,100000,1000000\n"
"      --out DIR          where sweep.csv, sweep.json and the plots go\n"
"                         (default aiobench-sweep)\n"
"timeline (one workload, its log into files and a plot; --runtime 10 and\n"
"--log-interval 100 by default):\n"
"      --out DIR          where timeline.csv, timeline.json and timeline.svg,\n"
"                         IOPS and latency over time, go (default\n"
"                         aiobench-timeline)\n"
"\n"
"Numbers are decimal (or hexadecimal after 0x).  Ctrl-C ends the timed run\n"
"(--verify's fill and read-back still complete); in compare and sweep it also\n"
"skips the runs left.\n"
"Exit status: 0 done, 1 an I/O failed, --verify found mismatches, or compare\n"
"or sweep was interrupted, 2 bad usage or setup (or no compared engine could\n"
"run).  Absolute numbers in a VM under emulation (TCG) are not\n"
"those of hardware: compare ratios measured in one run.\n";

enum {
	OPT_MIX = 256, OPT_THREADS, OPT_OFFSET, OPT_SIZE, OPT_SEED,
	OPT_VERIFY, OPT_DIRECT, OPT_FIXED_BUFS, OPT_FIXED_FILES,
	OPT_SQPOLL, OPT_IOPOLL, OPT_JSON, OPT_ENGINES, OPT_DEPTHS,
	OPT_LATENCIES, OPT_OUT, OPT_VERSION, OPT_OUTPUT_FORMAT,
	OPT_LOG_INTERVAL, OPT_LOG_LINES,
};

static const struct option aiobench_longopts[] = {
	{ "engine", required_argument, NULL, 'e' },
	{ "rw", required_argument, NULL, 'w' },
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "bs", required_argument, NULL, 'b' },
	{ "qd", required_argument, NULL, 'd' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "runtime", required_argument, NULL, 't' },
	{ "ops", required_argument, NULL, 'n' },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "fixed-bufs", no_argument, NULL, OPT_FIXED_BUFS },
	{ "fixed-files", no_argument, NULL, OPT_FIXED_FILES },
	{ "sqpoll", no_argument, NULL, OPT_SQPOLL },
	{ "iopoll", no_argument, NULL, OPT_IOPOLL },
	{ "batch-submit", required_argument, NULL, 's' },
	{ "batch-complete", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output-format", required_argument, NULL, OPT_OUTPUT_FORMAT },
	{ "log-interval", required_argument, NULL, OPT_LOG_INTERVAL },
	{ "log-lines", no_argument, NULL, OPT_LOG_LINES },
	{ "quiet", no_argument, NULL, 'q' },
	{ "engines", required_argument, NULL, OPT_ENGINES },
	{ "depths", required_argument, NULL, OPT_DEPTHS },
	{ "latencies", required_argument, NULL, OPT_LATENCIES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ }
};

/* What was given on the command line, for the checks after it. */
struct aiobench_given {
	bool qd, mix;
};

/* Option @c of the workload, with @arg: false if it is not one. */
static bool aiobench_parse_workload(int c, const char *arg, struct aiobench_cli *cli,
				    struct aiobench_given *given)
{
	struct aiobench_opts *o = &cli->opts;
	char *end;

	switch (c) {
	case 'e':
		o->engine = aiobench_lookup(aiobench_engine_names,
					    AIOBENCH_NR_ENGINES, arg, "engine");
		break;
	case 'w':
		o->rw = aiobench_lookup(aiobench_rw_names, AIOBENCH_NR_RW, arg,
					"--rw mode");
		break;
	case OPT_MIX:
		o->mix = aiobench_number(arg, "--mix", 0, 100);
		given->mix = true;
		break;
	case 'b':
		o->bs = aiobench_number(arg, "--bs", 1, 64 << 20);
		break;
	case 'd':
		o->qd = aiobench_number(arg, "--qd", 1, 4096);
		given->qd = true;
		break;
	case 'j':
	case OPT_THREADS:
		o->jobs = aiobench_number(arg, "--jobs", 1, 1024);
		cli->jobs_given = true;
		break;
	case 't':
		errno = 0;
		o->runtime = strtod(arg, &end);
		if (errno || *end || !(o->runtime > 0 && o->runtime < 1e6))
			aiobench_die("--runtime '%s': expected seconds > 0", arg);
		break;
	case 'n':
		o->ops = aiobench_number(arg, "--ops", 1, UINT64_MAX >> 1);
		break;
	case OPT_OFFSET:
		o->offset = aiobench_number(arg, "--offset", 0, INT64_MAX);
		break;
	case OPT_SIZE:
		o->size = aiobench_number(arg, "--size", 1, INT64_MAX);
		break;
	case OPT_SEED:
		o->seed = aiobench_number(arg, "--seed", 0, UINT32_MAX);
		break;
	default:
		return false;
	}
	return true;
}

/* Any other option @c, with @arg; --help and bad options exit. */
static void aiobench_parse_other(int c, const char *arg, struct aiobench_cli *cli)
{
	struct aiobench_opts *o = &cli->opts;

	switch (c) {
	case OPT_VERIFY:
		o->verify = true;
		break;
	case OPT_DIRECT:
		o->direct = true;
		break;
	case OPT_FIXED_BUFS:
		o->fixed_bufs = true;
		break;
	case OPT_FIXED_FILES:
		o->fixed_files = true;
		break;
	case OPT_SQPOLL:
		o->sqpoll = true;
		break;
	case OPT_IOPOLL:
		o->iopoll = true;
		break;
	case 's':
		o->batch_submit = aiobench_number(arg, "--batch-submit", 1, 4096);
		break;
	case 'c':
		o->batch_complete = aiobench_number(arg, "--batch-complete", 1, 4096);
		break;
	case OPT_JSON:
		o->format = AIOBENCH_JSON;
		break;
	case OPT_OUTPUT_FORMAT:
		o->format = aiobench_lookup(aiobench_format_names, 3, arg,
					    "--output-format");
		break;
	case OPT_LOG_INTERVAL:
		o->log_interval_ms = aiobench_number(arg, "--log-interval", 1,
						     AIOBENCH_LOG_MAX_MS);
		break;
	case OPT_LOG_LINES:
		o->log_lines = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_ENGINES:
		cli->engines = arg;
		break;
	case OPT_DEPTHS:
		cli->depths = arg;
		break;
	case OPT_LATENCIES:
		cli->latencies = arg;
		break;
	case OPT_OUT:
		cli->out = arg;
		break;
	case 'h':
		fputs(aiobench_usage, stdout);
		exit(0);
	case OPT_VERSION:
		printf("aiobench %s\n", AIOBENCH_VERSION);
		exit(0);
	default:
		fputs(aiobench_usage, stderr);
		exit(2);
	}
}

/* The options that do not go together, or not with this engine. */
static void aiobench_check_opts(struct aiobench_opts *o,
				const struct aiobench_given *given)
{
	if (o->engine == AIOBENCH_SYNC || o->engine == AIOBENCH_EPOLL) {
		if (given->qd && o->qd != 1)
			aiobench_die("--qd: the %s engine does one I/O at a time: use --jobs",
				     aiobench_engine_names[o->engine]);
		o->qd = 1;
	}
	if ((o->fixed_bufs || o->fixed_files || o->sqpoll || o->iopoll) &&
	    o->engine != AIOBENCH_URING && o->engine != AIOBENCH_URING_CMD)
		aiobench_die("--fixed-bufs, --fixed-files, --sqpoll and --iopoll need -e uring or uring-cmd");
	if ((o->batch_submit > 1 || o->batch_complete > 1) &&
	    (o->engine == AIOBENCH_SYNC || o->engine == AIOBENCH_EPOLL))
		aiobench_die("--batch-submit and --batch-complete need an asynchronous engine");
	if (o->batch_submit > o->qd || o->batch_complete > o->qd)
		aiobench_die("--batch-submit and --batch-complete cannot exceed --qd (%u)", o->qd);
	if (given->mix && o->rw != AIOBENCH_MIXED)
		aiobench_die("--mix needs --rw mixed");
	if (o->rw == AIOBENCH_NOP && o->engine != AIOBENCH_URING_CMD)
		aiobench_die("--rw nop needs -e uring-cmd");
	if (o->rw == AIOBENCH_NOP && (o->verify || o->fixed_bufs))
		aiobench_die("--rw nop moves no data: not with --verify or --fixed-bufs");
	if (o->verify && o->bs % 8)
		aiobench_die("--verify needs --bs a multiple of 8");
	if ((o->direct || o->iopoll) && (o->bs % 512 || o->offset % 512))
		aiobench_die("--direct and --iopoll need --bs and --offset multiples of 512");
	if (o->log_lines && !o->log_interval_ms)
		aiobench_die("--log-lines needs --log-interval");
	if (o->log_interval_ms && o->format == AIOBENCH_FIO_JSON)
		aiobench_die("--output-format fio-json has no place for --log-interval's log (timeline always logs): use json");
}

void aiobench_parse(int argc, char **argv, struct aiobench_cli *cli)
{
	struct aiobench_given given = { };
	int c;

	while ((c = getopt_long(argc, argv, "e:w:b:d:j:t:n:s:c:qh",
				aiobench_longopts, NULL)) != -1)
		if (!aiobench_parse_workload(c, optarg, cli, &given))
			aiobench_parse_other(c, optarg, cli);
	if (optind != argc - 1)
		aiobench_die("give one FILE (see aiobench --help)");
	cli->opts.file = argv[optind];
	aiobench_check_opts(&cli->opts, &given);
}

/* "a,b,c" into @out (at most @max); the count. */
int aiobench_split(const char *list, char **out, int max)
{
	char *copy = strdup(list), *tok, *save;
	int n = 0;

	if (!copy)
		aiobench_die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			aiobench_die("'%s': more than %d entries", list, max);
		out[n++] = tok;
	}
	return n;
}

int aiobench_latencies(const char *list, uint64_t *out, int max)
{
	char *words[16];
	int n = aiobench_split(list, words, max < 16 ? max : 16);

	for (int i = 0; i < n; i++)
		out[i] = aiobench_number(words[i], "--latencies", 0, 10000000000ull);
	return n;
}
