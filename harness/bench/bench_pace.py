#!/usr/bin/python3
"""The sender's pace benchmark: predicted against actual where the work
of sending pages, not the rate limit, holds a migration back.

Cells: guests stopped before their firmware ran (every page never
touched), a stopped guest whose memory the host allocated and zeroed
(-mem-prealloc: a guest that wrote zeros over its memory looks so), Linux
guests of 1, 4 and 16 GiB with small working sets (mostly untouched
memory), migrated at a rate limit and without one (max-bandwidth 0, the
default of libvirt, Nova and KubeVirt) over a unix socket and over TCP
on localhost, and with two multifd channels without one.  Each run
measures its curve twice, exactly (dirty-bitmap) and as a new user would
(calc-time only), and after each asks query-migration-estimate for the
cell twice: with the link's speed the setup measured (link-bandwidth)
and without, which leaves the sender's pace alone to bound a migration
without a rate limit.  The trace events give the time the pace
measurement took and the time each query held the BQL.
"""

import os
import re
import subprocess

from bench import (SCENARIOS, MBIT, Bench, arguments, commit, run_cells,
                   write_rates)
from qemu_guest import Guest, migrate, set_capabilities

CALC_TIME_S = 3
DEADLINE_S = 60
GIB_S = 1024 * 1024 * 1024

# name: (guest RAM in MiB, what boots: a kernel command line for the
# stress initrd, or None for a guest stopped before its firmware, with
# extra arguments)
PACE_SCENARIOS = {
    'stopped-1g': (1024, None, []),
    'stopped-4g': (4096, None, []),
    'zeroed-4g': (4096, None, ['-mem-prealloc']),
    'small-1g': (1024, 'profile=random wss=64 rate=16', []),
    'small-4g': (4096, 'profile=random wss=64 rate=16', []),
    'small-16g': (16384, 'profile=random wss=64 rate=16', []),
    'hotcold-1g': (1024, SCENARIOS['hotcold-1g'][2], []),
}

# (scenario, max-bandwidth in bytes per second, 0 for none; downtime-limit;
# transport; multifd channels)
CELLS = [
    ('stopped-1g', GIB_S, 300, 'unix', 0),
    ('stopped-1g', 0, 300, 'unix', 0),
    ('stopped-4g', GIB_S, 300, 'unix', 0),
    ('stopped-4g', 0, 300, 'unix', 0),
    ('stopped-4g', 0, 300, 'tcp', 0),
    ('zeroed-4g', GIB_S, 300, 'unix', 0),
    ('zeroed-4g', 0, 300, 'unix', 0),
    ('small-1g', 0, 300, 'unix', 0),
    ('small-4g', 1000 * MBIT, 300, 'unix', 0),
    ('small-4g', 0, 300, 'unix', 0),
    ('small-4g', 0, 300, 'tcp', 0),
    ('small-16g', 1000 * MBIT, 300, 'unix', 0),
    ('small-16g', 0, 300, 'unix', 0),
    ('hotcold-1g', 0, 300, 'unix', 0),
    ('hotcold-1g', 0, 300, 'tcp', 0),
    ('hotcold-1g', 0, 300, 'unix', 2),
]
REPEATS = 2
MODES = {
    'dirty-bitmap': {'calc-time': CALC_TIME_S, 'mode': 'dirty-bitmap'},
    'default': {'calc-time': CALC_TIME_S},
}


def matrix():
    return [(*c, r) for r in range(1, REPEATS + 1) for c in CELLS]


def run_id(scenario, bw, dt, transport, channels, rep):
    rate = f'{bw * 8 // 1000000}Mbit' if bw else 'unlimited'
    mfd = f'/multifd{channels}' if channels else ''
    return f'{scenario}/{rate}/{dt}ms/{transport}{mfd}/{rep}'


def trace_values(path, event, field):
    """Every @field of @event in the trace file @path, as integers"""
    if not os.path.exists(path):
        return []
    pat = re.compile(rf'{event} .*?{field} (\d+)')
    with open(path) as f:
        return [int(m.group(1)) for m in map(pat.search, f) if m]


class PaceBench(Bench):
    def pace_guest(self, scenario, name, extra=()):
        mem_mb, workload, more = PACE_SCENARIOS[scenario]
        if workload is None:
            return Guest(self.args.qemu, self.work, 'tcg', ['-S', *more],
                         mem_mb=mem_mb, extra=list(extra),
                         stderr=subprocess.DEVNULL, name=name)
        append = f'console=ttyS0 panic=-1 quiet ramsize=1 {workload}'
        return Guest(self.args.qemu, self.work, 'tcg',
                     ['-kernel', self.args.kernel, '-initrd',
                      self.args.initrd, '-append', append, *more],
                     mem_mb=mem_mb, extra=['-smp', '1', *extra],
                     stderr=subprocess.DEVNULL, name=name)

    def ask(self, src, setup, bw, dt, link):
        args = {'bandwidths': [bw], 'downtime-limits': [dt],
                'deadline': DEADLINE_S * 1000}
        if link:
            args['link-bandwidth'] = setup['link-bandwidth']
        est = src.cmd('query-migration-estimate', **args)
        return {
            'estimate': next(c for c in est['bandwidths'][0]['estimates']
                             if c.get('downtime-limit') == dt),
            'row-bandwidth': est['bandwidths'][0]['bandwidth'],
            'pace': est.get('pace'),
        }

    def run_pace(self, setup, scenario, bw, dt, transport, channels, rep):
        mem_mb, workload, _ = PACE_SCENARIOS[scenario]
        trace = os.path.join(self.work, 'trace-pace.log')
        if os.path.exists(trace):
            os.unlink(trace)
        record = {
            'kind': 'pace-run',
            'id': run_id(scenario, bw, dt, transport, channels, rep),
            'commit': commit(), 'scenario': scenario,
            'ram-bytes': mem_mb * 1024 * 1024, 'bandwidth': bw,
            'downtime-limit': dt, 'transport': transport,
            'multifd-channels': channels, 'repeat': rep,
            'link-bandwidth': setup['link-bandwidth'], 'modes': {},
        }
        src = self.pace_guest(scenario, 'source', [
            '-trace', 'dirtyrate_pace', '-trace',
            f'query_migration_estimate,file={trace}'])
        try:
            src.connect(10)
            if workload and not src.wait_console(b': steady', 180):
                record['error'] = 'the guest did not reach its workload'
                return record
            caps = ['multifd'] if channels else []
            set_capabilities(src, caps)
            if channels:
                src.cmd('migrate-set-parameters',
                        **{'multifd-channels': channels})
            for mode, args in MODES.items():
                m = {'measurement': src.measure(**args)}
                m['link'] = self.ask(src, setup, bw, dt, True)
                m['no-link'] = self.ask(src, setup, bw, dt, False)
                record['modes'][mode] = m
            record['pace-us'] = trace_values(trace, 'dirtyrate_pace',
                                             'timed in')
            record['query-bql-us'] = trace_values(
                trace, 'query_migration_estimate', 'in')
            mark = len(src.console())
            dst = self.pace_guest(scenario, 'destination',
                                  ['-incoming', 'defer'])
            uri = 'tcp:127.0.0.1:0' if transport == 'tcp' else \
                f'unix:{self.work}/migration.sock'
            info = migrate(src, dst, uri,
                           {'max-bandwidth': bw, 'downtime-limit': dt},
                           DEADLINE_S, caps=caps, dst_caps=caps,
                           dst_params={'multifd-channels': channels}
                           if channels else None)
            record['actual'] = info
            record['converged'] = info['status'] == 'completed'
            if workload:
                record['write-rates'] = write_rates(src.console()[mark:])
        except RuntimeError as e:
            record['error'] = str(e)
        finally:
            src.close()
        return record


def show_run(record):
    act = record.get('actual', {})
    preds = ', '.join(
        f'{mode} {m["link"]["estimate"].get("total-time", "-")}/'
        f'{m["no-link"]["estimate"].get("total-time", "-")} ms'
        for mode, m in record.get('modes', {}).items())
    return (f'predicted (link/no link) {preds or "-"}; actual '
            f'{act.get("total-time", "-")} ms, '
            f'{act.get("ram", {}).get("dirty-sync-count", "-")} syncs '
            f'({act.get("status", record.get("error"))})')


def main():
    args = arguments(__doc__)
    bench = PaceBench(args)
    run_cells('bench-pace', bench, args, matrix(), 'pace-run', run_id,
              bench.run_pace, show_run, 40)


if __name__ == '__main__':
    main()
