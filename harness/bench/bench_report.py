#!/usr/bin/python3
"""Write the accuracy benchmark's report from its results.

Usage: bench_report.py RESULTS.jsonl REPORT-DIR [PREVIOUS.jsonl]

Writes REPORT-DIR/README.md, the plots next to it as PNG files, and a copy
of the results, so that the report can be written again from them.  With
PREVIOUS.jsonl, the results of the series on its previous QEMU base, it
also compares the two on the cells they share.
"""

import os
import shutil
import statistics
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from bench import CALC_TIME_S, NOISE_CELL, QUICK, SCENARIOS, WARMUP_S, \
    code_of, load  # noqa: E402
from bench_models import MODELS  # noqa: E402
import bench_live  # noqa: E402
from bench_live import NEVER_ERROR, quantile  # noqa: E402

BAD = 0.25      # an error this large or larger makes a run "bad"


def mbit(bw):
    return f'{bw * 8 / 1e6:.4g} Mbit/s'


def evaluate(run):
    """Each model's prediction for @run, with its error and verdict.  A
    model without a prediction for the run (the dirty-bitmap estimate,
    on runs recorded before it) is left out."""
    actual_ok = run['converged']
    actual = run['actual']
    out = {}
    for name, model in MODELS.items():
        p = model(run)
        if p is None:
            continue
        e = {'pred': p, 'uncertain': p.uncertain,
             'wrong': not p.uncertain and p.converges != actual_ok}
        if p.converges and actual_ok:
            e['err'] = (p.total_ms - actual['total-time']) / actual['total-time']
            e['dt_err'] = p.downtime_ms - actual['downtime']
        if actual_ok:
            # every answer counts: no range at all holds no actual time
            t = actual['total-time']
            e['in_range'] = p.lo_ms is not None and p.lo_ms <= t and \
                (p.hi_ms is None or t <= p.hi_ms)
        e['bad'] = e['wrong'] or abs(e.get('err', 0)) >= BAD
        if actual_ok and not p.converges:
            # every answer counts: no time for a run that had one
            e['err'] = NEVER_ERROR
            e['no_time'] = True
        out[name] = e
    return out


def pct(x):
    return f'{x * 100:+.1f}%'


def syncs_cell(run):
    """Dirty syncs of @run, predicted/actual; '-' where not predicted."""
    est = run['estimate']
    # runs recorded before the series' final QAPI say 'iterations'
    pred = est.get('dirty-sync-count', est.get('iterations', '-'))
    return (f'{pred}/'
            f'{run["actual"]["ram"]["dirty-sync-count"]}')


def error_cell(e):
    """One model's error on a run, or why it has none."""
    if e['wrong']:
        return 'wrong verdict'
    if e.get('no_time'):
        return 'no time'
    return pct(e['err']) if 'err' in e else ''


def summary(runs, evals):
    """Per model: how many runs it predicted, its errors, its verdicts and
    how often the actual time fell inside its range."""
    rows = []
    for name in MODELS:
        mine = [ev[name] for ev in evals if name in ev]
        if not mine:
            continue
        errs = [abs(e['err']) for e in mine if 'err' in e]
        # a model whose every range is one value (exact) has none
        ranged = [e['in_range'] for e in mine if 'in_range' in e] \
            if any(e['pred'].lo_ms != e['pred'].hi_ms for e in mine) else []
        rows.append({
            'name': name, 'runs': len(mine), 'errors': len(errs),
            'median': quantile(errs, 0.5), 'p90': quantile(errs, 0.9),
            'max': max(errs, default=float('nan')),
            'wrong': sum(e['wrong'] for e in mine),
            'uncertain': sum(e['uncertain'] for e in mine),
            'in_range': sum(ranged), 'ranged': len(ranged),
            'bad': sum(e['bad'] for e in mine),
            'downtime': quantile([abs(e['dt_err']) for e in mine
                                  if 'dt_err' in e], 0.5),
        })
    return rows


def syncs_summary(runs):
    """How often each estimate got the dirty syncs of a converged run."""
    out = []
    for mode in ('default', 'dirty-bitmap'):
        off = [abs(r['modes'][mode]['estimate']['dirty-sync-count'] -
                   r['actual']['ram']['dirty-sync-count'])
               for r in runs if r['converged'] and 'modes' in r and
               'dirty-sync-count' in r['modes'][mode]['estimate']]
        if off:
            out.append(f'{mode}: exact in {off.count(0)} of {len(off)}, '
                       f'one off in {off.count(1)}, more in '
                       f'{len(off) - off.count(0) - off.count(1)}')
    return ('Dirty syncs, predicted against actual, where both converged: '
            + '; '.join(out) + '.')


def summary_table(runs, evals):
    """The summary as markdown lines."""
    w = ['| model | runs | median \\|error\\| | p90 \\|error\\| | '
         'max \\|error\\| | wrong verdicts | "uncertain" | '
         'actual in range | bad runs | downtime error |',
         '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: '
         '| ---: |']
    for r in summary(runs, evals):
        dts = f'{r["downtime"]:.0f} ms' if r['downtime'] == r['downtime'] \
            else '-'
        cal = (f'{r["in_range"]}/{r["ranged"]}' if r['ranged'] else '-')
        unc = r['uncertain'] if r['name'].startswith('ours') else '-'
        w.append(f'| {r["name"]} | {r["runs"]} | {r["median"] * 100:.1f}% | '
                 f'{r["p90"] * 100:.1f}% | {r["max"] * 100:.1f}% | '
                 f'{r["wrong"]} | {unc} | {cal} | {r["bad"]} '
                 f'({r["bad"] / r["runs"] * 100:.0f}%) | {dts} |')
    return w


def short_of_bandwidth(runs):
    """Whether the migrations at the highest bandwidth kept up with it."""
    top = max(r['bandwidth'] for r in runs)
    done = [r for r in runs if r['bandwidth'] == top and r['converged']]
    short = [r['actual']['ram']['mbps'] for r in done
             if r['actual']['ram']['mbps'] * 1e6 < top * 8]
    if not short:
        return (f'At {mbit(top)} it kept up: every migration averaged at '
                'least max-bandwidth.')
    return (f'At {mbit(top)}, {len(short)} of {len(done)} migrations '
            f'averaged less (down to {min(short):.0f} Mbit/s), so the model '
            'predicted them too fast.')


def plot_scatter(runs, evals, path):
    cols = 3
    rows = (len(MODELS) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows),
                             sharex=True, sharey=True, squeeze=False)
    axes = axes.flatten()
    for ax in axes[len(MODELS):]:
        ax.axis('off')
    deadline = max(r['deadline-ms'] for r in runs)
    for ax, name in zip(axes, MODELS):
        for run, ev in zip(runs, evals):
            if name not in ev:
                continue
            a = run['actual']['total-time'] if run['converged'] else \
                run['deadline-ms']
            p = ev[name]['pred']
            y = p.total_ms if p.converges else run['deadline-ms']
            style = dict(color='tab:red' if ev[name]['bad'] else 'tab:blue',
                         marker='x' if not run['converged'] or not p.converges
                         else 'o', s=18)
            ax.scatter(a / 1000, y / 1000, **style)
        lim = [0.5, deadline / 1000 * 1.2]
        ax.plot(lim, lim, color='gray', lw=0.8)
        ax.fill_between(lim, [v * (1 - BAD) for v in lim],
                        [v * (1 + BAD) for v in lim], color='gray', alpha=0.12)
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_title(name)
        ax.set_xlabel('actual total time (s)')
        ax.set_ylabel('predicted total time (s)')
    fig.suptitle('Predicted against actual total time; band: +-25%; '
                 'x: did not converge (placed at the deadline); red: bad',
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_errors(evals, path):
    """Each model's signed errors, clipped to +-50%, one dot per run."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for i, name in enumerate(MODELS):
        errs = [ev[name]['err'] * 100 for ev in evals
                if 'err' in ev.get(name, {})]
        clipped = [max(-50, min(50, e)) for e in errs]
        ax.scatter([i + (j % 9 - 4) * 0.03 for j in range(len(clipped))],
                   clipped, s=10, alpha=0.6)
    ax.axhline(0, color='gray', lw=0.8)
    for y in (-3, 3):
        ax.axhline(y, color='gray', lw=0.5, ls=':')
    ax.set_xticks(range(len(MODELS)))
    ax.set_xticklabels(list(MODELS))
    ax.set_ylabel('error of total time (%), clipped to +-50')
    ax.set_title('Error per converged run; dotted: +-3%')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_ranges(runs, evals, path):
    """query-migration-estimate's range against the actual time, on each
    measurement: a bar from the shortest to the longest time in the range
    (to the top when the range has no end), a dot at the estimate."""
    names = [n for n in MODELS if n.startswith('ours')]
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 5),
                             sharex=True, sharey=True, squeeze=False)
    deadline = max(r['deadline-ms'] for r in runs) / 1000
    lim = [0.5, deadline * 1.3]
    for ax, name in zip(axes[0], names):
        for run, ev in zip(runs, evals):
            if name not in ev:
                continue
            p = ev[name]['pred']
            a = run['actual']['total-time'] / 1000 if run['converged'] \
                else deadline * 1.15
            color = ('tab:red' if ev[name]['wrong'] else
                     'tab:orange' if p.uncertain else 'tab:blue')
            if p.lo_ms is not None:
                hi = p.hi_ms / 1000 if p.hi_ms is not None else lim[1]
                ax.plot([a, a], [p.lo_ms / 1000, hi], color=color, lw=1.2,
                        alpha=0.7)
            y = p.total_ms / 1000 if p.converges else deadline * 1.15
            ax.scatter([a], [y], color=color, s=12)
        ax.plot(lim, lim, color='gray', lw=0.8)
        ax.axhline(deadline, color='gray', lw=0.5, ls=':')
        ax.axvline(deadline, color='gray', lw=0.5, ls=':')
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.set_title(name)
        ax.set_xlabel('actual total time (s); past the dotted line: '
                      'did not converge')
        ax.set_ylabel('predicted total time and range (s)')
    fig.suptitle('Predicted range against actual; orange: "uncertain", '
                 'red: wrong verdict', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_curves(runs, path):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, scenario in enumerate(SCENARIOS):
        mine = [r for r in runs if r['scenario'] == scenario]
        for j, r in enumerate(mine):
            m = r['measurement']
            xs = [0] + [x['elapsed'] / 1000 for x in m['readings']]
            ys = [0] + [x['dirty-pages'] * m['page-size'] / 2**20
                        for x in m['readings']]
            ax.plot(xs, ys, color=f'C{i}', alpha=0.4, lw=0.8,
                    label=scenario if j == 0 else None)
    ax.set_xlabel('time since the start of the measurement (s)')
    ax.set_ylabel('distinct pages dirtied (MiB)')
    ax.set_title('Measured dirty page curves, every run')
    for line in ax.legend(fontsize=8).get_lines():
        line.set_alpha(1)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def range_text(p):
    """A prediction as '21000 (17000-26000)', '? (17000-)' or '-'."""
    if p is None:
        return ''
    if p.uncertain:
        return f'? ({p.lo_ms:.0f}-)'
    if not p.converges:
        return '-'
    if p.lo_ms == p.hi_ms:
        return f'{p.total_ms:.0f}'
    return f'{p.total_ms:.0f} ({p.lo_ms:.0f}-{p.hi_ms:.0f})'


def knife_edge(runs, evals):
    """The section on the knife-edge cells, as lines."""
    edge = [(r, ev) for r, ev in zip(runs, evals) if 'edge-factor' in r]
    if not edge:
        return []
    w = ['## Knife-edge cells\n',
         f'{len(edge)} of the {len(runs)} runs ({len(edge) / len(runs):.0%}) '
         'migrated at 0.9 or 1.1 times the lowest bandwidth that the '
         'estimate on the exact (dirty-bitmap) curve said converges, '
         'within the deadline, at their downtime-limit.  Verdicts, with '
         'the range of that lowest bandwidth; total times in ms.\n',
         '| run | bandwidth | lowest converging (default) | '
         'lowest converging (dirty-bitmap) | actual | ours | '
         'ours, dirty-bitmap |',
         '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for r, ev in edge:
        mins = []
        for mode in ('default', 'dirty-bitmap'):
            m = r['modes'][mode]['min-bandwidth']
            text = mbit(m['bandwidth']) if 'bandwidth' in m else 'none'
            if m.get('lowest') != m.get('highest'):
                text += (f' ({mbit(m["lowest"])} to '
                         f'{mbit(m["highest"]) if "highest" in m else "none"})')
            mins.append(text)
        cells = []
        for name in ('ours', 'ours, dirty-bitmap'):
            e = ev[name]
            text = range_text(e['pred'])
            cells.append(f'**{text}** (wrong)' if e['wrong'] else text)
        at = r['actual']['total-time'] if r['converged'] else '-'
        w.append(f'| {r["id"]} | {mbit(r["bandwidth"])} | {mins[0]} | '
                 f'{mins[1]} | {at} | {cells[0]} | {cells[1]} |')
    w.append('')
    return w


def drift(runs, evals):
    """The section on the workload's own write rate, as lines."""
    rated = [(r, ev) for r, ev in zip(runs, evals) if 'write-rates' in r]
    if not rated:
        return []
    w = ['## Workload drift\n',
         'The stress workload reports the page writes it really made each '
         'second.  Mean over each phase, as a share of its rate during the '
         'default measurement; a guest that writes less during the '
         'migration than while measured makes any model look pessimistic, '
         'and that is drift, not model error.\n',
         '| run | writes/s, default measurement | dirty-bitmap measurement '
         '| migration | error (dirty-bitmap) |',
         '| --- | ---: | ---: | ---: | ---: |']
    for r, ev in rated:
        rates = r['write-rates']
        base = rates['default'] or 1
        err = ev.get('ours, dirty-bitmap', {}).get('err')
        w.append(f'| {r["id"]} | {rates["default"]} | '
                 f'{rates["dirty-bitmap"] / base:.0%} | '
                 f'{rates["migration"] / base:.0%} | '
                 f'{pct(err) if err is not None else ""} |')
    w.append('')
    return w


def completed(records):
    """The setup record of benchmark @records, and the runs among them
    that migrated, each given the link speed the setup measured where it
    has none of its own"""
    setup = next(r for r in records if r['kind'] == 'setup')
    runs = [r for r in records if r['kind'] == 'run' and 'actual' in r]
    for r in runs:
        r.setdefault('link-bandwidth', setup['link-bandwidth'])
    return setup, runs


def without_result(failed):
    """The paragraph listing the @failed runs (those without a result),
    each with its error; none if there are none"""
    if not failed:
        return []
    return [f'Runs without a result, left out ({len(failed)}): ' +
            ', '.join(f'{r["id"]} ({r.get("error")})' for r in failed) +
            '.\n']


def first_runs(runs):
    """The first run of each cell, by id."""
    out = {}
    for r in runs:
        out.setdefault(r['id'], r)
    return out


def compare_bases(runs, previous):
    """The report's section on the previous base, as lines."""
    old = first_runs(r for r in load(previous)
                     if r['kind'] == 'run' and 'actual' in r)
    new = first_runs(runs)
    ids = [i for i in new if i in old]
    w = ['## Against the previous base, 10.0.2\n',
         f'The same {len(ids)} cells, run on the series based on QEMU '
         '10.0.2 (`results-10.0.2.jsonl`, its model and its QEMU, measured '
         'with sample-pages 16384) and in this run (10.2.2, measured with '
         'only calc-time given); the first run of each cell.  Each run has '
         'its own boot and measurement, so two runs of a cell differ by the '
         'noise floor above even on one base.\n',
         '| base | runs | median \\|error\\| | p90 \\|error\\| | '
         'max \\|error\\| | wrong verdicts | bad runs |',
         '| --- | ---: | ---: | ---: | ---: | ---: | ---: |']
    for label, rs in (('10.0.2', [old[i] for i in ids]),
                      ('10.2.2', [new[i] for i in ids])):
        r = next(r for r in summary(rs, [evaluate(r) for r in rs])
                 if r['name'] == 'ours')
        w.append(f'| {label} | {len(rs)} | {r["median"] * 100:.1f}% | '
                 f'{r["p90"] * 100:.1f}% | {r["max"] * 100:.1f}% | '
                 f'{r["wrong"]} | {r["bad"]} |')
    w.append('\nPer cell: actual total time in ms, and dirty syncs, '
             'predicted/actual; "-": did not converge (actual) or '
             'predicted not to.\n')
    w.append('| cell | actual 10.0.2 | actual 10.2.2 | change | '
             'syncs 10.0.2 | syncs 10.2.2 | error 10.0.2 | error 10.2.2 |')
    w.append('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for i in ids:
        cols = []
        for r in (old[i], new[i]):
            a = r['actual']
            cols.append(a['total-time'] if r['converged'] else None)
        change = (pct((cols[1] - cols[0]) / cols[0])
                  if None not in cols else '')
        syncs = [syncs_cell(r) for r in (old[i], new[i])]
        errs = [error_cell(evaluate(r)['ours']) for r in (old[i], new[i])]
        w.append(f'| {i} | {cols[0] if cols[0] is not None else "-"} | '
                 f'{cols[1] if cols[1] is not None else "-"} | {change} | '
                 f'{syncs[0]} | {syncs[1]} | {errs[0]} | {errs[1]} |')
    w.append('')
    return w


def every_run(runs, evals, scenarios):
    """A table per scenario of @scenarios, a row per run, as lines"""
    w = []
    for scenario, (mem_mb, _, workload) in scenarios.items():
        mine = [(r, ev) for r, ev in zip(runs, evals)
                if r['scenario'] == scenario]
        if not mine:
            continue
        w.append(f'### {scenario}: {mem_mb} MiB guest, `{workload}`\n')
        w.append('| bandwidth | downtime-limit | # | actual | ours | error '
                 '| ours, dirty-bitmap | error | syncs | downtime (ms) '
                 '| 2023+zero |')
        w.append('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: '
                 '| ---: | ---: | ---: |')
        for r, ev in mine:
            a = r['actual']
            exact = r.get('modes', {}).get('dirty-bitmap', r)['estimate']
            at = a['total-time'] if r['converged'] else '-'
            p23 = ev['2023+zero']
            s23 = f'{p23["pred"].total_ms:.0f}' if p23['pred'].converges \
                else '-'
            if 'err' in p23 and not p23.get('no_time'):
                s23 += f' ({pct(p23["err"])})'
            bw = mbit(r['bandwidth'])
            bw = f'*{bw}*' if 'edge-factor' in r else bw
            syncs = (f'{exact.get("dirty-sync-count", "-")}/'
                     f'{a["ram"]["dirty-sync-count"]}')
            dt = (f'{exact.get("downtime", "-")}/'
                  f'{a["downtime"] if r["converged"] else "-"}')
            cols = []
            for name in ('ours', 'ours, dirty-bitmap'):
                e = ev.get(name)
                cols += [range_text(e['pred']), error_cell(e)] if e \
                    else ['', '']
            w.append(f'| {bw} | {r["downtime-limit"]} | {r["repeat"]} | '
                     f'{at} | {" | ".join(cols)} | {syncs} | {dt} | '
                     f'{s23} |')
        w.append('')
    return w


def main():
    results, out = sys.argv[1], sys.argv[2]
    previous = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(out, exist_ok=True)
    records = load(results)
    setup, everything = completed(records)
    # the runs measured before migrating; "noprior" ones only have the
    # live estimate
    runs = [r for r in everything if 'modes' in r]
    failed = [r for r in records if r['kind'] == 'run' and 'actual' not in r]
    for src, name in ((results, 'results.jsonl'),
                      (previous, 'results-10.0.2.jsonl')):
        if src and os.path.abspath(src) != os.path.abspath(f'{out}/{name}'):
            shutil.copy(src, f'{out}/{name}')
    evals = [evaluate(r) for r in runs]
    deadline_s = max(r['deadline-ms'] for r in runs) // 1000
    plot_scatter(runs, evals, f'{out}/scatter.png')
    plot_errors(evals, f'{out}/errors.png')
    plot_ranges(runs, evals, f'{out}/ranges.png')
    plot_curves(runs, f'{out}/curves.png')

    w = []
    w.append('# Accuracy of query-migration-estimate on real migrations\n')
    w.append(f'Written by `harness/bench/bench_report.py` from `results.jsonl` '
             f'({len(runs)} migrations).  Machine: {setup["cpus"]} host '
             f'CPUs, Debian 12; accelerator: **{setup["accel"].upper()}**; '
             f'date: {setup["date"]}; guest kernel: {setup["kernel"]} '
             '(Debian cloud kernel) with tests/migration-stress as /init; '
             f'{code_of(everything)}.\n')
    w.append('Other measurements and host observations behind the upstream '
             'docs: [lab-notes.md](lab-notes.md).  The aids to convergence: '
             '[aids.md](aids.md).  The same guests migrated through '
             'libvirt, beside the direct path: [libvirt.md](libvirt.md).  '
             'Where the sender\'s pace holds a migration back: '
             '[pace.md](pace.md).  Applications the model was not '
             'corrected on: [oos.md](oos.md).  This benchmark beside an '
             'earlier run of it from another fresh clone, and how far '
             'apart they are: [repeat.md](repeat.md).  Results on older '
             'code: [archive](archive/README.md).\n')
    w.append(f'Each run boots a guest, lets its workload run '
             f'{WARMUP_S} s, and measures it twice with `calc-dirty-rate` '
             f'for {CALC_TIME_S} s: first in dirty-bitmap mode, which '
             'counts every page, then as a new user would, with only '
             'calc-time given (page-sampling at QEMU\'s default sample '
             'size).  After each it asks `query-migration-estimate` for '
             'the one cell; then it migrates the guest over a unix socket '
             'to a second QEMU with that `max-bandwidth` and '
             '`downtime-limit`, asking for the live estimate every 100 ms.  '
             f'A migration still running after {deadline_s} s is cancelled: '
             'it "did not converge", and a model is right about it when it '
             f'predicts no convergence within {deadline_s} s.  The estimate '
             'is given the speed of the final stop-and-copy, measured once '
             'per benchmark on a migration of its own: '
             f'{setup["link-bandwidth"] * 8 / 1e9:.1f} Gbit/s.\n')
    w.append('The matrix tries to break the model: knife-edge cells, whose '
             'max-bandwidth is 0.9 or 1.1 times the lowest bandwidth the '
             'estimate on the exact curve says converges; skewed writers '
             'with many tiers of heat; a hot set mixed with a sequential '
             'sweep; Redis under redis-benchmark, both from Debian, inside '
             'the guest; a guest that doubles its write rate a few seconds '
             'into the migration (phase-1g); and one cell repeated, also '
             'without polling.\n')
    w += without_result(failed)

    w.append('## Summary\n')
    w.append('Error is (predicted - actual) / actual total time, over '
             'every run that converged, every answer counted: where the '
             'model gave no time (it said the run would not converge, or '
             'for ours "uncertain" with no central estimate), the error '
             'counts as 100%; ours\' time is its central estimate, on the '
             'curve as measured.  A verdict is wrong when the model '
             'says "converges" and the migration did not, or the other way '
             'round; "uncertain" is never wrong, and is counted apart.  '
             '"Actual in range": of the converged runs, how many took a '
             'total time inside the range the estimate gave (its shortest '
             'to its longest; from its shortest on, for "uncertain"; an '
             'answer with no range, "does not converge", counts as '
             'outside); the '
             'range covers the sampling error and a rate limit window '
             'either way for each sync, so the exact measurement has one '
             'too.  A '
             'run is bad when the model got the verdict wrong or its error '
             'is 25% or more.  Downtime error: median of |predicted - '
             'actual| downtime.\n')
    w.extend(summary_table(runs, evals))
    w.append('')
    w.append(syncs_summary(runs) + '\n')
    w.append('Models: **ours** is query-migration-estimate on the default '
             'measurement, **ours, dirty-bitmap** on the exact one; the '
             'baselines all use the default measurement.  **naive**: '
             'guest RAM / max-bandwidth.  **single-rate**: the geometric '
             'model on the plain `dirty-rate` number of the same '
             'measurement.  **2023**: the 2023 out-of-tree predictor as '
             'its description has it (linear interpolation between '
             'readings, the steepest slope past them, 8-byte page headers, '
             'switch over once a whole round fits in the downtime-limit), '
             'written anew in `harness/bench/bench_models.py`.  **2023+zero**: '
             'the same, but generously given the measured zero pages, sent '
             'as 9 bytes each in the first round, which its description '
             'does not have.  Both 2023 models send their final round at '
             'the link speed the setup measured, as ours is told '
             '(`link-bandwidth`): the same inputs.\n')
    w.append('![predicted against actual](scatter.png)\n')
    w.append('![predicted ranges against actual](ranges.png)\n')
    w.append('![errors per model](errors.png)\n')
    w.append('![dirty page curves](curves.png)\n')

    noise = [r for r in runs if (r['scenario'], r['bandwidth'],
                                 r['downtime-limit']) == NOISE_CELL]
    if len(noise) > 1:
        times = [r['actual']['total-time'] for r in noise if r['converged']]
        preds = {name: [range_text(MODELS[name](r)) for r in noise]
                 for name in ('ours', 'ours, dirty-bitmap')}
        w.append('## Noise floor\n')
        w.append(f'The same run, {NOISE_CELL[0]} at '
                 f'{mbit(NOISE_CELL[1])} and {NOISE_CELL[2]} ms, '
                 f'{len(noise)} times, each with its own boot and '
                 'measurement:\n')
        w.append(f'- actual total time (ms): {", ".join(map(str, times))}; '
                 f'spread (max - min) / mean '
                 f'{(max(times) - min(times)) / statistics.mean(times) * 100:.1f}%, '
                 f'standard deviation '
                 f'{statistics.pstdev(times) / statistics.mean(times) * 100:.1f}% '
                 'of the mean;')
        for name, ps in preds.items():
            w.append(f'- predicted by {name} (ms, with the range): '
                     f'{", ".join(ps)};')
        w.append('\nNo predictor can be judged closer than the spread of '
                 'the actual times.  The spread of the predictions is that '
                 'of the measurement: the sampling, and the guest itself.\n')

    w.extend(knife_edge(runs, evals))
    w.extend(drift(runs, evals))
    w.extend(bench_live.section(everything, f'{out}/live.png'))

    if previous:
        w.extend(compare_bases(runs, previous))

    w.append('## What the model leaves out\n')
    w.append('- **Fixed switchover costs.**  Stopping the vCPUs, saving '
             'device state and starting the destination take a few to a '
             'few tens of milliseconds that the model does not count: the '
             'downtime it predicts is the RAM left at the switchover '
             'divided by the link speed, so an actual downtime of tens of '
             'ms against a predicted 0 is this cost, not an error in the '
             'rounds.')
    w.append('- **Link speed.**  The final copy runs at whatever the link '
             'gives; the benchmark measures it once, from one migration, '
             'and its runs vary around it.')
    w.append('- **Where zero pages lie.**  The model sends them at the end '
             'of the first pass.  When they lie elsewhere and the threshold '
             'is large, QEMU switches over earlier than the model.')
    w.append('- **A source too busy to fill the bandwidth.**  Under TCG the '
             'vCPU thread takes one of the two host CPUs, and the model '
             'assumes the migration thread always sends max-bandwidth.  '
             + short_of_bandwidth(runs) + '\n')

    w.append('## Every run\n')
    w.append('Total times in ms; "-": did not converge (actual) or '
             'predicted not to; "?": uncertain, from the shortest time in '
             'its range; in brackets, the range.  Syncs: dirty-sync-count, '
             'predicted on the exact curve/actual.  A knife-edge run\'s '
             'bandwidth is in italics.\n')
    w.extend(every_run(runs, evals, SCENARIOS))

    w.append('## Reproducing\n')
    minutes = sum(r.get('wall-s', 0) for r in runs) / 60
    w.append(f'`make bench` runs the whole matrix ({len(runs)} runs took '
             f'{minutes:.0f} minutes here) into build/bench/full and writes '
             'this report; runs '
             'already recorded there are kept, so remove that directory to '
             f'start afresh.  `make bench-quick` runs a subset of {len(QUICK)} cells '
             'in under 10 minutes and writes its report into '
             'build/bench/quick/report.  `harness/bench/bench_report.py '
             'docs/accuracy/results.jsonl DIR` writes this report again '
             'from the recorded results.\n')

    with open(f'{out}/README.md', 'w') as f:
        f.write('\n'.join(w))


if __name__ == '__main__':
    main()
