/*
 * Dirty page sampling: which of some random guest pages changed
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * calc-dirty-rate's page-sampling mode over plain memory: it takes its
 * memory and its random numbers from the caller, so that tests can run
 * it on memory of their own.
 */

#ifndef QEMU_MIGRATION_DIRTY_SAMPLE_H
#define QEMU_MIGRATION_DIRTY_SAMPLE_H

/*
 * Sampling by page hashes.  Random pages of a region are hashed at the
 * start; a reading hashes them again, in the same order.  A sampled page
 * counts as dirtied from the first reading at which its hash differs
 * from the one at the start, and stays counted: its contents may later
 * return to what they were, yet it was dirtied.  A reading sees each
 * sample the time between the starts of the two passes after the start
 * did only if the passes go at the same speed, and the first read of a
 * page that QEMU has not touched yet can fault: a caller that times its
 * readings hashes the samples again (dirty_sample_hash()), in a pass
 * over pages already read once, and counts time from there.
 */
typedef struct DirtySample {
    const uint8_t *host;        /* first byte of the region */
    uint64_t pages;             /* pages in the region */
    size_t page_size;           /* bytes per page, a multiple of 32 */
    uint64_t count;             /* sampled pages */
    uint64_t *page;             /* page index of each sample */
    uint32_t *hash;             /* hash of each sample at the start */
    unsigned long *changed;     /* samples seen changed at some reading */
    uint64_t changed_count;     /* bits set in @changed */
    uint64_t differ_count;      /* samples differing at the last full check */
    uint64_t zero_count;        /* samples all zero at the start */
} DirtySample;

/**
 * dirty_sample_start: Pick the pages to sample and hash them
 *
 * Samples are drawn uniformly, with replacement, from all pages of the
 * region.  Also counts the samples that are all zeros.
 *
 * @s: the sample to set up; dirty_sample_free() releases it
 * @host: first byte of the region
 * @pages: pages in the region
 * @page_size: bytes per page, a multiple of 32
 * @count: pages to sample; 0 makes an empty sample
 * @rand: random number source
 *
 * Returns: false if memory for the sample could not be allocated
 */
bool dirty_sample_start(DirtySample *s, const void *host, uint64_t pages,
                        size_t page_size, uint64_t count, GRand *rand);

/**
 * dirty_sample_hash: Hash the sampled pages again, as the start does
 *
 * @s: the sample, with no reading taken yet
 */
void dirty_sample_hash(DirtySample *s);

/**
 * dirty_sample_check: Hash the sampled pages again
 *
 * Only samples not yet seen changed are hashed, unless @full, which
 * hashes every sample and sets @differ_count: how many differ from the
 * start right now (what calc-dirty-rate's dirty-rate has always counted).
 *
 * @s: the sample
 * @full: hash every sample
 *
 * Returns: @s->changed_count, the samples seen changed so far
 */
uint64_t dirty_sample_check(DirtySample *s, bool full);

/**
 * dirty_sample_free: Release what dirty_sample_start() allocated
 *
 * @s: the sample; may be all zeros
 */
void dirty_sample_free(DirtySample *s);

/**
 * dirty_sample_scale: Scale a count of samples to the whole region
 *
 * @hits: samples with some property
 * @count: samples taken
 * @pages: pages in the region
 *
 * Returns: @hits * @pages / @count, rounded to nearest, or 0 if @count
 * is 0; exact for any 64-bit inputs
 */
uint64_t dirty_sample_scale(uint64_t hits, uint64_t count, uint64_t pages);

/**
 * dirty_sample_page_hash: 32-bit xxHash64 of one page
 *
 * @page: the page
 * @page_size: its size in bytes, a multiple of 32
 */
uint32_t dirty_sample_page_hash(const void *page, size_t page_size);

#endif
