#!/usr/bin/python3
"""Run TAP-speaking tests and sum them up as 'N passed, N failed'.

Each argument names one test program:
  meson:NAME[::ARGS]   a test meson registered in the build directory (its
                       command, environment and timeout come from
                       'meson introspect --tests'); ARGS are appended, e.g.
                       '-p /x86_64/migration/precopy/unix/plain'
  tap:COMMAND          a command that prints TAP on stdout

Every TAP line 'ok' / 'not ok' counts as one test; a program that fails or
times out without reporting a failure counts as one failed test more, and
so does one whose last plan ('1..N') does not match the tests it ran, or
that prints no plan.  A
plan of '1..0 # SKIP', a whole program skipped, counts as one skipped.
Exit status is 0 only when nothing failed.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

TAP_RE = re.compile(r'^(not ok|ok)\b(.*)$')
PLAN_RE = re.compile(r'^1\.\.(\d+)(.*)$')


def meson_tests(obj):
    out = subprocess.run(['meson', 'introspect', '--tests'], cwd=obj,
                         check=True, capture_output=True, text=True).stdout
    return {t['name']: t for t in json.loads(out)}


def run_one(label, cmd, env, cwd, timeout, log):
    """Run one TAP program; return (passed, failed, skipped)."""
    passed = failed = skipped = 0
    start = time.monotonic()
    log.write(f'### {label}: {shlex.join(cmd)}\n')
    log.flush()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=log, text=True, errors='replace',
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = f'exit {proc.returncode}'
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        status = f'timed out after {timeout}s'
    log.write(out)
    plan = None
    for line in out.splitlines():
        p = PLAN_RE.match(line)
        if p:
            plan = p
            continue
        m = TAP_RE.match(line)
        if not m:
            continue
        if re.search(r'#\s*SKIP', m.group(2), re.I):
            skipped += 1
        elif m.group(1) == 'ok':
            passed += 1
        else:
            failed += 1
            print(f'  FAIL {label}: {line}')
    ran = passed + failed + skipped
    if plan and int(plan.group(1)) == 0 and \
            re.search(r'#\s*SKIP', plan.group(2), re.I) and not ran:
        skipped += 1
        print(f'  SKIP {label}: {plan.group(2).strip()}')
    elif plan and int(plan.group(1)) != ran:
        failed += 1
        print(f'  FAIL {label}: planned {plan.group(1)} tests, ran {ran}')
    elif not plan:
        failed += 1
        print(f'  FAIL {label}: no plan (1..N): stopped before its end?')
    if (proc.returncode != 0 or status.startswith('timed')) and failed == 0:
        failed += 1
        print(f'  FAIL {label}: {status}')
    secs = time.monotonic() - start
    print(f'{"ok" if failed == 0 else "FAIL":4} {label}: {passed} passed, '
          f'{failed} failed, {skipped} skipped ({secs:.0f}s)', flush=True)
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--obj', required=True, help='meson build directory')
    ap.add_argument('--log', required=True, help='full output goes here')
    ap.add_argument('tests', nargs='+')
    args = ap.parse_args()

    known = None
    totals = [0, 0, 0]
    with open(args.log, 'w') as log:
        for spec in args.tests:
            kind, _, rest = spec.partition(':')
            if kind == 'meson':
                if known is None:
                    known = meson_tests(args.obj)
                name, _, extra = rest.partition('::')
                t = known.get(name)
                if t is None:
                    print(f'FAIL {name}: no such meson test')
                    totals[1] += 1
                    continue
                env = dict(os.environ, **t['env'])
                cmd = t['cmd'] + shlex.split(extra)
                cwd = t['workdir'] or args.obj
                # Under TCG or nested KVM tests run slower than upstream CI.
                timeout = (t['timeout'] or 60) * 3
                label = name + (f' {extra}' if extra else '')
            elif kind == 'tap':
                cmd = shlex.split(rest)
                env, cwd, timeout, label = os.environ.copy(), None, 1800, rest
            else:
                ap.error(f'unknown test kind in {spec!r}')
            for i, n in enumerate(run_one(label, cmd, env, cwd, timeout, log)):
                totals[i] += n

    print(f'full log: {args.log}')
    print(f'{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped')
    return 1 if totals[1] else 0


if __name__ == '__main__':
    sys.exit(main())
