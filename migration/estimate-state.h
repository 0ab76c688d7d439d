/*
 * Migration estimate: what an estimate reads of the guest and the
 * migration
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An estimate reads the guest's curve, the migration under way and the
 * migration's settings under the BQL, at once, and computes its answer
 * from what it read alone, so that the model can run without the BQL.
 */

#ifndef QEMU_MIGRATION_ESTIMATE_STATE_H
#define QEMU_MIGRATION_ESTIMATE_STATE_H

#include "qapi/qapi-types-migration-estimate-running.h"
#include "precopy-search.h"
#include "estimate-sync.h"
#include "estimate-strategy.h"
#include "estimate-query.h"

/*
 * What an estimate needs of the guest and of the migration under way:
 * read under the BQL (estimate_read()), then the answer computed on it
 * alone
 */
typedef struct EstimateState {
    const EstimateQuery *q;
    PrecopySync syncs[ESTIMATE_SYNCS];
    PrecopyProgress g;
    bool running;
    int64_t setup_ms;
    EstimateSettings set;
    DirtyCurve measured;        /* the curve of the last calc-dirty-rate */
    bool has_measured;
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

/**
 * estimate_read: Read the guest and the migration for an estimate
 *
 * Call with the BQL held.
 *
 * @q: the query, checked; @st keeps a pointer to it
 * @st: filled with what the estimate needs
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if neither a curve nor a migration
 * under way gives a workload, or @q asks for what cannot be
 */
bool estimate_read(const EstimateQuery *q, EstimateState *st,
                   Error **errp);

/**
 * estimate_prepare: The workloads and parameters of an estimate
 *
 * Refits the curve to the migration under way, if any, and sets the
 * model's parameters and the bandwidths of @st from what estimate_read()
 * read; needs no lock.
 *
 * @st: as estimate_read() filled it
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if the curve cannot be estimated on,
 * or the query asks for a bandwidth without rate limit and nothing
 * tells how fast that is
 */
bool estimate_prepare(EstimateState *st, Error **errp);

#endif
