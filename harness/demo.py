#!/usr/bin/python3
"""make demo: boot the boot-block guest and show its dirty rate."""

import argparse
import os
import subprocess
import sys
import time

from qemu.qmp.legacy import QEMUMonitorProtocol


class Guest:
    """A QEMU process with a QMP socket and a serial log."""

    def __init__(self, qemu, disk, work, accel, mem_mb=150, extra=(),
                 stderr=subprocess.PIPE):
        self.sock = os.path.join(work, f'qmp-{accel}.sock')
        self.serial = os.path.join(work, f'serial-{accel}.log')
        for f in (self.sock, self.serial):
            if os.path.exists(f):
                os.unlink(f)
        self.proc = subprocess.Popen(
            [qemu, '-M', 'pc', '-accel', accel, '-m', f'{mem_mb}M',
             '-nodefaults', '-display', 'none',
             '-drive', f'file={disk},format=raw,if=ide',
             '-serial', f'file:{self.serial}',
             '-qmp', f'unix:{self.sock},server=on,wait=off', *extra],
            stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        self.qmp = None

    def passes(self):
        """How many passes over its memory the boot block has made."""
        with open(self.serial, 'rb') as f:
            return f.read().count(b'B')

    def measure(self, **args):
        """Run calc-dirty-rate and return the query-dirty-rate result."""
        self.cmd('calc-dirty-rate', **args)
        while True:
            info = self.cmd('query-dirty-rate')
            if info['status'] == 'measured':
                return info
            time.sleep(0.05)

    def connect(self, timeout):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('QEMU did not start')
            time.sleep(0.05)
        self.qmp = QEMUMonitorProtocol(self.sock)
        self.qmp.connect()

    def running_guest_code(self, timeout):
        """True once the boot block prints its 'B's: the guest really runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.serial, 'rb') as f:
                if b'BB' in f.read():
                    return True
            time.sleep(0.1)
        return False

    def cmd(self, name, **args):
        return self.qmp.cmd(name, **args)

    def hmp(self, line):
        return self.cmd('human-monitor-command', **{'command-line': line})

    def close(self):
        try:
            if self.qmp:
                self.qmp.cmd('quit')
                self.qmp.close()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def boot(args):
    """Boot under KVM if a guest really runs there, else under TCG."""
    accels = ['kvm', 'tcg'] if os.access('/dev/kvm', os.R_OK | os.W_OK) else ['tcg']
    for accel in accels:
        g = Guest(args.qemu, args.disk, args.work, accel)
        try:
            g.connect(10)
            if g.running_guest_code(30):
                return g, accel
            print(f'demo: the guest does not run under {accel}, trying the next accelerator')
        except RuntimeError as e:
            print(f'demo: {accel}: {e.strip() if isinstance(e, str) else e}')
        g.close()
    sys.exit('demo: could not boot the guest under any accelerator')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--disk', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--calc-time', type=int, default=2)
    args = ap.parse_args()

    g, accel = boot(args)
    try:
        print(f'demo: guest running under {accel}; it rewrites every page '
              'from 1 MiB to 100 MiB in a loop')
        print(f'demo: calc-dirty-rate calc-time={args.calc_time}s, page-sampling')
        g.measure(**{'calc-time': args.calc_time, 'sample-pages': 16384})
        print(g.hmp('info dirty_rate'), end='')
    finally:
        g.close()


if __name__ == '__main__':
    main()
