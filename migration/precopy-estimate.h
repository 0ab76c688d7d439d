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

#include "precopy-workload.h"

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
     * In a migration under way, the throttle in force, whose guest the
     * dirty page curve is: auto-converge's, percent, as
     * cpu_throttle_get_percentage() tells...
     */
    unsigned pct_now;
    /* ... and for dirty-limit, whether the limit is set */
    bool limit_now;
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

#endif
