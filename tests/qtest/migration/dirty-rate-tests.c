/*
 * QTest testcases for calc-dirty-rate and migration together
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Page-sampling mode only reads guest memory, and dirty-ring mode reads
 * the vCPUs' own rings, so a measurement in either may overlap a
 * migration, whichever starts first.  Dirty-bitmap mode takes
 * the dirty bits migration needs, so each refuses to start while the
 * other runs.  Whatever overlaps, the destination's memory must match the
 * source's, as migrate_end() checks.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "migration/framework.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"

static char *tmpfs;

/* Wait for the measurement to end; return how many readings it took */
static size_t readings_when_measured(QTestState *who)
{
    QDict *info = curve_wait_measured(who, 0);
    size_t n = curve_nr_readings(info);

    qobject_unref(info);
    return n;
}

static void *measure_first(QTestState *from, QTestState *to)
{
    curve_calc_dirty_rate(from, 2000, "page-sampling");
    return NULL;
}

static void measured_after(QTestState *from, QTestState *to, void *opaque)
{
    g_assert_cmpuint(readings_when_measured(from), >, 0);
}

/* Page-sampling started before the migration and running through it */
static void test_sampling_then_migration(void)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/migsocket", tmpfs);
    MigrateCommon args = {
        .listen_uri = uri,
        .connect_uri = uri,
        .start_hook = measure_first,
        .end_hook = measured_after,
        /* the measurement must see the guest run while it migrates */
        .live = true,
    };

    test_precopy_common(&args);
}

/*
 * A measurement started while a migration runs: page-sampling and, with
 * KVM's dirty ring, dirty-ring work and leave the migration intact;
 * dirty-bitmap is refused.
 */
static void measure_during_migration(const char *mode, const char *refusal)
{
    g_autofree char *uri = g_strdup_printf("unix:%s/migsocket", tmpfs);
    MigrateStart args = {
        /* dirty-ring mode needs KVM's dirty ring, on both sides */
        .use_dirty_ring = g_str_equal(mode, "dirty-ring"),
    };
    QTestState *from, *to;

    if (migrate_start(&from, &to, uri, &args)) {
        return;
    }
    wait_for_serial("src_serial");
    migrate_ensure_non_converge(from);
    migrate_prepare_for_dirty_mem(from);
    migrate_qmp(from, to, uri, NULL, "{}");
    wait_for_migration_status(from, "active", NULL);

    if (refusal) {
        g_autofree char *calc_args = g_strdup_printf(
            "{'calc-time': 1, 'mode': '%s'}", mode);

        curve_assert_qmp_error(from, "calc-dirty-rate", calc_args, refusal);
    } else {
        curve_calc_dirty_rate(from, 2000, mode);
        if (g_str_equal(mode, "dirty-ring")) {
            qobject_unref(curve_wait_measured(from, 0));
            /* a rate per vCPU, not a curve: nothing to estimate from */
            curve_assert_qmp_error(from, "query-migration-estimate", "{}",
                                   "calc-dirty-rate measured in dirty-ring "
                                   "mode");
        } else {
            g_assert_cmpuint(readings_when_measured(from), >, 0);
        }
    }

    migrate_ensure_converge(from);
    wait_for_migration_complete(from);
    migrate_end(from, to, true);
}

static void test_migration_then_sampling(void)
{
    measure_during_migration("page-sampling", NULL);
}

/* A slow test: a dirty ring that overflows, as some hosts let it, hangs */
static void test_migration_then_ring(void)
{
    if (!g_test_slow()) {
        g_test_skip("a slow test: run with -m slow");
        return;
    }
    measure_during_migration("dirty-ring", NULL);
}

static void test_migration_then_bitmap(void)
{
    measure_during_migration("dirty-bitmap",
                             "migration is running, use page-sampling");
}

void migration_test_add_dirty_rate(MigrationTestEnv *env)
{
    tmpfs = env->tmpfs;

    migration_test_add("/migration/dirty-rate/page-sampling-then-migration",
                       test_sampling_then_migration);
    migration_test_add("/migration/dirty-rate/migration-then-page-sampling",
                       test_migration_then_sampling);
    migration_test_add("/migration/dirty-rate/migration-then-dirty-bitmap",
                       test_migration_then_bitmap);
    if (env->has_kvm && env->has_dirty_ring) {
        migration_test_add("/migration/dirty-rate/migration-then-dirty-ring",
                           test_migration_then_ring);
    }
}
