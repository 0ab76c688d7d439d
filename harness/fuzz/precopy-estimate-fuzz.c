/*
 * libFuzzer target: the pre-copy model on arbitrary curves and parameters
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Decodes the input into a workload (page size, pages, zero pages and up
 * to 64 readings) and migration parameters, as anything a caller could
 * pass, checks the workload as query-migration-estimate does, and runs
 * precopy_estimate() and precopy_min_bandwidth().  Built with ASan and
 * UBSan; besides their reports it aborts when an answer breaks what
 * precopy-estimate.h promises.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "precopy-estimate.h"

#define FUZZ_MAX_READINGS 64

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
        (e.min_total_time_ms > e.measured.total_time_ms ||
         e.measured.total_time_ms > e.max_total_time_ms)) {
        abort();
    }
    if (e.verdict != PRECOPY_CONVERGES &&
        (e.max_total_time_ms || (e.verdict == PRECOPY_DOES_NOT_CONVERGE &&
                                 e.min_total_time_ms))) {
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
    return 0;
}
