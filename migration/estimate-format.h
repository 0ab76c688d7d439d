/*
 * Migration estimate: estimates as text, for HMP
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_FORMAT_H
#define QEMU_MIGRATION_ESTIMATE_FORMAT_H

#include "qapi/qapi-types-migration-estimate-cell.h"
#include "qapi/qapi-types-migration-estimate-lowest.h"
#include "qapi/qapi-types-migration-estimate-strategy.h"

/*
 * Each of these returns a string that the caller frees.
 */

/**
 * estimate_format_duration: A duration: "850ms", "1.4s", "1m55s", "1h02m"
 *
 * @ms: the duration, in milliseconds
 */
char *estimate_format_duration(uint64_t ms);

/**
 * estimate_format_bandwidth: A rate limit as the operator set it
 *
 * A whole number of MiB/s in MiB/s, else in bits per second:
 * "128 MiB/s", "100 Mbit/s", "2.5 Gbit/s".
 *
 * @bytes_per_s: the rate, in bytes per second
 */
char *estimate_format_bandwidth(uint64_t bytes_per_s);

/**
 * estimate_format_cell: An estimate's total time
 *
 * "21.3s", "21.3s (17.0-26.1s)" for a range, "? (17.0s-)" for a
 * migration that converges in part of the range only, "-" for one that
 * never does.
 *
 * @cell: the estimate
 */
char *estimate_format_cell(const MigrationEstimate *cell);

/**
 * estimate_format_downtime_limit: A downtime-limit as a column of the
 * table: "300ms", "1s"
 *
 * @ms: the downtime-limit, in milliseconds
 */
char *estimate_format_downtime_limit(uint64_t ms);

/**
 * estimate_format_ms: Milliseconds as a downtime-limit: "300ms"
 *
 * @ms: the downtime-limit, in milliseconds
 */
char *estimate_format_ms(uint64_t ms);

/**
 * estimate_format_min_bandwidth: The lowest bandwidth that converges,
 * with its range: "1.25 Gbit/s (1.1-1.4 Gbit/s)", or "none"
 *
 * @min: the lowest bandwidth
 */
char *estimate_format_min_bandwidth(const MigrationEstimateMinBandwidth *min);

/**
 * estimate_format_min_downtime_limit: The lowest downtime-limit that
 * converges, with its range: "80ms (75-95ms)", or "none"
 *
 * @min: the lowest downtime-limit
 */
char *estimate_format_min_downtime_limit(
    const MigrationEstimateMinDowntimeLimit *min);

/**
 * estimate_format_strategy: A strategy's name: "auto-converge+multifd",
 * or "pre-copy" without aids
 *
 * @s: the strategy
 */
char *estimate_format_strategy(const MigrationEstimateStrategy *s);

#endif
