/*
 * Pre-copy migration estimate: a migration that gains nothing
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "precopy-stalled.h"

/*
 * The threshold, in pages, that the interval from sync @b to sync @c
 * gives: migration_update_counters() sets it to the bytes sent per
 * millisecond times downtime-limit
 */
static double sync_threshold_pages(const PrecopySync *b,
                                   const PrecopySync *c, uint64_t page_size)
{
    if (c->elapsed_us <= b->elapsed_us) {
        return 0;
    }
    return (double)(c->transferred - b->transferred) /
           (c->elapsed_us - b->elapsed_us) * 1000 *
           c->downtime_limit / page_size;
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
    double floor;

    if (d2 <= 0 || d1 <= d2 || c->elapsed_us <= b->elapsed_us) {
        return false;
    }
    floor = c->dirty_after - d2 * d2 / (d1 - d2);
    return floor > PRECOPY_STALLED_MARGIN *
                   sync_threshold_pages(b, c, page_size);
}

/*
 * Whether sync @c, after sync @b, left more than PRECOPY_STALLED_MARGIN
 * times the threshold: a migration already stalled holds there
 */
static bool sync_far_above_threshold(const PrecopySync *b,
                                     const PrecopySync *c,
                                     uint64_t page_size)
{
    return c->dirty_after > PRECOPY_STALLED_MARGIN *
                            sync_threshold_pages(b, c, page_size);
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
            (settled >= PRECOPY_STALLED_SYNCS &&
             sync_far_above_threshold(r - 1, r, g->page_size))) {
            settled++;
        } else {
            settled = 0;
        }
        low = MIN(low, r->dirty_after);
        counted++;
    }
    return settled;
}
