/*
 * Pre-copy migration estimate: the dirty page curve as the model reads it
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "precopy-curve.h"

/* The slope of the curve from reading @i - 1, or from (0, 0), to @i */
static double curve_slope(const DirtyCurveReading *r, size_t i,
                          double *midpoint)
{
    double t0 = i ? r[i - 1].elapsed_ms : 0;
    double d0 = i ? r[i - 1].dirty_pages : 0;
    double ms = r[i].elapsed_ms - t0;

    *midpoint = (t0 + r[i].elapsed_ms) / 2;
    return (r[i].dirty_pages - d0) / ms;
}

void precopy_curve_init(PrecopyCurve *c, const PrecopyWorkload *w)
{
    const DirtyCurveReading *last = &w->readings[w->nr_readings - 1];
    double m1, m2, s1, s2;

    c->r = w->readings;
    c->n = w->nr_readings;
    c->cap = MAX(w->total_pages - w->zero_pages,
                 MIN(last->dirty_pages, w->total_pages));
    /*
     * Past the last reading, the slope of the last two segments: falling
     * exponentially if it fell between them, as a working set being
     * covered does, and else kept.
     */
    s2 = curve_slope(c->r, c->n - 1, &m2);
    c->tail_decay = 0;
    if (c->n > 2) {
        s1 = curve_slope(c->r, c->n - 2, &m1);
        if (s2 > 0 && s1 > s2) {
            c->tail_decay = log(s1 / s2) / (m2 - m1);
        }
    }
    c->tail_slope = s2 * exp(-c->tail_decay * (last->elapsed_ms - m2));
}

/* Pages dirtied in the @dt ms past the last reading */
static double curve_tail(const PrecopyCurve *c, double dt)
{
    if (!c->tail_decay) {
        return c->tail_slope * dt;
    }
    return c->tail_slope * -expm1(-c->tail_decay * dt) / c->tail_decay;
}

/* The inverse of curve_tail(): INFINITY if never reached */
static double curve_tail_time_to(const PrecopyCurve *c, double pages)
{
    double share;

    if (!(c->tail_slope > 0)) {
        return INFINITY;
    }
    share = pages * c->tail_decay / c->tail_slope;
    if (share >= 1) {
        return INFINITY;
    }
    return c->tail_decay ? -log1p(-share) / c->tail_decay :
                           pages / c->tail_slope;
}

/* Reading @i as a point (time, pages), or (pages, time) if @inverse */
static void curve_point(const PrecopyCurve *c, size_t i, bool inverse,
                        double *x, double *y)
{
    *x = inverse ? c->r[i].dirty_pages : c->r[i].elapsed_ms;
    *y = inverse ? c->r[i].elapsed_ms : c->r[i].dirty_pages;
}

/*
 * The line through (0, 0) and the readings, at @x: pages at a time, or,
 * if @inverse, the time at which it reaches some pages.  @x is above 0
 * and at most the last reading's.
 */
static double curve_interpolate(const PrecopyCurve *c, double x, bool inverse)
{
    size_t lo = 0, hi = c->n - 1;
    double x0 = 0, y0 = 0, x1, y1;

    /* the first reading at or past x */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        curve_point(c, mid, inverse, &x1, &y1);
        if (x1 < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo) {
        curve_point(c, lo - 1, inverse, &x0, &y0);
    }
    curve_point(c, lo, inverse, &x1, &y1);
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

double precopy_curve_at(const PrecopyCurve *c, double t)
{
    const DirtyCurveReading *last = &c->r[c->n - 1];

    if (t <= 0) {
        return 0;
    }
    if (t >= last->elapsed_ms) {
        return MIN(c->cap, last->dirty_pages +
                           curve_tail(c, t - last->elapsed_ms));
    }
    return MIN(c->cap, curve_interpolate(c, t, false));
}

double precopy_curve_time_to(const PrecopyCurve *c, double pages)
{
    const DirtyCurveReading *last = &c->r[c->n - 1];

    if (pages <= 0) {
        return 0;
    }
    if (pages > c->cap) {
        return INFINITY;
    }
    if (pages > last->dirty_pages) {
        return last->elapsed_ms +
               curve_tail_time_to(c, pages - last->dirty_pages);
    }
    return curve_interpolate(c, pages, true);
}

double precopy_curve_overlap(const PrecopyCurve *c, double a, double b)
{
    if (isinf(a)) {
        return precopy_curve_at(c, b);
    }
    return MAX(0, precopy_curve_at(c, a) + precopy_curve_at(c, b) -
                  precopy_curve_at(c, a + b));
}
