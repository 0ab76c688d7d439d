/*
 * Migration estimate: the arguments of a query, checked
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_MIGRATION_ESTIMATE_QUERY_H
#define QEMU_MIGRATION_ESTIMATE_QUERY_H

#include "qapi/qapi-types-migration-estimate-strategy.h"

/* Grid limits: they bound the time the command holds the BQL */
#define ESTIMATE_MAX_BANDWIDTHS         32
#define ESTIMATE_MAX_DOWNTIME_LIMITS    16
#define ESTIMATE_MIN_DEADLINE_MS        1000
#define ESTIMATE_MAX_DEADLINE_MS        (7 * 24 * 3600 * 1000)
/*
 * 1 Pbit/s: more is no network.  A max-bandwidth above it is a client's
 * way to say "unlimited" (libvirt sets INT64_MAX rounded down to MiB).
 */
#define ESTIMATE_MAX_BANDWIDTH          (125ULL * 1000 * 1000 * 1000 * 1000)

/*
 * A query-migration-estimate: the arguments, checked, and what stands in
 * for those not given
 */
typedef struct EstimateQuery {
    /* the grid; a bandwidth of 0 has no rate limit */
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS];
    size_t nr_bw;
    bool default_bw;            /* the default bandwidths, not @bw */
    uint64_t dt[ESTIMATE_MAX_DOWNTIME_LIMITS];
    size_t nr_dt;
    uint64_t deadline;
    /* the parameters a migration starts with; given, or QEMU's */
    uint64_t max_bandwidth;
    uint64_t downtime_limit;
    bool has_params;            /* given: no migration may be under way */
    uint64_t link_bandwidth;    /* 0 if unknown */
    MigrationEstimateStrategyList *strategies;
    uint64_t complete_within;
    /*
     * Only the estimate of the migration under way, and what it would
     * take to converge only if it does not: `info migrate`
     */
    bool lean;
} EstimateQuery;

/**
 * estimate_bandwidth_unlimited: Whether a max-bandwidth sets no rate
 * limit
 *
 * @bandwidth: the max-bandwidth, in bytes per second
 *
 * Returns: true for RATE_LIMIT_DISABLED and above ESTIMATE_MAX_BANDWIDTH
 */
bool estimate_bandwidth_unlimited(uint64_t bandwidth);

/**
 * estimate_default_bandwidths: The default bandwidths of the grid
 *
 * @has_current: whether to add @current
 * @current: a bandwidth, in bytes per second
 * @values: filled with the default bandwidths and, if @has_current,
 *     @current, ascending and each once; room for
 *     ESTIMATE_MAX_BANDWIDTHS + 1
 *
 * Returns: how many there are
 */
size_t estimate_default_bandwidths(bool has_current, uint64_t current,
                                   uint64_t *values);

/**
 * estimate_default_downtime_limits: The default downtime-limits of the
 * grid
 *
 * @has_current: whether to add @current
 * @current: a downtime-limit, in milliseconds
 * @values: filled with the default downtime-limits and, if
 *     @has_current, @current, ascending and each once; room for
 *     ESTIMATE_MAX_DOWNTIME_LIMITS
 *
 * Returns: how many there are
 */
size_t estimate_default_downtime_limits(bool has_current, uint64_t current,
                                        uint64_t *values);

/**
 * estimate_query_ms: Check an argument in milliseconds
 *
 * @has: whether it is given
 * @value: its value
 * @name: its name, for the error
 * @min: the least it may be
 * @max: the most it may be
 * @ms: set to @value if given
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if @value is given and out of range
 */
bool estimate_query_ms(bool has, uint64_t value, const char *name,
                       uint64_t min, uint64_t max, uint64_t *ms,
                       Error **errp);

/**
 * estimate_query_bandwidths: Fill in @q->bw, 0 for a bandwidth without
 * rate limit
 *
 * @q: the query
 * @has: whether the argument bandwidths is given; if not, @q asks for
 *     the default bandwidths (@q->default_bw)
 * @l: the argument
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if @l is empty, too long or out of
 * range
 */
bool estimate_query_bandwidths(EstimateQuery *q, bool has, sizeList *l,
                               Error **errp);

/**
 * estimate_query_downtime_limits: Fill in @q->dt: @l, or the defaults
 * and @q->downtime_limit
 *
 * @q: the query
 * @has: whether the argument downtime-limits is given
 * @l: the argument
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if @l is empty, too long or out of
 * range
 */
bool estimate_query_downtime_limits(EstimateQuery *q, bool has,
                                    uint64List *l, Error **errp);

/**
 * estimate_query_strategies: Check the strategies a query asks for
 *
 * @l: the strategies
 * @errp: pointer to a NULL-initialized error object
 *
 * Returns: false, with @errp set, if there are more than
 * ESTIMATE_MAX_STRATEGIES, or one fails estimate_strategy_check()
 */
bool estimate_query_strategies(MigrationEstimateStrategyList *l,
                               Error **errp);

/**
 * estimate_query_default: The query of QEMU's own parameters
 *
 * The default bandwidths, no downtime-limits, the default deadline,
 * and the current max-bandwidth and downtime-limit.  Called under the
 * BQL.
 *
 * @q: filled with the query
 */
void estimate_query_default(EstimateQuery *q);

#endif
