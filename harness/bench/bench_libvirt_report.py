#!/usr/bin/python3
"""Report of the benchmark on libvirt's path, beside the direct path.

Usage: bench_libvirt_report.py RESULTS.jsonl REPORT-DIR

Writes REPORT-DIR/libvirt.md and a copy of the results as
REPORT-DIR/results-libvirt.jsonl.
"""

import shutil
import statistics
import sys

from bench import code_of, load
from bench_aids_report import error, median_abs, pct

MODES = ('dirty-bitmap', 'default')
MB = 1000 * 1000


def completed(run):
    return run.get('converged', False)


def passes(run):
    """Each pre-copy pass of a run: (seconds, MB sent, pages sent), from
    the syncs the estimate recorded (the last one is the switchover's)"""
    syncs = run['actual'].get('syncs') or run.get('live-syncs') or []
    out = []
    for a, b in zip(syncs[:-1], syncs[1:-1]):
        out.append(((b[1] - a[1]) / 1e6, (b[6] - a[6]) / MB, b[4] - a[4]))
    return out


def cell_name(run):
    bw = run.get('bandwidth', 0)
    speed = 'unlimited' if run.get('unlimited') else \
        f'{bw // (1024 * 1024)} MiB/s'
    return f'{speed}, {run["downtime-limit"]} ms'


def actual_syncs(run):
    act = run['actual']
    return act.get('dirty-sync-count', act.get('ram', {}).get(
        'dirty-sync-count'))


def prediction(run, mode):
    est = run['modes'][mode]['estimate']
    if est['verdict'] != 'converges':
        return est['verdict'], None
    err = error(est['total-time'], run['actual']['total-time']) \
        if completed(run) else None
    return (f'{est["total-time"] / 1000:.2f} s, '
            f'{est["dirty-sync-count"]} syncs'), err


def run_rows(runs):
    rows = ['| scenario | path | cell | rep | predicted, dirty-bitmap | '
            'error | predicted, default | error | actual (QEMU) | '
            'pass 2 |',
            '|---|---|---|---|---|---|---|---|---|---|']
    for r in runs:
        if 'modes' not in r:
            continue
        cells = []
        for mode in MODES:
            text, err = prediction(r, mode)
            cells += [text, pct(err) if err is not None else '-']
        act = r['actual']
        actual = (f'{act["total-time"] / 1000:.2f} s, {actual_syncs(r)} '
                  'syncs' if completed(r) else act['status'])
        p = passes(r)
        p2 = f'{p[1][1] / p[1][0]:.0f} MB/s' if len(p) > 1 and p[1][0] \
            else '-'
        rows.append(f'| {r["scenario"]} | {r["path"]} | {cell_name(r)} | '
                    f'{r["repeat"]} | {" | ".join(cells)} | {actual} | '
                    f'{p2} |')
    return rows


def summary_rows(runs):
    rows = ['| path | cells | runs completed | median abs. error, '
            'dirty-bitmap | default | syncs predicted - actual |',
            '|---|---|---|---|---|---|']
    for path, unlimited in (('direct', False), ('libvirt', False),
                            ('libvirt', True)):
        sel = [r for r in runs if r['path'] == path and
               bool(r.get('unlimited')) == unlimited and 'modes' in r]
        if not sel:
            continue
        done = [r for r in sel if completed(r)]
        errs = {m: [error(r['modes'][m]['estimate']['total-time'],
                          r['actual']['total-time']) for r in done
                    if 'total-time' in r['modes'][m]['estimate']]
                for m in MODES}
        diff = [r['modes']['dirty-bitmap']['estimate'].get(
            'dirty-sync-count', 0) - actual_syncs(r) for r in done]
        rows.append(f'| {path} | {"unlimited" if unlimited else "120 MiB/s"}'
                    f' | {len(done)}/{len(sel)} | '
                    f'{median_abs(errs["dirty-bitmap"])} | '
                    f'{median_abs(errs["default"])} | '
                    f'{", ".join(f"{d:+d}" for d in diff)} |')
    return rows


def libvirt_rows(runs):
    """What libvirt's own figures add to QEMU's"""
    rows = ['| run | QEMU total | libvirt "Time elapsed" | QEMU downtime | '
            'libvirt "Total downtime" | wait for migrate-continue |',
            '|---|---|---|---|---|---|']
    for r in runs:
        act = r['actual']
        job = act.get('libvirt')
        if not job or r['path'] != 'libvirt':
            continue
        rows.append(f'| {r["id"]} | {act["total-time"]} ms | '
                    f'{job.get("Time elapsed", 0):.0f} ms | '
                    f'{act.get("downtime", "-")} ms | '
                    f'{job.get("Total downtime", 0):.0f} ms | '
                    f'{act.get("pre-switchover-ms", "-")} ms |')
    return rows


def overheads(runs):
    lv = [r for r in runs if r['path'] == 'libvirt' and completed(r) and
          r['actual'].get('libvirt')]
    over = [r['actual']['libvirt']['Time elapsed'] - r['actual']['total-time']
            for r in lv]
    wait = [r['actual']['pre-switchover-ms'] for r in lv
            if 'pre-switchover-ms' in r['actual']]
    return (statistics.median(over) if over else 0,
            statistics.median(wait) if wait else 0)


def pass1_rows(runs):
    rows = ['| run | pass 1 | MB sent | pages sent | MB/s | pages/s |',
            '|---|---|---|---|---|---|']
    for r in runs:
        p = passes(r)
        if r.get('unlimited') and p:
            t, mb, pages = p[0]
            rows.append(f'| {r["id"]} | {t:.2f} s | {mb:.0f} | {pages} | '
                        f'{mb / t:.0f} | {pages / t:.0f} |')
    return rows


def live_rows(runs):
    """The live estimates of the migrations without rate limit: the time
    left they gave, against the time that was left"""
    rows = ['| run | answer at | assumed rate | time left, estimated | '
            'actual | verdict |', '|---|---|---|---|---|---|']
    for r in runs:
        total = r['actual'].get('total-time')
        answers = [a for a in r['actual'].get('live', [])
                   if 'remaining-time' in a]
        if not r.get('unlimited') or not total or not answers:
            continue
        for a in (answers[0], answers[len(answers) // 2]):
            left = total - a['elapsed']
            rows.append(f'| {r["id"]} | {a["elapsed"]} ms | '
                        f'{a["bandwidth"] * 8 / 1e9:.2f} Gbit/s | '
                        f'{a["remaining-time"]} ms | {left} ms | '
                        f'{a["verdict"]} |')
    return rows


def main():
    results, out = sys.argv[1:3]
    recs = load(results)
    setup = next(r for r in recs if r['kind'] == 'setup')
    runs = [r for r in recs if r['kind'] == 'run']
    over, wait = overheads(runs)
    text = [
        '# Accuracy on libvirt\'s path',
        '',
        'Written by `make bench-libvirt` '
        '(harness/bench/bench_libvirt.py, bench_libvirt_report.py) on '
        f'{setup["date"]}, under {setup["accel"].upper()}, '
        f'{code_of(runs)}.  The same guests '
        'as the direct benchmark (README.md here), each a libvirt 9.0 '
        'domain with this build as its emulator, measured with `virsh '
        'domdirtyrate-calc` for 10 s (dirty-bitmap, then as libvirt sends '
        'it: calc-time only), estimated with `virsh qemu-monitor-command` '
        'for the cell libvirt then migrates at, and migrated with `virsh '
        'migrate --live` over TCP to a second libvirt host on the machine.  '
        'Each rate-limited cell runs on the direct path too, on the same '
        'day: QEMU to QEMU over a unix socket, without libvirt.  "Actual" '
        'is QEMU\'s own time, from its trace events: from `migrate` to '
        'the completion.  Errors are (predicted - actual) / actual.',
        '',
        f'The link\'s speed, for the cells without rate limit: '
        f'{setup["link-bandwidth"] * 8 / 1e9:.1f} Gbit/s, the bytes of a '
        'final stop-and-copy over the time they took, through libvirt.',
        '',
        '## Summary',
        '',
        *summary_rows(runs),
        '',
        '## Every run',
        '',
        'Pass 2 is the rate of the second pass over memory, which the rate '
        'limit holds at 126 MB/s unless something else holds it back.',
        '',
        *run_rows(runs),
        '',
        '## What libvirt adds',
        '',
        'libvirt turns on pause-before-switchover (and return-path, and '
        'events) and sets max-bandwidth as the migration starts.  With '
        'pause-before-switchover the source stops the guest, then waits '
        'for libvirt\'s `migrate-continue` before it sends the rest: '
        f'median {wait:.0f} ms here, inside QEMU\'s downtime.  libvirt\'s '
        'own figures (`virsh domjobinfo --completed`) are its job\'s: '
        '"Time elapsed" starts before the destination QEMU starts and ends '
        f'once it runs, median {over / 1000:.2f} s more than QEMU\'s total '
        'time; "Total downtime" runs from libvirt\'s handling of the STOP '
        'event to the destination\'s `cont`.',
        '',
        *libvirt_rows(runs),
        '',
        '## Without rate limit',
        '',
        'libvirt\'s default.  The first pass over memory goes at a rate of '
        'pages, whatever they hold, far below the link\'s speed that later '
        'passes reach:',
        '',
        *pass1_rows(runs),
        '',
        'The estimate before the migration paces each pass by the '
        'slower of the link and the sender\'s time per page, which the '
        'measurement timed on a few MiB of memory: where that timing saw '
        'a fast first write and the destination a slow one, it is short '
        '(lab-notes.md).  Once the migration runs, the live estimate, '
        'asked without `link-bandwidth` as `migration-estimate.py watch '
        '--domain` asks it, assumes the rate the migration has sent at so '
        'far, or before it has sent anything (1000000 Gbit/s in the '
        'table) only the sender\'s pace; its first answer and the one '
        'halfway through:',
        '',
        *live_rows(runs),
        '',
    ]
    with open(f'{out}/libvirt.md', 'w') as f:
        f.write('\n'.join(text))
    shutil.copy(results, f'{out}/results-libvirt.jsonl')


if __name__ == '__main__':
    main()
