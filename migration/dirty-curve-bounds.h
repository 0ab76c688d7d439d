/*
 * Dirty page curve: the curves a measured one may stand for
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A measured dirty page curve is one draw: its samples, the phase of the
 * guest's cycle it started in, the host's first writes that its pace
 * measurement met.  The estimate runs its model on the curve and on the
 * two ends of what the curve may stand for.
 */

#ifndef QEMU_MIGRATION_DIRTY_CURVE_BOUNDS_H
#define QEMU_MIGRATION_DIRTY_CURVE_BOUNDS_H

#include "dirty-curve.h"

/*
 * How wide the range of a sampled count is: the normal quantile of a
 * two-sided 95% interval
 */
#define DIRTY_CURVE_CONFIDENCE_Z 1.96

/*
 * A guest whose vCPUs ran less than DIRTY_CURVE_IDLE_BUSY of their time
 * while measured idles, and may be dirtying pages at a pace of its own:
 * held back by a CPU throttle, it catches up in the time left to it, and
 * its writes, done in a batch, may need as little as
 * DIRTY_CURVE_PACED_BUSY of it.  The high end of its range is that guest.
 */
#define DIRTY_CURVE_IDLE_BUSY 0.9
#define DIRTY_CURVE_PACED_BUSY 0.01

/*
 * A curve steepens again, the mark of a guest that dirties in bursts,
 * where it gains pages DIRTY_CURVE_BURST times as fast as earlier on, by
 * more than DIRTY_CURVE_BURST_Z standard deviations (see
 * dirty_curve_bounds())
 */
#define DIRTY_CURVE_BURST 2
#define DIRTY_CURVE_BURST_Z 3

/**
 * dirty_curve_bounds: The curves that a measured curve may stand for
 *
 * A page-sampling reading counts the samples found dirtied: a binomial
 * draw from the pages sampled.  @low gets the curve whose readings, and
 * @high the one whose pages not all zero, are each at the low end of
 * their Wilson score interval (DIRTY_CURVE_CONFIDENCE_Z); the other way
 * round for the rest.  @low is the guest that dirties least and has the
 * fewest pages to send, @high the one that dirties most and has the most.
 * Both stay monotonic and contain @c between them.  An exact curve is its
 * own bounds, but for the windows below.  Whatever the mode, @high of a
 * guest that idled while measured (DIRTY_CURVE_IDLE_BUSY), or whose curve
 * bent before its second reading, is one whose pace no CPU throttle short
 * of all its time slows.  The sender's pace, in all modes, reaches from
 * the destination's first writes at their fastest at @low to their
 * slowest at @high.
 *
 * A measurement starts at one point of whatever cycle the guest dirties
 * pages in.  A window of the same length that starts at a later reading,
 * in a burst or in a lull, dirties at least the pages new to the curve
 * over it.  Where the curve steepened again after it slowed down
 * (DIRTY_CURVE_BURST), the mark of a guest whose pace rose, in bursts or
 * for good, @low takes the fewest of those and @high the most.  Of a
 * steady guest they would leave out the pages it dirties anew, which a
 * window from the start counts.  A measurement sees a cycle only if it
 * lasts longer than one, and a burst only if it dirties pages not yet
 * counted: a buffer rewritten in every burst looks steady.
 *
 * @c: the curve as measured
 * @low: filled with the curve at the low ends
 * @high: filled with the curve at the high ends
 */
void dirty_curve_bounds(const DirtyCurve *c, DirtyCurve *low,
                        DirtyCurve *high);

#endif
