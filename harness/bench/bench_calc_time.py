#!/usr/bin/env python3
"""The estimate from measurements of 1, 3 and 10 s, as a new user might
run calc-dirty-rate (default mode), against the migration that follows:
at 1 Gbit/s and without a rate limit, 300 ms, over a unix socket, TCG.

A lab probe, not a benchmark: it prints one line per migration and
appends its records to RESULTS.  Usage (from the project root, with the
guest images that make bench builds):

  PYTHONPATH=build/qemu/python /usr/bin/python3 \\
      harness/bench/bench_calc_time.py --qemu build/obj/qemu-system-x86_64 \\
      --kernel build/bench/kernel/vmlinuz-* \\
      --initrd build/obj/tests/migration-stress/initrd-stress.img \\
      --app-initrd build/bench/app-initrd.img --work /tmp/calc-time \\
      --results /tmp/calc-time.jsonl --link-bandwidth 1505481729 \\
      hotcold-1g skewed-1g
"""

import argparse
import time

from bench import Bench, DEADLINE_S, MBIT, WARMUP_S, append, commit

CALC_TIMES = (1, 3, 10)
CELLS = ((1000 * MBIT, 300), (0, 300))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for a in ('--qemu', '--kernel', '--initrd', '--app-initrd', '--work',
              '--results'):
        ap.add_argument(a, required=True)
    ap.add_argument('--link-bandwidth', type=int, required=True,
                    help='bytes per second, as make bench measured it')
    ap.add_argument('scenarios', nargs='+')
    args = ap.parse_args()
    bench = Bench(args)
    # what Bench.estimate() takes of the setup a benchmark measures
    setup = {'link-bandwidth': args.link_bandwidth}

    for scenario in args.scenarios:
        for bw, dt in CELLS:
            src = bench.boot('tcg', scenario)
            if not src:
                print(f'{scenario}: the guest did not reach its workload')
                continue
            record = {'scenario': scenario, 'bandwidth': bw,
                      'downtime-limit': dt, 'commit': commit(),
                      'predicted': {}}
            try:
                time.sleep(WARMUP_S)
                for ct in CALC_TIMES:
                    src.measure(**{'calc-time': ct})
                    m = bench.estimate(src, setup, bw, dt)
                    record['predicted'][ct] = {k: m[k] for k in
                                               ('estimate', 'pace')}
                info = bench.migrate(src, 'tcg', scenario,
                                     {'max-bandwidth': bw,
                                      'downtime-limit': dt}, DEADLINE_S)
                record['actual'] = info
            finally:
                src.close()
            append(args.results, record)
            shown = ' | '.join(
                f"{ct} s: {p['estimate']['verdict']} "
                f"{p['estimate'].get('total-time', '-')}"
                for ct, p in record['predicted'].items())
            print(f"{scenario} {bw * 8 // 1000000 or 'unlimited'}: actual "
                  f"{info.get('total-time', '-')} ms ({info['status']}); "
                  f"{shown}", flush=True)


if __name__ == '__main__':
    main()
