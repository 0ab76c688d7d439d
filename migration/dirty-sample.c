/*
 * Dirty page sampling: which of some random guest pages changed
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/cutils.h"
#include "qemu/host-utils.h"
#include "qemu/xxhash.h"
#include "dirty-sample.h"

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

void dirty_sample_hash(DirtySample *s)
{
    uint64_t i;

    for (i = 0; i < s->count; i++) {
        s->hash[i] = dirty_sample_page_hash(sample_page(s, i), s->page_size);
    }
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
