/*
 * Migration estimate: strategies, the aids a migration converges with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_STRATEGY_H
#define QEMU_MIGRATION_ESTIMATE_STRATEGY_H

#include "qapi/qapi-types-migration-estimate-strategy.h"
#include "precopy-estimate.h"

/*
 * The migration parameters and capabilities that an estimate takes,
 * read at once under the BQL (estimate_settings_read()), so that the
 * model can run on them without it
 */
typedef struct EstimateSettings {
    bool postcopy_ram;
    bool auto_converge;
    bool dirty_limit;
    bool multifd;
    /* the throttles' parameters; kind PRECOPY_THROTTLE_NONE, now 0 */
    PrecopyThrottle throttle;
    /* cpu_throttle_get_percentage(), and whether a dirty limit is set */
    unsigned throttle_now;
    bool dirty_limit_now;
    unsigned multifd_channels;
    uint64_t postcopy_bandwidth;
    uint64_t downtime_limit;
    uint64_t switchover_bandwidth;
} EstimateSettings;

/**
 * estimate_settings_read: Read the migration's settings for an estimate
 *
 * Call with the BQL held.
 *
 * @set: filled with the current parameters and capabilities
 */
void estimate_settings_read(EstimateSettings *set);

/**
 * estimate_strategy_check: Check a strategy a client asks for
 *
 * @s: the strategy
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if @s has aids that exclude each
 * other, or a postcopy-after-pass out of range or without postcopy
 */
bool estimate_strategy_check(const MigrationEstimateStrategy *s,
                             Error **errp);

/**
 * estimate_strategy_new: A strategy of the aids given
 *
 * @postcopy: with the aid postcopy
 * @auto_converge: with the aid auto-converge
 * @multifd: with the aid multifd
 *
 * Returns: the strategy; the caller frees it
 */
MigrationEstimateStrategy *estimate_strategy_new(bool postcopy,
                                                 bool auto_converge,
                                                 bool multifd);

/**
 * estimate_strategy_current: The strategy of the current capabilities
 *
 * @set: the settings
 *
 * Returns: the strategy of the capabilities of @set; the caller frees it
 */
MigrationEstimateStrategy *estimate_strategy_current(
    const EstimateSettings *set);

/**
 * estimate_strategy_params: The model's parameters for a strategy
 *
 * Sets the throttle, multifd and post-copy members of @p for @s, with
 * the migration parameters of @set; a migration under way
 * (@p->progress) throttles from where its throttle stands.
 *
 * @s: the strategy
 * @set: the settings
 * @p: the parameters
 */
void estimate_strategy_params(const MigrationEstimateStrategy *s,
                              const EstimateSettings *set,
                              PrecopyParams *p);

#endif
