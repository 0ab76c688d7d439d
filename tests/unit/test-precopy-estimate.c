/*
 * Pre-copy migration estimate: closed forms and invariants
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "../../migration/dirty-curve-bounds.h"
#include "../../migration/migration-stats.h"
#include "../../migration/precopy-estimate.h"
#include "../../migration/precopy-search.h"

#define PAGE 4096
#define WIRE (PAGE + 8)         /* a page and its header on the wire */
#define MiB (1024 * 1024ULL)

/* A curve D(t) = min(rate * t, cap), as 60 readings @step_ms apart */
typedef struct TestCurve {
    DirtyCurveReading r[60];
    PrecopyWorkload w;
} TestCurve;

static void test_curve_init_step(TestCurve *tc, uint64_t total, uint64_t zero,
                                 double pages_per_s, double cap,
                                 int64_t step_ms)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(tc->r); i++) {
        tc->r[i].elapsed_ms = (i + 1) * step_ms;
        tc->r[i].dirty_pages = MIN(cap, pages_per_s * (i + 1) * step_ms / 1000);
    }
    tc->w = (PrecopyWorkload) {
        .readings = tc->r,
        .nr_readings = ARRAY_SIZE(tc->r),
        .total_pages = total,
        .zero_pages = zero,
        .page_size = PAGE,
    };
    g_assert_true(precopy_workload_check(&tc->w, &error_abort));
}

static void test_curve_init(TestCurve *tc, uint64_t total, uint64_t zero,
                            double pages_per_s, double cap)
{
    test_curve_init_step(tc, total, zero, pages_per_s, cap, 1000);
}

/* The parameters of a cell, with a deadline of an hour */
static PrecopyParams cell(uint64_t bandwidth, uint64_t downtime_ms)
{
    return (PrecopyParams) {
        .bandwidth = bandwidth,
        .downtime_limit_ms = downtime_ms,
        .deadline_ms = 3600 * 1000,
    };
}

static PrecopyEstimate estimate(const TestCurve *tc, uint64_t bandwidth,
                                uint64_t downtime_ms)
{
    PrecopyParams p = cell(bandwidth, downtime_ms);
    PrecopyEstimate e;

    precopy_estimate(&tc->w, &p, &e);
    return e;
}

/*
 * A guest dirtying @pages_per_s up to @cap of its @total pages, @zero of
 * them zero, as page sampling with @samples samples reads it, or exact
 * if @samples is 0; and the ends of its range
 */
typedef struct TestRange {
    DirtyCurve c[3];
    PrecopyWorkloadRange w;
} TestRange;

static void test_range_init(TestRange *tr, uint64_t total, uint64_t zero,
                            double pages_per_s, double cap, uint64_t samples)
{
    DirtyCurve *c = &tr->c[0];
    double share = samples ? (double)samples / total : 1;
    size_t i;

    *c = (DirtyCurve) {
        .nr_readings = DIRTY_CURVE_MAX_READINGS,
        .total_pages = total,
        .sampled_space = samples ? total : 0,
        .sampled_pages = samples,
        .sampled_zero = samples ? round(zero * share) : 0,
        .page_size = PAGE,
        .exact = !samples,
    };
    c->zero_pages = round(c->sampled_zero / share);
    for (i = 0; i < c->nr_readings; i++) {
        DirtyCurveReading *r = &c->readings[i];
        int64_t t = 250 * (i + 1);

        r->elapsed_ms = t;
        r->sampled_dirty = round(MIN(cap, pages_per_s * t / 1000) * share);
        r->dirty_pages = round(r->sampled_dirty / share);
        r->sampled_dirty = samples ? r->sampled_dirty : 0;
    }
    dirty_curve_bounds(c, &tr->c[1], &tr->c[2]);
    precopy_workload_from_curve(&tr->w.measured, &tr->c[0]);
    precopy_workload_from_curve(&tr->w.low, &tr->c[1]);
    precopy_workload_from_curve(&tr->w.high, &tr->c[2]);
}

static PrecopyEstimateRange estimate_range(const TestRange *tr,
                                           uint64_t bandwidth,
                                           uint64_t downtime_ms)
{
    PrecopyParams p = cell(bandwidth, downtime_ms);
    PrecopyEstimateRange r;

    precopy_estimate_range(&tr->w, &p, &r);
    if (r.measured.converges) {
        g_assert_cmpuint(r.min.total_time_ms, <=, r.measured.total_time_ms);
        g_assert_cmpuint(r.measured.total_time_ms, <=,
                         r.verdict == PRECOPY_CONVERGES ?
                         r.max.total_time_ms : UINT64_MAX);
    }
    return r;
}

/* An idle guest: all of RAM once, at the bandwidth, zero pages as headers */
static void test_idle(void)
{
    const uint64_t total = 262144, zero = 100000, bw = 100 * MiB;
    double wire = (total - zero) * (double)WIRE + zero * 9.0;
    TestCurve tc;
    PrecopyEstimate e;

    test_curve_init(&tc, total, zero, 0, 0);
    e = estimate(&tc, bw, 300);
    g_assert_true(e.converges);
    g_assert_cmpfloat(fabs(e.transferred - wire), <, 2);
    /* the last rate limit window may be cut short */
    g_assert_cmpfloat(fabs(e.total_time_ms - wire * 1000 / bw), <=, 101);
    /* setup, the sync below the threshold, and the one at completion */
    g_assert_cmpuint(e.dirty_syncs, ==, 3);
    g_assert_cmpuint(e.downtime_ms, <=, 300);
}

/*
 * A guest dirtying at a constant rate, far from saturating: each round
 * sends what the previous one dirtied, a geometric series with ratio
 * q = dirty rate * wire page / bandwidth.  QEMU's rounds differ from it
 * in two bounded ways: they last whole rate limit windows, and they end
 * once less than the threshold (bandwidth * downtime-limit) is left, not
 * at zero.  Each round may so be off by a window plus the downtime-limit.
 *
 * The threshold must exceed what the guest dirties in one window (500
 * pages here), or no round is ever short enough to switch over.
 */
static void test_linear(void)
{
    const uint64_t total = 1 << 20, bw = 100 * 1000 * 1000;
    const double dirty = 5000, downtime = 100;   /* pages/s, ms */
    double threshold = bw / 1000.0 * downtime;
    double pending = total, time_ms = 0;
    int rounds = 0;
    TestCurve tc;
    PrecopyEstimate e;

    test_curve_init(&tc, total, 0, dirty, total);
    while (pending * PAGE >= threshold) {
        double t = pending * WIRE * 1000 / bw;

        time_ms += t;
        pending = dirty * t / 1000;
        rounds++;
    }
    time_ms += pending * WIRE * 1000 / bw;

    e = estimate(&tc, bw, downtime);
    g_assert_true(e.converges);
    g_assert_cmpint(rounds, ==, 4);
    g_assert_cmpfloat(fabs(e.total_time_ms - time_ms), <=,
                      (rounds + 1) * (100 + downtime));
    g_assert_cmpint(e.dirty_syncs, >=, rounds + 1);
    g_assert_cmpint(e.dirty_syncs, <=, rounds + 3);
}

/*
 * A hot set of H pages, rewritten at 200 MiB/s, faster than the 100 MiB/s
 * bandwidth sends them: however short the rounds get (they end as soon as
 * the bitmap runs dry), each finds as much dirty again as it sent.
 * Migration converges only if the hot set fits below the threshold,
 * bandwidth * downtime-limit.
 */
static void test_saturating(void)
{
    const uint64_t total = 262144, hot = 2560, bw = 100 * MiB;
    /* threshold 100 MiB/s * 300 ms = 30 MiB, hot set 10 MiB */
    TestCurve tc;
    PrecopyEstimate e;

    test_curve_init_step(&tc, total, 0, 200 * MiB / PAGE, hot, 25);
    e = estimate(&tc, bw, 300);
    g_assert_true(e.converges);
    /* one pass, then the hot set in the downtime */
    g_assert_cmpfloat(e.total_time_ms, >=, total * (double)WIRE * 1000 / bw);
    g_assert_cmpfloat(e.total_time_ms, <=,
                      (total + hot) * (double)WIRE * 1000 / bw + 200);
    g_assert_cmpuint(e.downtime_ms, <=, 300);
    g_assert_cmpuint(e.downtime_ms, >=, hot * (uint64_t)PAGE / (bw / 1000) / 2);

    /* threshold 100 MiB/s * 50 ms = 5 MiB: the hot set never fits */
    e = estimate(&tc, bw, 50);
    g_assert_false(e.converges);
    g_assert_cmpuint(e.downtime_ms, ==, 0);
    /* it gives up once rounds stop shrinking, long before the deadline */
    g_assert_cmpuint(e.total_time_ms, <, 60 * 1000);
}

/*
 * Since QEMU 10.1, migration_iteration_run() switches over with exactly
 * threshold_size pending after the sync, where 10.0 wanted less: a hot
 * set of exactly the threshold converges, one page more does not.
 */
static void test_switchover_at_threshold(void)
{
    /*
     * threshold 8192000 bytes: avail-switchover-bandwidth x 1 s, in whole
     * bytes per ms; a window sends 256 pages, so the hot set is dirtied
     * anew by every sync
     */
    const uint64_t total = 262144, hot = 2000, bw = 10 * MiB;
    PrecopyParams p = {
        .bandwidth = bw,
        .switchover_bandwidth = hot * PAGE,
        .downtime_limit_ms = 1000,
        .deadline_ms = 3600 * 1000,
    };
    TestCurve tc;
    PrecopyEstimate e;

    test_curve_init_step(&tc, total, 0, 200 * MiB / PAGE, hot, 25);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);

    test_curve_init_step(&tc, total, 0, 200 * MiB / PAGE, hot + 1, 25);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);
}

/* Dirtying faster than the link: never converges, stops by the deadline */
static void test_never_converges(void)
{
    const uint64_t total = 262144, bw = 10 * MiB;
    TestCurve tc;
    PrecopyParams p = {
        .bandwidth = bw,
        .downtime_limit_ms = 300,
        .deadline_ms = 20 * 1000,
    };
    PrecopyEstimate e;

    test_curve_init(&tc, total, 0, 20 * MiB / PAGE, total);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);
    g_assert_cmpuint(e.total_time_ms, <=, p.deadline_ms);

    /* an idle guest, but a deadline shorter than one pass */
    test_curve_init(&tc, total, 0, 0, 0);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);
    g_assert_cmpuint(e.total_time_ms, <=, p.deadline_ms);
    g_assert_cmpuint(e.total_time_ms, >, p.deadline_ms - 100);
    g_assert_cmpuint(e.transferred, <=,
                     (bw + 10 * PRECOPY_FLUSH_PAGES * WIRE) * 20 + WIRE);
}

/*
 * A guest writing at random into a working set covers it as
 * W (1 - exp(-t / tau)).  Measured for 10 s, the curve goes on past its
 * readings as that: a migration whose first pass takes 40 s comes out
 * as on the curve measured for 60 s.
 */
static void test_tail_extrapolation(void)
{
    const double wss = 65536, tau = 40000;
    const uint64_t total = 262144, zero = 100000, bw = 16 * MiB;
    DirtyCurveReading r[60];
    PrecopyWorkload w = {
        .readings = r, .total_pages = total, .zero_pages = zero,
        .page_size = PAGE,
    };
    PrecopyEstimate full, measured;
    PrecopyParams p = cell(bw, 300);
    size_t i;

    for (i = 0; i < ARRAY_SIZE(r); i++) {
        r[i].elapsed_ms = (i + 1) * 1000;
        r[i].dirty_pages = round(wss * -expm1(-(i + 1.0) * 1000 / tau));
    }
    w.nr_readings = ARRAY_SIZE(r);
    precopy_estimate(&w, &p, &full);
    w.nr_readings = 10;
    precopy_estimate(&w, &p, &measured);
    g_assert_true(full.converges);
    g_assert_true(measured.converges);
    g_assert_cmpuint(full.total_time_ms, >, 40000);
    g_assert_cmpfloat(fabs((double)measured.total_time_ms -
                           full.total_time_ms) / full.total_time_ms, <, 0.01);
}

/*
 * A window sends the whole 32-page flushes it takes to pass its budget:
 * at 10 MiB/s the budget is 1048576 bytes, 7.98 flushes, so each window
 * sends 8, 256 pages, 0.2% over; at 22.63 MB/s, 2263000 bytes, 17.2
 * flushes, so 18, 576 pages, 4.4% over
 */
static void test_rate_limit_flushes(void)
{
    static const struct {
        uint64_t bandwidth, pages_per_window;
    } cases[] = {
        { 10 * MiB, 256 },
        { 22630000, 576 },
        { 131328 * 10, 64 },    /* exactly one flush: not passed yet */
    };
    const uint64_t total = 262144;
    TestCurve tc;
    size_t i;

    test_curve_init(&tc, total, 0, 0, 0);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        PrecopyParams p = cell(cases[i].bandwidth, 300);
        PrecopyEstimate e;

        /* an idle guest, stopped by the deadline within its first pass */
        p.deadline_ms = 2000;
        precopy_estimate(&tc.w, &p, &e);
        g_assert_false(e.converges);
        g_assert_cmpfloat(fabs(e.transferred -
                               20.0 * cases[i].pages_per_window * WIRE),
                          <, WIRE);
    }
}

/* Unlimited downtime: one window live, then stop and copy the rest */
static void test_unlimited(void)
{
    const uint64_t total = 262144, bw = 100 * MiB;
    TestCurve tc;
    PrecopyEstimate e;

    test_curve_init(&tc, total, 0, 20 * MiB / PAGE, total);
    e = estimate(&tc, bw, PRECOPY_DOWNTIME_UNLIMITED);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.dirty_syncs, ==, 3);
    g_assert_cmpfloat(fabs(e.downtime_ms + 100.0 - e.total_time_ms), <=, 1);
}

/* The final stop-and-copy runs at the link's speed, not the rate limit */
static void test_link_speed(void)
{
    const uint64_t total = 262144, bw = 100 * MiB;
    TestCurve tc;
    PrecopyParams p = {
        .bandwidth = bw,
        .downtime_limit_ms = 300,
        .deadline_ms = 3600 * 1000,
    };
    PrecopyEstimate capped, fast;

    test_curve_init(&tc, total, 0, 2560, 2560);
    precopy_estimate(&tc.w, &p, &capped);
    p.link_bandwidth = 10 * bw;
    precopy_estimate(&tc.w, &p, &fast);
    g_assert_true(fast.converges);
    g_assert_cmpfloat(fabs(fast.downtime_ms * 10.0 - capped.downtime_ms), <=,
                      10);
    g_assert_cmpuint(fast.total_time_ms, <, capped.total_time_ms);
}

static void test_workload_check(void)
{
    DirtyCurveReading r[2] = { { 100, 10 }, { 200, 5 } };
    PrecopyWorkload w = {
        .readings = r, .nr_readings = 2, .total_pages = 100, .page_size = PAGE,
    };
    Error *err = NULL;

    g_assert_false(precopy_workload_check(&w, &err));   /* decreasing */
    error_free_or_abort(&err);
    r[1] = (DirtyCurveReading) { 100, 20 };
    g_assert_false(precopy_workload_check(&w, &err));   /* same time */
    error_free_or_abort(&err);
    r[1] = (DirtyCurveReading) { 200, 20 };
    w.zero_pages = 101;
    g_assert_false(precopy_workload_check(&w, &err));
    error_free_or_abort(&err);
    w.zero_pages = 0;
    w.nr_readings = 0;
    g_assert_false(precopy_workload_check(&w, &err));
    error_free_or_abort(&err);
    w.nr_readings = 2;
    g_assert_true(precopy_workload_check(&w, &error_abort));
}

/*
 * A random concave curve, read on calc-dirty-rate's schedule for a
 * random calc-time: increments per second that shrink, up to some cap.
 */
static void random_curve(TestCurve *tc, GRand *rand, uint64_t total)
{
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t n = dirty_curve_schedule(g_rand_int_range(rand, 125, 60001), times);
    double rate = g_rand_double_range(rand, 0, total / 2.0);  /* pages/s */
    double decay = g_rand_double_range(rand, 0.05, 1.0);      /* per s */
    double d = 0;
    int64_t t = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        double dt = (times[i] - t) / 1000.0;

        d = MIN(total, d + rate * dt);
        rate *= pow(decay, dt);
        t = times[i];
        tc->r[i].elapsed_ms = t;
        tc->r[i].dirty_pages = d;
    }
    tc->w = (PrecopyWorkload) {
        .readings = tc->r,
        .nr_readings = n,
        .total_pages = total,
        .zero_pages = g_rand_int_range(rand, 0, total / 2),
        .page_size = PAGE,
    };
    g_assert_true(precopy_workload_check(&tc->w, &error_abort));
}

/*
 * More bandwidth never turns a converging migration into a non-converging
 * one.  Neither, but for rare curves, does a larger downtime-limit.  Both
 * may make it a little slower, in QEMU as in the model: a round that ends
 * on a window's first check (pending below the threshold) syncs later
 * than one that ran the bitmap dry within the window, by up to a rate
 * limit window per round.  With a threshold below one window's bytes,
 * every round may run dry and get short enough to converge, where a
 * larger threshold makes QEMU sync every window instead and never get
 * there (2 of the 70000 pairs below).
 */
static void test_monotonic(void)
{
    static const uint64_t bws[] = {
        10 * MiB, 32 * MiB, 100 * MiB, 125 * 1000 * 1000, 250 * MiB,
        1250 * 1000 * 1000ULL, 5000 * 1000 * 1000ULL,
    };
    static const uint64_t downtimes[] = { 50, 125, 300, 1000, 5000 };
    int seed, rare = 0;

    for (seed = 0; seed < 2000; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        uint64_t total = g_rand_int_range(rand, 1000, 4 << 20);
        TestCurve tc;
        size_t b, d;

        random_curve(&tc, rand, total);
        for (d = 0; d < ARRAY_SIZE(downtimes); d++) {
            for (b = 0; b < ARRAY_SIZE(bws); b++) {
                PrecopyEstimate e = estimate(&tc, bws[b], downtimes[d]);

                if (b + 1 < ARRAY_SIZE(bws)) {
                    PrecopyEstimate more = estimate(&tc, bws[b + 1],
                                                    downtimes[d]);

                    g_assert_true(!e.converges || more.converges);
                    if (e.converges) {
                        g_assert_cmpuint(more.total_time_ms, <=,
                                         e.total_time_ms +
                                         BUFFER_DELAY * e.dirty_syncs);
                    }
                }
                if (d + 1 < ARRAY_SIZE(downtimes)) {
                    PrecopyEstimate longer = estimate(&tc, bws[b],
                                                      downtimes[d + 1]);

                    rare += e.converges && !longer.converges;
                    if (e.converges) {
                        g_assert_cmpuint(longer.total_time_ms, <=,
                                         e.total_time_ms +
                                         BUFFER_DELAY * e.dirty_syncs);
                    }
                }
            }
        }
    }
    g_assert_cmpint(rare, <=, 5);
}

/* 16 TiB of RAM at 1 Tbit/s, and at 1 byte/s: no overflow, sane answers */
/*
 * The work the command does under the BQL stays small for any curve:
 * over 2000 random curves, no estimate of a grid like the default one
 * takes more than 300 dirty syncs (each O(log readings)), even near the
 * bandwidth where the migration starts to converge, where rounds shrink
 * slowest.  The time it took is reported, not checked.
 */
static void test_bounded_work(void)
{
    static const uint64_t limits[] = { 125, 250, 300, 500, 1000, 5000 };
    int64_t slowest = 0;
    int seed;

    for (seed = 0; seed < 2000; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        uint64_t total = g_rand_int_range(rand, 1000, 4 << 20);
        int64_t start = g_get_monotonic_time();
        TestCurve tc;
        PrecopyParams p = { .deadline_ms = 3600 * 1000 };
        PrecopyEstimate e;
        size_t b, d;

        random_curve(&tc, rand, total);
        for (d = 0; d < ARRAY_SIZE(limits); d++) {
            p.downtime_limit_ms = limits[d];
            precopy_min_bandwidth(&tc.w, &p, 1000,
                                  125ULL * 1000 * 1000 * 1000);
            for (b = 0; b < 9; b++) {
                p.bandwidth = 12500000ULL << b;
                precopy_estimate(&tc.w, &p, &e);
                g_assert_cmpuint(e.dirty_syncs, <=, 300);
            }
        }
        slowest = MAX(slowest, g_get_monotonic_time() - start);
    }
    g_test_message("slowest grid of 54 estimates and 6 searches: %" PRId64
                   " us", slowest);
}

static void test_extremes(void)
{
    const uint64_t total = 1ULL << 32;  /* 16 TiB of 4 KiB pages */
    const uint64_t tbit = 125ULL * 1000 * 1000 * 1000;
    double wire = total * (double)WIRE;
    TestCurve tc;
    PrecopyParams p = {
        .bandwidth = tbit,
        .downtime_limit_ms = 300,
        .deadline_ms = UINT64_MAX,
    };
    PrecopyEstimate e;

    test_curve_init(&tc, total, 0, 0, 0);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpfloat(fabs(e.total_time_ms - wire * 1000 / tbit), <=, 101);
    g_assert_cmpfloat(fabs((double)e.transferred - wire), <, wire / 1e9);

    /* a busy 16 TiB guest */
    test_curve_init(&tc, total, total / 2, 1e9, total);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_cmpuint(e.dirty_syncs, <=, PRECOPY_MAX_DIRTY_SYNCS + 1);
    g_assert_cmpuint(e.transferred, >=, total / 2 * WIRE);

    p.bandwidth = 1;
    p.deadline_ms = 3600 * 1000;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);
    g_assert_cmpuint(e.transferred, <=, 3600 + WIRE);

    p.bandwidth = UINT64_MAX;
    p.downtime_limit_ms = 2000 * 1000;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);

    /*
     * Pages of an exabyte, found by the fuzzer: the bytes and times no
     * longer fit in 64 bits, and saturate rather than wrap
     */
    test_curve_init(&tc, 10, 0, 0, 0);
    tc.w.page_size = 1ULL << 61;
    p.bandwidth = 1000;
    p.link_bandwidth = 1000;
    p.downtime_limit_ms = PRECOPY_DOWNTIME_UNLIMITED;
    p.deadline_ms = UINT64_MAX;
    precopy_estimate(&tc.w, &p, &e);
    /* one flush of 32 such pages takes longer than 2^64 ms */
    g_assert_false(e.converges);
    g_assert_cmpuint(e.total_time_ms, ==, UINT64_MAX);
    p.link_bandwidth = UINT64_MAX;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.transferred, ==, UINT64_MAX);
    g_assert_cmpuint(e.downtime_ms, <=, e.total_time_ms);
}

static void test_min_bandwidth(void)
{
    const uint64_t total = 262144;
    const uint64_t tbit = 125ULL * 1000 * 1000 * 1000;
    TestCurve tc;
    PrecopyParams p = { .downtime_limit_ms = 300, .deadline_ms = 3600 * 1000 };
    PrecopyEstimate e;
    uint64_t min;

    /*
     * A hot set of 10 MiB rewritten every 125 ms: converges once it about
     * fits in bandwidth * 300 ms
     */
    test_curve_init_step(&tc, total, 0, 2560 * 8, 2560, 125);
    min = precopy_min_bandwidth(&tc.w, &p, 1000, tbit);
    g_assert_cmpuint(min, >, 0);
    p.bandwidth = min;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    p.bandwidth = min * 98 / 100;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);
    /* about 10 MiB / 300 ms */
    g_assert_cmpuint(min, >, 10 * MiB * 1000 / 300 * 9 / 10);
    g_assert_cmpuint(min, <, 10 * MiB * 1000 / 300 * 12 / 10);

    /*
     * A zero downtime-limit switches over as soon as the bitmap is empty,
     * once the first pass is done: at any bandwidth that gets that far
     * within the deadline
     */
    p.downtime_limit_ms = 0;
    min = precopy_min_bandwidth(&tc.w, &p, 1000, tbit);
    g_assert_cmpuint(min, >, 0);
    g_assert_cmpuint(min, <=, total * WIRE / 3600);

    /* small values terminate */
    p.downtime_limit_ms = 300;
    min = precopy_min_bandwidth(&tc.w, &p, 1, 3);
    g_assert_cmpuint(min, ==, 0);
}

static void test_min_downtime_limit(void)
{
    const uint64_t total = 262144;
    TestCurve tc;
    PrecopyParams p = { .bandwidth = 50 * MiB, .deadline_ms = 3600 * 1000 };
    PrecopyEstimate e;
    uint64_t min;
    double left;

    /*
     * The 10 MiB hot set of test_min_bandwidth(), rewritten at 80 MiB/s,
     * at 50 MiB/s: converges once it about fits in 50 MiB/s *
     * downtime-limit, 200 ms, or a little less: the pages sent last
     * in a round are not all dirtied again by its sync
     */
    test_curve_init_step(&tc, total, 0, 2560 * 8, 2560, 125);
    min = precopy_min_downtime_limit(&tc.w, &p, 1, 2000 * 1000);
    g_assert_cmpuint(min, >, 150);
    g_assert_cmpuint(min, <, 240);
    p.downtime_limit_ms = min;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    p.downtime_limit_ms = min * 98 / 100;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_false(e.converges);

    /*
     * At 1 MiB/s the rate limit lets out one flush of 32 pages per window,
     * 1313.28 bytes per ms, and the first pass would take 17 minutes,
     * past a 10 minute deadline: only a downtime-limit that takes what
     * is left at the deadline, the hot set again among it, converges
     */
    p.bandwidth = MiB;
    p.deadline_ms = 600 * 1000;
    min = precopy_min_downtime_limit(&tc.w, &p, 1, 2000 * 1000);
    left = total - 600 * 1000 * 1313.28 / WIRE;
    g_assert_cmpfloat(min, >=, left * PAGE / 1313.28 * 0.99);
    g_assert_cmpfloat(min, <=, (left + 2560) * PAGE / 1313.28 * 1.01);
    /* none, if that is more than is allowed; and a search of one value */
    g_assert_cmpuint(precopy_min_downtime_limit(&tc.w, &p, 1, min / 2), ==, 0);
    g_assert_cmpuint(precopy_min_downtime_limit(&tc.w, &p, 7, 7), ==, 0);
}

/*
 * An exact curve has one estimate, as precopy_estimate(), and a range of
 * a rate limit window either way for each sync
 */
static void test_range_exact(void)
{
    TestRange tr;
    PrecopyEstimateRange r;
    PrecopyLowest b;
    PrecopyParams p = { .downtime_limit_ms = 300, .deadline_ms = 3600000 };

    test_range_init(&tr, 262144, 50000, 5000, 40000, 0);
    r = estimate_range(&tr, 100 * MiB, 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
    g_assert_cmpuint(r.measured.dirty_syncs, >, 1);
    g_assert_cmpuint(r.min.total_time_ms, ==, r.measured.total_time_ms -
                     r.measured.dirty_syncs * BUFFER_DELAY);
    g_assert_cmpuint(r.max.total_time_ms, ==, r.measured.total_time_ms +
                     r.measured.dirty_syncs * BUFFER_DELAY);
    g_assert_cmpuint(r.min.dirty_syncs, ==, r.measured.dirty_syncs);
    g_assert_cmpuint(r.max.dirty_syncs, ==, r.measured.dirty_syncs);

    precopy_lowest_range(&tr.w, &p, PRECOPY_SEARCH_BANDWIDTH, 1000, 1ULL << 40,
                         &b);
    g_assert_cmpuint(b.measured, >, 0);
    g_assert_cmpuint(b.min, ==, b.measured);
    g_assert_cmpuint(b.max, ==, b.measured);
}

/* The same guest read from fewer samples: a wider range around the same */
static void test_range_widens(void)
{
    static const uint64_t samples[] = { 1 << 18, 1 << 16, 1 << 14, 1 << 12 };
    uint64_t last_width = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(samples); i++) {
        TestRange tr;
        PrecopyEstimateRange r;
        uint64_t width;

        test_range_init(&tr, 262144, 50000, 5000, 40000, samples[i]);
        r = estimate_range(&tr, 100 * MiB, 300);
        g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
        width = r.max.total_time_ms - r.min.total_time_ms;
        g_assert_cmpuint(width, >, last_width);
        last_width = width;
    }
}

/*
 * Between the lowest converging bandwidths at the two ends of the range,
 * the measurement cannot tell: uncertain, with a shortest time only
 */
static void test_range_uncertain(void)
{
    PrecopyParams p = { .downtime_limit_ms = 300, .deadline_ms = 3600000 };
    PrecopyLowest b;
    PrecopyEstimateRange r;
    TestRange tr;

    test_range_init(&tr, 262144, 50000, 5000, 40000, 2048);
    precopy_lowest_range(&tr.w, &p, PRECOPY_SEARCH_BANDWIDTH, 1000, 1ULL << 40,
                         &b);
    g_assert_cmpuint(b.min, <, b.measured);
    g_assert_cmpuint(b.measured, <, b.max);

    r = estimate_range(&tr, sqrt((double)b.min * b.max), 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_UNCERTAIN);
    g_assert_cmpuint(r.min.total_time_ms, >, 0);
    g_assert_cmpuint(r.max.total_time_ms, ==, 0);

    r = estimate_range(&tr, b.max * 1.02, 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
    r = estimate_range(&tr, b.min * 0.98, 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_DOES_NOT_CONVERGE);
    g_assert_cmpuint(r.min.total_time_ms, ==, 0);
}

/* Whatever the curve and the cell, the range holds the estimate */
static void test_range_contains(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(11);
    int round;

    for (round = 0; round < 300; round++) {
        uint64_t total = g_rand_int_range(rand, 1024, 1 << 20);
        TestRange tr;

        test_range_init(&tr, total, g_rand_int_range(rand, 0, total),
                        g_rand_double_range(rand, 0, total / 4.0),
                        g_rand_int_range(rand, 0, total),
                        g_rand_int_range(rand, 0, 70000));
        estimate_range(&tr, g_rand_int_range(rand, 1, 1 << 30),
                       g_rand_int_range(rand, 0, 2000));
    }
}

/*
 * An idle guest of zero pages: without its pace, it goes out within the
 * first window, where threshold_size is still 0, and switches over
 * without an exact sync; at 1 us a page, the first pass takes that long
 * however fast the link, and the windows that end on the way let the
 * pass end in an exact sync
 */
static void test_pace_idle(void)
{
    const uint64_t total = 262144;
    TestCurve tc;
    PrecopyParams p = cell(125ULL * 1000 * 1000 * 1000 * 1000, 300);
    PrecopyEstimate e;

    test_curve_init(&tc, total, total, 0, 0);
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.dirty_syncs, ==, 2);
    g_assert_cmpuint(e.total_time_ms, <, 10);

    tc.w.pace.zero_ns = 1000;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.dirty_syncs, ==, 3);
    g_assert_cmpuint(e.total_time_ms, >=, total / 1000);
    g_assert_cmpuint(e.total_time_ms, <=, total / 1000 + 1);
}

/*
 * make demo's guest: a hot set rewritten faster than any window sends it,
 * then zero pages.  Windows that the sender spends on zero pages send
 * few bytes, threshold_size falls, and the sync after the first pass
 * finds the hot set above it: one more round than at the rate limit's
 * threshold.  A pace far below the rate limit's changes nothing.
 */
static void test_pace_threshold(void)
{
    const uint64_t total = 131072, hot = 25600;
    TestCurve tc;
    PrecopyEstimate bytes, paced;

    test_curve_init_step(&tc, total, total - hot, 1e6, hot, 10);
    bytes = estimate(&tc, 250 * 1000 * 1000, 1000);
    g_assert_true(bytes.converges);
    tc.w.pace.zero_ns = 7000;
    paced = estimate(&tc, 250 * 1000 * 1000, 1000);
    g_assert_true(paced.converges);
    g_assert_cmpuint(paced.dirty_syncs, ==, bytes.dirty_syncs + 1);
    g_assert_cmpuint(paced.total_time_ms, >, bytes.total_time_ms);

    tc.w.pace = (DirtyPace) { .zero_ns = 10, .page_ns = 100 };
    paced = estimate(&tc, 250 * 1000 * 1000, 1000);
    g_assert_cmpuint(paced.dirty_syncs, ==, bytes.dirty_syncs);
    g_assert_cmpuint(paced.total_time_ms - paced.downtime_ms, ==,
                     bytes.total_time_ms - bytes.downtime_ms);
    /* the link's speed unknown, the downtime spans sender to rate limit */
    g_assert_cmpuint(paced.downtime_ms, <, bytes.downtime_ms);
    g_assert_cmpuint(paced.max_downtime_ms, ==, bytes.downtime_ms);
}

/*
 * Without a rate limit, pages with data go at the sender's pace: the
 * first time at their cost and the destination's first write.  With the
 * link's speed unknown, the downtime is the sender's time for what is
 * left, and its slow end the time at the rate the windows sent.
 */
static void test_pace_unlimited(void)
{
    const uint64_t total = 262144, data = 25600;
    TestCurve tc;
    PrecopyParams p = cell(125ULL * 1000 * 1000 * 1000 * 1000, 300);
    PrecopyEstimate e;

    test_curve_init(&tc, total, total - data, 0, 0);
    tc.w.pace = (DirtyPace) { .zero_ns = 0, .page_ns = 2000, .fresh_ns = 8000 };
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.total_time_ms, >=, data * 10000 / 1000000);
    g_assert_cmpuint(e.total_time_ms, <=, data * 10000 / 1000000 + 1);

    /* at 100 MB/s, the rate limit holds it back, and bounds the downtime */
    p = cell(100 * 1000 * 1000, 300);
    test_curve_init(&tc, total, total - data, 2000, data);
    tc.w.pace = (DirtyPace) { .page_ns = 2000 };
    precopy_estimate(&tc.w, &p, &e);
    g_assert_true(e.converges);
    g_assert_cmpuint(e.downtime_ms, <, e.max_downtime_ms);
    p.link_bandwidth = 100 * 1000 * 1000;
    precopy_estimate(&tc.w, &p, &e);
    g_assert_cmpuint(e.downtime_ms, ==, e.max_downtime_ms);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/precopy-estimate/idle", test_idle);
    g_test_add_func("/precopy-estimate/linear", test_linear);
    g_test_add_func("/precopy-estimate/saturating", test_saturating);
    g_test_add_func("/precopy-estimate/never-converges",
                    test_never_converges);
    g_test_add_func("/precopy-estimate/switchover-at-threshold",
                    test_switchover_at_threshold);
    g_test_add_func("/precopy-estimate/unlimited-downtime", test_unlimited);
    g_test_add_func("/precopy-estimate/link-speed", test_link_speed);
    g_test_add_func("/precopy-estimate/pace/idle", test_pace_idle);
    g_test_add_func("/precopy-estimate/pace/threshold", test_pace_threshold);
    g_test_add_func("/precopy-estimate/pace/unlimited", test_pace_unlimited);
    g_test_add_func("/precopy-estimate/rate-limit-flushes",
                    test_rate_limit_flushes);
    g_test_add_func("/precopy-estimate/tail-extrapolation",
                    test_tail_extrapolation);
    g_test_add_func("/precopy-estimate/workload-check", test_workload_check);
    g_test_add_func("/precopy-estimate/monotonic", test_monotonic);
    g_test_add_func("/precopy-estimate/extremes", test_extremes);
    g_test_add_func("/precopy-estimate/bounded-work", test_bounded_work);
    g_test_add_func("/precopy-estimate/min-bandwidth", test_min_bandwidth);
    g_test_add_func("/precopy-estimate/min-downtime-limit",
                    test_min_downtime_limit);
    g_test_add_func("/precopy-estimate/range/exact", test_range_exact);
    g_test_add_func("/precopy-estimate/range/widens", test_range_widens);
    g_test_add_func("/precopy-estimate/range/uncertain",
                    test_range_uncertain);
    g_test_add_func("/precopy-estimate/range/contains", test_range_contains);

    return g_test_run();
}
