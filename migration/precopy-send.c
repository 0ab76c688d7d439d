/*
 * Pre-copy migration estimate: sending pages
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <float.h>
#include "migration-stats.h"
#include "precopy-send.h"

double precopy_send_pages(const PrecopyWire *wire, PrecopyPending *q,
                          double budget, double pages, double *bytes)
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

double precopy_send_cost(const PrecopyWire *wire, PrecopyPending *q,
                         double budget, double pages)
{
    double bytes = 0;

    return precopy_send_pages(wire, q, budget, pages, &bytes);
}

void precopy_sim_channels(PrecopySim *s, unsigned multifd)
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

PrecopyWire precopy_sim_wire(const PrecopySim *s, double rate)
{
    PrecopyWire wire = {
        .bytes = { s->page_bytes, s->zero_bytes, s->page_bytes },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(wire.cost); i++) {
        wire.cost[i] = MAX(wire.bytes[i], s->ns[i] * rate / 1e6);
    }
    return wire;
}

void precopy_sim_set_threshold(PrecopySim *s, double threshold)
{
    s->threshold = threshold;
    s->below = isinf(threshold) ? INFINITY :
               MAX(0, ceil(threshold / s->page) - 1);
}

void precopy_sim_window_end(PrecopySim *s, double bytes)
{
    const PrecopyParams *p = s->p;

    s->counted = true;
    if (p->downtime_limit_ms == PRECOPY_DOWNTIME_UNLIMITED) {
        return;
    }
    if (p->switchover_bandwidth) {
        /* whole bytes per ms, as migration_update_counters() divides */
        precopy_sim_set_threshold(s, (double)(p->switchover_bandwidth / 1000) *
                             p->downtime_limit_ms);
    } else {
        precopy_sim_set_threshold(s, bytes / BUFFER_DELAY *
                                     p->downtime_limit_ms);
    }
}

void precopy_sim_send(PrecopySim *s, double budget)
{
    double before = 0, last = 0, after = 0, ended;

    if (budget < s->left || !(s->window > 0)) {
        precopy_send_pages(&s->wire, &s->q, budget, INFINITY, &after);
        s->window_bytes += after;
        s->sent += after;
        return;
    }
    /* whole windows past the one under way, give or take rounding */
    ended = floor((budget - s->left) / s->window * (1 + 4 * DBL_EPSILON));
    if (ended) {
        precopy_send_pages(&s->wire, &s->q, s->left + (ended - 1) * s->window,
                           INFINITY, &before);
    }
    precopy_send_pages(&s->wire, &s->q, ended ? s->window : s->left, INFINITY,
                       &last);
    precopy_sim_window_end(s, last + (ended ? 0 : s->window_bytes));
    precopy_send_pages(&s->wire, &s->q,
                       MAX(0, budget - s->left - ended * s->window),
                       INFINITY, &after);
    s->window_bytes = after;
    s->sent += before + last + after;
}

double precopy_sim_full_window_bytes(const PrecopySim *s)
{
    PrecopyPending ahead = s->q;
    double bytes = 0;

    precopy_send_pages(&s->wire, &ahead, s->window, INFINITY, &bytes);
    return bytes;
}
