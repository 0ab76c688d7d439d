/*
 * Pre-copy migration estimate: the workload and the migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "precopy-workload.h"

/*
 * What precopy-workload.h asks of a workload: NULL if @w has it, else
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
 * What precopy-workload.h asks of a PrecopyProgress: NULL if @g has it,
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

bool precopy_progress_check(const PrecopyProgress *g, Error **errp)
{
    return check_report(progress_error(g), errp);
}
