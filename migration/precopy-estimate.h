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

/*
 * Syncs of a running migration whose spread precopy_refit() takes for
 * the range of the curve: the last few, so that it follows a guest that
 * changes its ways
 */
#define PRECOPY_REFIT_SYNCS 3

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

/*
 * What holds a guest back when its migration does not converge: the
 * capability auto-converge, or dirty-limit, with their parameters
 */
typedef enum PrecopyThrottleKind {
    PRECOPY_THROTTLE_NONE,
    PRECOPY_THROTTLE_AUTO_CONVERGE,     /* mig_throttle_guest_down() */
    PRECOPY_THROTTLE_DIRTY_LIMIT,       /* migration_dirty_limit_guest() */
} PrecopyThrottleKind;

typedef struct PrecopyThrottle {
    PrecopyThrottleKind kind;
    /* throttle-trigger-threshold, percent: when a period is high */
    unsigned trigger_threshold;
    /* auto-converge: cpu-throttle-initial, -increment and -tailslow */
    unsigned initial;
    unsigned increment;
    bool tailslow;
    /* ... and max-cpu-throttle, percent */
    unsigned max;
    /* dirty-limit: vcpu-dirty-limit, in MiB/s, and the guest's vCPUs */
    uint64_t vcpu_dirty_limit;
    unsigned vcpus;
    /*
     * In a migration under way, the throttle in force, percent, as
     * cpu_throttle_get_percentage() tells, or for dirty-limit whether
     * the limit is set (100) or not (0).  The dirty page curve is the
     * guest's under it.
     */
    unsigned now;
} PrecopyThrottle;

/* The migration parameters of one estimate */
typedef struct PrecopyParams {
    /* max-bandwidth, in bytes per second; at least 1 */
    uint64_t bandwidth;
    /* avail-switchover-bandwidth, in bytes per second; 0 if unset */
    uint64_t switchover_bandwidth;
    /*
     * The speed at which the final stop-and-copy, which no rate limit
     * holds back, really sends, in bytes per second; 0 if unknown, when
     * the switchover bandwidth stands in for it, or else the range from
     * the sender's pace to the rate at which the rate limit lets pages
     * out (@bandwidth, a little more).
     */
    uint64_t link_bandwidth;
    /* downtime-limit in milliseconds, or PRECOPY_DOWNTIME_UNLIMITED */
    uint64_t downtime_limit_ms;
    /* give up on a migration still running after this many milliseconds */
    uint64_t deadline_ms;
    /* auto-converge or dirty-limit */
    PrecopyThrottle throttle;
    /*
     * multifd-channels with the capability multifd, pages sent in
     * packets of MULTIFD_PACKET_SIZE; 0 without it
     */
    unsigned multifd_channels;
    /*
     * With the capability postcopy-ram, switch to post-copy at the end
     * of this pass, as dirty-sync-count counts it less one: 1 for the
     * end of the first pass over memory, as virsh migrate
     * --postcopy-after-precopy does it; 0 never to switch.
     */
    uint64_t postcopy_after_pass;
    /* max-postcopy-bandwidth, bytes per second; 0 for none */
    uint64_t postcopy_bandwidth;
    /*
     * The migration under way, to estimate what is left of it under
     * these parameters from where it stands, and with its clock: times,
     * the deadline among them, count from its first sync; NULL for a
     * migration not started
     */
    const PrecopyProgress *progress;
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
    /*
     * The final stop-and-copy, in milliseconds; 0 if it never happens.
     * With the link's speed unknown, it goes as fast as the sender does.
     */
    uint64_t downtime_ms;
    /*
     * ... and with the link's speed unknown, as slow as the rate at which
     * the windows sent; else the same
     */
    uint64_t max_downtime_ms;
    /* dirty bitmap syncs, counted as query-migrate's dirty-sync-count */
    uint64_t dirty_syncs;
    /* bytes on the wire, page headers included */
    uint64_t transferred;
    /*
     * Auto-converge: the highest cpu-throttle-percentage it reached;
     * dirty-limit: the share of time, percent, that the limit keeps the
     * guest from running; 0 if neither throttled the guest
     */
    unsigned throttle_peak;
    /* when the throttle started, in milliseconds; 0 if it never did */
    uint64_t throttle_start_ms;
    /*
     * The price the guest pays: milliseconds it ran throttled, until it
     * stopped, and how many milliseconds its work fell behind, that is
     * of vCPU time lost for a guest that uses all it gets
     */
    uint64_t throttle_ms;
    uint64_t throttle_lost_ms;
    /* whether it switched to post-copy */
    bool postcopy;
    /* when the guest stopped on the source for the switch, ms */
    uint64_t postcopy_switch_ms;
    /*
     * The pages not yet on the destination when it starts running: the
     * most pages that can fault there
     */
    uint64_t postcopy_pages;
    /*
     * From the destination running to its last page arriving, in
     * milliseconds: the post-copy phase, in which the guest runs
     * degraded and a failure loses it
     */
    uint64_t postcopy_ms;
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
 * precopy_estimate: Simulate one pre-copy migration
 *
 * Runs QEMU 10.2's pre-copy loop on the dirty page curve of @w, with the
 * parameters @p: from the start, or from where @p->progress stands.
 * Takes at most PRECOPY_MAX_DIRTY_SYNCS steps of
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

/*
 * A migration shows by itself that it does not converge once this many
 * syncs after its first one, under unchanged parameters, gained nothing
 * (see precopy_stalled_syncs())
 */
#define PRECOPY_STALLED_SYNCS 2
/* A gain is more than 1/PRECOPY_STALLED_GAIN of the fewest pages left */
#define PRECOPY_STALLED_GAIN 16
/* ... towards a floor no higher than this many times the threshold */
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
 * downtime-limit).  Every sync but the first finds the pages left above
 * the threshold, or the migration would have switched over, so a count
 * of PRECOPY_STALLED_SYNCS is the migration's own evidence that it does
 * not converge under those parameters.
 *
 * @g: the migration, accepted by precopy_progress_check()
 *
 * Returns: the count
 */
size_t precopy_stalled_syncs(const PrecopyProgress *g);

/**
 * precopy_progress_check: Whether a running migration can be estimated
 *
 * @g: the migration
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: true if @g is what PrecopyProgress describes
 */
bool precopy_progress_check(const PrecopyProgress *g, Error **errp);

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
