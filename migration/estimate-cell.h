/*
 * Migration estimate: one estimate, at one bandwidth and downtime-limit
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_CELL_H
#define QEMU_MIGRATION_ESTIMATE_CELL_H

#include "qapi/qapi-types-migration-estimate-cell.h"
#include "precopy-search.h"

/**
 * estimate_ms_left: Milliseconds from @since to @until
 *
 * @until: the later time, in milliseconds
 * @since: the earlier one
 *
 * Returns: @until - @since, 0 if @until comes first
 */
static inline uint64_t estimate_ms_left(uint64_t until, uint64_t since)
{
    return until > since ? until - since : 0;
}

/**
 * estimate_int: A time or count of the model, as QAPI's 'int' holds it
 *
 * query-migrate reports times, byte counts and dirty-sync-count as
 * 'int'; the estimate answers in the same type.
 *
 * @value: the time or count
 * @offset: added to it: for a time, how long before the model's its
 *     times count from
 *
 * Returns: @value + @offset, at most INT64_MAX
 */
static inline int64_t estimate_int(uint64_t value, uint64_t offset)
{
    if (offset >= INT64_MAX || value >= INT64_MAX - offset) {
        return INT64_MAX;
    }
    return value + offset;
}

/**
 * estimate_cell_of: The estimate of a range, as QMP answers it
 *
 * @r: the estimate of the model over the range of workloads
 * @downtime_limit_ms: the downtime-limit @r was estimated at, or
 *     PRECOPY_DOWNTIME_UNLIMITED
 * @setup_ms: how long before the model's, in milliseconds, its times
 *     count from: the start of the migration under way
 *
 * Returns: the estimate; the caller frees it
 */
MigrationEstimate *estimate_cell_of(const PrecopyEstimateRange *r,
                                    uint64_t downtime_limit_ms,
                                    uint64_t setup_ms);

/**
 * estimate_cell: Estimate a range at one downtime-limit
 *
 * @w: the workloads
 * @p: the parameters; its downtime_limit_ms is set to @downtime_limit_ms
 * @downtime_limit_ms: the downtime-limit, or PRECOPY_DOWNTIME_UNLIMITED
 * @setup_ms: as for estimate_cell_of()
 *
 * Returns: the estimate of @w with @p at @downtime_limit_ms; the caller
 * frees it
 */
MigrationEstimate *estimate_cell(const PrecopyWorkloadRange *w,
                                 PrecopyParams *p,
                                 uint64_t downtime_limit_ms,
                                 uint64_t setup_ms);

#endif
