/*
 * Migration estimate: info migrate_estimate and the line of info migrate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "estimate-format.h"
#include "estimate-info.h"
#include "estimate-hmp.h"

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
    g_autofree char *bandwidth = estimate_format_bandwidth(run->bandwidth);
    g_autofree char *limit = estimate_format_ms(left.downtime_limit);
    g_autofree char *remaining = NULL;

    if (run->has_remaining_time || run->has_min_remaining_time) {
        left.total_time = run->remaining_time;
        left.min_total_time = run->min_remaining_time;
        left.max_total_time = run->max_remaining_time;
        remaining = estimate_format_cell(&left);
        monitor_printf(mon, "%s to go: ", remaining);
    }
    monitor_printf(mon, "%s at %s and %s", verdicts[left.verdict], bandwidth,
                   limit);
    if (run->curve == MIGRATION_ESTIMATE_CURVE_SOURCE_NONE) {
        monitor_printf(mon, ", unknown until the first pass ends\n");
    } else if (left.verdict == MIGRATION_ESTIMATE_VERDICT_CONVERGES) {
        g_autofree char *downtime = estimate_format_duration(left.downtime);

        monitor_printf(mon, ", downtime %s\n", downtime);
    } else {
        g_autofree char *min_bw =
            estimate_format_min_bandwidth(run->min_bandwidth);
        g_autofree char *min_dt =
            estimate_format_min_downtime_limit(run->min_downtime_limit);

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

/*
 * One strategy on a line: its name, its total time, its downtime, and
 * what it costs the guest
 */
static void hmp_print_strategy(Monitor *mon,
                               const MigrationEstimateStrategyResult *res)
{
    g_autofree char *name = estimate_format_strategy(res->strategy);
    g_autofree char *total = estimate_format_cell(res->estimate);
    g_autofree char *downtime =
        res->estimate->has_downtime ?
        estimate_format_duration(res->estimate->downtime) : g_strdup("-");

    monitor_printf(mon, "  %-24s %18s %9s", name, total, downtime);
    if (res->has_throttle_peak) {
        g_autofree char *time = estimate_format_duration(res->throttle_time);

        monitor_printf(mon, "  throttled up to %" PRId64 "%% for %s",
                       res->throttle_peak, time);
    }
    if (res->has_postcopy_switch) {
        g_autofree char *time = estimate_format_duration(res->postcopy_time);

        monitor_printf(mon, "  post-copy for %s, %" PRId64 " pages to fault",
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
    within = estimate_format_duration(info->advice->complete_within);
    if (info->advice->strategy) {
        g_autofree char *name =
            estimate_format_strategy(info->advice->strategy->strategy);

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
        MIGRATION_ESTIMATE_AID_POSTCOPY_RAM,
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
                        estimate_format_downtime_limit(
                            cell->value->downtime_limit) :
                        g_strdup("unlimited"));
        columns++;
    }
    for (row = info->bandwidths; row; row = row->next) {
        for (cell = row->value->estimates; cell; cell = cell->next) {
            g_ptr_array_add(text, estimate_format_cell(cell->value));
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
                estimate_format_bandwidth(row->value->bandwidth);

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
    g_autofree char *deadline = estimate_format_duration(info->deadline);
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
        g_autofree char *elapsed = estimate_format_duration(run->elapsed);

        monitor_printf(mon, "Migration under way for %s, %" PRId64 " syncs; "
                       "dirty page curve: %s, fitted to %" PRId64 " syncs\n",
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
    q.nr_dt = estimate_default_downtime_limits(true, q.downtime_limit, q.dt);
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
            estimate_format_downtime_limit(min->value->downtime_limit);
        g_autofree char *bandwidth = estimate_format_min_bandwidth(min->value);

        monitor_printf(mon, "  %-9s %s\n", limit, bandwidth);
    }
    hmp_print_strategies(mon, info);
}
