#!/usr/bin/python3
"""How far make bench's figures carry: two runs of it, side by side.

Usage: bench_repeat.py FIRST.jsonl SECOND.jsonl REPORT.md

FIRST and SECOND are the results.jsonl of two runs of make bench, each
from a fresh clone.  The report gives each run's headline figures, as
bench_report.py computes them, and the spread between the two runs on
the cells they share: of the actual times, and of each estimate's error.
Run it with build/qemu/python and harness/bench in PYTHONPATH.
"""

import os
import sys

from bench import code_of, load
from bench_live import quantile, remaining_errors
from bench_report import completed, error_cell, evaluate, first_runs, \
    summary

MODES = ('ours', 'ours, dirty-bitmap')


def headline(setup, runs):
    """One table row of a run's headline figures"""
    measured = [r for r in runs if 'modes' in r]
    rows = {s['name']: s for s in
            summary(measured, [evaluate(r) for r in measured])}
    cols = []
    for name in MODES:
        s = rows[name]
        cols.append(f'{s["median"] * 100:.1f}% / {s["p90"] * 100:.1f}%')
        cols.append(f'{s["wrong"]} / {s["uncertain"]}')
        cols.append(f'{s["in_range"]}/{s["ranged"]}')
    live = remaining_errors(runs)
    for f in (0.5, 0.75):
        errs = [abs(e) for e in live.get(('live estimate',
                                          'measured (default)', f),
                                         {'errs': []})['errs']]
        cols.append(f'{quantile(errs, 0.5) * 100:.1f}% / '
                    f'{quantile(errs, 0.9) * 100:.1f}%')
    return (f'| {setup["date"]} | {len(measured)} | '
            f'{setup["link-bandwidth"] * 8 / 1e9:.1f} Gbit/s | '
            + ' | '.join(cols) + ' |')


def error_of(e):
    """A model's evaluation @e of a run: its error, where it gave a time
    for a run that converged, and how to print it"""
    timed = 'err' in e and not e['wrong'] and not e.get('no_time')
    return (e['err'] if timed else None), error_cell(e) or 'right'


def spread(a_runs, b_runs):
    """The cells both runs migrated, first run of each: lines of a table,
    and the spread of the actual times and of the errors"""
    a = first_runs(r for r in a_runs if 'modes' in r)
    b = first_runs(r for r in b_runs if 'modes' in r)
    rows, times, errs = [], [], {n: [] for n in MODES}
    for i in (i for i in a if i in b):
        ra, rb = a[i], b[i]
        ev = [evaluate(r) for r in (ra, rb)]
        cells = []
        for r in (ra, rb):
            cells.append(str(r['actual']['total-time']) if r['converged']
                         else 'did not converge')
        if ra['converged'] and rb['converged']:
            ta, tb = (r['actual']['total-time'] for r in (ra, rb))
            times.append(abs(ta - tb) / min(ta, tb))
            cells.append(f'{times[-1] * 100:.1f}%')
        else:
            cells.append('-')
        for name in MODES:
            (ea, xa), (eb, xb) = (error_of(e[name]) for e in ev)
            cells.append(f'{xa} / {xb}')
            if ea is not None and eb is not None:
                errs[name].append(abs(ea - eb))
        rows.append(f'| {i} | ' + ' | '.join(cells) + ' |')
    return rows, times, errs


def rebandwidthed(a_runs, b_runs):
    """The cells both runs migrated at a max-bandwidth of their own"""
    a = {r['id']: r['bandwidth'] for r in a_runs}
    b = {r['id']: r['bandwidth'] for r in b_runs}
    return [i for i in a if i in b and a[i] != b[i]]


def moved(errs, name):
    top = max(errs, default=0)
    return (f'{quantile(errs, 0.5) * 100:.1f} points at the median and '
            f'{top * 100:.1f} at most ({name})')


def rel(path, report):
    """@path as a link from the directory of @report"""
    return os.path.relpath(path, os.path.dirname(os.path.abspath(report)))


def main():
    first, second, out = sys.argv[1:4]
    (sa, ra), (sb, rb) = (completed(load(p)) for p in (first, second))
    rows, times, errs = spread(ra, rb)
    other = rebandwidthed(ra, rb)
    w = ['# make bench, run twice: how far its figures carry\n',
         'Written by `harness/bench/bench_repeat.py` from two runs of '
         f'`make bench`, each from a fresh clone: `{rel(first, out)}` '
         f'({code_of(ra)}) and `{rel(second, out)}` ({code_of(rb)}).  '
         'Figures as the report (README.md) computes them: every answer '
         'counted, "uncertain" scored by its central estimate.\n',
         '| run | migrations | link speed | default: median / p90 '
         '\\|error\\| | wrong / "uncertain" | in range | dirty-bitmap: '
         'median / p90 | wrong / "uncertain" | in range | live at 50%: '
         'median / p90 | live at 75% |',
         '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: '
         '| ---: | ---: |',
         headline(sa, ra), headline(sb, rb), '']
    w.append('## The spread, cell by cell\n')
    w.append(f'{len(rows)} cells in both runs.  The knife-edge cells '
             '(edge-x0.9, edge-x1.1) are 0.9 and 1.1 times the lowest '
             'bandwidth that each run\'s own measurement found; '
             f'{len(other)} of them had a different max-bandwidth in the '
             'two runs' + (f' ({", ".join(other)})' if other else '') +
             '.  Of the '
             f'{len(times)} cells that converged in both, the actual '
             'total times were apart by '
             f'{quantile(times, 0.5) * 100:.1f}% at the median and '
             f'{max(times, default=0) * 100:.1f}% at most.  The error '
             'of the estimate moved between the runs by ' +
             ', and '.join(moved(errs[n], n) for n in MODES) + '.\n')
    w.append('| cell | actual, first (ms) | actual, second (ms) | apart | '
             'error, default (first / second) | error, dirty-bitmap |')
    w.append('| --- | ---: | ---: | ---: | ---: | ---: |')
    w.extend(rows)
    w.append('')
    with open(out, 'w') as f:
        f.write('\n'.join(w))


if __name__ == '__main__':
    main()
