/*
 * Pre-copy migration estimate: a model of QEMU's own pre-copy loop
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The model follows the migration thread of QEMU 10.0 step by step:
 *
 * - migration_thread() calls migration_iteration_run() once per rate
 *   limit window of BUFFER_DELAY ms: migration_rate_limit() sleeps until
 *   the window ends once ram_save_iterate() has sent max-bandwidth *
 *   BUFFER_DELAY bytes, a little more (PRECOPY_RATE_LIMIT_OVERSHOOT).  If the
 *   dirty bitmap runs dry first, ram_save_iterate() returns early and
 *   migration_iteration_run() runs again at once, within the window and
 *   with what is left of its budget.  Pages go out in address order, each as an
 *   8-byte header and the page (save_page_header(), save_normal_page()),
 *   zero pages as the header and one byte (save_zero_page()).  The scan
 *   goes on from where it stopped (last_seen_block, last_page): after a
 *   sync it first finishes the first pass, whose zero pages, which in a
 *   guest mostly sit together in memory never used, the model puts last,
 *   and only then reaches the pages dirtied since.  Zero pages
 *   cost next to nothing on the wire, and in a guest they mostly sit
 *   together in memory never used: the model sends them after the pages
 *   with data, and never counts them as dirtied again.
 *
 * - migration_iteration_run() compares the pages still dirty, zero or
 *   not, with threshold_size.  Only below it does it sync the dirty bitmap
 *   (qemu_savevm_state_pending_exact(), ram_state_pending_exact()), and
 *   only if still below it after the sync does it switch over.
 *   migration_update_counters() sets threshold_size to downtime-limit
 *   times the bandwidth of the last window, or avail-switchover-bandwidth
 *   when set; it stays 0 for the first window.
 *
 * - A sync adds the pages dirtied since the previous sync.  Pages still
 *   waiting to be sent absorb re-dirtying: the bitmap after a sync is
 *   the union of the pages not yet sent and the pages dirtied since.
 *   ram_init_bitmaps() starts with every page dirty and counts one sync,
 *   and ram_save_complete() counts another, in the stopped guest.
 *
 * - migration_completion_precopy() lifts the rate limit: the final
 *   stop-and-copy goes at the speed of the link.
 *
 * The guest is described by its dirty page curve D(t), the distinct
 * pages it dirties in any t ms: readings interpolated linearly from
 * (0, 0), and past the last reading extended along the last segment's
 * slope up to the pages that are not zero.  As the curve flattens with
 * time, that overstates what happens past the readings: conservative.
 *
 * How many of the pages dirtied since the last sync are already in the
 * bitmap follows from the curve too.  The pages a sync put in the bitmap
 * were all dirtied within some window W before it, with D(W) equal to
 * their number.  Pages dirtied in two adjacent windows of lengths A and
 * B number D(A) + D(B) - D(A + B), and the pages not yet sent are a share
 * of the bitmap unrelated to how hot they are, since pages go out in
 * address order.  Whatever the overlaps, the pages dirtied since some
 * time and still waiting are at most D(now - that time).
 */

#include "qemu/osdep.h"
#include <math.h>
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
    double tail_slope;      /* pages per ms past the last reading */
} Curve;

static void curve_init(Curve *c, const PrecopyWorkload *w)
{
    const DirtyCurveReading *last = &w->readings[w->nr_readings - 1];
    double t0 = 0, d0 = 0;

    c->r = w->readings;
    c->n = w->nr_readings;
    c->cap = MAX(w->total_pages - w->zero_pages,
                 MIN(last->dirty_pages, w->total_pages));
    if (c->n > 1) {
        t0 = last[-1].elapsed_ms;
        d0 = last[-1].dirty_pages;
    }
    c->tail_slope = (last->dirty_pages - d0) / (last->elapsed_ms - t0);
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
                           (t - last->elapsed_ms) * c->tail_slope);
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
        return c->tail_slope > 0 ?
               last->elapsed_ms + (pages - last->dirty_pages) / c->tail_slope :
               INFINITY;
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

bool precopy_workload_check(const PrecopyWorkload *w, Error **errp)
{
    size_t i;

    if (!w->nr_readings) {
        error_setg(errp, "the dirty page curve has no readings");
        return false;
    }
    if (!w->page_size || !w->total_pages) {
        error_setg(errp, "the guest has no pages to migrate");
        return false;
    }
    if (w->zero_pages > w->total_pages) {
        error_setg(errp, "more zero pages than pages");
        return false;
    }
    for (i = 0; i < w->nr_readings; i++) {
        const DirtyCurveReading *r = &w->readings[i];

        if (r->elapsed_ms <= (i ? r[-1].elapsed_ms : 0)) {
            error_setg(errp, "dirty page curve readings must be taken at "
                       "increasing times after 0");
            return false;
        }
        if (i && r->dirty_pages < r[-1].dirty_pages) {
            error_setg(errp, "dirty page curve readings must not decrease");
            return false;
        }
    }
    return true;
}

/*
 * The pages in the dirty bitmap, in the order ram_find_and_save_block()
 * reaches them from where it stands: what remains of the first pass's
 * pages with data, then its zero pages, which in a guest mostly sit
 * together in memory never used, then the pages dirtied since, which it
 * reaches once it wraps around.
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

/* Take up to @bytes (or, if @pages, up to that many pages) off @q in order */
static double send_pages(const PrecopyWorkload *w, Pending *q,
                         double bytes, double pages)
{
    const double full = w->page_size + PAGE_HEADER_BYTES;
    double *kind[] = { &q->first, &q->zero, &q->dirtied };
    double cost[] = { full, ZERO_PAGE_BYTES, full };
    double sent = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(kind); i++) {
        double n = MIN(*kind[i], MIN(pages, (bytes - sent) / cost[i]));

        n = MAX(0, n);      /* rounding must not put pages back */

        *kind[i] -= n;
        pages -= n;
        sent += n * cost[i];
    }
    return sent;
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

typedef enum TailJump {
    TAIL_NONE,          /* not a steady tail (yet) */
    TAIL_SKIPPED,       /* rounds skipped; the loop goes on */
    TAIL_NEVER,         /* settles above the threshold */
    TAIL_DEADLINE,      /* skipped up to the deadline */
} TailJump;

static TailJump steady_tail(Tail *t, Pending *q, double windows, double below,
                            double deadline, double window, double *now,
                            double *sent, PrecopyEstimate *e)
{
    double d1, d2, r, limit, rounds;
    TailJump jump = TAIL_SKIPPED;

    memmove(&t->pages[0], &t->pages[1], 2 * sizeof(t->pages[0]));
    memmove(&t->windows[0], &t->windows[1], 2 * sizeof(t->windows[0]));
    t->pages[2] = pending_pages(q);
    t->windows[2] = windows;
    t->n = MIN(t->n + 1, 3);
    if (t->n < 3 || !windows || q->first || q->zero ||
        t->windows[0] != windows ||
        t->windows[1] != windows) {
        return TAIL_NONE;
    }
    d1 = t->pages[1] - t->pages[0];
    d2 = t->pages[2] - t->pages[1];
    r = d2 / d1;
    if (d1 >= 0 || d2 >= 0 || r <= 0 || r >= 1) {
        return TAIL_NONE;
    }
    limit = t->pages[2] + d2 * r / (1 - r);
    if (limit >= below) {
        return TAIL_NEVER;
    }
    /* rounds until below the threshold, all but the last */
    rounds = ceil(log((below - limit) / (t->pages[2] - limit)) / log(r)) - 1;
    if (rounds < 2) {
        return TAIL_NONE;
    }
    if (*now + rounds * windows * BUFFER_DELAY > deadline) {
        rounds = floor((deadline - *now) / (windows * BUFFER_DELAY));
        jump = TAIL_DEADLINE;
    }
    *now += rounds * windows * BUFFER_DELAY;
    *sent += rounds * windows * window;
    e->dirty_syncs += rounds;
    q->dirtied = limit + (t->pages[2] - limit) * pow(r, rounds);
    t->n = 0;
    return jump;
}

void precopy_estimate(const PrecopyWorkload *w, const PrecopyParams *p,
                      PrecopyEstimate *e)
{
    const double page = w->page_size;
    /* bytes the rate limit lets through per window, and per ms */
    const double budget_bytes = p->bandwidth / 1000.0 * BUFFER_DELAY;
    const double window = budget_bytes +
        MIN(budget_bytes, PRECOPY_RATE_LIMIT_OVERSHOOT *
                          (page + PAGE_HEADER_BYTES));
    const double rate = window / BUFFER_DELAY;
    const uint64_t link = p->link_bandwidth ? p->link_bandwidth :
                          p->switchover_bandwidth ? p->switchover_bandwidth :
                          p->bandwidth;
    const double deadline = p->deadline_ms;
    double threshold;           /* migration.c threshold_size, in bytes */
    Pending q = {
        .first = w->total_pages - w->zero_pages,
        .zero = w->zero_pages,
    };
    double synced = q.first;    /* pages with data the last sync left */
    double synced_window = INFINITY;    /* ... all dirtied within this */
    double lowest = INFINITY;   /* fewest pages a sync left so far */
    uint64_t lowest_sync = 0;
    /* the pages in q.dirtied were all dirtied after this */
    double dirtied_since = 0;
    Tail tail = { 0 };
    double now = 0, last_sync = 0, sent = 0;
    /* the rate limit window under way, and the bytes it still lets out */
    double window_start = 0, left = window;
    Curve c;

    curve_init(&c, w);
    *e = (PrecopyEstimate) { .dirty_syncs = 1 };    /* ram_init_bitmaps() */

    if (p->downtime_limit_ms == PRECOPY_DOWNTIME_UNLIMITED) {
        threshold = INFINITY;
    } else if (p->switchover_bandwidth) {
        /* whole bytes per ms, as migration_update_counters() divides */
        threshold = (double)(p->switchover_bandwidth / 1000) *
                    p->downtime_limit_ms;
    } else {
        threshold = rate * p->downtime_limit_ms;
    }

    for (;;) {
        /* pages to send before the pending pages * page < threshold */
        double below = isinf(threshold) ? INFINITY :
                       MAX(0, ceil(threshold / page) - 1);
        Pending ahead = q;
        double need = send_pages(w, &ahead, INFINITY,
                                 MAX(0, pending_pages(&q) - below));
        double all = need + send_pages(w, &ahead, INFINITY, INFINITY);
        /*
         * migration_iteration_run() looks at the pending pages when a
         * window starts; threshold_size is 0 during the first one.  The
         * round ends when it finds them below the threshold, after
         * @more whole windows past this one...
         */
        double more = need > left ? ceil((need - left) / window) : 0;
        double budget = left + more * window;
        /* ...or as soon as ram_save_iterate() finds the bitmap empty */
        bool dry = all <= budget;
        bool whole = left == window && !dry;
        double end, data, fresh, overlap;

        if (dry) {
            double start = more ? window_start + more * BUFFER_DELAY : now;
            double last = all - (more ? left + (more - 1) * window : 0);

            end = start + last * 1000.0 / link;
            window_start += more * BUFFER_DELAY;
            left = budget - all;
        } else {
            end = window_start + (more + 1) * BUFFER_DELAY;
            window_start = end;
            left = window;
        }
        if (end > deadline) {
            e->converges = false;
            sent += send_pages(w, &q, budget * (deadline - now) / (end - now),
                               INFINITY);
            now = deadline;
            break;
        }
        sent += send_pages(w, &q, MIN(all, budget), INFINITY);
        now = end;

        /* ram_state_pending_exact(): the pages dirtied since the last sync */
        if (!q.dirtied) {
            /* everything dirtied before the last sync has been sent */
            dirtied_since = last_sync;
        }
        data = q.first + q.dirtied;
        fresh = curve_at(&c, now - last_sync);
        overlap = synced ? data / synced * curve_overlap(&c, synced_window,
                                                         now - last_sync) : 0;
        overlap = MIN(overlap, MIN(data, fresh));
        /*
         * However they overlap, the pages dirtied since dirtied_since are
         * no more than D(now - dirtied_since).
         */
        q.dirtied = MIN(q.dirtied + fresh - overlap,
                        MIN(curve_at(&c, now - dirtied_since),
                            w->total_pages - q.zero - q.first));
        synced = q.first + q.dirtied;
        synced_window = curve_time_to(&c, synced);
        last_sync = now;
        /*
         * With a threshold of 0, migration_iteration_run() never syncs:
         * it switches over once it finds the bitmap empty, and leaves the
         * pages dirtied since to the sync in ram_save_complete().
         */
        if (dry && !threshold) {
            e->converges = true;
            break;
        }
        e->dirty_syncs++;

        if (pending_pages(&q) * page < threshold || !pending_pages(&q)) {
            e->converges = true;
            break;
        }
        /*
         * What a sync leaves shrinks round after round until it falls
         * below the threshold, or settles: then it never ends.  The pages
         * carried over below the threshold depend on where a round's last
         * window ends, so the sequence may wobble: it has settled once it
         * has not improved on its low by PRECOPY_SETTLED_PROGRESS for
         * PRECOPY_SETTLED_SYNCS syncs.  A migration that creeps towards
         * the threshold slower than that is on the edge of converging
         * after many minutes, or never: the model calls it
         * non-converging, and stays short under the BQL.
         */
        switch (steady_tail(&tail, &q, whole ? more + 1 : 0, below, deadline,
                            window, &now, &sent, e)) {
        case TAIL_NONE:
            break;
        case TAIL_SKIPPED:
            window_start = now;
            synced = q.dirtied;
            synced_window = curve_time_to(&c, synced);
            last_sync = now;
            break;
        case TAIL_NEVER:
        case TAIL_DEADLINE:
            e->converges = false;
            goto done;
        }
        if (pending_pages(&q) < lowest * (1 - PRECOPY_SETTLED_PROGRESS)) {
            lowest = pending_pages(&q);
            lowest_sync = e->dirty_syncs;
        }
        if (e->dirty_syncs - lowest_sync >= PRECOPY_SETTLED_SYNCS ||
            e->dirty_syncs >= PRECOPY_MAX_DIRTY_SYNCS) {
            e->converges = false;
            break;
        }
    }

done:
    if (e->converges) {
        /* ram_save_complete() syncs once more, with the guest stopped */
        double rest = send_pages(w, &q, INFINITY, INFINITY);

        e->dirty_syncs++;
        e->downtime_ms = round_u64(rest * 1000.0 / link);
        sent += rest;
    }
    /* the live phase and the downtime, each rounded, add up exactly */
    e->total_time_ms = round_u64(now);
    e->total_time_ms += MIN(e->downtime_ms, UINT64_MAX - e->total_time_ms);
    e->transferred = round_u64(sent);
}

uint64_t precopy_min_bandwidth(const PrecopyWorkload *w,
                               const PrecopyParams *p,
                               uint64_t lo, uint64_t hi)
{
    PrecopyParams at = *p;
    PrecopyEstimate e;

    at.bandwidth = hi;
    precopy_estimate(w, &at, &e);
    if (!e.converges) {
        return 0;
    }
    at.bandwidth = lo;
    precopy_estimate(w, &at, &e);
    if (e.converges) {
        return lo;
    }
    /*
     * Converging is monotonic in bandwidth: bisect, geometrically.  Near
     * UINT64_MAX, doubles are coarser than the interval: halve it then.
     */
    while (hi - lo > lo / 100 + 1) {
        double mid = sqrt((double)lo * hi);

        at.bandwidth = mid > lo && mid < hi ? (uint64_t)mid :
                       lo + (hi - lo) / 2;
        at.bandwidth = MIN(hi - 1, MAX(lo + 1, at.bandwidth));
        precopy_estimate(w, &at, &e);
        if (e.converges) {
            hi = at.bandwidth;
        } else {
            lo = at.bandwidth;
        }
    }
    return hi;
}
