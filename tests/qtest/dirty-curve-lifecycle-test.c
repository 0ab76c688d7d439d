/*
 * QTest for the dirty page curve across a guest's life and at its limits
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A measurement must survive whatever happens to the guest while it runs
 * (reset, pause and resume, a vCPU plugged in), give a clear answer on
 * machines with no or little RAM, and leave nothing behind when repeated.
 */

#include "qemu/osdep.h"
#ifdef CONFIG_LINUX
#include <sys/syscall.h>
#endif
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "migration/migration-util.h"
#include "migration/dirty-curve-util.h"

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

/* Something happens to a running guest while each mode measures it */
static void during_measurement(const char *extra,
                               void (*event)(QTestState *qts))
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(modes); i++) {
        CurveGuest g;
        QDict *info;

        curve_guest_start_extra(&g, "tcg", true, extra);
        curve_guest_wait_running(&g);
        curve_calc_dirty_rate(g.qts, 1000, modes[i]);
        /* the measurement has started taking readings */
        qobject_unref(curve_wait_measured(g.qts, 1));
        event(g.qts);
        info = curve_wait_measured(g.qts, 0);
        assert_sane(info);
        qobject_unref(info);
        /* and an estimate can be made from it */
        qtest_qmp_assert_success(g.qts,
                                 "{'execute': 'query-migration-estimate'}");
        curve_guest_stop(&g);
    }
}

/* How long a dirty-ring measurement may take to take its first count */
#define RING_COUNTED_TIMEOUT_US (30 * G_USEC_PER_SEC)

/*
 * Wait until a dirty-ring measurement has taken its first count of each
 * vCPU's dirty pages: its thread (named with debug-threads=on) sleeps
 * until the second, and that is the only sleep in it.  Returns NULL once
 * it has, or why the wait gave up: /proc does not tell, or the
 * measurement ended first, as it may on a host slow enough.
 */
static const char *wait_ring_counted(QTestState *qts)
{
#ifdef SYS_clock_nanosleep
    g_autofree char *tasks = g_strdup_printf("/proc/%d/task",
                                             qtest_pid(qts));
    int64_t deadline = g_get_monotonic_time() + RING_COUNTED_TIMEOUT_US;

    while (g_get_monotonic_time() < deadline) {
        g_autoptr(GDir) dir = g_dir_open(tasks, 0, NULL);
        QDict *info = curve_query_dirty_rate(qts);
        bool measuring = g_str_equal(qdict_get_str(info, "status"),
                                     "measuring");
        const char *tid;

        qobject_unref(info);
        if (!measuring) {
            return "the measurement ended before its first count was seen";
        }
        g_assert_nonnull(dir);
        while ((tid = g_dir_read_name(dir))) {
            g_autofree char *comm_path = g_strdup_printf("%s/%s/comm",
                                                         tasks, tid);
            g_autofree char *call_path = g_strdup_printf("%s/%s/syscall",
                                                         tasks, tid);
            g_autofree char *comm = NULL;
            g_autofree char *call = NULL;

            if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
                !g_str_equal(g_strchomp(comm), "mig/dirtyrate")) {
                continue;
            }
            if (!g_file_get_contents(call_path, &call, NULL, NULL)) {
                return "/proc does not show what the measurement thread does";
            }
            if (g_ascii_strtoll(call, NULL, 10) == SYS_clock_nanosleep) {
                return NULL;
            }
        }
        g_usleep(1000);
    }
    return "the measurement took no first count within 30 s";
#else
    return "/proc does not show what the measurement thread does";
#endif
}

/*
 * Dirty-ring mode, where KVM has a dirty ring: it counts what each vCPU's
 * ring reaped, a rate per vCPU and no readings, so nothing to estimate
 * from.  @event happens once it has taken its first count; the guest has
 * @vcpus vCPUs after it.
 */
static void during_ring_measurement(const char *extra, unsigned int vcpus,
                                    void (*event)(QTestState *qts))
{
    g_autofree char *args = g_strdup_printf("-name debug-threads=on %s",
                                            extra);
    const char *skip;
    CurveGuest g;
    QDict *info;

    /* dirty-ring mode needs KVM with a dirty ring that works */
    if (!curve_kvm_usable() || !kvm_dirty_ring_supported() ||
        !curve_kvm_dirty_ring_trusted()) {
        g_test_skip("no KVM with a dirty ring that works on this host");
        return;
    }
    curve_guest_start_extra(&g, "kvm,dirty-ring-size=4096", true, args);
    if (curve_guest_skip_without_kvm(&g)) {
        return;
    }
    curve_guest_wait_running(&g);
    curve_calc_dirty_rate(g.qts, 2000, "dirty-ring");
    skip = wait_ring_counted(g.qts);
    if (!skip) {
        event(g.qts);
        info = curve_query_dirty_rate(g.qts);
        if (!g_str_equal(qdict_get_str(info, "status"), "measuring")) {
            skip = "the measurement ended before the event was done";
        }
        qobject_unref(info);
    }
    if (skip) {
        /* a slow host, not a failure: the event missed the measurement */
        g_test_skip(skip);
        qobject_unref(curve_wait_measured(g.qts, 0));
        curve_guest_stop(&g);
        return;
    }

    info = curve_wait_measured(g.qts, 0);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(info, "vcpu-dirty-rate")),
                     ==, vcpus);
    /* the boot block, running again after a reset, kept writing */
    g_assert_cmpuint(curve_get_u64(info, "dirty-rate"), >, 0);
    qobject_unref(info);
    curve_assert_qmp_error(g.qts, "query-migration-estimate", "{}",
                           "calc-dirty-rate measured in dirty-ring mode");
    curve_guest_stop(&g);
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
        CurveGuest g;
        QDict *rsp, *info;
        int refused = 0;
        gint64 start, give_up;

        curve_guest_start(&g, "tcg", true);
        curve_guest_wait_running(&g);
        start = g_get_monotonic_time();
        curve_calc_dirty_rate(g.qts, 1000, modes[i]);
        give_up = start + 120 * G_USEC_PER_SEC;
        for (;;) {
            g_assert_cmpint(g_get_monotonic_time(), <, give_up);
            rsp = qtest_qmp(g.qts, "{'execute': 'query-migration-estimate'}");
            if (!qdict_haskey(rsp, "error")) {
                break;
            }
            g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp,
                                    "error"), "desc"),
                                    "calc-dirty-rate is still measuring ("));
            qobject_unref(rsp);
            /* query-dirty-rate answers meanwhile, with what it has */
            qobject_unref(curve_query_dirty_rate(g.qts));
            refused++;
        }
        qobject_unref(rsp);
        info = curve_query_dirty_rate(g.qts);
        assert_sane(info);
        qobject_unref(info);
        /* the first query was refused, unless it came after calc-time */
        if (!refused) {
            g_assert_cmpint(g_get_monotonic_time() - start, >=,
                            1000 * 1000);
        }
        curve_guest_stop(&g);
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
 * 8 GiB never touched: sampling reads pages that were never written, and
 * must not find them dirty.  The kernel backs them with its zero page
 * where it has one; a kernel without a huge zero page for memory advised
 * for huge pages, as guest RAM is, allocates a huge page for each 2 MiB
 * read, which a larger guest would not find on a test machine.
 */
static void test_large_sparse(void)
{
    QTestState *qts = qtest_init("-m 8G -nodefaults -S "
        "-object memory-backend-ram,id=ram0,size=8G,reserve=off "
        "-machine memory-backend=ram0");
    QDict *info;

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

/* The resident memory of the QEMU process, in KiB */
static uint64_t rss_kib(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status",
                                            qtest_pid(qts));
    g_autofree char *status = NULL;
    const char *line;

    g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
    line = strstr(status, "VmRSS:");
    g_assert_nonnull(line);
    return g_ascii_strtoull(line + strlen("VmRSS:"), NULL, 10);
}

/*
 * 1000 measurements, each queried and estimated: the process does not
 * grow.  The first 100 warm up allocators and caches; the next 900 may
 * add no more than a little.  Under ASan (make check-sanitize) RSS says
 * nothing, but its leak check runs when QEMU exits.
 */
static void test_repeated(void)
{
    QTestState *qts = qtest_init("-m 64 -S");
    uint64_t warm = 0;
    int i;

    for (i = 0; i < 1000; i++) {
        QDict *info;

        curve_calc_dirty_rate(qts, 50, modes[i % 2]);
        info = curve_wait_measured(qts, 0);
        qobject_unref(info);
        qobject_unref(qtest_qmp_assert_success_ref(qts,
            "{'execute': 'query-migration-estimate'}"));
        if (i == 99) {
            warm = rss_kib(qts);
        }
    }
    g_test_message("RSS after 100 cycles %" PRIu64 " KiB, after 1000 %"
                   PRIu64 " KiB", warm, rss_kib(qts));
#ifndef QEMU_SANITIZE_ADDRESS
    g_assert_cmpuint(rss_kib(qts), <=, warm + 1024);
#endif
    /* under ASan, whose quarantine holds freed memory, LSan judges at exit */
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/dirty-curve/lifecycle/reset", test_reset);
    qtest_add_func("/dirty-curve/lifecycle/pause-resume", test_pause_resume);
    qtest_add_func("/dirty-curve/lifecycle/cpu-hotplug", test_cpu_hotplug);
    /* skipped where KVM has no dirty ring that works */
    qtest_add_func("/dirty-curve/lifecycle/dirty-ring/reset",
                   test_ring_reset);
    qtest_add_func("/dirty-curve/lifecycle/dirty-ring/pause-resume",
                   test_ring_pause_resume);
    qtest_add_func("/dirty-curve/lifecycle/dirty-ring/cpu-hotplug",
                   test_ring_cpu_hotplug);
    qtest_add_func("/dirty-curve/lifecycle/queries-while-measuring",
                   test_queries_while_measuring);
    qtest_add_func("/dirty-curve/limits/machine-none", test_machine_none);
    qtest_add_func("/dirty-curve/limits/tiny", test_tiny);
    qtest_add_func("/dirty-curve/limits/large-sparse", test_large_sparse);
    qtest_add_func("/dirty-curve/limits/repeated", test_repeated);

    return g_test_run();
}
