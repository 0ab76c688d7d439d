#!/usr/bin/python3
"""Report of bench_oos.py: the applications the model was not corrected on.

Usage: bench_oos_report.py RESULTS.jsonl REPORT-DIR
Writes REPORT-DIR/oos.md and copies the results to
REPORT-DIR/results-oos.jsonl.
"""

import os
import shutil
import sys

import bench_oos
from bench import code_of, load
from bench_live import remaining_table
from bench_report import (completed, evaluate, every_run, summary_table,
                          without_result)


def main():
    results, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    records = load(results)
    setup, runs = completed(records)
    runs = [r for r in runs if 'modes' in r]
    failed = [r for r in records if r['kind'] == 'run' and 'actual' not in r]
    evals = [evaluate(r) for r in runs]
    if os.path.abspath(results) != os.path.abspath(f'{out}/results-oos.jsonl'):
        shutil.copy(results, f'{out}/results-oos.jsonl')
    apps = ', '.join(f'{name} ({mem // 1024} GiB guest, {app}, `{load_}`)'
                     for name, (mem, app, load_)
                     in bench_oos.OOS_SCENARIOS.items())
    w = ['# Out of sample: applications the model was not corrected on\n',
         f'Written by `harness/bench/bench_oos_report.py` from '
         f'`results-oos.jsonl` ({len(runs)} migrations), by `make '
         f'bench-oos`, on {setup["date"]}, under '
         f'{setup["accel"].upper()}, {code_of(runs + failed)}.\n',
         'These workloads were added after the code was frozen for the '
         'run, and nothing in the model was changed on their results: '
         f'{apps}.  Each load generator runs at a fixed pace '
         '(`harness/bench/app-initrd.sh`).  Each run is a run of the main '
         'benchmark (README.md here): the same two measurements, the '
         'estimate for the cell, the live estimate polled every 100 ms, '
         'and the migration over a unix socket.  Knife edges run at 0.9 '
         'and 1.1 times the lowest converging bandwidth that the exact '
         'measurement gave.  Errors and verdicts are scored as in the '
         'main report: every run that converged counts, a model that '
         'gave no time for it at 100%.\n']
    w += without_result(failed)
    w += ['## Summary\n', *summary_table(runs, evals), '',
          '## Every run\n',
          'Times in ms; "-": did not converge or predicted not to; "?": '
          'uncertain, from the shortest time of its range; in brackets, '
          'the range.  Syncs and downtime: predicted on the exact '
          'curve/actual.  A knife-edge run\'s bandwidth is in italics.\n',
          *every_run(runs, evals, bench_oos.OOS_SCENARIOS),
          '## The live estimate: remaining time\n',
          *remaining_table(runs), '']
    with open(f'{out}/oos.md', 'w') as f:
        f.write('\n'.join(w) + '\n')


if __name__ == '__main__':
    main()
