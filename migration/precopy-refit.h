/*
 * Pre-copy migration estimate: the curve of a migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The dirty page curve of a guest scaled, or drawn anew from the syncs of
 * its migration under way, so that the model's syncs find what the
 * migration's found: the curve from which to estimate the rest of that
 * migration.
 */

#ifndef QEMU_MIGRATION_PRECOPY_REFIT_H
#define QEMU_MIGRATION_PRECOPY_REFIT_H

#include "precopy-workload.h"

/*
 * Syncs of a running migration whose spread precopy_refit() takes for
 * the range of the curve: the last few, so that it follows a guest that
 * changes its ways
 */
#define PRECOPY_REFIT_SYNCS 3

/**
 * precopy_refit: The dirty page curves of a guest being migrated
 *
 * Every dirty bitmap sync of a migration counts the pages dirtied since
 * the sync before, but for those still waiting to be sent, which the
 * model accounts for as it does in its own syncs.  Scales @base, the
 * curve measured before the migration and the ends of its range, so
 * that the model's syncs find what the migration's syncs found: @fit[0]
 * as the last one did, since the intervals to come are most like its
 * own, @fit[1] and @fit[2] by the lowest and highest scale of those of
 * the last PRECOPY_REFIT_SYNCS whose intervals are like it.  Without
 * @base, or with a base that dirties nothing, the curve is the one
 * through the pages the syncs found over their intervals, scaled the
 * same way; without it nor a sync since the first, nothing is known of
 * the guest: @fit[1] then dirties nothing, and @fit[0] and @fit[2]
 * dirty all of its pages at once.
 *
 * @base: the measured curve and the low and high ends of its range, of
 *        @g->total_pages pages; or NULL
 * @g: the migration, accepted by precopy_progress_check()
 * @fit: filled with the curve, its low end and its high end
 * @from_base: set to whether @fit are @base scaled
 *
 * Returns: how many syncs the curves were fitted to: 0 if the migration
 * has made none since its first, with an interval
 */
size_t precopy_refit(const DirtyCurve *base, const PrecopyProgress *g,
                     DirtyCurve *fit, bool *from_base);

#endif
