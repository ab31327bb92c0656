# SPDX-License-Identifier: GPL-2.0
"""The measuring of make bench (bench.py says what is measured, and why).

In the test VM: the devices (aiodev's, null_blk's, the kernel's /dev/zero
and /dev/null), a measurement (one run of fio or aiobench on one of them),
and measuring several back to back, each more than once.

A measurement is a Spec; measure() runs a schedule of them and gives each
its Side: the runs and their mean.  Consecutive fio specs run in one fio
process, as stonewalled jobs one after the other: a fio start loads some 60
shared libraries over the guest's 9p root, seconds under TCG, and that
would otherwise come between the two sides of a pair.
"""

import json
import os
import subprocess
import threading
import time

RUNTIME = 2            # seconds per run
SIZE = '64M'           # the range every run uses
HERE = os.path.dirname(os.path.abspath(__file__))
AIOBENCH = os.path.join(HERE, '..', 'userspace', 'aiobench')
SCRATCH = '/run/bench'  # the guest's tmpfs: fio's job files and TMPDIR


class MeasureError(Exception):
    """A measurement that could not run."""


START = time.monotonic()


def log(msg):
    """A line of progress in the VM's log, with the seconds since the start."""
    print('bench: %4.0fs %s' % (time.monotonic() - START, msg), flush=True)


def sh(*cmd):
    subprocess.run([str(c) for c in cmd], check=True)


def write(path, value):
    with open(path, 'w') as f:
        f.write(str(value))


def read(path):
    with open(path) as f:
        return f.read().strip()


class Device:
    """A file to measure, and what it is."""

    def __init__(self, path, desc, direct=True, sysfs=None, short=None):
        self.path, self.desc, self.direct, self.sysfs = path, desc, direct, sysfs
        self.short = short or path      # for a table's narrow column

    def stat(self, name):
        return int(read('%s/stats/%s' % (self.sysfs, name)))


def human_ns(ns):
    return '%g ms' % (ns / 1e6) if ns >= 1000000 else '%g us' % (ns / 1e3) if ns else '0'


def load_aiodev(ko, configs):
    """Load aiodev with a device per configuration ({key: {attr: value}})."""
    sh('insmod', ko, 'nr_devices=%d' % len(configs))
    devs = {}
    for i, (key, cfg) in enumerate(configs.items()):
        sysfs = '/sys/class/aiodev/aiodev%d' % i
        for attr, value in cfg.items():
            write('%s/%s' % (sysfs, attr), value)
        mode, lat, qd = (read('%s/%s' % (sysfs, a))
                         for a in ('completion', 'latency_ns', 'queue_depth'))
        devs[key] = Device('/dev/aiodev%d' % i, 'aiodev, %s, latency %s ns, queue_depth %s'
                           % (mode, lat, qd), sysfs=sysfs,
                           short='aiodev %s %s' % (mode, human_ns(int(lat))))
    return devs


def load_null_blk(configs):
    """null_blk devices through configfs, one per configuration, named after it."""
    sh('modprobe', 'null_blk', 'nr_devices=0')
    if not os.path.isdir('/sys/kernel/config/nullb'):
        sh('mount', '-t', 'configfs', 'configfs', '/sys/kernel/config')
    devs = {}
    for key, cfg in configs.items():
        d = '/sys/kernel/config/nullb/' + key
        os.mkdir(d)
        for attr, value in dict(size=1024, blocksize=4096, **cfg).items():
            write('%s/%s' % (d, attr), value)
        write(d + '/power', 1)
        for _ in range(100):
            if os.path.exists('/dev/' + key):
                break
            time.sleep(0.05)
        else:
            raise MeasureError('/dev/%s did not appear' % key)
        devs[key] = Device('/dev/' + key, 'null_blk, ' + ', '.join(
            '%s=%s' % kv for kv in cfg.items()), short='null_blk irqmode=%s%s' % (
                cfg['irqmode'], ' %s' % human_ns(cfg['completion_nsec'])
                if 'completion_nsec' in cfg else ''))
    return devs


def unload_null_blk(devs):
    for key in devs:
        write('/sys/kernel/config/nullb/%s/power' % key, 0)
        os.rmdir('/sys/kernel/config/nullb/' + key)
    sh('rmmod', 'null_blk')


class Spec:
    """One measurement: a tool and engine on a device, 4 KiB, at a depth."""

    def __init__(self, tool, engine, dev, qd=1, jobs=1, rw='randread', iopoll=False):
        self.tool, self.engine, self.dev = tool, engine, dev
        self.qd, self.jobs, self.rw, self.iopoll = qd, jobs, rw, iopoll
        # /dev/zero and /dev/null refuse O_DIRECT; a NOP moves no data.
        self.direct = dev.direct and rw != 'nop'

    def label(self):
        what = '%s %s %s' % (self.tool, self.engine, self.rw)
        what += ' QD%d' % self.qd + (' x %d jobs' % self.jobs if self.jobs > 1 else '')
        return '%s%s%s on %s (%s)' % (what, ', O_DIRECT' if self.direct else '',
                                      ', polled ring' if self.iopoll else '',
                                      self.dev.path, self.dev.desc)


# The figures of a run whose mean over the runs a side gives too (fio's
# usr_cpu, sys_cpu and ctx are its own; aiobench gives no context switches).
MEANS = ('usr_cpu', 'sys_cpu', 'ctx', 'ctx_per_io', 'usr_us_per_io', 'sys_us_per_io',
         'lat_us_mean')


class Side:
    """What the runs of a spec measured: each run's figures, and the mean IOPS."""

    def __init__(self, spec):
        self.spec, self.runs = spec, []

    @property
    def iops(self):
        return sum(r['iops'] for r in self.runs) / len(self.runs)

    def mean(self, field):
        vals = [r[field] for r in self.runs if r.get(field) is not None]
        return sum(vals) / len(vals) if vals else None

    def json(self):
        return {'measurement': self.spec.label(), 'tool': self.spec.tool,
                'engine': self.spec.engine, 'rw': self.spec.rw, 'file': self.spec.dev.path,
                'device': self.spec.dev.desc, 'qd': self.spec.qd, 'jobs': self.spec.jobs,
                'direct': self.spec.direct, 'iopoll': self.spec.iopoll, 'runtime_s': RUNTIME,
                'iops': self.iops,
                'means': {f: self.mean(f) for f in MEANS if self.mean(f) is not None},
                'runs': self.runs}


def aiobench(spec):
    """One aiobench run: its figures."""
    cmd = [AIOBENCH, '--json', '-q', '-e', spec.engine, '--rw', spec.rw, '--bs', '4k',
           '--runtime', str(RUNTIME), '--size', SIZE] + (['--direct'] if spec.direct else [])
    cmd += ['--iopoll'] if spec.iopoll else []
    cmd += ['--jobs', str(spec.jobs)] if spec.engine == 'sync' else ['--qd', str(spec.qd)]
    out = subprocess.run(cmd + [spec.dev.path], capture_output=True, text=True)
    if out.returncode:
        raise MeasureError('%s: %s' % (' '.join(cmd + [spec.dev.path]), out.stderr.strip()))
    r = json.loads(out.stdout)
    return {'iops': r['iops'], 'ios': r['ios'], 'version': r['version'],
            'usr_us_per_io': r['cpu_ns_per_io']['usr'] / 1e3,
            'sys_us_per_io': r['cpu_ns_per_io']['sys'] / 1e3,
            'lat_us_mean': r['lat_ns']['mean'] / 1e3}


def iou_workers():
    """The io_uring worker threads (iou-wrk-PID) there are now, by thread id."""
    found = set()
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            for tid in os.listdir('/proc/%s/task' % pid):
                if read('/proc/%s/task/%s/comm' % (pid, tid)).startswith('iou-wrk'):
                    found.add(int(tid))
        except OSError:
            pass            # gone meanwhile
    return found


def fio(specs, watch=False):
    """Specs run one after the other in one fio process: their figures.
    With @watch, the iou-wrk threads seen (sampled every 0.4 s) too."""
    os.makedirs(SCRATCH, exist_ok=True)
    lines = ['[global]', 'thread', 'bs=4k', 'size=' + SIZE, 'runtime=%d' % RUNTIME,
             'time_based', 'group_reporting']
    for i, s in enumerate(specs):
        lines += ['', '[%d-%s-%s]' % (i, s.engine, os.path.basename(s.dev.path)), 'stonewall',
                  'filename=' + s.dev.path, 'rw=' + s.rw, 'ioengine=' + s.engine,
                  'iodepth=%d' % s.qd, 'numjobs=%d' % s.jobs, 'direct=%d' % s.direct]
        lines += ['hipri=1'] if s.iopoll else []
    jobfile = os.path.join(SCRATCH, 'jobs.fio')
    with open(jobfile, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    seen = set()
    proc = subprocess.Popen(['fio', '--output-format=json', jobfile], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if watch:
        def sample():
            while proc.poll() is None:
                seen.update(iou_workers())
                time.sleep(0.4)
        sampler = threading.Thread(target=sample)
        sampler.start()
    out, err = proc.communicate()
    if watch:
        sampler.join()
    if proc.returncode:
        raise MeasureError('fio %s: %s' % (jobfile, err.strip()))
    doc = json.loads(out)
    runs = []
    for s, job in zip(specs, doc['jobs']):
        if job['error']:
            raise MeasureError('fio %s: error %d' % (s.label(), job['error']))
        ios = job['read']['total_ios'] + job['write']['total_ios']
        cpu_us = job['job_runtime'] * 1e3 / 100 / max(ios, 1)   # per % of CPU, per I/O
        runs.append({'iops': job['read']['iops'] + job['write']['iops'], 'ios': ios,
                     'version': doc['fio version'], 'usr_cpu': job['usr_cpu'],
                     'sys_cpu': job['sys_cpu'], 'ctx': job['ctx'],
                     'ctx_per_io': job['ctx'] / max(ios, 1),
                     'usr_us_per_io': job['usr_cpu'] * cpu_us,
                     'sys_us_per_io': job['sys_cpu'] * cpu_us,
                     'lat_us_mean': (job['read']['lat_ns']['mean'] if job['read']['total_ios']
                                     else job['write']['lat_ns']['mean']) / 1e3})
    if len(runs) != len(specs):
        raise MeasureError('fio %s: %d results for %d jobs' % (jobfile, len(runs), len(specs)))
    return runs, seen


def watched(spec, dev):
    """One fio run of @spec on aiodev @dev, watched: its Side, the requests the
    device refused with EAGAIN meanwhile, and the iou-wrk threads seen."""
    side = Side(spec)
    eagain = dev.stat('eagain')
    side.runs, workers = fio([spec], watch=True)
    return side, dev.stat('eagain') - eagain, len(workers)


def measure(specs, rounds=2):
    """Run @specs in order, @rounds times over (A, B, A, B, ...): a Side each.
    Consecutive fio specs share one fio process."""
    sides = {id(s): Side(s) for s in specs}
    schedule = list(specs) * rounds
    while schedule:
        if schedule[0].tool == 'fio':
            n = next((i for i, s in enumerate(schedule) if s.tool != 'fio'), len(schedule))
            batch, schedule = schedule[:n], schedule[n:]
            runs, _ = fio(batch)
        else:
            batch, schedule = schedule[:1], schedule[1:]
            runs = [aiobench(batch[0])]
        for s, r in zip(batch, runs):
            if not r['ios']:
                raise MeasureError('%s: no I/O done' % s.label())
            sides[id(s)].runs.append(r)
    return [sides[id(s)] for s in specs]
