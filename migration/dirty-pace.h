/*
 * The migration thread's work per page, timed on the guest's memory
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Sending a page takes the migration thread time as well as bytes:
 * save_zero_page() reads it to check it for zeros, a page with data is
 * copied into the stream and, on the destination, into guest memory that
 * its host faults in the first time.  That work depends on the host and
 * on what the guest left in memory, so calc-dirty-rate times it on the
 * guest's own memory while it measures the curve.
 */

#ifndef QEMU_MIGRATION_DIRTY_PACE_H
#define QEMU_MIGRATION_DIRTY_PACE_H

#include "dirty-curve.h"

/* The chunks of guest memory a measurement reads, of this many bytes */
#define DIRTY_PACE_CHUNK_BYTES (2 * 1024 * 1024ULL)
#define DIRTY_PACE_CHUNKS 8

/* Time spent on the pages of each kind, as a measurement adds it up */
typedef struct DirtyPaceProbe {
    uint64_t zero_pages, zero_ns;
    uint64_t data_pages, data_ns;
    uint64_t stream_pages, stream_ns;
    uint64_t fresh_ns;
    /* of its chunks, of this many pages, the fastest and the slowest */
    uint64_t fresh_chunk_pages;
    int64_t fresh_min_ns;
    int64_t fresh_max_ns;
    uint64_t zero_stream_pages, zero_stream_ns;
} DirtyPaceProbe;

/**
 * dirty_pace_chunks: How many chunks a RAM block gets
 *
 * @bytes: the block's size
 * @total: the size of all the blocks measured, at least @bytes
 *
 * Returns: its share of DIRTY_PACE_CHUNKS, rounded up: at least one for
 * a block of a chunk or more, none for a smaller one
 */
unsigned dirty_pace_chunks(uint64_t bytes, uint64_t total);

/**
 * dirty_pace_probe_memory: Time the reads of some of a block's pages
 *
 * Reads @chunks chunks of DIRTY_PACE_CHUNK_BYTES at random chunk-aligned
 * places of the block, page by page in address order, each page checked
 * for zeros.  Adds the time spent on zero pages and on pages with data to
 * @probe.  Call it before anything
 * else reads the block, so that pages the guest never touched are read
 * for the first time, as a migration reads them.
 *
 * @probe: the measurement
 * @host: the block's memory
 * @pages: its pages
 * @page_size: bytes per page, a multiple of 64
 * @chunks: how many chunks to read
 * @rand: the random source
 */
void dirty_pace_probe_memory(DirtyPaceProbe *probe, const void *host,
                             uint64_t pages, size_t page_size,
                             unsigned chunks, GRand *rand);

/**
 * dirty_pace_probe_stream: Time pages through a stream to a destination
 *
 * Sends 16 MiB of pages through a local socket to a thread that handles
 * them as ram_load_precopy() does, in memory of its own backed as guest
 * memory is.  Pages with data go each after an 8-byte header,
 * PRECOPY_FLUSH_PAGES at a time, and are copied into memory new to them,
 * then three times more into the same memory; zero pages go as a header
 * and a byte, a QEMUFile buffer at a time, and are checked for zeros at
 * the other end, three times.  Adds to @probe the median of each three,
 * and what the first pass of pages with data took more, in all and in
 * its fastest and its slowest chunk of DIRTY_PACE_CHUNK_BYTES: what the
 * destination's host spends faulting guest memory in, which differs from
 * one huge page to the next where the host's own memory is backed
 * lazily.
 *
 * @probe: the measurement
 * @page_size: bytes per page
 */
void dirty_pace_probe_stream(DirtyPaceProbe *probe, size_t page_size);

/**
 * dirty_pace_result: The time per page of a measurement
 *
 * @probe: the measurement
 * @pace: filled with the time per page: a page of each kind takes its
 *        check and its way through the stream; a kind that no page read
 *        had is checked as the other
 */
void dirty_pace_result(const DirtyPaceProbe *probe, DirtyPace *pace);

#endif
