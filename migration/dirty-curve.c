/*
 * Dirty page curve: distinct guest pages dirtied over elapsed time
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"
#include "qemu/bitmap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "qemu/xxhash.h"
#include "dirty-curve.h"

/*
 * Elapsed times of the readings, in milliseconds.  Pre-copy iterations
 * range from milliseconds (the last ones, bounded by downtime-limit) to
 * minutes (the first, a pass over all of RAM), so the readings are dense
 * where the curve bends most and sparse where it flattens.  The last
 * entry is the longest calc-time that calc-dirty-rate accepts.
 */
static const int64_t dirty_curve_times_ms[] = {
    125, 250, 375, 500, 750,
    1000, 1500, 2000, 3000, 4000, 6000, 8000,
    10000, 15000, 20000, 30000, 45000, 60000,
};

QEMU_BUILD_BUG_ON(ARRAY_SIZE(dirty_curve_times_ms) + 1 >
                  DIRTY_CURVE_MAX_READINGS);

size_t dirty_curve_schedule(int64_t calc_time_ms, int64_t *times)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(dirty_curve_times_ms) &&
                dirty_curve_times_ms[i] < calc_time_ms; i++) {
        times[n++] = dirty_curve_times_ms[i];
    }
    times[n++] = calc_time_ms;
    return n;
}

size_t dirty_curve_measure(const DirtyCurveOps *ops, void *opaque,
                           int64_t start_ms, int64_t calc_time_ms,
                           DirtyCurveReading *readings, size_t *published)
{
    int64_t times[DIRTY_CURVE_MAX_READINGS];
    size_t n = dirty_curve_schedule(calc_time_ms, times);
    size_t taken = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        bool last = i == n - 1;

        /* Behind schedule: drop this reading if the next is due too. */
        if (!last && ops->now_ms(opaque) - start_ms >= times[i + 1]) {
            continue;
        }
        ops->sleep_until_ms(start_ms + times[i], opaque);
        readings[taken].elapsed_ms = ops->now_ms(opaque) - start_ms;
        readings[taken].dirty_pages = ops->read(last, opaque);
        qatomic_store_release(published, ++taken);
    }
    return taken;
}

uint32_t dirty_sample_page_hash(const void *page, size_t page_size)
{
    const uint64_t *word = page;
    uint64_t lane0 = QEMU_XXHASH_SEED + XXH_PRIME64_1 + XXH_PRIME64_2;
    uint64_t lane1 = QEMU_XXHASH_SEED + XXH_PRIME64_2;
    uint64_t lane2 = QEMU_XXHASH_SEED;
    uint64_t lane3 = QEMU_XXHASH_SEED - XXH_PRIME64_1;
    size_t i;

    for (i = 0; i < page_size / sizeof(uint64_t); i += 4) {
        lane0 = XXH64_round(lane0, word[i]);
        lane1 = XXH64_round(lane1, word[i + 1]);
        lane2 = XXH64_round(lane2, word[i + 2]);
        lane3 = XXH64_round(lane3, word[i + 3]);
    }
    return XXH64_avalanche(XXH64_mergerounds(lane0, lane1, lane2, lane3) +
                           page_size);
}

static const void *sample_page(const DirtySample *s, uint64_t i)
{
    return s->host + s->page[i] * s->page_size;
}

/* Uniform in [0, n): 64 random bits, whose modulo bias is below 2^-20 */
static uint64_t random_below(GRand *rand, uint64_t n)
{
    uint64_t r = (uint64_t)g_rand_int(rand) << 32 | g_rand_int(rand);

    return r % n;
}

bool dirty_sample_start(DirtySample *s, const void *host, uint64_t pages,
                        size_t page_size, uint64_t count, GRand *rand)
{
    uint64_t i;

    assert(page_size && page_size % 32 == 0);
    *s = (DirtySample) {
        .host = host,
        .pages = pages,
        .page_size = page_size,
    };
    if (!pages || !count) {
        return true;
    }
    s->page = g_try_new(uint64_t, count);
    s->hash = g_try_new(uint32_t, count);
    s->changed = g_try_new0(unsigned long, BITS_TO_LONGS(count));
    if (!s->page || !s->hash || !s->changed) {
        dirty_sample_free(s);
        return false;
    }
    s->count = count;
    for (i = 0; i < count; i++) {
        s->page[i] = random_below(rand, pages);
    }
    for (i = 0; i < count; i++) {
        const void *p = sample_page(s, i);

        s->hash[i] = dirty_sample_page_hash(p, page_size);
        s->zero_count += buffer_is_zero(p, page_size);
    }
    return true;
}

uint64_t dirty_sample_check(DirtySample *s, bool full)
{
    uint64_t i;

    if (full) {
        s->differ_count = 0;
    }
    for (i = 0; i < s->count; i++) {
        bool seen = test_bit(i, s->changed);
        bool differs;

        if (seen && !full) {
            continue;
        }
        differs = dirty_sample_page_hash(sample_page(s, i), s->page_size) !=
                  s->hash[i];
        s->differ_count += full && differs;
        if (differs && !seen) {
            set_bit(i, s->changed);
            s->changed_count++;
        }
    }
    return s->changed_count;
}

void dirty_sample_free(DirtySample *s)
{
    g_free(s->page);
    g_free(s->hash);
    g_free(s->changed);
    s->page = NULL;
    s->hash = NULL;
    s->changed = NULL;
    s->count = 0;
}

uint64_t dirty_sample_scale(uint64_t hits, uint64_t count, uint64_t pages)
{
    uint64_t lo, hi;

    if (!count) {
        return 0;
    }
    mulu64(&lo, &hi, hits, pages);
    /* round to nearest */
    if (uadd64_overflow(lo, count / 2, &lo)) {
        hi++;
    }
    divu128(&lo, &hi, count);
    return hi ? UINT64_MAX : lo;
}
