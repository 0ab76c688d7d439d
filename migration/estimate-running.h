/*
 * Migration estimate: the estimate of the migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_RUNNING_H
#define QEMU_MIGRATION_ESTIMATE_RUNNING_H

#include "qapi/qapi-types-migration-estimate-running.h"
#include "precopy-search.h"

/**
 * estimate_workloads: The workloads to estimate on
 *
 * The curve of the last calc-dirty-rate, or, with a migration under
 * way, that curve refitted to its syncs.  Pure computation: the caller
 * reads the curve (dirtyrate_get_curve()) and the migration.
 *
 * @g: the migration under way, as estimate_progress() fills it in, or
 *     NULL
 * @measured: the curve of the last calc-dirty-rate, or NULL if none;
 *     not NULL if @g is
 * @curves: filled with the curve, and the ends of its range
 * @source: with @g, filled with where the curve comes from
 * @refit: with @g, filled with how many syncs it was fitted to
 * @w: filled with the workloads on @curves
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if the curve cannot be estimated on
 */
bool estimate_workloads(const PrecopyProgress *g, const DirtyCurve *measured,
                        DirtyCurve curves[3],
                        MigrationEstimateCurveSource *source,
                        size_t *refit, PrecopyWorkloadRange *w,
                        Error **errp);

/**
 * estimate_running: The estimate for the migration under way
 *
 * Under @downtime_limit and at @p->bandwidth.
 *
 * @w: the workloads, as estimate_workloads() fills them in for @g
 * @p: the parameters
 * @g: the migration
 * @source: where the curve of @w comes from
 * @refit: how many syncs it was fitted to
 * @downtime_limit: the migration's downtime-limit, in milliseconds
 * @setup_ms: how long, in milliseconds, @g started before its first
 *     sync
 * @lean: search the lowest bandwidth and downtime-limit that converge
 *     only when the migration does not
 *
 * Returns: the estimate; the caller frees it
 */
MigrationEstimateRunning *estimate_running(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    const PrecopyProgress *g, MigrationEstimateCurveSource source,
    size_t refit, uint64_t downtime_limit, uint64_t setup_ms, bool lean);

#endif
