/*
 * QTest testcases for the dirty page curve across a guest's life and at
 * its limits
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A measurement must survive whatever happens to the guest while it runs
 * (reset, pause and resume, a vCPU plugged in), give a clear answer on
 * machines with no or little RAM, and leave nothing behind when repeated.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "migration/framework.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"

static const char *const modes[] = { "page-sampling", "dirty-bitmap" };

/* The readings of a finished measurement never decrease */
static void assert_sane(QDict *info)
{
    QList *readings = qdict_get_qlist(info, "readings");
    const QListEntry *e;
    uint64_t last = 0;

    g_assert_cmpstr(qdict_get_str(info, "status"), ==, "measured");
    g_assert_cmpuint(qlist_size(readings), >, 0);
    QLIST_FOREACH_ENTRY(readings, e) {
        uint64_t pages = curve_get_u64(qobject_to(QDict, qlist_entry_obj(e)),
                                       "dirty-pages");

        g_assert_cmpuint(pages, >=, last);
        last = pages;
    }
}

/* The source of a migration, alone, running the boot block */
static QTestState *start_guest(const char *extra, bool dirty_ring)
{
    MigrateStart args = {
        .opts_source = extra,
        .use_dirty_ring = dirty_ring,
    };

    return migrate_start_source(&args, false);
}

/* Something happens to a running guest while each mode measures it */
static void during_measurement(const char *extra,
                               void (*event)(QTestState *qts))
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(modes); i++) {
        QTestState *qts = start_guest(extra, false);
        QDict *info;

        if (!qts) {
            return;
        }
        curve_calc_dirty_rate(qts, 1000, modes[i]);
        /* the measurement has started taking readings */
        qobject_unref(curve_wait_measured(qts, 1));
        event(qts);
        info = curve_wait_measured(qts, 0);
        assert_sane(info);
        qobject_unref(info);
        /* and an estimate can be made from it */
        qtest_qmp_assert_success(qts,
                                 "{'execute': 'query-migration-estimate'}");
        migrate_end(qts, NULL, false);
    }
}

/*
 * Dirty-ring mode, where KVM has a dirty ring: it counts what each vCPU's
 * ring reaped, a rate per vCPU and no readings, so nothing to estimate
 * from.  @event happens while it measures, before or after its first
 * count; the guest has @vcpus vCPUs after it.  A slow test: a dirty ring
 * that overflows, as some hosts' KVM lets it, hangs the vCPU.
 */
static void during_ring_measurement(const char *extra, unsigned int vcpus,
                                    void (*event)(QTestState *qts))
{
    MigrationTestEnv *env = migration_get_env();
    QTestState *qts;
    QDict *info;

    if (!g_test_slow()) {
        g_test_skip("a slow test: run with -m slow");
        return;
    }
    if (!env->has_kvm || !env->has_dirty_ring) {
        g_test_skip("KVM has no dirty ring on this host");
        return;
    }
    qts = start_guest(extra, true);
    if (!qts) {
        return;
    }
    curve_calc_dirty_rate(qts, 2000, "dirty-ring");
    event(qts);
    info = curve_wait_measured(qts, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "vcpu-dirty-rate")),
                     ==, vcpus);
    /* the boot block, running again after a reset, kept writing */
    g_assert_cmpuint(curve_get_u64(info, "dirty-rate"), >, 0);
    qobject_unref(info);
    curve_assert_qmp_error(qts, "query-migration-estimate", "{}",
                           "calc-dirty-rate measured in dirty-ring mode");
    migrate_end(qts, NULL, false);
}

static void reset(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
}

static void pause_resume(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'stop'}");
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
}

static void plug_cpu(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'device_add', 'arguments': {"
                             " 'driver': 'qemu64-x86_64-cpu', 'id': 'cpu1',"
                             " 'socket-id': 1, 'core-id': 0, 'thread-id': 0}}");
}

static void test_reset(void)
{
    during_measurement("", reset);
}

static void test_pause_resume(void)
{
    during_measurement("", pause_resume);
}

#define HOTPLUG_SMP "-smp 1,sockets=2,cores=1,threads=1,maxcpus=2"

static void test_cpu_hotplug(void)
{
    during_measurement(HOTPLUG_SMP, plug_cpu);
}

static void test_ring_reset(void)
{
    during_ring_measurement("", 1, reset);
}

static void test_ring_pause_resume(void)
{
    during_ring_measurement("", 1, pause_resume);
}

/* the hotplugged vCPU gets a rate too */
static void test_ring_cpu_hotplug(void)
{
    during_ring_measurement(HOTPLUG_SMP, 2, plug_cpu);
}

/*
 * query-migration-estimate while measuring: refused, saying how far the
 * measurement got, until it is done; once it answers, the measurement is
 * done for query-dirty-rate too.
 */
static void test_queries_while_measuring(void)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(modes); i++) {
        QTestState *qts = start_guest("", false);
        QDict *rsp, *info;
        int refused = 0;
        gint64 start, give_up;

        if (!qts) {
            return;
        }
        start = g_get_monotonic_time();
        curve_calc_dirty_rate(qts, 1000, modes[i]);
        give_up = start + 120 * G_USEC_PER_SEC;
        for (;;) {
            g_assert_cmpint(g_get_monotonic_time(), <, give_up);
            rsp = qtest_qmp(qts, "{'execute': 'query-migration-estimate'}");
            if (!qdict_haskey(rsp, "error")) {
                break;
            }
            g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp,
                                    "error"), "desc"),
                                    "calc-dirty-rate is still measuring ("));
            qobject_unref(rsp);
            /* query-dirty-rate answers meanwhile, with what it has */
            qobject_unref(curve_query_dirty_rate(qts));
            refused++;
        }
        qobject_unref(rsp);
        info = curve_query_dirty_rate(qts);
        assert_sane(info);
        qobject_unref(info);
        /* the first query was refused, unless it came after calc-time */
        if (!refused) {
            g_assert_cmpint(g_get_monotonic_time() - start, >=,
                            1000 * 1000);
        }
        migrate_end(qts, NULL, false);
    }
}

/* No RAM at all: a measurement of nothing, and no estimate from it */
static void test_machine_none(void)
{
    QTestState *qts = qtest_init("-machine none");
    QDict *info;

    qtest_qmp_assert_success(qts, "{'execute': 'calc-dirty-rate', "
                             "'arguments': {'calc-time': 50, "
                             "'calc-time-unit': 'millisecond'}}");
    info = curve_wait_measured(qts, 0);
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), ==, 0);
    qobject_unref(info);
    curve_assert_qmp_error(qts, "query-migration-estimate", "{}",
                           "the last calc-dirty-rate took no readings");
    qtest_quit(qts);
}

/* 2 MiB of RAM and the BIOS: fewer pages than samples asked for */
static void test_tiny(void)
{
    QTestState *qts = qtest_init("-m 2 -nodefaults -S");
    QDict *info;

    curve_calc_dirty_rate(qts, 100, "page-sampling");
    info = curve_wait_measured(qts, 0);
    assert_sane(info);
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), >=, 512);
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), <, 1024);
    g_assert_cmpuint(curve_get_u64(info, "sampled-pages"), <=,
                     curve_get_u64(info, "total-pages"));
    qobject_unref(info);
    qtest_qmp_assert_success(qts, "{'execute': 'query-migration-estimate'}");
    qtest_quit(qts);
}

/*
 * 8 GiB never touched, in a slow test: sampling reads pages that were
 * never written, and must not find them dirty.  The kernel backs them
 * with its zero page where it has one; a kernel without a huge zero page
 * for memory advised for huge pages, as guest RAM is, allocates a huge
 * page for each 2 MiB read, which a larger guest would not find on a
 * test machine.
 */
static void test_large_sparse(void)
{
    QTestState *qts;
    QDict *info;

    if (!g_test_slow()) {
        g_test_skip("a slow test: run with -m slow");
        return;
    }
    qts = qtest_init("-m 8G -nodefaults -S "
        "-object memory-backend-ram,id=ram0,size=8G,reserve=off "
        "-machine memory-backend=ram0");

    curve_calc_dirty_rate(qts, 100, "page-sampling");
    info = curve_wait_measured(qts, 0);
    assert_sane(info);
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), >=, 2 << 20);
    /* 16384 per GiB of RAM, and a few in the BIOS */
    g_assert_cmpuint(curve_get_u64(info, "sampled-pages"), >=, 8 * 16384);
    g_assert_cmpuint(curve_get_u64(info, "sampled-pages"), <, 8 * 16384 + 64);
    g_assert_cmpuint(curve_get_u64(qobject_to(QDict, qlist_peek(
                         qdict_get_qlist(info, "readings"))), "dirty-pages"),
                     ==, 0);
    qobject_unref(info);
    qtest_quit(qts);
}

/*
 * 1000 measurements, each queried and estimated, in a slow test: nothing
 * fails, and under ASan (make check-sanitize) its leak check, when QEMU
 * exits, finds nothing left behind.
 */
static void test_repeated(void)
{
    QTestState *qts;
    int i;

    if (!g_test_slow()) {
        g_test_skip("a slow test: run with -m slow");
        return;
    }
    qts = qtest_init("-m 64 -S");
    for (i = 0; i < 1000; i++) {
        qobject_unref(curve_measure(qts, 50, modes[i % 2]));
        qobject_unref(qtest_qmp_assert_success_ref(qts,
            "{'execute': 'query-migration-estimate'}"));
    }
    qtest_quit(qts);
}

void migration_test_add_dirty_curve_lifecycle(MigrationTestEnv *env)
{
    /* the vCPU plugged in, and the boot block, are x86's */
    if (!env->is_x86) {
        return;
    }
    migration_test_add("/migration/dirty-curve/lifecycle/reset", test_reset);
    migration_test_add("/migration/dirty-curve/lifecycle/pause-resume",
                       test_pause_resume);
    migration_test_add("/migration/dirty-curve/lifecycle/cpu-hotplug",
                       test_cpu_hotplug);
    migration_test_add("/migration/dirty-curve/lifecycle/ring-reset",
                       test_ring_reset);
    migration_test_add("/migration/dirty-curve/lifecycle/ring-pause-resume",
                       test_ring_pause_resume);
    migration_test_add("/migration/dirty-curve/lifecycle/ring-cpu-hotplug",
                       test_ring_cpu_hotplug);
    migration_test_add("/migration/dirty-curve/lifecycle/"
                       "queries-while-measuring",
                       test_queries_while_measuring);
    migration_test_add("/migration/dirty-curve/limits/machine-none",
                       test_machine_none);
    migration_test_add("/migration/dirty-curve/limits/tiny", test_tiny);
    migration_test_add("/migration/dirty-curve/limits/large-sparse",
                       test_large_sparse);
    migration_test_add("/migration/dirty-curve/limits/repeated",
                       test_repeated);
}
