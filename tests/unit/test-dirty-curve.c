/*
 * Dirty page curve: schedule, readings and page sampling
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The measurement loop runs on a fake clock: sleeping moves it forward and
 * performs the writes a test scheduled up to then, on fake guest memory.
 * Every expected count follows from the writes and from which pages the
 * sampler drew, so each assertion is exact.
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/bitmap.h"
#include "qemu/host-utils.h"
#include "../../migration/dirty-curve.h"
#include "../../migration/dirty-pace.h"
#include "../../migration/dirty-sample.h"

#define PAGE_SIZE 64

/*
 * A write of @value to the first byte of @count pages from @first.  A
 * test's writes are in order of time.
 */
typedef struct FakeWrite {
    int64_t at_ms;
    uint64_t first;
    uint64_t count;
    uint8_t value;
} FakeWrite;

typedef struct FakeGuest {
    uint8_t *ram;
    uint64_t pages;
    DirtySample sample;
    int64_t now_ms;
    const FakeWrite *writes;
    size_t nr_writes;
    size_t next_write;
    int64_t read_cost_ms;       /* each reading takes this long */
    unsigned nr_reads;
    bool last_seen;
} FakeGuest;

static int64_t fake_now_ms(void *opaque)
{
    FakeGuest *g = opaque;

    return g->now_ms;
}

static void fake_run_until(FakeGuest *g, int64_t t)
{
    while (g->next_write < g->nr_writes &&
           g->writes[g->next_write].at_ms <= t) {
        const FakeWrite *w = &g->writes[g->next_write++];
        uint64_t p;

        for (p = w->first; p < w->first + w->count; p++) {
            g->ram[p * PAGE_SIZE] = w->value;
        }
    }
    g->now_ms = MAX(g->now_ms, t);
}

static void fake_sleep_until_ms(int64_t deadline_ms, void *opaque)
{
    fake_run_until(opaque, deadline_ms);
}

static void fake_read(bool last, DirtyCurveReading *reading, void *opaque)
{
    FakeGuest *g = opaque;
    uint64_t changed = dirty_sample_check(&g->sample, last);

    g_assert_false(g->last_seen);
    g->last_seen = last;
    g->nr_reads++;
    fake_run_until(g, g->now_ms + g->read_cost_ms);
    reading->sampled_dirty = changed;
    reading->dirty_pages = dirty_sample_scale(changed, g->sample.count,
                                              g->pages);
}

static const DirtyCurveOps fake_ops = {
    .now_ms = fake_now_ms,
    .sleep_until_ms = fake_sleep_until_ms,
    .read = fake_read,
};

static void fake_guest_init(FakeGuest *g, uint64_t pages, uint64_t samples,
                            guint32 seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);

    *g = (FakeGuest) { .pages = pages };
    g->ram = g_malloc0(pages * PAGE_SIZE);
    g_assert_true(dirty_sample_start(&g->sample, g->ram, pages, PAGE_SIZE,
                                     samples, rand));
}

static void fake_guest_free(FakeGuest *g)
{
    dirty_sample_free(&g->sample);
    g_free(g->ram);
}

/* Samples that fall into pages [first, first + count) */
static uint64_t samples_in(const FakeGuest *g, uint64_t first, uint64_t count)
{
    uint64_t n = 0;
    uint64_t i;

    for (i = 0; i < g->sample.count; i++) {
        n += g->sample.page[i] >= first && g->sample.page[i] < first + count;
    }
    return n;
}

static size_t fake_measure(FakeGuest *g, int64_t calc_time_ms,
                           DirtyCurveReading *readings)
{
    size_t published = 0;
    size_t n = dirty_curve_measure(&fake_ops, g, g->now_ms, calc_time_ms,
                                   readings, &published);

    g_assert_cmpuint(published, ==, n);
    g_assert_true(g->last_seen);
    return n;
}

static void test_schedule(void)
{
    static const int64_t one_second[] = { 125, 250, 375, 500, 750, 1000 };
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t n;
    size_t i;

    n = dirty_curve_schedule(1000, times);
    g_assert_cmpuint(n, ==, ARRAY_SIZE(one_second));
    for (i = 0; i < n; i++) {
        g_assert_cmpint(times[i], ==, one_second[i]);
    }

    /* shorter than the first entry: one reading, at calc-time */
    g_assert_cmpuint(dirty_curve_schedule(50, times), ==, 1);
    g_assert_cmpint(times[0], ==, 50);

    /* between entries: ends exactly at calc-time */
    n = dirty_curve_schedule(7000, times);
    g_assert_cmpint(times[n - 2], ==, 6000);
    g_assert_cmpint(times[n - 1], ==, 7000);

    /* the longest calc-time fills the table, with no reading twice */
    n = dirty_curve_schedule(60000, times);
    g_assert_cmpuint(n, <=, DIRTY_CURVE_MAX_READINGS);
    g_assert_cmpint(times[n - 1], ==, 60000);
    for (i = 1; i < n; i++) {
        g_assert_cmpint(times[i - 1], <, times[i]);
    }
}

static void test_measure_on_schedule(void)
{
    DirtyCurveReading r[DIRTY_CURVE_MAX_READINGS];
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    FakeGuest g;
    size_t n, i;

    fake_guest_init(&g, 64, 64, 1);
    g.now_ms = 5000;            /* any start time */
    n = fake_measure(&g, 2000, r);
    g_assert_cmpuint(n, ==, dirty_curve_schedule(2000, times));
    for (i = 0; i < n; i++) {
        g_assert_cmpint(r[i].elapsed_ms, ==, times[i]);
    }
    fake_guest_free(&g);
}

static void test_measure_behind_schedule(void)
{
    /*
     * Each reading takes 300 ms.  The 125 ms one ends at 425 ms, past
     * the 250 and 375 ms slots: the first is dropped, the second taken
     * late, and so on.  Readings carry the time they were really taken.
     */
    static const int64_t expect[] = { 125, 425, 725, 1025 };
    DirtyCurveReading r[DIRTY_CURVE_MAX_READINGS];
    FakeGuest g;
    size_t n, i;

    fake_guest_init(&g, 64, 64, 1);
    g.read_cost_ms = 300;
    n = fake_measure(&g, 1000, r);
    g_assert_cmpuint(n, ==, g.nr_reads);
    g_assert_cmpuint(n, ==, ARRAY_SIZE(expect));
    for (i = 0; i < n; i++) {
        g_assert_cmpint(r[i].elapsed_ms, ==, expect[i]);
    }

    /* Even a reading that overruns calc-time is followed by the last. */
    fake_guest_free(&g);
    fake_guest_init(&g, 64, 64, 1);
    g.read_cost_ms = 5000;
    n = fake_measure(&g, 1000, r);
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmpint(r[1].elapsed_ms, ==, 5125);
    fake_guest_free(&g);
}

static void test_idle_reads_zero(void)
{
    DirtyCurveReading r[DIRTY_CURVE_MAX_READINGS];
    FakeGuest g;
    size_t n, i;

    fake_guest_init(&g, 4096, 512, 2);
    n = fake_measure(&g, 10000, r);
    for (i = 0; i < n; i++) {
        g_assert_cmpuint(r[i].dirty_pages, ==, 0);
    }
    g_assert_cmpuint(g.sample.differ_count, ==, 0);
    fake_guest_free(&g);
}

static int fake_write_cmp(const void *a, const void *b)
{
    const FakeWrite *x = a, *y = b;

    return (x->at_ms > y->at_ms) - (x->at_ms < y->at_ms);
}

static void test_written_once_counts_once(void)
{
    /*
     * Pages 0-99 are written at 100 ms and rewritten 300 times after
     * that, 256 values in all, so they also hold their old contents again
     * at times; pages 1000-1049 are written once at 2200 ms.
     */
    FakeWrite w[302];
    DirtyCurveReading r[DIRTY_CURVE_MAX_READINGS];
    uint64_t pages = 4096, first, second;
    FakeGuest g;
    size_t n, i;

    for (i = 0; i < 301; i++) {
        w[i] = (FakeWrite) { 100 + i * 10, 0, 100, (i + 1) % 256 };
    }
    w[301] = (FakeWrite) { 2200, 1000, 50, 1 };
    qsort(w, ARRAY_SIZE(w), sizeof(w[0]), fake_write_cmp);

    fake_guest_init(&g, pages, pages, 3);
    g.writes = w;
    g.nr_writes = ARRAY_SIZE(w);
    first = samples_in(&g, 0, 100);
    second = samples_in(&g, 1000, 50);
    g_assert_cmpuint(first, >, 0);
    g_assert_cmpuint(second, >, 0);

    n = fake_measure(&g, 4000, r);
    for (i = 0; i < n; i++) {
        uint64_t hits = first + (r[i].elapsed_ms >= 2200 ? second : 0);

        g_assert_cmpuint(r[i].dirty_pages, ==,
                         dirty_sample_scale(hits, pages, pages));
        if (i) {
            g_assert_cmpuint(r[i - 1].dirty_pages, <=, r[i].dirty_pages);
        }
    }
    /*
     * The last write, at 3100 ms, stored 301 % 256 = 45 in pages 0-99,
     * so they differ at the end, as do pages 1000-1049.
     */
    g_assert_cmpuint(g.sample.differ_count, ==, first + second);
    fake_guest_free(&g);
}

static void test_restored_page_stays_counted(void)
{
    /* Written at 200 ms, restored to zero at 600 ms */
    static const FakeWrite w[] = {
        { 200, 10, 20, 0xaa },
        { 600, 10, 20, 0 },
    };
    DirtyCurveReading r[DIRTY_CURVE_MAX_READINGS];
    FakeGuest g;
    uint64_t hits;
    size_t n;

    fake_guest_init(&g, 256, 256, 4);
    g.writes = w;
    g.nr_writes = ARRAY_SIZE(w);
    hits = samples_in(&g, 10, 20);
    g_assert_cmpuint(hits, >, 0);

    n = fake_measure(&g, 1000, r);
    g_assert_cmpuint(r[0].dirty_pages, ==, 0);      /* 125 ms */
    g_assert_cmpuint(r[n - 1].dirty_pages, ==,
                     dirty_sample_scale(hits, 256, 256));
    /* What dirty-rate counts: nothing differs at the end */
    g_assert_cmpuint(g.sample.differ_count, ==, 0);
    fake_guest_free(&g);
}

static void test_zero_pages(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(5);
    uint64_t pages = 1000, expect = 0, i;
    g_autofree uint8_t *ram = g_malloc0(pages * PAGE_SIZE);
    DirtySample s;

    /* every third page has a non-zero byte at its very end */
    for (i = 0; i < pages; i += 3) {
        ram[i * PAGE_SIZE + PAGE_SIZE - 1] = 1;
    }
    g_assert_true(dirty_sample_start(&s, ram, pages, PAGE_SIZE, 300, rand));
    for (i = 0; i < s.count; i++) {
        expect += s.page[i] % 3 != 0;
    }
    g_assert_cmpuint(s.zero_count, ==, expect);
    dirty_sample_free(&s);
}

/*
 * Sampling error: with n samples and a dirtied fraction p, the scaled
 * count has a relative standard deviation of sqrt((1 - p) / (p * n)).
 * Over many seeds the estimates must fall within two of them about 95%
 * of the time, and never beyond five.
 */
static void test_scaling_error(void)
{
    const uint64_t pages = 1 << 16, samples = 2048;
    const double p = 0.3;
    const int seeds = 200;
    g_autofree uint8_t *ram = g_malloc0(pages * PAGE_SIZE);
    double sd = pages * p * sqrt((1 - p) / (p * samples));
    uint64_t truth = pages * 3 / 10;
    int within = 0;
    int seed;

    for (seed = 0; seed < seeds; seed++) {
        g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
        DirtySample s;
        uint64_t i, est;

        memset(ram, 0, pages * PAGE_SIZE);
        g_assert_true(dirty_sample_start(&s, ram, pages, PAGE_SIZE,
                                         samples, rand));
        for (i = 0; i < truth; i++) {
            ram[i * PAGE_SIZE] = 1;
        }
        est = dirty_sample_scale(dirty_sample_check(&s, false), s.count,
                                 pages);
        g_assert_cmpfloat(fabs((double)est - truth), <, 5 * sd);
        within += fabs((double)est - truth) < 2 * sd;
        dirty_sample_free(&s);
    }
    g_assert_cmpint(within, >=, seeds * 90 / 100);
}

static void test_scale(void)
{
    g_assert_cmpuint(dirty_sample_scale(0, 0, 100), ==, 0);
    g_assert_cmpuint(dirty_sample_scale(1, 3, 100), ==, 33);
    g_assert_cmpuint(dirty_sample_scale(2, 3, 100), ==, 67);
    g_assert_cmpuint(dirty_sample_scale(5, 5, UINT64_MAX), ==, UINT64_MAX);
    /* 16 TiB of 4 KiB pages, half of 2^28 samples dirty */
    g_assert_cmpuint(dirty_sample_scale(1ULL << 27, 1ULL << 28, 1ULL << 32),
                     ==, 1ULL << 31);
    g_assert_cmpuint(dirty_sample_scale(UINT64_MAX, UINT64_MAX, 1ULL << 40),
                     ==, 1ULL << 40);
}

static void test_hash(void)
{
    g_autofree uint8_t *page = g_malloc0(4096);
    uint32_t zero = dirty_sample_page_hash(page, 4096);
    size_t i;

    g_assert_cmpuint(dirty_sample_page_hash(page, 4096), ==, zero);
    /* any single byte, anywhere in the page, changes the hash */
    for (i = 0; i < 4096; i += 61) {
        page[i] = 1;
        g_assert_cmpuint(dirty_sample_page_hash(page, 4096), !=, zero);
        page[i] = 0;
    }
}

/* Hashed again, the sample counts from there: what changed before not */
static void test_hash_again(void)
{
    const uint64_t pages = 64;
    g_autoptr(GRand) rand = g_rand_new_with_seed(7);
    g_autofree uint8_t *ram = g_malloc0(pages * PAGE_SIZE);
    DirtySample s;
    uint64_t same = 0, i;

    g_assert_true(dirty_sample_start(&s, ram, pages, PAGE_SIZE, 256, rand));
    ram[s.page[0] * PAGE_SIZE] = 1;
    dirty_sample_hash(&s);
    g_assert_cmpuint(dirty_sample_check(&s, true), ==, 0);
    g_assert_cmpuint(s.differ_count, ==, 0);

    /* every sample of that page, drawn with replacement, counts now */
    ram[s.page[0] * PAGE_SIZE] = 2;
    for (i = 0; i < s.count; i++) {
        same += s.page[i] == s.page[0];
    }
    g_assert_cmpuint(dirty_sample_check(&s, false), ==, same);
    dirty_sample_free(&s);
}

static void test_empty_sample(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(6);
    uint8_t ram[PAGE_SIZE] = { 0 };
    DirtySample s;

    g_assert_true(dirty_sample_start(&s, ram, 1, PAGE_SIZE, 0, rand));
    g_assert_cmpuint(dirty_sample_check(&s, true), ==, 0);
    g_assert_cmpuint(dirty_sample_scale(s.changed_count, s.count, 1), ==, 0);
    dirty_sample_free(&s);
    g_assert_true(dirty_sample_start(&s, ram, 0, PAGE_SIZE, 10, rand));
    g_assert_cmpuint(s.count, ==, 0);
    dirty_sample_free(&s);
}

/* A block's share of the chunks: at least one for a block of one chunk */
static void test_pace_chunks(void)
{
    g_assert_cmpuint(dirty_pace_chunks(DIRTY_PACE_CHUNK_BYTES - 1,
                                       64 * DIRTY_PACE_CHUNK_BYTES), ==, 0);
    g_assert_cmpuint(dirty_pace_chunks(DIRTY_PACE_CHUNK_BYTES,
                                       1024 * DIRTY_PACE_CHUNK_BYTES), ==, 1);
    g_assert_cmpuint(dirty_pace_chunks(1024 * DIRTY_PACE_CHUNK_BYTES,
                                       1024 * DIRTY_PACE_CHUNK_BYTES), ==,
                     DIRTY_PACE_CHUNKS);
    g_assert_cmpuint(dirty_pace_chunks(512 * DIRTY_PACE_CHUNK_BYTES,
                                       1024 * DIRTY_PACE_CHUNK_BYTES), ==,
                     DIRTY_PACE_CHUNKS / 2);
}

/*
 * Chunks read from memory half zero and half data count every page they
 * read by its kind, whatever the clock says
 */
static void test_pace_kinds(void)
{
    const size_t page = 4096, per_chunk = DIRTY_PACE_CHUNK_BYTES / page;
    g_autofree uint8_t *mem = g_malloc0(2 * DIRTY_PACE_CHUNK_BYTES);
    g_autoptr(GRand) rand = g_rand_new_with_seed(1);
    DirtyPaceProbe probe = {};
    DirtyPace pace;
    size_t i;

    for (i = per_chunk; i < 2 * per_chunk; i++) {
        mem[i * page + page - 1] = 1;
    }
    dirty_pace_probe_memory(&probe, mem, 2 * per_chunk, page, 16, rand);
    g_assert_cmpuint(probe.zero_pages + probe.data_pages, ==, 16 * per_chunk);
    g_assert_cmpuint(probe.zero_pages % per_chunk, ==, 0);
    g_assert_cmpuint(probe.zero_pages, >, 0);
    g_assert_cmpuint(probe.data_pages, >, 0);

    /* a block smaller than a chunk is not read */
    dirty_pace_probe_memory(&probe, mem, per_chunk - 1, page, 16, rand);
    g_assert_cmpuint(probe.zero_pages + probe.data_pages, ==, 16 * per_chunk);

    /* a page of either kind takes its way through the stream too */
    dirty_pace_probe_stream(&probe, page);
    g_assert_cmpuint(probe.stream_pages, ==, 8 * per_chunk);
    g_assert_cmpuint(probe.zero_stream_pages, ==, 8 * per_chunk);
    dirty_pace_result(&probe, &pace);
    g_assert_cmpuint(pace.page_ns, >=,
                     DIV_ROUND_UP(probe.data_ns, probe.data_pages));
    g_assert_cmpuint(pace.zero_ns, >=,
                     DIV_ROUND_UP(probe.zero_ns, probe.zero_pages));
    g_assert_cmpuint(pace.fresh_ns, ==, probe.fresh_ns / (8 * per_chunk));
    /* the mean of the chunks lies between the fastest and the slowest */
    g_assert_cmpuint(pace.min_fresh_ns, <=, pace.fresh_ns);
    g_assert_cmpuint(pace.fresh_ns, <=, pace.max_fresh_ns);
}

/* A kind no page had takes the other's check; nothing timed, nothing known */
static void test_pace_result(void)
{
    DirtyPaceProbe probe = { .zero_pages = 10, .zero_ns = 1000 };
    DirtyPace pace;

    dirty_pace_result(&probe, &pace);
    g_assert_cmpuint(pace.zero_ns, ==, 100);
    g_assert_cmpuint(pace.page_ns, ==, 100);
    g_assert_cmpuint(pace.fresh_ns, ==, 0);
    probe = (DirtyPaceProbe) {};
    dirty_pace_result(&probe, &pace);
    g_assert_cmpuint(pace.zero_ns + pace.page_ns + pace.fresh_ns, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/dirty-curve/schedule", test_schedule);
    g_test_add_func("/dirty-curve/measure/on-schedule",
                    test_measure_on_schedule);
    g_test_add_func("/dirty-curve/measure/behind-schedule",
                    test_measure_behind_schedule);
    g_test_add_func("/dirty-curve/sample/idle", test_idle_reads_zero);
    g_test_add_func("/dirty-curve/sample/written-once-counts-once",
                    test_written_once_counts_once);
    g_test_add_func("/dirty-curve/sample/restored-stays-counted",
                    test_restored_page_stays_counted);
    g_test_add_func("/dirty-curve/sample/zero-pages", test_zero_pages);
    g_test_add_func("/dirty-curve/sample/scaling-error", test_scaling_error);
    g_test_add_func("/dirty-curve/sample/scale", test_scale);
    g_test_add_func("/dirty-curve/sample/hash", test_hash);
    g_test_add_func("/dirty-curve/sample/hash-again", test_hash_again);
    g_test_add_func("/dirty-curve/sample/empty", test_empty_sample);
    g_test_add_func("/dirty-curve/pace/chunks", test_pace_chunks);
    g_test_add_func("/dirty-curve/pace/kinds", test_pace_kinds);
    g_test_add_func("/dirty-curve/pace/result", test_pace_result);

    return g_test_run();
}
