#!/usr/bin/python3
"""The aids benchmark: predicted against actual, with the aids to
convergence that run here.

On workloads that do not converge as plain pre-copy at the cell's
max-bandwidth and downtime-limit, each cell is migrated three ways:
plain pre-copy, with auto-converge, and with post-copy requested when
the first pass ends (as virsh migrate --postcopy-after-precopy does it,
on the second sync), at max-postcopy-bandwidth equal to max-bandwidth.
Multifd runs on cells that do converge, to compare with the single
channel.  Each run measures the curve as the main benchmark does (the
exact curve, then a new user's), sets the capabilities and parameters,
asks query-migration-estimate for that strategy and for its advice
within the deadline, and migrates.  It records query-migrate's last
answer, the highest cpu-throttle-percentage seen, and from the
MIGRATION events when the switch to post-copy ended and the migration
completed.
"""

import time

from bench import (SCENARIOS, MBIT, MODES, Bench, arguments, commit,
                   run_cells, write_rates)
from qemu.qmp import ExecuteError
from qemu_guest import migrate

DEADLINE_S = 60

# (scenario, Mbit/s, downtime-limit): plain pre-copy does not converge
NONCONVERGING = [(s, b, d) for s, bws in (
    ('hotcold-1g', (200, 350)),
    ('random-hot-1g', (300, 550)),
    ('skewed-1g', (200, 330))) for b in bws for d in (100, 300)]
# the cells that every strategy runs on; the others, the aids only
ALL_STRATEGIES = ('hotcold-1g', 'random-hot-1g')
# multifd, where pre-copy converges
MULTIFD = [('hotcold-1g', 1000, 300), ('hotcold-1g', 2000, 300),
           ('random-hot-1g', 1000, 300), ('skewed-1g', 1000, 50)]

STRATEGIES = {
    'pre-copy': [],
    'auto-converge': ['auto-converge'],
    'postcopy': ['postcopy-ram'],
    'multifd': ['multifd'],
}
CAPS = {'auto-converge': ['auto-converge'], 'postcopy': ['postcopy-ram'],
        'multifd': ['multifd']}
# the capabilities the destination needs too
DST_CAPS = {'postcopy-ram', 'multifd'}


def matrix():
    runs = []
    for s, b, d in NONCONVERGING:
        for name in ('pre-copy', 'auto-converge', 'postcopy'):
            if name != 'pre-copy' or s in ALL_STRATEGIES:
                runs.append((name, s, b, d))
    return runs + [('multifd', s, b, d) for s, b, d in MULTIFD]


def run_id(strategy, scenario, mbit, dt):
    return f'{strategy}/{scenario}/{mbit}Mbit/{dt}ms'


def event_times(events):
    """The time of each migration state, from the MIGRATION events."""
    times = {}
    for ev in events:
        if ev.get('event') == 'MIGRATION':
            ts = ev['timestamp']
            times.setdefault(ev['data']['status'],
                             ts['seconds'] + ts['microseconds'] / 1e6)
    return times


class AidsBench(Bench):
    def estimate_strategy(self, src, setup, strategy, bw, dt):
        t = time.monotonic()
        est = src.cmd('query-migration-estimate', **{
            'bandwidths': [bw], 'downtime-limits': [dt],
            'deadline': DEADLINE_S * 1000,
            'link-bandwidth': setup['link-bandwidth'],
            'strategies': [{'aids': STRATEGIES[strategy]}]})
        return {
            'wall-ms': (time.monotonic() - t) * 1000,
            'exact': est['exact'],
            'strategy': est['strategies'][0],
            'advice': est['advice'],
        }

    def run_aid(self, setup, strategy, scenario, mbit, dt):
        accel = setup['accel']
        mem_mb = SCENARIOS[scenario][0]
        bw = mbit * MBIT
        caps = CAPS.get(strategy, [])
        params = {'max-bandwidth': bw, 'downtime-limit': dt}
        if strategy == 'postcopy':
            params['max-postcopy-bandwidth'] = bw
        record = {
            'kind': 'aid-run', 'id': run_id(strategy, scenario, mbit, dt),
            'commit': commit(), 'strategy': strategy, 'scenario': scenario,
            'ram-bytes': mem_mb * 1024 * 1024, 'accel': accel,
            'bandwidth': bw, 'downtime-limit': dt,
            'deadline-ms': DEADLINE_S * 1000, 'modes': {},
        }
        src = self.boot_warm(accel, scenario, record)
        if not src:
            return record
        try:
            # 'events' for the MIGRATION events, which time the phases
            src.cmd('migrate-set-capabilities', capabilities=[
                {'capability': c, 'state': True} for c in ['events', *caps]])
            src.cmd('migrate-set-parameters', **params)
            for mode, args in MODES.items():
                m = {'measurement': src.measure(**args)}
                m.update(self.estimate_strategy(src, setup, strategy, bw, dt))
                # what an operator sees, for the report to quote
                m['hmp'] = src.hmp('info migrate_estimate')
                record['modes'][mode] = m
            src.qmp.clear_events()
            mark = len(src.console())

            peak = [0]
            start_postcopy = [strategy == 'postcopy']
            live = []

            def poll(t, info):
                peak[0] = max(peak[0], info.get('cpu-throttle-percentage', 0))
                try:
                    ans = src.cmd('query-migration-estimate', **{
                        'bandwidths': [bw], 'downtime-limits': [dt],
                        'deadline': DEADLINE_S * 1000,
                        'link-bandwidth': setup['link-bandwidth'],
                        'strategies': [{'aids': STRATEGIES[strategy]}]})
                except ExecuteError:
                    ans = {}
                if 'migration' in ans:
                    res = ans['strategies'][0]
                    live.append({
                        't': round(t, 3),
                        'elapsed': ans['migration']['elapsed'],
                        'dirty-sync-count':
                            ans['migration']['dirty-sync-count'],
                        'throttle': info.get('cpu-throttle-percentage', 0),
                        'verdict': res['estimate']['verdict'],
                        **{k: res['estimate'][k] for k in
                           ('total-time', 'min-total-time', 'max-total-time')
                           if k in res['estimate']},
                        **{k: res[k] for k in
                           ('throttle-peak', 'postcopy-time')
                           if k in res},
                        'advice': ans['advice'].get(
                            'strategy', {}).get('strategy')})
                # virsh --postcopy-after-precopy: on MIGRATION_PASS 2
                if start_postcopy[0] and \
                        info.get('ram', {}).get('dirty-sync-count', 0) >= 2:
                    src.cmd('migrate-start-postcopy')
                    start_postcopy[0] = False

            dst = self.guest(accel, scenario, 'destination',
                             extra=['-incoming', 'defer'])
            dst_caps = [c for c in caps if c in DST_CAPS]
            if strategy == 'postcopy':
                # the destination's fault latencies, once it completed
                dst_caps.append('postcopy-blocktime')

            def done(dst):
                # QEMU reports them once the destination completed too
                give_up = time.monotonic() + 5
                while True:
                    info = dst.cmd('query-migrate')
                    if info.get('status') == 'completed' or \
                            time.monotonic() > give_up:
                        break
                    time.sleep(0.05)
                record['destination'] = {
                    k: v for k, v in info.items() if k.startswith('postcopy')}

            started = time.time()
            info = migrate(src, dst, f'unix:{self.work}/migration.sock',
                           params, DEADLINE_S, poll, caps=caps,
                           dst_caps=dst_caps, done=done)
            times = event_times(src.qmp.get_events())
            record['actual'] = info
            record['converged'] = info['status'] == 'completed'
            record['throttle-peak'] = peak[0]
            record['live'] = live
            record['write-rates'] = write_rates(src.console()[mark:])
            record['event-times'] = {k: round(v - started, 3)
                                     for k, v in times.items()}
            if 'postcopy-device' in times or 'postcopy-active' in times:
                pc = times.get('postcopy-device',
                               times.get('postcopy-active'))
                if 'completed' in times:
                    record['postcopy-ms'] = round(
                        (times['completed'] - pc) * 1000)
        finally:
            src.close()
        return record


def show_run(record):
    """A run's predictions and outcome, on a line"""
    act = record.get('actual', {})
    est = record.get('modes', {}).get('default', {}).get('strategy', {})
    return (f'predicted {est.get("estimate", {}).get("verdict")} '
            f'{est.get("estimate", {}).get("total-time", "-")} ms, '
            f'throttle {est.get("throttle-peak", 0)}%, post-copy '
            f'{est.get("postcopy-time", "-")} ms; actual '
            f'{act.get("total-time", "-")} ms ({act.get("status")}), '
            f'throttle {record.get("throttle-peak")}%, post-copy '
            f'{record.get("postcopy-ms", "-")} ms')


def main():
    args = arguments(__doc__)
    bench = AidsBench(args)
    run_cells('bench-aids', bench, args, matrix(), 'aid-run', run_id,
              bench.run_aid, show_run, 80)

if __name__ == '__main__':
    main()
