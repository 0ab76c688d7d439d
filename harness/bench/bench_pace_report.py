#!/usr/bin/python3
"""Write docs/accuracy/pace.md from the results of make bench-pace.

Usage: bench_pace_report.py RESULTS REPORT-DIR

Every run counts: an estimate that says the migration does not converge,
or may not, where it completed, is an error of 100%, and its central
time, where it has one, is not used.
"""

import os
import shutil
import statistics
import sys

from bench import code_of, load

GROUPS = [
    ('no rate limit, link-bandwidth given',
     lambda r: not r['bandwidth'] and not r['multifd-channels'], 'link'),
    ('no rate limit, link unknown (the sender\'s pace alone)',
     lambda r: not r['bandwidth'] and not r['multifd-channels'], 'no-link'),
    ('large mostly idle guests (4 and 16 GiB), link given',
     lambda r: r['scenario'].endswith(('-4g', '-16g')), 'link'),
    ('stopped and zeroed guests, link given',
     lambda r: r['scenario'].startswith(('stopped', 'zeroed')), 'link'),
    ('multifd without rate limit, link given',
     lambda r: r['multifd-channels'], 'link'),
]


def error(run, mode, ask):
    """Relative error of the total time; 1.0 for a wrong or unsure verdict"""
    est = run['modes'][mode][ask]['estimate']
    act = run['actual']
    if est['verdict'] != 'converges' or 'total-time' not in est:
        return 1.0
    return (est['total-time'] - act['total-time']) / act['total-time']


def pct(x):
    return f'{x:+.1%}'


def in_range(run, mode, ask):
    """Whether the actual total time fell within the estimate's range"""
    est = run['modes'][mode][ask]['estimate']
    act = run['actual']['total-time']
    return est.get('min-total-time', act + 1) <= act <= \
        est.get('max-total-time', -1)


def stats(errs):
    if not errs:
        return '-', '-'
    a = sorted(abs(e) for e in errs)
    return (f'{statistics.median(a):.1%}',
            f'{a[min(len(a) - 1, int(0.9 * len(a)))]:.1%}')


def cell(run):
    bw = run['bandwidth']
    rate = f'{bw * 8 / 1e6:.0f} Mbit/s' if bw else 'none'
    mfd = f', multifd {run["multifd-channels"]}' \
        if run['multifd-channels'] else ''
    return f'{rate}, {run["downtime-limit"]} ms, {run["transport"]}{mfd}'


def main():
    results, out = sys.argv[1], sys.argv[2]
    records = load(results)
    setup = next(r for r in records if r['kind'] == 'setup')
    runs = [r for r in records if r['kind'] == 'pace-run' and
            r.get('converged')]
    failed = [r for r in records if r['kind'] == 'pace-run' and
              not r.get('converged')]
    lines = [
        '# The sender\'s pace: accuracy where the work per page holds a '
        'migration back',
        '',
        f'`make bench-pace`, {len(runs)} completed migrations '
        f'({len(failed)} that did not complete are listed at the end), '
        f'{setup["accel"].upper()}, on {setup["date"]}, '
        f'{code_of(runs + failed)}.  The link speed '
        f'that `link-bandwidth` gives, measured once on a migration of its '
        f'own: {setup["link-bandwidth"] * 8 / 1e9:.1f} Gbit/s.',
        '',
        'Each run measured its curve twice, exactly (dirty-bitmap) and as '
        'a new user would (calc-time only), and asked for its cell with '
        '`link-bandwidth` and without.  Errors are of the total time; an '
        'answer other than "converges" for a migration that completed '
        'counts as 100%.',
        '',
        '## Summary',
        '',
        '| runs | answers | median \\|error\\| (default / dirty-bitmap) '
        '| p90 (default / dirty-bitmap) | actual in range (default / '
        'dirty-bitmap) |',
        '| --- | --- | --- | --- | --- |',
    ]
    for name, pick, ask in GROUPS:
        sel = [r for r in runs if pick(r)]
        d = [error(r, 'default', ask) for r in sel]
        b = [error(r, 'dirty-bitmap', ask) for r in sel]
        (md, pd), (mb, pb) = stats(d), stats(b)
        cov = ' / '.join(
            str(sum(in_range(r, mode, ask) for r in sel))
            for mode in ('default', 'dirty-bitmap'))
        lines.append(f'| {name} | {len(sel)} | {md} / {mb} | {pd} / {pb} '
                     f'| {cov} |')

    cells = {}
    for r in runs:
        cells.setdefault(r['id'].rsplit('/', 1)[0], []).append(
            r['actual']['total-time'])
    spread = sorted(max(t) / min(t) - 1 for t in cells.values()
                    if len(t) > 1)
    # each measurement's pace, which its answers with and without the
    # link both carry
    fresh = sorted(m['link']['pace']['fresh-page'] / 1000
                   for r in runs for m in r['modes'].values()
                   if m['link'].get('pace'))
    if spread and fresh:
        lines += [
            '',
            f'The noise floor: the same cell run twice took times apart by '
            f'{statistics.median(spread):.0%} at the median and '
            f'{spread[-1]:.0%} at most ({len(spread)} cells).  What moves '
            f'them is the destination\'s first write of each page, which '
            f'the measurements of this run timed at {fresh[0]:.1f} to '
            f'{fresh[-1]:.1f} us, depending on what the host had freed '
            f'lately (see lab-notes.md): the pace measurement sees 16 MiB '
            f'of it, a destination takes hundreds.',
        ]
    lines += [
        '',
        '## What the measurement costs',
        '',
    ]
    pace_us = [u for r in runs for u in r.get('pace-us', [])]
    bql = [u for r in runs for u in r.get('query-bql-us', [])]
    if pace_us:
        lines.append(
            f'The pace measurement (16 MiB of guest memory read, 16 MiB '
            f'of pages through a local socket four times, 16 MiB of zero '
            f'pages three times) took {statistics.median(pace_us) / 1000:.1f} ms median, '
            f'{max(pace_us) / 1000:.1f} ms at most, over {len(pace_us)} '
            f'measurements, in the measurement thread: none of it under '
            f'the BQL.')
    if bql:
        lines.append(
            f'A query-migration-estimate for one cell held the BQL '
            f'{statistics.median(bql) / 1000:.2f} ms median, '
            f'{max(bql) / 1000:.2f} ms at most ({len(bql)} queries).')

    lines += [
        '',
        '## Every run',
        '',
        'Times in ms.  Predicted: default measurement with link / without, '
        'then dirty-bitmap with link / without; the sender\'s time per '
        'page (zero page, page with data, first write) from the default '
        'measurement.',
        '',
        '| run | cell | pace (ns) | predicted | actual | syncs '
        '(predicted / actual) | error (default, link / no link) |',
        '| --- | --- | --- | --- | --- | --- | --- |',
    ]
    for r in runs:
        m = r['modes']
        p = m['default']['link'].get('pace') or {}
        pace = (f'{p.get("zero-page", "-")} / {p.get("page", "-")} / '
                f'{p.get("fresh-page", "-")}')
        pred = ' / '.join(
            str(m[mode][ask]['estimate'].get('total-time', '-'))
            for mode in ('default', 'dirty-bitmap')
            for ask in ('link', 'no-link'))
        act = r['actual']
        syncs = (f'{m["default"]["link"]["estimate"].get("dirty-sync-count", "-")}'
                 f' / {act["ram"]["dirty-sync-count"]}')
        errs = f'{pct(error(r, "default", "link"))} / ' \
               f'{pct(error(r, "default", "no-link"))}'
        lines.append(f'| {r["id"]} | {cell(r)} | {pace} | {pred} | '
                     f'{act["total-time"]} | {syncs} | {errs} |')
    if failed:
        lines += ['', '## Runs that did not complete', '']
        for r in failed:
            lines.append(f'- {r["id"]}: '
                         f'{r.get("error") or r.get("actual", {}).get("status")}')
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'pace.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    if os.path.abspath(os.path.dirname(results)) != os.path.abspath(out):
        shutil.copy(results, os.path.join(out, 'results-pace.jsonl'))


if __name__ == '__main__':
    main()
