/*
 * Pre-copy migration estimate: the dirty page curve as the model reads it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * D(t), the distinct pages a guest dirties in any t ms: the readings of
 * its dirty page curve interpolated linearly from (0, 0), and past the
 * last reading extended up to the pages that are not zero, along the
 * slope of the last segment, falling exponentially at the rate it fell
 * from the segment before, or kept if it did not fall.
 */

#ifndef QEMU_MIGRATION_PRECOPY_CURVE_H
#define QEMU_MIGRATION_PRECOPY_CURVE_H

#include "precopy-workload.h"

/* The dirty page curve of a PrecopyWorkload, ready to be read */
typedef struct PrecopyCurve {
    const DirtyCurveReading *r;
    size_t n;
    double cap;             /* pages that can be dirtied at all */
    double tail_slope;      /* pages per ms at the last reading */
    double tail_decay;      /* ...falling as exp(-tail_decay * ms) past it */
} PrecopyCurve;

/**
 * precopy_curve_init: Read the dirty page curve of a workload
 *
 * @c: filled with the curve, which points into @w
 * @w: the workload, accepted by precopy_workload_check()
 */
void precopy_curve_init(PrecopyCurve *c, const PrecopyWorkload *w);

/**
 * precopy_curve_at: D(t): distinct pages dirtied in @t ms
 *
 * @c: the curve
 * @t: the time, in milliseconds
 *
 * Returns: the pages; 0 for @t at most 0
 */
double precopy_curve_at(const PrecopyCurve *c, double t);

/**
 * precopy_curve_time_to: The shortest time in which @pages distinct
 * pages get dirtied
 *
 * @c: the curve
 * @pages: the pages
 *
 * Returns: the time, in milliseconds; INFINITY if never
 */
double precopy_curve_time_to(const PrecopyCurve *c, double pages);

/**
 * precopy_curve_overlap: Pages dirtied both in a window of @a ms and
 * in the @b ms right after
 *
 * @c: the curve
 * @a: the first window, in milliseconds; INFINITY for all time
 * @b: the window right after it
 *
 * Returns: the pages
 */
double precopy_curve_overlap(const PrecopyCurve *c, double a, double b);

#endif
