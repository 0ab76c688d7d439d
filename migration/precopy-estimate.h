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
 * Pages a QEMUFile sends per flush.  A page takes two of its MAX_IOV_SIZE
 * (64) iovecs, its header in the buffer and the page itself
 * (add_to_iovec()), so the file is flushed every 32 pages.
 * migration_rate_exceeded() counts only flushed bytes, and a rate limit
 * window starts right after the flush that ended the last one: a window
 * lets out the whole flushes it takes to pass its budget.
 */
#define PRECOPY_FLUSH_PAGES 32

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
     * the switchover bandwidth or else the rate at which the rate limit
     * lets pages out (@bandwidth, a little more) stands in for it.
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

/*
 * A workload known within bounds: the dirty page curve as measured, and
 * the two ends of the range of curves it may stand for (see
 * dirty_curve_bounds()).  The model is monotonic in the workload: a guest
 * that dirties more pages in every interval, or has more pages to send,
 * never migrates sooner, so the ends of the range bound the estimates.
 */
typedef struct PrecopyWorkloadRange {
    PrecopyWorkload measured;
    PrecopyWorkload low;        /* dirties the least, sends the least */
    PrecopyWorkload high;       /* dirties the most, sends the most */
} PrecopyWorkloadRange;

/* Whether a migration converges over a PrecopyWorkloadRange */
typedef enum PrecopyVerdict {
    PRECOPY_CONVERGES,          /* on the curve and at both ends */
    PRECOPY_UNCERTAIN,          /* on some of them only */
    PRECOPY_DOES_NOT_CONVERGE,  /* on none */
} PrecopyVerdict;

/* An estimate over a PrecopyWorkloadRange */
typedef struct PrecopyEstimateRange {
    PrecopyVerdict verdict;
    /* on the curve as measured */
    PrecopyEstimate measured;
    /* the shortest total time in the range; 0 if it does not converge */
    uint64_t min_total_time_ms;
    /* the longest; 0 unless it converges throughout */
    uint64_t max_total_time_ms;
} PrecopyEstimateRange;

/* The lowest converging bandwidths over a PrecopyWorkloadRange */
typedef struct PrecopyBandwidthRange {
    uint64_t measured;          /* on the curve as measured; 0 if none */
    uint64_t min;               /* the lowest in the range; 0 if none */
    uint64_t max;               /* the highest; 0 if none at some end */
} PrecopyBandwidthRange;

/**
 * precopy_workload_from_curve: The workload of a measured curve
 *
 * @w: filled with the workload, which points into @c
 * @c: the curve
 */
void precopy_workload_from_curve(PrecopyWorkload *w, const DirtyCurve *c);

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

/**
 * precopy_estimate_range: Simulate one pre-copy migration over a range
 *
 * Runs precopy_estimate() on the curve as measured and on the two ends
 * of its range, once if they are all the same.  The verdict and the range
 * of total time cover all three, so they contain the estimate on the
 * curve as measured even where the model is not quite monotonic.
 *
 * @w: the workload range; each accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth at least 1
 * @r: filled with the estimates
 */
void precopy_estimate_range(const PrecopyWorkloadRange *w,
                            const PrecopyParams *p, PrecopyEstimateRange *r);

/**
 * precopy_min_bandwidth_range: precopy_min_bandwidth() over a range
 *
 * @w: the workload range; each accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth is ignored
 * @lo: lowest bandwidth to consider, at least 1
 * @hi: highest bandwidth to consider, at least @lo
 * @r: filled with the bandwidths found
 */
void precopy_min_bandwidth_range(const PrecopyWorkloadRange *w,
                                 const PrecopyParams *p,
                                 uint64_t lo, uint64_t hi,
                                 PrecopyBandwidthRange *r);

#endif
