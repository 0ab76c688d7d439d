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
 * up to the check that ends the round, precopy_sim_switchover_ready()
 * for the check, then precopy_sim_complete(), or the model's own two
 * ways of ending a migration that does not converge,
 * sim_fast_forward_tail() and sim_settled().
 */

#include "qemu/osdep.h"
#include <math.h>
#include "migration-stats.h"
#include "precopy-estimate.h"
#include "precopy-send.h"
#include "precopy-throttle.h"
#include "precopy-sync.h"
#include "precopy-switchover.h"

/*
 * Syncs without a new low in the pages left, lower by this share, before
 * a run is settled
 */
#define PRECOPY_SETTLED_SYNCS 16
#define PRECOPY_SETTLED_PROGRESS 0.001

/* How sim_send_round() ended */
typedef enum SimRound {
    SIM_ROUND_END,          /* at the check that ends a round */
    SIM_ROUND_TICK,         /* at a sync of the throttle's timer */
    SIM_ROUND_DEADLINE,
} SimRound;

/*
 * ram_save_iterate() in the windows of migration_rate_limit(), until the
 * round ends: when a window starts and migration_iteration_run() finds
 * less than threshold_size pending, or when ram_save_iterate() runs the
 * bitmap dry; or until the timer of auto-converge syncs, or the
 * deadline, within the round.
 */
static SimRound sim_send_round(PrecopySim *s)
{
    PrecopyPending ahead = s->q;
    /* to get below the threshold, and to run the bitmap dry */
    double need = precopy_send_cost(&s->wire, &ahead, INFINITY,
                                    MAX(0, precopy_pending_pages(&s->q) -
                                           s->below));
    double all = need + precopy_send_cost(&s->wire, &ahead, INFINITY,
                                          INFINITY);
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
        precopy_send_cost(&s->wire, &ahead, before, INFINITY);
        last = precopy_send_cost(&s->link_wire, &ahead, INFINITY, INFINITY);
        end = start + last * 1000.0 / s->link;
        window_start = s->window_start + more * BUFFER_DELAY;
        left = budget - all;
    } else {
        end = s->window_start + (more + 1) * BUFFER_DELAY;
        window_start = end;
        left = s->window;
    }

    tick = precopy_sim_tick_due(s, MIN(end, s->deadline));
    if (tick || end > s->deadline) {
        /*
         * the windows that start before then, each with a burst at its
         * start: the one under way has had it
         */
        cut = tick ? s->next_tick : s->deadline;
        windows = MAX(0, ceil((cut - s->window_start) / BUFFER_DELAY) - 1);
        precopy_sim_send(s, s->left + windows * s->window);
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
    precopy_sim_send(s, MIN(all, budget));
    s->window_start = window_start;
    s->left = left;
    s->now = end;
    return SIM_ROUND_END;
}

/* The guest's clock, which the curve counts in, at @t */
/*
 * No QEMU counterpart: skip a steady tail (see PrecopyTail).  Returns true if
 * the migration never converges, or the deadline comes within the tail.
 */
static bool sim_fast_forward_tail(PrecopySim *s)
{
    PrecopyTail *t = &s->tail;
    double windows = s->round_windows;
    double d1, d2, r, limit, rounds;
    bool at_deadline = false;

    memmove(&t->pages[0], &t->pages[1], 2 * sizeof(t->pages[0]));
    memmove(&t->windows[0], &t->windows[1], 2 * sizeof(t->windows[0]));
    t->pages[2] = precopy_pending_pages(&s->q);
    t->windows[2] = windows;
    t->n = MIN(t->n + 1, 3);
    /* not while the throttle or a switch to post-copy is still to come */
    if (precopy_sim_throttle_may_rise(s) || s->p->postcopy_after_pass) {
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
    s->synced_window = precopy_curve_time_to(&s->c, s->synced);
    s->last_sync = s->now;
    s->last_sync_run = precopy_sim_run_time(s, s->now);
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

    if (precopy_pending_pages(&s->q) <
        s->lowest * (1 - PRECOPY_SETTLED_PROGRESS)) {
        s->lowest = precopy_pending_pages(&s->q);
        s->lowest_sync = e->dirty_syncs;
    }
    return (e->dirty_syncs - s->lowest_sync >= PRECOPY_SETTLED_SYNCS &&
            !precopy_sim_throttle_may_rise(s)) ||
           e->dirty_syncs >= PRECOPY_MAX_DIRTY_SYNCS;
}

/* migration_completion_end(): the totals */
static void sim_finish(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;

    if (!s->stopped) {
        precopy_sim_stop(s);    /* at the deadline */
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

    assert(precopy_workload_check(w, NULL));
    assert(p->bandwidth >= 1);
    assert(!p->progress || precopy_progress_check(p->progress, NULL));
    assert(p->throttle.kind != PRECOPY_THROTTLE_AUTO_CONVERGE ||
           p->throttle.pct_now <= THROTTLE_PCT_MAX);

    precopy_sim_init(&s, w, p, e);
    /* migration_thread() */
    for (;;) {
        if (precopy_sim_postcopy_due(&s)) {
            precopy_sim_postcopy(&s);
            break;
        }
        switch (sim_send_round(&s)) {
        case SIM_ROUND_DEADLINE:
            goto out;
        case SIM_ROUND_TICK:
            /* cpu_throttle_dirty_sync_timer_tick() */
            precopy_sim_sync(&s);
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
        if (precopy_sim_switchover_ready(&s)) {
            precopy_sim_complete(&s);
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
