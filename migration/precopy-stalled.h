/*
 * Pre-copy migration estimate: a migration that gains nothing
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A migration under way can show by itself that it does not converge:
 * sync after sync, under parameters that have not changed, it gains
 * nothing on the pages left to send.  Telling so takes none of the model,
 * only the syncs the migration made.
 */

#ifndef QEMU_MIGRATION_PRECOPY_STALLED_H
#define QEMU_MIGRATION_PRECOPY_STALLED_H

#include "precopy-workload.h"

/*
 * A migration shows by itself that it does not converge once this many
 * syncs after its first one, under unchanged parameters, gained nothing
 * (see precopy_stalled_syncs())
 */
#define PRECOPY_STALLED_SYNCS 2
/* A gain is more than 1/PRECOPY_STALLED_GAIN of the fewest pages left */
#define PRECOPY_STALLED_GAIN 16
/*
 * ... towards a floor no higher than this many times the threshold; and
 * a migration that has stalled gains only down to that many times it
 */
#define PRECOPY_STALLED_MARGIN 2

/**
 * precopy_stalled_syncs: How long a migration has gained nothing
 *
 * Counts the syncs of @g that came after its first sync and after its
 * parameters last changed, since the last of them that gained.  A sync
 * gains when it leaves fewer pages than any before it, less
 * 1/PRECOPY_STALLED_GAIN of those, and, with two such syncs before it,
 * when the declines of the pages left do not shrink like a geometric
 * series whose floor is above PRECOPY_STALLED_MARGIN times the threshold
 * (the bytes sent since the sync before, per millisecond, times
 * downtime-limit).  Once the count reaches PRECOPY_STALLED_SYNCS, it
 * holds: only a sync that leaves no more than PRECOPY_STALLED_MARGIN
 * times the threshold gains, so that noise in the declines of a
 * migration that settles far above it does not undo the verdict.  Every
 * sync but the first finds the pages left above
 * the threshold, or the migration would have switched over, so a count
 * of PRECOPY_STALLED_SYNCS is the migration's own evidence that it does
 * not converge under those parameters.
 *
 * @g: the migration, accepted by precopy_progress_check()
 *
 * Returns: the count
 */
size_t precopy_stalled_syncs(const PrecopyProgress *g);

#endif
