/*
 * Dirty page curve: the curves a measured one may stand for
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Each test builds a measured curve by hand, or samples memory of its own
 * for one, and checks the ends dirty_curve_bounds() gives it.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "../../migration/dirty-curve-bounds.h"
#include "../../migration/dirty-sample.h"

#define PAGE_SIZE 64

/*
 * A sampled curve of @pages pages, @samples of them sampled, with
 * readings that found @hits[i] dirtied, and @zero samples all zero
 */
static void sampled_curve(DirtyCurve *c, uint64_t pages, uint64_t samples,
                          const uint64_t *hits, size_t n, uint64_t zero)
{
    size_t i;

    *c = (DirtyCurve) {
        .nr_readings = n,
        .total_pages = pages,
        .sampled_space = pages,
        .sampled_pages = samples,
        .sampled_zero = zero,
        .zero_pages = dirty_sample_scale(zero, samples, pages),
        .page_size = PAGE_SIZE,
    };
    for (i = 0; i < n; i++) {
        c->readings[i] = (DirtyCurveReading) {
            .elapsed_ms = 125 * (i + 1),
            .dirty_pages = dirty_sample_scale(hits[i], samples, pages),
            .sampled_dirty = hits[i],
        };
    }
}

static void assert_bounds_hold(const DirtyCurve *c, const DirtyCurve *low,
                               const DirtyCurve *high)
{
    size_t i;

    g_assert_cmpuint(low->nr_readings, ==, c->nr_readings);
    g_assert_cmpuint(high->nr_readings, ==, c->nr_readings);
    for (i = 0; i < c->nr_readings; i++) {
        g_assert_cmpint(low->readings[i].elapsed_ms, ==,
                        c->readings[i].elapsed_ms);
        g_assert_cmpint(high->readings[i].elapsed_ms, ==,
                        c->readings[i].elapsed_ms);
        g_assert_cmpuint(low->readings[i].dirty_pages, <=,
                         c->readings[i].dirty_pages);
        g_assert_cmpuint(high->readings[i].dirty_pages, >=,
                         c->readings[i].dirty_pages);
        g_assert_cmpuint(high->readings[i].dirty_pages, <=, c->sampled_space);
        if (i) {
            g_assert_cmpuint(low->readings[i].dirty_pages, >=,
                             low->readings[i - 1].dirty_pages);
            g_assert_cmpuint(high->readings[i].dirty_pages, >=,
                             high->readings[i - 1].dirty_pages);
        }
    }
    /* the low end sends least: the most zero pages */
    g_assert_cmpuint(low->zero_pages, >=, c->zero_pages);
    g_assert_cmpuint(high->zero_pages, <=, c->zero_pages);
    g_assert_cmpuint(low->zero_pages, <=, c->total_pages);
}

static void test_bounds_exact(void)
{
    static const uint64_t hits[] = { 10, 20, 40 };
    DirtyCurve c, low, high;

    sampled_curve(&c, 1 << 18, 1 << 18, hits, ARRAY_SIZE(hits), 1000);
    c.exact = true;
    dirty_curve_bounds(&c, &low, &high);
    g_assert_cmpmem(&low, sizeof(low), &c, sizeof(c));
    g_assert_cmpmem(&high, sizeof(high), &c, sizeof(c));
}

/*
 * A guest that idled while measured may pace itself: the high end of its
 * range is one that a CPU throttle hardly slows; one that kept its vCPUs
 * busy, or of which nothing is known, has no such range
 */
static void test_bounds_paced(void)
{
    static const uint64_t hits[] = { 10, 20, 40 };
    static const double busy[] = { 0, 0.95, 1 };
    DirtyCurve c, low, high;
    size_t i;

    sampled_curve(&c, 1 << 18, 1 << 18, hits, ARRAY_SIZE(hits), 1000);
    c.exact = true;
    c.vcpu_busy = 0.2;
    dirty_curve_bounds(&c, &low, &high);
    g_assert_cmpfloat(low.vcpu_busy, ==, 0.2);
    g_assert_cmpfloat(high.vcpu_busy, ==, DIRTY_CURVE_PACED_BUSY);
    high.vcpu_busy = c.vcpu_busy;
    g_assert_cmpmem(&high, sizeof(high), &c, sizeof(c));
    for (i = 0; i < ARRAY_SIZE(busy); i++) {
        c.vcpu_busy = busy[i];
        dirty_curve_bounds(&c, &low, &high);
        g_assert_cmpmem(&high, sizeof(high), &c, sizeof(c));
    }
}

/*
 * A curve that covered its working set before its second reading, at a
 * pace it does not tell, may keep it under a CPU throttle whatever its
 * vCPUs did; one still going at half its first pace or more may not
 */
static void test_bounds_bent(void)
{
    static const uint64_t bent[] = { 40, 59, 60 };
    static const uint64_t straight[] = { 40, 60, 70 };
    DirtyCurve c, low, high;

    sampled_curve(&c, 1 << 18, 1 << 18, bent, ARRAY_SIZE(bent), 1000);
    c.exact = true;
    c.vcpu_busy = 1;
    dirty_curve_bounds(&c, &low, &high);
    g_assert_cmpmem(&low, sizeof(low), &c, sizeof(c));
    g_assert_cmpfloat(high.vcpu_busy, ==, DIRTY_CURVE_PACED_BUSY);

    sampled_curve(&c, 1 << 18, 1 << 18, straight, ARRAY_SIZE(straight), 1000);
    c.exact = true;
    c.vcpu_busy = 1;
    dirty_curve_bounds(&c, &low, &high);
    g_assert_cmpmem(&high, sizeof(high), &c, sizeof(c));
}

/*
 * A guest that dirties in bursts: the same guest measured from a burst
 * and from a lull gets ranges that each hold the other's curve
 */
static void test_bounds_burst(void)
{
    /* 500 new pages every 125 ms for 750 ms, then none for 1.5 s */
    static const uint64_t from_burst[] = {
        500, 1000, 1500, 2000, 2500, 3000, 3000, 3000, 3000, 3000, 3000,
        3000, 3000, 3000, 3000, 3000, 3000, 3000, 3500,
    };
    static const uint64_t from_lull[] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 500, 1000, 1500, 2000, 2500,
        3000, 3500, 4000,
    };
    DirtyCurve burst, lull, low, high;
    size_t i;

    sampled_curve(&burst, 1 << 18, 1 << 18, from_burst,
                  ARRAY_SIZE(from_burst), 0);
    burst.exact = true;
    sampled_curve(&lull, 1 << 18, 1 << 18, from_lull, ARRAY_SIZE(from_lull),
                  0);
    lull.exact = true;

    dirty_curve_bounds(&burst, &low, &high);
    assert_bounds_hold(&burst, &low, &high);
    for (i = 0; i < ARRAY_SIZE(from_lull) - 1; i++) {
        g_assert_cmpuint(low.readings[i].dirty_pages, <=,
                         lull.readings[i].dirty_pages);
    }
    dirty_curve_bounds(&lull, &low, &high);
    assert_bounds_hold(&lull, &low, &high);
    for (i = 0; i < ARRAY_SIZE(from_burst) - 1; i++) {
        g_assert_cmpuint(high.readings[i].dirty_pages, >=,
                         burst.readings[i].dirty_pages);
    }
}

/*
 * A guest that keeps a steady pace, over a working set it covers in time
 * or hardly at all, is never taken for one that dirties in bursts,
 * whatever the samples drew: measured on calc-dirty-rate's schedule, its
 * range is the sampling error's alone, and an exact curve of it has no
 * range of dirty pages
 */
static void test_bounds_steady(void)
{
    const uint64_t samples = 65536, pages = 1 << 20;
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t n = dirty_curve_schedule(10000, times);
    int seed;

    for (seed = 0; seed < 200; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        double share = g_rand_double_range(rand, 0.001, 1);
        double mean_ms = exp(g_rand_double_range(rand, log(10), log(1e6)));
        DirtyCurve c = {
            .nr_readings = n, .total_pages = pages, .sampled_space = pages,
            .sampled_pages = samples, .page_size = PAGE_SIZE,
        };
        DirtyCurve low, high, one, one_low, one_high;
        uint64_t s;
        size_t i;

        /* each sample in the working set is first written at a random time */
        for (s = 0; s < samples; s++) {
            double ms;

            if (g_rand_double(rand) >= share) {
                continue;
            }
            ms = -mean_ms * log(1 - g_rand_double(rand));
            for (i = 0; i < n; i++) {
                c.readings[i].sampled_dirty += ms <= times[i];
            }
        }
        for (i = 0; i < n; i++) {
            c.readings[i].elapsed_ms = times[i];
            c.readings[i].dirty_pages =
                dirty_sample_scale(c.readings[i].sampled_dirty, samples, pages);
        }
        dirty_curve_bounds(&c, &low, &high);
        assert_bounds_hold(&c, &low, &high);
        /* each reading alone, with no other to compare it with */
        one = c;
        one.nr_readings = 1;
        for (i = 0; i < n; i++) {
            one.readings[0] = c.readings[i];
            dirty_curve_bounds(&one, &one_low, &one_high);
            g_assert_cmpuint(low.readings[i].dirty_pages, ==,
                             one_low.readings[0].dirty_pages);
            g_assert_cmpuint(high.readings[i].dirty_pages, ==,
                             one_high.readings[0].dirty_pages);
        }
        /* the samples as all the pages there are, counted one by one */
        c.exact = true;
        c.total_pages = c.sampled_space = samples;
        for (i = 0; i < n; i++) {
            c.readings[i].dirty_pages = c.readings[i].sampled_dirty;
        }
        dirty_curve_bounds(&c, &low, &high);
        g_assert_cmpmem(low.readings, sizeof(low.readings), c.readings,
                        sizeof(c.readings));
        g_assert_cmpmem(high.readings, sizeof(high.readings), c.readings,
                        sizeof(c.readings));
    }
}

static void test_bounds_contain(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(7);
    int round;

    for (round = 0; round < 1000; round++) {
        uint64_t samples = g_rand_int_range(rand, 1, 70000);
        uint64_t hits[DIRTY_CURVE_MAX_READINGS];
        uint64_t k = 0;
        DirtyCurve c, low, high;
        size_t n = g_rand_int_range(rand, 1, DIRTY_CURVE_MAX_READINGS + 1);
        size_t i;

        for (i = 0; i < n; i++) {
            k += g_rand_int_range(rand, 0, (samples - k) / 4 + 1);
            hits[i] = k;
        }
        sampled_curve(&c, g_rand_int_range(rand, samples, 1 << 24), samples,
                      hits, n, g_rand_int_range(rand, 0, samples + 1));
        dirty_curve_bounds(&c, &low, &high);
        assert_bounds_hold(&c, &low, &high);
    }
}

/* The same share of pages dirtied, read from fewer samples: wider */
static void test_bounds_widen(void)
{
    const uint64_t pages = 1 << 18;
    uint64_t last_width = 0;
    uint64_t samples;

    for (samples = 1 << 17; samples >= 128; samples /= 4) {
        uint64_t hits[] = { samples / 20, samples / 16 };
        DirtyCurve c, low, high;
        uint64_t width;

        sampled_curve(&c, pages, samples, hits, ARRAY_SIZE(hits),
                      samples / 2);
        dirty_curve_bounds(&c, &low, &high);
        assert_bounds_hold(&c, &low, &high);
        width = high.readings[0].dirty_pages - low.readings[0].dirty_pages;
        g_assert_cmpuint(width, >, last_width);
        g_assert_cmpuint(low.zero_pages - high.zero_pages, >, 0);
        last_width = width;
    }
}

/* No sample found dirtied is no proof that no page was */
static void test_bounds_no_hits(void)
{
    static const uint64_t hits[] = { 0 };
    DirtyCurve c, low, high;

    sampled_curve(&c, 1 << 18, 512, hits, 1, 0);
    dirty_curve_bounds(&c, &low, &high);
    g_assert_cmpuint(low.readings[0].dirty_pages, ==, 0);
    /* about 3.8 of 512 at 95%: 0.74% of the pages */
    g_assert_cmpuint(high.readings[0].dirty_pages, >, (1 << 18) / 150);
    g_assert_cmpuint(high.readings[0].dirty_pages, <, (1 << 18) / 120);
}

/*
 * On real samples of a known share of dirtied pages, the 95% interval
 * holds the truth about as often as it claims
 */
static void test_bounds_coverage(void)
{
    const uint64_t pages = 1 << 16, truth = pages / 50;
    const int seeds = 400;
    int covered = 0;
    int seed;

    for (seed = 0; seed < seeds; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        g_autofree uint8_t *ram = g_malloc0(pages * PAGE_SIZE);
        DirtyCurve c = {
            .nr_readings = 1, .total_pages = pages, .sampled_space = pages,
            .page_size = PAGE_SIZE,
        };
        DirtyCurve low, high;
        DirtySample s;
        uint64_t i;

        g_assert_true(dirty_sample_start(&s, ram, pages, PAGE_SIZE, 2048,
                                         rand));
        for (i = 0; i < truth; i++) {
            ram[i * PAGE_SIZE] = 1;
        }
        c.sampled_pages = s.count;
        c.readings[0] = (DirtyCurveReading) {
            .elapsed_ms = 1000,
            .sampled_dirty = dirty_sample_check(&s, false),
        };
        c.readings[0].dirty_pages = dirty_sample_scale(
            c.readings[0].sampled_dirty, s.count, pages);
        dirty_curve_bounds(&c, &low, &high);
        covered += low.readings[0].dirty_pages <= truth &&
                   truth <= high.readings[0].dirty_pages;
        dirty_sample_free(&s);
    }
    g_assert_cmpint(covered, >=, seeds * 92 / 100);
    g_assert_cmpint(covered, <=, seeds * 99 / 100);
}

/*
 * A curve that steepens, read at times no measurement reaches, near the
 * end of int64_t: its windows from later readings still make bounds
 */
static void test_bounds_far_times(void)
{
    static const uint64_t hits[] = { 0, 0, 0, 100, 200, UINT64_MAX / 2 };
    DirtyCurve c, low, high;
    size_t i;

    sampled_curve(&c, UINT64_MAX, UINT64_MAX, hits, ARRAY_SIZE(hits), 0);
    c.exact = true;
    for (i = 0; i < ARRAY_SIZE(hits); i++) {
        c.readings[i].elapsed_ms = INT64_MAX / 8 * (i + 2);
    }
    dirty_curve_bounds(&c, &low, &high);
    for (i = 0; i < ARRAY_SIZE(hits); i++) {
        g_assert_cmpuint(low.readings[i].dirty_pages, <=,
                         c.readings[i].dirty_pages);
        g_assert_cmpuint(high.readings[i].dirty_pages, >=,
                         c.readings[i].dirty_pages);
        g_assert_cmpuint(high.readings[i].dirty_pages, <=, UINT64_MAX / 2);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/dirty-curve-bounds/exact", test_bounds_exact);
    g_test_add_func("/dirty-curve-bounds/contain", test_bounds_contain);
    g_test_add_func("/dirty-curve-bounds/paced", test_bounds_paced);
    g_test_add_func("/dirty-curve-bounds/bent", test_bounds_bent);
    g_test_add_func("/dirty-curve-bounds/burst", test_bounds_burst);
    g_test_add_func("/dirty-curve-bounds/steady", test_bounds_steady);
    g_test_add_func("/dirty-curve-bounds/widen", test_bounds_widen);
    g_test_add_func("/dirty-curve-bounds/no-hits", test_bounds_no_hits);
    g_test_add_func("/dirty-curve-bounds/coverage", test_bounds_coverage);
    g_test_add_func("/dirty-curve-bounds/far-times", test_bounds_far_times);
    return g_test_run();
}
