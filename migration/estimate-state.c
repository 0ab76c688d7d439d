/*
 * Migration estimate: what an estimate reads of the guest and the
 * migration
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/main-loop.h"
#include "dirtyrate.h"
#include "estimate-cell.h"
#include "estimate-running.h"
#include "estimate-state.h"

bool estimate_read(const EstimateQuery *q, EstimateState *st,
                   Error **errp)
{
    assert(bql_locked());
    st->q = q;
    st->running = estimate_progress(&st->g, st->syncs, &st->setup_ms);
    if (st->running && q->has_params) {
        error_setg(errp, "'max-bandwidth' and 'downtime-limit' are for a "
                   "migration to start, and one is under way");
        return false;
    }
    /* a migration under way needs no measurement */
    st->has_measured = dirtyrate_get_curve(&st->measured,
                                           st->running ? NULL : errp);
    if (!st->running && !st->has_measured) {
        return false;
    }
    estimate_settings_read(&st->set);
    return true;
}

bool estimate_prepare(EstimateState *st, Error **errp)
{
    const EstimateQuery *q = st->q;
    bool unlimited = estimate_bandwidth_unlimited(q->max_bandwidth);
    size_t i;

    if (!estimate_workloads(st->running ? &st->g : NULL,
                            st->has_measured ? &st->measured : NULL,
                            st->curves, &st->source, &st->refit, &st->w,
                            errp)) {
        return false;
    }
    st->p = (PrecopyParams) {
        .switchover_bandwidth = st->set.switchover_bandwidth,
        .link_bandwidth = q->link_bandwidth,
        .deadline_ms = estimate_ms_left(q->deadline, st->setup_ms),
        .progress = st->running ? &st->g : NULL,
    };
    /*
     * Without a rate limit, a migration goes as fast as the link lets it,
     * or one under way as fast as it has, or else as the sender does
     */
    st->link = q->link_bandwidth ?: st->p.switchover_bandwidth ?:
               (st->running ? estimate_progress_rate(&st->g) : 0);
    if (!st->link && (st->w.measured.pace.page_ns ||
                      st->w.measured.pace.zero_ns)) {
        st->link = ESTIMATE_MAX_BANDWIDTH;
    }
    st->current = unlimited ? st->link : q->max_bandwidth;
    for (i = 0; i < q->nr_bw; i++) {
        if (!q->bw[i] && !st->link) {
            error_setg(errp, "'bandwidths' without rate limit need the "
                       "link's speed ('link-bandwidth' or the "
                       "avail-switchover-bandwidth parameter) or the "
                       "sender's pace, which calc-dirty-rate measures");
            return false;
        }
    }
    return true;
}
