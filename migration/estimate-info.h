/*
 * Migration estimate: the answer to a query
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_INFO_H
#define QEMU_MIGRATION_ESTIMATE_INFO_H

#include "qapi/qapi-types-migration-estimate-info.h"
#include "estimate-query.h"

/**
 * migration_estimate: The answer to a query
 *
 * Runs the model over the grid of @q, on the dirty page curve of the
 * last calc-dirty-rate or on the migration under way, and with the
 * strategies of @q.  Called under the BQL, which it holds for as long
 * as the grid takes: see migration_estimate_co() for one that does not.
 *
 * @q: the query, checked
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: the answer, or NULL with @errp set if neither a curve nor a
 * migration gives a workload, or @q asks for what cannot be; the
 * caller frees it
 */
MigrationEstimateInfo *migration_estimate(const EstimateQuery *q,
                                          Error **errp);

/**
 * migration_estimate_co: The answer to a query, off the BQL
 *
 * migration_estimate(), but it reads the guest, the migration under way
 * and the migration's settings under the BQL, and runs the model on
 * what it read in the thread pool, the BQL released meanwhile.  Called
 * in a coroutine of the main loop's AioContext.
 *
 * @q: the query, checked; it must live until this returns
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: as migration_estimate()
 */
MigrationEstimateInfo *coroutine_fn migration_estimate_co(
    const EstimateQuery *q, Error **errp);

#endif
