#!/usr/bin/python3
"""What a dirty page curve measurement costs, by guest size.

Boots migration-test's boot block in guests of each size given, with
preallocated RAM up to --prealloc-max-mb (so that every sampled page is
real memory; a larger guest reserves none, and its untouched pages are
the host's shared zero page, which hashes faster), and runs calc-dirty-rate in page-sampling
mode at QEMU's default sample and at 512 samples per GiB, and in
dirty-bitmap mode.  From QEMU's trace events it reports:

- page-sampling: the time to pick and hash the samples at the start, and
  to hash them again at each reading;
- dirty-bitmap: the time to count the zero pages at the start, and how
  long each dirty log sync holds the BQL;
- for all: the guest's progress (boot block passes per second) while
  measuring, against while not.

Usage: bench-dirty-cost.py QEMU BOOT-DISK WORK-DIR [--mem-mb N ...]
       [--accel A]
"""

import argparse
import re
import statistics
import subprocess
import time

from qemu_guest import Guest, disk_boot

# in the order parse() returns their durations
TRACES = ('dirtyrate_sample_start', 'dirtyrate_reading',
          'dirtyrate_bitmap_sync')


def parse(trace_file, since):
    """The durations, in us, of the start, the readings and the syncs."""
    with open(trace_file) as f:
        lines = f.readlines()[since:]

    def durations(event):
        found = (re.search(event + r' .* (\d+) us', x) for x in lines)
        return [int(m.group(1)) for m in found if m]

    return [durations(event) for event in TRACES]


def rate(g, seconds):
    p0, t0 = g.passes(), time.monotonic()
    time.sleep(seconds)
    return (g.passes() - p0) / (time.monotonic() - t0)


def measure_guest(args, mem_mb):
    trace = f'{args.work}/bench-dirty-cost.trace'
    extra = ['-D', trace]
    if mem_mb <= args.prealloc_max_mb:
        extra.append('-mem-prealloc')
    else:
        # more than the host has: reserve no swap for it
        extra += ['-object',
                  f'memory-backend-ram,id=ram,size={mem_mb}M,reserve=off',
                  '-machine', 'memory-backend=ram']
    for t in TRACES:
        extra += ['-trace', t]
    g = Guest(args.qemu, args.work, args.accel, disk_boot(args.disk),
              mem_mb=mem_mb, extra=extra, stderr=subprocess.DEVNULL)
    try:
        g.connect(300)
        if not g.running_guest_code(300):
            raise SystemExit('the guest did not run')
        print(f'guest: {mem_mb} MiB, '
              f'{"preallocated" if "-mem-prealloc" in extra else "not preallocated"}, '
              f'{args.accel}; calc-time {args.calc_time} s')
        idle = rate(g, args.calc_time)
        print(f'  boot block passes/s, not measuring: {idle:.1f}')
        cases = [('page-sampling', {}),
                 ('page-sampling', {'sample-pages': 512}),
                 ('dirty-bitmap', {})]
        for mode, extra_args in cases:
            with open(trace) as f:
                since = len(f.readlines())
            p0, t0 = g.passes(), time.monotonic()
            info = g.measure(**{'calc-time': args.calc_time, 'mode': mode,
                                **extra_args})
            busy = (g.passes() - p0) / (time.monotonic() - t0)
            start, reads, syncs = parse(trace, since)
            label = mode + (f' {extra_args["sample-pages"]}/GiB'
                            if extra_args else
                            ' default' if mode == 'page-sampling' else '')
            print(f'  {label}: {info["sampled-pages"]} pages sampled; '
                  f'start {start[0] / 1000:.1f} ms; '
                  f'reading median {statistics.median(reads) / 1000:.1f} ms, '
                  f'max {max(reads) / 1000:.1f} ms over {len(reads)}; '
                  + (f'BQL held per sync median '
                     f'{statistics.median(syncs) / 1000:.2f} ms, '
                     f'max {max(syncs) / 1000:.2f} ms; ' if syncs else '')
                  + f'guest passes/s {busy:.1f}'
                  + (f' ({busy / idle:.0%} of idle)' if idle else ''),
                  flush=True)
    finally:
        g.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('qemu')
    ap.add_argument('disk')
    ap.add_argument('work')
    ap.add_argument('--mem-mb', type=int, nargs='+', default=[4096])
    ap.add_argument('--prealloc-max-mb', type=int, default=16384)
    ap.add_argument('--accel', default='tcg')
    ap.add_argument('--calc-time', type=int, default=4)
    args = ap.parse_args()
    for mem_mb in args.mem_mb:
        measure_guest(args, mem_mb)


if __name__ == '__main__':
    main()
