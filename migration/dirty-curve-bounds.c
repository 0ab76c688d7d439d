/*
 * Dirty page curve: the curves a measured one may stand for
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "dirty-curve-bounds.h"

/*
 * @pages, a share of @space, as a count; never past @space.  Not as one
 * conditional expression: that would make @space a double, which
 * UINT64_MAX is not.
 */
static uint64_t pages_of(double pages, uint64_t space)
{
    if (pages < space) {
        return pages;
    }
    return space;
}

/*
 * The Wilson score interval of a binomial proportion, @hits of @n, scaled
 * to @space pages: whole pages, rounded outwards
 */
static void wilson_interval(uint64_t hits, uint64_t n, uint64_t space,
                            uint64_t *lo, uint64_t *hi)
{
    const double z = DIRTY_CURVE_CONFIDENCE_Z;
    double p = (double)hits / n;
    double centre = (p + z * z / (2.0 * n)) / (1 + z * z / n);
    double half = z / (1 + z * z / n) *
                  sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));

    *lo = pages_of(floor(MAX(0, centre - half) * space), space);
    *hi = pages_of(ceil(MIN(1, centre + half) * space), space);
}

/*
 * Whether @c bent before its second reading: it dirtied pages between
 * its first two readings at under half the pace it did up to the first.
 * How fast it covered those below its first reading the curve does not
 * tell, so neither how much a CPU throttle, which lets a vCPU run 10 ms
 * at a time, slows it: a guest that rewrites its working set in a few
 * ms keeps its pace.
 */
static bool dirty_curve_bent_early(const DirtyCurve *c)
{
    const DirtyCurveReading *r = c->readings;

    if (c->nr_readings < 2 || !r[0].dirty_pages) {
        return false;
    }
    return 2.0 * (r[1].dirty_pages - r[0].dirty_pages) * r[0].elapsed_ms <
           (double)r[0].dirty_pages * (r[1].elapsed_ms - r[0].elapsed_ms);
}

/* The pages of @c's reading @i, in samples where it sampled */
static double reading_count(const DirtyCurve *c, size_t i)
{
    const DirtyCurveReading *r = &c->readings[i];

    return c->exact || !c->sampled_pages ? r->dirty_pages : r->sampled_dirty;
}

/*
 * Whether @c steepened again after it slowed down: between two readings
 * it gained pages DIRTY_CURVE_BURST times as fast as between two earlier
 * ones, and more.  Both gains are counts at some pace; at a pace that
 * rose by no more than that, the later one is a binomial share of the
 * two, and the test is that it exceeds its mean by DIRTY_CURVE_BURST_Z
 * standard deviations.  A guest that dirties at a steady pace adds ever
 * fewer new pages to its curve, so only one whose pace rose can.
 */
static bool dirty_curve_steepens(const DirtyCurve *c)
{
    double len[DIRTY_CURVE_MAX_READINGS], gain[DIRTY_CURVE_MAX_READINGS];
    size_t i, j;

    for (i = 0; i < c->nr_readings; i++) {
        len[i] = (double)c->readings[i].elapsed_ms -
                 (i ? c->readings[i - 1].elapsed_ms : 0);
        gain[i] = reading_count(c, i) - (i ? reading_count(c, i - 1) : 0);
    }
    for (i = 0; i < c->nr_readings; i++) {
        for (j = i + 1; j < c->nr_readings; j++) {
            double both = gain[i] + gain[j];
            double share, mean;

            if (len[i] <= 0 || len[j] <= 0) {
                continue;
            }
            share = DIRTY_CURVE_BURST * len[j] /
                    (len[i] + DIRTY_CURVE_BURST * len[j]);
            mean = both * share;
            if (gain[j] > mean + DIRTY_CURVE_BURST_Z *
                                 sqrt(mean * (1 - share))) {
                return true;
            }
        }
    }
    return false;
}

/*
 * @c's pages at @ms, between its readings on a straight line from 0.
 * Times are doubles, here and in the callers: exact for any real
 * measurement, and free of overflow for any other.
 */
static double curve_at(const DirtyCurve *c, double ms)
{
    double t0 = 0, n0 = 0;
    size_t i;

    for (i = 0; i < c->nr_readings; i++) {
        const DirtyCurveReading *r = &c->readings[i];

        if (ms <= r->elapsed_ms) {
            if (r->elapsed_ms == t0) {
                return r->dirty_pages;
            }
            return n0 + (r->dirty_pages - n0) * (ms - t0) /
                        (r->elapsed_ms - t0);
        }
        t0 = r->elapsed_ms;
        n0 = r->dirty_pages;
    }
    return n0;
}

/* The most pages any reading of @c counts */
static uint64_t dirty_curve_top(const DirtyCurve *c)
{
    uint64_t top = 0;
    size_t i;

    for (i = 0; i < c->nr_readings; i++) {
        top = MAX(top, c->readings[i].dirty_pages);
    }
    return top;
}

/*
 * Widen @low and @high to the windows of @c that start at its later
 * readings, where @c steepened again (see dirty_curve_bounds()).  Each
 * reading's window is laid from every reading that leaves room for it
 * before the last one.
 */
static void dirty_curve_bounds_shifted(const DirtyCurve *c, DirtyCurve *low,
                                       DirtyCurve *high)
{
    double end = c->readings[c->nr_readings - 1].elapsed_ms;
    double most = 0;
    uint64_t top;
    size_t i, j;

    if (!dirty_curve_steepens(c)) {
        return;
    }
    top = dirty_curve_top(c);
    for (i = 0; i < c->nr_readings; i++) {
        double len = c->readings[i].elapsed_ms;
        double fewest = c->readings[i].dirty_pages;

        for (j = 0; j < c->nr_readings &&
                    c->readings[j].elapsed_ms + len <= end; j++) {
            double n = curve_at(c, c->readings[j].elapsed_ms + len) -
                       c->readings[j].dirty_pages;

            fewest = MIN(fewest, n);
            most = MAX(most, n);
        }
        /* below a count where they narrow it, so they convert */
        if (fewest < low->readings[i].dirty_pages) {
            low->readings[i].dirty_pages = (uint64_t)floor(MAX(0, fewest));
        }
        if (most > high->readings[i].dirty_pages) {
            high->readings[i].dirty_pages = ceil(most) < top ?
                                            (uint64_t)ceil(most) : top;
        }
        /* what rounding near 2^64 may take from monotonic */
        if (i) {
            low->readings[i].dirty_pages =
                MAX(low->readings[i].dirty_pages,
                    low->readings[i - 1].dirty_pages);
            high->readings[i].dirty_pages =
                MAX(high->readings[i].dirty_pages,
                    high->readings[i - 1].dirty_pages);
        }
    }
}

/* Widen @low and @high to the sampling error of @c's counts */
static void dirty_curve_bounds_sampled(const DirtyCurve *c, DirtyCurve *low,
                                       DirtyCurve *high)
{
    uint64_t lo, hi;
    size_t i;

    for (i = 0; i < c->nr_readings; i++) {
        const DirtyCurveReading *r = &c->readings[i];

        wilson_interval(r->sampled_dirty, c->sampled_pages, c->sampled_space,
                        &lo, &hi);
        low->readings[i].dirty_pages = MIN(r->dirty_pages, lo);
        high->readings[i].dirty_pages = MAX(r->dirty_pages, hi);
    }
    wilson_interval(c->sampled_zero, c->sampled_pages, c->sampled_space,
                    &lo, &hi);
    low->zero_pages = MIN(c->total_pages, MAX(c->zero_pages, hi));
    high->zero_pages = MIN(c->zero_pages, lo);
}

void dirty_curve_bounds(const DirtyCurve *c, DirtyCurve *low,
                        DirtyCurve *high)
{
    *low = *high = *c;
    /* what the destination's first writes cost, fastest and slowest */
    low->pace.fresh_ns = MIN(c->pace.fresh_ns, c->pace.min_fresh_ns);
    high->pace.fresh_ns = MAX(c->pace.fresh_ns, c->pace.max_fresh_ns);
    if ((c->vcpu_busy && c->vcpu_busy < DIRTY_CURVE_IDLE_BUSY) ||
        dirty_curve_bent_early(c)) {
        high->vcpu_busy = DIRTY_CURVE_PACED_BUSY;
    }
    if (!c->exact && c->sampled_pages) {
        dirty_curve_bounds_sampled(c, low, high);
    }
    dirty_curve_bounds_shifted(c, low, high);
}
