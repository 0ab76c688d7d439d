/*
 * Migration estimate: what a running migration tells the estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_SYNC_H
#define QEMU_MIGRATION_ESTIMATE_SYNC_H

#include "precopy-workload.h"

/* Syncs of the migration under way kept for the estimate */
#define ESTIMATE_SYNCS                  16

/*
 * The last ESTIMATE_SYNCS syncs of the migration under way, kept in
 * MigrationState.estimate_syncs: written by the migration thread,
 * read by the monitor, under a lock of their own
 */
typedef struct EstimateSyncs EstimateSyncs;

/**
 * estimate_syncs_new: A record of syncs, empty
 *
 * Returns: the record, to be freed with estimate_syncs_free()
 */
EstimateSyncs *estimate_syncs_new(void);

/**
 * estimate_syncs_free: Free a record of syncs
 *
 * @e: the record, or NULL
 */
void estimate_syncs_free(EstimateSyncs *e);

/**
 * migration_estimate_sync: Record a sync of the migration dirty bitmap
 *
 * Keeps what the estimate of the migration under way needs of the sync,
 * at O(1) cost: the estimate itself runs when a client asks for it
 * (query-migration-estimate).  The first sync of a migration starts the
 * record afresh.  Called by migration_bitmap_sync() after it synced, with
 * no lock of its own held.
 *
 * @e: the record
 * @dirty_before: pages in the dirty bitmap before the sync
 * @dirty_after: pages in it after the sync
 */
void migration_estimate_sync(EstimateSyncs *e, uint64_t dirty_before,
                             uint64_t dirty_after);

/**
 * estimate_progress: The pre-copy migration under way
 *
 * One still setting up is where its first sync will leave it.  Called
 * under the BQL.
 *
 * @g: filled with the migration
 * @syncs: filled with its syncs, at least ESTIMATE_SYNCS of them;
 *     @g points to them
 * @setup_ms: filled with how long ago, in milliseconds, it started
 *     before its first sync
 *
 * Returns: false if none is under way
 */
bool estimate_progress(PrecopyProgress *g, PrecopySync *syncs,
                       int64_t *setup_ms);

/**
 * estimate_progress_rate: The rate at which a migration has sent
 *
 * @g: the migration, as estimate_progress() fills it in
 *
 * Returns: the rate at which @g has sent since its oldest sync kept, in
 * bytes per second; 0 before a rate limit window has passed
 */
uint64_t estimate_progress_rate(const PrecopyProgress *g);

#endif
