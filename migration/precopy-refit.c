/*
 * Pre-copy migration estimate: the curve of a migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "precopy-sync.h"
#include "precopy-refit.h"

/* How far precopy_refit() scales a curve, as a power of two, either way */
#define PRECOPY_REFIT_MAX_LOG2 16
/* ... and the steps of its bisection: to within 0.2% */
#define PRECOPY_REFIT_STEPS 14
/* Intervals within this factor of each other are alike */
#define PRECOPY_REFIT_LIKE 1.5

/* @base with its readings scaled by @k, into @c */
static void curve_scaled(const DirtyCurve *base, double k, DirtyCurve *c)
{
    size_t i;

    *c = *base;
    for (i = 0; i < c->nr_readings; i++) {
        c->readings[i].dirty_pages =
            round_u64(base->readings[i].dirty_pages * k);
    }
}

static bool curve_equal(const DirtyCurve *a, const DirtyCurve *b)
{
    PrecopyWorkload wa, wb;

    precopy_workload_from_curve(&wa, a);
    precopy_workload_from_curve(&wb, b);
    return precopy_workload_equal(&wa, &wb);
}

/* The zero pages of @g, as a share of the pages it has sent */
static uint64_t progress_zero_pages(const PrecopyProgress *g)
{
    if (!g->now.sent_pages) {
        return 0;
    }
    return MIN(g->total_pages, round_u64((double)g->now.zero_sent /
                                         g->now.sent_pages * g->total_pages));
}

/*
 * The curve through the pages the syncs of @g found over their
 * intervals, in milliseconds: the most pages of those of the same
 * length, kept from decreasing as the intervals grow
 */
static void curve_of_syncs(const PrecopyProgress *g, DirtyCurve *c)
{
    size_t first = g->nr_syncs > DIRTY_CURVE_MAX_READINGS ?
                   g->nr_syncs - DIRTY_CURVE_MAX_READINGS : 1;
    size_t i, j;

    *c = (DirtyCurve) {
        .total_pages = g->total_pages,
        .zero_pages = progress_zero_pages(g),
        .page_size = g->page_size,
        .exact = true,
    };
    for (i = first; i < g->nr_syncs; i++) {
        const PrecopySync *r = &g->syncs[i];
        DirtyCurveReading at = {
            .elapsed_ms = MAX(1, (r->elapsed_us - r[-1].elapsed_us) / 1000),
            .dirty_pages = r->dirty_after - r->dirty_before,
        };

        /* in order of interval */
        j = 0;
        while (j < c->nr_readings &&
               c->readings[j].elapsed_ms < at.elapsed_ms) {
            j++;
        }
        if (j < c->nr_readings && c->readings[j].elapsed_ms == at.elapsed_ms) {
            c->readings[j].dirty_pages = MAX(c->readings[j].dirty_pages,
                                             at.dirty_pages);
            continue;
        }
        memmove(&c->readings[j + 1], &c->readings[j],
                (c->nr_readings - j) * sizeof(at));
        c->readings[j] = at;
        c->nr_readings++;
    }
    for (i = 1; i < c->nr_readings; i++) {
        c->readings[i].dirty_pages = MAX(c->readings[i].dirty_pages,
                                         c->readings[i - 1].dirty_pages);
    }
}

/* The pages that the model's sync @i of @g finds, on @c */
static double sync_found(const DirtyCurve *c, const PrecopyProgress *g,
                         size_t i)
{
    /* the parameters play no part in a sync */
    const PrecopyParams p = { .bandwidth = 1 };
    PrecopyWorkload w;
    PrecopyEstimate e;
    PrecopySim s;
    double before;

    precopy_workload_from_curve(&w, c);
    precopy_sim_init(&s, &w, &p, &e);
    precopy_sim_resume(&s, g, i);
    before = precopy_pending_pages(&s.q);
    precopy_sim_sync(&s);
    return precopy_pending_pages(&s.q) - before;
}

/* The interval before sync @i of @g, in microseconds */
static int64_t sync_interval(const PrecopyProgress *g, size_t i)
{
    return g->syncs[i].elapsed_us - g->syncs[i - 1].elapsed_us;
}

/* D(@ms) on @c */
static double scaled_curve_at(const DirtyCurve *c, double ms)
{
    PrecopyWorkload w;
    PrecopyCurve cc;

    precopy_workload_from_curve(&w, c);
    precopy_curve_init(&cc, &w);
    return precopy_curve_at(&cc, ms);
}

/*
 * How many times the pages of @c the guest dirtied before sync @i of
 * @g: the scale of @c on which the model's sync finds what that one did.
 *
 * The model takes the pages dirtied to be anywhere in memory, and those
 * that fall on pages still waiting to be sent to go unseen.  After the
 * first pass, the pages waiting are the ones dirtied before, and the
 * model's own syncs count them the same way.  During the first pass,
 * they are the pages not yet reached in address order, and a guest's hot
 * set is seldom spread evenly over them: the pages found may be all that
 * the guest dirtied, or a share of them.  Any scale between the two fits,
 * and the curve as measured is kept if it is one of them.
 */
static double sync_scale(const DirtyCurve *c, const PrecopyProgress *g,
                         size_t i)
{
    const PrecopySync *r = &g->syncs[i];
    double found = r->dirty_after - r->dirty_before;
    double lo = -PRECOPY_REFIT_MAX_LOG2, hi = PRECOPY_REFIT_MAX_LOG2;
    DirtyCurve scaled;
    double k, least, d;
    int step;

    if (r->dirty_after == r->dirty_before) {
        return 0;
    }
    for (step = 0; step < PRECOPY_REFIT_STEPS; step++) {
        double mid = (lo + hi) / 2;

        curve_scaled(c, exp2(mid), &scaled);
        if (sync_found(&scaled, g, i) < found) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    k = exp2((lo + hi) / 2);
    if (r->sent_pages >= g->total_pages) {
        return k;
    }
    /* the scale on which the guest dirtied just the pages found */
    d = scaled_curve_at(c, sync_interval(g, i) / 1000.0);
    least = d > 0 ? found / d : k;
    return MIN(MAX(1, MIN(least, k)), k);
}

/* Nothing known of the guest of @g: see precopy_refit() */
static void curve_unknown(const PrecopyProgress *g, DirtyCurve *fit)
{
    fit[1] = (DirtyCurve) {
        .readings = { { .elapsed_ms = 1 } },
        .nr_readings = 1,
        .total_pages = g->total_pages,
        .zero_pages = progress_zero_pages(g),
        .page_size = g->page_size,
    };
    fit[0] = fit[2] = fit[1];
    fit[0].readings[0].dirty_pages = g->total_pages;
    fit[2].readings[0].dirty_pages = g->total_pages;
}

size_t precopy_refit(const DirtyCurve *base, const PrecopyProgress *g,
                     DirtyCurve *fit, bool *from_base)
{
    size_t first = g->nr_syncs > PRECOPY_REFIT_SYNCS ?
                   g->nr_syncs - PRECOPY_REFIT_SYNCS : 1;
    double scale = 1, low = INFINITY, high = 0, like = 0;
    DirtyCurve own[3];
    size_t n = 0, i;

    assert(precopy_progress_check(g, NULL));

    if (base && (base[0].total_pages != g->total_pages ||
                 !base[0].readings[base[0].nr_readings - 1].dirty_pages)) {
        base = NULL;        /* not this guest, or nothing to scale */
    }
    *from_base = base;
    if (!base) {
        if (g->nr_syncs < 2) {
            curve_unknown(g, fit);
            return 0;
        }
        curve_of_syncs(g, &own[0]);
        own[1] = own[2] = own[0];
        base = own;
    }
    /*
     * The last sync sets the scale, and it and the syncs before it whose
     * intervals are like its own the range: a curve of the wrong shape
     * scales differently at different intervals.
     */
    for (i = g->nr_syncs - 1; i >= first; i--) {
        double interval = sync_interval(g, i);
        double k;

        if (interval <= 0 || (like && (interval * PRECOPY_REFIT_LIKE < like ||
                                       interval > like * PRECOPY_REFIT_LIKE))) {
            continue;
        }
        k = sync_scale(&base[0], g, i);
        if (!like) {
            like = interval;
            scale = k;
        }
        low = MIN(low, curve_equal(&base[1], &base[0]) ? k :
                       sync_scale(&base[1], g, i));
        high = MAX(high, curve_equal(&base[2], &base[0]) ? k :
                         sync_scale(&base[2], g, i));
        n++;
    }
    if (!n) {
        low = high = 1;
    }
    curve_scaled(&base[0], scale, &fit[0]);
    curve_scaled(&base[1], low, &fit[1]);
    curve_scaled(&base[2], high, &fit[2]);
    return n;
}
