/*
 * Migration estimate: the lowest bandwidth and downtime-limit that converge
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_LOWEST_H
#define QEMU_MIGRATION_ESTIMATE_LOWEST_H

#include "qapi/qapi-types-migration-estimate-lowest.h"
#include "precopy-search.h"

/* as migrate-set-parameters allows */
#define ESTIMATE_MAX_DOWNTIME_LIMIT_MS  (2000 * 1000)

/**
 * estimate_min_bandwidth: The lowest bandwidth that converges
 *
 * Searched from 8 kbit/s to 1 Tbit/s.
 *
 * @w: the workloads
 * @p: the parameters; its downtime_limit_ms is set to
 *     @downtime_limit_ms
 * @downtime_limit_ms: the downtime-limit
 *
 * Returns: the lowest bandwidth at which @w converges with @p at
 * @downtime_limit_ms, over the range; the caller frees it
 */
MigrationEstimateMinBandwidth *estimate_min_bandwidth(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    uint64_t downtime_limit_ms);

/**
 * estimate_min_downtime_limit: The lowest downtime-limit that converges
 *
 * Searched up to ESTIMATE_MAX_DOWNTIME_LIMIT_MS.
 *
 * @w: the workloads
 * @p: the parameters; its bandwidth is set to @bandwidth
 * @bandwidth: the bandwidth, in bytes per second
 *
 * Returns: the lowest downtime-limit at which @w converges with @p at
 * @bandwidth, over the range; the caller frees it
 */
MigrationEstimateMinDowntimeLimit *estimate_min_downtime_limit(
    const PrecopyWorkloadRange *w, PrecopyParams *p, uint64_t bandwidth);

#endif
