/*
 * Pre-copy migration estimate: searches and ranges
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * What the pre-copy model tells beyond a single estimate: the lowest
 * bandwidth or downtime-limit at which a migration converges, and the
 * estimates over a workload known within bounds, from the dirty page
 * curve as measured to the two ends of its range.
 */

#ifndef QEMU_MIGRATION_PRECOPY_SEARCH_H
#define QEMU_MIGRATION_PRECOPY_SEARCH_H

#include "precopy-estimate.h"

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
    /*
     * Member by member, the least of the estimates in the range that
     * converge: the shortest total time, the shortest downtime...; all 0
     * if none does
     */
    PrecopyEstimate min;
    /* the greatest; all 0 unless the migration converges throughout */
    PrecopyEstimate max;
} PrecopyEstimateRange;

/* A parameter that precopy_lowest() searches */
typedef enum PrecopySearch {
    PRECOPY_SEARCH_BANDWIDTH,           /* PrecopyParams.bandwidth */
    PRECOPY_SEARCH_DOWNTIME_LIMIT,      /* PrecopyParams.downtime_limit_ms */
} PrecopySearch;

/* The lowest converging values of a parameter over a PrecopyWorkloadRange */
typedef struct PrecopyLowest {
    uint64_t measured;          /* on the curve as measured; 0 if none */
    uint64_t min;               /* the lowest in the range; 0 if none */
    uint64_t max;               /* the highest; 0 if none at some end */
} PrecopyLowest;

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
 * precopy_min_downtime_limit: The lowest downtime-limit that converges
 *
 * precopy_min_bandwidth(), for the downtime-limit in milliseconds: a
 * higher one never makes a migration converge later.
 *
 * @w: the workload, accepted by precopy_workload_check()
 * @p: the migration parameters; @p->downtime_limit_ms is ignored
 * @lo: lowest downtime-limit to consider, at least 1
 * @hi: highest downtime-limit to consider, at least @lo
 *
 * Returns: the downtime-limit found, or 0 if the migration does not
 * converge even at @hi
 */
uint64_t precopy_min_downtime_limit(const PrecopyWorkload *w,
                                    const PrecopyParams *p,
                                    uint64_t lo, uint64_t hi);

/**
 * precopy_estimate_range: Simulate one pre-copy migration over a range
 *
 * Runs precopy_estimate() on the curve as measured and on the two ends
 * of its range, once if they are all the same.  The verdict and the range
 * of total time cover all three, so they contain the estimate on the
 * curve as measured even where the model is not quite monotonic.  The
 * range of total time also spans a rate limit window (BUFFER_DELAY) either
 * way for each sync still to come, where the model and QEMU may part: so
 * even an exact curve has one.
 *
 * @w: the workload range; each accepted by precopy_workload_check()
 * @p: the migration parameters; @p->bandwidth at least 1
 * @r: filled with the estimates
 */
void precopy_estimate_range(const PrecopyWorkloadRange *w,
                            const PrecopyParams *p, PrecopyEstimateRange *r);

/**
 * precopy_lowest_range: The lowest converging value of a parameter,
 * over a range
 *
 * precopy_min_bandwidth() or precopy_min_downtime_limit() on the curve
 * as measured and on the two ends of its range.
 *
 * @w: the workload range; each accepted by precopy_workload_check()
 * @p: the migration parameters; the one searched is ignored
 * @search: which parameter to search
 * @lo: lowest value to consider, at least 1
 * @hi: highest value to consider, at least @lo
 * @r: filled with the values found
 */
void precopy_lowest_range(const PrecopyWorkloadRange *w,
                          const PrecopyParams *p, PrecopySearch search,
                          uint64_t lo, uint64_t hi, PrecopyLowest *r);

#endif
