/*
 * Migration estimate: strategies, the aids a migration converges with
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_STRATEGY_H
#define QEMU_MIGRATION_ESTIMATE_STRATEGY_H

#include "qapi/qapi-types-migration-estimate-strategy.h"
#include "precopy-estimate.h"

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
 *
 * Returns: the strategy, with the aid multifd too if the capability is
 * on; the caller frees it
 */
MigrationEstimateStrategy *estimate_strategy_new(bool postcopy,
                                                 bool auto_converge);

/**
 * estimate_strategy_current: The strategy of the current capabilities
 *
 * Returns: the strategy; the caller frees it
 */
MigrationEstimateStrategy *estimate_strategy_current(void);

/**
 * estimate_strategy_params: The model's parameters for a strategy
 *
 * Sets the throttle, multifd and post-copy members of @p for @s, with
 * the current migration parameters; a migration under way
 * (@p->progress) throttles from where its throttle stands.
 *
 * @s: the strategy
 * @p: the parameters
 */
void estimate_strategy_params(const MigrationEstimateStrategy *s,
                              PrecopyParams *p);

#endif
