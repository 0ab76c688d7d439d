/*
 * Migration estimate: the estimate with a strategy, and the advice
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/clone-visitor.h"
#include "qapi/qapi-visit-migration-estimate-strategy.h"
#include "precopy-search.h"
#include "estimate-cell.h"
#include "estimate-strategy.h"
#include "estimate-advice.h"

/* The estimate with the strategy @s, at @base's bandwidth and downtime-limit */
MigrationEstimateStrategyResult *estimate_strategy(
    const PrecopyWorkloadRange *w, const PrecopyParams *base,
    const MigrationEstimateStrategy *s, const EstimateSettings *set,
    uint64_t setup_ms)
{
    MigrationEstimateStrategyResult *res =
        g_new0(MigrationEstimateStrategyResult, 1);
    PrecopyParams p = *base;
    PrecopyEstimateRange r;
    const PrecopyEstimate *e = &r.measured;

    estimate_strategy_params(s, set, &p);
    precopy_estimate_range(w, &p, &r);
    res->strategy = QAPI_CLONE(MigrationEstimateStrategy, s);
    res->estimate = estimate_cell_of(&r, p.downtime_limit_ms, setup_ms);
    if (e->throttle_peak) {
        res->has_throttle_peak = true;
        res->throttle_peak = e->throttle_peak;
        res->has_throttle_start = true;
        res->throttle_start = estimate_int(e->throttle_start_ms, setup_ms);
        res->has_throttle_time = true;
        res->throttle_time = estimate_int(e->throttle_ms, 0);
        res->has_throttle_lost = true;
        res->throttle_lost = estimate_int(e->throttle_lost_ms, 0);
    }
    if (e->postcopy) {
        res->has_postcopy_switch = true;
        res->postcopy_switch = estimate_int(e->postcopy_switch_ms, setup_ms);
        res->has_postcopy_pages = true;
        res->postcopy_pages = estimate_int(e->postcopy_pages, 0);
        res->has_postcopy_time = true;
        res->postcopy_time = estimate_int(e->postcopy_ms, 0);
    }
    return res;
}

/*
 * The least intrusive strategy that completes within @complete_within
 * ms of the start: see MigrationEstimateAdvice.  A migration under way
 * can no longer change its capabilities, only switch to post-copy if it
 * has the capability.
 */
MigrationEstimateAdvice *estimate_advice(const PrecopyWorkloadRange *w,
                                         const PrecopyParams *base,
                                         const EstimateSettings *set,
                                         uint64_t complete_within,
                                         uint64_t setup_ms)
{
    /* the ladder, least intrusive first */
    static const struct {
        bool auto_converge;
        bool postcopy;
    } ladder[] = {
        { false, false }, { true, false }, { false, true },
    };
    MigrationEstimateAdvice *advice = g_new0(MigrationEstimateAdvice, 1);
    bool running = base->progress;
    PrecopyParams p = *base;
    size_t i;

    advice->complete_within = complete_within;
    p.deadline_ms = estimate_ms_left(complete_within, setup_ms);
    for (i = 0; i < ARRAY_SIZE(ladder) && !advice->strategy; i++) {
        g_autoptr(MigrationEstimateStrategy) s = NULL;
        g_autoptr(MigrationEstimateStrategyResult) res = NULL;
        bool auto_converge = ladder[i].auto_converge;

        if (running) {
            /* auto-converge is as it was set; post-copy needs its own */
            if (auto_converge ||
                (ladder[i].postcopy && !set->postcopy_ram)) {
                continue;
            }
            auto_converge = set->auto_converge;
        }
        s = estimate_strategy_new(ladder[i].postcopy, auto_converge,
                                  set->multifd);
        res = estimate_strategy(w, &p, s, set, setup_ms);
        if (res->estimate->verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
            advice->strategy = g_steal_pointer(&res);
        }
    }
    return advice;
}
