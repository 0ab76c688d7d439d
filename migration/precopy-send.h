/*
 * Pre-copy migration estimate: sending pages
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * How the simulated migration puts pages on the wire: the bytes and the
 * budget a page takes, on the main channel or with multifd, and the rate
 * limit windows of migration_rate_limit() that end on the way and set
 * threshold_size.
 */

#ifndef QEMU_MIGRATION_PRECOPY_SEND_H
#define QEMU_MIGRATION_PRECOPY_SEND_H

#include "precopy-sim.h"

/**
 * precopy_send_pages: Send pages of the dirty bitmap
 *
 * Takes up to @budget (or, if @pages, up to that many pages) off @q in
 * order, and adds their bytes to @bytes.
 *
 * @wire: what a page of each kind takes
 * @q: the pages in the bitmap
 * @budget: the budget to spend; INFINITY for none
 * @pages: the most pages to take; INFINITY for no limit
 * @bytes: the bytes of the pages taken are added to it
 *
 * Returns: the budget the pages took
 */
double precopy_send_pages(const PrecopyWire *wire, PrecopyPending *q,
                          double budget, double pages, double *bytes);

/**
 * precopy_send_cost: precopy_send_pages() for the budget alone
 *
 * @wire: as for precopy_send_pages()
 * @q: ditto
 * @budget: ditto
 * @pages: ditto
 *
 * Returns: the budget the pages took
 */
double precopy_send_cost(const PrecopyWire *wire, PrecopyPending *q,
                         double budget, double pages);

/**
 * precopy_sim_channels: Set the channels that pages go on
 *
 * Pages sent on the main channel, or with @multifd channels, in packets
 * of MULTIFD_PACKET_SIZE each with a header and an offset per page it
 * can hold, zero pages as just their offset
 * (multifd_send_zero_page_detect()), checked and written by the send
 * threads side by side
 *
 * @s: the migration
 * @multifd: the multifd channels; 0 without multifd
 */
void precopy_sim_channels(PrecopySim *s, unsigned multifd);

/**
 * precopy_sim_wire: What a page takes of a budget spent at some
 * rate
 *
 * The PrecopyWire of @s for a budget spent at @rate bytes per ms.  The
 * migration thread spends its own time on each page it sends:
 * ram_save_iterate() sends pages while migration_rate_exceeded() allows,
 * but no longer than MAX_WAIT ms at a time, and migration_rate_limit()
 * waits only for a window whose bytes are spent.  A window whose time the
 * sender spends first ends with fewer bytes.
 *
 * @s: the migration
 * @rate: bytes per ms
 *
 * Returns: the PrecopyWire
 */
PrecopyWire precopy_sim_wire(const PrecopySim *s, double rate);

/**
 * precopy_sim_set_threshold: Set threshold_size
 *
 * @s: the migration
 * @threshold: threshold_size, in bytes; INFINITY for no limit
 */
void precopy_sim_set_threshold(PrecopySim *s, double threshold);

/**
 * precopy_sim_window_end: A rate limit window ends
 *
 * migration_update_counters(), as a window that sent @bytes ends:
 * threshold_size is the bytes that downtime-limit lets through at the
 * pace of that window, or at avail-switchover-bandwidth when set.  A
 * window spent on zero pages, or in part on a sync, lowers it.
 *
 * @s: the migration
 * @bytes: the bytes the window sent
 */
void precopy_sim_window_end(PrecopySim *s, double bytes);

/**
 * precopy_sim_send: Send pages in the rate limit windows
 *
 * Send @budget from the window under way on, which has @s->left of it
 * left: the windows that end on the way set threshold_size
 *
 * @s: the migration
 * @budget: the budget to spend
 */
void precopy_sim_send(PrecopySim *s, double budget);

/**
 * precopy_sim_full_window_bytes: The bytes of a whole window
 *
 * @s: the migration
 *
 * Returns: the bytes of a whole window of the pages next in the
 * bitmap of @s
 */
double precopy_sim_full_window_bytes(const PrecopySim *s);

#endif
