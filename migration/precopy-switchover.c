/*
 * Pre-copy migration estimate: the switchover
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "migration-stats.h"
#include "precopy-send.h"
#include "precopy-throttle.h"
#include "precopy-sync.h"
#include "precopy-switchover.h"

/* postcopy_send_discard_bm_ram(): a range of dirty pages, start and length */
#define POSTCOPY_DISCARD_BYTES 16

bool precopy_sim_switchover_ready(PrecopySim *s)
{
    if (s->dry_at_zero) {
        return true;            /* no exact sync */
    }
    if (!isinf(s->threshold) &&
        precopy_pending_pages(&s->q) * s->page >= s->threshold) {
        return false;           /* the window that ended lowered it */
    }
    precopy_sim_sync(s);        /* ram_state_pending_exact() */
    return precopy_pending_pages(&s->q) * s->page <= s->threshold;
}

void precopy_sim_complete(PrecopySim *s)
{
    /* bytes per ms of a link that holds nothing back */
    const double fast = 1e15;
    PrecopyWire sender = precopy_sim_wire(s, fast);
    PrecopyPending rest;
    double bytes = 0, slow;

    precopy_sim_stop(s);
    /* right after an exact sync this adds nothing, but counts */
    precopy_sim_sync(s);
    rest = s->q;
    slow = precopy_send_pages(&s->link_wire, &s->q, INFINITY, INFINITY,
                              &s->sent);
    s->e->converges = true;
    s->e->downtime_ms = s->e->max_downtime_ms =
        round_u64(slow * 1000.0 / s->link);
    if (!s->link_known && (s->ns[0] || s->ns[1])) {
        s->e->downtime_ms = round_u64(
            precopy_send_pages(&sender, &rest, INFINITY, INFINITY, &bytes) /
            fast);
    }
}

bool precopy_sim_postcopy_due(const PrecopySim *s)
{
    return s->p->postcopy_after_pass &&
           s->e->dirty_syncs > s->p->postcopy_after_pass;
}

void precopy_sim_postcopy(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;
    double bandwidth = s->p->postcopy_bandwidth ?: s->link;
    PrecopyWire wire;
    double rest, pages;

    /* the rest of the window under way */
    precopy_sim_send(s, s->left);
    s->now = MAX(s->now, MIN(s->deadline, s->window_start + BUFFER_DELAY));
    if (s->now >= s->deadline) {
        return;
    }
    precopy_sim_stop(s);
    precopy_sim_sync(s);
    pages = precopy_pending_pages(&s->q);
    e->postcopy = e->converges = true;
    e->postcopy_switch_ms = round_u64(s->now);
    e->postcopy_pages = round_u64(pages);
    e->downtime_ms = round_u64(pages * POSTCOPY_DISCARD_BYTES * 1000 /
                               s->link);
    e->max_downtime_ms = e->downtime_ms;
    s->sent += pages * POSTCOPY_DISCARD_BYTES;
    /* on the main channel, by the migration thread alone */
    precopy_sim_channels(s, 0);
    wire = precopy_sim_wire(s, bandwidth / 1000);
    rest = precopy_send_pages(&wire, &s->q, INFINITY, INFINITY, &s->sent);
    e->postcopy_ms = round_u64(rest * 1000 / bandwidth);
    if (s->now + e->downtime_ms + e->postcopy_ms > s->deadline) {
        /* the switch is in time, the last page is not */
        e->converges = false;
        e->downtime_ms = e->max_downtime_ms = e->postcopy_ms = 0;
        s->now = s->deadline;
    }
}
