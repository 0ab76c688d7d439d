#!/usr/bin/python3
"""make check-libvirt: the migration estimate through libvirt, as an
operator would use it.

Two libvirt hosts on this machine (libvirt_host.py); a Linux guest on
the first, with the built QEMU as its <emulator>, running the stress
workload.  Then:
  1. virsh domdirtyrate-calc measures its dirty page curve, as libvirt
     sends it: calc-time only;
  2. virsh qemu-monitor-command runs query-migration-estimate, with the
     parameters libvirt will migrate with, and `info migrate_estimate`;
     the operator's tool (scripts/migration-estimate.py --domain)
     measures and prints the same;
  3. virsh migrate --live takes the guest to the second host at the
     lowest of a few bandwidths that is twice what the estimate says it
     needs at the most (away from the edge, where a sync more or less
     is noise), with migration-estimate.py watch following it;
  4. virsh domjobinfo --completed on the second host tells what the
     migration did, beside what the estimate said.
Every process either host started is gone at the end.

Usage: check-libvirt.py TREE OBJ KERNEL WORK
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from libvirt_host import (Host, domain_xml, dirty_rate, exit_on_sigterm,
                          jobinfo, migrate_args, wait_file)

MIB = 1024 * 1024
DOM = 'estimate-guest'
# a 512 MiB guest rewriting a 26 MiB hot set and the rest of 256 MiB now
# and then
MEM_MB = 512
WORKLOAD = 'profile=hotcold wss=256 rate=32 hotwrites=90 hotmem=10'
# what virsh migrate-setspeed takes, in MiB/s, lowest first
SPEEDS = (30, 60, 120, 240)
DOWNTIME_LIMIT_MS = 300
DEADLINE_S = 120


def check(cond, what):
    print(('ok    ' if cond else 'FAIL  ') + what, flush=True)
    if not cond:
        raise SystemExit(1)


def tool(tree, uri, *args):
    """The command line of scripts/migration-estimate.py against the
    guest, through virsh"""
    return ['/usr/bin/python3',
            os.path.join(tree, 'scripts', 'migration-estimate.py'),
            '--connect', uri, '--domain', DOM, *args]


def main():
    tree, obj, kernel, work = (os.path.abspath(a) for a in sys.argv[1:5])
    serial = os.path.join(work, 'serial.log')
    src = Host(os.path.join(work, 'src'), 'estimate-src')
    dst = Host(os.path.join(work, 'dst'), 'estimate-dst')
    start = time.monotonic()
    exit_on_sigterm()
    try:
        src.start()
        dst.start()
        check(src.virsh('hostname').strip() != dst.virsh('hostname').strip(),
              'two libvirt hosts, each with a hostname of its own')

        xml = os.path.join(work, 'guest.xml')
        with open(xml, 'w') as f:
            f.write(domain_xml(
                DOM, os.path.join(obj, 'qemu-system-x86_64'), kernel,
                os.path.join(obj, 'tests/migration-stress/initrd-stress.img'),
                f'console=ttyS0 panic=-1 quiet ramsize=1 {WORKLOAD}',
                MEM_MB, serial))
        src.virsh('create', xml)
        check(wait_file(serial, b': steady', 180),
              'the guest runs its workload under libvirt')
        # settled: three of its once-a-second reports of its writes
        with open(serial, 'rb') as f:
            steady = f.read().index(b': steady')
        check(wait_file(serial, b'page writes/s', 10, steady, count=3),
              'the workload runs steadily')

        stats = dirty_rate(src, DOM, 5)
        check('dirtyrate.megabytes_per_second' in stats,
              'virsh domdirtyrate-calc --seconds 5: '
              f'{stats.get("dirtyrate.megabytes_per_second")} MB/s')

        # what libvirt will use: it keeps QEMU's downtime-limit, and sends
        # its own max-bandwidth as the migration starts
        src.virsh('migrate-setmaxdowntime', DOM, str(DOWNTIME_LIMIT_MS))
        est = src.qmp(DOM, 'query-migration-estimate',
                      bandwidths=[s * MIB for s in SPEEDS],
                      **{'downtime-limits': [DOWNTIME_LIMIT_MS],
                         'deadline': DEADLINE_S * 1000})
        cells = {row['bandwidth'] // MIB: row['estimates'][0]
                 for row in est['bandwidths']}
        converging = [s for s in SPEEDS
                      if cells[s]['verdict'] == 'converges']
        check(converging, 'virsh qemu-monitor-command '
              'query-migration-estimate: converges at '
              f'{converging} MiB/s with {DOWNTIME_LIMIT_MS} ms')
        need = est['min-bandwidth'][0]['highest']
        speed = next((s for s in converging if s * MIB >= 2 * need),
                     converging[-1])
        cell = cells[speed]
        print(f'      needs {need / MIB:.1f} MiB/s at the most: migrating '
              f'at {speed}')

        hmp = src.virsh('qemu-monitor-command', '--hmp', DOM,
                        'info migrate_estimate')
        check('Lowest bandwidth that converges' in hmp and
              '300ms' in hmp,
              'virsh qemu-monitor-command --hmp info migrate_estimate')

        # libvirt's own speed, sent when the migration starts
        src.virsh('migrate-setspeed', DOM, str(speed))
        est = src.qmp(DOM, 'query-migration-estimate',
                      **{'max-bandwidth': speed * MIB,
                         'deadline': DEADLINE_S * 1000})
        check(est['strategies'][0]['estimate'] == cell,
              'the estimate at the cell libvirt will use '
              f'({speed} MiB/s, {DOWNTIME_LIMIT_MS} ms) is that cell')

        out = subprocess.run(tool(tree, src.uri, 'measure', '--calc-time',
                                  '3'), capture_output=True, text=True,
                             timeout=DEADLINE_S * 2)
        check(out.returncode == 0 and 'Estimated migration time' in
              out.stdout and 'Advice:' in out.stdout and
              f'At {speed} MiB/s (virsh migrate-setspeed)' in out.stdout,
              'migration-estimate.py --domain measure: the table, the '
              'advice and libvirt\'s cell')
        print(out.stdout)

        log = os.path.join(work, 'watch.log')
        watcher = subprocess.Popen(
            tool(tree, src.uri, 'watch', '--log', log, '--interval', '0.5'),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # the watcher waits for the migration; it may start at once
        before = os.path.getsize(serial)
        t = time.monotonic()
        src.virsh(*migrate_args(DOM, dst), timeout=DEADLINE_S)
        took = time.monotonic() - t
        watched = watcher.communicate(timeout=60)[0]
        check(dst.virsh('domstate', DOM).strip() == 'running',
              f'virsh migrate --live to the second host, in {took:.1f} s')
        print(watched)
        check(watcher.returncode == 0 and 'migration completed' in watched,
              'migration-estimate.py --domain watch followed it to the end')

        job = jobinfo(dst.virsh('domjobinfo', DOM, '--completed'))
        check(job.get('Job type') == 'Completed',
              'virsh domjobinfo --completed on the second host')
        # libvirt's times run from the start of its job, the destination
        # QEMU's start among it, to the destination running
        print(f'{"":12} {"estimate":>10} {"domjobinfo":>10}')
        for name, key, field, unit, scale in (
                ('syncs', 'dirty-sync-count', 'Iteration', '', 1),
                ('sent', 'transferred', 'Memory processed', 'MiB', MIB),
                ('total time', 'total-time', 'Time elapsed', 's', 1000),
                ('downtime', 'downtime', 'Total downtime', 'ms', 1)):
            print(f'{name:12} {cell.get(key, 0) / scale:>10.1f} '
                  f'{job.get(field, 0) / scale:>10.1f} {unit}')
        check(job.get('Iteration', 0) >= 2,
              'the migration iterated, as the estimate had it '
              f'({cell["dirty-sync-count"]} syncs predicted, '
              f'{job.get("Iteration"):.0f} done)')
        check(wait_file(serial, b'page writes/s', 10, before),
              'the guest goes on writing on the second host')
    finally:
        src.stop()
        dst.stop()
    left = src.processes() + dst.processes()
    check(not left, f'every process the hosts started is gone ({left})')
    print(f'check-libvirt: passed in {time.monotonic() - start:.0f} s')


if __name__ == '__main__':
    main()
