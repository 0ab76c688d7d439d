/*
 * Migration estimate: query-migration-estimate and info migrate_estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Runs the pre-copy model of precopy-estimate.c over a grid of
 * bandwidths and downtime-limits, on the dirty page curve that the last
 * calc-dirty-rate measured, or, while a pre-copy migration is under way,
 * on that curve refitted to the migration's own dirty bitmap syncs, from
 * where the migration stands.  The migration thread records each sync
 * (migration_estimate_sync()) and nothing more: the model runs when a
 * client asks.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-migration-estimate.h"
#include "qapi/clone-visitor.h"
#include "hw/boards.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-commands-migration-estimate.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "exec/target_page.h"
#include "dirtyrate.h"
#include "migration.h"
#include "migration-estimate.h"
#include "migration-stats.h"
#include "options.h"
#include "system/cpu-throttle.h"
#include "system/dirtylimit.h"
#include "precopy-estimate.h"
#include "ram.h"
#include "trace.h"

/* Grid limits: they bound the time the command holds the BQL */
#define ESTIMATE_MAX_BANDWIDTHS         32
#define ESTIMATE_MAX_DOWNTIME_LIMITS    16
/* as migrate-set-parameters allows */
#define ESTIMATE_MAX_DOWNTIME_LIMIT_MS  (2000 * 1000)
#define ESTIMATE_MIN_DEADLINE_MS        1000
#define ESTIMATE_MAX_DEADLINE_MS        (7 * 24 * 3600 * 1000)
#define ESTIMATE_DEFAULT_DEADLINE_MS    (3600 * 1000)
/*
 * 1 Pbit/s: more is no network.  A max-bandwidth above it is a client's
 * way to say "unlimited" (libvirt sets INT64_MAX rounded down to MiB).
 */
#define ESTIMATE_MAX_BANDWIDTH          (125ULL * 1000 * 1000 * 1000 * 1000)
/* where to look for the lowest converging bandwidth: 8 kbit/s - 1 Tbit/s */
#define ESTIMATE_SEARCH_MIN_BANDWIDTH   1000
#define ESTIMATE_SEARCH_MAX_BANDWIDTH   (125ULL * 1000 * 1000 * 1000)

/* Strategies a query may ask for */
#define ESTIMATE_MAX_STRATEGIES         8

/* Syncs of the migration under way kept for the estimate */
#define ESTIMATE_SYNCS                  16

/* 100 Mbit/s, 1, 2, 2.5, 5, 10, 25 and 40 Gbit/s, in bytes per second */
static const uint64_t estimate_bandwidths[] = {
    12500000, 125000000, 250000000, 312500000,
    625000000, 1250000000, 3125000000, 5000000000,
};

static const uint64_t estimate_downtime_limits_ms[] = {
    125, 250, 500, 1000, 5000,
};

/*
 * The dirty bitmap syncs of the migration under way, the last
 * ESTIMATE_SYNCS of them in a ring.  Written by the migration thread and
 * read by the monitor, both under the BQL.
 */
typedef struct EstimateSyncs {
    int64_t first_us;           /* QEMU_CLOCK_REALTIME of its first sync */
    uint64_t count;             /* syncs since then, that one included */
    PrecopySync ring[ESTIMATE_SYNCS];
} EstimateSyncs;

static EstimateSyncs estimate_syncs;

/* The migration now, as PrecopySync has it, with @dirty pages in its bitmap */
static void estimate_now(PrecopySync *now, uint64_t dirty_before,
                         uint64_t dirty_after)
{
    uint64_t zero = stat64_get(&mig_stats.zero_pages);

    *now = (PrecopySync) {
        .elapsed_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME) -
                      estimate_syncs.first_us,
        .dirty_before = dirty_before,
        .dirty_after = dirty_after,
        .sent_pages = stat64_get(&mig_stats.normal_pages) + zero,
        .zero_sent = zero,
        .transferred = migration_transferred_bytes(),
        .max_bandwidth = migrate_max_bandwidth(),
        .downtime_limit = migrate_downtime_limit(),
    };
}

void migration_estimate_sync(uint64_t dirty_before, uint64_t dirty_after)
{
    EstimateSyncs *e = &estimate_syncs;
    PrecopySync *sync;

    assert(bql_locked());

    /* the first of a migration: ram_init_bitmaps() */
    if (stat64_get(&mig_stats.dirty_sync_count) == 1) {
        e->first_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME);
        e->count = 0;
    }
    sync = &e->ring[e->count++ % ESTIMATE_SYNCS];
    estimate_now(sync, dirty_before, dirty_after);
    trace_migration_estimate_sync(e->count, sync->elapsed_us, dirty_before,
                                  dirty_after, sync->sent_pages,
                                  sync->zero_sent, sync->transferred);
}

/*
 * The pre-copy migration under way, in @g with its syncs in @syncs, and
 * how long ago, in milliseconds, it started before its first sync, in
 * @setup_ms.  One still setting up is where its first sync will leave it.
 * Returns false if none is under way.
 */
static bool estimate_progress(PrecopyProgress *g, PrecopySync *syncs,
                              int64_t *setup_ms)
{
    MigrationState *s = migrate_get_current();
    EstimateSyncs *e = &estimate_syncs;
    uint64_t page = qemu_target_page_size();
    uint64_t total = ram_bytes_total() / page;
    uint64_t synced = stat64_get(&mig_stats.dirty_sync_count);
    int64_t now_ms = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    uint64_t dirty;
    size_t n, i;

    if ((s->state != MIGRATION_STATUS_SETUP &&
         s->state != MIGRATION_STATUS_ACTIVE) || migration_in_postcopy() ||
        !total) {
        return false;
    }
    *g = (PrecopyProgress) {
        .total_pages = total,
        .page_size = page,
        .syncs = syncs,
        .nr_syncs = 1,
        .dirty_sync_count = 1,
    };
    if (!synced) {
        syncs[0] = (PrecopySync) {
            .dirty_before = total,
            .dirty_after = total,
        };
        g->now = syncs[0];
        g->window_us = g->now.elapsed_us;
        *setup_ms = now_ms - s->start_time;
        return true;
    }
    if (e->count != synced || e->first_us / 1000 < s->start_time) {
        return false;       /* its syncs are not the ones recorded */
    }
    n = MIN(e->count, ESTIMATE_SYNCS);
    for (i = 0; i < n; i++) {
        syncs[i] = e->ring[(e->count - n + i) % ESTIMATE_SYNCS];
    }
    g->nr_syncs = n;
    g->dirty_sync_count = e->count;
    dirty = ram_bytes_remaining() / page;
    estimate_now(&g->now, dirty, dirty);
    /* the window of migration_rate_limit(): migration_update_counters() */
    g->window_us = s->iteration_start_time * 1000 - e->first_us;
    g->window_sent = g->now.transferred -
                     MIN(g->now.transferred,
                         stat64_get(&mig_stats.rate_limit_start));
    /* threshold_size is that window's bytes per ms times downtime-limit */
    if (!migrate_avail_switchover_bandwidth() && migrate_downtime_limit()) {
        g->window_bytes = s->threshold_size * BUFFER_DELAY /
                          migrate_downtime_limit();
    }
    *setup_ms = e->first_us / 1000 - s->start_time;
    return precopy_progress_check(g, NULL);
}

/*
 * The rate at which the migration @g has sent since its oldest sync
 * kept, in bytes per second; 0 before a rate limit window has passed
 */
static uint64_t estimate_progress_rate(const PrecopyProgress *g)
{
    int64_t us = g->now.elapsed_us - g->syncs[0].elapsed_us;

    if (us < BUFFER_DELAY * 1000) {
        return 0;
    }
    /* milliseconds fit 32 bits for 49 days */
    return muldiv64(g->now.transferred - g->syncs[0].transferred, 1000,
                    MIN(us / 1000, UINT32_MAX));
}

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
static bool bandwidth_unlimited(uint64_t bandwidth)
{
    return bandwidth == RATE_LIMIT_DISABLED ||
           bandwidth > ESTIMATE_MAX_BANDWIDTH;
}

/* Milliseconds from @since to @until, 0 if @until comes first */
static uint64_t ms_left(uint64_t until, uint64_t since)
{
    return until > since ? until - since : 0;
}

static const MigrationEstimateVerdict estimate_verdicts[] = {
    [PRECOPY_CONVERGES] = MIGRATION_ESTIMATE_VERDICT_CONVERGES,
    [PRECOPY_UNCERTAIN] = MIGRATION_ESTIMATE_VERDICT_UNCERTAIN,
    [PRECOPY_DOES_NOT_CONVERGE] = MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE,
};

/*
 * The estimate @r at @downtime_limit_ms, with its times counted from
 * @setup_ms before the model's: the start of the migration under way
 */
static MigrationEstimate *estimate_cell_of(const PrecopyEstimateRange *r,
                                           uint64_t downtime_limit_ms,
                                           uint64_t setup_ms)
{
    MigrationEstimate *cell = g_new0(MigrationEstimate, 1);
    const PrecopyEstimate *e = &r->measured;

    cell->has_downtime_limit =
        downtime_limit_ms != PRECOPY_DOWNTIME_UNLIMITED;
    cell->downtime_limit = cell->has_downtime_limit ? downtime_limit_ms : 0;
    cell->verdict = estimate_verdicts[r->verdict];
    cell->has_min_total_time = r->verdict != PRECOPY_DOES_NOT_CONVERGE;
    cell->min_total_time = r->min.total_time_ms + setup_ms;
    cell->has_min_downtime = cell->has_min_total_time;
    cell->min_downtime = r->min.downtime_ms;
    cell->has_min_dirty_sync_count = cell->has_min_total_time;
    cell->min_dirty_sync_count = r->min.dirty_syncs;
    cell->has_max_total_time = r->verdict == PRECOPY_CONVERGES;
    cell->max_total_time = r->max.total_time_ms + setup_ms;
    cell->has_max_downtime = cell->has_max_total_time;
    cell->max_downtime = r->max.downtime_ms;
    cell->has_max_dirty_sync_count = cell->has_max_total_time;
    cell->max_dirty_sync_count = r->max.dirty_syncs;
    if (e->converges) {
        cell->has_total_time = true;
        cell->total_time = e->total_time_ms + setup_ms;
        cell->has_downtime = true;
        cell->downtime = e->downtime_ms;
        cell->has_dirty_sync_count = true;
        cell->dirty_sync_count = e->dirty_syncs;
        cell->has_transferred = true;
        cell->transferred = e->transferred;
    }
    return cell;
}

/* The estimate of @w with @p at @downtime_limit_ms */
static MigrationEstimate *estimate_cell(const PrecopyWorkloadRange *w,
                                        PrecopyParams *p,
                                        uint64_t downtime_limit_ms,
                                        uint64_t setup_ms)
{
    PrecopyEstimateRange r;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_estimate_range(w, p, &r);
    return estimate_cell_of(&r, downtime_limit_ms, setup_ms);
}

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

static bool strategy_check(const MigrationEstimateStrategy *s, Error **errp)
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
static MigrationEstimateStrategy *strategy_new(bool postcopy,
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
static MigrationEstimateStrategy *strategy_current(void)
{
    MigrationEstimateStrategy *s =
        strategy_new(migrate_postcopy_ram(), migrate_auto_converge());

    if (migrate_dirty_limit()) {
        QAPI_LIST_PREPEND(s->aids, MIGRATION_ESTIMATE_AID_DIRTY_LIMIT);
    }
    return s;
}

/* @p for the strategy @s, with the current migration parameters */
static void strategy_params(const MigrationEstimateStrategy *s,
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

/* The estimate with the strategy @s, at @base's bandwidth and downtime-limit */
static MigrationEstimateStrategyResult *estimate_strategy(
    const PrecopyWorkloadRange *w, const PrecopyParams *base,
    const MigrationEstimateStrategy *s, uint64_t setup_ms)
{
    MigrationEstimateStrategyResult *res =
        g_new0(MigrationEstimateStrategyResult, 1);
    PrecopyParams p = *base;
    PrecopyEstimateRange r;
    const PrecopyEstimate *e = &r.measured;

    strategy_params(s, &p);
    precopy_estimate_range(w, &p, &r);
    res->strategy = QAPI_CLONE(MigrationEstimateStrategy, s);
    res->estimate = estimate_cell_of(&r, p.downtime_limit_ms, setup_ms);
    if (e->throttle_peak) {
        res->has_throttle_peak = true;
        res->throttle_peak = e->throttle_peak;
        res->has_throttle_start = true;
        res->throttle_start = e->throttle_start_ms + setup_ms;
        res->has_throttle_time = true;
        res->throttle_time = e->throttle_ms;
        res->has_throttle_lost = true;
        res->throttle_lost = e->throttle_lost_ms;
    }
    if (e->postcopy) {
        res->has_postcopy_switch = true;
        res->postcopy_switch = e->postcopy_switch_ms + setup_ms;
        res->has_postcopy_pages = true;
        res->postcopy_pages = e->postcopy_pages;
        res->has_postcopy_time = true;
        res->postcopy_time = e->postcopy_ms;
    }
    return res;
}

/*
 * The least intrusive strategy that completes within @complete_within
 * ms of the start: see MigrationEstimateAdvice.  A migration under way
 * can no longer change its capabilities, only switch to post-copy if it
 * has the capability.
 */
static MigrationEstimateAdvice *estimate_advice(const PrecopyWorkloadRange *w,
                                                const PrecopyParams *base,
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
    p.deadline_ms = ms_left(complete_within, setup_ms);
    for (i = 0; i < ARRAY_SIZE(ladder) && !advice->strategy; i++) {
        g_autoptr(MigrationEstimateStrategy) s = NULL;
        g_autoptr(MigrationEstimateStrategyResult) res = NULL;
        bool auto_converge = ladder[i].auto_converge;

        if (running) {
            /* auto-converge is as it was set; post-copy needs its own */
            if (auto_converge ||
                (ladder[i].postcopy && !migrate_postcopy_ram())) {
                continue;
            }
            auto_converge = migrate_auto_converge();
        }
        s = strategy_new(ladder[i].postcopy, auto_converge);
        res = estimate_strategy(w, &p, s, setup_ms);
        if (res->estimate->verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
            advice->strategy = g_steal_pointer(&res);
        }
    }
    return advice;
}

static MigrationEstimateMinBandwidth *estimate_min_bandwidth(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    uint64_t downtime_limit_ms)
{
    MigrationEstimateMinBandwidth *min =
        g_new0(MigrationEstimateMinBandwidth, 1);
    PrecopyLowest r;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_lowest_range(w, p, PRECOPY_SEARCH_BANDWIDTH,
                         ESTIMATE_SEARCH_MIN_BANDWIDTH,
                         ESTIMATE_SEARCH_MAX_BANDWIDTH, &r);
    min->downtime_limit = downtime_limit_ms;
    min->has_bandwidth = r.measured != 0;
    min->bandwidth = r.measured;
    min->has_lowest = r.min != 0;
    min->lowest = r.min;
    min->has_highest = r.max != 0;
    min->highest = r.max;
    return min;
}

static MigrationEstimateMinDowntimeLimit *estimate_min_downtime_limit(
    const PrecopyWorkloadRange *w, PrecopyParams *p, uint64_t bandwidth)
{
    MigrationEstimateMinDowntimeLimit *min =
        g_new0(MigrationEstimateMinDowntimeLimit, 1);
    PrecopyLowest r;

    p->bandwidth = bandwidth;
    precopy_lowest_range(w, p, PRECOPY_SEARCH_DOWNTIME_LIMIT,
                         1, ESTIMATE_MAX_DOWNTIME_LIMIT_MS, &r);
    min->bandwidth = bandwidth;
    min->has_downtime_limit = r.measured != 0;
    min->downtime_limit = r.measured;
    min->has_lowest = r.min != 0;
    min->lowest = r.min;
    min->has_highest = r.max != 0;
    min->highest = r.max;
    return min;
}

/*
 * The curve to estimate on, and the ends of its range, in @curves; the
 * workloads on them in @w: the curve of the last calc-dirty-rate, or,
 * with a migration @g under way, that curve refitted to its syncs, which
 * returns where the curve comes from in @source and how many syncs it
 * was fitted to in @refit
 */
static bool estimate_workloads(const PrecopyProgress *g, DirtyCurve curves[3],
                               MigrationEstimateCurveSource *source,
                               size_t *refit, PrecopyWorkloadRange *w,
                               Error **errp)
{
    DirtyCurve base[3];

    if (g) {
        bool measured = dirtyrate_get_curve(&base[0], NULL);

        if (measured) {
            dirty_curve_bounds(&base[0], &base[1], &base[2]);
        }
        *refit = precopy_refit(measured ? base : NULL, g, curves, &measured);
        if (measured) {
            *source = *refit ? MIGRATION_ESTIMATE_CURVE_SOURCE_REFITTED :
                               MIGRATION_ESTIMATE_CURVE_SOURCE_MEASURED;
        } else {
            *source = g->nr_syncs > 1 ? MIGRATION_ESTIMATE_CURVE_SOURCE_SYNCS :
                                        MIGRATION_ESTIMATE_CURVE_SOURCE_NONE;
        }
    } else if (dirtyrate_get_curve(&curves[0], errp)) {
        dirty_curve_bounds(&curves[0], &curves[1], &curves[2]);
    } else {
        return false;
    }
    precopy_workload_from_curve(&w->measured, &curves[0]);
    precopy_workload_from_curve(&w->low, &curves[1]);
    precopy_workload_from_curve(&w->high, &curves[2]);
    return precopy_workload_check(&w->measured, errp) &&
           precopy_workload_check(&w->low, errp) &&
           precopy_workload_check(&w->high, errp);
}

/*
 * The estimate for the migration @g under way, @elapsed_ms since it
 * started, under its current downtime-limit and at @p->bandwidth; if
 * @lean, with the lowest bandwidth and downtime-limit that converge
 * searched only when it does not
 */
static MigrationEstimateRunning *estimate_running(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    const PrecopyProgress *g, MigrationEstimateCurveSource source,
    size_t refit, uint64_t setup_ms, bool lean)
{
    MigrationEstimateRunning *run = g_new0(MigrationEstimateRunning, 1);
    uint64_t elapsed = g->now.elapsed_us / 1000 + setup_ms;
    MigrationEstimate *e;

    run->elapsed = elapsed;
    run->dirty_sync_count = g->dirty_sync_count;
    run->curve = source;
    run->refit_syncs = refit;
    run->bandwidth = p->bandwidth;
    run->estimate = e = estimate_cell(w, p, migrate_downtime_limit(),
                                      setup_ms);
    run->stalled_syncs = precopy_stalled_syncs(g);
    if (e->verdict == MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE &&
        run->stalled_syncs < PRECOPY_STALLED_SYNCS) {
        /*
         * The model says so, the migration has yet to show it.  It ends
         * no sooner than the pages waiting are sent, but for the zero
         * pages the first pass may still find.
         */
        uint64_t zero_left = w->low.zero_pages -
                             MIN(g->now.zero_sent, w->low.zero_pages);
        uint64_t waiting = g->now.dirty_after -
                           MIN(zero_left, g->now.dirty_after);

        e->verdict = MIGRATION_ESTIMATE_VERDICT_UNCERTAIN;
        e->has_min_total_time = true;
        e->min_total_time = elapsed +
            (uint64_t)((double)waiting * g->page_size * 1000 /
                       MAX(p->bandwidth, 1));
    }
    run->has_remaining_time = e->has_total_time;
    run->remaining_time = ms_left(e->total_time, elapsed);
    run->has_min_remaining_time = e->has_min_total_time;
    run->min_remaining_time = ms_left(e->min_total_time, elapsed);
    run->has_max_remaining_time = e->has_max_total_time;
    run->max_remaining_time = ms_left(e->max_total_time, elapsed);
    if (lean && e->verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
        /* not searched: what it takes to converge, it has */
        run->min_bandwidth = g_new0(MigrationEstimateMinBandwidth, 1);
        run->min_bandwidth->downtime_limit = migrate_downtime_limit();
        run->min_downtime_limit = g_new0(MigrationEstimateMinDowntimeLimit, 1);
        run->min_downtime_limit->bandwidth = run->bandwidth;
        return run;
    }
    run->min_bandwidth = estimate_min_bandwidth(w, p,
                                                migrate_downtime_limit());
    run->min_downtime_limit = estimate_min_downtime_limit(w, p,
                                                          run->bandwidth);
    return run;
}

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

/* What an estimate needs of the guest and of the migration under way */
typedef struct EstimateState {
    PrecopySync syncs[ESTIMATE_SYNCS];
    PrecopyProgress g;
    bool running;
    int64_t setup_ms;
    DirtyCurve curves[3];
    MigrationEstimateCurveSource source;
    size_t refit;
    PrecopyWorkloadRange w;
    PrecopyParams p;
    /* the link's speed, else the sender's pace stands in; 0 if unknown */
    uint64_t link;
    /* the bandwidth the migration runs at, or starts with; 0 if unknown */
    uint64_t current;
} EstimateState;

/* @value into @ms if given: within @min and @max, else an error */
static bool query_ms(bool has, uint64_t value, const char *name,
                     uint64_t min, uint64_t max, uint64_t *ms, Error **errp)
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
static bool query_bandwidths(EstimateQuery *q, bool has, sizeList *l,
                             Error **errp)
{
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];

    q->default_bw = !has;
    for (q->nr_bw = 0; has && l && q->nr_bw < ARRAY_SIZE(bw); l = l->next) {
        bw[q->nr_bw++] = bandwidth_unlimited(l->value) ? 0 : l->value;
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
static bool query_downtime_limits(EstimateQuery *q, bool has, uint64List *l,
                                  Error **errp)
{
    uint64_t dt[ESTIMATE_MAX_DOWNTIME_LIMITS + 1];

    if (!has) {
        q->nr_dt = grid_default(estimate_downtime_limits_ms,
                                ARRAY_SIZE(estimate_downtime_limits_ms),
                                true, q->downtime_limit, q->dt);
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
static bool query_strategies(MigrationEstimateStrategyList *l, Error **errp)
{
    size_t n = 0;

    for (; l; l = l->next) {
        if (++n > ESTIMATE_MAX_STRATEGIES) {
            error_setg(errp, "'strategies' must have at most %d entries",
                       ESTIMATE_MAX_STRATEGIES);
            return false;
        }
        if (!strategy_check(l->value, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * The guest and the migration under way, for @q; false if neither a
 * curve nor a migration gives a workload, or @q asks for what cannot be
 */
static bool estimate_state(const EstimateQuery *q, EstimateState *st,
                           Error **errp)
{
    bool unlimited = bandwidth_unlimited(q->max_bandwidth);
    size_t i;

    st->running = estimate_progress(&st->g, st->syncs, &st->setup_ms);
    if (st->running && q->has_params) {
        error_setg(errp, "'max-bandwidth' and 'downtime-limit' are for a "
                   "migration to start, and one is under way");
        return false;
    }
    if (!estimate_workloads(st->running ? &st->g : NULL, st->curves,
                            &st->source, &st->refit, &st->w, errp)) {
        return false;
    }
    st->p = (PrecopyParams) {
        .switchover_bandwidth = migrate_avail_switchover_bandwidth(),
        .link_bandwidth = q->link_bandwidth,
        .deadline_ms = ms_left(q->deadline, st->setup_ms),
        .progress = st->running ? &st->g : NULL,
    };
    /*
     * Without a rate limit, a migration goes as fast as the link lets it,
     * or one under way as fast as it has, or else as the sender does
     */
    st->link = q->link_bandwidth ?: st->p.switchover_bandwidth ?:
               (st->running ? estimate_progress_rate(&st->g) : 0);
    if (!st->link && (st->w.measured.pace.page_ns ||
                      st->w.measured.pace.zero_ns)) {
        st->link = ESTIMATE_MAX_BANDWIDTH;
    }
    st->current = unlimited ? st->link : q->max_bandwidth;
    for (i = 0; i < q->nr_bw; i++) {
        if (!q->bw[i] && !st->link) {
            error_setg(errp, "'bandwidths' without rate limit need the "
                       "link's speed ('link-bandwidth' or the "
                       "avail-switchover-bandwidth parameter) or the "
                       "sender's pace, which calc-dirty-rate measures");
            return false;
        }
    }
    return true;
}

/* The rows of the grid of @q, each @st->link where it has no rate limit */
static MigrationEstimateBandwidthList *estimate_rows(const EstimateQuery *q,
                                                     EstimateState *st)
{
    MigrationEstimateBandwidthList *rows = NULL, **tail = &rows;
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];
    bool unlimited = bandwidth_unlimited(q->max_bandwidth);
    size_t nr_bw = q->nr_bw, i, j;

    memcpy(bw, q->bw, nr_bw * sizeof(bw[0]));
    if (q->default_bw) {
        nr_bw = grid_default(estimate_bandwidths,
                             ARRAY_SIZE(estimate_bandwidths), !unlimited,
                             q->max_bandwidth, bw);
        if (unlimited && st->link) {
            bw[nr_bw++] = 0;
        }
    }
    for (i = 0; i < nr_bw; i++) {
        MigrationEstimateBandwidth *row = g_new0(MigrationEstimateBandwidth, 1);
        MigrationEstimateList **cells = &row->estimates;

        row->bandwidth = st->p.bandwidth = bw[i] ?: st->link;
        row->has_unlimited = row->unlimited = !bw[i];
        for (j = 0; j < q->nr_dt; j++) {
            QAPI_LIST_APPEND(cells, estimate_cell(&st->w, &st->p, q->dt[j],
                                                  st->setup_ms));
        }
        QAPI_LIST_APPEND(cells, estimate_cell(&st->w, &st->p,
                                              PRECOPY_DOWNTIME_UNLIMITED,
                                              st->setup_ms));
        QAPI_LIST_APPEND(tail, row);
    }
    return rows;
}

/* The aids of @q->strategies, at the bandwidth the migration runs at */
static void estimate_aids(const EstimateQuery *q, EstimateState *st,
                          MigrationEstimateInfo *info)
{
    MigrationEstimateStrategyResultList **results = &info->strategies;
    MigrationEstimateStrategyList *l;

    st->p.bandwidth = st->current;
    st->p.downtime_limit_ms = q->downtime_limit;
    info->has_strategies = true;
    for (l = q->strategies; l; l = l->next) {
        QAPI_LIST_APPEND(results, estimate_strategy(&st->w, &st->p, l->value,
                                                    st->setup_ms));
    }
    info->advice = estimate_advice(&st->w, &st->p, q->complete_within,
                                   st->setup_ms);
}

/* What the answer says of the guest and the link */
static void estimate_inputs(const EstimateState *st,
                            MigrationEstimateInfo *info)
{
    const DirtyPace *pace = &st->w.measured.pace;

    /* how much a throttle slows the guest, the grid does not ask */
    info->exact = st->curves[0].exact &&
                  precopy_workload_same_curve(&st->w.low, &st->w.measured) &&
                  precopy_workload_same_curve(&st->w.high, &st->w.measured);
    /* a running migration's syncs see what the page hashes miss */
    info->rewrites_seen =
        st->curves[0].exact ||
        (st->running && st->source != MIGRATION_ESTIMATE_CURVE_SOURCE_MEASURED);
    if (st->p.link_bandwidth || st->p.switchover_bandwidth) {
        info->has_link_bandwidth = true;
        info->link_bandwidth = st->p.link_bandwidth ?:
                               st->p.switchover_bandwidth;
    }
    if (pace->page_ns || pace->zero_ns) {
        info->pace = g_new(MigrationEstimatePace, 1);
        *info->pace = (MigrationEstimatePace) {
            .zero_page = pace->zero_ns,
            .page = pace->page_ns,
            .fresh_page = pace->fresh_ns,
            .min_fresh_page = pace->min_fresh_ns,
            .max_fresh_page = pace->max_fresh_ns,
        };
    }
}

/* The answer to @q */
static MigrationEstimateInfo *migration_estimate(const EstimateQuery *q,
                                                 Error **errp)
{
    g_autofree EstimateState *st = g_new0(EstimateState, 1);
    int64_t start_us = g_get_monotonic_time();
    MigrationEstimateInfo *info;
    MigrationEstimateMinBandwidthList **mins;
    size_t j;

    if (!estimate_state(q, st, errp)) {
        return NULL;
    }
    info = g_new0(MigrationEstimateInfo, 1);
    info->deadline = q->deadline;
    estimate_inputs(st, info);
    if (q->nr_dt) {
        info->bandwidths = estimate_rows(q, st);
    }
    mins = &info->min_bandwidth;
    for (j = 0; j < q->nr_dt; j++) {
        QAPI_LIST_APPEND(mins, estimate_min_bandwidth(&st->w, &st->p,
                                                      q->dt[j]));
    }
    /* a migration without rate limit before it has sent for a window */
    if (st->running && st->current) {
        st->p.bandwidth = st->g.bandwidth = st->current;
        info->migration = estimate_running(&st->w, &st->p, &st->g,
                                           st->source, st->refit,
                                           st->setup_ms, q->lean);
    }
    if (st->current && q->strategies) {
        estimate_aids(q, st, info);
    }
    trace_query_migration_estimate(q->nr_bw, q->nr_dt + 1, st->running,
                                   g_get_monotonic_time() - start_us);
    return info;
}

/* @q for the grid of QEMU's own parameters and strategy */
static void estimate_query_default(EstimateQuery *q)
{
    *q = (EstimateQuery) {
        .default_bw = true,
        .deadline = ESTIMATE_DEFAULT_DEADLINE_MS,
        .max_bandwidth = migrate_max_bandwidth(),
        .downtime_limit = migrate_downtime_limit(),
        .complete_within = ESTIMATE_DEFAULT_DEADLINE_MS,
    };
}

MigrationEstimateInfo *qmp_query_migration_estimate(
    bool has_bandwidths, sizeList *bandwidths,
    bool has_downtime_limits, uint64List *downtime_limits,
    bool has_deadline, uint64_t deadline,
    bool has_max_bandwidth, uint64_t max_bandwidth,
    bool has_downtime_limit, uint64_t downtime_limit,
    bool has_link_bandwidth, uint64_t link_bandwidth,
    bool has_strategies, MigrationEstimateStrategyList *strategies,
    bool has_complete_within, uint64_t complete_within,
    Error **errp)
{
    g_autoptr(MigrationEstimateStrategyList) current = NULL;
    EstimateQuery q;

    estimate_query_default(&q);
    if (!query_ms(has_deadline, deadline, "deadline",
                  ESTIMATE_MIN_DEADLINE_MS, ESTIMATE_MAX_DEADLINE_MS,
                  &q.deadline, errp) ||
        !query_ms(has_complete_within, complete_within, "complete-within",
                  ESTIMATE_MIN_DEADLINE_MS, ESTIMATE_MAX_DEADLINE_MS,
                  &q.complete_within, errp)) {
        return NULL;
    }
    if (has_downtime_limit &&
        downtime_limit > ESTIMATE_MAX_DOWNTIME_LIMIT_MS) {
        error_setg(errp, "'downtime-limit' must be at most %d ms",
                   ESTIMATE_MAX_DOWNTIME_LIMIT_MS);
        return NULL;
    }
    if (has_link_bandwidth &&
        (!link_bandwidth || link_bandwidth > ESTIMATE_MAX_BANDWIDTH)) {
        error_setg(errp, "'link-bandwidth' must be between 1 and %llu",
                   ESTIMATE_MAX_BANDWIDTH);
        return NULL;
    }
    if (!has_complete_within) {
        q.complete_within = q.deadline;
    }
    q.downtime_limit = has_downtime_limit ? downtime_limit :
                                            migrate_downtime_limit();
    q.max_bandwidth = has_max_bandwidth ? max_bandwidth :
                                          migrate_max_bandwidth();
    q.has_params = has_max_bandwidth || has_downtime_limit;
    q.link_bandwidth = has_link_bandwidth ? link_bandwidth : 0;
    if (!has_strategies) {
        QAPI_LIST_PREPEND(current, strategy_current());
    }
    q.strategies = has_strategies ? strategies : current;
    if (!query_strategies(q.strategies, errp) ||
        !query_bandwidths(&q, has_bandwidths, bandwidths, errp) ||
        !query_downtime_limits(&q, has_downtime_limits, downtime_limits,
                               errp)) {
        return NULL;
    }
    return migration_estimate(&q, errp);
}

/* "850ms", "1.4s", "1m55s", "1h02m" */
static char *format_duration(uint64_t ms)
{
    uint64_t tenths = ms / 100 + (ms % 100 >= 50);
    uint64_t s = ms / 1000 + (ms % 1000 >= 500);

    if (ms < 1000) {
        return g_strdup_printf("%" PRIu64 "ms", ms);
    } else if (tenths < 600) {
        return g_strdup_printf("%" PRIu64 ".%" PRIu64 "s", tenths / 10,
                               tenths % 10);
    } else if (s < 3600) {
        return g_strdup_printf("%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    }
    return g_strdup_printf("%" PRIu64 "h%02" PRIu64 "m", s / 3600,
                           s / 60 % 60);
}

/*
 * A rate limit as the operator set it: a whole number of MiB/s, as
 * migrate_set_speed and libvirt's migrate-setspeed take it, in MiB/s;
 * else in bits per second: "128 MiB/s", "100 Mbit/s", "2.5 Gbit/s"
 */
static char *format_bandwidth(uint64_t bytes_per_s)
{
    static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s",
                                         "Gbit/s", "Tbit/s", "Pbit/s" };
    double v = bytes_per_s * 8.0;
    size_t u = 0;

    if (bytes_per_s && !(bytes_per_s % MiB)) {
        return g_strdup_printf("%" PRIu64 " MiB/s", bytes_per_s / MiB);
    }
    while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    return g_strdup_printf("%.3g %s", v, units[u]);
}

static void hmp_print_curve(Monitor *mon)
{
    g_autoptr(DirtyRateInfo) dirty = NULL;
    bool exact;

    dirty = qmp_query_dirty_rate(true, TIME_UNIT_MILLISECOND, NULL);
    if (!dirty || !dirty->has_total_pages) {
        return;
    }
    exact = dirty->mode == DIRTY_RATE_MEASURE_MODE_DIRTY_BITMAP;
    monitor_printf(mon, "Dirty page curve: %s, %" PRIi64 " ms, %" PRIu64
                   " pages of %" PRIu64 " bytes, %s%" PRIu64 " of them zero\n",
                   DirtyRateMeasureMode_str(dirty->mode), dirty->calc_time,
                   dirty->total_pages, dirty->page_size,
                   exact ? "" : "about ", dirty->zero_pages);
    if (exact) {
        monitor_printf(mon, "Every page counted: ranges cover the "
                       "sender's pace only\n");
    } else {
        monitor_printf(mon, "%" PRIu64 " pages sampled: ranges cover the "
                       "95%% confidence interval of each reading\n",
                       dirty->sampled_pages);
    }
}

/*
 * "21.3s", "21.3s (17.0-26.1s)" for a range, "? (17.0s-)" for a
 * migration that converges in part of the range only, "-" for one that
 * never does
 */
static char *format_estimate(const MigrationEstimate *cell)
{
    g_autofree char *min = NULL;
    g_autofree char *max = NULL;
    g_autofree char *mid = NULL;
    size_t digits;

    if (cell->verdict == MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE) {
        return g_strdup("-");
    }
    min = format_duration(cell->min_total_time);
    if (cell->verdict == MIGRATION_ESTIMATE_VERDICT_UNCERTAIN) {
        return g_strdup_printf("? (%s-)", min);
    }
    mid = format_duration(cell->total_time);
    max = format_duration(cell->max_total_time);
    if (!strcmp(min, max)) {
        return g_steal_pointer(&mid);
    }
    /* "17.0s-26.1s" as "17.0-26.1s", but "1m55s-2m10s" whole */
    digits = strspn(min, "0123456789.");
    if ((!strcmp(min + digits, "s") || !strcmp(min + digits, "ms")) &&
        !strcmp(min + digits, max + strspn(max, "0123456789."))) {
        min[digits] = '\0';
    }
    return g_strdup_printf("%s (%s-%s)", mid, min, max);
}

/* A downtime-limit as a column of the table: "300ms", "1s" */
static char *format_downtime_limit(uint64_t ms)
{
    if (ms && !(ms % 1000)) {
        return g_strdup_printf("%" PRIu64 "s", ms / 1000);
    }
    return g_strdup_printf("%" PRIu64 "ms", ms);
}

/* Milliseconds as a downtime-limit: "300ms" */
static char *format_ms(uint64_t ms)
{
    return g_strdup_printf("%" PRIu64 "ms", ms);
}

/*
 * The lowest value of a parameter that converges, with its range, as
 * @format writes it: "1.25 Gbit/s (1.1-1.4 Gbit/s)", or "none"
 */
static char *format_lowest(bool has_measured, uint64_t measured,
                           bool has_lowest, uint64_t lowest,
                           bool has_highest, uint64_t highest,
                           char *(*format)(uint64_t))
{
    g_autofree char *mid = NULL;
    g_autofree char *lo = NULL;
    g_autofree char *hi = NULL;
    size_t digits;

    if (!has_lowest) {
        return g_strdup("none");
    }
    lo = format(lowest);
    hi = has_highest ? format(highest) : g_strdup("none");
    mid = has_measured ? format(measured) : g_strdup("none");
    if (!strcmp(lo, hi)) {
        return g_steal_pointer(&mid);
    }
    /* "460 Mbit/s-533 Mbit/s" as "460-533 Mbit/s", "80ms-95ms" as "80-95ms" */
    digits = strspn(lo, "0123456789.");
    if (lo[digits] && !strcmp(lo + digits, hi + strspn(hi, "0123456789."))) {
        lo[digits] = '\0';
    }
    return g_strdup_printf("%s (%s-%s)", mid, lo, hi);
}

static char *format_min_bandwidth(const MigrationEstimateMinBandwidth *min)
{
    return format_lowest(min->has_bandwidth, min->bandwidth,
                         min->has_lowest, min->lowest,
                         min->has_highest, min->highest, format_bandwidth);
}

static char *format_min_downtime_limit(
    const MigrationEstimateMinDowntimeLimit *min)
{
    return format_lowest(min->has_downtime_limit, min->downtime_limit,
                         min->has_lowest, min->lowest,
                         min->has_highest, min->highest, format_ms);
}

/*
 * The estimate for the migration under way, on one line:
 * "12s (11-13s) to go: converges at 1 Gbit/s and 300ms, downtime 210ms"
 */
static void hmp_print_running(Monitor *mon, const MigrationEstimateRunning *run)
{
    static const char *const verdicts[] = {
        [MIGRATION_ESTIMATE_VERDICT_CONVERGES] = "converges",
        [MIGRATION_ESTIMATE_VERDICT_UNCERTAIN] = "may not converge",
        [MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE] = "does not converge",
    };
    MigrationEstimate left = *run->estimate;
    g_autofree char *bandwidth = format_bandwidth(run->bandwidth);
    g_autofree char *limit = format_ms(left.downtime_limit);
    g_autofree char *remaining = NULL;

    if (run->has_remaining_time || run->has_min_remaining_time) {
        left.total_time = run->remaining_time;
        left.min_total_time = run->min_remaining_time;
        left.max_total_time = run->max_remaining_time;
        remaining = format_estimate(&left);
        monitor_printf(mon, "%s to go: ", remaining);
    }
    monitor_printf(mon, "%s at %s and %s", verdicts[left.verdict], bandwidth,
                   limit);
    if (run->curve == MIGRATION_ESTIMATE_CURVE_SOURCE_NONE) {
        monitor_printf(mon, ", unknown until the first pass ends\n");
    } else if (left.verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
        g_autofree char *downtime = format_duration(left.downtime);

        monitor_printf(mon, ", downtime %s\n", downtime);
    } else {
        g_autofree char *min_bw = format_min_bandwidth(run->min_bandwidth);
        g_autofree char *min_dt =
            format_min_downtime_limit(run->min_downtime_limit);

        monitor_printf(mon, "; converges at %s, or with downtime-limit %s\n",
                       min_bw, min_dt);
    }
}

void hmp_info_migrate_estimate_line(Monitor *mon)
{
    g_autoptr(MigrationEstimateInfo) info = NULL;
    EstimateQuery q;

    /* no grid, no strategies: the migration under way alone */
    estimate_query_default(&q);
    q.default_bw = false;
    q.lean = true;
    info = migration_estimate(&q, NULL);
    if (info && info->migration) {
        monitor_printf(mon, "Estimate: \t\t");
        hmp_print_running(mon, info->migration);
    }
}

/* "auto-converge+multifd", or "pre-copy" without aids */
static char *format_strategy(const MigrationEstimateStrategy *s)
{
    g_autoptr(GString) name = g_string_new(NULL);
    MigrationEstimateAidList *l;

    for (l = s->aids; l; l = l->next) {
        g_string_append_printf(name, "%s%s", name->len ? "+" : "",
                               MigrationEstimateAid_str(l->value));
    }
    if (!name->len) {
        g_string_append(name, "pre-copy");
    }
    return g_string_free(g_steal_pointer(&name), false);
}

/*
 * One strategy on a line: its name, its total time, its downtime, and
 * what it costs the guest
 */
static void hmp_print_strategy(Monitor *mon,
                               const MigrationEstimateStrategyResult *res)
{
    g_autofree char *name = format_strategy(res->strategy);
    g_autofree char *total = format_estimate(res->estimate);
    g_autofree char *downtime = res->estimate->has_downtime ?
                                format_duration(res->estimate->downtime) :
                                g_strdup("-");

    monitor_printf(mon, "  %-24s %18s %9s", name, total, downtime);
    if (res->has_throttle_peak) {
        g_autofree char *time = format_duration(res->throttle_time);

        monitor_printf(mon, "  throttled up to %u%% for %s",
                       res->throttle_peak, time);
    }
    if (res->has_postcopy_switch) {
        g_autofree char *time = format_duration(res->postcopy_time);

        monitor_printf(mon, "  post-copy for %s, %" PRIu64 " pages to fault",
                       time, res->postcopy_pages);
    }
    monitor_printf(mon, "\n");
}

static void hmp_print_strategies(Monitor *mon,
                                 const MigrationEstimateInfo *info)
{
    MigrationEstimateStrategyResultList *l;
    g_autofree char *within = NULL;

    if (!info->strategies) {
        return;
    }
    monitor_printf(mon, "With aids, at the current max-bandwidth and "
                   "downtime-limit:\n");
    monitor_printf(mon, "  %-24s %18s %9s  %s\n", "strategy", "total",
                   "downtime", "price");
    for (l = info->strategies; l; l = l->next) {
        hmp_print_strategy(mon, l->value);
    }
    within = format_duration(info->advice->complete_within);
    if (info->advice->strategy) {
        g_autofree char *name =
            format_strategy(info->advice->strategy->strategy);

        monitor_printf(mon, "Least intrusive within %s: %s\n", within, name);
    } else {
        monitor_printf(mon, "Nothing completes within %s\n", within);
    }
}

/* Pre-copy, then with each aid that runs without KVM's dirty ring */
static MigrationEstimateStrategyList *hmp_strategies(void)
{
    static const MigrationEstimateAid aids[] = {
        MIGRATION_ESTIMATE_AID_AUTO_CONVERGE,
        MIGRATION_ESTIMATE_AID_POSTCOPY,
        MIGRATION_ESTIMATE_AID_MULTIFD,
    };
    MigrationEstimateStrategyList *strategies = NULL;
    MigrationEstimateStrategyList **tail = &strategies;
    size_t i;

    QAPI_LIST_APPEND(tail, g_new0(MigrationEstimateStrategy, 1));
    for (i = 0; i < ARRAY_SIZE(aids); i++) {
        MigrationEstimateStrategy *s = g_new0(MigrationEstimateStrategy, 1);

        QAPI_LIST_PREPEND(s->aids, aids[i]);
        QAPI_LIST_APPEND(tail, s);
    }
    return strategies;
}

/* The grid of @info as a table, a column per downtime-limit */
static void hmp_print_table(Monitor *mon, const MigrationEstimateInfo *info)
{
    g_autoptr(GPtrArray) text = g_ptr_array_new_with_free_func(g_free);
    int width[ESTIMATE_MAX_DOWNTIME_LIMITS + 1] = { 0 };
    MigrationEstimateBandwidthList *row;
    MigrationEstimateList *cell;
    size_t columns = 0, i;

    /* the header, then the rows, each a string per column */
    for (cell = info->bandwidths->value->estimates; cell; cell = cell->next) {
        g_ptr_array_add(text, cell->value->has_downtime_limit ?
                        format_downtime_limit(cell->value->downtime_limit) :
                        g_strdup("unlimited"));
        columns++;
    }
    for (row = info->bandwidths; row; row = row->next) {
        for (cell = row->value->estimates; cell; cell = cell->next) {
            g_ptr_array_add(text, format_estimate(cell->value));
        }
    }
    for (i = 0; i < text->len; i++) {
        width[i % columns] = MAX(width[i % columns],
                                 strlen(g_ptr_array_index(text, i)));
    }
    monitor_printf(mon, "%-12s", "bandwidth");
    row = info->bandwidths;
    for (i = 0; i < text->len; i++) {
        if (i && !(i % columns)) {
            g_autofree char *bandwidth = row->value->unlimited ?
                g_strdup("unlimited") :
                format_bandwidth(row->value->bandwidth);

            monitor_printf(mon, "\n%-12s", bandwidth);
            row = row->next;
        }
        monitor_printf(mon, " %*s", width[i % columns],
                       (char *)g_ptr_array_index(text, i));
    }
    monitor_printf(mon, "\n");
}

/* Where the estimate of @info starts from: the guest, the migration */
static void hmp_print_inputs(Monitor *mon, const MigrationEstimateInfo *info)
{
    g_autofree char *deadline = format_duration(info->deadline);
    const MigrationEstimateRunning *run = info->migration;

    hmp_print_curve(mon);
    if (!info->rewrites_seen) {
        monitor_printf(mon, "Pages rewritten with the bytes they held are "
                       "not counted: measure with calc_dirty_rate -b if "
                       "the guest may rewrite them\n");
    }
    if (info->pace) {
        monitor_printf(mon, "Sender's time per page: %" PRIu64 " ns for a "
                       "zero page, %" PRIu64 " ns with data, %" PRIu64
                       " ns (%" PRIu64 "-%" PRIu64 ") more the first time\n",
                       info->pace->zero_page, info->pace->page,
                       info->pace->fresh_page, info->pace->min_fresh_page,
                       info->pace->max_fresh_page);
    }
    if (run) {
        g_autofree char *elapsed = format_duration(run->elapsed);

        monitor_printf(mon, "Migration under way for %s, %" PRIu64 " syncs; "
                       "dirty page curve: %s, fitted to %" PRIu64 " syncs\n",
                       elapsed, run->dirty_sync_count,
                       MigrationEstimateCurveSource_str(run->curve),
                       run->refit_syncs);
        hmp_print_running(mon, run);
    }
    monitor_printf(mon, "%s ('?': may not converge, '-': does not converge "
                   "within %s)\n", run ? "Estimated total time with these "
                   "parameters from now on" : "Estimated migration time",
                   deadline);
}

void hmp_info_migrate_estimate(Monitor *mon, const QDict *qdict)
{
    g_autoptr(MigrationEstimateStrategyList) strategies = hmp_strategies();
    g_autoptr(MigrationEstimateInfo) info = NULL;
    MigrationEstimateMinBandwidthList *min;
    Error *err = NULL;
    EstimateQuery q;

    estimate_query_default(&q);
    q.nr_dt = grid_default(estimate_downtime_limits_ms,
                           ARRAY_SIZE(estimate_downtime_limits_ms),
                           true, q.downtime_limit, q.dt);
    q.strategies = strategies;
    info = migration_estimate(&q, &err);
    if (hmp_handle_error(mon, err)) {
        return;
    }
    hmp_print_inputs(mon, info);
    hmp_print_table(mon, info);
    monitor_printf(mon, "Lowest bandwidth that converges:\n");
    for (min = info->min_bandwidth; min; min = min->next) {
        g_autofree char *limit =
            format_downtime_limit(min->value->downtime_limit);
        g_autofree char *bandwidth = format_min_bandwidth(min->value);

        monitor_printf(mon, "  %-9s %s\n", limit, bandwidth);
    }
    hmp_print_strategies(mon, info);
}
