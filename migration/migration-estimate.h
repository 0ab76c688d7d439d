/*
 * Migration estimate: what a running migration tells the estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_MIGRATION_ESTIMATE_H
#define QEMU_MIGRATION_MIGRATION_ESTIMATE_H

/**
 * migration_estimate_sync: Record a sync of the migration dirty bitmap
 *
 * Keeps what the estimate of the migration under way needs of the sync,
 * at O(1) cost: the estimate itself runs when a client asks for it
 * (query-migration-estimate).  Called by migration_bitmap_sync(), under
 * the BQL.
 *
 * @dirty_before: pages in the dirty bitmap before the sync
 * @dirty_after: pages in it after the sync
 */
void migration_estimate_sync(uint64_t dirty_before, uint64_t dirty_after);

/**
 * hmp_info_migrate_estimate_line: The line of 'info migrate' that
 * estimates the migration under way
 *
 * Prints nothing unless a pre-copy migration is under way.
 *
 * @mon: the monitor to print to
 */
void hmp_info_migrate_estimate_line(Monitor *mon);

#endif
