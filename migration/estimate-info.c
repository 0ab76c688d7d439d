/*
 * Migration estimate: the answer to a query
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The grid of a query, on the workloads of the guest or of the
 * migration under way, with the migration under way and the strategies
 * asked for.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-types-migration.h"
#include "options.h"
#include "precopy-search.h"
#include "estimate-sync.h"
#include "estimate-cell.h"
#include "estimate-lowest.h"
#include "estimate-running.h"
#include "estimate-advice.h"
#include "estimate-info.h"
#include "trace.h"

/* What an estimate needs of the guest and of the migration under way */
typedef struct EstimateState {
    PrecopySync syncs[ESTIMATE_SYNCS];
    PrecopyProgress g;
    bool running;
    int64_t setup_ms;
    DirtyCurve curves[3];
    MigrationEstimateCurveSource source;
    size_t refit;
    PrecopyWorkloadRange w;
    PrecopyParams p;
    /* the link's speed, else the sender's pace stands in; 0 if unknown */
    uint64_t link;
    /* the bandwidth the migration runs at, or starts with; 0 if unknown */
    uint64_t current;
} EstimateState;

/*
 * The guest and the migration under way, for @q; false if neither a
 * curve nor a migration gives a workload, or @q asks for what cannot be
 */
static bool estimate_state(const EstimateQuery *q, EstimateState *st,
                           Error **errp)
{
    bool unlimited = estimate_bandwidth_unlimited(q->max_bandwidth);
    size_t i;

    st->running = estimate_progress(&st->g, st->syncs, &st->setup_ms);
    if (st->running && q->has_params) {
        error_setg(errp, "'max-bandwidth' and 'downtime-limit' are for a "
                   "migration to start, and one is under way");
        return false;
    }
    if (!estimate_workloads(st->running ? &st->g : NULL, st->curves,
                            &st->source, &st->refit, &st->w, errp)) {
        return false;
    }
    st->p = (PrecopyParams) {
        .switchover_bandwidth = migrate_avail_switchover_bandwidth(),
        .link_bandwidth = q->link_bandwidth,
        .deadline_ms = estimate_ms_left(q->deadline, st->setup_ms),
        .progress = st->running ? &st->g : NULL,
    };
    /*
     * Without a rate limit, a migration goes as fast as the link lets it,
     * or one under way as fast as it has, or else as the sender does
     */
    st->link = q->link_bandwidth ?: st->p.switchover_bandwidth ?:
               (st->running ? estimate_progress_rate(&st->g) : 0);
    if (!st->link && (st->w.measured.pace.page_ns ||
                      st->w.measured.pace.zero_ns)) {
        st->link = ESTIMATE_MAX_BANDWIDTH;
    }
    st->current = unlimited ? st->link : q->max_bandwidth;
    for (i = 0; i < q->nr_bw; i++) {
        if (!q->bw[i] && !st->link) {
            error_setg(errp, "'bandwidths' without rate limit need the "
                       "link's speed ('link-bandwidth' or the "
                       "avail-switchover-bandwidth parameter) or the "
                       "sender's pace, which calc-dirty-rate measures");
            return false;
        }
    }
    return true;
}

/* The rows of the grid of @q, each @st->link where it has no rate limit */
static MigrationEstimateBandwidthList *estimate_rows(const EstimateQuery *q,
                                                     EstimateState *st)
{
    MigrationEstimateBandwidthList *rows = NULL, **tail = &rows;
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];
    bool unlimited = estimate_bandwidth_unlimited(q->max_bandwidth);
    size_t nr_bw = q->nr_bw, i, j;

    memcpy(bw, q->bw, nr_bw * sizeof(bw[0]));
    if (q->default_bw) {
        nr_bw = estimate_default_bandwidths(!unlimited, q->max_bandwidth,
                                            bw);
        if (unlimited && st->link) {
            bw[nr_bw++] = 0;
        }
    }
    for (i = 0; i < nr_bw; i++) {
        MigrationEstimateBandwidth *row = g_new0(MigrationEstimateBandwidth, 1);
        MigrationEstimateList **cells = &row->estimates;

        row->bandwidth = st->p.bandwidth = bw[i] ?: st->link;
        row->has_unlimited = row->unlimited = !bw[i];
        for (j = 0; j < q->nr_dt; j++) {
            QAPI_LIST_APPEND(cells, estimate_cell(&st->w, &st->p, q->dt[j],
                                                  st->setup_ms));
        }
        QAPI_LIST_APPEND(cells, estimate_cell(&st->w, &st->p,
                                              PRECOPY_DOWNTIME_UNLIMITED,
                                              st->setup_ms));
        QAPI_LIST_APPEND(tail, row);
    }
    return rows;
}

/* The aids of @q->strategies, at the bandwidth the migration runs at */
static void estimate_aids(const EstimateQuery *q, EstimateState *st,
                          MigrationEstimateInfo *info)
{
    MigrationEstimateStrategyResultList **results = &info->strategies;
    MigrationEstimateStrategyList *l;

    st->p.bandwidth = st->current;
    st->p.downtime_limit_ms = q->downtime_limit;
    info->has_strategies = true;
    for (l = q->strategies; l; l = l->next) {
        QAPI_LIST_APPEND(results, estimate_strategy(&st->w, &st->p, l->value,
                                                    st->setup_ms));
    }
    info->advice = estimate_advice(&st->w, &st->p, q->complete_within,
                                   st->setup_ms);
}

/* What the answer says of the guest and the link */
static void estimate_inputs(const EstimateState *st,
                            MigrationEstimateInfo *info)
{
    const DirtyPace *pace = &st->w.measured.pace;

    /* how much a throttle slows the guest, the grid does not ask */
    info->exact = st->curves[0].exact &&
                  precopy_workload_same_curve(&st->w.low, &st->w.measured) &&
                  precopy_workload_same_curve(&st->w.high, &st->w.measured);
    /* a running migration's syncs see what the page hashes miss */
    info->rewrites_seen =
        st->curves[0].exact ||
        (st->running && st->source != MIGRATION_ESTIMATE_CURVE_SOURCE_MEASURED);
    if (st->p.link_bandwidth || st->p.switchover_bandwidth) {
        info->has_link_bandwidth = true;
        info->link_bandwidth = st->p.link_bandwidth ?:
                               st->p.switchover_bandwidth;
    }
    if (pace->page_ns || pace->zero_ns) {
        info->pace = g_new(MigrationEstimatePace, 1);
        *info->pace = (MigrationEstimatePace) {
            .zero_page = pace->zero_ns,
            .page = pace->page_ns,
            .fresh_page = pace->fresh_ns,
            .min_fresh_page = pace->min_fresh_ns,
            .max_fresh_page = pace->max_fresh_ns,
        };
    }
}

/* The answer to @q */
MigrationEstimateInfo *migration_estimate(const EstimateQuery *q,
                                          Error **errp)
{
    g_autofree EstimateState *st = g_new0(EstimateState, 1);
    int64_t start_us = g_get_monotonic_time();
    MigrationEstimateInfo *info;
    MigrationEstimateMinBandwidthList **mins;
    size_t j;

    if (!estimate_state(q, st, errp)) {
        return NULL;
    }
    info = g_new0(MigrationEstimateInfo, 1);
    info->deadline = q->deadline;
    estimate_inputs(st, info);
    if (q->nr_dt) {
        info->bandwidths = estimate_rows(q, st);
    }
    mins = &info->min_bandwidth;
    for (j = 0; j < q->nr_dt; j++) {
        QAPI_LIST_APPEND(mins, estimate_min_bandwidth(&st->w, &st->p,
                                                      q->dt[j]));
    }
    /* a migration without rate limit before it has sent for a window */
    if (st->running && st->current) {
        st->p.bandwidth = st->g.bandwidth = st->current;
        info->migration = estimate_running(&st->w, &st->p, &st->g,
                                           st->source, st->refit,
                                           st->setup_ms, q->lean);
    }
    if (st->current && q->strategies) {
        estimate_aids(q, st, info);
    }
    trace_query_migration_estimate(q->nr_bw, q->nr_dt + 1, st->running,
                                   g_get_monotonic_time() - start_us);
    return info;
}
