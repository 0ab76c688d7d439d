/*
 * Pre-copy migration estimate: a model of QEMU's own pre-copy loop
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The model follows the migration thread of QEMU 10.2 step by step:
 *
 * - migration_thread() calls migration_iteration_run() once per rate
 *   limit window of BUFFER_DELAY ms: migration_rate_limit() sleeps until
 *   the window ends once ram_save_iterate() has sent more than
 *   max-bandwidth * BUFFER_DELAY bytes, in whole flushes of
 *   PRECOPY_FLUSH_PAGES pages: up to 32 pages more, the same number in
 *   every window of a given bandwidth.  If
 *   the dirty bitmap runs dry first, ram_save_iterate() returns early and
 *   migration_iteration_run() runs again at once, within the window and
 *   with what is left of its budget.  Pages go out in address order, each
 *   as an 8-byte header and the page (save_page_header(),
 *   save_normal_page()), zero pages as the header and one byte
 *   (save_zero_page()).  The scan goes on from where it stopped
 *   (last_seen_block, last_page): after a sync it first finishes the first
 *   pass, and only then reaches the pages dirtied since.  Zero pages cost
 *   next to nothing on the wire, and in a guest they mostly sit together
 *   in memory never used: the model sends them at the end of the first
 *   pass, and never counts them as dirtied again.
 *
 * - migration_iteration_run() compares the pages still dirty, zero or
 *   not, at their full size, with threshold_size.  Only below it does it
 *   sync the dirty bitmap (qemu_savevm_state_pending_exact(),
 *   ram_state_pending_exact()); then, synced or not, it switches over if
 *   what is pending is at most threshold_size (migration_iteration_run()
 *   of 10.1 on; 10.0 wanted it below).  So it switches over without a
 *   sync when it finds exactly threshold_size pending: with a threshold
 *   of 0, when the bitmap ran dry.  Any other estimate of exactly
 *   threshold_size bytes is a coincidence of whole numbers, which the
 *   model, whose pages are fractional, leaves out: taken as a rule, it
 *   would let isolated bandwidths converge with a downtime far over the
 *   limit.  migration_update_counters() sets threshold_size to
 *   downtime-limit times the bandwidth of the last window, or
 *   avail-switchover-bandwidth when set; it stays 0 for the first window.
 *
 * - A sync adds the pages dirtied since the previous sync.  Pages still
 *   waiting to be sent absorb re-dirtying: the bitmap after a sync is
 *   the union of the pages not yet sent and the pages dirtied since.
 *   ram_init_bitmaps() starts with every page dirty and counts one sync,
 *   and ram_save_complete() counts another, in the stopped guest.
 *
 * - migration_switchover_start(), called by migration_completion_precopy(),
 *   lifts the rate limit: the final stop-and-copy goes at the speed of the
 *   link.
 *
 * The guest is described by its dirty page curve D(t), the distinct
 * pages it dirties in any t ms: readings interpolated linearly from
 * (0, 0), and past the last reading extended up to the pages that are
 * not zero: along the slope of the last segment, which falls
 * exponentially at the rate it fell from the segment before, as when a
 * working set is being covered, or stays if it did not fall.
 *
 * How many of the pages dirtied since the last sync are already in the
 * bitmap follows from the curve too.  The pages a sync put in the bitmap
 * were all dirtied within some window W before it, with D(W) equal to
 * their number.  Pages dirtied in two adjacent windows of lengths A and
 * B number D(A) + D(B) - D(A + B), and the pages not yet sent are a share
 * of the bitmap unrelated to how hot they are, since pages go out in
 * address order.  Whatever the overlaps, the pages dirtied since some
 * time and still waiting are at most D(now - that time).
 *
 * The code: a PrecopySim holds the migration, and precopy_estimate()
 * runs it as migration_thread() does, a round at a time: sim_send_round()
 * up to the check that ends the round, sim_switchover_ready() for the
 * check, then sim_complete(), or the model's own two ways of ending a
 * migration that does not converge, sim_fast_forward_tail() and
 * sim_settled().
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/units.h"
#include "qapi/error.h"
#include "migration-stats.h"
#include "precopy-estimate.h"

/*
 * Syncs without a new low in the pages left, lower by this share, before
 * a run is settled
 */
#define PRECOPY_SETTLED_SYNCS 16
#define PRECOPY_SETTLED_PROGRESS 0.001

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

/*
 * migration_bitmap_sync(): a sync more than this many ms after the last
 * throttle period ended ends another (migration_trigger_throttle())
 */
#define THROTTLE_PERIOD_MS 1000
/* cpu-throttle.c: CPU_THROTTLE_DIRTY_SYNC_TIMESLICE_MS */
#define THROTTLE_SYNC_TICK_MS 5000
/* cpu_throttle_set() */
#define THROTTLE_PCT_MIN 1
#define THROTTLE_PCT_MAX 99

/* postcopy_send_discard_bm_ram(): a range of dirty pages, start and length */
#define POSTCOPY_DISCARD_BYTES 16

/* @a + @b, or UINT64_MAX if that overflows */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + MIN(b, UINT64_MAX - a);
}

/*
 * @v rounded to a count; outputs saturate, for workloads no guest has
 * (pages of exabytes) that the API still accepts
 */
static uint64_t round_u64(double v)
{
    if (!(v > 0)) {
        return 0;
    }
    return v < 0x1p64 ? (uint64_t)round(v) : UINT64_MAX;
}

typedef struct Curve {
    const DirtyCurveReading *r;
    size_t n;
    double cap;             /* pages that can be dirtied at all */
    double tail_slope;      /* pages per ms at the last reading */
    double tail_decay;      /* ...falling as exp(-tail_decay * ms) past it */
} Curve;

/* The slope of the curve from reading @i - 1, or from (0, 0), to @i */
static double curve_slope(const DirtyCurveReading *r, size_t i,
                          double *midpoint)
{
    double t0 = i ? r[i - 1].elapsed_ms : 0;
    double d0 = i ? r[i - 1].dirty_pages : 0;
    double ms = r[i].elapsed_ms - t0;

    *midpoint = (t0 + r[i].elapsed_ms) / 2;
    return (r[i].dirty_pages - d0) / ms;
}

static void curve_init(Curve *c, const PrecopyWorkload *w)
{
    const DirtyCurveReading *last = &w->readings[w->nr_readings - 1];
    double m1, m2, s1, s2;

    c->r = w->readings;
    c->n = w->nr_readings;
    c->cap = MAX(w->total_pages - w->zero_pages,
                 MIN(last->dirty_pages, w->total_pages));
    /*
     * Past the last reading, the slope of the last two segments: falling
     * exponentially if it fell between them, as a working set being
     * covered does, and else kept.
     */
    s2 = curve_slope(c->r, c->n - 1, &m2);
    c->tail_decay = 0;
    if (c->n > 2) {
        s1 = curve_slope(c->r, c->n - 2, &m1);
        if (s2 > 0 && s1 > s2) {
            c->tail_decay = log(s1 / s2) / (m2 - m1);
        }
    }
    c->tail_slope = s2 * exp(-c->tail_decay * (last->elapsed_ms - m2));
}

/* Pages dirtied in the @dt ms past the last reading */
static double curve_tail(const Curve *c, double dt)
{
    if (!c->tail_decay) {
        return c->tail_slope * dt;
    }
    return c->tail_slope * -expm1(-c->tail_decay * dt) / c->tail_decay;
}

/* The inverse of curve_tail(): INFINITY if never reached */
static double curve_tail_time_to(const Curve *c, double pages)
{
    double share;

    if (!(c->tail_slope > 0)) {
        return INFINITY;
    }
    share = pages * c->tail_decay / c->tail_slope;
    if (share >= 1) {
        return INFINITY;
    }
    return c->tail_decay ? -log1p(-share) / c->tail_decay :
                           pages / c->tail_slope;
}

/* Reading @i as a point (time, pages), or (pages, time) if @inverse */
static void curve_point(const Curve *c, size_t i, bool inverse,
                        double *x, double *y)
{
    *x = inverse ? c->r[i].dirty_pages : c->r[i].elapsed_ms;
    *y = inverse ? c->r[i].elapsed_ms : c->r[i].dirty_pages;
}

/*
 * The line through (0, 0) and the readings, at @x: pages at a time, or,
 * if @inverse, the time at which it reaches some pages.  @x is above 0
 * and at most the last reading's.
 */
static double curve_interpolate(const Curve *c, double x, bool inverse)
{
    size_t lo = 0, hi = c->n - 1;
    double x0 = 0, y0 = 0, x1, y1;

    /* the first reading at or past x */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        curve_point(c, mid, inverse, &x1, &y1);
        if (x1 < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo) {
        curve_point(c, lo - 1, inverse, &x0, &y0);
    }
    curve_point(c, lo, inverse, &x1, &y1);
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

/* D(t): distinct pages dirtied in @t ms */
static double curve_at(const Curve *c, double t)
{
    const DirtyCurveReading *last = &c->r[c->n - 1];

    if (t <= 0) {
        return 0;
    }
    if (t >= last->elapsed_ms) {
        return MIN(c->cap, last->dirty_pages +
                           curve_tail(c, t - last->elapsed_ms));
    }
    return MIN(c->cap, curve_interpolate(c, t, false));
}

/* The shortest time in which @pages distinct pages get dirtied */
static double curve_time_to(const Curve *c, double pages)
{
    const DirtyCurveReading *last = &c->r[c->n - 1];

    if (pages <= 0) {
        return 0;
    }
    if (pages > c->cap) {
        return INFINITY;
    }
    if (pages > last->dirty_pages) {
        return last->elapsed_ms +
               curve_tail_time_to(c, pages - last->dirty_pages);
    }
    return curve_interpolate(c, pages, true);
}

/* Pages dirtied both in a window of @a ms and in the @b ms right after */
static double curve_overlap(const Curve *c, double a, double b)
{
    if (isinf(a)) {
        return curve_at(c, b);
    }
    return MAX(0, curve_at(c, a) + curve_at(c, b) - curve_at(c, a + b));
}

/*
 * What precopy-estimate.h asks of a workload: NULL if @w has it, else
 * what it lacks.  precopy_workload_check() reports it to callers with
 * untrusted input; the model asserts it.
 */
static const char *workload_error(const PrecopyWorkload *w)
{
    size_t i;

    if (!w->nr_readings) {
        return "the dirty page curve has no readings";
    }
    if (!w->page_size || !w->total_pages) {
        return "the guest has no pages to migrate";
    }
    if (w->zero_pages > w->total_pages) {
        return "more zero pages than pages";
    }
    if (!(w->vcpu_busy >= 0 && w->vcpu_busy <= 1)) {
        return "the vCPUs' busy share must be between 0 and 1";
    }
    for (i = 0; i < w->nr_readings; i++) {
        const DirtyCurveReading *r = &w->readings[i];

        if (r->elapsed_ms <= (i ? r[-1].elapsed_ms : 0)) {
            return "dirty page curve readings must be taken at increasing "
                   "times after 0";
        }
        if (i && r->dirty_pages < r[-1].dirty_pages) {
            return "dirty page curve readings must not decrease";
        }
    }
    return NULL;
}

/*
 * What precopy-estimate.h asks of a PrecopyProgress: NULL if @g has it,
 * else what it lacks
 */
static const char *progress_error(const PrecopyProgress *g)
{
    size_t i;

    if (!g->nr_syncs || g->dirty_sync_count < g->nr_syncs) {
        return "a migration has made at least the syncs it records";
    }
    if (!g->page_size || !g->total_pages) {
        return "the migration has no pages to transfer";
    }
    if (g->now.dirty_before != g->now.dirty_after) {
        return "the migration is between syncs now";
    }
    for (i = 0; i <= g->nr_syncs; i++) {
        const PrecopySync *r = i < g->nr_syncs ? &g->syncs[i] : &g->now;
        const PrecopySync *prev = i ? &g->syncs[i - 1] : NULL;

        if (r->elapsed_us < (prev ? prev->elapsed_us : 0) ||
            (prev && (r->sent_pages < prev->sent_pages ||
                      r->zero_sent < prev->zero_sent ||
                      r->transferred < prev->transferred))) {
            return "the syncs of a migration must be in order";
        }
        if (r->dirty_after < r->dirty_before ||
            r->zero_sent > r->sent_pages) {
            return "a sync never takes pages out of the dirty bitmap";
        }
        if (r->dirty_after > g->total_pages) {
            return "more pages in the dirty bitmap than the guest has";
        }
    }
    return NULL;
}

void precopy_workload_from_curve(PrecopyWorkload *w, const DirtyCurve *c)
{
    *w = (PrecopyWorkload) {
        .readings = c->readings,
        .nr_readings = c->nr_readings,
        .total_pages = c->total_pages,
        .zero_pages = c->zero_pages,
        .page_size = c->page_size,
        .vcpu_busy = c->vcpu_busy,
        .pace = c->pace,
    };
}

/* Report @why, what an input lacks, if anything: false if it lacks it */
static bool check_report(const char *why, Error **errp)
{
    if (why) {
        error_setg(errp, "%s", why);
        return false;
    }
    return true;
}

bool precopy_workload_check(const PrecopyWorkload *w, Error **errp)
{
    return check_report(workload_error(w), errp);
}

/*
 * The pages in the dirty bitmap, in the order ram_find_and_save_block()
 * reaches them from where it stands: what remains of the first pass's
 * pages with data, then its zero pages, then the pages dirtied since,
 * which it reaches once it wraps around.
 */
typedef struct Pending {
    double first;       /* pages with data left of the first pass */
    double zero;        /* zero pages, all from the first pass */
    double dirtied;     /* pages dirtied since, with data */
} Pending;

static double pending_pages(const Pending *q)
{
    return q->first + q->zero + q->dirtied;
}

/*
 * What sending a page of each kind of Pending (first, zero, dirtied)
 * takes: bytes on the wire, and the share of a budget that holds the
 * sending back, counted in bytes.  A budget of time, the migration
 * thread's, is counted at some rate in bytes per ms: a page then costs
 * its bytes or its time at that rate, whichever is more.
 */
typedef struct Wire {
    double bytes[3];
    double cost[3];
} Wire;

/*
 * Take up to @budget (or, if @pages, up to that many pages) off @q in
 * order; add their bytes to @bytes and return the budget they took
 */
static double send_pages(const Wire *wire, Pending *q, double budget,
                         double pages, double *bytes)
{
    double *kind[] = { &q->first, &q->zero, &q->dirtied };
    double used = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(kind); i++) {
        double n = MIN(*kind[i], MIN(pages, (budget - used) / wire->cost[i]));

        n = MAX(0, n);      /* rounding must not put pages back */

        *kind[i] -= n;
        pages -= n;
        used += n * wire->cost[i];
        *bytes += n * wire->bytes[i];
    }
    return used;
}

/* send_pages() for the budget alone */
static double send_cost(const Wire *wire, Pending *q, double budget,
                        double pages)
{
    double bytes = 0;

    return send_pages(wire, q, budget, pages, &bytes);
}

/*
 * The end of a migration that creeps towards the threshold: rounds of the
 * same number of windows, each leaving a little fewer pages than the last.
 * The pages left approach a limit geometrically, P(n) = P* + (P(0) - P*) r^n,
 * whose P* and r follow from three syncs in a row (Aitken's delta-squared).
 * If P* is not below the threshold, the migration never converges; else,
 * skip the rounds it takes to get there but the last, which the loop runs.
 */
typedef struct Tail {
    double pages[3];        /* pages left by the last three syncs */
    double windows[3];      /* windows of the rounds before them */
    unsigned n;             /* how many of those are filled */
} Tail;

/* One simulated migration */
typedef struct PrecopySim {
    /* the guest */
    const PrecopyWorkload *w;
    Curve c;
    double page;            /* bytes per page */

    /* the parameters, as the loop uses them */
    const PrecopyParams *p;
    /* bytes on the wire of a page with data and of a zero page */
    double page_bytes;
    double zero_bytes;
    /* ns of the sender's time per page of each kind of Pending */
    double ns[3];
    Wire wire;              /* in a rate limit window's budget */
    Wire link_wire;         /* ... and in the link's bytes */
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
    /* the last round's windows, if whole ones (see Tail); else 0 */
    double round_windows;
    /* whether it ended with the bitmap empty and threshold_size 0 */
    bool dry_at_zero;

    /* the dirty bitmap */
    Pending q;
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
    Tail tail;

    PrecopyEstimate *e;
} PrecopySim;

/*
 * The pages in the dirty bitmap of a migration at @at, by kind: @dirty
 * of them, with the pages of the first pass not yet sent (zero pages
 * among them as the workload has them) taken to be first
 */
static void sync_pending(const PrecopyWorkload *w, const PrecopySync *at,
                         uint64_t dirty, Pending *q)
{
    double left = at->sent_pages < w->total_pages ?
                  w->total_pages - at->sent_pages : 0;
    double zero;

    left = MIN(left, dirty);
    zero = MIN(left, MAX(0, (double)w->zero_pages - at->zero_sent));
    *q = (Pending) {
        .first = left - zero,
        .zero = zero,
        .dirtied = dirty - left,
    };
}

/* PrecopySim.dirtied_since after sync @i of @g */
static double sync_dirtied_since(const PrecopyWorkload *w,
                                 const PrecopyProgress *g, size_t i)
{
    double since = g->syncs[0].elapsed_us / 1000.0;
    size_t j;

    for (j = 1; j <= i; j++) {
        Pending q;

        sync_pending(w, &g->syncs[j], g->syncs[j].dirty_before, &q);
        if (!q.dirtied) {
            since = g->syncs[j - 1].elapsed_us / 1000.0;
        }
    }
    return since;
}

/*
 * Pages sent on the main channel, or with @multifd channels, in packets
 * of MULTIFD_PACKET_SIZE each with a header and an offset per page it
 * can hold, zero pages as just their offset
 * (multifd_send_zero_page_detect()), checked and written by the send
 * threads side by side
 */
static void sim_channels(PrecopySim *s, unsigned multifd)
{
    const DirtyPace *pace = &s->w->pace;
    double packet = MAX(1, MULTIFD_PACKET_BYTES / s->page);
    double header = MULTIFD_HEADER_BYTES + MULTIFD_OFFSET_BYTES * packet;
    size_t i;

    s->page_bytes = s->page + (multifd ? header / packet : PAGE_HEADER_BYTES);
    s->zero_bytes = multifd ? header / packet : ZERO_PAGE_BYTES;
    s->ns[0] = pace->page_ns + pace->fresh_ns;
    s->ns[1] = pace->zero_ns;
    s->ns[2] = pace->page_ns;
    for (i = 0; multifd && i < ARRAY_SIZE(s->ns); i++) {
        s->ns[i] /= multifd;
    }
}

/*
 * The Wire of @s for a budget spent at @rate bytes per ms.  The
 * migration thread spends its own time on each page it sends:
 * ram_save_iterate() sends pages while migration_rate_exceeded() allows,
 * but no longer than MAX_WAIT ms at a time, and migration_rate_limit()
 * waits only for a window whose bytes are spent.  A window whose time the
 * sender spends first ends with fewer bytes.
 */
static Wire sim_wire(const PrecopySim *s, double rate)
{
    Wire wire = {
        .bytes = { s->page_bytes, s->zero_bytes, s->page_bytes },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(wire.cost); i++) {
        wire.cost[i] = MAX(wire.bytes[i], s->ns[i] * rate / 1e6);
    }
    return wire;
}

static void sim_set_threshold(PrecopySim *s, double threshold)
{
    s->threshold = threshold;
    s->below = isinf(threshold) ? INFINITY :
               MAX(0, ceil(threshold / s->page) - 1);
}

/*
 * migration_update_counters(), as a window that sent @bytes ends:
 * threshold_size is the bytes that downtime-limit lets through at the
 * pace of that window, or at avail-switchover-bandwidth when set.  A
 * window spent on zero pages, or in part on a sync, lowers it.
 */
static void sim_window_end(PrecopySim *s, double bytes)
{
    const PrecopyParams *p = s->p;

    s->counted = true;
    if (p->downtime_limit_ms == PRECOPY_DOWNTIME_UNLIMITED) {
        return;
    }
    if (p->switchover_bandwidth) {
        /* whole bytes per ms, as migration_update_counters() divides */
        sim_set_threshold(s, (double)(p->switchover_bandwidth / 1000) *
                             p->downtime_limit_ms);
    } else {
        sim_set_threshold(s, bytes / BUFFER_DELAY * p->downtime_limit_ms);
    }
}

/*
 * Send @budget from the window under way on, which has @s->left of it
 * left: the windows that end on the way set threshold_size
 */
static void sim_send(PrecopySim *s, double budget)
{
    double before = 0, last = 0, after = 0, ended;

    if (budget < s->left || !(s->window > 0)) {
        send_pages(&s->wire, &s->q, budget, INFINITY, &after);
        s->window_bytes += after;
        s->sent += after;
        return;
    }
    /* whole windows past the one under way, give or take rounding */
    ended = floor((budget - s->left) / s->window * (1 + 4 * DBL_EPSILON));
    if (ended) {
        send_pages(&s->wire, &s->q, s->left + (ended - 1) * s->window,
                   INFINITY, &before);
    }
    send_pages(&s->wire, &s->q, ended ? s->window : s->left, INFINITY,
               &last);
    sim_window_end(s, last + (ended ? 0 : s->window_bytes));
    send_pages(&s->wire, &s->q, MAX(0, budget - s->left - ended * s->window),
               INFINITY, &after);
    s->window_bytes = after;
    s->sent += before + last + after;
}

/* The bytes of a whole window of the pages next in the bitmap of @s */
static double sim_full_window_bytes(const PrecopySim *s)
{
    Pending ahead = s->q;
    double bytes = 0;

    send_pages(&s->wire, &ahead, s->window, INFINITY, &bytes);
    return bytes;
}

/*
 * Put @s where the migration @g stood right before its sync @i, at the
 * start of a rate limit window; or, if @i is @g->nr_syncs, where it
 * stands now, in the window under way.
 */
static void sim_resume(PrecopySim *s, const PrecopyProgress *g, size_t i)
{
    const PrecopySync *last = &g->syncs[i - 1];
    const PrecopySync *at = i < g->nr_syncs ? &g->syncs[i] : &g->now;
    Pending synced;

    sync_pending(s->w, at, at->dirty_before, &s->q);
    sync_pending(s->w, last, last->dirty_after, &synced);
    s->now = s->window_start = at->elapsed_us / 1000.0;
    s->sent = at->transferred;
    s->last_sync = last->elapsed_us / 1000.0;
    s->synced = synced.first + synced.dirtied;
    /* ram_init_bitmaps() puts every page in the bitmap, dirtied or not */
    s->synced_window = last->elapsed_us ?
                       curve_time_to(&s->c, s->synced) : INFINITY;
    s->dirtied_since = sync_dirtied_since(s->w, g, i - 1);
    s->e->dirty_syncs = g->dirty_sync_count - (g->nr_syncs - i);
    /* the curve is the guest's as it has run so far, throttled or not */
    s->run_at = s->run_base = s->now;
    s->last_sync_run = s->last_sync;
    s->dirtied_since_run = s->dirtied_since;
    s->period_start = s->last_sync;
    s->period_sent = last->transferred;
    s->tick_syncs = s->e->dirty_syncs;
    s->next_tick = s->now + THROTTLE_SYNC_TICK_MS;
    if (s->p->throttle.kind == PRECOPY_THROTTLE_AUTO_CONVERGE) {
        s->pct = s->p->throttle.now;
    }
    if (s->pct) {
        s->throttle_since = s->throttle_since_run = s->now;
    }
    /* at->elapsed_us is at least 0: no overflow */
    if (i == g->nr_syncs && g->window_us <= at->elapsed_us &&
        g->window_us > at->elapsed_us - BUFFER_DELAY * 1000) {
        s->window_start = g->window_us / 1000.0;
        s->left = MAX(0, s->window - (double)g->window_sent);
        s->window_bytes = g->window_sent;
    }
    /*
     * past its first window: threshold_size as QEMU has it now, else at
     * the pace of the pages next in line
     */
    if (!isinf(s->threshold)) {
        sim_window_end(s, i == g->nr_syncs && g->window_bytes &&
                          g->bandwidth == s->p->bandwidth ?
                          g->window_bytes : sim_full_window_bytes(s));
    }
}

/* migration_thread() and ram_init_bitmaps(): the migration set up */
static void sim_init(PrecopySim *s, const PrecopyWorkload *w,
                     const PrecopyParams *p, PrecopyEstimate *e)
{
    /* bytes the rate limit lets through per window: migration_rate_set() */
    double budget = p->bandwidth / 1000.0 * BUFFER_DELAY;
    double packet = MAX(1, MULTIFD_PACKET_BYTES / w->page_size);
    double flush, rate;

    *s = (PrecopySim) {
        .w = w,
        .page = w->page_size,
        .p = p,
        .deadline = p->deadline_ms,
        .q = {
            .first = w->total_pages - w->zero_pages,
            .zero = w->zero_pages,
        },
        .synced_window = INFINITY,
        .run_rate = 1,
        .next_tick = THROTTLE_SYNC_TICK_MS,
        .lowest = INFINITY,
        .e = e,
    };
    curve_init(&s->c, w);
    s->synced = s->q.first;
    sim_channels(s, p->multifd_channels);
    /*
     * migration_rate_exceeded(): more than the budget, in whole flushes.
     * A budget under one byte (under 10 bytes per second) is no limit to
     * QEMU at all; the model keeps such a bandwidth as given.
     */
    flush = PRECOPY_FLUSH_PAGES * s->page_bytes;
    if (p->multifd_channels) {
        /*
         * A channel counts its bytes once it has written a whole packet
         * (multifd_send_thread()), and multifd_send() hands a packet to a
         * channel that has written its last: when ram_save_iterate()
         * finds the budget spent, a packet is on its way in each channel,
         * not yet counted.  They count in the window that ends, which
         * lets out that many packets more than the main channel would.
         */
        double header = MULTIFD_HEADER_BYTES + MULTIFD_OFFSET_BYTES * packet;

        flush = packet * s->page_bytes;
        budget += budget < 1 ? 0 : p->multifd_channels * flush;
        /* a packet with no pages from each channel, and the flag */
        s->multifd_sync = p->multifd_channels * header + MULTIFD_FLUSH_BYTES;
        /* the channels' handshakes, and the sync of setup */
        s->sent = p->multifd_channels * MULTIFD_INIT_BYTES + s->multifd_sync;
    }
    s->window = budget < 1 ? budget : (floor(budget / flush) + 1) * flush;
    s->left = s->window;
    rate = s->window / BUFFER_DELAY;
    /* unless known, the rate at which the windows send */
    s->link = p->link_bandwidth ? p->link_bandwidth :
              p->switchover_bandwidth ? p->switchover_bandwidth :
              rate * 1000;
    s->link_known = p->link_bandwidth || p->switchover_bandwidth;
    s->wire = sim_wire(s, rate);
    s->link_wire = sim_wire(s, s->link / 1000);

    /* threshold_size is 0 until the first window ends */
    sim_set_threshold(s, p->downtime_limit_ms == PRECOPY_DOWNTIME_UNLIMITED ?
                         INFINITY : 0);

    *e = (PrecopyEstimate) { .dirty_syncs = 1 };    /* ram_init_bitmaps() */
    if (p->progress) {
        sim_resume(s, p->progress, p->progress->nr_syncs);
    }
}

/* How sim_send_round() ended */
typedef enum SimRound {
    SIM_ROUND_END,          /* at the check that ends a round */
    SIM_ROUND_TICK,         /* at a sync of the throttle's timer */
    SIM_ROUND_DEADLINE,
} SimRound;

/*
 * Whether the timer of auto-converge syncs at the tick after now and
 * before @end, a round with no sync of its own: the first of its ticks
 * after pass 1 finds the count of syncs changed since the tick before,
 * the next one not (cpu_throttle_dirty_sync_timer_tick())
 */
static bool sim_tick_due(PrecopySim *s, double end)
{
    if (s->p->throttle.kind != PRECOPY_THROTTLE_AUTO_CONVERGE ||
        s->next_tick >= end) {
        return false;
    }
    if (s->e->dirty_syncs > 1 && s->e->dirty_syncs == s->tick_syncs) {
        return true;
    }
    s->tick_syncs = s->e->dirty_syncs;
    s->next_tick += THROTTLE_SYNC_TICK_MS;
    if (s->e->dirty_syncs > 1) {
        return s->next_tick < end;
    }
    /* in pass 1, no tick syncs: on to the first at or past @end */
    s->next_tick += ceil(MAX(0, end - s->next_tick) / THROTTLE_SYNC_TICK_MS) *
                    THROTTLE_SYNC_TICK_MS;
    return false;
}

/*
 * ram_save_iterate() in the windows of migration_rate_limit(), until the
 * round ends: when a window starts and migration_iteration_run() finds
 * less than threshold_size pending, or when ram_save_iterate() runs the
 * bitmap dry; or until the timer of auto-converge syncs, or the
 * deadline, within the round.
 */
static SimRound sim_send_round(PrecopySim *s)
{
    Pending ahead = s->q;
    /* to get below the threshold, and to run the bitmap dry */
    double need = send_cost(&s->wire, &ahead, INFINITY,
                            MAX(0, pending_pages(&s->q) - s->below));
    double all = need + send_cost(&s->wire, &ahead, INFINITY, INFINITY);
    /*
     * migration_iteration_run() looks at the pending pages when a window
     * starts: the round ends when the next one starts (threshold_size is
     * 0 during the first window, and a later round starts right after a
     * check), or @more whole windows past it...
     */
    double more = need > s->left && s->counted ?
                  ceil((need - s->left) / s->window) : 0;
    double budget = s->left + more * s->window;
    /* ...or as soon as ram_save_iterate() finds the bitmap empty */
    bool dry = all <= budget;
    double end, window_start, left, windows, cut;
    bool tick;

    if (dry) {
        /* the last window's pages go as fast as the link and the sender */
        double start = more ? s->window_start + more * BUFFER_DELAY : s->now;
        double before = more ? s->left + (more - 1) * s->window : 0;
        double last;

        ahead = s->q;
        send_cost(&s->wire, &ahead, before, INFINITY);
        last = send_cost(&s->link_wire, &ahead, INFINITY, INFINITY);
        end = start + last * 1000.0 / s->link;
        window_start = s->window_start + more * BUFFER_DELAY;
        left = budget - all;
    } else {
        end = s->window_start + (more + 1) * BUFFER_DELAY;
        window_start = end;
        left = s->window;
    }

    tick = sim_tick_due(s, MIN(end, s->deadline));
    if (tick || end > s->deadline) {
        /*
         * the windows that start before then, each with a burst at its
         * start: the one under way has had it
         */
        cut = tick ? s->next_tick : s->deadline;
        windows = MAX(0, ceil((cut - s->window_start) / BUFFER_DELAY) - 1);
        sim_send(s, s->left + windows * s->window);
        s->window_start += windows * BUFFER_DELAY;
        s->left = 0;
        s->round_windows = 0;
        s->now = cut;
        return tick ? SIM_ROUND_TICK : SIM_ROUND_DEADLINE;
    }

    s->round_windows = s->left == s->window && !dry ? more + 1 : 0;
    /*
     * With a threshold of 0, migration_iteration_run() finds the empty
     * bitmap at most threshold_size without an exact sync.  Any other
     * estimate exactly at threshold_size, a whole number of bytes, is a
     * coincidence the model's fractional pages cannot tell.
     */
    s->dry_at_zero = dry && s->threshold == 0;
    sim_send(s, MIN(all, budget));
    s->window_start = window_start;
    s->left = left;
    s->now = end;
    return SIM_ROUND_END;
}

/* The guest's clock, which the curve counts in, at @t */
static double sim_run_time(const PrecopySim *s, double t)
{
    return s->run_base + (t - s->run_at) * s->run_rate;
}

/*
 * How fast the guest goes under a throttle of @pct percent, relative to
 * unthrottled.  cpu_throttle_thread() sleeps each vCPU pct / (1 - pct)
 * times the 10 ms it may run between ticks of cpu_throttle_timer_tick(),
 * so that it can run (100 - pct) percent of the time.  A guest that ran
 * less than that while measured, idling in between, needs no more and
 * keeps its pace; one that ran more slows down to what it gets.
 */
static double sim_throttle_speed(const PrecopySim *s, unsigned pct)
{
    double busy = s->w->vcpu_busy ?: 1;

    return MIN(1, (100.0 - pct) / 100 / busy);
}

/*
 * cpu_throttle_set(): the guest held back @pct percent of the time, its
 * clock running that much slower than under the throttle its curve was
 * measured with
 */
static void sim_throttle_set(PrecopySim *s, unsigned pct)
{
    if (!s->pct) {
        s->throttle_since = s->now;
        s->throttle_since_run = sim_run_time(s, s->now);
        s->e->throttle_start_ms = round_u64(s->now);
    }
    s->run_base = sim_run_time(s, s->now);
    s->run_at = s->now;
    s->run_rate = sim_throttle_speed(s, pct) /
                  sim_throttle_speed(s, s->p->throttle.now);
    s->pct = pct;
    s->e->throttle_peak = MAX(s->e->throttle_peak, pct);
}

/*
 * migration_dirty_limit_guest(): every vCPU held to vcpu-dirty-limit
 * MiB/s.  dirtylimit_set_throttle() sleeps a vCPU each time its dirty
 * ring fills, until the rate that the dirtyrate-stat thread measures
 * over a second comes within DIRTYLIMIT_TOLERANCE_RANGE of the limit:
 * the guest, its writes spread over its vCPUs, runs about the limit over
 * its rate of the time.
 */
static unsigned sim_dirty_limit_pct(const PrecopySim *s)
{
    const PrecopyThrottle *t = &s->p->throttle;
    double rate = curve_at(&s->c, 1000) * s->page;
    double limit = (double)t->vcpu_dirty_limit * t->vcpus * MiB;

    if (rate <= limit) {
        return 0;
    }
    return MIN(THROTTLE_PCT_MAX, round(100 * (1 - limit / rate)));
}

/* mig_throttle_guest_down() or migration_dirty_limit_guest() */
static void sim_throttle_up(PrecopySim *s, double dirty, double threshold)
{
    const PrecopyThrottle *t = &s->p->throttle;
    unsigned pct, inc;

    switch (t->kind) {
    case PRECOPY_THROTTLE_AUTO_CONVERGE:
        if (!s->pct) {
            pct = t->initial;
        } else {
            inc = t->increment;
            if (t->tailslow) {
                /* in whole percent, as QEMU computes it */
                unsigned cpu_now = 100 - s->pct;
                unsigned cpu_ideal = cpu_now * (threshold / dirty);

                inc = MIN(cpu_now - cpu_ideal, inc);
            }
            pct = MIN(s->pct + inc, t->max);
        }
        sim_throttle_set(s, MIN(MAX(pct, THROTTLE_PCT_MIN), THROTTLE_PCT_MAX));
        break;
    case PRECOPY_THROTTLE_DIRTY_LIMIT:
        /* set once, at the first trigger */
        if (!s->pct && !t->now) {
            pct = sim_dirty_limit_pct(s);
            if (pct) {
                sim_throttle_set(s, pct);
            }
        }
        break;
    default:
        break;
    }
}

/*
 * migration_trigger_throttle(), at a sync that ends a period: if the
 * pages newly dirtied in it exceed throttle-trigger-threshold percent of
 * the bytes sent in it, the period is high, and every second high one,
 * consecutive or not, throttles the guest further
 */
static void sim_throttle_period(PrecopySim *s, double dirtied)
{
    double sent, dirty, threshold;

    s->period_dirtied += dirtied;
    if (s->now <= s->period_start + THROTTLE_PERIOD_MS) {
        return;
    }
    sent = s->sent - s->period_sent;
    dirty = round(s->period_dirtied) * s->page;
    threshold = floor(sent * s->p->throttle.trigger_threshold / 100);
    if (dirty > threshold && ++s->high >= 2) {
        s->high = 0;
        sim_throttle_up(s, dirty, threshold);
    }
    s->period_start = s->now;
    s->period_sent = s->sent;
    s->period_dirtied = 0;
}

/* Whether the throttle may still rise, so that the migration goes on */
static bool sim_throttle_may_rise(const PrecopySim *s)
{
    const PrecopyThrottle *t = &s->p->throttle;

    switch (t->kind) {
    case PRECOPY_THROTTLE_AUTO_CONVERGE:
        return s->pct < MIN(t->max, THROTTLE_PCT_MAX);
    case PRECOPY_THROTTLE_DIRTY_LIMIT:
        return !s->pct && !t->now && sim_dirty_limit_pct(s);
    default:
        return false;
    }
}

/* migration_bitmap_sync(): add the pages dirtied since the last sync */
static void sim_sync(PrecopySim *s)
{
    Pending *q = &s->q;
    double data = q->first + q->dirtied;
    double run = sim_run_time(s, s->now);
    double fresh = curve_at(&s->c, run - s->last_sync_run);
    double dirtied = q->dirtied;
    double overlap;

    if (!q->dirtied) {
        /* everything dirtied before the last sync has been sent */
        s->dirtied_since = s->last_sync;
        s->dirtied_since_run = s->last_sync_run;
    }
    overlap = s->synced ?
              data / s->synced * curve_overlap(&s->c, s->synced_window,
                                               run - s->last_sync_run) : 0;
    overlap = MIN(overlap, MIN(data, fresh));
    /*
     * However they overlap, the pages dirtied since dirtied_since are
     * no more than D(now - dirtied_since).
     */
    q->dirtied = MIN(q->dirtied + fresh - overlap,
                     MIN(curve_at(&s->c, run - s->dirtied_since_run),
                         s->w->total_pages - q->zero - q->first));
    s->synced = q->first + q->dirtied;
    s->synced_window = curve_time_to(&s->c, s->synced);
    s->last_sync = s->now;
    s->last_sync_run = run;
    s->e->dirty_syncs++;
    /* multifd_ram_flush_and_sync(): once a pass, as the scan wraps */
    s->sent += s->multifd_sync;
    if (!s->stopped) {
        sim_throttle_period(s, MAX(0, q->dirtied - dirtied));
    }
}

/*
 * migration_iteration_run() at the end of a round: sync if below
 * threshold_size, then whether to switch over
 */
static bool sim_switchover_ready(PrecopySim *s)
{
    if (s->dry_at_zero) {
        return true;            /* no exact sync */
    }
    if (!isinf(s->threshold) &&
        pending_pages(&s->q) * s->page >= s->threshold) {
        return false;           /* the window that ended lowered it */
    }
    sim_sync(s);                /* ram_state_pending_exact() */
    return pending_pages(&s->q) * s->page <= s->threshold;
}

/*
 * No QEMU counterpart: skip a steady tail (see Tail).  Returns true if
 * the migration never converges, or the deadline comes within the tail.
 */
static bool sim_fast_forward_tail(PrecopySim *s)
{
    Tail *t = &s->tail;
    double windows = s->round_windows;
    double d1, d2, r, limit, rounds;
    bool at_deadline = false;

    memmove(&t->pages[0], &t->pages[1], 2 * sizeof(t->pages[0]));
    memmove(&t->windows[0], &t->windows[1], 2 * sizeof(t->windows[0]));
    t->pages[2] = pending_pages(&s->q);
    t->windows[2] = windows;
    t->n = MIN(t->n + 1, 3);
    /* not while the throttle or a switch to post-copy is still to come */
    if (sim_throttle_may_rise(s) || s->p->postcopy_after_pass) {
        return false;
    }
    if (t->n < 3 || !windows || s->q.first || s->q.zero ||
        t->windows[0] != windows || t->windows[1] != windows) {
        return false;
    }
    d1 = t->pages[1] - t->pages[0];
    d2 = t->pages[2] - t->pages[1];
    r = d2 / d1;
    if (d1 >= 0 || d2 >= 0 || r <= 0 || r >= 1) {
        return false;
    }
    limit = t->pages[2] + d2 * r / (1 - r);
    if (limit >= s->below) {
        return true;            /* settles above the threshold */
    }
    /* rounds until below the threshold, all but the last */
    rounds = ceil(log((s->below - limit) / (t->pages[2] - limit)) / log(r)) - 1;
    if (rounds < 2) {
        return false;
    }
    if (s->now + rounds * windows * BUFFER_DELAY > s->deadline) {
        rounds = floor((s->deadline - s->now) / (windows * BUFFER_DELAY));
        at_deadline = true;
    }
    s->now += rounds * windows * BUFFER_DELAY;
    /* pages dirtied since, all of them */
    s->sent += rounds * windows * s->window * s->wire.bytes[2] /
               s->wire.cost[2];
    s->e->dirty_syncs += rounds;
    s->q.dirtied = limit + (t->pages[2] - limit) * pow(r, rounds);
    t->n = 0;
    if (at_deadline) {
        return true;
    }
    /* the last round skipped ended on a window, with a sync */
    s->window_start = s->now;
    s->synced = s->q.dirtied;
    s->synced_window = curve_time_to(&s->c, s->synced);
    s->last_sync = s->now;
    s->last_sync_run = sim_run_time(s, s->now);
    return false;
}

/*
 * No QEMU counterpart: whether a migration that does not converge has
 * settled.  What a sync leaves shrinks round after round until it falls
 * below the threshold, or settles: then it never ends.  The pages
 * carried over below the threshold depend on where a round's last window
 * ends, so the sequence may wobble: it has settled once it has not
 * improved on its low by PRECOPY_SETTLED_PROGRESS for
 * PRECOPY_SETTLED_SYNCS syncs.  A migration that creeps towards the
 * threshold slower than that is on the edge of converging after many
 * minutes, or never: the model calls it non-converging, and stays short
 * under the BQL.
 */
static bool sim_settled(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;

    if (pending_pages(&s->q) < s->lowest * (1 - PRECOPY_SETTLED_PROGRESS)) {
        s->lowest = pending_pages(&s->q);
        s->lowest_sync = e->dirty_syncs;
    }
    return (e->dirty_syncs - s->lowest_sync >= PRECOPY_SETTLED_SYNCS &&
            !sim_throttle_may_rise(s)) ||
           e->dirty_syncs >= PRECOPY_MAX_DIRTY_SYNCS;
}

/* The guest stops on the source: what its throttle has cost it */
static void sim_stop(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;
    double ran;

    s->stopped = true;
    if (!s->pct) {
        return;
    }
    /*
     * The guest's clock counts in its pace under throttle.now; what it
     * lost is the time it would have run at full pace and could not
     */
    ran = (sim_run_time(s, s->now) - s->throttle_since_run) *
          sim_throttle_speed(s, s->p->throttle.now);
    e->throttle_ms = round_u64(s->now - s->throttle_since);
    e->throttle_lost_ms = round_u64(MAX(0, s->now - s->throttle_since - ran));
}

/*
 * ram_save_complete(): sync once more, in the stopped guest, and send the
 * rest with the rate limit lifted
 */
static void sim_complete(PrecopySim *s)
{
    /* bytes per ms of a link that holds nothing back */
    const double fast = 1e15;
    Wire sender = sim_wire(s, fast);
    Pending rest;
    double bytes = 0, slow;

    sim_stop(s);
    /* right after an exact sync this adds nothing, but counts */
    sim_sync(s);
    rest = s->q;
    slow = send_pages(&s->link_wire, &s->q, INFINITY, INFINITY, &s->sent);
    s->e->converges = true;
    s->e->downtime_ms = s->e->max_downtime_ms =
        round_u64(slow * 1000.0 / s->link);
    if (!s->link_known && (s->ns[0] || s->ns[1])) {
        s->e->downtime_ms = round_u64(
            send_pages(&sender, &rest, INFINITY, INFINITY, &bytes) / fast);
    }
}

/* Whether migrate-start-postcopy is due, at the end of its pass */
static bool sim_postcopy_due(const PrecopySim *s)
{
    return s->p->postcopy_after_pass &&
           s->e->dirty_syncs > s->p->postcopy_after_pass;
}

/*
 * migrate-start-postcopy at the end of a pass, as virsh migrate
 * --postcopy-after-precopy sends it on the event MIGRATION_PASS:
 * migration_iteration_run() calls postcopy_start() when the next window
 * starts.  The guest stops, the rate limit is lifted for the switch
 * (migration_switchover_start()), the dirty bitmap is synced once more
 * and its runs of pages sent as discards
 * (ram_postcopy_send_discard_bitmap()), then the devices' state: no
 * page goes in the downtime, and the model counts a discard per page,
 * as for pages scattered, and leaves the devices' state out.  The
 * destination runs, and the pages left follow on the main channel
 * alone (multifd sends none in post-copy) at max-postcopy-bandwidth,
 * or as fast as the link goes without it.
 */
static void sim_postcopy(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;
    double bandwidth = s->p->postcopy_bandwidth ?: s->link;
    Wire wire;
    double rest, pages;

    /* the rest of the window under way */
    sim_send(s, s->left);
    s->now = MAX(s->now, MIN(s->deadline, s->window_start + BUFFER_DELAY));
    if (s->now >= s->deadline) {
        return;
    }
    sim_stop(s);
    sim_sync(s);
    pages = pending_pages(&s->q);
    e->postcopy = e->converges = true;
    e->postcopy_switch_ms = round_u64(s->now);
    e->postcopy_pages = round_u64(pages);
    e->downtime_ms = round_u64(pages * POSTCOPY_DISCARD_BYTES * 1000 /
                               s->link);
    e->max_downtime_ms = e->downtime_ms;
    s->sent += pages * POSTCOPY_DISCARD_BYTES;
    /* on the main channel, by the migration thread alone */
    sim_channels(s, 0);
    wire = sim_wire(s, bandwidth / 1000);
    rest = send_pages(&wire, &s->q, INFINITY, INFINITY, &s->sent);
    e->postcopy_ms = round_u64(rest * 1000 / bandwidth);
    if (s->now + e->downtime_ms + e->postcopy_ms > s->deadline) {
        /* the switch is in time, the last page is not */
        e->converges = false;
        e->downtime_ms = e->max_downtime_ms = e->postcopy_ms = 0;
        s->now = s->deadline;
    }
}

/* migration_completion_end(): the totals */
static void sim_finish(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;

    if (!s->stopped) {
        sim_stop(s);            /* at the deadline */
    }
    /* the live phase and the downtime, each rounded, add up exactly */
    e->total_time_ms = round_u64(s->now);
    e->total_time_ms = add_sat(e->total_time_ms, e->downtime_ms);
    e->total_time_ms = add_sat(e->total_time_ms, e->postcopy_ms);
    e->transferred = round_u64(s->sent);
}

void precopy_estimate(const PrecopyWorkload *w, const PrecopyParams *p,
                      PrecopyEstimate *e)
{
    PrecopySim s;
    uint64_t syncs, unsynced = 0;

    assert(!workload_error(w));
    assert(p->bandwidth >= 1);
    assert(!p->progress || !progress_error(p->progress));
    assert(p->throttle.kind != PRECOPY_THROTTLE_AUTO_CONVERGE ||
           p->throttle.now <= THROTTLE_PCT_MAX);

    sim_init(&s, w, p, e);
    /* migration_thread() */
    for (;;) {
        if (sim_postcopy_due(&s)) {
            sim_postcopy(&s);
            break;
        }
        switch (sim_send_round(&s)) {
        case SIM_ROUND_DEADLINE:
            goto out;
        case SIM_ROUND_TICK:
            /* cpu_throttle_dirty_sync_timer_tick() */
            sim_sync(&s);
            s.tick_syncs = e->dirty_syncs;
            s.next_tick += THROTTLE_SYNC_TICK_MS;
            s.tail.n = 0;
            if (e->dirty_syncs >= PRECOPY_MAX_DIRTY_SYNCS) {
                goto out;       /* it does not converge */
            }
            continue;
        case SIM_ROUND_END:
            break;
        }
        syncs = e->dirty_syncs;
        if (sim_switchover_ready(&s)) {
            sim_complete(&s);
            break;
        }
        if (e->dirty_syncs == syncs) {
            /* no sync: the round goes on, but not for ever */
            if (++unsynced >= PRECOPY_MAX_DIRTY_SYNCS) {
                break;
            }
            continue;
        }
        unsynced = 0;
        if (sim_fast_forward_tail(&s) || sim_settled(&s)) {
            break;              /* it does not converge */
        }
    }
out:
    sim_finish(&s);
}

/* The parameter of @p that @search searches */
static uint64_t *search_param(PrecopyParams *p, PrecopySearch search)
{
    return search == PRECOPY_SEARCH_BANDWIDTH ? &p->bandwidth :
                                                &p->downtime_limit_ms;
}

/*
 * The lowest value of a parameter, from @lo to @hi, at which
 * precopy_estimate() converges, to within 1%; 0 if none
 */
static uint64_t precopy_lowest(const PrecopyWorkload *w,
                               const PrecopyParams *p, PrecopySearch search,
                               uint64_t lo, uint64_t hi)
{
    PrecopyParams at = *p;
    uint64_t *value = search_param(&at, search);
    PrecopyEstimate e;

    assert(!workload_error(w));
    assert(lo >= 1);
    assert(lo <= hi);

    *value = hi;
    precopy_estimate(w, &at, &e);
    if (!e.converges) {
        return 0;
    }
    *value = lo;
    precopy_estimate(w, &at, &e);
    if (e.converges) {
        return lo;
    }
    /*
     * Converging is monotonic in bandwidth and in downtime-limit: bisect,
     * geometrically.  Near UINT64_MAX, doubles are coarser than the
     * interval: halve it then.
     */
    while (hi - lo > lo / 100 + 1) {
        double mid = sqrt((double)lo * hi);

        *value = mid > lo && mid < hi ? (uint64_t)mid : lo + (hi - lo) / 2;
        *value = MIN(hi - 1, MAX(lo + 1, *value));
        precopy_estimate(w, &at, &e);
        if (e.converges) {
            hi = *value;
        } else {
            lo = *value;
        }
    }
    return hi;
}

uint64_t precopy_min_bandwidth(const PrecopyWorkload *w,
                               const PrecopyParams *p,
                               uint64_t lo, uint64_t hi)
{
    return precopy_lowest(w, p, PRECOPY_SEARCH_BANDWIDTH, lo, hi);
}

uint64_t precopy_min_downtime_limit(const PrecopyWorkload *w,
                                    const PrecopyParams *p,
                                    uint64_t lo, uint64_t hi)
{
    return precopy_lowest(w, p, PRECOPY_SEARCH_DOWNTIME_LIMIT, lo, hi);
}

bool precopy_workload_same_curve(const PrecopyWorkload *a,
                                 const PrecopyWorkload *b)
{
    return a->nr_readings == b->nr_readings &&
           a->total_pages == b->total_pages &&
           a->zero_pages == b->zero_pages &&
           a->page_size == b->page_size &&
           !memcmp(a->readings, b->readings,
                   a->nr_readings * sizeof(a->readings[0]));
}

bool precopy_workload_equal(const PrecopyWorkload *a,
                            const PrecopyWorkload *b)
{
    return precopy_workload_same_curve(a, b) && a->vcpu_busy == b->vcpu_busy;
}

/*
 * The ends of the range, and the curve as measured, if not all the same
 * guest to a migration with @p: how busy its vCPUs were matters only
 * under a throttle, the sender's pace always
 */
static size_t range_workloads(const PrecopyWorkloadRange *w,
                              const PrecopyParams *p,
                              const PrecopyWorkload **each)
{
    bool (*same)(const PrecopyWorkload *, const PrecopyWorkload *) =
        p->throttle.kind == PRECOPY_THROTTLE_NONE ?
        precopy_workload_same_curve : precopy_workload_equal;

    each[0] = &w->measured;
    if (same(&w->low, &w->measured) && same(&w->high, &w->measured) &&
        !memcmp(&w->low.pace, &w->measured.pace, sizeof(DirtyPace)) &&
        !memcmp(&w->high.pace, &w->measured.pace, sizeof(DirtyPace))) {
        return 1;
    }
    each[1] = &w->low;
    each[2] = &w->high;
    return 3;
}

/* Widen @min and @max, member by member, to take @e in */
/*
 * The model ends each round in the window in which the migration would
 * send its last page, and QEMU may end it a window sooner or later: a
 * sync looks at the pages left only when migration_rate_limit() lets the
 * iteration return, and the rounds after follow from where it fell.  The
 * total time may stray a window for each sync still to come.
 */
static uint64_t estimate_window_slack(const PrecopyParams *p,
                                      const PrecopyEstimate *e)
{
    uint64_t done = p->progress ? p->progress->dirty_sync_count : 0;

    return e->dirty_syncs > done ? (e->dirty_syncs - done) * BUFFER_DELAY : 0;
}

static void estimate_widen(PrecopyEstimate *min, PrecopyEstimate *max,
                           const PrecopyParams *p, const PrecopyEstimate *e)
{
    uint64_t slack = estimate_window_slack(p, e);
    uint64_t now = p->progress ? p->progress->now.elapsed_us / 1000 : 0;

    min->total_time_ms = MIN(min->total_time_ms,
                             MAX(e->total_time_ms - MIN(slack,
                                                        e->total_time_ms),
                                 MIN(now, e->total_time_ms)));
    min->downtime_ms = MIN(min->downtime_ms, e->downtime_ms);
    min->dirty_syncs = MIN(min->dirty_syncs, e->dirty_syncs);
    min->transferred = MIN(min->transferred, e->transferred);
    /* with the link's speed unknown, the slow end of the downtime */
    max->total_time_ms = MAX(max->total_time_ms,
                             add_sat(add_sat(e->total_time_ms, slack),
                                     e->max_downtime_ms - e->downtime_ms));
    max->downtime_ms = MAX(max->downtime_ms, e->max_downtime_ms);
    max->dirty_syncs = MAX(max->dirty_syncs, e->dirty_syncs);
    max->transferred = MAX(max->transferred, e->transferred);
}

void precopy_estimate_range(const PrecopyWorkloadRange *w,
                            const PrecopyParams *p, PrecopyEstimateRange *r)
{
    const PrecopyWorkload *each[3];
    size_t n = range_workloads(w, p, each);
    size_t converging = 0;
    size_t i;

    *r = (PrecopyEstimateRange) {
        .min = {
            .converges = true,
            .total_time_ms = UINT64_MAX,
            .downtime_ms = UINT64_MAX,
            .dirty_syncs = UINT64_MAX,
            .transferred = UINT64_MAX,
        },
        .max = { .converges = true },
    };
    for (i = 0; i < n; i++) {
        PrecopyEstimate e;

        precopy_estimate(each[i], p, &e);
        if (!i) {
            r->measured = e;
        }
        if (e.converges) {
            converging++;
            estimate_widen(&r->min, &r->max, p, &e);
        }
    }
    if (converging == n) {
        r->verdict = PRECOPY_CONVERGES;
        return;
    }
    r->verdict = converging ? PRECOPY_UNCERTAIN : PRECOPY_DOES_NOT_CONVERGE;
    if (!converging) {
        r->min = (PrecopyEstimate) { 0 };
    }
    r->max = (PrecopyEstimate) { 0 };
}

void precopy_lowest_range(const PrecopyWorkloadRange *w,
                          const PrecopyParams *p, PrecopySearch search,
                          uint64_t lo, uint64_t hi, PrecopyLowest *r)
{
    const PrecopyWorkload *each[3];
    size_t n = range_workloads(w, p, each);
    bool everywhere = true;
    size_t i;

    *r = (PrecopyLowest) { .min = UINT64_MAX };
    for (i = 0; i < n; i++) {
        uint64_t value = precopy_lowest(each[i], p, search, lo, hi);

        if (!i) {
            r->measured = value;
        }
        if (!value) {
            everywhere = false;
            continue;
        }
        r->min = MIN(r->min, value);
        r->max = MAX(r->max, value);
    }
    r->min = r->min == UINT64_MAX ? 0 : r->min;
    r->max = everywhere ? r->max : 0;
}

bool precopy_progress_check(const PrecopyProgress *g, Error **errp)
{
    return check_report(progress_error(g), errp);
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
    double floor, threshold;

    if (d2 <= 0 || d1 <= d2 || c->elapsed_us <= b->elapsed_us) {
        return false;
    }
    floor = c->dirty_after - d2 * d2 / (d1 - d2);
    /* migration_update_counters(): bytes per ms times downtime-limit */
    threshold = (double)(c->transferred - b->transferred) /
                (c->elapsed_us - b->elapsed_us) * 1000 *
                c->downtime_limit / page_size;
    return floor > PRECOPY_STALLED_MARGIN * threshold;
}

size_t precopy_stalled_syncs(const PrecopyProgress *g)
{
    const PrecopySync *last = &g->syncs[g->nr_syncs - 1];
    uint64_t low = UINT64_MAX;
    size_t settled = 0, counted = 0, i;

    assert(!progress_error(g));

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
             sync_floor_above_threshold(r - 2, r - 1, r, g->page_size))) {
            settled++;
        } else {
            settled = 0;
        }
        low = MIN(low, r->dirty_after);
        counted++;
    }
    return settled;
}

/* How far precopy_refit() scales a curve, as a power of two, either way */
#define PRECOPY_REFIT_MAX_LOG2 16
/* ... and the steps of its bisection: to within 0.2% */
#define PRECOPY_REFIT_STEPS 14
/* Intervals within this factor of each other are alike */
#define PRECOPY_REFIT_LIKE 1.5

/* @base with its readings scaled by @k, into @c */
static void curve_scaled(const DirtyCurve *base, double k, DirtyCurve *c)
{
    size_t i;

    *c = *base;
    for (i = 0; i < c->nr_readings; i++) {
        c->readings[i].dirty_pages =
            round_u64(base->readings[i].dirty_pages * k);
    }
}

static bool curve_equal(const DirtyCurve *a, const DirtyCurve *b)
{
    PrecopyWorkload wa, wb;

    precopy_workload_from_curve(&wa, a);
    precopy_workload_from_curve(&wb, b);
    return precopy_workload_equal(&wa, &wb);
}

/* The zero pages of @g, as a share of the pages it has sent */
static uint64_t progress_zero_pages(const PrecopyProgress *g)
{
    if (!g->now.sent_pages) {
        return 0;
    }
    return MIN(g->total_pages, round_u64((double)g->now.zero_sent /
                                         g->now.sent_pages * g->total_pages));
}

/*
 * The curve through the pages the syncs of @g found over their
 * intervals, in milliseconds: the most pages of those of the same
 * length, kept from decreasing as the intervals grow
 */
static void curve_of_syncs(const PrecopyProgress *g, DirtyCurve *c)
{
    size_t first = g->nr_syncs > DIRTY_CURVE_MAX_READINGS ?
                   g->nr_syncs - DIRTY_CURVE_MAX_READINGS : 1;
    size_t i, j;

    *c = (DirtyCurve) {
        .total_pages = g->total_pages,
        .zero_pages = progress_zero_pages(g),
        .page_size = g->page_size,
        .exact = true,
    };
    for (i = first; i < g->nr_syncs; i++) {
        const PrecopySync *r = &g->syncs[i];
        DirtyCurveReading at = {
            .elapsed_ms = MAX(1, (r->elapsed_us - r[-1].elapsed_us) / 1000),
            .dirty_pages = r->dirty_after - r->dirty_before,
        };

        /* in order of interval */
        j = 0;
        while (j < c->nr_readings &&
               c->readings[j].elapsed_ms < at.elapsed_ms) {
            j++;
        }
        if (j < c->nr_readings && c->readings[j].elapsed_ms == at.elapsed_ms) {
            c->readings[j].dirty_pages = MAX(c->readings[j].dirty_pages,
                                             at.dirty_pages);
            continue;
        }
        memmove(&c->readings[j + 1], &c->readings[j],
                (c->nr_readings - j) * sizeof(at));
        c->readings[j] = at;
        c->nr_readings++;
    }
    for (i = 1; i < c->nr_readings; i++) {
        c->readings[i].dirty_pages = MAX(c->readings[i].dirty_pages,
                                         c->readings[i - 1].dirty_pages);
    }
}

/* The pages that the model's sync @i of @g finds, on @c */
static double sync_found(const DirtyCurve *c, const PrecopyProgress *g,
                         size_t i)
{
    /* the parameters play no part in a sync */
    const PrecopyParams p = { .bandwidth = 1 };
    PrecopyWorkload w;
    PrecopyEstimate e;
    PrecopySim s;
    double before;

    precopy_workload_from_curve(&w, c);
    sim_init(&s, &w, &p, &e);
    sim_resume(&s, g, i);
    before = pending_pages(&s.q);
    sim_sync(&s);
    return pending_pages(&s.q) - before;
}

/* The interval before sync @i of @g, in microseconds */
static int64_t sync_interval(const PrecopyProgress *g, size_t i)
{
    return g->syncs[i].elapsed_us - g->syncs[i - 1].elapsed_us;
}

/* D(@ms) on @c */
static double scaled_curve_at(const DirtyCurve *c, double ms)
{
    PrecopyWorkload w;
    Curve cc;

    precopy_workload_from_curve(&w, c);
    curve_init(&cc, &w);
    return curve_at(&cc, ms);
}

/*
 * How many times the pages of @c the guest dirtied before sync @i of
 * @g: the scale of @c on which the model's sync finds what that one did.
 *
 * The model takes the pages dirtied to be anywhere in memory, and those
 * that fall on pages still waiting to be sent to go unseen.  After the
 * first pass, the pages waiting are the ones dirtied before, and the
 * model's own syncs count them the same way.  During the first pass,
 * they are the pages not yet reached in address order, and a guest's hot
 * set is seldom spread evenly over them: the pages found may be all that
 * the guest dirtied, or a share of them.  Any scale between the two fits,
 * and the curve as measured is kept if it is one of them.
 */
static double sync_scale(const DirtyCurve *c, const PrecopyProgress *g,
                         size_t i)
{
    const PrecopySync *r = &g->syncs[i];
    double found = r->dirty_after - r->dirty_before;
    double lo = -PRECOPY_REFIT_MAX_LOG2, hi = PRECOPY_REFIT_MAX_LOG2;
    DirtyCurve scaled;
    double k, least, d;
    int step;

    if (r->dirty_after == r->dirty_before) {
        return 0;
    }
    for (step = 0; step < PRECOPY_REFIT_STEPS; step++) {
        double mid = (lo + hi) / 2;

        curve_scaled(c, exp2(mid), &scaled);
        if (sync_found(&scaled, g, i) < found) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    k = exp2((lo + hi) / 2);
    if (r->sent_pages >= g->total_pages) {
        return k;
    }
    /* the scale on which the guest dirtied just the pages found */
    d = scaled_curve_at(c, sync_interval(g, i) / 1000.0);
    least = d > 0 ? found / d : k;
    return MIN(MAX(1, MIN(least, k)), k);
}

/* Nothing known of the guest of @g: see precopy_refit() */
static void curve_unknown(const PrecopyProgress *g, DirtyCurve *fit)
{
    fit[1] = (DirtyCurve) {
        .readings = { { .elapsed_ms = 1 } },
        .nr_readings = 1,
        .total_pages = g->total_pages,
        .zero_pages = progress_zero_pages(g),
        .page_size = g->page_size,
    };
    fit[0] = fit[2] = fit[1];
    fit[0].readings[0].dirty_pages = g->total_pages;
    fit[2].readings[0].dirty_pages = g->total_pages;
}

size_t precopy_refit(const DirtyCurve *base, const PrecopyProgress *g,
                     DirtyCurve *fit, bool *from_base)
{
    size_t first = g->nr_syncs > PRECOPY_REFIT_SYNCS ?
                   g->nr_syncs - PRECOPY_REFIT_SYNCS : 1;
    double scale = 1, low = INFINITY, high = 0, like = 0;
    DirtyCurve own[3];
    size_t n = 0, i;

    assert(!progress_error(g));

    if (base && (base[0].total_pages != g->total_pages ||
                 !base[0].readings[base[0].nr_readings - 1].dirty_pages)) {
        base = NULL;        /* not this guest, or nothing to scale */
    }
    *from_base = base;
    if (!base) {
        if (g->nr_syncs < 2) {
            curve_unknown(g, fit);
            return 0;
        }
        curve_of_syncs(g, &own[0]);
        own[1] = own[2] = own[0];
        base = own;
    }
    /*
     * The last sync sets the scale, and it and the syncs before it whose
     * intervals are like its own the range: a curve of the wrong shape
     * scales differently at different intervals.
     */
    for (i = g->nr_syncs - 1; i >= first; i--) {
        double interval = sync_interval(g, i);
        double k;

        if (interval <= 0 || (like && (interval * PRECOPY_REFIT_LIKE < like ||
                                       interval > like * PRECOPY_REFIT_LIKE))) {
            continue;
        }
        k = sync_scale(&base[0], g, i);
        if (!like) {
            like = interval;
            scale = k;
        }
        low = MIN(low, curve_equal(&base[1], &base[0]) ? k :
                       sync_scale(&base[1], g, i));
        high = MAX(high, curve_equal(&base[2], &base[0]) ? k :
                         sync_scale(&base[2], g, i));
        n++;
    }
    if (!n) {
        low = high = 1;
    }
    curve_scaled(&base[0], scale, &fit[0]);
    curve_scaled(&base[1], low, &fit[1]);
    curve_scaled(&base[2], high, &fit[2]);
    return n;
}
