/*
 * Pre-copy migration estimate: the aids to convergence
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Auto-converge, dirty-limit, post-copy and multifd against closed
 * forms, on guests simple enough to have them: one that dirties all its
 * memory at once, whatever its throttle, whose every pass is the same,
 * and an idle one.  A rate limit that lets out exactly whole flushes
 * per window makes every pass a whole number of windows.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/units.h"
#include "../../migration/dirty-curve-bounds.h"
#include "../../migration/migration-stats.h"
#include "../../migration/precopy-estimate.h"
#include "../../migration/precopy-search.h"

#define PAGE 4096
#define WIRE (PAGE + 8)
/* pages per window: 8 flushes of 32 */
#define WINDOW_PAGES 256
/* a pass over memory: 20 windows, 2 s */
#define PASS_WINDOWS 20
#define PASS_MS (PASS_WINDOWS * BUFFER_DELAY)
#define PAGES (PASS_WINDOWS * WINDOW_PAGES)
/* a max-bandwidth whose windows let out exactly WINDOW_PAGES pages */
#define BANDWIDTH ((uint64_t)WINDOW_PAGES * WIRE * (1000 / BUFFER_DELAY) - 1)

/* A guest that dirties all its pages in its first millisecond */
static const DirtyCurveReading all_at_once[] = {
    { .elapsed_ms = 1, .dirty_pages = PAGES },
};

/* A guest that dirties nothing */
static const DirtyCurveReading idle[] = {
    { .elapsed_ms = 1000, .dirty_pages = 0 },
};

static PrecopyWorkload workload(const DirtyCurveReading *r, size_t n,
                                uint64_t zero_pages)
{
    return (PrecopyWorkload) {
        .readings = r,
        .nr_readings = n,
        .total_pages = PAGES,
        .zero_pages = zero_pages,
        .page_size = PAGE,
    };
}

static PrecopyParams params(uint64_t deadline_ms)
{
    return (PrecopyParams) {
        .bandwidth = BANDWIDTH,
        .downtime_limit_ms = 1,
        .deadline_ms = deadline_ms,
    };
}

static PrecopyThrottle auto_converge(unsigned initial, unsigned increment,
                                     unsigned max)
{
    return (PrecopyThrottle) {
        .kind = PRECOPY_THROTTLE_AUTO_CONVERGE,
        .trigger_threshold = 50,
        .initial = initial,
        .increment = increment,
        .max = max,
    };
}

/*
 * Every pass of the guest that dirties everything ends with a sync at a
 * whole PASS_MS, more than a second after the last: each ends a period,
 * and each period is high, its pages dirtied all those sent.  The
 * throttle starts at the second, at cpu-throttle-initial, and rises by
 * cpu-throttle-increment every second one after, up to max-cpu-throttle;
 * the guest loses the throttle's share of each second.  No sync of the
 * timer comes between, for a pass ends within every 5 s.
 */
static void test_auto_converge_steps(void)
{
    static const struct {
        unsigned initial, increment, max;
        uint64_t deadline_ms;
        unsigned peak;
    } cases[] = {
        /* 10 passes: 5 steps, the last at the 10th */
        { 20, 10, 99, 10 * PASS_MS + 1000, 60 },
        { 20, 10, 99, 11 * PASS_MS + 1000, 60 },
        { 20, 10, 99, 12 * PASS_MS + 1000, 70 },
        { 30, 20, 75, 12 * PASS_MS + 1000, 75 },
        /* the second pass starts it */
        { 35, 10, 99, 2 * PASS_MS + 1000, 35 },
        { 35, 10, 99, 2 * PASS_MS - 1000, 0 },
    };
    PrecopyWorkload w = workload(all_at_once, 1, 0);
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        PrecopyParams p = params(cases[i].deadline_ms);
        double lost = 0, pct = 0;
        uint64_t t;
        PrecopyEstimate e;

        p.throttle = auto_converge(cases[i].initial, cases[i].increment,
                                   cases[i].max);
        precopy_estimate(&w, &p, &e);
        g_assert_false(e.converges);
        g_assert_cmpuint(e.throttle_peak, ==, cases[i].peak);
        if (!cases[i].peak) {
            g_assert_cmpuint(e.throttle_ms, ==, 0);
            continue;
        }
        g_assert_cmpuint(e.throttle_start_ms, ==, 2 * PASS_MS);
        g_assert_cmpuint(e.throttle_ms, ==,
                         cases[i].deadline_ms - 2 * PASS_MS);
        /* the throttle of each pass, from the second on */
        for (t = 2 * PASS_MS; t < cases[i].deadline_ms; t += PASS_MS) {
            if (t == 2 * PASS_MS) {
                pct = cases[i].initial;
            } else if (t / PASS_MS % 2 == 0) {
                pct = MIN(pct + cases[i].increment, cases[i].max);
            }
            lost += pct / 100 * MIN(PASS_MS, cases[i].deadline_ms - t);
        }
        g_assert_cmpfloat(fabs(e.throttle_lost_ms - lost), <=, 1);
    }
}

/*
 * cpu-throttle-tailslow raises the throttle only as far as would bring
 * the pages dirtied down to the threshold, if that is less than the
 * increment: here the threshold is half the bytes sent, a little more
 * than half the pages dirtied, so each step takes half the share the
 * guest still runs, in whole percent
 */
static void test_auto_converge_tailslow(void)
{
    PrecopyWorkload w = workload(all_at_once, 1, 0);
    PrecopyParams p = params(8 * PASS_MS + 1000);
    PrecopyEstimate e;
    unsigned cpu = 100 - 20;

    p.throttle = auto_converge(20, 60, 99);
    p.throttle.tailslow = true;
    precopy_estimate(&w, &p, &e);
    /* three steps after the first: 80 -> 40 -> 20 -> 10 running */
    cpu = cpu - (cpu - (unsigned)(cpu * ((double)PAGES * WIRE / 2 /
                                         ((double)PAGES * PAGE))));
    cpu = cpu - (cpu - (unsigned)(cpu * ((double)PAGES * WIRE / 2 /
                                         ((double)PAGES * PAGE))));
    cpu = cpu - (cpu - (unsigned)(cpu * ((double)PAGES * WIRE / 2 /
                                         ((double)PAGES * PAGE))));
    g_assert_cmpuint(e.throttle_peak, ==, 100 - cpu);
}

/*
 * A guest that dirties pages one and a half times as fast as the
 * migration sends them, everywhere in a memory ten times larger: no pass
 * catches up with it, and the migration does not converge.  With
 * auto-converge, it does.  The throttle rises while a period is high,
 * up to the first step at which the guest dirties fewer bytes than
 * throttle-trigger-threshold percent of those sent, whatever the
 * migration needs to converge: here past two thirds.
 */
static void test_auto_converge_converges(void)
{
    const double rate = 1.5 * WINDOW_PAGES / BUFFER_DELAY;   /* per ms */
    DirtyCurveReading r[] = {
        { 1000, rate * 1000 }, { 10000, rate * 10000 },
    };
    PrecopyWorkload w = workload(r, ARRAY_SIZE(r), 0);
    PrecopyParams p = params(600 * 1000);
    PrecopyEstimate plain, e;
    unsigned pct = 20;

    w.total_pages = PAGES * 10;
    p.downtime_limit_ms = 300;
    precopy_estimate(&w, &p, &plain);
    g_assert_false(plain.converges);

    p.throttle = auto_converge(20, 10, 99);
    precopy_estimate(&w, &p, &e);
    g_assert_true(e.converges);
    while (rate * (100 - pct) / 100 * PAGE >
           0.5 * WINDOW_PAGES / BUFFER_DELAY * WIRE) {
        pct += 10;
    }
    g_assert_cmpuint(e.throttle_peak, ==, pct);
    g_assert_cmpuint(e.throttle_ms, >, 0);
    g_assert_cmpuint(e.throttle_ms, <, e.total_time_ms);

    /*
     * The same guest, had it idled three quarters of its time while
     * measured: a throttle slows it only by what it takes past those
     * three quarters, so the throttle rises on, to the first step that
     * slows it enough, in whole increments up to max-cpu-throttle
     */
    w.vcpu_busy = 0.25;
    precopy_estimate(&w, &p, &e);
    g_assert_true(e.converges);
    while (rate * MIN(1, (100.0 - pct) / 100 / w.vcpu_busy) * PAGE >
           0.5 * WINDOW_PAGES / BUFFER_DELAY * WIRE) {
        pct = MIN(pct + 10, 99);
    }
    g_assert_cmpuint(pct, >, 75);
    g_assert_cmpuint(e.throttle_peak, ==, pct);
}

/*
 * The guest that idled three quarters of its time may be pacing itself,
 * and catch up in whatever time the throttle leaves it: the high end of
 * its range never slows, and whether auto-converge converges is
 * uncertain, while the curve as measured converges as above
 */
static void test_auto_converge_paced(void)
{
    const double rate = 1.5 * WINDOW_PAGES / BUFFER_DELAY;
    DirtyCurve c = {
        .readings = { { 1000, rate * 1000 }, { 10000, rate * 10000 } },
        .nr_readings = 2,
        .total_pages = PAGES * 10,
        .page_size = PAGE,
        .exact = true,
        .vcpu_busy = 0.25,
    };
    PrecopyParams p = params(600 * 1000);
    PrecopyWorkloadRange w;
    PrecopyEstimateRange r;
    DirtyCurve low, high;

    p.downtime_limit_ms = 300;
    p.throttle = auto_converge(20, 10, 99);
    dirty_curve_bounds(&c, &low, &high);
    precopy_workload_from_curve(&w.measured, &c);
    precopy_workload_from_curve(&w.low, &low);
    precopy_workload_from_curve(&w.high, &high);
    precopy_estimate_range(&w, &p, &r);
    g_assert_cmpint(r.verdict, ==, PRECOPY_UNCERTAIN);
    g_assert_true(r.measured.converges);
    g_assert_cmpuint(r.measured.throttle_peak, ==, 99);

    /* to a migration that does not throttle it, the range is one guest */
    g_assert_false(precopy_workload_equal(&w.high, &w.measured));
    g_assert_true(precopy_workload_same_curve(&w.high, &w.measured));
    p.throttle = (PrecopyThrottle) { .kind = PRECOPY_THROTTLE_NONE };
    p.downtime_limit_ms = PRECOPY_DOWNTIME_UNLIMITED;
    precopy_estimate_range(&w, &p, &r);
    g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
    g_assert_cmpuint(r.min.total_time_ms, ==, r.measured.total_time_ms -
                     r.measured.dirty_syncs * BUFFER_DELAY);
    g_assert_cmpuint(r.max.total_time_ms, ==, r.measured.total_time_ms +
                     r.measured.dirty_syncs * BUFFER_DELAY);
}

/*
 * vcpu-dirty-limit holds each vCPU to its limit from the first trigger,
 * the second high period: a guest dirtying 4 times what its vCPUs may
 * runs a quarter of the time
 */
static void test_dirty_limit(void)
{
    /* 40 MiB/s over the first second and on */
    const DirtyCurveReading r[] = {
        { 1000, 40 * MiB / PAGE }, { 2000, 80 * MiB / PAGE },
    };
    PrecopyWorkload w = workload(r, ARRAY_SIZE(r), 0);
    PrecopyParams p = params(120 * 1000);
    PrecopyEstimate e;

    w.total_pages = 200 * MiB / PAGE;
    p.throttle = (PrecopyThrottle) {
        .kind = PRECOPY_THROTTLE_DIRTY_LIMIT,
        .trigger_threshold = 50,
        .vcpu_dirty_limit = 5,
        .vcpus = 2,
    };
    p.bandwidth = 20 * MiB;
    precopy_estimate(&w, &p, &e);
    g_assert_cmpuint(e.throttle_peak, ==, 75);
    g_assert_cmpuint(e.throttle_start_ms, >, 0);

    /* a limit above what the guest dirties never holds it back */
    p.throttle.vcpu_dirty_limit = 20;
    precopy_estimate(&w, &p, &e);
    g_assert_cmpuint(e.throttle_peak, ==, 0);

    /*
     * one already in force, as in a migration under way whose curve is
     * the guest's under it, is not set again
     */
    p.throttle.vcpu_dirty_limit = 5;
    p.throttle.limit_now = true;
    precopy_estimate(&w, &p, &e);
    g_assert_cmpuint(e.throttle_peak, ==, 0);
}

/*
 * After the first pass, the guest that dirties everything stops for
 * the switch when the next window starts, the pass having run dry in
 * the last; all its pages are left,
 * sent as discards in the downtime and as pages after it, both at the
 * link's speed, or max-postcopy-bandwidth for the pages
 */
static void test_postcopy_phase(void)
{
    PrecopyWorkload w = workload(all_at_once, 1, 0);
    PrecopyParams p = params(60 * 1000);
    const uint64_t link = 10 * BANDWIDTH;
    PrecopyEstimate e;
    uint64_t phase;

    p.link_bandwidth = link;
    p.postcopy_after_pass = 1;
    precopy_estimate(&w, &p, &e);
    g_assert_true(e.converges);
    g_assert_true(e.postcopy);
    g_assert_cmpuint(e.postcopy_switch_ms, ==, PASS_MS);
    g_assert_cmpuint(e.postcopy_pages, ==, PAGES);
    phase = (uint64_t)PAGES * WIRE * 1000 / link;
    g_assert_cmpint(labs((int64_t)e.postcopy_ms - (int64_t)phase), <=, 1);
    g_assert_cmpuint(e.downtime_ms, ==,
                     (PAGES * 16 * 1000 + link / 2) / link);
    g_assert_cmpuint(e.total_time_ms, ==, e.postcopy_switch_ms +
                     e.downtime_ms + e.postcopy_ms);
    /* three syncs: setup, the end of the pass, and the switch's */
    g_assert_cmpuint(e.dirty_syncs, ==, 3);

    /* at max-postcopy-bandwidth */
    p.postcopy_bandwidth = BANDWIDTH;
    precopy_estimate(&w, &p, &e);
    phase = (uint64_t)PAGES * WIRE * 1000 / BANDWIDTH;
    g_assert_cmpint(labs((int64_t)e.postcopy_ms - (int64_t)phase), <=, 1);

    /* after the third pass */
    p.postcopy_after_pass = 3;
    precopy_estimate(&w, &p, &e);
    g_assert_cmpuint(e.postcopy_switch_ms, ==, 3 * PASS_MS);

    /* an idle guest converges first, and never switches */
    w = workload(idle, 1, 0);
    precopy_estimate(&w, &p, &e);
    g_assert_true(e.converges);
    g_assert_false(e.postcopy);
    g_assert_cmpuint(e.postcopy_ms, ==, 0);
}

/*
 * Multifd sends pages in packets of 128, each with a header of 320
 * bytes and 8 per page it can hold, zero pages as just their offset;
 * the channels greet with 64 bytes each, and every sync, setup's
 * included, has each channel send an empty packet and the main channel
 * an 8-byte flag.  An idle guest's bytes are all of that, and nothing
 * else.  A channel counts a packet once written, so a rate limit window
 * lets out the packets the channels are writing as it ends, besides its
 * budget.
 */
static void test_multifd_overheads(void)
{
    const uint64_t zero = 1000;
    PrecopyWorkload w = workload(idle, 1, zero);
    PrecopyParams p = params(60 * 1000);
    const double header = 320 + 8 * 128;
    PrecopyEstimate single, e;
    unsigned channels;

    precopy_estimate(&w, &p, &single);
    g_assert_cmpuint(single.transferred, ==,
                     (PAGES - zero) * WIRE + zero * (8 + 1));

    for (channels = 1; channels <= 8; channels *= 2) {
        double bytes;

        p.multifd_channels = channels;
        precopy_estimate(&w, &p, &e);
        g_assert_true(e.converges);
        bytes = channels * 64.0 +
                (PAGES - zero) * (PAGE + header / 128) +
                zero * header / 128 +
                e.dirty_syncs * (channels * header + 8);
        g_assert_cmpfloat(fabs(e.transferred - bytes), <=, 1);
        /*
         * A window lets out its budget in whole packets, a packet more,
         * and the packet each channel is still writing: 2 + channels
         * packets of 128 pages, against the single channel's 256 pages;
         * the overheads take less than 1% more
         */
        g_assert_cmpfloat(fabs((double)e.total_time_ms * (2 + channels) /
                               (2 * single.total_time_ms) - 1), <, 0.01);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/precopy-aids/auto-converge/steps",
                    test_auto_converge_steps);
    g_test_add_func("/precopy-aids/auto-converge/tailslow",
                    test_auto_converge_tailslow);
    g_test_add_func("/precopy-aids/auto-converge/converges",
                    test_auto_converge_converges);
    g_test_add_func("/precopy-aids/auto-converge/paced",
                    test_auto_converge_paced);
    g_test_add_func("/precopy-aids/dirty-limit", test_dirty_limit);
    g_test_add_func("/precopy-aids/postcopy/phase", test_postcopy_phase);
    g_test_add_func("/precopy-aids/multifd/overheads",
                    test_multifd_overheads);
    return g_test_run();
}
