/*
 * Migration estimate: one estimate, at one bandwidth and downtime-limit
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Runs the pre-copy model (precopy-estimate.h) over the range of
 * workloads at one bandwidth and downtime-limit, and puts its verdict
 * and times as query-migration-estimate answers them.
 */

#include "qemu/osdep.h"
#include "precopy-search.h"
#include "estimate-cell.h"

static const MigrationEstimateVerdict estimate_verdicts[] = {
    [PRECOPY_CONVERGES] = MIGRATION_ESTIMATE_VERDICT_CONVERGES,
    [PRECOPY_UNCERTAIN] = MIGRATION_ESTIMATE_VERDICT_UNCERTAIN,
    [PRECOPY_DOES_NOT_CONVERGE] = MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE,
};

/*
 * The estimate @r at @downtime_limit_ms, with its times counted from
 * @setup_ms before the model's: the start of the migration under way
 */
MigrationEstimate *estimate_cell_of(const PrecopyEstimateRange *r,
                                    uint64_t downtime_limit_ms,
                                    uint64_t setup_ms)
{
    MigrationEstimate *cell = g_new0(MigrationEstimate, 1);
    const PrecopyEstimate *e = &r->measured;

    cell->has_downtime_limit =
        downtime_limit_ms != PRECOPY_DOWNTIME_UNLIMITED;
    cell->downtime_limit = cell->has_downtime_limit ? downtime_limit_ms : 0;
    cell->verdict = estimate_verdicts[r->verdict];
    cell->has_min_total_time = r->verdict != PRECOPY_DOES_NOT_CONVERGE;
    cell->min_total_time = estimate_int(r->min.total_time_ms, setup_ms);
    cell->has_min_downtime = cell->has_min_total_time;
    cell->min_downtime = estimate_int(r->min.downtime_ms, 0);
    cell->has_min_dirty_sync_count = cell->has_min_total_time;
    cell->min_dirty_sync_count = estimate_int(r->min.dirty_syncs, 0);
    cell->has_max_total_time = r->verdict == PRECOPY_CONVERGES;
    cell->max_total_time = estimate_int(r->max.total_time_ms, setup_ms);
    cell->has_max_downtime = cell->has_max_total_time;
    cell->max_downtime = estimate_int(r->max.downtime_ms, 0);
    cell->has_max_dirty_sync_count = cell->has_max_total_time;
    cell->max_dirty_sync_count = estimate_int(r->max.dirty_syncs, 0);
    if (e->converges) {
        cell->has_total_time = true;
        cell->total_time = estimate_int(e->total_time_ms, setup_ms);
        cell->has_downtime = true;
        cell->downtime = estimate_int(e->downtime_ms, 0);
        cell->has_dirty_sync_count = true;
        cell->dirty_sync_count = estimate_int(e->dirty_syncs, 0);
        cell->has_transferred = true;
        cell->transferred = estimate_int(e->transferred, 0);
    }
    return cell;
}

/* The estimate of @w with @p at @downtime_limit_ms */
MigrationEstimate *estimate_cell(const PrecopyWorkloadRange *w,
                                 PrecopyParams *p,
                                 uint64_t downtime_limit_ms,
                                 uint64_t setup_ms)
{
    PrecopyEstimateRange r;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_estimate_range(w, p, &r);
    return estimate_cell_of(&r, downtime_limit_ms, setup_ms);
}
