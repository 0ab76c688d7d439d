#!/usr/bin/python3
"""Tests of scripts/migration-estimate.py against a real QEMU: the boot
block of migration-test under TCG, measured, estimated, migrated while
the tool watches, and plotted.  Prints TAP.

Usage: test-tool.py TREE OBJ [KEEP-DIR]

With KEEP-DIR, the plots and the tool's output are copied there.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

TREE, OBJ = (os.path.abspath(a) for a in sys.argv[1:3])
KEEP = sys.argv[3] if len(sys.argv) > 3 else None
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(TREE, 'python'),
                os.path.join(HERE, '..', 'bench')]
# pylint: disable=wrong-import-position
from qemu_guest import Guest, disk_boot

QEMU = os.path.join(OBJ, 'qemu-system-x86_64')
TOOL = os.path.join(TREE, 'scripts', 'migration-estimate.py')
# the tool finds qemu.qmp in the tree's python/
TOOL_ENV = dict(os.environ, PYTHONPATH=os.path.join(TREE, 'python'))
MB = 1000 * 1000
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# how long any step may take on a slow host before the test gives up
GIVE_UP_S = 120

results = []


def check(name, cond, detail=''):
    results.append(cond)
    print(f'{"ok" if cond else "not ok"} {len(results)} - {name}'
          + ('' if cond else f'\n# {detail}'), flush=True)


def guest(work, name, disk, extra=()):
    """A boot block guest running its loop, with a second QMP socket
    for the tool, as @guest.tool_sock"""
    tool_sock = os.path.join(work, f'{name}-tool.sock')
    g = Guest(QEMU, work, 'tcg', disk_boot(disk), mem_mb=512, name=name,
              extra=['-qmp', f'unix:{tool_sock},server=on,wait=off',
                     *extra])
    g.tool_sock = tool_sock
    g.connect(GIVE_UP_S)
    return g


def tool(*args, sock=None):
    cmd = [sys.executable, TOOL] + (['--qmp', sock] if sock else []) + \
        list(args)
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=GIVE_UP_S, env=TOOL_ENV)


def is_png(path):
    try:
        with open(path, 'rb') as f:
            return f.read(8) == PNG_MAGIC
    except OSError:
        return False


def wait_for(path, text):
    """Wait until the file @path holds @text; whether it came in time"""
    give_up = time.monotonic() + GIVE_UP_S
    while time.monotonic() < give_up:
        with open(path, encoding='utf-8') as f:
            if text in f.read():
                return True
        time.sleep(0.1)
    return False


def main():
    print('1..12', flush=True)
    with tempfile.TemporaryDirectory() as work:
        disk = os.path.join(work, 'bootblock.img')
        subprocess.run([os.path.join(HERE, '..', 'bench', 'bootblock.sh'),
                        TREE, disk], check=True)
        src = guest(work, 'source', disk)
        try:
            check('the guest runs its loop', src.running_guest_code(GIVE_UP_S))
            run(work, disk, src)
        finally:
            src.close()
        if KEEP:
            os.makedirs(KEEP, exist_ok=True)
            for f in glob.glob(os.path.join(work, '*.png')) + \
                    glob.glob(os.path.join(work, 'watch.*')):
                shutil.copy(f, KEEP)
    return 0 if all(results) else 1


def run(work, disk, src):
    # a guest that does not converge at 20 MB/s with 125 ms...
    src.cmd('migrate-set-parameters', **{'max-bandwidth': 20 * MB,
                                         'downtime-limit': 125})
    out = tool('measure', '--calc-time', '2', '--interval', '0.2',
               sock=src.tool_sock)
    check('measure succeeds', out.returncode == 0, out.stderr)
    check('measure prints the table and the advice',
          'Estimated migration time' in out.stdout and
          'With aids, at the current' in out.stdout and
          'Advice: postcopy-ram completes within' in out.stdout, out.stdout)
    check('measure counts rewrites by default',
          'Dirty page curve: dirty-bitmap' in out.stdout and
          'not counted' not in out.stdout, out.stdout)

    out = tool('measure', '--calc-time', '1', '--mode', 'page-sampling',
               sock=src.tool_sock)
    check('page sampling says what it does not see',
          out.returncode == 0 and
          'Pages rewritten with the bytes they held are not counted' in
          out.stdout, out.stdout + out.stderr)

    out = tool('plot', '--out', work, sock=src.tool_sock)
    check('plot writes the curve and the map',
          out.returncode == 0 and is_png(os.path.join(work, 'curve.png')) and
          is_png(os.path.join(work, 'map.png')), out.stdout + out.stderr)

    out = tool('measure', '--calc-time', '2', '--sample-pages', '0',
               sock=src.tool_sock)
    check('a bad argument is an error, not a crash',
          out.returncode != 0 and 'sample-pages' in out.stderr and
          'Traceback' not in out.stderr, out.stderr)

    dst = guest(work, 'destination', disk, ['-incoming', 'defer'])
    log = os.path.join(work, 'watch.log')
    seen = os.path.join(work, 'watch.out')
    try:
        with open(seen, 'w', encoding='utf-8') as f:
            watcher = subprocess.Popen(
                [sys.executable, TOOL, '--qmp', src.tool_sock, 'watch',
                 '--interval', '0.1', '--log', log],
                stdout=f, stderr=subprocess.STDOUT, text=True,
                env=TOOL_ENV)
        uri = f'unix:{work}/migration.sock'
        dst.cmd('migrate-incoming', uri=uri)
        src.cmd('migrate', uri=uri)
        check('watch warns that it will not converge, and says what would',
              wait_for(seen, 'warning: this migration will not converge; '
                             'it would with max-bandwidth'),
              open(seen, encoding='utf-8').read())
        # ...and does with 10 s, the hot set fitting in 200 MB
        src.cmd('migrate-set-parameters', **{'downtime-limit': 10000})
        status = watcher.wait(timeout=GIVE_UP_S)
        text = open(seen, encoding='utf-8').read()
        check('watch follows the migration to its end',
              status == 0 and 'migration completed in' in text, text)
        check('watch shows the time left', ' left, ' in text, text)
    finally:
        dst.close()

    out = tool('plot', '--out', work, '--log', log)
    check('plot draws the time left of the watched migration',
          out.returncode == 0 and
          is_png(os.path.join(work, 'remaining.png')),
          out.stdout + out.stderr)
    out = tool('watch')
    check('watch without a QEMU says so', out.returncode == 2 and
          'needs --qmp or --domain' in out.stderr, out.stderr)


if __name__ == '__main__':
    sys.exit(main())
