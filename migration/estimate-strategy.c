/*
 * Migration estimate: strategies, the aids a migration converges with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/boards.h"
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
        !strategy_has(s, MIGRATION_ESTIMATE_AID_POSTCOPY)) {
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

/* A strategy of the aids given, and of the multifd capability if on */
MigrationEstimateStrategy *estimate_strategy_new(bool postcopy,
                                                 bool auto_converge)
{
    MigrationEstimateStrategy *s = g_new0(MigrationEstimateStrategy, 1);
    MigrationEstimateAidList **tail = &s->aids;

    if (auto_converge) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_AUTO_CONVERGE);
    }
    if (postcopy) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_POSTCOPY);
    }
    if (migrate_multifd()) {
        QAPI_LIST_APPEND(tail, MIGRATION_ESTIMATE_AID_MULTIFD);
    }
    return s;
}

/* The strategy of the current capabilities */
MigrationEstimateStrategy *estimate_strategy_current(void)
{
    MigrationEstimateStrategy *s =
        estimate_strategy_new(migrate_postcopy_ram(), migrate_auto_converge());

    if (migrate_dirty_limit()) {
        QAPI_LIST_PREPEND(s->aids, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT);
    }
    return s;
}

/* @p for the strategy @s, with the current migration parameters */
void estimate_strategy_params(const MigrationEstimateStrategy *s,
                              PrecopyParams *p)
{
    MachineState *machine = MACHINE(qdev_get_machine());
    PrecopyThrottle *t = &p->throttle;

    *t = (PrecopyThrottle) {
        .trigger_threshold = migrate_throttle_trigger_threshold(),
        .initial = migrate_cpu_throttle_initial(),
        .increment = migrate_cpu_throttle_increment(),
        .tailslow = migrate_cpu_throttle_tailslow(),
        .max = migrate_max_cpu_throttle(),
        .vcpu_dirty_limit =
            migrate_get_current()->parameters.vcpu_dirty_limit,
        .vcpus = MAX(1, machine->smp.cpus),
    };
    if (strategy_has(s, MIGRATION_ESTIMATE_AID_AUTO_CONVERGE)) {
        t->kind = PRECOPY_THROTTLE_AUTO_CONVERGE;
        /* the curve of a migration under way is the guest's under it */
        t->now = p->progress ? cpu_throttle_get_percentage() : 0;
    } else if (strategy_has(s, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT)) {
        t->kind = PRECOPY_THROTTLE_DIRTY_LIMIT;
        t->now = p->progress && dirtylimit_in_service() ? 100 : 0;
    }
    p->multifd_channels =
        strategy_has(s, MIGRATION_ESTIMATE_AID_MULTIFD) ?
        migrate_multifd_channels() : 0;
    p->postcopy_after_pass = 0;
    if (strategy_has(s, MIGRATION_ESTIMATE_AID_POSTCOPY)) {
        p->postcopy_after_pass = s->has_postcopy_after_pass ?
                                 s->postcopy_after_pass : 1;
    }
    p->postcopy_bandwidth = migrate_max_postcopy_bandwidth();
}
