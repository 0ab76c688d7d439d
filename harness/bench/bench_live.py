"""The benchmark report's section on the live estimate.

Every run of bench.py that polls records the answers of
query-migration-estimate for the migration under way (its 'live' list),
the time each held the BQL, and the migration's syncs.  This module
turns them into the report's section and its plot, live.png: how far
off the remaining time was at 25, 50 and 75% of each migration, when a
migration that never converged was said not to for good, against the
fixed rules of the cloud stacks, and what polling cost.
"""

import statistics

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

# the points of a migration at which the remaining time is judged
FRACTIONS = (0.25, 0.5, 0.75)
GIB = 1024 ** 3
# the fixed rules of the cloud stacks, as seconds a migration may run
RULES = {
    'KubeVirt completionTimeoutPerGiB (150 s per GiB)':
        lambda run: 150 * run['ram-bytes'] / GIB,
    'KubeVirt progressTimeout (150 s without progress)': lambda run: 150,
    'Nova live_migration_completion_timeout (800 s per GiB)':
        lambda run: 800 * run['ram-bytes'] / GIB,
}


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float('nan')
    i = q * (len(xs) - 1)
    lo = int(i)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (i - lo)


def polled(runs):
    return [r for r in runs if r.get('live')]


def at(run, fraction):
    """The live answer nearest to @fraction of @run's actual total time,
    if one came within 5% of it."""
    total = run['actual']['total-time']
    best = min(run['live'], key=lambda a: abs(a['elapsed'] - fraction * total))
    if abs(best['elapsed'] - fraction * total) > 0.05 * total:
        return None
    return best


def predictors(run):
    """What each predictor says is left of @run at a live answer, in ms:
    the live estimate; the estimate made before the migration, counted
    down; and the bytes query-migrate says remain, at max-bandwidth.
    'never' where it says the migration does not converge, 'uncertain'
    where it cannot tell, None where it has nothing to say."""
    def live(a):
        if a['verdict'] == 'uncertain':
            return 'uncertain'
        return a.get('remaining-time', 'never')

    def before(a):
        if 'estimate' not in run:
            return None
        total = run['estimate'].get('total-time')
        return 'never' if total is None else max(0, total - a['elapsed'])

    def bytes_left(a):
        return a['ram'][0] * 1000 / run['bandwidth'] if 'ram' in a else None

    return {'live estimate': live, 'estimate before the migration': before,
            'query-migrate remaining / max-bandwidth': bytes_left}


# The error an answer "does not converge" counts as, for a migration
# that converged: as wrong as a time twice too long
NEVER_ERROR = 1.0


def remaining_errors(runs):
    """Per predictor, source of the curve and fraction: the relative
    errors of the remaining time over the converged runs, every answer
    counted: "does not converge" as NEVER_ERROR, "uncertain" as its
    central estimate's error, or as NEVER_ERROR where it has none; and
    how many answers were each."""
    out = {}
    for run in polled(runs):
        if not run['converged']:
            continue
        source = 'none (noprior)' if run.get('variant') == 'noprior' \
            else 'measured (default)'
        total = run['actual']['total-time']
        points = {f: at(run, f) for f in FRACTIONS}
        for name, predict in predictors(run).items():
            for f, a in points.items():
                p = predict(a) if a else None
                left = total - a['elapsed'] if a else 0
                if p is None or left <= 0:
                    continue
                cell = out.setdefault((name, source, f),
                                      {'errs': [], 'wrong': 0,
                                       'uncertain': 0})
                if p == 'uncertain':
                    cell['uncertain'] += 1
                    p = a.get('remaining-time')
                elif p == 'never':
                    cell['wrong'] += 1
                    p = None
                cell['errs'].append(NEVER_ERROR if p is None else
                                    (p - left) / left)
    return out


def remaining_table(runs):
    errs = remaining_errors(runs)
    w = ['| predictor | curve | at | runs | median \\|error\\| | p90 | '
         'bias (median) | "uncertain" | said "does not converge" |',
         '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for (name, source, f), cell in sorted(
            errs.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        e = [abs(x) for x in cell['errs']]
        n = len(e)
        if not n:
            continue
        w.append(f'| {name} | {source} | {f * 100:.0f}% | {n} | '
                 f'{quantile(e, 0.5) * 100:.1f}% | '
                 f'{quantile(e, 0.9) * 100:.1f}% | '
                 f'{quantile(cell["errs"], 0.5) * 100:+.1f}% | '
                 f'{cell["uncertain"]} | {cell["wrong"]} |')
    return w


def first_pass_sync(run):
    """The sync that ended @run's first pass: the first to find every
    page sent once, as the estimate recorded it"""
    total = run['ram-bytes'] // 4096
    for s in run.get('live-syncs', []):
        if s[4] >= total:
            return s[0]
    return 2


def flagged(run, verdicts=('does-not-converge',)):
    """The live answer from which on every one gave one of @verdicts, or
    None"""
    live = run['live']
    i = len(live)
    while i and live[i - 1]['verdict'] in verdicts:
        i -= 1
    return live[i] if i < len(live) else None


def nonconvergence(runs):
    """The runs that did not converge: when the live estimate said so for
    good, in syncs after the first pass and in seconds."""
    rows = []
    for run in polled(runs):
        if run['converged']:
            continue
        a = flagged(run)
        b = flagged(run, ('does-not-converge', 'uncertain'))
        rows.append({
            'id': run['id'], 'run': run, 'flag': a, 'never': b,
            'after': (a['dirty-sync-count'] - first_pass_sync(run)
                      if a else None),
            'never-after': (b['dirty-sync-count'] - first_pass_sync(run)
                            if b else None),
            'before': run.get('estimate', {}).get('verdict', '-'),
        })
    return rows


def false_alarms(runs):
    """Converged runs that the live estimate called non-converging: in
    their first half, and in their last half."""
    first, last = [], []
    for run in polled(runs):
        if not run['converged']:
            continue
        half = run['actual']['total-time'] / 2
        for a in run['live']:
            if a['verdict'] == 'does-not-converge':
                (first if a['elapsed'] < half else last).append(run['id'])
                break
    return first, last


def overhead(runs):
    """The repeated cell with and without polling: total times and
    throughput."""
    cell = {}
    for run in runs:
        if run.get('variant') not in (None, 'nopoll') or not run['converged']:
            continue
        key = (run['scenario'], run['bandwidth'], run['downtime-limit'])
        cell.setdefault(key, {}).setdefault(
            run.get('variant', 'poll'), []).append(run)
    return {k: v for k, v in cell.items() if 'nopoll' in v and 'poll' in v}


def plot_live(runs, path):
    """Predicted against actual remaining time over a few migrations."""
    chosen = []
    for want in ('hotcold-1g/1000Mbit/300ms/1', 'random-2g/1000Mbit/300ms/1',
                 'redis-1g/1000Mbit/300ms/1', 'skewed-1g/1000Mbit/50ms/1',
                 'phase-1g/', 'hotcold-1g/1000Mbit/300ms/noprior/1'):
        run = next((r for r in polled(runs) if r['id'].startswith(want) and
                    r['converged'] and r not in chosen), None)
        if run:
            chosen.append(run)
    if not chosen:
        return False
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), squeeze=False)
    for ax, run in zip(axes.flat, chosen):
        total = run['actual']['total-time'] / 1000
        live = run['live']
        t = [a['elapsed'] / 1000 for a in live]
        ax.plot([0, total], [total, 0], 'k-', lw=1, label='actual')
        pts = [(x, a['remaining-time'] / 1000) for x, a in zip(t, live)
               if 'remaining-time' in a]
        if pts:
            ax.plot(*zip(*pts), '.', ms=3, label='live estimate')
        band = [(x, a['min-remaining-time'] / 1000,
                 a.get('max-remaining-time', a['min-remaining-time']) / 1000)
                for x, a in zip(t, live) if 'min-remaining-time' in a]
        if band:
            xs, lo, hi = zip(*band)
            ax.fill_between(xs, lo, hi, alpha=0.25, label='its range')
        est = run.get('estimate', {}).get('total-time')
        if est:
            ax.plot([0, est / 1000], [est / 1000, 0], ':', lw=1,
                    label='estimate before')
        if 'phase-s' in run:
            ax.axvline(run['phase-s'], color='r', lw=0.8, ls='--',
                       label='rate doubles')
        ax.set_title(run['id'], fontsize=9)
        ax.set_xlabel('elapsed (s)')
        ax.set_ylabel('remaining (s)')
        ax.set_ylim(0, total * 1.3)
        ax.legend(fontsize=7)
    for ax in axes.flat[len(chosen):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def section(runs, plot_path):
    """The report's section on the live estimate, as markdown lines."""
    live = polled(runs)
    if not live:
        return []
    w = ['## The live estimate\n']
    w.append(f'{len(live)} migrations were polled every 100 ms with '
             '`query-migration-estimate` for that migration\'s cell; '
             'the answer\'s `migration` member is the live estimate.  '
             'Runs with a measurement start from the last one, the new '
             'user\'s (page-sampling with only calc-time); "noprior" runs '
             'measured nothing.  The estimate is refitted at every dirty '
             'bitmap sync of the migration.\n')
    w.append('**Remaining time.**  At 25, 50 and 75% of each converged '
             'migration\'s actual total time, the answer nearest to it '
             '(within 5% of the total time): error is (predicted - '
             'actual) / actual remaining time.  Every answer counts: '
             '"does not converge" as +100%, "uncertain" as the error of '
             'its central estimate (the curve as measured, refitted), or '
             'as +100% where it has none.  Beside the live estimate, '
             'two things an operator has today: the estimate made before '
             'the migration, counted down, and query-migrate\'s remaining '
             'bytes divided by max-bandwidth.\n')
    w.extend(remaining_table(runs))
    w.append('')

    rows = nonconvergence(runs)
    first, last = false_alarms(runs)
    w.append('**Migrations that never converged.**  When the live '
             'estimate said "does-not-converge" for good (every answer from '
             'then on), in syncs after the sync that ended the first pass '
             '(0: that sync itself) and in seconds since the start; the '
             f'benchmark cancels a migration at {live[0]["deadline-ms"] // 1000} s.  '
             'The fixed rules of the cloud stacks would have let these '
             'migrations run on:\n')
    for name, rule in RULES.items():
        ts = sorted({rule(r['run']) for r in rows}) or [0]
        w.append(f'- {name}: {ts[0]:.0f} to {ts[-1]:.0f} s;')
    w.append('')
    w.append('| run | estimate before | "does-not-converge" for good from '
             '| syncs after the first pass | never "converges" again from '
             '| syncs after the first pass |')
    w.append('| --- | --- | ---: | ---: | ---: | ---: |')

    def when(a, after):
        return (f'{a["elapsed"] / 1000:.1f} s | {after}' if a
                else 'never | -')
    for r in rows:
        w.append(f'| {r["id"]} | {r["before"]} | '
                 f'{when(r["flag"], r["after"])} | '
                 f'{when(r["never"], r["never-after"])} |')
    done = [r['after'] for r in rows if r['after'] is not None]
    loose = [r['never-after'] for r in rows if r['never-after'] is not None]
    if done:
        w.append(f'\n"does-not-converge" for good within 3 syncs after the '
                 f'first pass: {sum(x <= 3 for x in done)} of {len(rows)}; '
                 f'never "converges" again within 3 syncs after it: '
                 f'{sum(x <= 3 for x in loose)} of {len(rows)}.')
    w.append(f'Converged migrations that the live estimate called '
             f'non-converging in their first half: {len(first)}'
             f'{" (" + ", ".join(first) + ")" if first else ""}; in their '
             f'last half: {len(last)}'
             f'{" (" + ", ".join(last) + ")" if last else ""}.\n')

    bql = [us for r in live for us in r.get('live-bql-us', [])]
    if bql:
        w.append(f'**Cost under the BQL** ({len(bql)} answers, trace event '
                 f'`query_migration_estimate`): reading the measurement, '
                 f'the syncs and the parameters, median '
                 f'{statistics.median(bql)} us, p99 '
                 f'{quantile(bql, 0.99):.0f} us, max {max(bql)} us.  The '
                 f'model then runs in the thread pool, outside the BQL; '
                 f'QMP\'s marshalling of the answer, under it again, is '
                 f'not in this figure (harness/bench/bench-bql.py '
                 f'measures it).\n')
    for (scenario, bw, dt), v in overhead(runs).items():
        def stats(rs, key):
            xs = [key(r) for r in rs]
            return (f'{statistics.mean(xs):.0f} '
                    f'({min(xs):.0f}-{max(xs):.0f})')
        w.append(f'**What polling costs the migration** ({scenario} at '
                 f'{bw * 8 / 1e6:.0f} Mbit/s and {dt} ms, {len(v["poll"])} '
                 f'runs polled every 100 ms, {len(v["nopoll"])} not): total '
                 f'time {stats(v["poll"], lambda r: r["actual"]["total-time"])} '
                 f'ms against {stats(v["nopoll"], lambda r: r["actual"]["total-time"])} '
                 f'ms; throughput {stats(v["poll"], lambda r: r["actual"]["ram"]["mbps"])} '
                 f'against {stats(v["nopoll"], lambda r: r["actual"]["ram"]["mbps"])} '
                 'Mbit/s (mean, range).\n')
    if plot_live(runs, plot_path):
        w.append('![predicted against actual remaining time](live.png)\n')
    return w
