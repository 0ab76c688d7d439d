#!/usr/bin/env python3
#
# An operator's view of query-migration-estimate: measure a guest's
# dirty page curve and print the estimate, watch a migration with its
# live estimate, and plot both.
#
# SPDX-License-Identifier: GPL-2.0-or-later

"""
Usage: migration-estimate.py (--qmp SOCKET | --domain NAME) COMMAND ...

  measure   run calc-dirty-rate with a progress bar, then print the
            estimate table and the advice
  watch     follow a migration: time left, verdict, and what would make
            it converge, from the live estimate
  plot      PNG plots: the dirty page curve with its range, the map of
            bandwidth x downtime-limit, and a watched migration's
            estimated against actual time left

With --domain, the commands go through `virsh qemu-monitor-command`
(with --connect, to that libvirt URI), and measure also estimates the
migration libvirt will start: libvirt keeps QEMU's downtime-limit, but
sends its own max-bandwidth as the migration starts, the speed of
`virsh migrate-setspeed`, else none at all; without a rate limit, the
estimate goes as fast as the sender does, as calc-dirty-rate timed it,
unless the link's speed (--link-bandwidth) holds it back more.  watch
ends when the guest has left the host.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

sys.path.append(os.path.join(os.path.dirname(__file__), '..', 'python'))
# pylint: disable=wrong-import-position
from qemu.qmp.legacy import QEMUMonitorProtocol

# libvirt's max-bandwidth when nobody set one, in MiB/s: INT64_MAX bytes
LIBVIRT_UNLIMITED_MIB = (2 ** 63 - 1) // (1024 * 1024)
MIB = 1024 * 1024

# The two-sided 95% normal quantile, as dirty-curve.h has it
CONFIDENCE_Z = 1.96
BAR_WIDTH = 30


class CommandError(Exception):
    """A QMP command failed"""


class GuestGone(CommandError):
    """libvirt no longer runs the guest here"""


class Monitor:
    """QMP over a socket, or through libvirt's qemu-monitor-command"""

    def __init__(self, qmp=None, domain=None, connect=None):
        self.domain = domain
        self.virsh_cmd = ['virsh'] + (['-c', connect] if connect else [])
        self.qmp = None
        if qmp:
            self.qmp = QEMUMonitorProtocol(qmp)
            self.qmp.connect()

    def cmd(self, name, **args):
        """Run a QMP command; its return value, or SystemExit on error"""
        if self.qmp:
            rsp = self.qmp.cmd_raw(name, args)
        else:
            req = json.dumps({'execute': name, 'arguments': args})
            rsp = json.loads(self.virsh('qemu-monitor-command', req))
        if 'error' in rsp:
            raise CommandError(f'{name}: {rsp["error"]["desc"]}')
        return rsp['return']

    def hmp(self, line):
        return self.cmd('human-monitor-command', **{'command-line': line})

    def virsh(self, command, *args):
        """virsh @command on the domain; its output"""
        out = subprocess.run([*self.virsh_cmd, command, self.domain, *args],
                             capture_output=True, text=True, check=False)
        if out.returncode:
            err = out.stderr.strip()
            # a migrated transient guest is gone; a persistent one is shut
            if any(gone in err for gone in ('failed to get domain',
                                            'Domain not found',
                                            'domain is not running')):
                raise GuestGone(err)
            raise CommandError(err)
        return out.stdout

    def close(self):
        if self.qmp:
            self.qmp.close()


def bar(done):
    """A progress bar for a share @done from 0 to 1"""
    full = round(max(0.0, min(1.0, done)) * BAR_WIDTH)
    return '[' + '#' * full + '.' * (BAR_WIDTH - full) + ']'


def seconds(ms):
    """Milliseconds as HMP writes them: "850ms", "1.4s", "1m55s", "1h02m" """
    if ms < 1000:
        return f'{ms}ms'
    if ms < 59950:
        return f'{ms / 1000:.1f}s'
    s = round(ms / 1000)
    if s < 3600:
        return f'{s // 60}m{s % 60:02}s'
    return f'{s // 3600}h{s // 60 % 60:02}m'


def rate(bytes_per_s):
    """A bandwidth in bits per second, and as QMP takes it"""
    bits = bytes_per_s * 8
    text = f'{bits / 1e9:.3g} Gbit/s' if bits >= 1e9 else \
        f'{bits / 1e6:.3g} Mbit/s'
    return f'{text} ({bytes_per_s} B/s)'


def show(line, final=False):
    """Rewrite the current line of a terminal, or print lines elsewhere"""
    if sys.stdout.isatty():
        print('\r\033[K' + line, end='\n' if final else '', flush=True)
    else:
        print(line, flush=True)


def start_measurement(mon, args):
    """calc-dirty-rate in the mode asked for.  By default in dirty-bitmap
    mode, which counts the pages a guest rewrites with the bytes they
    held, as migration does; where that mode is not available (a KVM
    dirty ring), and with --sample-pages, by page sampling."""
    calc = {'calc-time': args.calc_time}
    if args.sample_pages is not None:
        calc['sample-pages'] = args.sample_pages
    mode = args.mode or ('page-sampling' if args.sample_pages is not None
                         else 'dirty-bitmap')
    try:
        mon.cmd('calc-dirty-rate', **calc, mode=mode)
    except CommandError:
        if args.mode or mode == 'page-sampling':
            raise
        mon.cmd('calc-dirty-rate', **calc)


def measure(mon, args):
    start_measurement(mon, args)
    start = time.monotonic()
    while True:
        info = mon.cmd('query-dirty-rate')
        took = time.monotonic() - start
        done = info['status'] != 'measuring'
        show(f'measuring {bar(1 if done else took / args.calc_time)} '
             f'{min(took, args.calc_time):.1f}/{args.calc_time}s, '
             f'{len(info.get("readings", []))} readings', final=done)
        if done:
            break
        time.sleep(args.interval)
    if info['status'] != 'measured':
        sys.exit(f'calc-dirty-rate ended {info["status"]}')
    print(mon.hmp('info migrate_estimate'), end='')
    ask = {'complete-within': args.complete_within * 1000}
    if args.link_bandwidth:
        ask['link-bandwidth'] = args.link_bandwidth
    if mon.domain:
        speed = int(mon.virsh('migrate-getspeed'))
        ask['max-bandwidth'] = speed * MIB
        where = ('Without rate limit (libvirt\'s default)'
                 if speed >= LIBVIRT_UNLIMITED_MIB else
                 f'At {speed} MiB/s (virsh migrate-setspeed)')
    est = mon.cmd('query-migration-estimate', **ask)
    if mon.domain:
        print(libvirt_line(where, est))
    print(advice_line(est))


def libvirt_line(where, est):
    """The estimate of the migration libvirt will start"""
    if not est.get('strategies'):
        return (f'{where}, as libvirt will migrate: neither the link\'s '
                'speed nor the sender\'s pace is known, give '
                '--link-bandwidth')
    cell = est['strategies'][0]['estimate']
    line = (f'{where} and downtime-limit {cell["downtime-limit"]} ms, as '
            f'libvirt will migrate: {cell["verdict"]}')
    if 'total-time' in cell:
        line += (f' in {seconds(cell["total-time"])}, downtime '
                 f'{seconds(cell["downtime"])}, '
                 f'{cell["dirty-sync-count"]} syncs')
    return line


def strategy_name(res):
    return '+'.join(res['strategy']['aids']) or 'pre-copy'


def advice_line(est):
    """What query-migration-estimate advises, on one line"""
    advice = est.get('advice')
    if not advice:
        return 'Advice: none (no bandwidth known)'
    within = seconds(advice['complete-within'])
    res = advice.get('strategy')
    if not res:
        return f'Advice: nothing completes within {within}'
    price = ''
    if 'throttle-peak' in res:
        price = (f', throttled up to {res["throttle-peak"]}% for '
                 f'{seconds(res["throttle-time"])}')
    elif 'postcopy-time' in res:
        price = (f', post-copy for {seconds(res["postcopy-time"])} with '
                 f'{res["postcopy-pages"]} pages to fault')
    return (f'Advice: {strategy_name(res)} completes within {within} '
            f'(in {seconds(res["estimate"]["total-time"])}{price})')


def watch_line(run):
    """The live estimate of a migration as a progress line, and a warning
    if it does not converge"""
    est = run['estimate']
    left = run.get('remaining-time')
    at_least = ''
    if left is None and est['verdict'] == 'uncertain':
        # no estimate, but a bound: the pages waiting take that long
        left = run.get('min-remaining-time')
        at_least = 'at least '
    if est['verdict'] == 'does-not-converge' or left is None:
        where = f'{seconds(run["elapsed"])} in'
        done = 0.0
    else:
        where = f'{at_least}{seconds(left)} left'
        done = run['elapsed'] / max(run['elapsed'] + left, 1)
    line = (f'{bar(done)} {where}, {run["dirty-sync-count"]} syncs: '
            f'{est["verdict"]}')
    warn = None
    if est['verdict'] != 'converges':
        bw = run['min-bandwidth']
        dt = run['min-downtime-limit']
        fixes = []
        if 'bandwidth' in bw:
            fixes.append(f'max-bandwidth {rate(bw["bandwidth"])}')
        if 'downtime-limit' in dt:
            fixes.append(f'downtime-limit {dt["downtime-limit"]} ms')
        warn = ('warning: this migration '
                + ('may not' if est['verdict'] == 'uncertain' else 'will not')
                + ' converge; it would with '
                + (' or '.join(fixes) or 'no rate limit or downtime-limit'))
    return line, warn


def watch(mon, args):
    log = open(args.log, 'w', encoding='utf-8') if args.log else None
    warned = None
    status = 'none'
    info = {}
    try:
        while True:
            try:
                info = mon.cmd('query-migrate')
                status = info.get('status', 'none')
                run = None
                if status in ('setup', 'active'):
                    est = mon.cmd('query-migration-estimate', **{
                        'complete-within': args.complete_within * 1000})
                    run = est.get('migration')
            except GuestGone:
                # libvirt stops the source once the destination runs
                status, info = 'completed', {}
                show('migration completed: the guest left this host',
                     final=True)
                break
            if status in ('completed', 'failed', 'cancelled'):
                break
            if not run:
                # none yet, or past the switchover
                show('waiting for a migration' if status == 'none' else
                     f'migration {status}')
            else:
                line, warn = watch_line(run)
                show(line)
                if warn and warn != warned:
                    show(warn, final=True)
                    advice = advice_line(est)
                    show(advice, final=True)
                warned = warn
                if log:
                    log.write(json.dumps({'estimate': run}) + '\n')
            time.sleep(args.interval)
        total = info.get('total-time')
        if info:
            show(f'migration {status}'
                 + (f' in {seconds(total)}' if total else '')
                 + (f', downtime {info["downtime"]} ms'
                    if 'downtime' in info else ''), final=True)
        if log:
            log.write(json.dumps({'final': info}) + '\n')
    finally:
        if log:
            log.close()
    return 0 if status == 'completed' else 1


def wilson(hits, n):
    """The 95% Wilson score interval of @hits in @n, as proportions"""
    z = CONFIDENCE_Z
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n +
                                           z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def plot_curve(plt, mon, path):
    info = mon.cmd('query-dirty-rate', **{'calc-time-unit': 'millisecond'})
    readings = info.get('readings')
    if not readings:
        sys.exit('no dirty page curve: run calc-dirty-rate first')
    t = [r['elapsed'] / 1000 for r in readings]
    pages = [r['dirty-pages'] for r in readings]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t, pages, 'o-', label='distinct pages dirtied')
    n = info.get('sampled-pages')
    if n and all('sampled-dirty-pages' in r for r in readings):
        lo, hi = [], []
        for r in readings:
            hits = r['sampled-dirty-pages']
            scale = r['dirty-pages'] * n / hits if hits else 0
            a, b = wilson(hits, n)
            lo.append(a * scale if hits else 0)
            hi.append(b * scale if hits else b * info['total-pages'])
        ax.fill_between(t, lo, hi, alpha=0.3, label='95% interval')
    ax.set_xlabel('elapsed (s)')
    ax.set_ylabel('pages')
    ax.set_title(f'Dirty page curve ({info["mode"]})')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def plot_map(plt, mon, path):
    """Total time over a grid of bandwidths and downtime-limits, with the
    lowest converging bandwidth of each downtime-limit"""
    bws = [round(100e6 / 8 * 2 ** (i / 2)) for i in range(16)]
    dts = [50, 100, 200, 300, 500, 1000, 2000, 5000]
    est = mon.cmd('query-migration-estimate', bandwidths=bws,
                  **{'downtime-limits': dts})
    grid = [[math.nan] * len(dts) for _ in bws]
    for i, row in enumerate(est['bandwidths']):
        for cell in row['estimates']:
            if 'downtime-limit' in cell and cell['verdict'] == 'converges':
                grid[i][dts.index(cell['downtime-limit'])] = \
                    cell['total-time'] / 1000
    fig, ax = plt.subplots(figsize=(7, 4))
    mesh = ax.pcolormesh(range(len(dts) + 1), range(len(bws) + 1), grid,
                         cmap='viridis_r')
    fig.colorbar(mesh, label='total time (s); blank: does not converge')
    edge = {m['downtime-limit']: m.get('bandwidth')
            for m in est['min-bandwidth']}
    xs = [j + 0.5 for j, d in enumerate(dts) if edge.get(d)]
    ys = [math.log2(edge[d] / bws[0]) * 2 + 0.5 for d in dts if edge.get(d)]
    ax.plot(xs, ys, 'r.-', label='lowest converging bandwidth')
    ax.set_xticks([j + 0.5 for j in range(len(dts))], [str(d) for d in dts])
    ax.set_yticks([i + 0.5 for i in range(0, len(bws), 2)],
                  [f'{bws[i] * 8 / 1e9:.2g}' for i in range(0, len(bws), 2)])
    ax.set_xlabel('downtime-limit (ms)')
    ax.set_ylabel('bandwidth (Gbit/s)')
    ax.set_title('Estimated migration time')
    ax.legend(loc='upper right')
    fig.tight_layout()
    fig.savefig(path)


def plot_watch(plt, log, path):
    """A watched migration's estimated time left against the real one"""
    with open(log, encoding='utf-8') as f:
        entries = [json.loads(x) for x in f if x.strip()]
    final = next((e['final'] for e in entries if 'final' in e), None)
    if not final or 'total-time' not in final:
        sys.exit(f'{log}: the migration did not complete')
    runs = [e['estimate'] for e in entries
            if 'estimate' in e and 'remaining-time' in e['estimate']]
    t = [r['elapsed'] / 1000 for r in runs]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t, [r['remaining-time'] / 1000 for r in runs], '.-',
            label='estimated')
    ax.fill_between(t, [r.get('min-remaining-time', r['remaining-time'])
                        / 1000 for r in runs],
                    [r.get('max-remaining-time', r['remaining-time'])
                     / 1000 for r in runs], alpha=0.3, label='range')
    ax.plot(t, [max(0, final['total-time'] - r['elapsed']) / 1000
                for r in runs], 'k--', label='actual')
    ax.set_xlabel('elapsed (s)')
    ax.set_ylabel('time left (s)')
    ax.set_title('Time left: estimated and actual')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def plot(mon, args):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    os.makedirs(args.out, exist_ok=True)
    written = []
    if mon:
        for name, fn in (('curve.png', plot_curve), ('map.png', plot_map)):
            fn(plt, mon, os.path.join(args.out, name))
            written.append(name)
    if args.log:
        plot_watch(plt, args.log, os.path.join(args.out, 'remaining.png'))
        written.append('remaining.png')
    print('wrote ' + ', '.join(os.path.join(args.out, w) for w in written))


def main():
    ap = argparse.ArgumentParser(
        description='Estimate, watch and plot a live migration')
    where = ap.add_mutually_exclusive_group()
    where.add_argument('--qmp', help='the QMP socket of the source QEMU')
    where.add_argument('--domain', help='a libvirt domain, through virsh')
    ap.add_argument('--connect', help='with --domain: the libvirt URI')
    sub = ap.add_subparsers(dest='command', required=True)
    m = sub.add_parser('measure', help='measure, then print the estimate')
    m.add_argument('--calc-time', type=int, default=10,
                   help='seconds to measure (default 10)')
    m.add_argument('--mode', choices=('page-sampling', 'dirty-bitmap'),
                   help='how to measure (default dirty-bitmap, which sees '
                   'pages rewritten with the same bytes)')
    m.add_argument('--sample-pages', type=int)
    m.add_argument('--link-bandwidth', type=int,
                   help='the link\'s speed in bytes/s, for a migration '
                   'without rate limit')
    w = sub.add_parser('watch', help='follow a migration')
    w.add_argument('--log', help='record every live estimate to this file')
    for p in (m, w):
        p.add_argument('--interval', type=float, default=0.5,
                       help='seconds between polls (default 0.5)')
        p.add_argument('--complete-within', type=int, default=3600,
                       help='the deadline of the advice, in seconds')
    p = sub.add_parser('plot', help='write PNG plots')
    p.add_argument('--out', default='.', help='directory for the PNGs')
    p.add_argument('--log', help='a log of watch, to plot its time left')
    args = ap.parse_args()

    if args.command != 'plot' and not (args.qmp or args.domain):
        ap.error(f'{args.command} needs --qmp or --domain')
    mon = Monitor(args.qmp, args.domain, args.connect) \
        if args.qmp or args.domain else None
    try:
        if args.command == 'measure':
            measure(mon, args)
        elif args.command == 'watch':
            return watch(mon, args)
        else:
            plot(mon, args)
    except CommandError as e:
        sys.exit(str(e))
    finally:
        if mon:
            mon.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
