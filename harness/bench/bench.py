#!/usr/bin/python3
"""The accuracy benchmark: predicted against actual, on real migrations.

For each scenario (a Linux guest running one of tests/migration-stress's
write profiles, or Redis under load) x max-bandwidth x downtime-limit, one
run boots the guest, waits for its workload to settle, and measures its
dirty page curve twice with calc-dirty-rate: in dirty-bitmap mode, which
counts every page, then as a new user would, with only calc-time given
(QEMU's default sampling).  It asks query-migration-estimate about
exactly that cell after each, then migrates the guest to a second QEMU on
this machine with those parameters and records what query-migrate
reports.  A migration still running at the deadline is cancelled and
recorded as not converging.

While the migration runs, the run asks query-migration-estimate every
100 ms for its live estimate of that migration, which starts from the
last measurement (the new user's) and refits it to the migration's own
dirty bitmap syncs, and records every answer and the time the command
held the BQL (its trace event).  Two variants: "noprior" runs measure
nothing before migrating, so the live estimate has only the syncs;
"nopoll" runs do not poll, to show what polling costs the migration.

Knife-edge cells try to break the model where it is weakest: their
max-bandwidth is a factor near 1 times the lowest bandwidth that the
first estimate (on the exact curve) says converges, so a small error
flips the verdict.

The stress workload prints the page writes it really made each second;
the run records their mean over each phase (the measurements, the
migration), so that a guest slowed down by the migration shows as drift,
not as model error.

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
import re
import statistics
import subprocess
import sys
import time

from qemu.qmp import ExecuteError, QMPError
from qemu_guest import Guest, kernel_boot, migrate

MIB = 1024 * 1024
MBIT = 1000 * 1000 // 8

# The workload starts writing once it prints this.
STEADY = b': steady'
# After that, how long the benchmark lets it run before measuring.
WARMUP_S = 2
CALC_TIME_S = 10
DEADLINE_S = 45
# The two measurements of each run: the exact one, and a new user's, last,
# for the live estimate to start from.
MODES = {
    'dirty-bitmap': {'calc-time': CALC_TIME_S, 'mode': 'dirty-bitmap'},
    'default': {'calc-time': CALC_TIME_S},
}

# name: (guest RAM in MiB, initrd, the workload's kernel command line)
SCENARIOS = {
    'idle-1g': (1024, 'stress', 'profile=idle wss=512'),
    'random-1g': (1024, 'stress', 'profile=random wss=256 rate=16'),
    'random-2g': (2048, 'stress', 'profile=random wss=1024 rate=48'),
    'hotcold-1g': (1024, 'stress', 'profile=hotcold wss=512 rate=64 '
                   'hotwrites=90 hotmem=10'),
    'scan-512m': (512, 'stress', 'profile=scan wss=256 rate=32'),
    'bursty-1g': (1024, 'stress', 'profile=bursty wss=384 rate=64 '
                  'burston=1000 burstoff=2000'),
    'random-hot-1g': (1024, 'stress', 'profile=random wss=128 rate=96'),
    # many tiers of heat: page N * u^4, so 1% of the set takes 32% of
    # the writes, 10% takes 56%
    'skewed-1g': (1024, 'stress', 'profile=skewed wss=512 rate=64 power=4'),
    # a hot set, and a sequential sweep over the whole set
    'hotscan-1g': (1024, 'stress', 'profile=hotscan wss=512 rate=48 '
                   'hotwrites=70 hotmem=5'),
    # Debian's redis-server, driven by redis-benchmark in the guest
    'redis-1g': (1024, 'redis', 'keys=250000 value=1024'),
    # doubles its rate 26 s after it starts: a few seconds into the
    # migration, after both measurements
    'phase-1g': (1024, 'stress', 'profile=random wss=384 rate=24 '
                 'phase=26 phaserate=48'),
}
# (bandwidth, downtime-limit) cells; a bandwidth given as a float is a
# knife edge: that factor times the predicted lowest converging one.
CELLS = [(1000 * MBIT, 50), (1000 * MBIT, 300), (2000 * MBIT, 300),
         (0.9, 300), (1.1, 300)]
# The cell repeated to find the noise floor, and how often in all.
NOISE_CELL = ('hotcold-1g', 1000 * MBIT, 300)
REPEATS = 5

# Cells run again with nothing measured before the migration
NOPRIOR = [('hotcold-1g', 1000 * MBIT, 300), ('random-2g', 1000 * MBIT, 300),
           ('skewed-1g', 1000 * MBIT, 50), ('hotscan-1g', 1000 * MBIT, 50),
           ('redis-1g', 1000 * MBIT, 300), ('phase-1g', 1000 * MBIT, 300),
           ('random-hot-1g', 1000 * MBIT, 50)]

QUICK = [('hotcold-1g', 1000 * MBIT, 300), ('skewed-1g', 1000 * MBIT, 50),
         ('hotscan-1g', 1000 * MBIT, 50), ('redis-1g', 1000 * MBIT, 300),
         ('hotcold-1g', 0.9, 300), ('phase-1g', 1.1, 300)]


def matrix(quick):
    """The runs, as (scenario, bandwidth, downtime-limit, repeat, variant)."""
    if quick:
        return [(*c, 1, '') for c in QUICK] + \
            [(*NOPRIOR[-1], 1, 'noprior')]
    runs = [(s, b, d, 1, '') for s in SCENARIOS for b, d in CELLS
            if isinstance(b, int) or not s.startswith('idle')]
    return runs + [(*NOISE_CELL, r, '') for r in range(2, REPEATS + 1)] + \
        [(*NOISE_CELL, r, 'nopoll') for r in range(1, REPEATS + 1)] + \
        [(*c, 1, 'noprior') for c in NOPRIOR]


REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def git(*a):
    return subprocess.run(['git', '-C', REPO, *a], capture_output=True,
                          text=True).stdout.strip()


def commit():
    """The commit of the code that runs, and whether that code has edits:
    migration/, qapi/ and the patches' diffs, not their cover letter"""
    dirty = git('status', '--porcelain', '--', 'migration', 'qapi',
                'patches/*.patch')
    return git('rev-parse', 'HEAD') + ('-dirty' if dirty else '')


def same_code(a, b):
    """Whether commits @a and @b hold the same code: migration/, qapi/ and
    the patches' diffs; messages, cover letters, the harness and the
    docs do not count"""
    if a == b:
        return True
    if '-dirty' in a + b or subprocess.run(
            ['git', '-C', REPO, 'diff', '--quiet', a, b, '--', 'migration',
             'qapi']).returncode:
        return False
    for p in git('diff', '--name-only', a, b, '--', 'patches').split():
        if p.endswith('.patch'):
            old, new = (git('show', f'{c}:{p}') for c in (a, b))
            body = [t[t.find('\ndiff --git'):] for t in (old, new)]
            if body[0] != body[1]:
                return False
    return True


def code_of(records):
    """For a report's heading: which code produced @records, marked where
    it is not this tree's (HEAD's) or where the records disagree"""
    commits = sorted({r.get('commit') or 'unknown' for r in records
                      if r.get('kind') != 'setup'})
    head = git('rev-parse', 'HEAD')
    older = [c for c in commits if c == 'unknown' or not same_code(c, head)]
    text = f'from the code of commit {", ".join(c[:12] for c in commits)}'
    if older:
        n = sum((r.get('commit') or 'unknown') in older for r in records
                if r.get('kind') != 'setup')
        return (f'{text} (MARKED: {n} records from code other than this '
                f"tree's, {head[:12]})")
    if len(commits) > 1:
        return (f"from the code of this tree ({head[:12]}): the records "
                f"name {', '.join(c[:12] for c in commits)}, whose code "
                f"is the same")
    return f"{text}, the code of this tree ({head[:12]})"


def run_id(scenario, bw, dt, rep, variant=''):
    if isinstance(bw, float):
        cell = f'{scenario}/edge-x{bw:g}/{dt}ms'
    else:
        cell = f'{scenario}/{bw * 8 // 1000000}Mbit/{dt}ms'
    return f'{cell}/{variant}/{rep}' if variant else f'{cell}/{rep}'


def live_answer(t, run):
    """What a run keeps of one live estimate, @t s into the migration."""
    est = run['estimate']
    keep = {'t': round(t, 3), 'curve': run['curve'],
            'refit': run['refit-syncs'], 'verdict': est['verdict']}
    for key in ('elapsed', 'dirty-sync-count', 'remaining-time',
                'min-remaining-time', 'max-remaining-time'):
        if key in run:
            keep[key] = run[key]
    for key in ('total-time', 'downtime'):
        if key in est:
            keep[key] = est[key]
    for key, name in (('min-bandwidth', 'bandwidth'),
                      ('min-downtime-limit', 'downtime-limit')):
        if name in run[key]:
            keep[key] = run[key][name]
    return keep


SYNC_EVENT = re.compile(r'migration_estimate_sync sync (\d+) at (\d+) us: '
                        r'(\d+) dirty pages, then (\d+); sent (\d+) pages, '
                        r'(\d+) zero, (\d+) bytes')


def read_trace(trace):
    """From the trace events of a run: the time each live estimate held
    the BQL, in us, and the migration's syncs as the estimate recorded
    them (count, elapsed us, dirty before, after, pages sent, zero pages
    sent, bytes), for replaying the live estimate offline."""
    bql, syncs = [], []
    if not os.path.exists(trace):
        return bql, syncs
    with open(trace) as f:
        for line in f:
            m = SYNC_EVENT.search(line)
            if m:
                syncs.append([int(x) for x in m.groups()])
            elif 'query_migration_estimate' in line and 'running 1' in line:
                bql.append(int(line.split()[-2]))
    return bql, syncs


def write_rates(console):
    """The page writes per second the stress workload reported, in order."""
    return [int(line.split()[-3]) for line in console.splitlines()
            if line.endswith(b' page writes/s')]


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)

    def trace(self):
        return os.path.join(self.work, 'trace-source.log')

    def initrd(self, name):
        """The path of the initrd a scenario names: 'stress' or 'redis'"""
        return self.args.app_initrd if name == 'redis' else self.args.initrd

    def guest(self, accel, scenario, name, extra=()):
        mem_mb, initrd, workload = SCENARIOS[scenario]
        append = f'console=ttyS0 panic=-1 quiet ramsize=1 {workload}'
        return Guest(self.args.qemu, self.work, accel,
                     kernel_boot(self.args.kernel, self.initrd(initrd),
                                 append),
                     mem_mb=mem_mb, extra=['-smp', '1', *extra],
                     stderr=subprocess.DEVNULL, name=name)

    def boot(self, accel, scenario, timeout=120):
        """A source guest whose workload is running, or None."""
        if os.path.exists(self.trace()):
            os.unlink(self.trace())
        # the last -trace names the file for all
        g = self.guest(accel, scenario, 'source', extra=[
            '-trace', 'query_migration_estimate',
            '-trace', f'migration_estimate_sync,file={self.trace()}'])
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

    def migrate(self, src, accel, scenario, params, timeout, poll=None):
        dst = self.guest(accel, scenario, 'destination',
                         extra=['-incoming', 'defer'])
        return migrate(src, dst, f'unix:{self.work}/migration.sock', params,
                       timeout, poll)

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

    def estimate(self, src, setup, bw, dt):
        """query-migration-estimate for one cell: the cell and the lowest
        converging bandwidth at its downtime-limit."""
        t = time.monotonic()
        est = src.cmd('query-migration-estimate', **{
            'bandwidths': [bw], 'downtime-limits': [dt],
            'deadline': DEADLINE_S * 1000,
            'link-bandwidth': setup['link-bandwidth']})
        return {
            'wall-ms': (time.monotonic() - t) * 1000,
            'exact': est['exact'],
            'estimate': next(c for c in est['bandwidths'][0]['estimates']
                             if c.get('downtime-limit') == dt),
            'min-bandwidth': est['min-bandwidth'][0],
            # the sender's pace the estimate used, first writes among it
            'pace': est.get('pace'),
        }

    def boot_warm(self, accel, scenario, record):
        """The guest of @scenario, booted and warmed up; None, with the
        error in @record, if it did not reach its workload"""
        src = self.boot(accel, scenario)
        if not src:
            record['error'] = 'the guest did not reach its workload'
            return None
        time.sleep(WARMUP_S)
        return src

    def run(self, setup, scenario, bw, dt, rep, variant):
        accel = setup['accel']
        mem_mb, initrd, workload = SCENARIOS[scenario]
        record = {
            'kind': 'run', 'id': run_id(scenario, bw, dt, rep, variant),
            'commit': commit(), 'scenario': scenario, 'workload': workload,
            'ram-bytes': mem_mb * MIB, 'accel': accel,
            'downtime-limit': dt, 'repeat': rep,
            'deadline-ms': DEADLINE_S * 1000, 'calc-time': CALC_TIME_S,
        }
        if variant:
            record['variant'] = variant
        if isinstance(bw, float):
            record['edge-factor'] = bw
        src = self.boot_warm(accel, scenario, record)
        if not src:
            return record
        try:
            marks = [len(src.console())]
            modes = {} if variant == 'noprior' else MODES
            if modes:
                record['modes'] = {}
            for mode, args in modes.items():
                m = {'measurement': src.measure(**args)}
                marks.append(len(src.console()))
                if isinstance(bw, float):
                    low = self.estimate(src, setup, 1000 * MBIT, dt)
                    if 'bandwidth' not in low['min-bandwidth']:
                        record['error'] = 'no bandwidth converges'
                        return record
                    bw = int(bw * low['min-bandwidth']['bandwidth'])
                m.update(self.estimate(src, setup, bw, dt))
                record['modes'][mode] = m
            record['bandwidth'] = bw
            if modes:
                # the default measurement is what a new user sees
                record.update({k: record['modes']['default'][k]
                               for k in ('measurement', 'estimate')})

            live = []

            def poll(t, info):
                try:
                    ans = src.cmd('query-migration-estimate', **{
                        'bandwidths': [bw], 'downtime-limits': [dt],
                        'deadline': DEADLINE_S * 1000,
                        'link-bandwidth': setup['link-bandwidth']})
                except ExecuteError:
                    # ended since query-migrate, and nothing measured
                    return
                if 'migration' in ans:
                    live.append(live_answer(t, ans['migration']))
                    if 'ram' in info:
                        live[-1]['ram'] = [info['ram'][k] for k in (
                            'remaining', 'normal', 'duplicate',
                            'transferred')]
                if 'phase-s' not in record and b'phase:' in src.console():
                    record['phase-s'] = round(t, 3)

            info = self.migrate(src, accel, scenario,
                                {'max-bandwidth': bw, 'downtime-limit': dt},
                                DEADLINE_S,
                                None if variant == 'nopoll' else poll)
            record['actual'] = info
            record['converged'] = info['status'] == 'completed'
            if live:
                record['live'] = live
                record['live-bql-us'], record['live-syncs'] = \
                    read_trace(self.trace())
            console = src.console()
            marks.append(len(console))
            rates = [write_rates(console[a:b])
                     for a, b in zip(marks, marks[1:])]
            if all(rates):
                record['write-rates'] = dict(zip(
                    [*modes, 'migration'],
                    [round(statistics.mean(r)) for r in rates]))
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


def arguments(doc, quick=False):
    """The command line of a benchmark described by @doc"""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initrd', required=True)
    ap.add_argument('--app-initrd', required=True,
                    help='the initrd of the Redis scenarios')
    ap.add_argument('--work', required=True)
    ap.add_argument('--results', required=True)
    if quick:
        ap.add_argument('--quick', action='store_true',
                        help='the subset for a check in under 10 minutes')
    ap.add_argument('--only', default='',
                    help='only the runs whose id contains this')
    return ap.parse_args()


def run_cells(name, bench, args, cells, kind, run_id, run, show, guess_s):
    """Run the @cells whose run_id(*cell) contains args.only and that
    args.results has no @kind record of yet, each as run(setup, *cell),
    appending each record to args.results and printing show(record).
    A run whose QEMU goes away is recorded with its error.
    The first run probes the accelerator and the link, once for all."""
    done = load(args.results)
    setup = next((r for r in done if r['kind'] == 'setup'), None)
    if not setup:
        print(f'{name}: probing the accelerator and measuring the link')
        setup = bench.setup()
        append(args.results, setup)
    print(f'{name}: {setup["accel"]}, link '
          f'{setup["link-bandwidth"] * 8 / 1e9:.2f} Gbit/s')

    finished = {r['id'] for r in done if r['kind'] == kind}
    todo = [c for c in cells
            if run_id(*c) not in finished and args.only in run_id(*c)]
    took = []
    for i, cell in enumerate(todo):
        eta = (statistics.mean(took) if took else guess_s) * (len(todo) - i)
        print(f'{name}: [{i + 1}/{len(todo)}] {run_id(*cell)}  '
              f'(ETA {fmt_s(eta)})', flush=True)
        t = time.monotonic()
        try:
            record = run(setup, *cell)
        except (QMPError, OSError, EOFError) as e:
            # a QEMU went away (the host's OOM killer, a crash): the run
            # is recorded as failed and the benchmark goes on
            record = {'kind': kind, 'id': run_id(*cell),
                      'error': f'a QEMU went away: {type(e).__name__} {e}'}
        took.append(time.monotonic() - t)
        record['wall-s'] = round(took[-1], 1)
        record.setdefault('commit', commit())
        append(args.results, record)
        print(f'{name}:   {show(record)}', flush=True)


def show_run(record):
    """A run's predictions and outcome, on a line"""
    act = record.get('actual', {})
    preds = ', '.join(
        f'{mode} {m["estimate"]["verdict"]} '
        f'{m["estimate"].get("total-time", "-")} ms'
        for mode, m in record.get('modes', {}).items())
    if record.get('live'):
        half = min(record['live'],
                   key=lambda a: abs(a['t'] - record['live'][-1]['t'] / 2))
        preds += (f'; live at {half["t"]:.1f} s: {half["verdict"]}, '
                  f'{half.get("remaining-time", "-")} ms left')
    return (f'predicted {preds or "-"}; '
            f'actual {act.get("total-time", "-")} ms '
            f'({act.get("status", record.get("error"))})')


def main():
    args = arguments(__doc__, quick=True)
    bench = Bench(args)
    run_cells('bench', bench, args, matrix(args.quick), 'run', run_id,
              bench.run, show_run, 40)

if __name__ == '__main__':
    main()
