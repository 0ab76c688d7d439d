/*
 * libFuzzer target: the pre-copy model on arbitrary curves and parameters
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Decodes the input into a workload (page size, pages, zero pages and up
 * to 64 readings) and migration parameters, as anything a caller could
 * pass, checks the workload as query-migration-estimate does, and runs
 * precopy_estimate() and precopy_min_bandwidth(); then the sampling
 * bounds and the range, and a migration under way (up to 24 syncs):
 * precopy_refit() and the estimate of what is left of it.  Built with
 * ASan and UBSan; besides their reports it aborts when an answer breaks
 * what precopy-estimate.h promises.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "dirty-curve-bounds.h"
#include "precopy-estimate.h"
#include "precopy-search.h"
#include "precopy-refit.h"

#define FUZZ_MAX_READINGS 64
#define FUZZ_MAX_SYNCS 24

typedef struct Input {
    const uint8_t *p;
    size_t left;
} Input;

/* The next @n bytes (at most 8) as a number; zeros once the input ends */
static uint64_t take(Input *in, size_t n)
{
    uint64_t v = 0;

    while (n--) {
        v <<= 8;
        if (in->left) {
            v |= *in->p++;
            in->left--;
        }
    }
    return v;
}

/*
 * A value of any size, mostly small: the first byte picks how many bytes
 * follow, so that both edge values and everyday ones come up often.
 */
static uint64_t take_value(Input *in)
{
    return take(in, take(in, 1) % 9);
}

/* A value of take_value(), mostly at most @max */
static uint64_t take_at_most(Input *in, uint64_t max)
{
    uint64_t v = take_value(in);

    return max == UINT64_MAX ? v : v % (max + 1);
}

/*
 * The same curve as page sampling would have read it, with sample counts
 * as a measurement gives them (found dirtied: never decreasing, never
 * more than were sampled): its bounds are valid workloads, and the range
 * of the estimate holds the estimate.
 */
static void fuzz_range(Input *in, const PrecopyWorkload *w,
                       const PrecopyParams *p)
{
    DirtyCurve c = {
        .nr_readings = MIN(w->nr_readings, DIRTY_CURVE_MAX_READINGS),
        .total_pages = w->total_pages,
        .zero_pages = w->zero_pages,
        .page_size = w->page_size,
        .sampled_pages = take_value(in),
        .exact = take(in, 1) == 0xff,
    };
    DirtyCurve low, high;
    PrecopyWorkloadRange range;
    PrecopyEstimateRange e;
    uint64_t hits = 0;
    size_t i;

    c.sampled_space = MIN(take_value(in), c.total_pages);
    c.sampled_zero = MIN(take_value(in), c.sampled_pages);
    for (i = 0; i < c.nr_readings; i++) {
        c.readings[i] = w->readings[i];
        hits += MIN(take_value(in), c.sampled_pages - hits);
        c.readings[i].sampled_dirty = hits;
    }
    if (!c.nr_readings) {
        return;
    }
    dirty_curve_bounds(&c, &low, &high);
    precopy_workload_from_curve(&range.measured, &c);
    precopy_workload_from_curve(&range.low, &low);
    precopy_workload_from_curve(&range.high, &high);
    if (!precopy_workload_check(&range.measured, NULL)) {
        return;
    }
    if (!precopy_workload_check(&range.low, NULL) ||
        !precopy_workload_check(&range.high, NULL)) {
        abort();
    }
    precopy_estimate_range(&range, p, &e);
    if (e.measured.converges && e.verdict == PRECOPY_CONVERGES &&
        (e.min.total_time_ms > e.measured.total_time_ms ||
         e.measured.total_time_ms > e.max.total_time_ms)) {
        abort();
    }
    if (e.verdict != PRECOPY_CONVERGES &&
        (e.max.total_time_ms || (e.verdict == PRECOPY_DOES_NOT_CONVERGE &&
                                 e.min.total_time_ms))) {
        abort();
    }
}

/*
 * The counters of @r, each at least those of @prev, or any, and mostly
 * no more than @total pages in the bitmap
 */
static void take_sync(Input *in, const PrecopySync *prev, PrecopySync *r,
                      uint64_t total)
{
    const PrecopySync zero = { 0 };

    prev = prev ?: &zero;
    r->elapsed_us = prev->elapsed_us + take_value(in);
    r->dirty_before = take_at_most(in, total);
    r->dirty_after = r->dirty_before + take_at_most(in, total);
    r->sent_pages = prev->sent_pages + take_value(in);
    r->zero_sent = prev->zero_sent + take_value(in);
    r->transferred = prev->transferred + take_value(in);
    if (r->elapsed_us < 0 || r->dirty_after < r->dirty_before) {
        *r = *prev;     /* wrapped around: no progress */
    }
}

/*
 * A migration of the guest of @w under way: the curves refitted to its
 * syncs are valid workloads, and the estimate of the rest, when it
 * converges, ends no sooner than now and makes the syncs it has made
 */
static void fuzz_live(Input *in, const PrecopyWorkload *w, PrecopyParams p)
{
    PrecopySync syncs[FUZZ_MAX_SYNCS];
    PrecopyProgress g = {
        .total_pages = w->total_pages,
        .page_size = w->page_size,
        .syncs = syncs,
        .nr_syncs = 1 + take(in, 1) % FUZZ_MAX_SYNCS,
    };
    DirtyCurve base[3] = { {
        .nr_readings = MIN(w->nr_readings, DIRTY_CURVE_MAX_READINGS),
        .total_pages = w->total_pages,
        .zero_pages = w->zero_pages,
        .page_size = w->page_size,
        .exact = true,
    } };
    DirtyCurve fit[3];
    PrecopyWorkloadRange range;
    PrecopyEstimateRange e;
    bool from_base;
    uint64_t lo, hi, min, now_ms;
    size_t i;

    for (i = 0; i < g.nr_syncs; i++) {
        take_sync(in, i ? &syncs[i - 1] : NULL, &syncs[i], g.total_pages);
    }
    take_sync(in, &syncs[g.nr_syncs - 1], &g.now, g.total_pages);
    g.now.dirty_before = g.now.dirty_after;
    g.dirty_sync_count = g.nr_syncs + take_value(in);
    g.window_us = (int64_t)((uint64_t)g.now.elapsed_us - take_value(in));
    g.window_sent = take_value(in);
    if (!precopy_progress_check(&g, NULL)) {
        return;
    }
    memcpy(base[0].readings, w->readings,
           base[0].nr_readings * sizeof(w->readings[0]));
    base[1] = base[2] = base[0];

    precopy_refit(take(in, 1) & 1 && base[0].nr_readings ? base : NULL, &g,
                  fit, &from_base);
    precopy_workload_from_curve(&range.measured, &fit[0]);
    precopy_workload_from_curve(&range.low, &fit[1]);
    precopy_workload_from_curve(&range.high, &fit[2]);
    if (!precopy_workload_check(&range.measured, NULL) ||
        !precopy_workload_check(&range.low, NULL) ||
        !precopy_workload_check(&range.high, NULL)) {
        abort();
    }
    p.progress = &g;
    precopy_estimate_range(&range, &p, &e);
    now_ms = g.now.elapsed_us / 1000;
    if (e.measured.converges &&
        ((e.measured.total_time_ms < now_ms &&
          now_ms - e.measured.total_time_ms > 1) ||
         e.measured.dirty_syncs < g.dirty_sync_count)) {
        abort();
    }
    lo = MAX(1, take_value(in));
    hi = MAX(lo, take_value(in));
    min = precopy_min_downtime_limit(&range.measured, &p, lo, hi);
    if (min && (min < lo || min > hi)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Input in = { data, size };
    DirtyCurveReading r[FUZZ_MAX_READINGS];
    PrecopyWorkload w = { .readings = r };
    PrecopyParams p;
    PrecopyEstimate e;
    uint64_t elapsed = 0, dirty = 0, lo, hi, min, live;
    unsigned aids;
    size_t i;

    w.page_size = take_value(&in);
    w.total_pages = take_value(&in);
    w.zero_pages = take_value(&in);
    w.nr_readings = take(&in, 1) % (FUZZ_MAX_READINGS + 1);
    for (i = 0; i < w.nr_readings; i++) {
        /* mostly increasing, as the measurement gives; sometimes not */
        elapsed += take_value(&in);
        dirty += take_value(&in);
        r[i].elapsed_ms = elapsed;
        r[i].dirty_pages = dirty;
    }
    p = (PrecopyParams) {
        .bandwidth = take_value(&in),
        .switchover_bandwidth = take_value(&in),
        .link_bandwidth = take_value(&in),
        .downtime_limit_ms = take(&in, 1) == 0xff ?
                             PRECOPY_DOWNTIME_UNLIMITED : take_value(&in),
        .deadline_ms = take_value(&in),
    };

    aids = take(&in, 1);
    if (aids & 1) {
        p.throttle = (PrecopyThrottle) {
            .kind = aids & 2 ? PRECOPY_THROTTLE_DIRTY_LIMIT :
                               PRECOPY_THROTTLE_AUTO_CONVERGE,
            .trigger_threshold = take(&in, 1) % 100 + 1,
            .initial = take(&in, 1) % 99 + 1,
            .increment = take(&in, 1) % 99 + 1,
            .tailslow = aids & 4,
            .max = take(&in, 1) % 99 + 1,
            .vcpu_dirty_limit = take_value(&in),
            .vcpus = take(&in, 2),
            .pct_now = take(&in, 1) % 100,
        };
        /* a dirty limit in force, or not: from the same byte */
        p.throttle.limit_now = p.throttle.pct_now & 1;
    }
    if (aids & 8) {
        p.multifd_channels = take(&in, 1);
    }
    if (aids & 16) {
        p.postcopy_after_pass = take_value(&in);
        p.postcopy_bandwidth = take_value(&in);
    }
    if (aids & 32) {
        w.vcpu_busy = take(&in, 1) / 255.0;
    }

    if (!precopy_workload_check(&w, NULL) || !p.bandwidth) {
        return 0;
    }

    /*
     * A migration that converges does so within the sync limit, the
     * setup and completion syncs aside, and before the deadline; the
     * limit bounds the model's steps, while rounds it fast-forwards over
     * may carry the count of one that does not converge past it.
     */
    precopy_estimate(&w, &p, &e);
    if (e.downtime_ms > e.total_time_ms || (!e.converges && e.downtime_ms)) {
        abort();
    }
    live = e.total_time_ms - e.downtime_ms;
    if (e.converges && (e.dirty_syncs > PRECOPY_MAX_DIRTY_SYNCS + 2 ||
                        (live > p.deadline_ms && live - p.deadline_ms > 1))) {
        abort();
    }

    lo = MAX(1, take_value(&in));
    hi = MAX(lo, take_value(&in));
    min = precopy_min_bandwidth(&w, &p, lo, hi);
    if (min && (min < lo || min > hi)) {
        abort();
    }

    fuzz_range(&in, &w, &p);
    fuzz_live(&in, &w, p);
    return 0;
}
