#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check aiobench's --output-format fio-json (aiobench_test.sh runs it).

  fio_json_check.py structure FIO.json OURS.json
      every key that the tools reading fio's output use (fio-plot,
      fio_jsonplus_clat2csv) is in OURS, with the type it has in FIO, the
      output of a real fio run (json+, lat_percentiles=1)
  fio_json_check.py values OURS.json BS
      the numbers agree with each other: counts, bytes, bins, percentiles

Prints what is wrong and exits 1, or exits 0.
"""

import json
import sys

TOP = ['fio version', 'timestamp', 'timestamp_ms', 'time', 'jobs']
JOB = ['jobname', 'groupid', 'error', 'elapsed', 'job options', 'read', 'write',
       'trim', 'job_runtime', 'usr_cpu', 'sys_cpu', 'ctx', 'majf', 'minf',
       'latency_ns', 'latency_us', 'latency_ms']
OPTIONS = ['name', 'filename', 'rw', 'bs', 'ioengine', 'iodepth', 'numjobs']
DIR = ['io_bytes', 'io_kbytes', 'bw_bytes', 'bw', 'iops', 'runtime', 'total_ios',
       'short_ios', 'drop_ios', 'clat_ns', 'lat_ns', 'bw_min', 'bw_max', 'bw_agg',
       'bw_mean', 'bw_dev', 'bw_samples', 'iops_min', 'iops_max', 'iops_mean',
       'iops_stddev', 'iops_samples']
LAT = ['min', 'max', 'mean', 'stddev', 'N']
LAT_FULL = LAT + ['percentile', 'bins']

problems = []


def same(path, ref, ours, keys):
    """Each of @keys is in @ours with the type it has in @ref."""
    for k in keys:
        where = path + [k]
        if k not in ref:
            problems.append('fio itself has no %s' % '.'.join(where))
        elif k not in ours:
            problems.append('missing: %s' % '.'.join(where))
        elif type(ours[k]) is not type(ref[k]):
            problems.append('%s: %s, fio has %s' % ('.'.join(where),
                            type(ours[k]).__name__, type(ref[k]).__name__))


def same_map(path, ref, ours, int_keys):
    """@ours maps keys (numbers in a string if @int_keys, else @ref's own)
    to values of the type @ref's have."""
    where = '.'.join(path)
    kind = {type(v) for v in ref.values()}
    if not isinstance(ours, dict) or len(kind) != 1:
        problems.append('%s: %s, fio has a map to %s' % (where, type(ours).__name__, kind))
        return
    kind = kind.pop()
    for k, v in ours.items():
        if int_keys and not k.isdigit():
            problems.append('%s: key %r' % (where, k))
        if type(v) is not kind:
            problems.append('%s[%r]: %s, fio has %s' % (where, k, type(v).__name__,
                                                        kind.__name__))
    if not int_keys and set(ours) != set(ref):
        problems.append('%s: keys %s, fio has %s' % (where, sorted(ours), sorted(ref)))


def structure(ref, ours):
    same([], ref, ours, TOP)
    if problems:
        return
    rj, oj = ref['jobs'][0], ours['jobs'][0]
    same(['jobs[0]'], rj, oj, JOB)
    if problems:
        return
    same(['jobs[0]', 'job options'], rj['job options'], oj['job options'], OPTIONS)
    for unit in ('latency_ns', 'latency_us', 'latency_ms'):
        same_map(['jobs[0]', unit], rj[unit], oj[unit], False)
    for d in ('read', 'write', 'trim'):
        same(['jobs[0]', d], rj[d], oj[d], DIR)
        for lat in ('clat_ns', 'lat_ns'):
            if lat not in oj[d]:
                continue
            keys = LAT_FULL if d != 'trim' else LAT
            same(['jobs[0]', d, lat], rj[d][lat], oj[d][lat], keys)
            if d == 'trim' or problems:
                continue
            same_map(['jobs[0]', d, lat, 'percentile'], rj[d][lat]['percentile'],
                     oj[d][lat]['percentile'], False)
            same_map(['jobs[0]', d, lat, 'bins'], rj[d][lat]['bins'],
                     oj[d][lat]['bins'], True)


def values(ours, bs):
    job = ours['jobs'][0]
    total = 0
    for d in ('read', 'write'):
        s = job[d]
        n = s['total_ios']
        total += n
        lat = s['clat_ns']
        if lat['N'] != n or s['lat_ns'] != lat:
            problems.append('%s: N %d, total_ios %d, lat_ns == clat_ns: %s'
                            % (d, lat['N'], n, s['lat_ns'] == lat))
        if s['io_bytes'] != n * bs or s['io_kbytes'] != n * bs // 1024:
            problems.append('%s: io_bytes %d for %d I/Os' % (d, s['io_bytes'], n))
        if not n:
            continue
        if sum(lat['bins'].values()) != n:
            problems.append('%s: the bins hold %d I/Os, not %d'
                            % (d, sum(lat['bins'].values()), n))
        pct = [lat['percentile'][k] for k in sorted(lat['percentile'], key=float)]
        if not (lat['min'] <= pct[0] and pct == sorted(pct) and pct[-1] <= lat['max']):
            problems.append('%s: percentiles out of order: %s' % (d, pct))
        if not lat['min'] <= lat['mean'] <= lat['max']:
            problems.append('%s: mean %f outside [%d, %d]'
                            % (d, lat['mean'], lat['min'], lat['max']))
        iops = n / (s['runtime'] / 1000)
        if abs(s['iops'] - iops) > 0.01 * iops:
            problems.append('%s: iops %f, %d I/Os in %d ms' % (d, s['iops'], n, s['runtime']))
        if s['iops_samples'] < 1 or not s['iops_min'] <= s['iops_mean'] <= s['iops_max']:
            problems.append('%s: IOPS samples %d, min %d mean %f max %d'
                            % (d, s['iops_samples'], s['iops_min'], s['iops_mean'],
                               s['iops_max']))
    shares = sum(sum(job[u].values()) for u in ('latency_ns', 'latency_us', 'latency_ms'))
    if not total or abs(shares - 100) > 0.01:
        problems.append('%d I/Os; the latency shares add up to %f%%' % (total, shares))
    if job['usr_cpu'] + job['sys_cpu'] <= 0:
        problems.append('no CPU time')


def main():
    if sys.argv[1] == 'structure':
        structure(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))
    else:
        values(json.load(open(sys.argv[2])), int(sys.argv[3]))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
