#!/usr/bin/python3
"""The accuracy benchmark on libvirt's path: predicted against actual.

The same guests and workloads as bench.py, but run as libvirt runs them:
each guest is a libvirt domain on one of two libvirt hosts on this
machine (harness/libvirt/libvirt_host.py), its curve measured with
`virsh domdirtyrate-calc` (dirty-bitmap mode, then as libvirt sends it by
default: calc-time only), estimated with `virsh qemu-monitor-command`
for the migration libvirt will start, and migrated with `virsh migrate
--live` over TCP to the other host.  libvirt enables pause-before-
switchover and return-path, sets max-bandwidth as the migration starts
(--bandwidth, or no rate limit), and keeps QEMU's downtime-limit
(virsh migrate-setmaxdowntime).

What the migration did comes from two places: QEMU's own figures, from
its trace events in the domain's log (the migration's state changes,
the downtime checkpoints, and the estimate's record of each dirty sync:
libvirt reads query-migrate at the end but kills the source), and
`virsh domjobinfo --completed` on the destination, whose times are
libvirt's own: from the start of its job, including starting the
destination QEMU, to the destination running.

Cells without rate limit need the link's speed: the first run
calibrates it as bench.py does, on the final stop-and-copy of a
migration of its own.  While a migration without rate limit runs, the
benchmark also asks for its live estimate every half second, through
virsh and without the link's speed, as `migration-estimate.py watch
--domain` would: the estimate then assumes the rate the migration has
sent at so far.
"""

import datetime
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'libvirt'))
# pylint: disable=wrong-import-position
import bench
from bench import SCENARIOS, MIB, STEADY, WARMUP_S, DEADLINE_S
from libvirt_host import (Host, domain_xml, dirty_rate, jobinfo, VirshError,
                          exit_on_sigterm, migrate_args, wait_file)

DOM = 'bench-guest'
TRACE = ('migrate_set_state', 'vmstate_downtime_checkpoint',
         'migration_estimate_sync', 'query_migration_estimate')
# (scenario, bandwidth, downtime-limit, repeat, path): bandwidths a whole
# number of MiB/s, as virsh migrate --bandwidth takes them, or 0 for
# libvirt's default, no rate limit.  Each rate-limited cell also runs on
# the direct path (bench.py's: QEMU to QEMU over a unix socket, no
# libvirt) on the same day, to compare the errors.
LIMIT = 120 * MIB
CELLS = [(s, bw, 300, 1, path)
         for s in ('hotcold-1g', 'skewed-1g', 'redis-1g')
         for bw, path in ((LIMIT, 'direct'), (LIMIT, 'libvirt'),
                          (0, 'libvirt'))] + \
        [('hotcold-1g', LIMIT, 300, r, path)
         for r in (2, 3) for path in ('direct', 'libvirt')]
QUICK = [('hotcold-1g', LIMIT, 300, 1, 'direct'),
         ('hotcold-1g', LIMIT, 300, 1, 'libvirt'),
         ('hotcold-1g', 0, 300, 1, 'libvirt')]
# the log's trace lines, with -msg timestamp=on:
# "2026-12-02T07:00:37.167524Z migrate_set_state new state setup"
TRACE_LINE = re.compile(r'^(\d{4}-\d\d-\d\dT[\d:.]+)Z (\w+) (.*)$')


def run_id(scenario, bw, dt, rep, path):
    speed = f'{bw // MIB}MiBps' if bw else 'unlimited'
    return f'{scenario}/{speed}/{dt}ms/{path}/{rep}'


class LibvirtGuest:
    """A libvirt domain, driven as bench.Bench drives a QEMU"""

    def __init__(self, host, serial):
        self.host = host
        self.serial = serial

    def cmd(self, name, **args):
        return self.host.qmp(DOM, name, **args)

    def console(self):
        with open(self.serial, 'rb') as f:
            return f.read()

    def wait_console(self, text, timeout):
        return wait_file(self.serial, text, timeout)

    def measure(self, **args):
        dirty_rate(self.host, DOM, args['calc-time'], args.get('mode'))
        return self.cmd('query-dirty-rate')

    def close(self):
        try:
            self.host.virsh('destroy', DOM)
        except VirshError:
            pass


def qemu_log(path):
    """From a domain's QEMU log: the time of each state the migration
    entered, of each downtime checkpoint, and each dirty sync's record
    (as bench.read_trace has them)"""
    states, checkpoints, syncs = {}, {}, []
    with open(path, errors='replace') as f:
        for line in f:
            m = TRACE_LINE.match(line.strip())
            if not m:
                continue
            t = datetime.datetime.strptime(
                m.group(1), '%Y-%m-%dT%H:%M:%S.%f').timestamp()
            event, rest = m.group(2), m.group(3)
            if event == 'migrate_set_state':
                states.setdefault(rest.split()[-1], t)
            elif event == 'vmstate_downtime_checkpoint':
                checkpoints[rest.strip()] = t
            elif event == 'migration_estimate_sync':
                s = bench.SYNC_EVENT.search(line)
                if s:
                    syncs.append([int(x) for x in s.groups()])
    return states, checkpoints, syncs


def ms(a, b):
    return round((b - a) * 1000)


class LibvirtBench(bench.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.direct = bench.Bench(args)
        self.src = Host(os.path.join(self.work, 'src'), 'bench-src')
        self.dst = Host(os.path.join(self.work, 'dst'), 'bench-dst')
        self.src.start()
        self.dst.start()

    def stop(self):
        self.src.stop()
        self.dst.stop()

    def log(self):
        return os.path.join(self.src.root, 'log', 'qemu', f'{DOM}.log')

    def boot(self, accel, scenario, timeout=120):
        mem_mb, initrd, workload = SCENARIOS[scenario]
        initrd = self.args.app_initrd if initrd == 'redis' else \
            self.args.initrd
        serial = os.path.join(self.work, 'serial.log')
        for f in (serial, self.log()):
            if os.path.exists(f):
                os.unlink(f)
        xml = os.path.join(self.work, 'guest.xml')
        with open(xml, 'w') as f:
            f.write(domain_xml(
                DOM, self.args.qemu, self.args.kernel, initrd,
                f'console=ttyS0 panic=-1 quiet ramsize=1 {workload}',
                mem_mb, serial, TRACE))
        self.src.virsh('create', xml)
        g = LibvirtGuest(self.src, serial)
        if g.wait_console(STEADY, timeout):
            return g
        g.close()
        return None

    def migrate(self, src, accel, scenario, params, timeout, poll=None):
        """virsh migrate, as libvirt's user would; query-migrate's figures
        from QEMU's log, and libvirt's own from domjobinfo"""
        bw, dt = params['max-bandwidth'], params['downtime-limit']
        self.src.virsh('migrate-setmaxdowntime', DOM, str(dt))
        args = ['virsh', '-c', self.src.uri, *migrate_args(DOM, self.dst)]
        if bw:
            args += ['--bandwidth', str(bw // MIB)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        live = []
        watcher = None
        if not bw:
            watcher = threading.Thread(target=self.watch,
                                       args=(proc, dt, live))
            watcher.start()
        try:
            out = proc.communicate(timeout=timeout)[0]
        except subprocess.TimeoutExpired:
            try:
                self.src.virsh('domjobabort', DOM)
            except VirshError:
                pass
            out = proc.communicate()[0]
        if watcher:
            watcher.join()
        info = {'status': 'completed' if proc.returncode == 0 else
                'cancelled', 'virsh': out.strip(), 'live': live}
        states, checkpoints, syncs = qemu_log(self.log())
        start = states.get('setup')
        end = states.get('completed')
        if start and end:
            info['total-time'] = ms(start, end)
            info['setup-time'] = ms(start, states.get('active', start))
        if 'src-downtime-start' in checkpoints and end:
            down = checkpoints['src-downtime-start']
            info['downtime'] = ms(down, end)
            # from the stop: libvirt's migrate-continue, RAM, the rest
            info['checkpoints'] = {k: ms(down, t)
                                   for k, t in checkpoints.items()}
            if 'pre-switchover' in states and 'device' in states:
                info['pre-switchover-ms'] = ms(states['pre-switchover'],
                                               states['device'])
        info['syncs'] = syncs
        if syncs:
            info['dirty-sync-count'] = syncs[-1][0]
        if proc.returncode == 0:
            job = jobinfo(self.dst.virsh('domjobinfo', DOM, '--completed'))
            info['libvirt'] = job
            info['ram'] = {'transferred': int(job.get('Memory processed',
                                                      job['Data processed']))}
            info['dirty-sync-count'] = int(job.get('Iteration', 0))
            try:
                self.dst.virsh('destroy', DOM)
            except VirshError:
                pass
        return info

    def watch(self, proc, dt, live):
        """The live estimates of the migration that @proc runs, every
        half second, into @live"""
        start = time.monotonic()
        while proc.poll() is None:
            try:
                ans = self.src.qmp(DOM, 'query-migration-estimate', **{
                    'downtime-limits': [dt], 'deadline': DEADLINE_S * 1000})
            except (VirshError, ValueError):
                ans = {}                # not started, or gone
            if 'migration' in ans:
                live.append(bench.live_answer(time.monotonic() - start,
                                              ans['migration']))
                live[-1]['bandwidth'] = ans['migration']['bandwidth']
            time.sleep(0.5)

    def setup(self):
        """The speed of the final stop-and-copy over TCP through libvirt,
        as bench.py measures it: the bytes sent while the guest was
        stopped over the time they took (to the RAM's end), in a
        migration without rate limit whose last round is large (a 128
        MiB hot set, downtime-limit 1 s).  The link's speed for the
        cells without rate limit."""
        src = self.boot('tcg', 'random-hot-1g')
        if not src:
            sys.exit('bench-libvirt: the guest does not boot')
        try:
            time.sleep(WARMUP_S)
            info = self.migrate(src, 'tcg', 'random-hot-1g',
                                {'max-bandwidth': 0, 'downtime-limit': 1000},
                                DEADLINE_S)
        finally:
            src.close()
        syncs = info.get('syncs', [])
        if info['status'] != 'completed' or not syncs or \
           'src-iterable-saved' not in info.get('checkpoints', {}):
            sys.exit(f'bench-libvirt: the calibration migration '
                     f'{info["status"]}: {info.get("virsh")}')
        # the last sync is the one after the stop
        sent = info['ram']['transferred'] - syncs[-1][6]
        link = sent * 1000 // max(info['checkpoints']['src-iterable-saved'],
                                  1)
        return {'kind': 'setup', 'accel': 'tcg', 'path': 'libvirt',
                'link-bandwidth': link, 'calibration': info,
                'date': time.strftime('%Y-%m-%d %H:%M %Z')}

    def run(self, setup, scenario, bw, dt, rep, path):
        # bench.py's polling off, as libvirt's own client does not poll;
        # migrate() asks for the live estimate of unlimited runs itself
        runner = self.direct if path == 'direct' else super()
        record = runner.run(setup, scenario, bw, dt, rep, 'nopoll')
        if path == 'direct' and 'actual' in record:
            record['actual']['syncs'] = \
                bench.read_trace(self.direct.trace())[1]
        record.update(id=run_id(scenario, bw, dt, rep, path),
                      variant=path, path=path, unlimited=not bw)
        return record


def main():
    args = bench.arguments(__doc__, quick=True)
    exit_on_sigterm()
    b = LibvirtBench(args)
    try:
        bench.run_cells('bench-libvirt', b, args,
                        QUICK if args.quick else CELLS, 'run', run_id,
                        b.run, bench.show_run, 90)
    finally:
        b.stop()


if __name__ == '__main__':
    main()
