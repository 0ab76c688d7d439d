/*
 * Pre-copy migration estimate: the switchover
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * How the simulated migration ends when it converges: the check of
 * migration_iteration_run() that tells it is time, and then the final
 * stop-and-copy of ram_save_complete(), or a switch to post-copy, after
 * which the pages left follow.
 */

#ifndef QEMU_MIGRATION_PRECOPY_SWITCHOVER_H
#define QEMU_MIGRATION_PRECOPY_SWITCHOVER_H

#include "precopy-sim.h"

/**
 * precopy_sim_switchover_ready: Whether to switch over
 *
 * migration_iteration_run() at the end of a round: sync if below
 * threshold_size, then whether to switch over
 *
 * @s: the migration
 *
 * Returns: true if the migration switches over
 */
bool precopy_sim_switchover_ready(PrecopySim *s);

/**
 * precopy_sim_complete: The final stop-and-copy
 *
 * ram_save_complete(): sync once more, in the stopped guest, and send the
 * rest with the rate limit lifted
 *
 * @s: the migration
 */
void precopy_sim_complete(PrecopySim *s);

/**
 * precopy_sim_postcopy_due: Whether migrate-start-postcopy is due,
 * at the end of its pass
 *
 * @s: the migration
 *
 * Returns: true if it is
 */
bool precopy_sim_postcopy_due(const PrecopySim *s);

/**
 * precopy_sim_postcopy: Switch to post-copy
 *
 * migrate-start-postcopy at the end of a pass, as virsh migrate
 * --postcopy-after-precopy sends it on the event MIGRATION_PASS:
 * migration_iteration_run() calls postcopy_start() when the next window
 * starts.  The guest stops, the rate limit is lifted for the switch
 * (migration_switchover_start()), the dirty bitmap is synced once more
 * and its runs of pages sent as discards
 * (ram_postcopy_send_discard_bitmap()), then the devices' state: no
 * page goes in the downtime, and the model counts a discard per page,
 * as for pages scattered, and leaves the devices' state out.  The
 * destination runs, and the pages left follow on the main channel
 * alone (multifd sends none in post-copy) at max-postcopy-bandwidth,
 * or as fast as the link goes without it.
 *
 * @s: the migration
 */
void precopy_sim_postcopy(PrecopySim *s);

#endif
