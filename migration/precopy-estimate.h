/*
 * Pre-copy migration estimate: a model of QEMU's own pre-copy loop
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Given the dirty page curve of a guest (see dirty-curve.h), tell whether
 * a pre-copy migration at a given bandwidth and downtime-limit converges,
 * and how long it takes.  Pure computation: no guest, no clock, no
 * allocation, so it can run under the BQL and in unit tests alike.
 * docs/devel/migration/estimate.rst describes the model.
 */

#ifndef QEMU_MIGRATION_PRECOPY_ESTIMATE_H
#define QEMU_MIGRATION_PRECOPY_ESTIMATE_H

#include "dirty-curve.h"

/* A downtime-limit that never holds the switchover back: stop and copy */
#define PRECOPY_DOWNTIME_UNLIMITED UINT64_MAX

/*
 * Dirty syncs a simulated migration may take before it is called
 * non-converging; each costs the simulator O(log readings).
 */
#define PRECOPY_MAX_DIRTY_SYNCS 1000

/*
 * Pages a rate limit window lets out past its budget, on average.  A page
 * takes two of a QEMUFile's MAX_IOV_SIZE (64) iovecs, its header in the
 * buffer and the page itself (add_to_iovec()), so the file is flushed
 * every 32 pages; migration_rate_exceeded() counts only flushed bytes, so
 * the flush that crosses the budget overshoots it by 0 to 32 pages.
 */
#define PRECOPY_RATE_LIMIT_OVERSHOOT 16

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
} PrecopyWorkload;

/* The migration parameters of one estimate */
typedef struct PrecopyParams {
    /* max-bandwidth, in bytes per second; at least 1 */
    uint64_t bandwidth;
    /* avail-switchover-bandwidth, in bytes per second; 0 if unset */
    uint64_t switchover_bandwidth;
    /*
     * The speed at which the final stop-and-copy, which no rate limit
     * holds back, really sends, in bytes per second; 0 if unknown, when
     * the switchover bandwidth or else @bandwidth stands in for it.
     */
    uint64_t link_bandwidth;
    /* downtime-limit in milliseconds, or PRECOPY_DOWNTIME_UNLIMITED */
    uint64_t downtime_limit_ms;
    /* give up on a migration still running after this many milliseconds */
    uint64_t deadline_ms;
} PrecopyParams;

typedef struct PrecopyEstimate {
    /* whether the migration switches over before the deadline */
    bool converges;
    /*
     * From the start of the migration until the destination runs, in
     * milliseconds: what query-migrate reports as total-time.  When the
     * migration does not converge, how long it ran before the model gave
     * up (the deadline, or earlier once it stopped making progress).
     */
    uint64_t total_time_ms;
    /* the final stop-and-copy, in milliseconds; 0 if it never happens */
    uint64_t downtime_ms;
    /* dirty bitmap syncs, counted as query-migrate's dirty-sync-count */
    uint64_t dirty_syncs;
    /* bytes on the wire, page headers included */
    uint64_t transferred;
} PrecopyEstimate;

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
 * precopy_estimate: Simulate one pre-copy migration
 *
 * Runs QEMU 10.2's pre-copy loop on the dirty page curve of @w, with the
 * parameters @p.  Takes at most PRECOPY_MAX_DIRTY_SYNCS steps of
 * O(log @w->nr_readings) each.  Asserts its preconditions: check input
 * from outside with precopy_workload_check() first.
 *
 * @w: the workload, accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth at least 1
 * @e: filled with the estimate
 */
void precopy_estimate(const PrecopyWorkload *w, const PrecopyParams *p,
                      PrecopyEstimate *e);

/**
 * precopy_min_bandwidth: The lowest bandwidth at which a migration converges
 *
 * Searches, between @lo and @hi bytes per second, for the lowest
 * bandwidth at which precopy_estimate() converges with the other
 * parameters of @p, to within 1%.
 *
 * @w: the workload, accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth is ignored
 * @lo: lowest bandwidth to consider, at least 1
 * @hi: highest bandwidth to consider, at least @lo
 *
 * Returns: the bandwidth found, or 0 if the migration does not converge
 * even at @hi
 */
uint64_t precopy_min_bandwidth(const PrecopyWorkload *w,
                               const PrecopyParams *p,
                               uint64_t lo, uint64_t hi);

#endif
