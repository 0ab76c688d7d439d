/*
 * Pre-copy migration estimate: the workload and the migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the pre-copy model takes in: the dirty page curve of a guest, as
 * calc-dirty-rate measured it, and, for a migration already running, its
 * last dirty bitmap syncs and where it stands.  With the checks of both,
 * for callers with input from outside.
 */

#ifndef QEMU_MIGRATION_PRECOPY_WORKLOAD_H
#define QEMU_MIGRATION_PRECOPY_WORKLOAD_H

#include "dirty-curve.h"

/* What the guest does, as calc-dirty-rate measured it */
typedef struct PrecopyWorkload {
    /*
     * the dirty page curve: at least one reading, at increasing elapsed
     * times after 0, dirty pages never decreasing
     */
    const DirtyCurveReading *readings;
    size_t nr_readings;
    uint64_t total_pages;       /* pages that migration transfers */
    uint64_t zero_pages;        /* of which all zeros, at most total_pages */
    uint64_t page_size;         /* bytes per page, at least 1 */
    /*
     * The share of their time, from 0 to 1, that the vCPUs ran while the
     * curve was measured; 0 if unknown, taken as 1.  A guest that
     * dirties pages at a pace of its own and idles in between keeps its
     * pace under a CPU throttle that takes no more time than it idles.
     */
    double vcpu_busy;
    /*
     * What sending a page takes the migration thread besides its bytes;
     * all 0 for a sender that only the rate limit and the link hold back
     */
    DirtyPace pace;
} PrecopyWorkload;

/*
 * One dirty bitmap sync of a running migration: how migration_bitmap_sync()
 * found the dirty bitmap and left it, and how far the migration had got
 */
typedef struct PrecopySync {
    int64_t elapsed_us;         /* since the migration's first sync */
    uint64_t dirty_before;      /* pages in the dirty bitmap before it */
    uint64_t dirty_after;       /* ... and after it */
    uint64_t sent_pages;        /* pages sent by then, zero pages included */
    uint64_t zero_sent;         /* ... of which zero pages */
    uint64_t transferred;       /* bytes sent by then */
    /* the max-bandwidth and downtime-limit it ran under */
    uint64_t max_bandwidth;
    uint64_t downtime_limit;
} PrecopySync;

/* A pre-copy migration under way: its last syncs, and where it stands */
typedef struct PrecopyProgress {
    uint64_t total_pages;       /* pages that the migration transfers */
    uint64_t page_size;         /* bytes per page */
    /*
     * The last syncs, oldest first: at least one, and if the first sync
     * of the migration (ram_init_bitmaps()) is among them, it is the first,
     * at elapsed_us 0
     */
    const PrecopySync *syncs;
    size_t nr_syncs;
    /* the syncs so far, as query-migrate counts dirty-sync-count */
    uint64_t dirty_sync_count;
    /*
     * The migration now, at or after the last sync: its dirty_before and
     * dirty_after both the pages in the dirty bitmap now
     */
    PrecopySync now;
    /*
     * The rate limit window under way (migration_rate_limit()): when it
     * started, on the clock of the syncs, and the bytes sent in it so
     * far.  Unless it started less than BUFFER_DELAY before now, the
     * estimate takes a window to start now.
     */
    int64_t window_us;
    uint64_t window_sent;
    /*
     * The bytes the last rate limit window sent, as threshold_size
     * tells (migration_update_counters()), at the bandwidth the
     * migration runs at, @bandwidth bytes per second; 0 if unknown.
     * For that bandwidth, the estimate takes the threshold to stand where
     * the migration's does; for others, or unknown, where a window of the
     * pages next in line would leave it.
     */
    uint64_t window_bytes;
    uint64_t bandwidth;
} PrecopyProgress;

/**
 * precopy_workload_from_curve: The workload of a measured curve
 *
 * @w: filled with the workload, which points into @c
 * @c: the curve
 */
void precopy_workload_from_curve(PrecopyWorkload *w, const DirtyCurve *c);

/**
 * precopy_workload_equal: Whether two workloads are the same guest
 *
 * @a: a workload
 * @b: another
 *
 * Returns: true if @a and @b have the same curve and pages, and their
 * vCPUs were as busy
 */
bool precopy_workload_equal(const PrecopyWorkload *a,
                            const PrecopyWorkload *b);

/**
 * precopy_workload_same_curve: Whether two workloads dirty the same
 * pages, however busy their vCPUs were and however fast the sender is
 *
 * @a: a workload
 * @b: another
 *
 * Returns: true if @a and @b have the same curve and pages
 */
bool precopy_workload_same_curve(const PrecopyWorkload *a,
                                 const PrecopyWorkload *b);

/**
 * precopy_workload_check: Whether a workload can be estimated from
 *
 * @w: the workload
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: true if precopy_estimate() accepts @w
 */
bool precopy_workload_check(const PrecopyWorkload *w, Error **errp);

/**
 * precopy_progress_check: Whether a running migration can be estimated
 *
 * @g: the migration
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: true if @g is what PrecopyProgress describes
 */
bool precopy_progress_check(const PrecopyProgress *g, Error **errp);

#endif
