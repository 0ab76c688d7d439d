/*
 * Pre-copy migration estimate: searches and ranges
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "migration-stats.h"
#include "precopy-sim.h"
#include "precopy-search.h"

/* The parameter of @p that @search searches */
static uint64_t *search_param(PrecopyParams *p, PrecopySearch search)
{
    return search == PRECOPY_SEARCH_BANDWIDTH ? &p->bandwidth :
                                                &p->downtime_limit_ms;
}

/*
 * The lowest value of a parameter, from @lo to @hi, at which
 * precopy_estimate() converges, to within 1%; 0 if none
 */
static uint64_t precopy_lowest(const PrecopyWorkload *w,
                               const PrecopyParams *p, PrecopySearch search,
                               uint64_t lo, uint64_t hi)
{
    PrecopyParams at = *p;
    uint64_t *value = search_param(&at, search);
    PrecopyEstimate e;

    assert(precopy_workload_check(w, NULL));
    assert(lo >= 1);
    assert(lo <= hi);

    *value = hi;
    precopy_estimate(w, &at, &e);
    if (!e.converges) {
        return 0;
    }
    *value = lo;
    precopy_estimate(w, &at, &e);
    if (e.converges) {
        return lo;
    }
    /*
     * Converging is monotonic in bandwidth and in downtime-limit: bisect,
     * geometrically.  Near UINT64_MAX, doubles are coarser than the
     * interval: halve it then.
     */
    while (hi - lo > lo / 100 + 1) {
        double mid = sqrt((double)lo * hi);

        *value = mid > lo && mid < hi ? (uint64_t)mid : lo + (hi - lo) / 2;
        *value = MIN(hi - 1, MAX(lo + 1, *value));
        precopy_estimate(w, &at, &e);
        if (e.converges) {
            hi = *value;
        } else {
            lo = *value;
        }
    }
    return hi;
}

uint64_t precopy_min_bandwidth(const PrecopyWorkload *w,
                               const PrecopyParams *p,
                               uint64_t lo, uint64_t hi)
{
    return precopy_lowest(w, p, PRECOPY_SEARCH_BANDWIDTH, lo, hi);
}

uint64_t precopy_min_downtime_limit(const PrecopyWorkload *w,
                                    const PrecopyParams *p,
                                    uint64_t lo, uint64_t hi)
{
    return precopy_lowest(w, p, PRECOPY_SEARCH_DOWNTIME_LIMIT, lo, hi);
}

/*
 * The ends of the range, and the curve as measured, if not all the same
 * guest to a migration with @p: how busy its vCPUs were matters only
 * under a throttle, the sender's pace always
 */
static size_t range_workloads(const PrecopyWorkloadRange *w,
                              const PrecopyParams *p,
                              const PrecopyWorkload **each)
{
    bool (*same)(const PrecopyWorkload *, const PrecopyWorkload *) =
        p->throttle.kind == PRECOPY_THROTTLE_NONE ?
        precopy_workload_same_curve : precopy_workload_equal;

    each[0] = &w->measured;
    if (same(&w->low, &w->measured) && same(&w->high, &w->measured) &&
        !memcmp(&w->low.pace, &w->measured.pace, sizeof(DirtyPace)) &&
        !memcmp(&w->high.pace, &w->measured.pace, sizeof(DirtyPace))) {
        return 1;
    }
    each[1] = &w->low;
    each[2] = &w->high;
    return 3;
}

/*
 * The model ends each round in the window in which the migration would
 * send its last page, and QEMU may end it a window sooner or later: a
 * sync looks at the pages left only when migration_rate_limit() lets the
 * iteration return, and the rounds after follow from where it fell.  The
 * total time may stray a window for each sync still to come.
 */
static uint64_t estimate_window_slack(const PrecopyParams *p,
                                      const PrecopyEstimate *e)
{
    uint64_t done = p->progress ? p->progress->dirty_sync_count : 0;

    return e->dirty_syncs > done ? (e->dirty_syncs - done) * BUFFER_DELAY : 0;
}

/* Widen @min and @max, member by member, to take @e in */
static void estimate_widen(PrecopyEstimate *min, PrecopyEstimate *max,
                           const PrecopyParams *p, const PrecopyEstimate *e)
{
    uint64_t slack = estimate_window_slack(p, e);
    uint64_t now = p->progress ? p->progress->now.elapsed_us / 1000 : 0;

    min->total_time_ms = MIN(min->total_time_ms,
                             MAX(e->total_time_ms - MIN(slack,
                                                        e->total_time_ms),
                                 MIN(now, e->total_time_ms)));
    min->downtime_ms = MIN(min->downtime_ms, e->downtime_ms);
    min->dirty_syncs = MIN(min->dirty_syncs, e->dirty_syncs);
    min->transferred = MIN(min->transferred, e->transferred);
    /* with the link's speed unknown, the slow end of the downtime */
    max->total_time_ms = MAX(max->total_time_ms,
                             add_sat(add_sat(e->total_time_ms, slack),
                                     e->max_downtime_ms - e->downtime_ms));
    max->downtime_ms = MAX(max->downtime_ms, e->max_downtime_ms);
    max->dirty_syncs = MAX(max->dirty_syncs, e->dirty_syncs);
    max->transferred = MAX(max->transferred, e->transferred);
}

void precopy_estimate_range(const PrecopyWorkloadRange *w,
                            const PrecopyParams *p, PrecopyEstimateRange *r)
{
    const PrecopyWorkload *each[3];
    size_t n = range_workloads(w, p, each);
    size_t converging = 0;
    size_t i;

    *r = (PrecopyEstimateRange) {
        .min = {
            .converges = true,
            .total_time_ms = UINT64_MAX,
            .downtime_ms = UINT64_MAX,
            .dirty_syncs = UINT64_MAX,
            .transferred = UINT64_MAX,
        },
        .max = { .converges = true },
    };
    for (i = 0; i < n; i++) {
        PrecopyEstimate e;

        precopy_estimate(each[i], p, &e);
        if (!i) {
            r->measured = e;
        }
        if (e.converges) {
            converging++;
            estimate_widen(&r->min, &r->max, p, &e);
        }
    }
    if (converging == n) {
        r->verdict = PRECOPY_CONVERGES;
        return;
    }
    r->verdict = converging ? PRECOPY_UNCERTAIN : PRECOPY_DOES_NOT_CONVERGE;
    if (!converging) {
        r->min = (PrecopyEstimate) { 0 };
    }
    r->max = (PrecopyEstimate) { 0 };
}

void precopy_lowest_range(const PrecopyWorkloadRange *w,
                          const PrecopyParams *p, PrecopySearch search,
                          uint64_t lo, uint64_t hi, PrecopyLowest *r)
{
    const PrecopyWorkload *each[3];
    size_t n = range_workloads(w, p, each);
    bool everywhere = true;
    size_t i;

    *r = (PrecopyLowest) { .min = UINT64_MAX };
    for (i = 0; i < n; i++) {
        uint64_t value = precopy_lowest(each[i], p, search, lo, hi);

        if (!i) {
            r->measured = value;
        }
        if (!value) {
            everywhere = false;
            continue;
        }
        r->min = MIN(r->min, value);
        r->max = MAX(r->max, value);
    }
    r->min = r->min == UINT64_MAX ? 0 : r->min;
    r->max = everywhere ? r->max : 0;
}
