/*
 * Migration estimate: info migrate_estimate and the line of info migrate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_HMP_H
#define QEMU_MIGRATION_ESTIMATE_HMP_H

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
