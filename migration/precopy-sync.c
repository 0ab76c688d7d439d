/*
 * Pre-copy migration estimate: the syncs of the dirty bitmap
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "migration-stats.h"
#include "precopy-send.h"
#include "precopy-throttle.h"
#include "precopy-sync.h"

/*
 * The pages in the dirty bitmap of a migration at @at, by kind: @dirty
 * of them, with the pages of the first pass not yet sent (zero pages
 * among them as the workload has them) taken to be first
 */
static void sync_pending(const PrecopyWorkload *w, const PrecopySync *at,
                         uint64_t dirty, PrecopyPending *q)
{
    double left = at->sent_pages < w->total_pages ?
                  w->total_pages - at->sent_pages : 0;
    double zero;

    left = MIN(left, dirty);
    zero = MIN(left, MAX(0, (double)w->zero_pages - at->zero_sent));
    *q = (PrecopyPending) {
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
        PrecopyPending q;

        sync_pending(w, &g->syncs[j], g->syncs[j].dirty_before, &q);
        if (!q.dirtied) {
            since = g->syncs[j - 1].elapsed_us / 1000.0;
        }
    }
    return since;
}

void precopy_sim_resume(PrecopySim *s, const PrecopyProgress *g, size_t i)
{
    const PrecopySync *last = &g->syncs[i - 1];
    const PrecopySync *at = i < g->nr_syncs ? &g->syncs[i] : &g->now;
    PrecopyPending synced;

    sync_pending(s->w, at, at->dirty_before, &s->q);
    sync_pending(s->w, last, last->dirty_after, &synced);
    s->now = s->window_start = at->elapsed_us / 1000.0;
    s->sent = at->transferred;
    s->last_sync = last->elapsed_us / 1000.0;
    s->synced = synced.first + synced.dirtied;
    /* ram_init_bitmaps() puts every page in the bitmap, dirtied or not */
    s->synced_window = last->elapsed_us ?
                       precopy_curve_time_to(&s->c, s->synced) : INFINITY;
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
        s->pct = s->p->throttle.pct_now;
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
        precopy_sim_window_end(s, i == g->nr_syncs && g->window_bytes &&
                          g->bandwidth == s->p->bandwidth ?
                          g->window_bytes : precopy_sim_full_window_bytes(s));
    }
}

void precopy_sim_init(PrecopySim *s, const PrecopyWorkload *w,
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
    precopy_curve_init(&s->c, w);
    s->synced = s->q.first;
    precopy_sim_channels(s, p->multifd_channels);
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
    s->wire = precopy_sim_wire(s, rate);
    s->link_wire = precopy_sim_wire(s, s->link / 1000);

    /* threshold_size is 0 until the first window ends */
    precopy_sim_set_threshold(s, p->downtime_limit_ms ==
                                 PRECOPY_DOWNTIME_UNLIMITED ? INFINITY : 0);

    *e = (PrecopyEstimate) { .dirty_syncs = 1 };    /* ram_init_bitmaps() */
    if (p->progress) {
        precopy_sim_resume(s, p->progress, p->progress->nr_syncs);
    }
}

void precopy_sim_sync(PrecopySim *s)
{
    PrecopyPending *q = &s->q;
    double data = q->first + q->dirtied;
    double run = precopy_sim_run_time(s, s->now);
    double fresh = precopy_curve_at(&s->c, run - s->last_sync_run);
    double dirtied = q->dirtied;
    double overlap;

    if (!q->dirtied) {
        /* everything dirtied before the last sync has been sent */
        s->dirtied_since = s->last_sync;
        s->dirtied_since_run = s->last_sync_run;
    }
    overlap = s->synced ?
              data / s->synced *
              precopy_curve_overlap(&s->c, s->synced_window,
                                    run - s->last_sync_run) : 0;
    overlap = MIN(overlap, MIN(data, fresh));
    /*
     * However they overlap, the pages dirtied since dirtied_since are
     * no more than D(now - dirtied_since).
     */
    q->dirtied = MIN(q->dirtied + fresh - overlap,
                     MIN(precopy_curve_at(&s->c, run - s->dirtied_since_run),
                         s->w->total_pages - q->zero - q->first));
    s->synced = q->first + q->dirtied;
    s->synced_window = precopy_curve_time_to(&s->c, s->synced);
    s->last_sync = s->now;
    s->last_sync_run = run;
    s->e->dirty_syncs++;
    /* multifd_ram_flush_and_sync(): once a pass, as the scan wraps */
    s->sent += s->multifd_sync;
    if (!s->stopped) {
        precopy_sim_throttle_period(s, MAX(0, q->dirtied - dirtied));
    }
}
