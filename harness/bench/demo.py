#!/usr/bin/python3
"""make demo: predict a live migration, then run it and compare.

Boots a guest that dirties memory in a known way (migration-test's boot
block: every page from 1 MiB to 100 MiB, over and over), measures its
dirty page curve, prints the estimate table, then migrates it to a second
QEMU on this machine at one cell of the table, printing the live
estimate that 'info migrate' shows as it goes, and prints what was
predicted against what happened.
"""

import argparse
import os
import sys

from qemu_guest import Guest, disk_boot, migrate


def boot(args):
    """Boot under KVM if a guest really runs there, else under TCG."""
    accels = ['kvm', 'tcg'] if os.access('/dev/kvm', os.R_OK | os.W_OK) else ['tcg']
    for accel in accels:
        g = Guest(args.qemu, args.work, accel, disk_boot(args.disk),
                  mem_mb=args.mem_mb)
        try:
            g.connect(10)
            if g.running_guest_code(30):
                return g, accel
            print(f'demo: the guest does not run under {accel}, trying the next accelerator')
        except RuntimeError as e:
            print(f'demo: {accel}: {e.strip() if isinstance(e, str) else e}')
        g.close()
    sys.exit('demo: could not boot the guest under any accelerator')


# How far above the lowest converging bandwidth the demo's cell lies: a
# cell at the edge converges or not as the host's load shifts the guest
MARGIN = 1.2


def pick_cell(estimate):
    """The converging cell with the lowest bandwidth, the longest
    migration, among those clear of the edge."""
    lowest = {m['downtime-limit']: m.get('highest', m.get('bandwidth'))
              for m in estimate['min-bandwidth']}
    cells = [dict(c, bandwidth=row['bandwidth'])
             for row in estimate['bandwidths'] for c in row['estimates']
             if c['verdict'] == 'converges' and 'downtime-limit' in c and
             lowest.get(c['downtime-limit']) and
             row['bandwidth'] >= MARGIN * lowest[c['downtime-limit']]]
    return min(cells, key=lambda c: (c['bandwidth'], c['downtime-limit']))


def migrate_at(args, src, accel, cell):
    """Migrate @src at @cell's parameters, printing the estimate line of
    'info migrate' every quarter of a second; return query-migrate's
    answer."""
    dst = Guest(args.qemu, args.work, accel, disk_boot(args.disk),
                mem_mb=args.mem_mb, extra=['-incoming', 'defer'],
                name='destination')
    shown = []

    def show(t, info):
        if shown and t < shown[-1] + 0.25:
            return
        line = next((x for x in src.hmp('info migrate').splitlines()
                     if x.startswith('Estimate:')), None)
        if line:
            shown.append(t)
            print(f'  {t:5.2f} s  {line.split(None, 1)[1]}')

    print('(qemu) info migrate   [its Estimate line, as the migration goes]')
    info = migrate(src, dst, f'unix:{args.work}/migration.sock',
                   {'max-bandwidth': cell['bandwidth'],
                    'downtime-limit': cell['downtime-limit']},
                   3 * cell['total-time'] / 1000 + 60, show)
    print()
    return info


def fmt_bw(b):
    return f'{b * 8 / 1e9:.3g} Gbit/s' if b >= 125e6 else f'{b * 8 / 1e6:.3g} Mbit/s'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--disk', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--calc-time', type=int, default=3)
    ap.add_argument('--mem-mb', type=int, default=512)
    args = ap.parse_args()

    g, accel = boot(args)
    try:
        print(f'demo: a {args.mem_mb} MiB guest running under {accel} keeps '
              'rewriting every page from 1 MiB to 100 MiB')
        print(f'demo: measuring its dirty page curve for {args.calc_time} s '
              '(calc-dirty-rate with only calc-time given)\n')
        g.measure(**{'calc-time': args.calc_time})
        print(g.hmp('info dirty_rate'))
        print('(qemu) info migrate_estimate')
        print(g.hmp('info migrate_estimate'))

        cell = pick_cell(g.cmd('query-migration-estimate'))
        print(f'demo: migrating to a second QEMU over a unix socket with '
              f'max-bandwidth {fmt_bw(cell["bandwidth"])} and '
              f'downtime-limit {cell["downtime-limit"]} ms\n')
        info = migrate_at(args, g, accel, cell)
        if info['status'] != 'completed':
            sys.exit(f'demo: the migration did not complete: {info["status"]}')
        ram = info['ram']
        rows = [('total time (ms)', cell['total-time'], info['total-time']),
                ('live phase (ms)', cell['total-time'] - cell['downtime'],
                 info['total-time'] - info['downtime']),
                ('downtime (ms)', cell['downtime'], info['downtime']),
                ('dirty syncs', cell['dirty-sync-count'], ram['dirty-sync-count']),
                ('bytes sent', cell['transferred'], ram['transferred'])]
        print(f'{"":18}{"predicted":>14}{"actual":>14}{"error":>9}')
        for name, want, got in rows:
            print(f'{name:18}{want:>14}{got:>14}{(want - got) / got:>+9.1%}')
        print(f'\nThe final stop-and-copy is not rate limited: it goes as fast '
              f'as the link and the\nsender go.  QEMU cannot know the link\'s '
              f'speed, so without link-bandwidth (or\navail-switchover-bandwidth) '
              f'the estimate gives the downtime at the sender\'s own\npace, '
              f'as calc-dirty-rate timed it, within a range up to the time at '
              f'max-bandwidth:\n{cell["downtime"]} ms '
              f'({cell["min-downtime"]}-{cell["max-downtime"]} ms) here.')
    finally:
        g.close()


if __name__ == '__main__':
    main()
