/*
 * Pre-copy migration estimate of a migration under way: the refit
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The migrations here are fakes, page by page, that do what QEMU does
 * in the ways the estimate depends on: a guest writes to random pages of
 * a hot set spread over its memory, and sets their bits in a dirty log;
 * every rate limit window starts with a burst of as many pages as the
 * window lets out, the next ones of the dirty bitmap in address order;
 * a window that finds few enough pages pending syncs, moving the dirty
 * log into the bitmap, and switches over if what is then pending is
 * within the threshold; a bitmap run dry syncs at once.  Every sync is
 * recorded as migration_estimate_sync() records it.  A test stops a
 * fake partway, estimates what is left of it from its syncs, and
 * compares with how the fake really ends.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/bitmap.h"
#include "qapi/error.h"
#include "../../migration/migration-stats.h"
#include "../../migration/precopy-estimate.h"
#include "../../migration/precopy-search.h"
#include "../../migration/precopy-stalled.h"
#include "../../migration/precopy-refit.h"

#define PAGE 4096
#define WIRE (PAGE + 8)         /* a page and its header on the wire */
#define FAKE_PAGES 16384        /* 64 MiB */
#define FAKE_MAX_SYNCS 256
#define FAKE_DEADLINE_MS (600 * 1000)
/* Pages a rate limit window lets out: whole flushes of 32 */
#define FAKE_WINDOW_PAGES (8 * PRECOPY_FLUSH_PAGES)
/* A max-bandwidth whose windows let out exactly that many */
#define FAKE_BANDWIDTH ((uint64_t)FAKE_WINDOW_PAGES * WIRE * \
                        (1000 / BUFFER_DELAY) - 1)

typedef struct Fake {
    /*
     * the guest: writes per second to @hot pages, @change times as many
     * from @change_ms on
     */
    double rate;
    uint64_t hot;
    bool hot_first;             /* the hot set is the lowest pages */
    double change;
    int64_t change_ms;
    /* the migration */
    uint64_t threshold;         /* pages: downtime-limit at the rate */
    unsigned long *bitmap;
    unsigned long *log;
    uint64_t dirty;             /* pages in the bitmap */
    uint64_t next;              /* where the scan goes on */
    uint64_t sent;
    int64_t now_ms;
    double carry;               /* writes due but not made */
    GRand *rand;
    PrecopySync syncs[FAKE_MAX_SYNCS];
    size_t nr_syncs;
    bool converged;
    int64_t total_ms;           /* when the destination runs */
} Fake;

static void fake_init(Fake *f, double rate, uint64_t hot,
                      uint64_t downtime_limit_ms)
{
    *f = (Fake) {
        .rate = rate,
        .hot = hot,
        .change = 1,
        .change_ms = INT64_MAX,
        .threshold = (uint64_t)FAKE_WINDOW_PAGES * WIRE *
                     downtime_limit_ms / BUFFER_DELAY / PAGE,
        .bitmap = bitmap_new(FAKE_PAGES),
        .log = bitmap_new(FAKE_PAGES),
        .rand = g_rand_new_with_seed(42),
    };
}

static void fake_destroy(Fake *f)
{
    g_free(f->bitmap);
    g_free(f->log);
    g_rand_free(f->rand);
}

/* migration_bitmap_sync() */
static void fake_sync(Fake *f)
{
    uint64_t before = f->dirty;
    uint64_t i;

    for (i = 0; i < FAKE_PAGES; i++) {
        if (test_and_clear_bit(i, f->log) && !test_and_set_bit(i, f->bitmap)) {
            f->dirty++;
        }
    }
    g_assert_cmpuint(f->nr_syncs, <, FAKE_MAX_SYNCS);
    f->syncs[f->nr_syncs++] = (PrecopySync) {
        .elapsed_us = f->now_ms * 1000,
        .dirty_before = before,
        .dirty_after = f->dirty,
        .sent_pages = f->sent,
        .transferred = f->sent * WIRE,
    };
}

/* ram_init_bitmaps(): every page dirty, and the first sync */
static void fake_start(Fake *f)
{
    bitmap_fill(f->bitmap, FAKE_PAGES);
    f->dirty = FAKE_PAGES;
    fake_sync(f);
}

/* One millisecond of the guest */
static void fake_write(Fake *f)
{
    double rate = f->now_ms >= f->change_ms ? f->rate * f->change : f->rate;

    for (f->carry += rate / 1000; f->carry >= 1; f->carry--) {
        /* the hot pages spread over all of memory, or the first ones */
        uint64_t page = g_rand_int_range(f->rand, 0, f->hot) *
                        (f->hot_first ? 1 : FAKE_PAGES / f->hot);

        set_bit(page, f->log);
    }
}

/* Whether the migration switches over now: migration_iteration_run() */
static bool fake_check(Fake *f)
{
    if (f->dirty > f->threshold) {
        return false;
    }
    fake_sync(f);
    if (f->dirty > f->threshold) {
        return false;
    }
    /* the rest at the rate of the windows */
    f->converged = true;
    f->total_ms = f->now_ms + f->dirty * BUFFER_DELAY / FAKE_WINDOW_PAGES;
    return true;
}

/*
 * Run the migration until it switches over, or until @until_ms, or while
 * there is room for its syncs
 */
static void fake_run(Fake *f, int64_t until_ms)
{
    while (!f->converged && f->now_ms < until_ms &&
           f->nr_syncs + 2 < FAKE_MAX_SYNCS) {
        uint64_t budget = FAKE_WINDOW_PAGES;
        int ms;

        if (fake_check(f)) {
            return;
        }
        while (budget) {
            if (!f->dirty) {
                /* run dry: ram_save_iterate() returns, and the loop checks */
                if (fake_check(f)) {
                    return;
                }
                if (!f->dirty) {
                    break;
                }
            }
            f->next = find_next_bit(f->bitmap, FAKE_PAGES, f->next);
            if (f->next == FAKE_PAGES) {
                f->next = find_first_bit(f->bitmap, FAKE_PAGES);
            }
            clear_bit(f->next, f->bitmap);
            f->dirty--;
            f->sent++;
            budget--;
        }
        for (ms = 0; ms < BUFFER_DELAY; ms++) {
            fake_write(f);
            f->now_ms++;
        }
    }
}

/*
 * The migration of @f as its first @nr_syncs syncs left it, right after
 * the last of them, in @g
 */
static void fake_progress(const Fake *f, size_t nr_syncs, PrecopyProgress *g)
{
    const PrecopySync *last = &f->syncs[nr_syncs - 1];

    *g = (PrecopyProgress) {
        .total_pages = FAKE_PAGES,
        .page_size = PAGE,
        .syncs = f->syncs,
        .nr_syncs = nr_syncs,
        .dirty_sync_count = nr_syncs,
        .now = *last,
        /* a sync starts the window of its burst */
        .window_us = last->elapsed_us,
    };
    g->now.dirty_before = last->dirty_after;
    g_assert_true(precopy_progress_check(g, &error_abort));
}

/*
 * The curve of a guest that writes @rate times a second to random pages
 * of @hot, as calc-dirty-rate would measure it over 10 s
 */
static void hot_set_curve(DirtyCurve *c, double rate, uint64_t hot)
{
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t i;

    *c = (DirtyCurve) {
        .nr_readings = dirty_curve_schedule(10000, times),
        .total_pages = FAKE_PAGES,
        .page_size = PAGE,
        .exact = true,
    };
    for (i = 0; i < c->nr_readings; i++) {
        c->readings[i] = (DirtyCurveReading) {
            .elapsed_ms = times[i],
            .dirty_pages = hot * -expm1(-rate * times[i] / 1000 / hot),
        };
    }
}

/* The workloads of @fit: the curve and the two ends of its range */
static void fit_workloads(PrecopyWorkloadRange *w, const DirtyCurve *fit)
{
    precopy_workload_from_curve(&w->measured, &fit[0]);
    precopy_workload_from_curve(&w->low, &fit[1]);
    precopy_workload_from_curve(&w->high, &fit[2]);
}

/* The estimate of what is left of @g, on @fit and its range */
static PrecopyEstimateRange live_estimate(const DirtyCurve *fit,
                                          const PrecopyProgress *g,
                                          uint64_t downtime_limit_ms)
{
    PrecopyWorkloadRange w;
    PrecopyParams p = {
        .bandwidth = FAKE_BANDWIDTH,
        .downtime_limit_ms = downtime_limit_ms,
        .deadline_ms = FAKE_DEADLINE_MS,
        .progress = g,
    };
    PrecopyEstimateRange r;

    fit_workloads(&w, fit);
    precopy_estimate_range(&w, &p, &r);
    return r;
}

/* The base curve and its range, all one */
static void exact_base(DirtyCurve *base, const DirtyCurve *c)
{
    base[0] = base[1] = base[2] = *c;
}

/* The first sync after the first pass: the first to find what was dirtied */
static size_t first_pass_syncs(const Fake *f)
{
    size_t i;

    for (i = 1; i < f->nr_syncs; i++) {
        if (f->syncs[i].sent_pages >= FAKE_PAGES) {
            return i + 1;
        }
    }
    g_assert_not_reached();
}

/*
 * A guest that does the same throughout: refitted to the migration's
 * syncs, the curve it was measured with stays as it is, and the estimate
 * from every sync on, with or without that curve, ends within 5% of when
 * the fake does
 */
static void test_stationary(void)
{
    DirtyCurve base[3], fit[3];
    PrecopyProgress g;
    bool from_base;
    Fake f;
    size_t n;

    fake_init(&f, 1500, 4096, 300);
    fake_start(&f);
    fake_run(&f, FAKE_DEADLINE_MS);
    g_assert_true(f.converged);
    g_assert_cmpuint(f.nr_syncs, >=, 4);
    hot_set_curve(&base[0], 1500, 4096);
    exact_base(base, &base[0]);

    for (n = first_pass_syncs(&f); n < f.nr_syncs; n++) {
        PrecopyEstimateRange r;
        size_t refit;
        size_t i;

        fake_progress(&f, n, &g);
        refit = precopy_refit(base, &g, fit, &from_base);
        g_assert_true(from_base);
        g_assert_cmpuint(refit, >=, 1);
        g_assert_cmpuint(refit, <=, MIN(n - 1, PRECOPY_REFIT_SYNCS));
        /* the scale is that of the curve itself, within 10% */
        for (i = 0; i < fit[0].nr_readings; i++) {
            g_assert_cmpfloat(fabs((double)fit[0].readings[i].dirty_pages /
                                   base[0].readings[i].dirty_pages - 1),
                              <, 0.1);
        }
        r = live_estimate(fit, &g, 300);
        g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
        g_assert_cmpfloat(fabs((double)r.measured.total_time_ms /
                               f.total_ms - 1), <, 0.05);
        g_assert_cmpuint(r.measured.dirty_syncs, >=, n);

        refit = precopy_refit(NULL, &g, fit, &from_base);
        g_assert_false(from_base);
        r = live_estimate(fit, &g, 300);
        g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
        g_assert_cmpfloat(fabs((double)r.measured.total_time_ms /
                               f.total_ms - 1), <, 0.05);
    }
    fake_destroy(&f);
}

/* The error of the time an estimate leaves to a fake, after @nr_syncs */
static double remaining_error(const Fake *f, size_t nr_syncs,
                              const PrecopyEstimateRange *r)
{
    double now = f->syncs[nr_syncs - 1].elapsed_us / 1000.0;

    return (r->measured.total_time_ms - now) / (f->total_ms - now) - 1;
}

/*
 * A guest that writes twice as fast from halfway through the first
 * pass: on the curve measured before, the time left is far short;
 * refitted, from the second sync after the first pass on, within 15%
 */
static void test_phase_change(void)
{
    DirtyCurve base[3], fit[3];
    PrecopyProgress g;
    bool from_base;
    size_t n;
    Fake f;

    fake_init(&f, 1000, 4096, 300);
    f.change = 2;
    f.change_ms = 3000;
    fake_start(&f);
    fake_run(&f, FAKE_DEADLINE_MS);
    g_assert_true(f.converged);
    hot_set_curve(&base[0], 1000, 4096);
    exact_base(base, &base[0]);

    for (n = first_pass_syncs(&f) + 1; n < f.nr_syncs; n++) {
        PrecopyEstimateRange stale, r;

        fake_progress(&f, n, &g);
        stale = live_estimate(base, &g, 300);
        precopy_refit(base, &g, fit, &from_base);
        r = live_estimate(fit, &g, 300);
        g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
        g_assert_cmpfloat(fabs(remaining_error(&f, n, &r)), <, 0.15);
        if (n == first_pass_syncs(&f) + 1) {
            g_assert_cmpfloat(remaining_error(&f, n, &stale), <, -0.25);
        }
    }
    fake_destroy(&f);
}

/*
 * A guest that writes nothing: its syncs find nothing, and the curve
 * scales to nothing, even one measured busy; the rest is the pages left
 * at the rate, to within a window
 */
static void test_idle(void)
{
    DirtyCurve base[3], fit[3];
    PrecopyWorkload w[2];
    PrecopyEstimateRange r;
    PrecopyProgress g;
    bool from_base;
    size_t i;
    Fake f;

    fake_init(&f, 0, 4096, 300);
    fake_start(&f);
    fake_run(&f, FAKE_DEADLINE_MS);
    g_assert_true(f.converged);
    hot_set_curve(&base[0], 5000, 4096);
    exact_base(base, &base[0]);

    /* during the first pass, the curve measured is all there is */
    fake_progress(&f, 1, &g);
    g.now.elapsed_us = 1000 * 1000;
    g.now.sent_pages = 10 * FAKE_WINDOW_PAGES;
    g.now.dirty_before = g.now.dirty_after = FAKE_PAGES - g.now.sent_pages;
    g_assert_cmpuint(precopy_refit(base, &g, fit, &from_base), ==, 0);
    g_assert_true(from_base);
    precopy_workload_from_curve(&w[0], &fit[0]);
    precopy_workload_from_curve(&w[1], &base[0]);
    g_assert_true(precopy_workload_equal(&w[0], &w[1]));

    g_assert_cmpuint(f.nr_syncs, ==, 2);
    fake_progress(&f, f.nr_syncs, &g);
    g_assert_cmpuint(precopy_refit(base, &g, fit, &from_base), ==, 1);
    for (i = 0; i < fit[0].nr_readings; i++) {
        g_assert_cmpuint(fit[0].readings[i].dirty_pages, ==, 0);
        g_assert_cmpuint(fit[2].readings[i].dirty_pages, ==, 0);
    }
    r = live_estimate(fit, &g, 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
    g_assert_cmpint(labs((int64_t)r.measured.total_time_ms - f.total_ms), <=,
                    BUFFER_DELAY);
    fake_destroy(&f);
}

/*
 * A guest that dirties its hot set faster than the migration sends:
 * from the second sync after the first pass on, the estimate says it
 * does not converge, measured curve or not, even from a curve measured
 * a hundred times too quiet
 */
static void test_never_converges(void)
{
    DirtyCurve base[3], fit[3];
    PrecopyEstimateRange r;
    PrecopyProgress g;
    bool from_base;
    size_t first, n;
    Fake f;

    fake_init(&f, 20000, 8192, 100);
    fake_start(&f);
    fake_run(&f, 60 * 1000);
    g_assert_false(f.converged);
    first = first_pass_syncs(&f);
    g_assert_cmpuint(f.nr_syncs, >, first + 2);

    hot_set_curve(&base[0], 200, 8192);
    exact_base(base, &base[0]);
    for (n = first + 1; n <= f.nr_syncs; n++) {
        fake_progress(&f, n, &g);
        /* the migration shows it by the third sync after its first pass */
        if (n >= first + PRECOPY_STALLED_SYNCS) {
            g_assert_cmpuint(precopy_stalled_syncs(&g), >=,
                             PRECOPY_STALLED_SYNCS);
        }
        precopy_refit(base, &g, fit, &from_base);
        r = live_estimate(fit, &g, 100);
        g_assert_cmpint(r.verdict, ==, PRECOPY_DOES_NOT_CONVERGE);
        precopy_refit(NULL, &g, fit, &from_base);
        r = live_estimate(fit, &g, 100);
        g_assert_cmpint(r.verdict, ==, PRECOPY_DOES_NOT_CONVERGE);
    }
    fake_destroy(&f);
}

/*
 * A guest whose hot set is the lowest quarter of its memory, which the
 * first pass sends first, with a downtime-limit so long that the
 * migration syncs halfway through that pass: the sync finds almost every
 * page sent dirtied again, as if the guest dirtied all its memory.  It
 * does not, as the curve measured before says, and the estimate keeps
 * that curve and converges, as the migration does.
 */
static void test_hot_first(void)
{
    DirtyCurve base[3], fit[3];
    PrecopyEstimateRange r;
    PrecopyProgress g;
    bool from_base;
    size_t i;
    Fake f;

    fake_init(&f, 5000, FAKE_PAGES / 4, 3800);
    f.hot_first = true;
    fake_start(&f);
    fake_run(&f, FAKE_DEADLINE_MS);
    g_assert_true(f.converged);
    g_assert_cmpuint(f.nr_syncs, >=, 2);
    g_assert_cmpuint(f.syncs[1].sent_pages, <, FAKE_PAGES * 3 / 4);
    g_assert_cmpuint(f.syncs[1].dirty_after - f.syncs[1].dirty_before, >,
                     f.syncs[1].sent_pages / 2);

    hot_set_curve(&base[0], 5000, FAKE_PAGES / 4);
    exact_base(base, &base[0]);
    fake_progress(&f, 2, &g);
    g_assert_cmpuint(precopy_refit(base, &g, fit, &from_base), ==, 1);
    /* the curve as measured, to within what the fake's writes vary */
    for (i = 0; i < fit[0].nr_readings; i++) {
        g_assert_cmpfloat(fabs((double)fit[0].readings[i].dirty_pages /
                               base[0].readings[i].dirty_pages - 1),
                          <, 0.02);
    }
    r = live_estimate(fit, &g, 3800);
    g_assert_cmpint(r.verdict, ==, PRECOPY_CONVERGES);
    g_assert_cmpfloat(fabs(remaining_error(&f, 2, &r)), <, 0.1);
    fake_destroy(&f);
}

/*
 * After a sync halfway through the first pass, as a long downtime-limit
 * makes, and at every sync after: with a curve measured before or
 * without one, the verdict on the refitted curves never falls as
 * max-bandwidth rises, and every bandwidth from the lowest that the
 * search finds converges.  A live answer that said "does-not-converge"
 * above its own lowest bandwidth broke this.
 *
 * Not so for downtime-limit at a knife edge, as in QEMU: the
 * migration syncs when a window starts below the threshold, and
 * converges only if the pages that sync adds fit in what was left below
 * it, which moves with the threshold by up to a window's pages.  Returns
 * how many cells a higher downtime-limit gave a worse verdict, of
 * @cells.
 */
static size_t monotonic_in_bandwidth(double rate, uint64_t hot,
                                     uint64_t downtime_limit_ms,
                                     bool hot_first, size_t *cells)
{
    static const uint64_t limits[] = { 50, 100, 300, 1000, 3000, 6000 };
    static const double scales[] = { 0.25, 0.5, 1, 1.5, 2, 4, 8 };
    PrecopyVerdict v[ARRAY_SIZE(limits)][ARRAY_SIZE(scales)];
    DirtyCurve base[3], fit[3];
    PrecopyWorkloadRange w;
    PrecopyProgress g;
    size_t inversions = 0;
    bool from_base;
    size_t n, b, d;
    int with_base;
    Fake f;

    fake_init(&f, rate, hot, downtime_limit_ms);
    f.hot_first = hot_first;
    fake_start(&f);
    fake_run(&f, 120 * 1000);
    g_assert_cmpuint(f.nr_syncs, >=, 2);
    g_assert_cmpuint(f.syncs[1].sent_pages, <, FAKE_PAGES);
    hot_set_curve(&base[0], rate, hot);
    exact_base(base, &base[0]);

    for (with_base = 0; with_base < 2; with_base++) {
        for (n = 2; n <= f.nr_syncs; n++) {
            PrecopyParams p = {
                .deadline_ms = FAKE_DEADLINE_MS,
                .progress = &g,
            };

            fake_progress(&f, n, &g);
            precopy_refit(with_base ? base : NULL, &g, fit, &from_base);
            fit_workloads(&w, fit);

            for (d = 0; d < ARRAY_SIZE(limits); d++) {
                PrecopyLowest lowest;

                p.downtime_limit_ms = limits[d];
                for (b = 0; b < ARRAY_SIZE(scales); b++) {
                    PrecopyEstimateRange r;

                    p.bandwidth = FAKE_BANDWIDTH * scales[b];
                    precopy_estimate_range(&w, &p, &r);
                    v[d][b] = r.verdict;
                    if (b) {
                        g_assert_cmpint(v[d][b], <=, v[d][b - 1]);
                    }
                    if (d) {
                        inversions += v[d][b] > v[d - 1][b];
                        ++*cells;
                    }
                }

                precopy_lowest_range(&w, &p, PRECOPY_SEARCH_BANDWIDTH,
                                     1, FAKE_BANDWIDTH * 8, &lowest);
                for (b = 0; lowest.measured && b < ARRAY_SIZE(scales); b++) {
                    PrecopyEstimate e;

                    p.bandwidth = MAX(lowest.measured,
                                      FAKE_BANDWIDTH * scales[b]);
                    precopy_estimate(&w.measured, &p, &e);
                    g_assert_true(e.converges);
                }
            }
        }
    }
    fake_destroy(&f);
    return inversions;
}

/*
 * monotonic_in_bandwidth() over guests of many rates and hot sets; with
 * -m slow, over 360 of them
 */
static void test_monotonic(void)
{
    static const double rates[] = {
        1000, 4000, 16000, 500, 2000, 3000, 6000, 8000, 12000,
    };
    static const uint64_t hots[] = {
        FAKE_PAGES / 8, FAKE_PAGES / 2, FAKE_PAGES / 16, FAKE_PAGES / 4,
        FAKE_PAGES,
    };
    static const uint64_t limits[] = { 6000, 1000, 2000, 4000 };
    size_t nr_rates = g_test_slow() ? ARRAY_SIZE(rates) : 3;
    size_t nr_hots = g_test_slow() ? ARRAY_SIZE(hots) : 2;
    size_t nr_limits = g_test_slow() ? ARRAY_SIZE(limits) : 1;
    size_t inversions = 0, cells = 0, guests = 0, uneven = 0;
    size_t i, j, k;
    int hot_first;

    for (i = 0; i < nr_rates; i++) {
        for (j = 0; j < nr_hots; j++) {
            for (k = 0; k < nr_limits; k++) {
                for (hot_first = 0; hot_first < 2; hot_first++) {
                    size_t n = monotonic_in_bandwidth(rates[i], hots[j],
                                                      limits[k], hot_first,
                                                      &cells);

                    inversions += n;
                    uneven += !!n;
                    guests++;
                }
            }
        }
    }
    g_test_message("a higher downtime-limit gave a worse verdict in %zu of "
                   "%zu cells, for %zu of %zu guests", inversions, cells,
                   uneven, guests);
}

/*
 * Before the first sync after the start, without a measured curve,
 * nothing is known: the range spans a guest that dirties nothing, whose
 * migration ends when the pages left are sent, to one that dirties all
 * its memory at once, whose migration never does
 */
static void test_unknown(void)
{
    DirtyCurve fit[3];
    PrecopyEstimateRange r;
    PrecopyProgress g;
    bool from_base;
    Fake f;

    fake_init(&f, 1500, 4096, 300);
    fake_start(&f);
    fake_run(&f, 2000);
    fake_progress(&f, 1, &g);
    g.now.elapsed_us = f.now_ms * 1000;
    g.now.sent_pages = f.sent;
    g.now.transferred = f.sent * WIRE;
    g.now.dirty_before = g.now.dirty_after = f.dirty;
    g_assert_true(precopy_progress_check(&g, &error_abort));

    g_assert_cmpuint(precopy_refit(NULL, &g, fit, &from_base), ==, 0);
    g_assert_false(from_base);
    r = live_estimate(fit, &g, 300);
    g_assert_cmpint(r.verdict, ==, PRECOPY_UNCERTAIN);
    g_assert_false(r.measured.converges);
    /*
     * what is left of the first pass, in whole windows, less a window
     * for each sync to come
     */
    g_assert_cmpuint(r.min.dirty_syncs, >, g.dirty_sync_count);
    g_assert_cmpuint(r.min.total_time_ms, ==,
                     f.now_ms + (DIV_ROUND_UP(f.dirty, FAKE_WINDOW_PAGES) -
                                 (r.min.dirty_syncs - g.dirty_sync_count)) *
                     BUFFER_DELAY);
    fake_destroy(&f);
}

/*
 * Sync @i of a migration of 1000 pages that leaves @left pages and has
 * sent @sent, under @max_bandwidth and @downtime_limit, one a second;
 * precopy_stalled_syncs() of @syncs[0] to @syncs[@i]
 */
static size_t stalled_at(PrecopySync *syncs, size_t i, uint64_t left,
                         uint64_t sent, uint64_t max_bandwidth,
                         uint64_t downtime_limit)
{
    PrecopyProgress g = {
        .total_pages = 1000,
        .page_size = PAGE,
        .syncs = syncs,
        .nr_syncs = i + 1,
        .dirty_sync_count = i + 1,
    };

    syncs[i] = (PrecopySync) {
        .elapsed_us = i * 1000 * 1000,
        .dirty_before = MIN(i, 1) * left / 2,
        .dirty_after = left,
        .sent_pages = sent,
        .transferred = sent * WIRE,
        .max_bandwidth = max_bandwidth,
        .downtime_limit = downtime_limit,
    };
    g.now = syncs[i];
    g.now.dirty_before = g.now.dirty_after;
    return precopy_stalled_syncs(&g);
}

/*
 * precopy_stalled_syncs() counts the syncs after the first that gain
 * nothing, from the last that gained more than a sixteenth, and afresh
 * after a change of max-bandwidth or of downtime-limit.  Once stalled,
 * the count holds until a sync leaves no more than twice the threshold:
 * 400 pages sent a second with 300 ms make 120.
 */
static void test_stalled(void)
{
    /* pages left after each sync, and when a parameter changes */
    static const struct {
        uint64_t left;
        bool change;
        size_t stalled;
    } seq[] = {
        { 1000, false, 0 },     /* ram_init_bitmaps() */
        { 1000, false, 0 },     /* the first after it sets the low */
        { 400, false, 0 },      /* a gain */
        { 390, false, 1 },      /* 2.5% less: nothing gained */
        { 410, false, 2 },      /* stalled */
        { 300, false, 3 },      /* less, but above 240: the count holds */
        { 200, false, 0 },      /* below 240: a gain */
        { 195, false, 1 },
        { 195, true, 0 },       /* new parameters: the count starts over */
        { 196, false, 1 },
        { 197, false, 2 },
        { 198, false, 3 },
    };
    PrecopySync syncs[ARRAY_SIZE(seq)];
    uint64_t downtime_limit = 300;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(seq); i++) {
        downtime_limit += seq[i].change ? 100 : 0;
        g_assert_cmpuint(stalled_at(syncs, i, seq[i].left,
                                    i < 2 ? i * 400 : 1000 + i * 400,
                                    1000 * WIRE, downtime_limit),
                         ==, seq[i].stalled);
    }
}

/*
 * Pages left that decline by ever smaller steps, as a geometric series,
 * are stalled once its floor lies above twice the threshold: 400 pages
 * with 800, 600, 500 and 450 left, 400 pages sent a second.  A
 * downtime-limit of 300 ms makes a threshold of 120 pages, one of 1 s
 * 400: the migration may still converge.  Declines that grow are a gain.
 */
static void test_stalled_floor(void)
{
    static const struct {
        uint64_t downtime_limit;
        uint64_t left[5];
        size_t stalled[5];
    } cases[] = {
        { 300, { 1000, 800, 600, 500, 450 }, { 0, 0, 0, 1, 2 } },
        { 1000, { 1000, 800, 600, 500, 450 }, { 0, 0, 0, 0, 0 } },
        { 300, { 1000, 800, 500, 300, 200 }, { 0, 0, 0, 0, 0 } },
    };
    PrecopySync syncs[5];
    size_t c, i;

    for (c = 0; c < ARRAY_SIZE(cases); c++) {
        for (i = 0; i < ARRAY_SIZE(syncs); i++) {
            g_assert_cmpuint(stalled_at(syncs, i, cases[c].left[i], i * 400,
                                        400 * WIRE, cases[c].downtime_limit),
                             ==, cases[c].stalled[i]);
        }
    }
}

/* What precopy_progress_check() refuses */
static void test_progress_check(void)
{
    PrecopySync syncs[2] = {
        { .dirty_before = 0, .dirty_after = 100 },
        { .elapsed_us = 1000, .dirty_before = 10, .dirty_after = 20,
          .sent_pages = 90, .transferred = 90 * WIRE },
    };
    PrecopyProgress good = {
        .total_pages = 100,
        .page_size = PAGE,
        .syncs = syncs,
        .nr_syncs = 2,
        .dirty_sync_count = 5,
        .now = syncs[1],
    };
    PrecopyProgress g;
    PrecopySync bad[2];
    Error *err = NULL;

    good.now.dirty_before = good.now.dirty_after;
    g_assert_true(precopy_progress_check(&good, &error_abort));

#define REFUSED(change)                                                 \
    do {                                                                \
        g = good;                                                       \
        memcpy(bad, syncs, sizeof(bad));                                \
        g.syncs = bad;                                                  \
        change;                                                         \
        g_assert_false(precopy_progress_check(&g, &err));               \
        g_assert_nonnull(err);                                          \
        error_free(err);                                                \
        err = NULL;                                                     \
    } while (0)

    REFUSED(g.nr_syncs = 0);
    REFUSED(g.dirty_sync_count = 1);
    REFUSED(g.total_pages = 0);
    REFUSED(g.page_size = 0);
    REFUSED(g.now.dirty_before++);
    REFUSED(g.now.elapsed_us = 999);
    REFUSED(bad[0].elapsed_us = -1);
    REFUSED(bad[1].dirty_after = 9);
    REFUSED(g.now.sent_pages = 89);
    REFUSED(g.now.transferred = 0);
    REFUSED(bad[1].zero_sent = 91);
    REFUSED(bad[1].dirty_after = 101);
#undef REFUSED
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/precopy-live/stationary", test_stationary);
    g_test_add_func("/precopy-live/phase-change", test_phase_change);
    g_test_add_func("/precopy-live/idle", test_idle);
    g_test_add_func("/precopy-live/never-converges", test_never_converges);
    g_test_add_func("/precopy-live/hot-first", test_hot_first);
    g_test_add_func("/precopy-live/monotonic", test_monotonic);
    g_test_add_func("/precopy-live/unknown", test_unknown);
    g_test_add_func("/precopy-live/stalled", test_stalled);
    g_test_add_func("/precopy-live/stalled-floor", test_stalled_floor);
    g_test_add_func("/precopy-live/progress-check", test_progress_check);
    return g_test_run();
}
