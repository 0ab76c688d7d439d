#!/usr/bin/python3
"""Report of the aids benchmark: predicted against actual, per aid.

Usage: bench_aids_report.py RESULTS.jsonl REPORT-DIR

Writes REPORT-DIR/aids.md and REPORT-DIR/aids.png, and a copy of the
results as REPORT-DIR/results-aids.jsonl.
"""

import shutil
import statistics
import sys

from bench import code_of, load
from bench_aids import STRATEGIES
from bench_live import quantile

ORDER = ('pre-copy', 'auto-converge', 'postcopy')
MODES = ('default', 'dirty-bitmap')
INCREMENT = 10          # cpu-throttle-increment, as the benchmark runs it


def predicted(run, mode):
    return run['modes'][mode]['strategy']


def completed(run):
    return run.get('converged', False)


def says_converges(est):
    return est['estimate']['verdict'] == 'converges'


def error(pred, act):
    return (pred - act) / act


def pct(x):
    return f'{x * 100:.1f}%'


def median_abs(xs):
    return pct(statistics.median(abs(x) for x in xs)) if xs else '-'


def p90_abs(xs):
    return pct(quantile([abs(x) for x in xs], 0.9)) if xs else '-'


def switch_s(run):
    """When the source stopped for the switch to post-copy, from the start"""
    t = run.get('event-times', {})
    if 'device' in t and 'setup' in t:
        return t['device'] - t['setup']
    return None


def verdict_rows(runs):
    rows = []
    for strategy in ('pre-copy', 'auto-converge', 'postcopy', 'multifd'):
        rs = [r for r in runs if r['strategy'] == strategy]
        if not rs:
            continue
        for mode in MODES:
            wrong = unc = leaning_wrong = 0
            errs, dts = [], []
            for r in rs:
                est = predicted(r, mode)
                v = est['estimate']['verdict']
                if v == 'uncertain':
                    unc += 1
                    # its central estimate: on the curve as measured
                    leaning_wrong += ('total-time' in est['estimate']) != \
                        completed(r)
                elif (v == 'converges') != completed(r):
                    wrong += 1
                if completed(r) and 'total-time' in est['estimate']:
                    errs.append(error(est['estimate']['total-time'],
                                      r['actual']['total-time']))
                    dts.append(abs(est['estimate']['downtime'] -
                                   r['actual'].get('downtime', 0)))
            rows.append(f'| {strategy} | {mode} | {len(rs)} | '
                        f'{sum(map(completed, rs))} | {wrong} | {unc} '
                        f'({leaning_wrong}) | '
                        f'{len(errs)} | {median_abs(errs)} | '
                        f'{p90_abs(errs)} | '
                        f'{statistics.median(dts) if dts else "-"} ms |')
    return rows


def throttle_rows(runs):
    rows = []
    for r in runs:
        if r['strategy'] != 'auto-converge':
            continue
        cells = []
        for mode in MODES:
            est = predicted(r, mode)
            peak = est.get('throttle-peak', 0)
            steps = (peak - r['throttle-peak']) / INCREMENT
            cells.append(f'{peak}% ({steps:+.1f})')
        busy = r['modes']['default']['measurement'].get('vcpu-busy')
        act = r['actual']
        rows.append(f'| {r["id"].split("/", 1)[1]} | '
                    f'{busy * 100 if busy else 0:.0f}% | '
                    f'{r["throttle-peak"]}% | {cells[0]} | {cells[1]} | '
                    f'{act.get("total-time") if completed(r) else "-"} | '
                    f'{predicted(r, "default")["estimate"].get("total-time", "-")} |')
    return rows


def postcopy_rows(runs):
    rows = []
    errs = {m: [] for m in MODES}
    for r in runs:
        if r['strategy'] != 'postcopy' or 'postcopy-ms' not in r:
            continue
        cells = []
        for mode in MODES:
            est = predicted(r, mode)
            if 'postcopy-time' in est:
                e = error(est['postcopy-time'], r['postcopy-ms'])
                errs[mode].append(e)
                cells.append(f'{est["postcopy-time"]} ({pct(e)})')
            else:
                cells.append('-')
        est = predicted(r, 'default')
        sw = switch_s(r)
        ram = r['actual'].get('ram', {})
        dst = r.get('destination', {})
        latency = dst.get('postcopy-latency')
        rows.append(f'| {r["id"].split("/", 1)[1]} | {r["postcopy-ms"]} | '
                    f'{cells[0]} | {cells[1]} | '
                    f'{round(sw * 1000) if sw else "-"} | '
                    f'{est.get("postcopy-switch", "-")} | '
                    f'{r["actual"].get("downtime", "-")} | '
                    f'{est["estimate"].get("downtime", "-")} | '
                    f'{round(ram.get("postcopy-bytes", 0) / 4104)} | '
                    f'{est.get("postcopy-pages", "-")} | '
                    f'{ram.get("postcopy-requests", "-")} | '
                    f'{round(latency / 1000) if latency else "-"} |')
    return rows, errs


def advice_rows(runs):
    """Per cell that ran every strategy: the advice, and what really
    completed in time first in the order of intrusiveness."""
    cells = {}
    for r in runs:
        if r['strategy'] in ORDER:
            key = r['id'].split('/', 1)[1]
            cells.setdefault(key, {})[r['strategy']] = r
    rows, right, total = [], 0, 0
    for key, rs in sorted(cells.items()):
        if set(rs) != set(ORDER):
            continue
        actual = next((s for s in ORDER if completed(rs[s])), 'none')
        for mode in MODES:
            adv = rs['pre-copy']['modes'][mode]['advice']
            aids = adv.get('strategy', {}).get('strategy', {}).get('aids')
            # the benchmark's name for the strategy of those aids
            said = next((name for name, a in STRATEGIES.items()
                         if a == aids), 'none')
            total += 1
            right += said == actual
            rows.append(f'| {key} | {mode} | {said} | {actual} | '
                        f'{"yes" if said == actual else "**no**"} |')
    return rows, right, total


def live_errors(runs, strategy):
    """Remaining-time error of the live estimate at 25/50/75% of runs of
    @strategy that completed"""
    out = {f: [] for f in (0.25, 0.5, 0.75)}
    for r in runs:
        if r['strategy'] != strategy or not completed(r) or not r['live']:
            continue
        total = r['actual']['total-time']
        for f in out:
            a = min(r['live'], key=lambda x: abs(x['elapsed'] - f * total))
            if abs(a['elapsed'] - f * total) > 0.05 * total or \
                    'total-time' not in a:
                continue
            left = total - a['elapsed']
            out[f].append((a['total-time'] - a['elapsed'] - left) / left)
    return out


def plot(runs, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.8))
    colors = {'pre-copy': 'grey', 'auto-converge': 'tab:red',
              'postcopy': 'tab:blue', 'multifd': 'tab:green'}
    for s, c in colors.items():
        xs = [r['actual']['total-time'] / 1000 for r in runs
              if r['strategy'] == s and completed(r) and
              'total-time' in predicted(r, 'default')['estimate']]
        ys = [predicted(r, 'default')['estimate']['total-time'] / 1000
              for r in runs if r['strategy'] == s and completed(r) and
              'total-time' in predicted(r, 'default')['estimate']]
        ax[0].scatter(xs, ys, color=c, label=s, s=18)
    top = max([r['actual'].get('total-time', 0) / 1000 for r in runs] + [1])
    ax[0].plot([0, top], [0, top], 'k:', lw=1)
    ax[0].set_xlabel('actual total time (s)')
    ax[0].set_ylabel('predicted (s), default measurement')
    ax[0].set_title('Total time, runs that completed')
    ax[0].legend()

    ac = [r for r in runs if r['strategy'] == 'auto-converge']
    ax[1].scatter([r['throttle-peak'] for r in ac],
                  [predicted(r, 'default').get('throttle-peak', 0)
                   for r in ac], color='tab:red', s=18, label='default')
    ax[1].scatter([r['throttle-peak'] for r in ac],
                  [predicted(r, 'dirty-bitmap').get('throttle-peak', 0)
                   for r in ac], color='tab:red', marker='x', s=24,
                  label='dirty-bitmap')
    ax[1].plot([0, 100], [0, 100], 'k:', lw=1)
    ax[1].fill_between([0, 100], [-10, 90], [10, 110], color='grey',
                       alpha=0.15, label='one increment')
    ax[1].set_xlabel('actual peak cpu-throttle-percentage')
    ax[1].set_ylabel('predicted')
    ax[1].set_title('Auto-converge: peak throttle')
    ax[1].legend()

    pc = [r for r in runs if r['strategy'] == 'postcopy' and
          'postcopy-ms' in r and 'postcopy-time' in predicted(r, 'default')]
    ax[2].scatter([r['postcopy-ms'] / 1000 for r in pc],
                  [predicted(r, 'default')['postcopy-time'] / 1000
                   for r in pc], color='tab:blue', s=18)
    top = max([r['postcopy-ms'] / 1000 for r in pc] + [1])
    ax[2].plot([0, top], [0, top], 'k:', lw=1)
    ax[2].set_xlabel('actual post-copy phase (s)')
    ax[2].set_ylabel('predicted (s), default measurement')
    ax[2].set_title('Post-copy phase')
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    results, out = sys.argv[1], sys.argv[2]
    everything = load(results)
    setup = next(r for r in everything if r['kind'] == 'setup')
    runs = [r for r in everything
            if r['kind'] == 'aid-run' and 'actual' in r]
    shutil.copyfile(results, f'{out}/results-aids.jsonl')
    plot(runs, f'{out}/aids.png')

    w = ['# Accuracy of the estimate with the aids to convergence\n',
         f'Written by `harness/bench/bench_aids_report.py` from '
         f'`results-aids.jsonl` ({len(runs)} migrations), by '
         f'`make bench-aids`.  Machine: {setup["cpus"]} host CPUs, '
         f'Debian 12; accelerator: **{setup["accel"].upper()}**; guest '
         f'kernel: {setup["kernel"]}, with tests/migration-stress as '
         f'/init; {code_of(runs)}.\n',
         'Each cell is a workload and a max-bandwidth and downtime-limit '
         'at which plain pre-copy does not converge.  It runs three '
         'times: as plain pre-copy, with auto-converge (its parameters '
         'at their defaults), and with post-copy requested once the '
         'first pass ends (on the second sync, as `virsh migrate '
         '--postcopy-after-precopy` does it), at max-postcopy-bandwidth '
         'equal to max-bandwidth.  Multifd (2 channels) runs on cells '
         'where pre-copy converges.  Each run measures the curve as the '
         'main benchmark does, first exact (dirty-bitmap), then as a new '
         'user would (default page-sampling), asks '
         '`query-migration-estimate` for its strategy and its advice '
         'after each, and migrates over a unix socket.  A migration '
         'still running after 60 s is cancelled.\n',
         '## Verdicts and total time\n',
         'Error is (predicted - actual) / actual total time, over runs '
         'that completed and that the model said would.  A verdict is '
         'wrong when the model says "converges" and the migration did '
         'not complete within 60 s, or the other way round.  '
         '"Uncertain" is neither right nor wrong: it has its own column, '
         'and beside it (in brackets) how many of those answers had a '
         'central estimate (on the curve as measured) that the '
         'migration proved wrong.\n',
         '| strategy | measurement | runs | completed | wrong verdicts | '
         '"uncertain" (central wrong) | compared | median \\|error\\| | '
         'p90 \\|error\\| | '
         'median downtime error |',
         '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | '
         '---: |',
         *verdict_rows(runs), '',
         '![predicted against actual](aids.png)\n',
         '## Auto-converge: the peak throttle\n',
         'The highest `cpu-throttle-percentage` that `query-migrate` '
         'showed (polled every 100 ms), against the estimate\'s, with the '
         'difference in increments of 10.  vcpu-busy is the share of '
         'their time the vCPUs ran while measured (default measurement).\n',
         '| cell | vcpu-busy | actual peak | predicted (default) | '
         'predicted (dirty-bitmap) | actual total ms | predicted ms |',
         '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
         *throttle_rows(runs), '']
    rows, errs = postcopy_rows(runs)
    w += ['## Post-copy: the switch and the post-copy phase\n',
          'The phase runs from the end of the switch (the event '
          '`postcopy-device`) to `completed`; the switch is when the '
          'source stopped (the event `device`), from the start.  Median '
          f'|error| of the phase: default {median_abs(errs["default"])}, '
          f'dirty-bitmap {median_abs(errs["dirty-bitmap"])}.\n',
          'Pages sent in post-copy are its bytes over 4104 (a page and '
          'its header); faults are the page requests the source served '
          '(`postcopy-requests`), and the latency is the destination\'s '
          'mean per remote fault (`postcopy-latency`, capability '
          '`postcopy-blocktime`), where the run has them.  The predicted '
          'pages left bound the faults.\n',
          '| cell | actual phase ms | predicted (default) | predicted '
          '(dirty-bitmap) | actual switch ms | predicted | actual '
          'downtime ms | predicted | pages sent in post-copy | predicted '
          'pages left | faults | fault latency us |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | '
          '---: | ---: | ---: |',
          *rows, '']
    rows, right, total = advice_rows(runs)
    w += ['## Advice\n',
          'For each cell that ran all three, the least intrusive strategy '
          'that `advice` named (asked before the pre-copy run, within the '
          '60 s deadline) and the least intrusive that really completed '
          f'within it: right in {right} of {total}.\n',
          '| cell | measurement | advice | really first to complete | '
          'right |',
          '| --- | --- | --- | --- | --- |', *rows, '']
    w += ['## Live\n',
          'Remaining-time error of the live estimate of the run\'s own '
          'strategy, at 25%, 50% and 75% of the actual total time (median '
          '/ p90 of |error|, over runs that completed):\n',
          '| strategy | 25% | 50% | 75% |', '| --- | ---: | ---: | ---: |']
    for s in ('auto-converge', 'postcopy', 'multifd'):
        le = live_errors(runs, s)
        w.append(f'| {s} | ' + ' | '.join(
            f'{median_abs(le[f])} / {p90_abs(le[f])} (n={len(le[f])})'
            for f in (0.25, 0.5, 0.75)) + ' |')
    w.append('')
    sample = next((r for r in runs if r['strategy'] == 'auto-converge' and
                   'hmp' in r['modes'].get('default', {})), None)
    if sample:
        w += ['## What the operator sees\n',
              f'`info migrate_estimate` in run {sample["id"]}, measured '
              'as a new user would, with auto-converge on:\n',
              *('    ' + line if line else ''
                for line in sample['modes']['default']['hmp'].splitlines()),
              '']
    with open(f'{out}/aids.md', 'w') as f:
        f.write('\n'.join(w))


if __name__ == '__main__':
    main()
