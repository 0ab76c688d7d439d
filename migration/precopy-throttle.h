/*
 * Pre-copy migration estimate: throttling the guest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The capabilities auto-converge and dirty-limit in the simulated
 * migration: the guest's clock, which runs slower under a throttle, the
 * periods of migration_trigger_throttle() that raise it, the syncs of
 * the timer of auto-converge, and what the throttle has cost the guest
 * when it stops.
 */

#ifndef QEMU_MIGRATION_PRECOPY_THROTTLE_H
#define QEMU_MIGRATION_PRECOPY_THROTTLE_H

#include "precopy-sim.h"

/**
 * precopy_sim_run_time: The guest's clock
 *
 * @s: the migration
 * @t: the time, in ms since the migration started
 *
 * Returns: the guest's clock, which the curve counts in, at @t
 */
double precopy_sim_run_time(const PrecopySim *s, double t);

/**
 * precopy_sim_throttle_period: A sync ends a throttle period
 *
 * migration_trigger_throttle(), at a sync that ends a period: if the
 * pages newly dirtied in it exceed throttle-trigger-threshold percent of
 * the bytes sent in it, the period is high, and every second high one,
 * consecutive or not, throttles the guest further
 *
 * @s: the migration
 * @dirtied: the pages the sync found newly dirtied
 */
void precopy_sim_throttle_period(PrecopySim *s, double dirtied);

/**
 * precopy_sim_throttle_may_rise: Whether the throttle may still rise
 *
 * @s: the migration
 *
 * Returns: true if it may, so that the migration goes on
 */
bool precopy_sim_throttle_may_rise(const PrecopySim *s);

/**
 * precopy_sim_tick_due: Whether the throttle's timer syncs
 *
 * Whether the timer of auto-converge syncs at the tick after now and
 * before @end, a round with no sync of its own: the first of its ticks
 * after pass 1 finds the count of syncs changed since the tick before,
 * the next one not (cpu_throttle_dirty_sync_timer_tick())
 *
 * @s: the migration
 * @end: the end of the round, in ms
 *
 * Returns: true if it does, at @s->next_tick
 */
bool precopy_sim_tick_due(PrecopySim *s, double end);

/**
 * precopy_sim_stop: The guest stops on the source
 *
 * Sets what its throttle has cost it in the estimate.
 *
 * @s: the migration
 */
void precopy_sim_stop(PrecopySim *s);

#endif
