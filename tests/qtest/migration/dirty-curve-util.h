/*
 * Helpers for the qtests of the dirty page curve and the estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Their names start with curve_: migration-test links them next to the
 * migration framework, whose precopy-tests.c has a calc_dirty_rate() and
 * a query_dirty_rate() of its own.  Every wait gives up after a bound.
 */

#ifndef TESTS_QTEST_DIRTY_CURVE_UTIL_H
#define TESTS_QTEST_DIRTY_CURVE_UTIL_H

#include "libqtest.h"
#include "qobject/qdict.h"
#include "migration/bootfile.h"

#define GUEST_MB        150
#define PAGE_SIZE       4096
#define BOOT_BLOCK_PAGES \
    ((X86_TEST_MEM_END - X86_TEST_MEM_START) / PAGE_SIZE)

typedef struct CurveGuest {
    QTestState *qts;
    char *dir;
    char *serial;
} CurveGuest;

/* A guest: stopped and never run, or running the boot block */
void curve_guest_start(CurveGuest *g, const char *accel, bool boot);
/* The same, with more command line arguments */
void curve_guest_start_extra(CurveGuest *g, const char *accel, bool boot,
                             const char *extra);
/* The destination of a migration of @src, listening on @uri */
void curve_guest_start_incoming(CurveGuest *g, const CurveGuest *src,
                                const char *accel, const char *uri);
void curve_guest_stop(CurveGuest *g);
/* Wait until the boot block runs: it printed its first pass */
void curve_guest_wait_running(CurveGuest *g);
/*
 * A guest started for KVM that runs under another accelerator (a
 * /dev/kvm that cannot start a guest): skip the test, stop the guest,
 * and return true.
 */
bool curve_guest_skip_without_kvm(CurveGuest *g);

uint64_t curve_get_u64(QDict *d, const char *key);
/* query-dirty-rate, with times in milliseconds */
QDict *curve_query_dirty_rate(QTestState *qts);
size_t curve_nr_readings(QDict *info);
/*
 * Wait until the measurement has at least @readings readings or, for
 * @readings 0, until it is done; return query-dirty-rate's answer.
 */
QDict *curve_wait_measured(QTestState *qts, size_t readings);
/* Start calc-dirty-rate; page-sampling samples 16384 pages per GiB */
void curve_calc_dirty_rate(QTestState *qts, int64_t calc_ms, const char *mode);
/* calc-dirty-rate, then wait for it */
QDict *curve_measure(QTestState *qts, int64_t calc_ms, const char *mode);

/* @command with @args (JSON) fails, its error saying @expect */
void curve_assert_qmp_error(QTestState *qts, const char *command,
                            const char *args, const char *expect);
/* Wait for a migration to complete; return query-migrate's answer */
QDict *curve_wait_migration_done(QTestState *qts);
/*
 * Stop a guest that ran the boot block and check its memory: what the
 * boot block wrote, whole
 */
void curve_check_guest_ram(QTestState *qts);
bool curve_kvm_usable(void);
/*
 * Whether the host's KVM keeps its dirty rings: not PVM's, unless
 * QEMU_TEST_FLAKY_TESTS asks for the tests anyway.
 */
bool curve_kvm_dirty_ring_trusted(void);

#endif
