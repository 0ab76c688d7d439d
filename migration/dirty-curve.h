/*
 * Dirty page curve: distinct guest pages dirtied over elapsed time
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The pieces of calc-dirty-rate's curve that need no guest: the times at
 * which a measurement takes its readings, and the loop that takes them.
 * They take a clock and a reader from the caller, so that tests can
 * drive them with fake ones.
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
    /* Page-sampling: of the sampled pages, those seen dirtied by then */
    uint64_t sampled_dirty;
} DirtyCurveReading;

/*
 * The migration thread's work per page on this host, in nanoseconds, as
 * calc-dirty-rate timed it on the guest's own memory (see dirty-pace.h);
 * 0 where unknown.  A page costs a migration this much time besides its
 * bytes on the wire, whatever the rate limit.
 */
typedef struct DirtyPace {
    uint64_t zero_ns;           /* a zero page: read and found all zeros */
    uint64_t page_ns;           /* a page with data: checked, copied out */
    /* ... and more when the destination writes it for the first time */
    uint64_t fresh_ns;
    /* ... as little and as much as it took per page in a huge page */
    uint64_t min_fresh_ns;
    uint64_t max_fresh_ns;
} DirtyPace;

/*
 * The dirty page curve of a finished measurement, as an estimate takes it.
 * In page-sampling mode, its readings and its zero pages are fractions of
 * the sampled pages scaled to the pages they were drawn from; in
 * dirty-bitmap mode, every page is counted.
 */
typedef struct DirtyCurve {
    DirtyCurveReading readings[DIRTY_CURVE_MAX_READINGS];
    size_t nr_readings;         /* at least 1 */
    uint64_t total_pages;       /* pages that migration transfers */
    uint64_t sampled_space;     /* ... of which samples were drawn from */
    uint64_t sampled_pages;     /* samples drawn: pages hashed */
    uint64_t sampled_zero;      /* samples all zero at the start */
    uint64_t zero_pages;        /* of total_pages, all zero at the start */
    uint64_t page_size;         /* bytes per page */
    bool exact;                 /* every page counted (dirty-bitmap) */
    /* the share of their time the vCPUs ran meanwhile; 0 if unknown */
    double vcpu_busy;
    DirtyPace pace;
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
 * Take one reading: fill in the counts of @reading, the distinct pages
 * dirtied since the start of the measurement.  @last is true for the
 * reading at calc-time.
 */
typedef void DirtyCurveReadFn(bool last, DirtyCurveReading *reading,
                              void *opaque);

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

#endif
