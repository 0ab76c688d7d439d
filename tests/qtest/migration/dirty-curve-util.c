/*
 * Helpers for the qtests of the dirty page curve and the estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "migration/bootfile.h"
#include "migration/dirty-curve-util.h"

void curve_guest_start_extra(CurveGuest *g, const char *accel, bool boot,
                             const char *extra)
{
    const char *bootpath;

    g->dir = g_dir_make_tmp("dirty-curve-test-XXXXXX", NULL);
    g_assert_nonnull(g->dir);
    g->serial = g_strdup_printf("%s/serial", g->dir);
    if (boot) {
        /* bootfile.c owns the path, until bootfile_delete() */
        bootpath = bootfile_create("x86_64", g->dir, false);
        g->qts = qtest_initf("-accel %s -m %dM -serial file:%s "
                             "-drive file=%s,format=raw %s",
                             accel, GUEST_MB, g->serial, bootpath, extra);
    } else {
        g->qts = qtest_initf("-accel %s -m %dM -S %s", accel, GUEST_MB,
                             extra);
    }
}

void curve_guest_start(CurveGuest *g, const char *accel, bool boot)
{
    curve_guest_start_extra(g, accel, boot, "");
}

void curve_guest_start_incoming(CurveGuest *g, const CurveGuest *src,
                                const char *accel, const char *uri)
{
    g->dir = g_dir_make_tmp("dirty-curve-test-XXXXXX", NULL);
    g_assert_nonnull(g->dir);
    g->serial = g_strdup_printf("%s/serial", g->dir);
    g->qts = qtest_initf("-accel %s -m %dM -serial file:%s "
                         "-drive file=%s/bootsect,format=raw -incoming %s",
                         accel, GUEST_MB, g->serial, src->dir, uri);
}

void curve_guest_stop(CurveGuest *g)
{
    qtest_quit(g->qts);
    bootfile_delete();
    unlink(g->serial);
    rmdir(g->dir);
    g_free(g->serial);
    g_free(g->dir);
}

/*
 * The boot block prints 'A' once, then a 'B' each pass over its memory.
 * A guest that never gets there, say an accelerator that cannot run it,
 * fails the test rather than hanging it.
 */
void curve_guest_wait_running(CurveGuest *g)
{
    gint64 give_up = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;

    for (;;) {
        g_autofree char *out = NULL;

        if (g_file_get_contents(g->serial, &out, NULL, NULL) &&
            strchr(out, 'B')) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, give_up);
        g_usleep(10 * 1000);
    }
}

bool curve_guest_skip_without_kvm(CurveGuest *g)
{
    QDict *kvm = qtest_qmp_assert_success_ref(g->qts,
                                              "{'execute': 'query-kvm'}");
    bool enabled = qdict_get_bool(kvm, "enabled");

    qobject_unref(kvm);
    if (enabled) {
        return false;
    }
    g_test_skip("KVM could not start: /dev/kvm is there but unusable");
    curve_guest_stop(g);
    return true;
}

uint64_t curve_get_u64(QDict *d, const char *key)
{
    return qnum_get_uint(qobject_to(QNum, qdict_get(d, key)));
}

QDict *curve_query_dirty_rate(QTestState *qts)
{
    return qtest_qmp_assert_success_ref(qts,
                                        "{'execute': 'query-dirty-rate', "
                                        " 'arguments': {'calc-time-unit': "
                                        "               'millisecond'}}");
}

size_t curve_nr_readings(QDict *info)
{
    return qdict_haskey(info, "readings") ?
           qlist_size(qdict_get_qlist(info, "readings")) : 0;
}

QDict *curve_wait_measured(QTestState *qts, size_t readings)
{
    /* calc-time is at most 60 s */
    gint64 give_up = g_get_monotonic_time() + 180 * G_USEC_PER_SEC;

    for (;;) {
        QDict *info = curve_query_dirty_rate(qts);

        if (g_str_equal(qdict_get_str(info, "status"), "measured") &&
            curve_nr_readings(info) >= readings) {
            return info;
        }
        if (readings && curve_nr_readings(info) >= readings) {
            return info;
        }
        qobject_unref(info);
        g_assert_cmpint(g_get_monotonic_time(), <, give_up);
        g_usleep(10 * 1000);
    }
}

void curve_calc_dirty_rate(QTestState *qts, int64_t calc_ms,
                            const char *mode)
{
    if (g_str_equal(mode, "page-sampling")) {
        qtest_qmp_assert_success(qts,
            "{'execute': 'calc-dirty-rate', 'arguments': {"
            " 'calc-time': %" PRId64 ", 'calc-time-unit': 'millisecond',"
            " 'mode': 'page-sampling', 'sample-pages': 16384}}", calc_ms);
    } else {
        qtest_qmp_assert_success(qts,
            "{'execute': 'calc-dirty-rate', 'arguments': {"
            " 'calc-time': %" PRId64 ", 'calc-time-unit': 'millisecond',"
            " 'mode': %s}}", calc_ms, mode);
    }
}

QDict *curve_measure(QTestState *qts, int64_t calc_ms, const char *mode)
{
    curve_calc_dirty_rate(qts, calc_ms, mode);
    return curve_wait_measured(qts, 0);
}

void curve_assert_qmp_error(QTestState *qts, const char *command,
                            const char *args, const char *expect)
{
    QObject *arguments = qobject_from_json(args, &error_abort);
    QDict *rsp = qtest_qmp(qts, "{'execute': %s, 'arguments': %p}",
                           command, arguments);
    const char *desc;

    g_assert_true(qdict_haskey(rsp, "error"));
    desc = qdict_get_str(qdict_get_qdict(rsp, "error"), "desc");
    if (!strstr(desc, expect)) {
        g_test_message("%s %s: error '%s' does not say '%s'", command, args,
                       desc, expect);
        g_test_fail();
    }
    qobject_unref(rsp);
}

QDict *curve_wait_migration_done(QTestState *qts)
{
    gint64 give_up = g_get_monotonic_time() + 600 * G_USEC_PER_SEC;

    for (;;) {
        QDict *info = qtest_qmp_assert_success_ref(
            qts, "{'execute': 'query-migrate'}");
        const char *status = qdict_get_str(info, "status");

        g_assert_cmpstr(status, !=, "failed");
        if (g_str_equal(status, "completed")) {
            return info;
        }
        qobject_unref(info);
        g_assert_cmpint(g_get_monotonic_time(), <, give_up);
        g_usleep(10 * 1000);
    }
}

void curve_check_guest_ram(QTestState *qts)
{
    uint8_t last, b;
    uint64_t addr;
    bool wrapped = false;

    /*
     * The boot block adds one to the first byte of every page of its
     * range, page after page, round after round: stopped, the pages
     * from some point on are one behind those before it, and no other
     * step shows.
     */
    qtest_qmp_assert_success(qts, "{'execute': 'stop'}");
    last = qtest_readb(qts, X86_TEST_MEM_START);
    for (addr = X86_TEST_MEM_START + PAGE_SIZE; addr < X86_TEST_MEM_END;
         addr += PAGE_SIZE) {
        b = qtest_readb(qts, addr);
        if (b != last) {
            g_assert_false(wrapped);
            g_assert_cmpuint((uint8_t)(b + 1), ==, last);
            wrapped = true;
        }
        last = b;
    }
}

bool curve_kvm_usable(void)
{
    return qtest_has_accel("kvm") && access("/dev/kvm", R_OK | W_OK) == 0;
}

/*
 * PVM (kvm_pvm.ko, a KVM for hosts without hardware virtualization)
 * emulates much of a guest's code, pushes a dirty ring entry for every
 * write it emulates, and does not stop the vCPU before the ring is full.
 * The ring overflows: dirty pages are lost, the vCPU can get stuck
 * exiting with KVM_EXIT_DIRTY_RING_FULL while nothing is left to reap,
 * and kvm_dirty_ring_reap_locked() can fail its assertion.
 */
bool curve_kvm_dirty_ring_trusted(void)
{
    return getenv("QEMU_TEST_FLAKY_TESTS") ||
           access("/sys/module/kvm_pvm", F_OK) != 0;
}
