#!/usr/bin/env python3
"""How long query-migration-estimate holds the BQL, on an idle guest.

Usage: PYTHONPATH=build/qemu/python bench-bql.py QEMU [CALLS]

Boots QEMU (TCG, 2 GiB, no disk: the firmware idles), measures it with
calc-dirty-rate for 2 s in page-sampling and dirty-bitmap mode, and asks
each time, CALLS times (default 5), for the largest grid the command
takes (32 bandwidths x 16 downtime-limits) with six strategies, then for
the default grid.  From QEMU's trace log, with timestamps, it prints per
call:

- read: the trace query_migration_estimate, the time under the BQL to read
  the curve, the migration and its parameters;
- model: query_migration_estimate_answer, the model in the thread pool;
- marshal: from the model's end to monitor_qmp_respond, QMP's marshalling
  and JSON of the answer, under the BQL.
"""

import datetime
import json
import os
import re
import sys
import tempfile

from qemu_guest import Guest


def main():
    qemu = sys.argv[1]
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    work = tempfile.mkdtemp(prefix='bench-bql-')
    log = os.path.join(work, 'trace.log')
    guest = Guest(qemu, work, 'tcg', [], mem_mb=2048,
                  extra=['-msg', 'timestamp=on',
                         '-trace', 'query_migration_estimate*',
                         '-trace', 'monitor_qmp_respond',
                         '-trace', 'handle_qmp_command', '-D', log])
    guest.connect(10)
    largest = {
        'bandwidths': [int(100e6 / 8 * 1.25 ** i) for i in range(32)],
        'downtime-limits': [50 * (i + 1) for i in range(16)],
        'strategies': [{'aids': a} for a in
                       ([], ['auto-converge'], ['postcopy-ram'], ['multifd'],
                        ['auto-converge', 'multifd'],
                        ['postcopy-ram', 'multifd'])],
    }
    sizes = []
    for mode in ('page-sampling', 'dirty-bitmap'):
        guest.measure(**{'calc-time': 2, 'mode': mode})
        for args in (largest, {}):
            for _ in range(calls):
                answer = guest.cmd('query-migration-estimate', **args)
                sizes.append(len(json.dumps(answer)))
    guest.close()

    events = []
    for line in open(log):
        m = re.match(r'(\S+)Z (\S+)', line)
        if m:
            t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
            events.append((t, m.group(2), line))
    n = 0
    for t, name, line in events:
        if name == 'query_migration_estimate':
            read = int(line.split()[-2])
        elif name == 'query_migration_estimate_answer':
            answered, model, grid = t, int(line.split()[-2]), line.split()[2:6]
        elif name == 'monitor_qmp_respond' and '"bandwidths"' in line:
            what = 'default grid' if grid[0] == '0' else ' '.join(grid)
            print(f'{what} ({sizes[n]} bytes): read {read} us, '
                  f'model {model} us, marshal {(t - answered) * 1e6:.0f} us')
            n += 1


if __name__ == '__main__':
    main()
