/*
 * Dirty page curve: distinct guest pages dirtied over elapsed time
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "dirty-curve.h"

/*
 * Elapsed times of the readings, in milliseconds.  Pre-copy iterations
 * range from milliseconds (the last ones, bounded by downtime-limit) to
 * minutes (the first, a pass over all of RAM), so the readings are dense
 * where the curve bends most and sparse where it flattens.  The last
 * entry is the longest calc-time that calc-dirty-rate accepts.
 */
static const int64_t dirty_curve_times_ms[] = {
    125, 250, 375, 500, 750,
    1000, 1500, 2000, 3000, 4000, 6000, 8000,
    10000, 15000, 20000, 30000, 45000, 60000,
};

QEMU_BUILD_BUG_ON(ARRAY_SIZE(dirty_curve_times_ms) + 1 >
                  DIRTY_CURVE_MAX_READINGS);

size_t dirty_curve_schedule(int64_t calc_time_ms, int64_t *times)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(dirty_curve_times_ms) &&
                dirty_curve_times_ms[i] < calc_time_ms; i++) {
        times[n++] = dirty_curve_times_ms[i];
    }
    times[n++] = calc_time_ms;
    return n;
}

size_t dirty_curve_measure(const DirtyCurveOps *ops, void *opaque,
                           int64_t start_ms, int64_t calc_time_ms,
                           DirtyCurveReading *readings, size_t *published)
{
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t n = dirty_curve_schedule(calc_time_ms, times);
    size_t taken = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        bool last = i == n - 1;

        /* Behind schedule: drop this reading if the next is due too. */
        if (!last && ops->now_ms(opaque) - start_ms >= times[i + 1]) {
            continue;
        }
        ops->sleep_until_ms(start_ms + times[i], opaque);
        readings[taken] = (DirtyCurveReading) {
            .elapsed_ms = ops->now_ms(opaque) - start_ms,
        };
        ops->read(last, &readings[taken], opaque);
        qatomic_store_release(published, ++taken);
    }
    return taken;
}
