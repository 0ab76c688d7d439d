#!/usr/bin/python3
"""The accuracy benchmark: predicted against actual, on real migrations.

For each scenario (a Linux guest running one of tests/migration-stress's
write profiles) x max-bandwidth x downtime-limit, one run boots the guest,
waits for its workload to settle, measures its dirty page curve with
calc-dirty-rate, asks query-migration-estimate about exactly that cell,
then migrates it to a second QEMU on this machine with those parameters
and records what query-migrate reports.  A migration still running at the
deadline is cancelled and recorded as not converging.

Every run is one JSON line in the results file, written when the run
ends; a run already there is not run again, so an interrupted benchmark
goes on where it stopped.  The first line records the setup: the
accelerator (KVM when a Linux guest really boots under it, else TCG) and
the speed of the final stop-and-copy, measured once on a migration of
its own.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

from qemu_guest import Guest, kernel_boot, migrate

MIB = 1024 * 1024
MBIT = 1000 * 1000 // 8

# The workload starts writing once it prints this.
STEADY = b': steady'
# After that, how long the benchmark lets it run before measuring.
WARMUP_S = 2
CALC_TIME_S = 10
SAMPLE_PAGES = 16384
DEADLINE_S = 45

# name: (guest RAM in MiB, the workload's kernel command line)
SCENARIOS = {
    'idle-1g': (1024, 'profile=idle wss=512'),
    'random-1g': (1024, 'profile=random wss=256 rate=16'),
    'random-2g': (2048, 'profile=random wss=1024 rate=48'),
    'hotcold-1g': (1024, 'profile=hotcold wss=512 rate=64 hotwrites=90 '
                   'hotmem=10'),
    'scan-512m': (512, 'profile=scan wss=256 rate=32'),
    'bursty-1g': (1024, 'profile=bursty wss=384 rate=64 burston=1000 '
                  'burstoff=2000'),
    'random-hot-1g': (1024, 'profile=random wss=128 rate=96'),
}
BANDWIDTHS = [400 * MBIT, 1000 * MBIT, 2000 * MBIT]
DOWNTIME_LIMITS = [50, 300]
# The cell repeated to find the noise floor, and how often in all.
NOISE_CELL = ('hotcold-1g', 1000 * MBIT, 300)
REPEATS = 5

QUICK_SCENARIOS = ['random-1g', 'hotcold-1g', 'scan-512m', 'bursty-1g']
QUICK_BANDWIDTHS = [1000 * MBIT]
QUICK_DOWNTIME_LIMITS = [50, 300]


def matrix(quick):
    """The runs, as (scenario, bandwidth, downtime-limit, repeat)."""
    if quick:
        return [(s, b, d, 1) for s in QUICK_SCENARIOS
                for b in QUICK_BANDWIDTHS for d in QUICK_DOWNTIME_LIMITS]
    runs = [(s, b, d, 1) for s in SCENARIOS
            for b in BANDWIDTHS for d in DOWNTIME_LIMITS]
    return runs + [(*NOISE_CELL, r) for r in range(2, REPEATS + 1)]


def run_id(scenario, bw, dt, rep):
    return f'{scenario}/{bw * 8 // 1000000}Mbit/{dt}ms/{rep}'


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)

    def guest(self, accel, scenario, name, extra=()):
        mem_mb, workload = SCENARIOS[scenario]
        append = f'console=ttyS0 panic=-1 quiet ramsize=1 {workload}'
        return Guest(self.args.qemu, self.work, accel,
                     kernel_boot(self.args.kernel, self.args.initrd, append),
                     mem_mb=mem_mb, extra=['-smp', '1', *extra],
                     stderr=subprocess.DEVNULL, name=name)

    def boot(self, accel, scenario, timeout=120):
        """A source guest whose workload is running, or None."""
        g = self.guest(accel, scenario, 'source')
        try:
            g.connect(10)
            if g.wait_console(STEADY, timeout):
                return g
        except RuntimeError:
            pass
        g.close()
        return None

    def probe_accel(self):
        """KVM if a Linux guest really gets to its workload there."""
        if os.access('/dev/kvm', os.R_OK | os.W_OK):
            g = self.boot('kvm', 'idle-1g', timeout=30)
            if g:
                g.close()
                return 'kvm'
        return 'tcg'

    def migrate(self, src, accel, scenario, params, timeout):
        dst = self.guest(accel, scenario, 'destination',
                         extra=['-incoming', 'defer'])
        return migrate(src, dst, f'unix:{self.work}/migration.sock', params,
                       timeout)

    def setup(self):
        """The accelerator, and the speed of the final stop-and-copy: the
        bytes it sent over the downtime, in a migration whose last round
        is large (a 128 MiB hot set at 1 Gbit/s and 1 s)."""
        accel = self.probe_accel()
        src = self.boot(accel, 'random-hot-1g')
        if not src:
            sys.exit('bench: the guest does not boot')
        try:
            time.sleep(WARMUP_S)
            info = self.migrate(src, accel, 'random-hot-1g',
                                {'max-bandwidth': 1000 * MBIT,
                                 'downtime-limit': 1000}, DEADLINE_S)
        finally:
            src.close()
        if info['status'] != 'completed':
            sys.exit(f'bench: the calibration migration {info["status"]}')
        return {
            'kind': 'setup', 'accel': accel,
            'link-bandwidth': (info['ram']['downtime-bytes'] * 1000 //
                               max(info['downtime'], 1)),
            'host': platform.node(), 'cpus': os.cpu_count(),
            'kernel': os.path.basename(self.args.kernel),
            'date': time.strftime('%Y-%m-%d %H:%M %Z'),
            'calibration': info,
        }

    def run(self, setup, scenario, bw, dt, rep):
        accel = setup['accel']
        record = {
            'kind': 'run', 'id': run_id(scenario, bw, dt, rep),
            'scenario': scenario, 'workload': SCENARIOS[scenario][1],
            'ram-bytes': SCENARIOS[scenario][0] * MIB, 'accel': accel,
            'bandwidth': bw, 'downtime-limit': dt, 'repeat': rep,
            'deadline-ms': DEADLINE_S * 1000, 'calc-time': CALC_TIME_S,
            'sample-pages': SAMPLE_PAGES,
        }
        src = self.boot(accel, scenario)
        if not src:
            record['error'] = 'the guest did not reach its workload'
            return record
        try:
            time.sleep(WARMUP_S)
            record['measurement'] = src.measure(**{
                'calc-time': CALC_TIME_S, 'sample-pages': SAMPLE_PAGES})
            t = time.monotonic()
            est = src.cmd('query-migration-estimate', **{
                'bandwidths': [bw], 'downtime-limits': [dt],
                'deadline': DEADLINE_S * 1000,
                'link-bandwidth': setup['link-bandwidth']})
            record['estimate-wall-ms'] = (time.monotonic() - t) * 1000
            row = est['bandwidths'][0]
            record['estimate'] = next(c for c in row['estimates']
                                      if c.get('downtime-limit') == dt)
            info = self.migrate(src, accel, scenario,
                                {'max-bandwidth': bw, 'downtime-limit': dt},
                                DEADLINE_S)
            record['actual'] = info
            record['converged'] = info['status'] == 'completed'
        finally:
            src.close()
        return record


def load(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def append(path, record):
    with open(path, 'a') as f:
        f.write(json.dumps(record, sort_keys=True) + '\n')


def fmt_s(s):
    return f'{int(s) // 60}m{int(s) % 60:02d}s'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initrd', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--results', required=True)
    ap.add_argument('--quick', action='store_true',
                    help='the subset for a check in under 10 minutes')
    ap.add_argument('--only', default='',
                    help='only the runs whose id contains this')
    args = ap.parse_args()

    bench = Bench(args)
    done = load(args.results)
    setup = next((r for r in done if r['kind'] == 'setup'), None)
    if not setup:
        print('bench: probing the accelerator and measuring the link')
        setup = bench.setup()
        append(args.results, setup)
    print(f'bench: {setup["accel"]}, link '
          f'{setup["link-bandwidth"] * 8 / 1e9:.2f} Gbit/s')

    finished = {r['id'] for r in done if r['kind'] == 'run'}
    todo = [r for r in matrix(args.quick) if run_id(*r) not in finished and args.only in run_id(*r)]
    took = []
    for i, cell in enumerate(todo):
        eta = (statistics.mean(took) if took else 40) * (len(todo) - i)
        print(f'bench: [{i + 1}/{len(todo)}] {run_id(*cell)}  '
              f'(ETA {fmt_s(eta)})', flush=True)
        t = time.monotonic()
        record = bench.run(setup, *cell)
        took.append(time.monotonic() - t)
        record['wall-s'] = round(took[-1], 1)
        append(args.results, record)
        est, act = record.get('estimate'), record.get('actual', {})
        print(f'bench:   predicted '
              f'{est["total-time"] if est and est["converges"] else "-"} ms, '
              f'actual {act.get("total-time", "-")} ms '
              f'({act.get("status", record.get("error"))})', flush=True)


if __name__ == '__main__':
    main()
