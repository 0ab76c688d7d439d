/*
 * Migration estimate: strategies, the aids a migration converges with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "qemu/main-loop.h"
#include "system/cpu-throttle.h"
#include "system/dirtylimit.h"
#include "migration.h"
#include "options.h"
#include "precopy-estimate.h"
#include "estimate-strategy.h"

static bool strategy_has(const MigrationEstimateStrategy *s,
                         MigrationEstimateAid aid)
{
    MigrationEstimateAidList *l;

    for (l = s->aids; l; l = l->next) {
        if (l->value == aid) {
            return true;
        }
    }
    return false;
}

bool estimate_strategy_check(const MigrationEstimateStrategy *s,
                             Error **errp)
{
    if (strategy_has(s, MIGRATION_ESTIMATE_AID_AUTO_CONVERGE) &&
        strategy_has(s, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT)) {
        error_setg(errp, "auto-converge and dirty-limit exclude each other");
        return false;
    }
    if (s->has_postcopy_after_pass &&
        !strategy_has(s, MIGRATION_ESTIMATE_AID_POSTCOPY_RAM)) {
        error_setg(errp, "'postcopy-after-pass' needs the aid postcopy");
        return false;
    }
    if (s->has_postcopy_after_pass &&
        (!s->postcopy_after_pass ||
         s->postcopy_after_pass >= PRECOPY_MAX_DIRTY_SYNCS)) {
        error_setg(errp, "'postcopy-after-pass' must be between 1 and %d",
                   PRECOPY_MAX_DIRTY_SYNCS - 1);
        return false;
    }
    return true;
}

void estimate_settings_read(EstimateSettings *set)
{
    MachineState *machine = MACHINE(qdev_get_machine());

    assert(bql_locked());
    *set = (EstimateSettings) {
        .postcopy_ram = migrate_postcopy_ram(),
        .auto_converge = migrate_auto_converge(),
        .dirty_limit = migrate_dirty_limit(),
        .multifd = migrate_multifd(),
        .throttle = {
            .trigger_threshold = migrate_throttle_trigger_threshold(),
            .initial = migrate_cpu_throttle_initial(),
            .increment = migrate_cpu_throttle_increment(),
            .tailslow = migrate_cpu_throttle_tailslow(),
            .max = migrate_max_cpu_throttle(),
            .vcpu_dirty_limit =
                migrate_get_current()->parameters.vcpu_dirty_limit,
            .vcpus = MAX(1, machine->smp.cpus),
        },
        .throttle_now = cpu_throttle_get_percentage(),
        .dirty_limit_now = dirtylimit_in_service(),
        .multifd_channels = migrate_multifd_channels(),
        .postcopy_bandwidth = migrate_max_postcopy_bandwidth(),
        .downtime_limit = migrate_downtime_limit(),
        .switchover_bandwidth = migrate_avail_switchover_bandwidth(),
    };
}

MigrationEstimateStrategy *estimate_strategy_new(bool postcopy,
                                                 bool auto_converge,
                                                 bool multifd)
{
    MigrationEstimateStrategy *s = g_new0(MigrationEstimateStrategy, 1);
    MigrationEstimateAidList **tail = &s->aids;

    if (auto_converge) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_AUTO_CONVERGE);
    }
    if (postcopy) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_POSTCOPY_RAM);
    }
    if (multifd) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_MULTIFD);
    }
    return s;
}

MigrationEstimateStrategy *estimate_strategy_current(
    const EstimateSettings *set)
{
    MigrationEstimateStrategy *s =
        estimate_strategy_new(set->postcopy_ram, set->auto_converge,
                              set->multifd);

    if (set->dirty_limit) {
        QAPI_LIST_PREPEND(s->aids, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT);
    }
    return s;
}

void estimate_strategy_params(const MigrationEstimateStrategy *s,
                              const EstimateSettings *set,
                              PrecopyParams *p)
{
    PrecopyThrottle *t = &p->throttle;

    *t = set->throttle;
    if (strategy_has(s, MIGRATION_ESTIMATE_AID_AUTO_CONVERGE)) {
        t->kind = PRECOPY_THROTTLE_AUTO_CONVERGE;
        /* the curve of a migration under way is the guest's under it */
        t->pct_now = p->progress ? set->throttle_now : 0;
    } else if (strategy_has(s, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT)) {
        t->kind = PRECOPY_THROTTLE_DIRTY_LIMIT;
        t->limit_now = p->progress && set->dirty_limit_now;
    }
    p->multifd_channels =
        strategy_has(s, MIGRATION_ESTIMATE_AID_MULTIFD) ?
        set->multifd_channels : 0;
    p->postcopy_after_pass = 0;
    if (strategy_has(s, MIGRATION_ESTIMATE_AID_POSTCOPY_RAM)) {
        p->postcopy_after_pass = s->has_postcopy_after_pass ?
                                 s->postcopy_after_pass : 1;
    }
    p->postcopy_bandwidth = set->postcopy_bandwidth;
}
