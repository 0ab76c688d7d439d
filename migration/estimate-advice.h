/*
 * Migration estimate: the estimate with a strategy, and the advice
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_ADVICE_H
#define QEMU_MIGRATION_ESTIMATE_ADVICE_H

#include "qapi/qapi-types-migration-estimate-advice.h"
#include "precopy-search.h"
#include "estimate-strategy.h"

/**
 * estimate_strategy: The estimate with a strategy
 *
 * @w: the workloads
 * @base: the parameters, at the bandwidth and downtime-limit to
 *     estimate at
 * @s: the strategy
 * @set: the migration's settings
 * @setup_ms: as for estimate_cell_of()
 *
 * Returns: the estimate with @s, at @base's bandwidth and
 * downtime-limit; the caller frees it
 */
MigrationEstimateStrategyResult *estimate_strategy(
    const PrecopyWorkloadRange *w, const PrecopyParams *base,
    const MigrationEstimateStrategy *s, const EstimateSettings *set,
    uint64_t setup_ms);

/**
 * estimate_advice: The least intrusive strategy that completes in time
 *
 * See MigrationEstimateAdvice.  A migration under way (@base->progress)
 * can no longer change its capabilities, only switch to post-copy if
 * it has the capability.
 *
 * @w: the workloads
 * @base: the parameters, as for estimate_strategy()
 * @set: the migration's settings, its capabilities among them
 * @complete_within: the time to complete within, in milliseconds from
 *     the start
 * @setup_ms: as for estimate_cell_of()
 *
 * Returns: the advice; the caller frees it
 */
MigrationEstimateAdvice *estimate_advice(const PrecopyWorkloadRange *w,
                                         const PrecopyParams *base,
                                         const EstimateSettings *set,
                                         uint64_t complete_within,
                                         uint64_t setup_ms);

#endif
