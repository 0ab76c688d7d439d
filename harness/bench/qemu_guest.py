"""A QEMU process driven over QMP, for the demo and the benchmarks."""

import os
import subprocess
import time

from qemu.qmp.legacy import QEMUMonitorProtocol
from qemu.qmp.protocol import ConnectError


def disk_boot(disk):
    """The arguments that boot a raw disk image (the boot block)."""
    return ['-drive', f'file={disk},format=raw,if=ide']


def kernel_boot(kernel, initrd, append):
    """The arguments that boot a kernel and initrd directly."""
    return ['-kernel', kernel, '-initrd', initrd, '-append', append]


class Guest:
    """A QEMU process with a QMP socket and a serial log."""

    def __init__(self, qemu, work, accel, boot, mem_mb=150, extra=(),
                 stderr=subprocess.PIPE, name=None):
        name = name or accel
        self.sock = os.path.join(work, f'qmp-{name}.sock')
        self.serial = os.path.join(work, f'serial-{name}.log')
        for f in (self.sock, self.serial):
            if os.path.exists(f):
                os.unlink(f)
        self.proc = subprocess.Popen(
            [qemu, '-M', 'pc', '-accel', accel, '-m', f'{mem_mb}M',
             '-nodefaults', '-display', 'none', *boot,
             '-serial', f'file:{self.serial}',
             '-qmp', f'unix:{self.sock},server=on,wait=off', *extra],
            stdout=subprocess.DEVNULL, stderr=stderr, text=True)
        self.qmp = None

    def console(self):
        """What the guest has printed on its serial port so far."""
        with open(self.serial, 'rb') as f:
            return f.read()

    def passes(self):
        """How many passes over its memory the boot block has made."""
        return self.console().count(b'B')

    def wait_console(self, text, timeout):
        """True once the guest has printed @text (bytes) on its console."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.console():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def running_guest_code(self, timeout):
        """True once the boot block prints its 'B's: the guest really runs."""
        return self.wait_console(b'BB', timeout)

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
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('QEMU did not start')
            # the socket exists a moment before QEMU listens on it
            if os.path.exists(self.sock):
                try:
                    self.qmp = QEMUMonitorProtocol(self.sock)
                    self.qmp.connect()
                    return
                except (ConnectionError, ConnectError):
                    # once, under load, the greeting came garbled: retry
                    self.qmp = None
            time.sleep(0.05)

    def cmd(self, name, **args):
        return self.qmp.cmd(name, **args)

    def hmp(self, line):
        return self.cmd('human-monitor-command', **{'command-line': line})

    def close(self):
        if self.qmp:
            try:
                self.qmp.cmd('quit')
            except Exception:
                pass
            try:
                self.qmp.close()
            except Exception:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# How often migrate() calls its @poll
POLL_S = 0.1


def set_capabilities(guest, caps):
    """Turn the migration capabilities @caps (names) on in @guest."""
    if caps:
        guest.cmd('migrate-set-capabilities', capabilities=[
            {'capability': c, 'state': True} for c in caps])


def migrate(src, dst, uri, params, timeout, poll=None, caps=(),
            dst_caps=(), done=None, dst_params=None):
    """Migrate @src into @dst, just started with -incoming defer, over
    @uri (a TCP port 0 is the one the destination gets) with the
    migration parameters @params and the capabilities @caps (and
    @dst_caps and @dst_params on @dst), then close @dst.  Past @timeout
    seconds the migration is cancelled.  While it runs, calls @poll
    every POLL_S seconds with the seconds since it started and
    query-migrate's answer then; once it completed, @done with @dst.
    Returns query-migrate's last answer."""
    try:
        dst.connect(10)
        set_capabilities(dst, dst_caps)
        if dst_params:
            dst.cmd('migrate-set-parameters', **dst_params)
        dst.cmd('migrate-incoming', uri=uri)
        if uri.startswith('tcp:') and uri.endswith(':0'):
            # the port the destination was given
            addr = dst.cmd('query-migrate')['socket-address'][0]
            uri = f'tcp:{addr["host"]}:{addr["port"]}'
        set_capabilities(src, caps)
        src.cmd('migrate-set-parameters', **params)
        start = time.monotonic()
        src.cmd('migrate', uri=uri)
        deadline = start + timeout
        next_poll = start
        while True:
            info = src.cmd('query-migrate')
            if info['status'] in ('completed', 'failed'):
                if done and info['status'] == 'completed':
                    done(dst)
                return info
            now = time.monotonic()
            if now > deadline:
                src.cmd('migrate_cancel')
                return info
            if poll and now >= next_poll:
                poll(now - start, info)
                next_poll += POLL_S
            time.sleep(0.05)
    finally:
        dst.close()
