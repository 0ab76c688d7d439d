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
#include "block/thread-pool.h"
#include "estimate-cell.h"
#include "estimate-lowest.h"
#include "estimate-running.h"
#include "estimate-advice.h"
#include "estimate-state.h"
#include "estimate-info.h"
#include "trace.h"

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
                                                    &st->set, st->setup_ms));
    }
    info->advice = estimate_advice(&st->w, &st->p, &st->set,
                                   q->complete_within, st->setup_ms);
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

/* A query, what it read, and its answer or why there is none */
typedef struct EstimateJob {
    EstimateState st;
    MigrationEstimateInfo *info;
    Error *err;
} EstimateJob;

/* The answer to a job's query, from what it read alone: a ThreadPoolFunc */
static int estimate_answer(void *opaque)
{
    EstimateJob *job = opaque;
    EstimateState *st = &job->st;
    const EstimateQuery *q = st->q;
    int64_t start_us = g_get_monotonic_time();
    MigrationEstimateInfo *info;
    MigrationEstimateMinBandwidthList **mins;
    size_t j;

    if (!estimate_prepare(st, &job->err)) {
        return -1;
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
                                           st->set.downtime_limit,
                                           st->setup_ms, q->lean);
    }
    if (st->current && q->strategies) {
        estimate_aids(q, st, info);
    }
    job->info = info;
    trace_query_migration_estimate_answer(q->nr_bw, q->nr_dt + 1,
                                          st->running,
                                          g_get_monotonic_time() - start_us);
    return 0;
}

static MigrationEstimateInfo *estimate_result(EstimateJob *job,
                                              Error **errp)
{
    if (job->err) {
        error_propagate(errp, job->err);
        return NULL;
    }
    return job->info;
}

MigrationEstimateInfo *migration_estimate(const EstimateQuery *q,
                                          Error **errp)
{
    g_autofree EstimateJob *job = g_new0(EstimateJob, 1);
    int64_t start_us = g_get_monotonic_time();

    if (!estimate_read(q, &job->st, errp)) {
        return NULL;
    }
    estimate_answer(job);
    trace_query_migration_estimate(job->st.running,
                                   g_get_monotonic_time() - start_us);
    return estimate_result(job, errp);
}

MigrationEstimateInfo *coroutine_fn migration_estimate_co(
    const EstimateQuery *q, Error **errp)
{
    g_autofree EstimateJob *job = g_new0(EstimateJob, 1);
    int64_t start_us = g_get_monotonic_time();

    if (!estimate_read(q, &job->st, errp)) {
        return NULL;
    }
    trace_query_migration_estimate(job->st.running,
                                   g_get_monotonic_time() - start_us);
    thread_pool_submit_co(estimate_answer, job);
    return estimate_result(job, errp);
}
