#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""aiodev side by side with what users would pick instead (make bench).

Runs inside the test VM (scripts/bench boots it) and measures, in this one
run, every row of issue 10's table of ratios and goals (the scoreboard);
then that aiobench and fio agree within 10% on a device-bound workload
(make bench fails if not); more pairs that no row measures, against
/dev/zero, /dev/null and null_blk, and of polled rings against plain
ones; and the CPU time per request of every
engine (aiobench compare).  The pairs of the table and of the agreement
check are measured back to back, twice, each side the mean of its runs;
the others once.  How a run is made: benchlib.py; the report:
benchreport.py.

usage: bench.py AIODEV_KO OUTDIR
"""

import json
import os
import subprocess
import sys
import time
import traceback

from benchlib import (AIOBENCH, RUNTIME, SCRATCH, START, Device, MeasureError, Spec, aiobench,
                      load_aiodev, load_null_blk, log, measure, sh, unload_null_blk, watched)
from benchreport import report_json, report_md

# ns: the device, not the CPU, is the bottleneck, even in a guest starved by
# a loaded host (at 2 ms, fio's psync once took 1.4 ms more than the device
# per request there, aiobench 0.7 ms: 0.73 apart).
AGREE_LATENCY = 10000000
AGREE_DEPTH = 8
TOLERANCE = 0.10

# A device per configuration the rows need (/dev/aiodev0, 1, ...), so that
# one fio process can go from one to the next.  queue_depth 64: above every
# depth used (row 7 asks for it).
AIODEV = {
    'timer50': {'completion': 'timer', 'latency_ns': 50000, 'queue_depth': 64},
    'inline0': {'completion': 'inline', 'latency_ns': 0, 'queue_depth': 64},
    'wq50': {'completion': 'workqueue', 'latency_ns': 50000, 'queue_depth': 64},
    'timer1ms': {'completion': 'timer', 'latency_ns': 1000000, 'queue_depth': 64},
    'agree': {'completion': 'timer', 'latency_ns': AGREE_LATENCY, 'queue_depth': 32},
    'demo': {},        # the module's defaults: aiobench compare, as make demo runs it
}
NULL_BLK = {
    'nb_timer': {'irqmode': 2, 'completion_nsec': 50000, 'memory_backed': 1},
    'nb_none': {'irqmode': 0, 'memory_backed': 1},
    'nb_1ms': {'irqmode': 2, 'completion_nsec': 1000000, 'memory_backed': 1},
}
ZERO = Device('/dev/zero', "the kernel's /dev/zero", direct=False)
NULL = Device('/dev/null', "the kernel's /dev/null", direct=False)

HOW_FIO = ('fio: one fio process ran the runs in turn (stonewall), %d s each, the sequence '
           'twice; each side the mean of its 2 runs' % RUNTIME)
# No goal hangs on MORE's pairs: one run a side, to keep make bench short.
HOW_MORE = {'fio': 'fio: each pair A then B, %d s each, once, all in one fio process' % RUNTIME,
            'aiobench': 'aiobench: each pair A then B, %d s each, once' % RUNTIME}
HOW_AIOBENCH = 'aiobench: A, B, A, B, %d s each; each side the mean of its 2 runs' % RUNTIME


class Row:
    """A row of the scoreboard: A / B against a goal, or a count whose goal is 0."""

    def __init__(self, num, name, a=None, b=None, goal=None, how='', note='', value=None):
        self.num, self.name, self.a, self.b, self.goal = num, name, a, b, goal
        self.how, self.note, self.error = how, note, None
        self.value = a.iops / b.iops if b else value

    @property
    def met(self):
        if self.value is None:
            return None
        return self.value >= self.goal if self.b else self.value == self.goal

    def goal_text(self):
        if self.goal is None:
            return ''
        return ('%g' if self.a and not self.b else '>= %g') % self.goal

    def json(self):
        return {'row': self.num, 'name': self.name, 'how': self.how, 'note': self.note,
                'a_iops': self.a.iops if self.a else None,
                'b_iops': self.b.iops if self.b else None,
                'value' if self.a and not self.b else 'ratio': self.value,
                'goal': self.goal_text(), 'met': self.met, 'error': self.error,
                'a': self.a.json() if self.a else None, 'b': self.b.json() if self.b else None}


def timer_and_inline(dev, nb):
    """Rows 1, 3, 4 and 5: five runs in one sequence, shared by the rows."""
    a_t, n_t, a_i, z, n_0 = measure([
        Spec('fio', 'io_uring', dev['timer50'], 32), Spec('fio', 'io_uring', nb['nb_timer'], 32),
        Spec('fio', 'io_uring', dev['inline0'], 32), Spec('fio', 'io_uring', ZERO, 32),
        Spec('fio', 'io_uring', nb['nb_none'], 32)])
    how = HOW_FIO + ' (one sequence for the four rows: aiodev timer, null_blk ' \
        'irqmode=2, aiodev inline, /dev/zero, null_blk irqmode=0)'
    return [
        Row('1', 'timer 50 us, QD32: aiodev / null_blk irqmode=2 completion_nsec=50000',
            a_t, n_t, 2, how),
        Row('3', 'inline latency 0, QD32: aiodev / /dev/zero', a_i, z, 0.6, how),
        Row('4', 'inline latency 0, QD32: aiodev / null_blk irqmode=0', a_i, n_0, 2, how),
        Row('5', 'latency hiding, QD32: aiodev timer 50 us / aiodev inline latency 0',
            a_t, a_i, 0.8, how, "null_blk's own, irqmode=2 50 us / irqmode=0: %.2f (no goal)"
            % (n_t.iops / n_0.iops)),
    ]


def qd1(dev, nb):
    """Row 2: timer 50 us, QD1, through each of fio's psync, libaio and io_uring."""
    specs = []
    for engine in ('psync', 'libaio', 'io_uring'):
        specs += [Spec('fio', engine, dev['timer50'], 1), Spec('fio', engine, nb['nb_timer'], 1)]
    sides = measure(specs)
    return [Row('2', 'timer 50 us, QD1: aiodev / null_blk irqmode=2, fio %s' % a.spec.engine,
                a, b, 1.2, HOW_FIO + ' (the three pairs in one sequence)')
            for a, b in zip(sides[0::2], sides[1::2])]


def passthrough_floor(dev, nb):
    """Row 6: aiodev's NOP against /dev/null's uring_cmd, which completes at issue."""
    name = "passthrough NOP, inline latency 0, QD32: aiodev / /dev/null's uring_cmd"
    try:
        aiobench(Spec('aiobench', 'uring-cmd', NULL, 1, rw='nop'))
    except MeasureError as e:
        if 'Operation not supported' not in str(e):
            raise
        row = Row('6', name, goal=0.6)
        row.note = "not measured: this kernel's /dev/null has no uring_cmd"
        return [row]
    a, b = measure([Spec('aiobench', 'uring-cmd', dev['inline0'], 32, rw='nop'),
                    Spec('aiobench', 'uring-cmd', NULL, 32, rw='nop')])
    return [Row('6', name, a, b, 0.6, HOW_AIOBENCH + ' (aiobench -e uring-cmd --rw nop)')]


def no_io_wq(dev, nb):
    """Row 7: fio io_uring QD32 below queue_depth: stats/eagain and iou-wrk threads."""
    how = ('one fio run of %d s each; stats/eagain read before and after it, threads '
           'named iou-wrk-* (as ps -eLo comm lists them) sampled every 0.4 s' % RUNTIME)
    rows = []
    for key, lat in (('timer50', '50 us'), ('timer1ms', '1 ms')):
        side, eagain, workers = watched(Spec('fio', 'io_uring', dev[key], 32), dev[key])
        what = 'fio io_uring QD32 below queue_depth 64, timer %s: ' % lat
        rows += [Row('7', what + 'stats/eagain', side, goal=0, how=how, value=eagain),
                 Row('7', what + 'iou-wrk threads seen', side, goal=0, how=how, value=workers)]
    return rows


def scaling(dev, nb):
    """Row 8: 2 jobs / 1 job, io_uring QD16 a job, in each completion mode."""
    specs = []
    for key in ('inline0', 'wq50', 'timer50'):
        specs += [Spec('fio', 'io_uring', dev[key], 16, jobs=2),
                  Spec('fio', 'io_uring', dev[key], 16, jobs=1)]
    sides = measure(specs)
    return [Row('8', '2 jobs / 1 job on %d vCPUs, %s' % (os.cpu_count(), a.spec.dev.short),
                a, b, 1.8, HOW_FIO + ' (--numjobs=2 --group_reporting; the three modes\' '
                'pairs in one sequence)') for a, b in zip(sides[0::2], sides[1::2])]


def device_bound(dev, nb):
    """Rows 9 and 10: at 1 ms, what async buys, and passthrough against read."""
    a, b = measure([Spec('fio', 'io_uring', dev['timer1ms'], 32),
                    Spec('fio', 'psync', dev['timer1ms'], 1)])
    try:    # only a note: its failure costs the note, not the rows
        n_a, n_b = measure([Spec('fio', 'io_uring', nb['nb_1ms'], 32),
                            Spec('fio', 'psync', nb['nb_1ms'], 1)])
        own = '%.2f (%.0f / %.0f IOPS; no goal)' % (n_a.iops / n_b.iops, n_a.iops, n_b.iops)
    except MeasureError as e:
        own = 'not measured: %s' % e
    row9 = Row('9', 'device-bound, 1 ms: fio io_uring QD32 / fio psync QD1', a, b, 28,
               HOW_FIO + ' (then the same pair on null_blk irqmode=2 '
               'completion_nsec=1000000, for the note)',
               "ideal 32: min(32, queue_depth) requests in flight against 1; null_blk's own, "
               'irqmode=2 1 ms: ' + own)
    a, b = measure([Spec('aiobench', 'uring-cmd', dev['timer1ms'], 32),
                    Spec('aiobench', 'uring', dev['timer1ms'], 32)])
    return [row9, Row('10', 'device-bound, 1 ms, QD32: passthrough / io_uring read '
                      '(aiobench uring-cmd / uring)', a, b, 1.1, HOW_AIOBENCH)]


SCOREBOARD = [(timer_and_inline, '1, 3, 4, 5'), (qd1, '2'), (passthrough_floor, '6'),
              (no_io_wq, '7'), (scaling, '8'), (device_bound, '9, 10')]


def agreement(dev):
    """aiobench against fio on a device-bound workload: within TOLERANCE."""
    pairs = [('sync', 'psync'), ('aio', 'libaio'), ('uring', 'io_uring')]
    d = dev['agree']
    ours = [Spec('aiobench', a, d, 1 if a == 'sync' else AGREE_DEPTH) for a, _ in pairs]
    theirs = [Spec('fio', f, d, 1 if f == 'psync' else AGREE_DEPTH) for _, f in pairs]
    sides = measure(ours + theirs)
    rows = []
    for a, f in zip(sides[:3], sides[3:]):
        ratio = a.iops / f.iops if f.iops else 0
        rows.append({'aiobench': a, 'fio': f, 'ratio': ratio,
                     'pass': abs(ratio - 1) <= TOLERANCE})
    return rows


# Pairs no row measures (the rows measure fio's io_uring QD32 against
# /dev/zero and each null_blk, and fio's every engine at QD1, timer 50 us):
# (section, aiodev device, reference, rw, tool, [(engine, queue depth)]).
AIOBENCH_ALL = [('sync', 1), ('aio', 1), ('aio', 32), ('uring', 1), ('uring', 32)]
AIOBENCH_FLOOR = [('sync', 1), ('aio', 32), ('uring', 32)]
MORE = [
    ('floor', 'inline0', ZERO, 'randread', 'fio', [('psync', 1), ('libaio', 32)]),
    ('floor', 'inline0', NULL, 'randwrite', 'fio', [('psync', 1), ('libaio', 32),
                                                    ('io_uring', 32)]),
    ('null_blk', 'timer50', 'nb_timer', 'randread', 'fio', [('libaio', 32)]),
    ('null_blk', 'inline0', 'nb_none', 'randread', 'fio', [('psync', 1), ('libaio', 1),
                                                           ('io_uring', 1), ('libaio', 32)]),
    ('floor', 'inline0', ZERO, 'randread', 'aiobench', AIOBENCH_FLOOR),
    ('floor', 'inline0', NULL, 'randwrite', 'aiobench', AIOBENCH_FLOOR),
    ('null_blk', 'timer50', 'nb_timer', 'randread', 'aiobench', AIOBENCH_ALL),
    ('null_blk', 'inline0', 'nb_none', 'randread', 'aiobench', AIOBENCH_ALL),
]


# Each io_uring interface on a polled ring (IORING_SETUP_IOPOLL) against the
# same on a plain one: at 1 ms QD32, where rows 9 and 10 wait for the device,
# and at 50 us QD1, where a request's latency is the timer's.
POLLED = [(key, e, qd) for key, qd in (('timer1ms', 32), ('timer50', 1))
          for e in ('uring-cmd', 'uring')]


def more_pairs(dev, nb):
    """MORE: aiodev inline at latency 0 against /dev/zero (reads) and /dev/null
    (writes), the floor of a request's cost; aiodev against null_blk; POLLED."""
    pairs = []
    for section, key, ref, rw, tool, engines in MORE:
        ref = nb[ref] if isinstance(ref, str) else ref
        pairs += [(section, Spec(tool, e, dev[key], qd, rw=rw), Spec(tool, e, ref, qd, rw=rw))
                  for e, qd in engines]
    pairs += [('polled', Spec('aiobench', e, dev[key], qd, iopoll=True),
               Spec('aiobench', e, dev[key], qd)) for key, e, qd in POLLED]
    rows = []
    for tool in ('fio', 'aiobench'):
        chosen = [p for p in pairs if p[1].tool == tool]
        sides = measure([s for _, a, b in chosen for s in (a, b)], rounds=1)
        rows += [{'section': section, 'a': a, 'b': b, 'ratio': a.iops / b.iops,
                  'how': HOW_MORE[tool]}
                 for (section, _, _), a, b in zip(chosen, sides[0::2], sides[1::2])]
    return rows


def cpu_per_request(dev, outdir):
    """aiobench compare at make demo's two points: the CPU time of every engine."""
    d = dev['demo']
    cmp_dir = os.path.join(outdir, 'compare')
    cmd = [AIOBENCH, 'compare', '--latencies', '1000000,50000', '-t', str(RUNTIME),
           '--out', cmp_dir, d.path]
    out = subprocess.run(cmd, capture_output=True, text=True)
    with open(os.path.join(outdir, 'compare.txt'), 'w') as f:
        f.write(out.stdout + out.stderr)
    if out.returncode:
        raise MeasureError('%s: %s' % (' '.join(cmd), out.stderr.strip()))
    with open(os.path.join(cmp_dir, 'compare.json')) as f:
        return {'command': ' '.join(['aiobench'] + cmd[1:-2] + ['DIR', d.path]),
                'device': d.desc, 'rows': json.load(f)}


def main():
    ko, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(SCRATCH, exist_ok=True)
    os.environ['TMPDIR'] = SCRATCH      # fio's status file: not over 9p
    errors = []
    dev = load_aiodev(ko, AIODEV)
    nb = load_null_blk(NULL_BLK)

    def attempt(what, fn, *args):
        log(what)
        try:
            return fn(*args)
        except Exception as e:     # whatever it was, the report says so
            traceback.print_exc()
            errors.append('%s: %s: %s' % (what, type(e).__name__, e))
            return None

    rows = []
    for fn, nums in SCOREBOARD:
        got = attempt('row ' + nums, fn, dev, nb)
        if got is None:
            got = [Row(nums, 'rows ' + nums)]
            got[0].error = errors[-1]
        rows += got
    rows.sort(key=lambda r: int(r.num.split(',')[0]))     # as the issue has them
    agree = attempt('aiobench/fio agreement', agreement, dev) or []
    more = attempt('more pairs', more_pairs, dev, nb) or []
    cpu = attempt('aiobench compare', cpu_per_request, dev, outdir)
    unload_null_blk(nb)
    sh('rmmod', 'aiodev')
    log('done')

    failed = ['%s/%s ratio %.3f' % (r['aiobench'].spec.engine, r['fio'].spec.engine, r['ratio'])
              for r in agree if not r['pass']]
    res = {'rows': rows, 'agree': agree, 'more': more, 'cpu': cpu, 'failed': failed,
           'errors': errors, 'seconds': time.monotonic() - START, 'tolerance': TOLERANCE,
           'agree_latency': AGREE_LATENCY, 'agree_depth': AGREE_DEPTH}
    with open(os.path.join(outdir, 'report.json'), 'w') as f:
        json.dump(report_json(res), f, indent=1)
    with open(os.path.join(outdir, 'report.md'), 'w') as f:
        f.write(report_md(res))
    return 1 if failed or errors else 0


if __name__ == '__main__':
    sys.exit(main())
