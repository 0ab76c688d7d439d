/*
 * Pre-copy migration estimate: the simulated migration
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The migration that precopy_estimate() simulates, as the files of the
 * model share it: what QEMU puts on the wire for a page, the pages of its
 * dirty bitmap by kind, and PrecopySim, the whole state of the
 * simulation.  For migration/precopy-*.c only.
 */

#ifndef QEMU_MIGRATION_PRECOPY_SIM_H
#define QEMU_MIGRATION_PRECOPY_SIM_H

#include <math.h>
#include "precopy-curve.h"
#include "precopy-estimate.h"

/* save_page_header(): be64 offset and flags */
#define PAGE_HEADER_BYTES 8
/* save_zero_page(): header, then one byte */
#define ZERO_PAGE_BYTES (PAGE_HEADER_BYTES + 1)

/*
 * multifd.h: MULTIFD_PACKET_SIZE of pages per packet; MultiFDPacket_t,
 * 320 bytes and then an offset per page the packet can hold, full or
 * not; MultiFDInit_t; RAM_SAVE_FLAG_MULTIFD_FLUSH on the main channel
 */
#define MULTIFD_PACKET_BYTES (512 * 1024)
#define MULTIFD_HEADER_BYTES 320
#define MULTIFD_OFFSET_BYTES 8
#define MULTIFD_INIT_BYTES 64
#define MULTIFD_FLUSH_BYTES 8

/* cpu-throttle.c: CPU_THROTTLE_DIRTY_SYNC_TIMESLICE_MS */
#define THROTTLE_SYNC_TICK_MS 5000
/* cpu_throttle_set() */
#define THROTTLE_PCT_MIN 1
#define THROTTLE_PCT_MAX 99

/* @a + @b, or UINT64_MAX if that overflows */
static inline uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + MIN(b, UINT64_MAX - a);
}

/*
 * @v rounded to a count; outputs saturate, for workloads no guest has
 * (pages of exabytes) that the API still accepts
 */
static inline uint64_t round_u64(double v)
{
    if (!(v > 0)) {
        return 0;
    }
    return v < 0x1p64 ? (uint64_t)round(v) : UINT64_MAX;
}

/*
 * The pages in the dirty bitmap, in the order ram_find_and_save_block()
 * reaches them from where it stands: what remains of the first pass's
 * pages with data, then its zero pages, then the pages dirtied since,
 * which it reaches once it wraps around.
 */
typedef struct PrecopyPending {
    double first;       /* pages with data left of the first pass */
    double zero;        /* zero pages, all from the first pass */
    double dirtied;     /* pages dirtied since, with data */
} PrecopyPending;

static inline double precopy_pending_pages(const PrecopyPending *q)
{
    return q->first + q->zero + q->dirtied;
}

/*
 * What sending a page of each kind of PrecopyPending (first, zero, dirtied)
 * takes: bytes on the wire, and the share of a budget that holds the
 * sending back, counted in bytes.  A budget of time, the migration
 * thread's, is counted at some rate in bytes per ms: a page then costs
 * its bytes or its time at that rate, whichever is more.
 */
typedef struct PrecopyWire {
    double bytes[3];
    double cost[3];
} PrecopyWire;

/*
 * The end of a migration that creeps towards the threshold: rounds of the
 * same number of windows, each leaving a little fewer pages than the last.
 * The pages left approach a limit geometrically, P(n) = P* + (P(0) - P*) r^n,
 * whose P* and r follow from three syncs in a row (Aitken's delta-squared).
 * If P* is not below the threshold, the migration never converges; else,
 * skip the rounds it takes to get there but the last, which the loop runs.
 */
typedef struct PrecopyTail {
    double pages[3];        /* pages left by the last three syncs */
    double windows[3];      /* windows of the rounds before them */
    unsigned n;             /* how many of those are filled */
} PrecopyTail;

/* One simulated migration */
typedef struct PrecopySim {
    /* the guest */
    const PrecopyWorkload *w;
    PrecopyCurve c;
    double page;            /* bytes per page */

    /* the parameters, as the loop uses them */
    const PrecopyParams *p;
    /* bytes on the wire of a page with data and of a zero page */
    double page_bytes;
    double zero_bytes;
    /* ns of the sender's time per page of each kind of PrecopyPending */
    double ns[3];
    PrecopyWire wire;       /* in a rate limit window's budget */
    PrecopyWire link_wire;  /* ... and in the link's bytes */
    double multifd_sync;    /* bytes of a multifd sync; 0 without multifd */
    double window;          /* bytes the rate limit lets out per window */
    double link;            /* bytes per second of the stop-and-copy */
    bool link_known;        /* ... or at most that, at the sender's pace */
    double deadline;        /* ms */
    double threshold;       /* migration.c threshold_size, in bytes */
    double below;           /* the most whole pages below the threshold */
    double window_bytes;    /* bytes sent in the window under way */
    bool counted;           /* a window has ended: threshold_size is set */

    /* the migration thread */
    double now;             /* ms since the migration started */
    double window_start;    /* the rate limit window under way */
    double left;            /* bytes that window still lets out */
    double sent;            /* bytes on the wire */
    /* the last round's windows, if whole ones (see PrecopyTail); else 0 */
    double round_windows;
    /* whether it ended with the bitmap empty and threshold_size 0 */
    bool dry_at_zero;

    /* the dirty bitmap */
    PrecopyPending q;
    double synced;          /* pages with data the last sync left */
    double synced_window;   /* ... all dirtied within this many ms */
    double dirtied_since;   /* the pages in q.dirtied were dirtied after */
    double last_sync;       /* ms */

    /*
     * The guest's clock, which the curve counts in: throttled, it runs
     * @run_rate ms per ms since @run_at, when it read @run_base
     */
    double run_rate;
    double run_at;
    double run_base;
    double last_sync_run;   /* the clock at last_sync */
    double dirtied_since_run;   /* ... and at dirtied_since */
    bool stopped;           /* the guest no longer runs on the source */

    /* migration_trigger_throttle() */
    double period_start;    /* time_last_bitmap_sync */
    double period_sent;     /* bytes_xfer_prev */
    double period_dirtied;  /* num_dirty_pages_period */
    unsigned high;          /* dirty_rate_high_cnt */
    unsigned pct;           /* the throttle, percent of time held back */
    double throttle_since;  /* when it started, and the guest's clock then */
    double throttle_since_run;
    /* cpu_throttle_dirty_sync_timer_tick() */
    double next_tick;
    uint64_t tick_syncs;    /* throttle_dirty_sync_count_prev */

    /* how the migration is getting on */
    double lowest;          /* fewest pages a sync left so far */
    uint64_t lowest_sync;   /* ... at that sync */
    PrecopyTail tail;

    PrecopyEstimate *e;
} PrecopySim;

#endif
