#!/usr/bin/env python3
"""Each sync at a knife edge as a draw, from the syncs make bench recorded.

QEMU syncs the dirty bitmap when a rate limit window starts with less
than threshold_size pending, so what is left below the threshold lies
anywhere between nothing and the pages a window sends (or the threshold,
if that is less).  The migration converges if the pages the sync adds fit
in that gap.  Taking the gap as falling anywhere in that span, a sync
that added N pages had a chance max(0, 1 - N / gap) of converging.

For every run with recorded syncs ('live-syncs': count, elapsed us, pages
before, pages after, pages sent, zero pages sent, bytes), this prints the
chances of its last syncs: whether the migrations that converged got
there on draws that had a chance, and whether those that did not ever
had one.

Usage: bench_draws.py RESULTS.jsonl [--all] [--last N]
"""

import argparse
import json
import statistics

PAGE = 4096
HEADER = 8          # save_page_header()
BUFFER_DELAY = 100  # ms


def threshold_pages(prev, sync, downtime_limit):
    """threshold_size in pages, as migration_update_counters() sets it,
    from the bytes sent between two syncs over their interval"""
    ms = (sync[1] - prev[1]) / 1000
    if ms <= 0:
        return 0
    return (sync[6] - prev[6]) / ms * downtime_limit / PAGE


def draw(prev, sync, bandwidth, downtime_limit):
    """The chance that a sync adding as many pages as @sync did
    converges, and the pages it added over the gap they had to fit in"""
    window = bandwidth * BUFFER_DELAY / 1000 / (PAGE + HEADER)
    gap = min(window, threshold_pages(prev, sync, downtime_limit))
    added = sync[3] - sync[2]
    if gap <= 0:
        return 0.0, float('inf')
    return max(0.0, min(1.0, 1 - added / gap)), added / gap


def tail(run, last):
    """(chance, added/gap) of the last @last syncs after the first pass"""
    syncs = run['live-syncs']
    total = syncs[0][2]
    first = next((i for i, s in enumerate(syncs) if i and s[4] >= total),
                 len(syncs))
    return [draw(syncs[i - 1], syncs[i], run['bandwidth'],
                 run['downtime-limit'])
            for i in range(max(first + 1, 2), len(syncs))][-last:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('results')
    ap.add_argument('--all', action='store_true',
                    help='every run, not only the knife-edge ones')
    ap.add_argument('--last', type=int, default=10,
                    help='syncs at the end of each run (default 10)')
    args = ap.parse_args()

    print('| run | converged | syncs | added / gap (median) '
          '| syncs with a chance | mean chance |')
    print('| --- | --- | ---: | ---: | ---: | ---: |')
    with open(args.results) as f:
        for line in f:
            run = json.loads(line)
            if run.get('kind') != 'run' or not run.get('live-syncs') or \
               not run.get('bandwidth'):
                continue
            if not args.all and 'edge-factor' not in run:
                continue
            draws = tail(run, args.last)
            if not draws:
                continue
            chances = [c for c, _ in draws]
            print(f"| {run['id']} | {'yes' if run['converged'] else 'no'} "
                  f"| {len(run['live-syncs'])} "
                  f"| {statistics.median(r for _, r in draws):.2f} "
                  f"| {sum(1 for c in chances if c > 0)} of {len(chances)} "
                  f"| {sum(chances) / len(chances):.3f} |")


if __name__ == '__main__':
    main()
