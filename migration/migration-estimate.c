/*
 * Migration estimate: query-migration-estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Runs the pre-copy model (precopy-estimate.h) over a grid of
 * bandwidths and downtime-limits, on the dirty page curve that the last
 * calc-dirty-rate measured, or, while a pre-copy migration is under way,
 * on that curve refitted to the migration's own dirty bitmap syncs, from
 * where the migration stands.  The migration thread records each sync
 * (migration_estimate_sync()) and nothing more: the model runs when a
 * client asks.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration-estimate.h"
#include "qapi/qapi-types-migration.h"
#include "options.h"
#include "estimate-lowest.h"
#include "estimate-strategy.h"
#include "estimate-query.h"
#include "estimate-info.h"

coroutine_fn MigrationEstimateInfo *qmp_query_migration_estimate(
    bool has_bandwidths, sizeList *bandwidths,
    bool has_downtime_limits, uint64List *downtime_limits,
    bool has_deadline, uint64_t deadline,
    bool has_max_bandwidth, uint64_t max_bandwidth,
    bool has_downtime_limit, uint64_t downtime_limit,
    bool has_link_bandwidth, uint64_t link_bandwidth,
    bool has_strategies, MigrationEstimateStrategyList *strategies,
    bool has_complete_within, uint64_t complete_within,
    Error **errp)
{
    g_autoptr(MigrationEstimateStrategyList) current = NULL;
    EstimateSettings set;
    EstimateQuery q;

    estimate_query_default(&q);
    if (!estimate_query_ms(has_deadline, deadline, "deadline",
                           ESTIMATE_MIN_DEADLINE_MS, ESTIMATE_MAX_DEADLINE_MS,
                           &q.deadline, errp) ||
        !estimate_query_ms(has_complete_within, complete_within,
                           "complete-within", ESTIMATE_MIN_DEADLINE_MS,
                           ESTIMATE_MAX_DEADLINE_MS, &q.complete_within,
                           errp)) {
        return NULL;
    }
    if (has_downtime_limit &&
        downtime_limit > ESTIMATE_MAX_DOWNTIME_LIMIT_MS) {
        error_setg(errp, "'downtime-limit' must be at most %d ms",
                   ESTIMATE_MAX_DOWNTIME_LIMIT_MS);
        return NULL;
    }
    if (has_link_bandwidth &&
        (!link_bandwidth || link_bandwidth > ESTIMATE_MAX_BANDWIDTH)) {
        error_setg(errp, "'link-bandwidth' must be between 1 and %llu",
                   ESTIMATE_MAX_BANDWIDTH);
        return NULL;
    }
    if (!has_complete_within) {
        q.complete_within = q.deadline;
    }
    q.downtime_limit = has_downtime_limit ? downtime_limit :
                                            migrate_downtime_limit();
    q.max_bandwidth = has_max_bandwidth ? max_bandwidth :
                                          migrate_max_bandwidth();
    q.has_params = has_max_bandwidth || has_downtime_limit;
    q.link_bandwidth = has_link_bandwidth ? link_bandwidth : 0;
    if (!has_strategies) {
        estimate_settings_read(&set);
        QAPI_LIST_PREPEND(current, estimate_strategy_current(&set));
    }
    q.strategies = has_strategies ? strategies : current;
    if (!estimate_query_strategies(q.strategies, errp) ||
        !estimate_query_bandwidths(&q, has_bandwidths, bandwidths, errp) ||
        !estimate_query_downtime_limits(&q, has_downtime_limits,
                                        downtime_limits, errp)) {
        return NULL;
    }
    return migration_estimate_co(&q, errp);
}
