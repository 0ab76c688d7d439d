/*
 * Pre-copy migration estimate: the syncs of the dirty bitmap
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The syncs of the simulated migration's dirty bitmap: the first, which
 * sets the migration up (ram_init_bitmaps()), those of a migration under
 * way, from where the model takes it over, and the model's own
 * (migration_bitmap_sync()), which add the pages dirtied since.
 */

#ifndef QEMU_MIGRATION_PRECOPY_SYNC_H
#define QEMU_MIGRATION_PRECOPY_SYNC_H

#include "precopy-sim.h"

/**
 * precopy_sim_resume: Take over a migration under way
 *
 * Put @s where the migration @g stood right before its sync @i, at the
 * start of a rate limit window; or, if @i is @g->nr_syncs, where it
 * stands now, in the window under way.
 *
 * @s: the migration, as precopy_sim_init() set it up
 * @g: the migration under way, accepted by precopy_progress_check()
 * @i: the sync, from 1 to @g->nr_syncs
 */
void precopy_sim_resume(PrecopySim *s, const PrecopyProgress *g, size_t i);

/**
 * precopy_sim_init: Set up a simulated migration
 *
 * migration_thread() and ram_init_bitmaps(): the migration set up, and
 * taken to where @p->progress stands, if it is set.
 *
 * @s: filled with the migration
 * @w: the workload, accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth at least 1
 * @e: the estimate that @s fills in
 */
void precopy_sim_init(PrecopySim *s, const PrecopyWorkload *w,
                      const PrecopyParams *p, PrecopyEstimate *e);

/**
 * precopy_sim_sync: Sync the dirty bitmap
 *
 * migration_bitmap_sync(): add the pages dirtied since the last sync
 *
 * @s: the migration
 */
void precopy_sim_sync(PrecopySim *s);

#endif
