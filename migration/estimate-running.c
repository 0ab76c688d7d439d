/*
 * Migration estimate: the estimate of the migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The dirty page curve refitted to the syncs of the migration under
 * way, and the model run on from where the migration stands.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "dirty-curve-bounds.h"
#include "precopy-refit.h"
#include "precopy-search.h"
#include "precopy-stalled.h"
#include "estimate-cell.h"
#include "estimate-lowest.h"
#include "estimate-running.h"

/*
 * The curve to estimate on, and the ends of its range, in @curves; the
 * workloads on them in @w: the curve of the last calc-dirty-rate, or,
 * with a migration @g under way, that curve refitted to its syncs, which
 * returns where the curve comes from in @source and how many syncs it
 * was fitted to in @refit
 */
bool estimate_workloads(const PrecopyProgress *g, const DirtyCurve *measured,
                        DirtyCurve curves[3],
                        MigrationEstimateCurveSource *source,
                        size_t *refit, PrecopyWorkloadRange *w,
                        Error **errp)
{
    DirtyCurve base[3];
    bool scaled;

    assert(g || measured);
    if (measured) {
        base[0] = *measured;
        dirty_curve_bounds(&base[0], &base[1], &base[2]);
    }
    if (g) {
        *refit = precopy_refit(measured ? base : NULL, g, curves, &scaled);
        if (scaled) {
            *source = *refit ? MIGRATION_ESTIMATE_CURVE_SOURCE_REFITTED :
                               MIGRATION_ESTIMATE_CURVE_SOURCE_MEASURED;
        } else {
            *source = g->nr_syncs > 1 ? MIGRATION_ESTIMATE_CURVE_SOURCE_SYNCS :
                                        MIGRATION_ESTIMATE_CURVE_SOURCE_NONE;
        }
    } else {
        memcpy(curves, base, sizeof(base));
    }
    precopy_workload_from_curve(&w->measured, &curves[0]);
    precopy_workload_from_curve(&w->low, &curves[1]);
    precopy_workload_from_curve(&w->high, &curves[2]);
    return precopy_workload_check(&w->measured, errp) &&
           precopy_workload_check(&w->low, errp) &&
           precopy_workload_check(&w->high, errp);
}

/*
 * The estimate for the migration @g under way, @elapsed_ms since it
 * started, under its current downtime-limit and at @p->bandwidth; if
 * @lean, with the lowest bandwidth and downtime-limit that converge
 * searched only when it does not
 */
MigrationEstimateRunning *estimate_running(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    const PrecopyProgress *g, MigrationEstimateCurveSource source,
    size_t refit, uint64_t downtime_limit, uint64_t setup_ms, bool lean)
{
    MigrationEstimateRunning *run = g_new0(MigrationEstimateRunning, 1);
    uint64_t elapsed = g->now.elapsed_us / 1000 + setup_ms;
    MigrationEstimate *e;

    run->elapsed = estimate_int(elapsed, 0);
    run->dirty_sync_count = estimate_int(g->dirty_sync_count, 0);
    run->curve = source;
    run->refit_syncs = refit;
    run->bandwidth = p->bandwidth;
    run->estimate = e = estimate_cell(w, p, downtime_limit,
                                      setup_ms);
    run->stalled_syncs = precopy_stalled_syncs(g);
    if (e->verdict == MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE &&
        run->stalled_syncs < PRECOPY_STALLED_SYNCS) {
        /*
         * The model says so, the migration has yet to show it.  It ends
         * no sooner than the pages waiting are sent, but for the zero
         * pages the first pass may still find.
         */
        uint64_t zero_left = w->low.zero_pages -
                             MIN(g->now.zero_sent, w->low.zero_pages);
        uint64_t waiting = g->now.dirty_after -
                           MIN(zero_left, g->now.dirty_after);

        e->verdict = MIGRATION_ESTIMATE_VERDICT_UNCERTAIN;
        e->has_min_total_time = true;
        e->min_total_time = estimate_int(
            (uint64_t)((double)waiting * g->page_size * 1000 /
                       MAX(p->bandwidth, 1)), elapsed);
    }
    run->has_remaining_time = e->has_total_time;
    run->remaining_time = estimate_ms_left(e->total_time, elapsed);
    run->has_min_remaining_time = e->has_min_total_time;
    run->min_remaining_time = estimate_ms_left(e->min_total_time, elapsed);
    run->has_max_remaining_time = e->has_max_total_time;
    run->max_remaining_time = estimate_ms_left(e->max_total_time, elapsed);
    if (lean && e->verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
        /* not searched: what it takes to converge, it has */
        run->min_bandwidth = g_new0(MigrationEstimateMinBandwidth, 1);
        run->min_bandwidth->downtime_limit = downtime_limit;
        run->min_downtime_limit = g_new0(MigrationEstimateMinDowntimeLimit, 1);
        run->min_downtime_limit->bandwidth = run->bandwidth;
        return run;
    }
    run->min_bandwidth = estimate_min_bandwidth(w, p,
                                                downtime_limit);
    run->min_downtime_limit = estimate_min_downtime_limit(w, p,
                                                          run->bandwidth);
    return run;
}
