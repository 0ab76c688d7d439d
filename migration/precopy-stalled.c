/*
 * Pre-copy migration estimate: a migration that gains nothing
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "precopy-stalled.h"

/*
 * Whether @pages lie above PRECOPY_STALLED_MARGIN times the threshold
 * that the interval from sync @b to sync @c gives:
 * migration_update_counters() sets it to the bytes sent per millisecond
 * times downtime-limit
 */
static bool above_margin(double pages, const PrecopySync *b,
                         const PrecopySync *c, uint64_t page_size)
{
    double threshold = 0;

    if (c->elapsed_us > b->elapsed_us) {
        threshold = (double)(c->transferred - b->transferred) /
                    (c->elapsed_us - b->elapsed_us) * 1000 *
                    c->downtime_limit / page_size;
    }
    return pages > PRECOPY_STALLED_MARGIN * threshold;
}

/*
 * Whether the pages left after syncs @a, @b and @c, one after another,
 * decline towards a floor above PRECOPY_STALLED_MARGIN times the
 * threshold that @c's interval gives: each decline a smaller share of the
 * one before, as a geometric series whose sum the floor is
 */
static bool sync_floor_above_threshold(const PrecopySync *a,
                                       const PrecopySync *b,
                                       const PrecopySync *c,
                                       uint64_t page_size)
{
    double d1 = (double)a->dirty_after - b->dirty_after;
    double d2 = (double)b->dirty_after - c->dirty_after;

    if (d2 <= 0 || d1 <= d2 || c->elapsed_us <= b->elapsed_us) {
        return false;
    }
    return above_margin(c->dirty_after - d2 * d2 / (d1 - d2), b, c,
                        page_size);
}

size_t precopy_stalled_syncs(const PrecopyProgress *g)
{
    const PrecopySync *last = &g->syncs[g->nr_syncs - 1];
    uint64_t low = UINT64_MAX;
    size_t settled = 0, counted = 0, i;

    assert(precopy_progress_check(g, NULL));

    for (i = 0; i < g->nr_syncs; i++) {
        const PrecopySync *r = &g->syncs[i];

        if (!r->sent_pages ||
            r->max_bandwidth != last->max_bandwidth ||
            r->downtime_limit != last->downtime_limit) {
            low = UINT64_MAX;           /* the count starts after it */
            settled = counted = 0;
            continue;
        }
        if (r->dirty_after >= low - low / PRECOPY_STALLED_GAIN ||
            (counted >= 2 &&
             sync_floor_above_threshold(r - 2, r - 1, r, g->page_size)) ||
            /* stalled, it holds until a sync comes within the margin */
            (settled >= PRECOPY_STALLED_SYNCS &&
             above_margin(r->dirty_after, r - 1, r, g->page_size))) {
            settled++;
        } else {
            settled = 0;
        }
        low = MIN(low, r->dirty_after);
        counted++;
    }
    return settled;
}
