/*
 * Migration estimate: the arguments of a query, checked
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-types-migration.h"
#include "migration-stats.h"
#include "options.h"
#include "estimate-lowest.h"
#include "estimate-strategy.h"
#include "estimate-query.h"

#define ESTIMATE_DEFAULT_DEADLINE_MS    (3600 * 1000)

/* Strategies a query may ask for */
#define ESTIMATE_MAX_STRATEGIES         8

/* 100 Mbit/s, 1, 2, 2.5, 5, 10, 25 and 40 Gbit/s, in bytes per second */
static const uint64_t estimate_bandwidths[] = {
    12500000, 125000000, 250000000, 312500000,
    625000000, 1250000000, 3125000000, 5000000000,
};

static const uint64_t estimate_downtime_limits_ms[] = {
    125, 250, 500, 1000, 5000,
};

/*
 * Check the @n values of argument @name: at least one, at most @max, each
 * between @min_value and @max_value
 */
static bool grid_check(const uint64_t *values, size_t n, const char *name,
                       size_t max, uint64_t min_value, uint64_t max_value,
                       Error **errp)
{
    size_t i;

    if (!n) {
        error_setg(errp, "'%s' must not be empty", name);
        return false;
    }
    if (n > max) {
        error_setg(errp, "'%s' may have at most %zu entries", name, max);
        return false;
    }
    for (i = 0; i < n; i++) {
        if (values[i] < min_value || values[i] > max_value) {
            error_setg(errp, "'%s' entries must be between %" PRIu64
                       " and %" PRIu64, name, min_value, max_value);
            return false;
        }
    }
    return true;
}

/*
 * Fill @values with the @nr_defaults ascending @defaults and, if
 * @has_current, @current, ascending and each once.  Returns how many
 * there are.
 */
static size_t grid_default(const uint64_t *defaults, size_t nr_defaults,
                           bool has_current, uint64_t current,
                           uint64_t *values)
{
    size_t n = 0, i;

    for (i = 0; i < nr_defaults; i++) {
        if (has_current && current <= defaults[i]) {
            if (current < defaults[i]) {
                values[n++] = current;
            }
            has_current = false;
        }
        values[n++] = defaults[i];
    }
    if (has_current) {
        values[n++] = current;
    }
    return n;
}

/* Whether the max-bandwidth @bandwidth sets no rate limit */
bool estimate_bandwidth_unlimited(uint64_t bandwidth)
{
    return bandwidth == RATE_LIMIT_DISABLED ||
           bandwidth > ESTIMATE_MAX_BANDWIDTH;
}

size_t estimate_default_bandwidths(bool has_current, uint64_t current,
                                   uint64_t *values)
{
    return grid_default(estimate_bandwidths, ARRAY_SIZE(estimate_bandwidths),
                        has_current, current, values);
}

size_t estimate_default_downtime_limits(bool has_current, uint64_t current,
                                        uint64_t *values)
{
    return grid_default(estimate_downtime_limits_ms,
                        ARRAY_SIZE(estimate_downtime_limits_ms),
                        has_current, current, values);
}

/* @value into @ms if given: within @min and @max, else an error */
bool estimate_query_ms(bool has, uint64_t value, const char *name,
                       uint64_t min, uint64_t max, uint64_t *ms,
                       Error **errp)
{
    if (has && (value < min || value > max)) {
        error_setg(errp, "'%s' must be between %" PRIu64 " and %" PRIu64
                   " ms", name, min, max);
        return false;
    }
    if (has) {
        *ms = value;
    }
    return true;
}

/* Fill in @q->bw, 0 for a bandwidth without rate limit */
bool estimate_query_bandwidths(EstimateQuery *q, bool has, sizeList *l,
                               Error **errp)
{
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];

    q->default_bw = !has;
    for (q->nr_bw = 0; has && l && q->nr_bw < ARRAY_SIZE(bw); l = l->next) {
        bw[q->nr_bw++] = estimate_bandwidth_unlimited(l->value) ? 0 : l->value;
    }
    if (has && !grid_check(bw, q->nr_bw, "bandwidths",
                           ESTIMATE_MAX_BANDWIDTHS, 0, ESTIMATE_MAX_BANDWIDTH,
                           errp)) {
        return false;
    }
    memcpy(q->bw, bw, q->nr_bw * sizeof(bw[0]));
    return true;
}

/* Fill in @q->dt: @l, or the defaults and the downtime-limit */
bool estimate_query_downtime_limits(EstimateQuery *q, bool has,
                                    uint64List *l, Error **errp)
{
    uint64_t dt[ESTIMATE_MAX_DOWNTIME_LIMITS + 1];

    if (!has) {
        q->nr_dt = estimate_default_downtime_limits(true, q->downtime_limit,
                                                    q->dt);
        return true;
    }
    for (q->nr_dt = 0; l && q->nr_dt < ARRAY_SIZE(dt); l = l->next) {
        dt[q->nr_dt++] = l->value;
    }
    if (!grid_check(dt, q->nr_dt, "downtime-limits",
                    ESTIMATE_MAX_DOWNTIME_LIMITS, 0,
                    ESTIMATE_MAX_DOWNTIME_LIMIT_MS, errp)) {
        return false;
    }
    memcpy(q->dt, dt, q->nr_dt * sizeof(dt[0]));
    return true;
}

/* Check @l, at most ESTIMATE_MAX_STRATEGIES of them */
bool estimate_query_strategies(MigrationEstimateStrategyList *l,
                               Error **errp)
{
    size_t n = 0;

    for (; l; l = l->next) {
        if (++n > ESTIMATE_MAX_STRATEGIES) {
            error_setg(errp, "'strategies' must have at most %d entries",
                       ESTIMATE_MAX_STRATEGIES);
            return false;
        }
        if (!estimate_strategy_check(l->value, errp)) {
            return false;
        }
    }
    return true;
}

/* @q for the grid of QEMU's own parameters and strategy */
void estimate_query_default(EstimateQuery *q)
{
    *q = (EstimateQuery) {
        .default_bw = true,
        .deadline = ESTIMATE_DEFAULT_DEADLINE_MS,
        .max_bandwidth = migrate_max_bandwidth(),
        .downtime_limit = migrate_downtime_limit(),
        .complete_within = ESTIMATE_DEFAULT_DEADLINE_MS,
    };
}
