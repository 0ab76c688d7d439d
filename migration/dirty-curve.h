/*
 * Dirty page curve: distinct guest pages dirtied over elapsed time
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The pieces of calc-dirty-rate that need no guest: the times at which a
 * measurement takes its readings, the loop that takes them, and sampling
 * by page hashes over plain memory.  They take a clock and memory from
 * the caller, so that tests can drive them with fake ones.
 */

#ifndef QEMU_MIGRATION_DIRTY_CURVE_H
#define QEMU_MIGRATION_DIRTY_CURVE_H

/*
 * Most readings one measurement takes: one per entry of the schedule
 * (see dirty_curve_schedule()) plus the one at calc-time.
 */
#define DIRTY_CURVE_MAX_READINGS 19

/* One point of the curve. */
typedef struct DirtyCurveReading {
    /* Milliseconds since the measurement started */
    int64_t elapsed_ms;
    /* Distinct pages dirtied since then, for the whole guest */
    uint64_t dirty_pages;
} DirtyCurveReading;

/* The dirty page curve of a finished measurement, as an estimate takes it */
typedef struct DirtyCurve {
    DirtyCurveReading readings[DIRTY_CURVE_MAX_READINGS];
    size_t nr_readings;         /* at least 1 */
    uint64_t total_pages;       /* pages that migration transfers */
    uint64_t sampled_pages;     /* pages hashed */
    uint64_t zero_pages;        /* of total_pages, estimated all zero */
    uint64_t page_size;         /* bytes per page */
    bool exact;                 /* readings count every page (dirty-bitmap) */
} DirtyCurve;

/**
 * dirty_curve_schedule: When a measurement takes its readings
 *
 * The readings follow a fixed table of elapsed times, from 125 ms up,
 * closer together at the start where pre-copy iterations are short.
 * Entries of the table before @calc_time_ms are kept and a last reading
 * is taken at exactly @calc_time_ms.
 *
 * @calc_time_ms: length of the measurement, at least 1
 * @times: DIRTY_CURVE_MAX_READINGS entries, filled with the elapsed times
 *         of the readings in ascending order
 *
 * Returns: the number of readings, at least 1
 */
size_t dirty_curve_schedule(int64_t calc_time_ms, int64_t *times);

/*
 * Take one reading: the distinct pages dirtied since the start of the
 * measurement.  @last is true for the reading at calc-time.
 */
typedef uint64_t DirtyCurveReadFn(bool last, void *opaque);

typedef struct DirtyCurveOps {
    /* A monotonic clock, in milliseconds. */
    int64_t (*now_ms)(void *opaque);
    /* Return once now_ms() has reached @deadline_ms. */
    void (*sleep_until_ms)(int64_t deadline_ms, void *opaque);
    DirtyCurveReadFn *read;
} DirtyCurveOps;

/**
 * dirty_curve_measure: Take the readings of one measurement
 *
 * Sleeps until each time of dirty_curve_schedule() and takes a reading
 * there.  A reading that falls due while an earlier one is still being
 * taken is skipped, except the last.  Each reading is stored in
 * @readings before @published is raised past it (with release
 * semantics), so another thread may read @readings[0 .. *@published - 1]
 * while the measurement runs.
 *
 * @ops: the clock and the reader
 * @opaque: passed to the @ops callbacks
 * @start_ms: when the measurement started, on the @ops clock
 * @calc_time_ms: length of the measurement, at least 1
 * @readings: room for DIRTY_CURVE_MAX_READINGS readings
 * @published: number of readings stored so far
 *
 * Returns: the number of readings taken
 */
size_t dirty_curve_measure(const DirtyCurveOps *ops, void *opaque,
                           int64_t start_ms, int64_t calc_time_ms,
                           DirtyCurveReading *readings, size_t *published);

/*
 * Sampling by page hashes.  Random pages of a region are hashed at the
 * start; a reading hashes them again.  A sampled page counts as dirtied
 * from the first reading at which its hash differs from the one at the
 * start, and stays counted: its contents may later return to what they
 * were, yet it was dirtied.
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
