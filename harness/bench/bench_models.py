"""The baselines the accuracy benchmark holds query-migration-estimate to.

Each model takes one run's record (its measurement, the guest's RAM and
the cell: bandwidth, downtime-limit, deadline) and returns a Prediction.
They use nothing the estimate did not have: the same calc-dirty-rate
result, taken once, before the migration.
"""

from dataclasses import dataclass

# How many rounds a baseline tries before calling a migration endless.
MAX_ROUNDS = 1000


@dataclass
class Prediction:
    converges: bool
    total_ms: float = None      # total time, when it converges
    downtime_ms: float = None   # the final round, when it converges
    # query-migration-estimate only: the verdict over the sampling range,
    # and the range of total time (hi None: unbounded)
    uncertain: bool = False
    lo_ms: float = None
    hi_ms: float = None


def _verdict(rounds_ms, final_ms, deadline_ms):
    total = sum(rounds_ms) + final_ms
    if total > deadline_ms:
        return Prediction(False)
    return Prediction(True, total, final_ms)


def _rounds(first_s, next_s, run, final=1.0):
    """The round loop both iterative baselines share: a first round of
    @first_s seconds, each next one next_s(previous round's seconds);
    switch over once a round fits in the downtime-limit, give up once
    rounds stop shrinking.  The final round takes @final times as long
    as it would at the bandwidth."""
    limit = run['downtime-limit'] / 1000
    rounds = [first_s]
    for _ in range(MAX_ROUNDS):
        t = next_s(rounds[-1])
        if t <= limit:
            return _verdict([r * 1000 for r in rounds], t * final * 1000,
                            run['deadline-ms'])
        if t >= rounds[-1]:
            break                       # not shrinking: never converges
        rounds.append(t)
    return Prediction(False)


def naive(run):
    """(a) All of the guest's RAM, once, at the bandwidth: what a progress
    bar or a timeout per GiB assumes."""
    total = run['ram-bytes'] / run['bandwidth'] * 1000
    return _verdict([total], 0, run['deadline-ms'])


def single_rate(run):
    """(b) The classic geometric model on the plain dirty-rate number
    (MiB/s): the first round sends all RAM, each next round what was
    dirtied during the one before, at that rate and never more than RAM;
    switch over once a round fits in the downtime-limit."""
    ram, bw = run['ram-bytes'], run['bandwidth']
    rate = run['measurement']['dirty-rate'] * 1024 * 1024
    return _rounds(ram / bw, lambda t: min(rate * t, ram) / bw, run)


def curve_points(measurement):
    """The readings as (seconds, pages) with the origin first."""
    return [(0.0, 0)] + [(r['elapsed'] / 1000, r['dirty-pages'])
                         for r in measurement['readings']]


def piecewise_2023(run, zero_aware=False):
    """(c) The 2023 out-of-tree predictor, from its published description:
    pages dirtied in t seconds by linear interpolation between the
    readings, and past the last one by the steepest slope seen (the worst
    case); every page costs its size plus an 8-byte header; the first
    round sends all pages, each next one the pages dirtied during the one
    before; it switches over once a whole round would fit in the
    downtime-limit.  The description has no zero pages: they cost as much
    as any other, unless @zero_aware, a variant this project adds to be
    generous: the first round sends the measured zero pages as 9 bytes.
    Its final round goes at the link's speed where the run has it
    ('link-bandwidth'), as QEMU sends it and as ours is told: the inputs
    are the same."""
    m = run['measurement']
    pts = curve_points(m)
    total_pages = m['total-pages']
    page_bytes = m['page-size'] + 8
    bw = run['bandwidth']
    slope = max((p1 - p0) / (t1 - t0)
                for (t0, p0), (t1, p1) in zip(pts, pts[1:]) if t1 > t0)

    def dirtied(t):
        for (t0, p0), (t1, p1) in zip(pts, pts[1:]):
            if t <= t1:
                return p0 + (p1 - p0) * (t - t0) / (t1 - t0)
        return min(pts[-1][1] + slope * (t - pts[-1][0]), total_pages)

    zero = m['zero-pages'] if zero_aware else 0
    first = ((total_pages - zero) * page_bytes + zero * 9) / bw
    final = bw / max(bw, run.get('link-bandwidth', bw))
    return _rounds(first, lambda t: dirtied(t) * page_bytes / bw, run, final)


def _estimate(cell):
    """A recorded query-migration-estimate cell as a Prediction."""
    # runs recorded before the estimate had ranges say 'converges'
    verdict = cell.get('verdict', 'converges' if cell.get('converges')
                       else 'does-not-converge')
    uncertain = verdict == 'uncertain'
    # an "uncertain" answer without a longest time may not converge at
    # all: its range is open above, as the reports print it ('? (lo-)')
    hi = cell.get('max-total-time') if uncertain else \
        cell.get('max-total-time', cell.get('total-time'))
    p = Prediction('total-time' in cell, cell.get('total-time'),
                   cell.get('downtime'), uncertain,
                   cell.get('min-total-time', cell.get('total-time')), hi)
    return p


def ours(run):
    """query-migration-estimate's answer for the cell, as recorded, on
    the measurement a new user makes (QEMU's default sampling)."""
    return _estimate(run['estimate'])


def ours_bitmap(run):
    """The same on the exact curve of dirty-bitmap mode; None for runs
    recorded without it."""
    m = run.get('modes', {}).get('dirty-bitmap')
    return _estimate(m['estimate']) if m else None


MODELS = {
    'ours': ours,
    'ours, dirty-bitmap': ours_bitmap,
    'naive': naive,
    'single-rate': single_rate,
    '2023': piecewise_2023,
    '2023+zero': lambda run: piecewise_2023(run, zero_aware=True),
}
