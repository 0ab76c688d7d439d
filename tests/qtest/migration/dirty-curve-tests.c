/*
 * QTest testcases for the dirty page curve of calc-dirty-rate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A stopped guest, into which the test writes known pages, gives exact
 * expectations; the boot block, which keeps writing every page from
 * 1 MiB to 100 MiB, gives a real guest whose curve must saturate at
 * those 99 MiB.  Each test starts only the source of the framework's
 * migration, and migrates it where the test needs a migration.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qapi/error.h"
#include "qobject/qjson.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "migration/bootfile.h"
#include "migration/framework.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"

/* The framework's guest, and the part of it the boot block writes */
#define GUEST_MB        150
#define PAGE_SIZE       4096
#define BOOT_BLOCK_PAGES \
    ((X86_TEST_MEM_END - X86_TEST_MEM_START) / PAGE_SIZE)

/* The source of a migration, alone: running the boot block, or stopped */
static QTestState *start_guest(bool run)
{
    MigrateStart args = { };

    return migrate_start_source(&args, !run);
}

static uint64_t reading(QDict *info, size_t i, uint64_t *elapsed)
{
    QList *list = qdict_get_qlist(info, "readings");
    const QListEntry *e = qlist_first(list);
    QDict *r;

    while (i--) {
        e = qlist_next(e);
    }
    r = qobject_to(QDict, qlist_entry_obj(e));
    if (elapsed) {
        *elapsed = curve_get_u64(r, "elapsed");
    }
    return curve_get_u64(r, "dirty-pages");
}

/*
 * The readings of a finished measurement: times ascending, ending at or
 * after calc-time, and counts never decreasing.  Returns the last count.
 */
static uint64_t check_readings(QDict *info, uint64_t calc_ms)
{
    size_t n = curve_nr_readings(info);
    uint64_t prev_elapsed = 0, prev_dirty = 0;
    uint64_t elapsed, dirty = 0;
    size_t i;

    g_assert_cmpuint(n, >=, 1);
    for (i = 0; i < n; i++) {
        dirty = reading(info, i, &elapsed);
        g_assert_cmpuint(elapsed, >, prev_elapsed);
        g_assert_cmpuint(dirty, >=, prev_dirty);
        prev_elapsed = elapsed;
        prev_dirty = dirty;
    }
    g_assert_cmpuint(elapsed, >=, calc_ms);
    return dirty;
}

/*
 * The guest's pages; page-sampling counts its samples, and those found
 * dirtied by each reading, while dirty-bitmap counts every page
 */
static void check_guest_pages(QDict *info)
{
    uint64_t ram_pages = (uint64_t)GUEST_MB * 1024 * 1024 / PAGE_SIZE;
    bool sampled = g_str_equal(qdict_get_str(info, "mode"), "page-sampling");
    QListEntry *e;

    g_assert_cmpuint(curve_get_u64(info, "page-size"), ==, PAGE_SIZE);
    /* RAM, plus ROMs and video memory */
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), >=, ram_pages);
    g_assert_cmpuint(curve_get_u64(info, "total-pages"), <, 2 * ram_pages);
    g_assert_cmpint(curve_get_u64(info, "sampled-pages") > 0, ==, sampled);
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "readings"), e) {
        QDict *r = qobject_to(QDict, qlist_entry_obj(e));

        g_assert_cmpint(qdict_haskey(r, "sampled-dirty-pages"), ==, sampled);
        if (sampled) {
            g_assert_cmpuint(curve_get_u64(r, "sampled-dirty-pages"), <=,
                             curve_get_u64(info, "sampled-pages"));
        }
    }
}

/* A guest that never ran dirties nothing, and its RAM is mostly zero. */
static void test_stopped(const char *mode)
{
    uint64_t ram_pages = (uint64_t)GUEST_MB * 1024 * 1024 / PAGE_SIZE;
    QTestState *qts;
    QDict *info;
    size_t i;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    info = curve_measure(qts, 1000, mode);
    check_readings(info, 1000);
    /*
     * 125, 250, 375, 500 and 750 ms, then calc-time; a reading that falls
     * due while the one before is still being taken is skipped
     */
    g_assert_cmpuint(curve_nr_readings(info), <=, 6);
    for (i = 0; i < curve_nr_readings(info); i++) {
        g_assert_cmpuint(reading(info, i, NULL), ==, 0);
    }
    g_assert_cmpint(qdict_get_int(info, "dirty-rate"), ==, 0);
    check_guest_pages(info);
    g_assert_cmpuint(curve_get_u64(info, "zero-pages"), >, ram_pages * 8 / 10);
    qobject_unref(info);
    migrate_end(qts, NULL, false);
}

/*
 * dirty-bitmap counts distinct pages exactly: 300 pages, each written
 * three times during the measurement, count 300.
 */
static void test_stopped_writes(void)
{
    const uint64_t base = 32 * 1024 * 1024, pages = 300;
    QTestState *qts;
    QDict *info;
    uint64_t p;
    int pass;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    curve_calc_dirty_rate(qts, 3000, "dirty-bitmap");
    /* after the first reading, the measurement surely started */
    info = curve_wait_measured(qts, 1);
    g_assert_cmpuint(reading(info, 0, NULL), ==, 0);
    qobject_unref(info);
    for (pass = 1; pass <= 3; pass++) {
        for (p = 0; p < pages; p++) {
            qtest_writeb(qts, base + p * PAGE_SIZE + pass * 8, pass);
        }
    }
    info = curve_wait_measured(qts, 0);
    g_assert_cmpuint(check_readings(info, 3000), ==, pages);
    qobject_unref(info);
    migrate_end(qts, NULL, false);
}

/*
 * The boot block writes all 25344 pages of 1-100 MiB, over and over: the
 * curve saturates there.  Page sampling estimates it from about 2400
 * samples, within a few standard deviations (1.5% each).
 */
static void test_boot_block(const char *mode)
{
    bool exact = g_str_equal(mode, "dirty-bitmap");
    uint64_t lo = exact ? BOOT_BLOCK_PAGES : BOOT_BLOCK_PAGES * 92 / 100;
    uint64_t hi = exact ? BOOT_BLOCK_PAGES + 256 : BOOT_BLOCK_PAGES * 108 / 100;
    uint64_t last, before_last;
    QTestState *qts;
    QDict *info;
    size_t n;

    qts = start_guest(true);
    if (!qts) {
        return;
    }
    info = curve_measure(qts, 3000, mode);
    last = check_readings(info, 3000);
    n = curve_nr_readings(info);
    g_assert_cmpuint(last, >=, lo);
    g_assert_cmpuint(last, <=, hi);
    /* saturated: the reading at 2 s already had (almost) all of it */
    before_last = reading(info, n - 2, NULL);
    g_assert_cmpuint(before_last, >=, last * 98 / 100);
    check_guest_pages(info);
    qobject_unref(info);
    migrate_end(qts, NULL, false);
}

/* dirty-bitmap mode takes migration's dirty bits: the two exclude each other */
static void test_bitmap_blocks_migration(void)
{
    QTestState *qts;
    QDict *rsp;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    curve_calc_dirty_rate(qts, 1000, "dirty-bitmap");
    rsp = qtest_qmp(qts, "{'execute': 'migrate', 'arguments': "
                    "{'uri': 'exec:cat > /dev/null'}}");
    g_assert_true(qdict_haskey(rsp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                          "desc"),
                            "calc-dirty-rate is measuring in dirty-bitmap"));
    qobject_unref(rsp);
    qobject_unref(curve_wait_measured(qts, 0));

    /* measured: the blocker is gone, and migration goes through */
    qtest_qmp_assert_success(qts, "{'execute': 'migrate', 'arguments': "
                             "{'uri': 'exec:cat > /dev/null'}}");
    wait_for_migration_complete(qts);
    migrate_end(qts, NULL, false);
}

/*
 * Every argument of calc-dirty-rate and query-dirty-rate at its edges;
 * docs/devel/migration/estimate.rst lists the same rows.
 */
static const struct {
    const char *command, *args, *error;
} bad_input[] = {
    { "calc-dirty-rate", "{}", "Parameter 'calc-time' is missing" },
    { "calc-dirty-rate", "{'calc-time': 0}",
      "'calc-time' must be between 1 and 60 seconds" },
    { "calc-dirty-rate", "{'calc-time': -1}",
      "'calc-time' must be between 1 and 60 seconds" },
    { "calc-dirty-rate", "{'calc-time': 61}",
      "'calc-time' must be between 1 and 60 seconds" },
    { "calc-dirty-rate", "{'calc-time': 9223372036854775807}",
      "'calc-time' must be between 1 and 60 seconds" },
    /* 1000 times this wrapped around to 384 ms, and was measured */
    { "calc-dirty-rate", "{'calc-time': 18446744073709552}",
      "'calc-time' must be between 1 and 60 seconds" },
    { "calc-dirty-rate", "{'calc-time': 9223372036854775808}",
      "Invalid parameter type for 'calc-time', expected: integer" },
    { "calc-dirty-rate", "{'calc-time': '1'}",
      "Invalid parameter type for 'calc-time', expected: integer" },
    { "calc-dirty-rate", "{'calc-time': 1.5}",
      "Invalid parameter type for 'calc-time', expected: integer" },
    { "calc-dirty-rate", "{'calc-time': 49, 'calc-time-unit': "
      "'millisecond'}", "'calc-time' must be between 50 and 60000 "
      "milliseconds" },
    { "calc-dirty-rate", "{'calc-time': 60001, 'calc-time-unit': "
      "'millisecond'}", "'calc-time' must be between 50 and 60000 "
      "milliseconds" },
    { "calc-dirty-rate", "{'calc-time': 1, 'calc-time-unit': 'minute'}",
      "Parameter 'calc-time-unit' does not accept value 'minute'" },
    { "calc-dirty-rate", "{'calc-time': 1, 'sample-pages': 127}",
      "'sample-pages' must be between 128 and 16384" },
    { "calc-dirty-rate", "{'calc-time': 1, 'sample-pages': 16385}",
      "'sample-pages' must be between 128 and 16384" },
    { "calc-dirty-rate", "{'calc-time': 1, 'sample-pages': -1}",
      "'sample-pages' must be between 128 and 16384" },
    { "calc-dirty-rate", "{'calc-time': 1, 'sample-pages': 512, "
      "'mode': 'dirty-bitmap'}",
      "sample-pages is used only in page-sampling mode" },
    { "calc-dirty-rate", "{'calc-time': 1, 'mode': 'dirty-ring'}",
      "mode dirty-ring is not available: the KVM dirty ring is off" },
    { "calc-dirty-rate", "{'calc-time': 1, 'mode': 'bogus'}",
      "Parameter 'mode' does not accept value 'bogus'" },
    { "calc-dirty-rate", "{'calc-time': 1, 'extra': 1}",
      "Parameter 'extra' is unexpected" },
    { "query-dirty-rate", "{'calc-time-unit': 'hour'}",
      "Parameter 'calc-time-unit' does not accept value 'hour'" },
    { "query-dirty-rate", "{'calc-time-unit': 1}",
      "Invalid parameter type for 'calc-time-unit', expected: string" },
};

static void test_arguments(void)
{
    QTestState *qts;
    QDict *info;
    size_t i;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(bad_input); i++) {
        curve_assert_qmp_error(qts, bad_input[i].command, bad_input[i].args,
                               bad_input[i].error);
    }

    /* nothing measured yet: no curve */
    info = curve_query_dirty_rate(qts);
    g_assert_cmpstr(qdict_get_str(info, "status"), ==, "unstarted");
    g_assert_false(qdict_haskey(info, "readings"));
    g_assert_false(qdict_haskey(info, "total-pages"));
    qobject_unref(info);

    /* one measurement at a time */
    curve_calc_dirty_rate(qts, 1000, "page-sampling");
    curve_assert_qmp_error(qts, "calc-dirty-rate", "{'calc-time': 1}",
                           "the dirty rate is already being measured");
    qobject_unref(curve_wait_measured(qts, 0));
    migrate_end(qts, NULL, false);
}

/* HMP's calc_dirty_rate: its own checks, then calc-dirty-rate's */
static void test_hmp_arguments(void)
{
    static const struct {
        const char *line, *error;
    } bad[] = {
        { "calc_dirty_rate 0", "Incorrect period length specified!" },
        { "calc_dirty_rate 61",
          "Error: 'calc-time' must be between 1 and 60 seconds" },
        { "calc_dirty_rate 1 127",
          "Error: 'sample-pages' must be between 128 and 16384" },
        { "calc_dirty_rate -r -b 1",
          "Either dirty ring or dirty bitmap can be specified!" },
        { "calc_dirty_rate -b 1 512",
          "Error: sample-pages is used only in page-sampling mode" },
    };
    QTestState *qts;
    size_t i;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *out = qtest_hmp(qts, "%s", bad[i].line);

        g_assert_nonnull(strstr(out, bad[i].error));
    }
    migrate_end(qts, NULL, false);
}

/*
 * HMP prints one row per reading: its elapsed time and its count.  A
 * reading carries the time it was really taken, so the last one is at
 * 500 ms or a little after.
 */
static void test_hmp(void)
{
    const char *title = "Distinct dirty pages after (ms):";
    g_autofree char *out = NULL;
    g_auto(GStrv) rows = NULL;
    uint64_t elapsed = 0, prev = 0, dirty;
    QTestState *qts;
    size_t i;

    qts = start_guest(false);
    if (!qts) {
        return;
    }
    qobject_unref(curve_measure(qts, 500, "dirty-bitmap"));
    out = qtest_hmp(qts, "info dirty_rate");
    g_assert_nonnull(strstr(out, "Mode: dirty-bitmap"));
    g_assert_nonnull(strstr(out, "Guest pages: "));
    g_assert_nonnull(strstr(out, title));

    /* 125, 250, 375 ms, then calc-time */
    rows = g_strsplit(strstr(out, title) + strlen(title) + 2, "\r\n", -1);
    g_assert_cmpuint(g_strv_length(rows), ==, 5);
    g_assert_cmpstr(rows[4], ==, "");
    for (i = 0; i < 4; i++) {
        g_assert_cmpint(sscanf(rows[i], "%" SCNu64 " %" SCNu64,
                               &elapsed, &dirty), ==, 2);
        g_assert_cmpuint(elapsed, >, prev);
        g_assert_cmpuint(dirty, ==, 0);
        prev = elapsed;
    }
    g_assert_cmpuint(elapsed, >=, 500);
    migrate_end(qts, NULL, false);
}

static void test_stopped_sampling(void)
{
    test_stopped("page-sampling");
}

static void test_stopped_bitmap(void)
{
    test_stopped("dirty-bitmap");
}

static void test_boot_block_sampling(void)
{
    test_boot_block("page-sampling");
}

static void test_boot_block_bitmap(void)
{
    test_boot_block("dirty-bitmap");
}

void migration_test_add_dirty_curve(MigrationTestEnv *env)
{
    /* the expectations are the x86 boot block's */
    if (!env->is_x86) {
        return;
    }
    migration_test_add("/migration/dirty-curve/arguments", test_arguments);
    migration_test_add("/migration/dirty-curve/hmp", test_hmp);
    migration_test_add("/migration/dirty-curve/hmp-arguments",
                       test_hmp_arguments);
    migration_test_add("/migration/dirty-curve/stopped-page-sampling",
                       test_stopped_sampling);
    migration_test_add("/migration/dirty-curve/stopped-dirty-bitmap",
                       test_stopped_bitmap);
    migration_test_add("/migration/dirty-curve/stopped-writes",
                       test_stopped_writes);
    migration_test_add("/migration/dirty-curve/boot-block-page-sampling",
                       test_boot_block_sampling);
    migration_test_add("/migration/dirty-curve/boot-block-dirty-bitmap",
                       test_boot_block_bitmap);
    migration_test_add("/migration/dirty-curve/bitmap-blocks-migration",
                       test_bitmap_blocks_migration);
}
