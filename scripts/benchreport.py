# SPDX-License-Identifier: GPL-2.0
"""make bench's report (bench.py measures): report.md for people, report.json
for programs, from the same figures."""

import os

CPU_NOTE = ('CPU/req: the CPU time per request, user + system, in us: aiobench\'s is its '
            'process\'s over the timed run; fio\'s is its usr_cpu and sys_cpu (of the job '
            'threads) times the job\'s runtime. ctx/req: fio\'s ctx, the job threads\' context '
            'switches, per request. Neither counts what the kernel does for a request '
            'elsewhere (softirqs, workers).')


def versions(sides):
    """The tools' versions, as the runs gave them."""
    got = {}
    for s in sides:
        for r in s.runs:
            got[s.spec.tool] = r['version']
    return got


def cpu(side):
    usr, sys_ = side.mean('usr_us_per_io'), side.mean('sys_us_per_io')
    ctx = side.mean('ctx_per_io')
    return ('%.1f + %.1f' % (usr, sys_) if usr is not None else '',
            '%.3f' % ctx if ctx is not None else '')


def all_sides(res):
    sides = [s for r in res['rows'] for s in (r.a, r.b) if s]
    sides += [s for r in res['agree'] for s in (r['aiobench'], r['fio'])]
    return sides + [s for r in res['more'] for s in (r['a'], r['b'])]


def erms():
    """Whether the CPU has ERMS ("rep movsb" as the kernel's user copy)."""
    with open('/proc/cpuinfo') as f:
        return any(line.startswith('flags') and ' erms' in line for line in f)


def report_json(res):
    """report.json: every figure of @res, bench.py's results."""
    rated = [r for r in res['rows'] if r.met is not None]
    return {
        'kernel': os.uname().release, 'cpus': os.cpu_count(), 'erms': erms(),
        'versions': versions(all_sides(res)), 'seconds': round(res['seconds']),
        'rows': [r.json() for r in res['rows']],
        'goals_met': sum(1 for r in rated if r.met), 'goals_measured': len(rated),
        'agreement': {'tolerance': res['tolerance'], 'latency_ns': res['agree_latency'],
                      'depth': res['agree_depth'], 'failed': res['failed'],
                      'rows': [{'aiobench': r['aiobench'].json(), 'fio': r['fio'].json(),
                                'ratio': r['ratio'], 'pass': r['pass']} for r in res['agree']]},
        'more': [{'section': r['section'], 'a_iops': r['a'].iops, 'b_iops': r['b'].iops,
                  'ratio': r['ratio'], 'how': r['how'], 'a': r['a'].json(), 'b': r['b'].json()}
                 for r in res['more']],
        'cpu_per_request': res['cpu'],
        'errors': res['errors'],
    }


def scoreboard(rows):
    """The table, the notes, how each row was taken, and each measurement."""
    tags = {}

    def tag(side):
        if side is None:
            return ''
        tags.setdefault(id(side), ('m%d' % (len(tags) + 1), side))
        return '%.0f [%s]' % (side.iops, tags[id(side)][0])

    out = ['| # | A / B | A: IOPS | B: IOPS | ratio or count | goal | met |',
           '|---|---|---|---|---|---|---|']
    notes, hows = [], {}
    for r in rows:
        if r.error or r.value is None:
            value, met = 'not measured', r.error or r.note
        else:
            value = '%.2f' % r.value if r.b else '%d' % r.value
            met = 'met' if r.met else '**not met**'
        out.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            r.num, r.name, tag(r.a), tag(r.b), value, r.goal_text(), met))
        if r.note and r.value is not None:
            notes.append('- row %s: %s' % (r.num, r.note))
        if r.how:
            hows.setdefault(r.how, []).append(r.num)
    rated = [r for r in rows if r.met is not None]
    out += ['', 'Goals met: %d of %d measured (%d rows).' % (
        sum(1 for r in rated if r.met), len(rated), len(rows)), ''] + notes
    out += ['', 'How each was taken:', '']
    for how, nums in hows.items():
        nums = list(dict.fromkeys(nums))
        out.append('- row%s %s: %s' % ('s' if len(nums) > 1 else '', ', '.join(nums), how))
    out += ['', '### The measurements behind the table', '',
            '| | measurement | IOPS of each run | CPU/req (us) | ctx/req |',
            '|---|---|---|---|---|']
    for name, side in tags.values():
        c = cpu(side)
        out.append('| %s | %s | %s | %s | %s |' % (
            name, side.spec.label(), ', '.join('%.0f' % r['iops'] for r in side.runs),
            c[0], c[1]))
    return out + ['', CPU_NOTE]


def agreement_md(res):
    agree, failed = res['agree'], res['failed']
    out = ['## aiobench and fio agree', '',
           'aiodev at latency %g ms, timer, queue_depth 32, random 4 KiB reads, O_DIRECT, '
           'queue depth %d (1 for sync and psync): the device bounds both tools. Pass: '
           'within %d%%. aiobench\'s three runs, then fio\'s (one fio process), twice; each '
           'side the mean of its 2 runs.' % (res['agree_latency'] / 1e6, res['agree_depth'],
                                             res['tolerance'] * 100), '',
           '| aiobench / fio | aiobench IOPS | fio IOPS | ratio | result |',
           '|---|---|---|---|---|']
    for r in agree:
        a, f = r['aiobench'], r['fio']
        out.append('| %s / %s | %.0f | %.0f | %.3f | %s |' % (
            a.spec.engine, f.spec.engine, a.iops, f.iops, r['ratio'],
            'pass' if r['pass'] else '**FAIL**'))
    return out + ['', 'Agreement check: ' + ('FAILED: ' + ', '.join(failed) if failed
                                             else 'passed' if agree else 'not run')]


def short(spec):
    """A side in a narrow column: its device, and how its ring completes."""
    return spec.dev.short + (', polled' if spec.iopoll else '')


def more_md(more):
    out = ['## More pairs (no goal)', '',
           'What the table does not measure: aiodev inline at latency 0, QD32 (1 for psync '
           'and sync), against /dev/zero (reads) and /dev/null (writes), the cheapest '
           'read_iter and write_iter: the floor of a request\'s cost; aiodev against null_blk '
           '(memory_backed=1) through the block layer, timer 50 us and inline latency 0; '
           'aiodev on a polled ring against a plain one, at 1 ms QD32 and 50 us QD1. ' +
           ' '.join(dict.fromkeys(r['how'] + '.' for r in more)), '',
           '| what | tool, engine, QD | A: aiodev IOPS | B: reference IOPS | A / B | '
           'CPU/req A; B (us) | ctx/req A; B |', '|---|---|---|---|---|---|---|']
    for r in more:
        a, b = r['a'], r['b']
        ca, cb = cpu(a), cpu(b)
        out.append('| %s: %s / %s | %s %s %s QD%d | %.0f | %.0f | %.2f | %s; %s | %s |' % (
            r['section'], short(a.spec), short(b.spec), a.spec.tool, a.spec.engine,
            a.spec.rw, a.spec.qd, a.iops, b.iops, r['ratio'], ca[0], cb[0],
            '%s; %s' % (ca[1], cb[1]) if ca[1] else ''))
    return out


def cpu_md(cpu_rows):
    out = ['## CPU time per request of every engine (aiobench compare)', '']
    if not cpu_rows:
        return out + ['Not measured (see the errors).']
    out += ['`%s`, on %s, at make demo\'s two points (%s; the full tables in compare.txt): '
            'the CPU time of the aiobench process per request, user and system, in us, '
            'and each run\'s IOPS.' % (cpu_rows['command'], cpu_rows['device'],
                                       'compare.json'), '',
            '| device latency | engine | jobs x qd | IOPS | usr/req (us) | sys/req (us) |',
            '|---|---|---|---|---|---|']
    for row in cpu_rows['rows']:
        r = row['result']
        if r['error']:
            out.append('| %s ns | %s | | n/a: %s | | |' % (row['latency_ns'], row['name'],
                                                       r['error']))
            continue
        out.append('| %s ns | %s | %d x %d | %.0f | %.1f | %.1f |' % (
            row['latency_ns'], row['name'], r['jobs'], r['qd'], r['iops'],
            r['cpu_ns_per_io']['usr'] / 1e3, r['cpu_ns_per_io']['sys'] / 1e3))
    return out


def report_md(res):
    """report.md: the figures of @res for people."""
    v = versions(all_sides(res))
    out = ['# aiodev side by side (make bench)', '',
           'One run in the test VM: Linux %s under qemu TCG, %d vCPUs %s ERMS (scripts/bench '
           'says why); aiobench %s, %s; %.0f s of measuring. Every figure here was measured in '
           'this run. TCG distorts absolute numbers: read the ratios, each of two sides '
           'measured back to back in this run.' % (
               os.uname().release, os.cpu_count(), 'with' if erms() else 'without',
               v.get('aiobench', '?'), v.get('fio', 'fio ?'), res['seconds']), '',
           'Every run: 4 KiB at random offsets in 64 MiB, reads unless it says writes, '
           'O_DIRECT on aiodev and null_blk (not on /dev/zero and /dev/null, which refuse '
           'it; nor for NOPs, which move no data). aiodev has a device per configuration '
           '(its completion mode, latency and queue_depth in each measurement). fio runs with '
           '--thread and TMPDIR on tmpfs.', '',
           '## Issue 10\'s table', '']
    out += scoreboard(res['rows']) + ['']
    out += agreement_md(res) + ['']
    out += more_md(res['more']) + ['']
    out += cpu_md(res['cpu']) + ['']
    if res['errors']:
        out += ['## Measurements that could not run', '']
        out += ['- ' + e for e in res['errors']] + ['']
    return '\n'.join(out)
