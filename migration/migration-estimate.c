/*
 * Migration estimate: query-migration-estimate and info migrate_estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Runs the pre-copy model of precopy-estimate.c over a grid of
 * bandwidths and downtime-limits, on the dirty page curve that the last
 * calc-dirty-rate measured.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-commands-migration-estimate.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "dirtyrate.h"
#include "migration-stats.h"
#include "options.h"
#include "precopy-estimate.h"
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

/*
 * The rate at which the current migration parameters send: max-bandwidth,
 * or, when that sets no limit, the link's speed @link; 0 if unknown
 */
static uint64_t estimate_current_bandwidth(uint64_t link)
{
    uint64_t bandwidth = migrate_max_bandwidth();

    if (bandwidth == RATE_LIMIT_DISABLED ||
        bandwidth > ESTIMATE_MAX_BANDWIDTH) {
        return link;
    }
    return bandwidth;
}

static const MigrationEstimateVerdict estimate_verdicts[] = {
    [PRECOPY_CONVERGES] = MIGRATION_ESTIMATE_VERDICT_CONVERGES,
    [PRECOPY_UNCERTAIN] = MIGRATION_ESTIMATE_VERDICT_UNCERTAIN,
    [PRECOPY_DOES_NOT_CONVERGE] = MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE,
};

static MigrationEstimate *estimate_cell(const PrecopyWorkloadRange *w,
                                        PrecopyParams *p,
                                        uint64_t downtime_limit_ms)
{
    MigrationEstimate *cell = g_new0(MigrationEstimate, 1);
    PrecopyEstimateRange r;
    const PrecopyEstimate *e = &r.measured;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_estimate_range(w, p, &r);

    cell->has_downtime_limit =
        downtime_limit_ms != PRECOPY_DOWNTIME_UNLIMITED;
    cell->downtime_limit = cell->has_downtime_limit ? downtime_limit_ms : 0;
    cell->verdict = estimate_verdicts[r.verdict];
    cell->has_min_total_time = r.verdict != PRECOPY_DOES_NOT_CONVERGE;
    cell->min_total_time = r.min_total_time_ms;
    cell->has_max_total_time = r.verdict == PRECOPY_CONVERGES;
    cell->max_total_time = r.max_total_time_ms;
    if (e->converges) {
        cell->has_total_time = true;
        cell->total_time = e->total_time_ms;
        cell->has_downtime = true;
        cell->downtime = e->downtime_ms;
        cell->has_dirty_sync_count = true;
        cell->dirty_sync_count = e->dirty_syncs;
        cell->has_transferred = true;
        cell->transferred = e->transferred;
    }
    return cell;
}

static MigrationEstimateMinBandwidth *estimate_min_bandwidth(
    const PrecopyWorkloadRange *w, PrecopyParams *p,
    uint64_t downtime_limit_ms)
{
    MigrationEstimateMinBandwidth *min =
        g_new0(MigrationEstimateMinBandwidth, 1);
    PrecopyBandwidthRange r;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_min_bandwidth_range(w, p, ESTIMATE_SEARCH_MIN_BANDWIDTH,
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

/*
 * The curve of the last calc-dirty-rate, and the ends of its range, in
 * @curves; the workloads on them in @w
 */
static bool estimate_workloads(DirtyCurve curves[3], PrecopyWorkloadRange *w,
                               Error **errp)
{
    if (!dirtyrate_get_curve(&curves[0], errp)) {
        return false;
    }
    dirty_curve_bounds(&curves[0], &curves[1], &curves[2]);
    precopy_workload_from_curve(&w->measured, &curves[0]);
    precopy_workload_from_curve(&w->low, &curves[1]);
    precopy_workload_from_curve(&w->high, &curves[2]);
    return precopy_workload_check(&w->measured, errp) &&
           precopy_workload_check(&w->low, errp) &&
           precopy_workload_check(&w->high, errp);
}

MigrationEstimateInfo *qmp_query_migration_estimate(bool has_bandwidths,
                                                    sizeList *bandwidths,
                                                    bool has_downtime_limits,
                                                    uint64List *downtime_limits,
                                                    bool has_deadline,
                                                    uint64_t deadline,
                                                    bool has_link_bandwidth,
                                                    uint64_t link_bandwidth,
                                                    Error **errp)
{
    /* one more than allowed, to tell that there were too many */
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];
    uint64_t dt[ESTIMATE_MAX_DOWNTIME_LIMITS + 1];
    int64_t start_us = g_get_monotonic_time();
    MigrationEstimateInfo *info;
    MigrationEstimateBandwidthList **rows;
    MigrationEstimateMinBandwidthList **mins;
    DirtyCurve curves[3];
    PrecopyWorkloadRange w;
    PrecopyParams p;
    size_t nr_bw = 0, nr_dt = 0, i, j;

    if (!has_deadline) {
        deadline = ESTIMATE_DEFAULT_DEADLINE_MS;
    } else if (deadline < ESTIMATE_MIN_DEADLINE_MS ||
               deadline > ESTIMATE_MAX_DEADLINE_MS) {
        error_setg(errp, "'deadline' must be between %d and %d ms",
                   ESTIMATE_MIN_DEADLINE_MS, ESTIMATE_MAX_DEADLINE_MS);
        return NULL;
    }
    if (has_link_bandwidth &&
        (!link_bandwidth || link_bandwidth > ESTIMATE_MAX_BANDWIDTH)) {
        error_setg(errp, "'link-bandwidth' must be between 1 and %llu",
                   ESTIMATE_MAX_BANDWIDTH);
        return NULL;
    }
    p = (PrecopyParams) {
        .switchover_bandwidth = migrate_avail_switchover_bandwidth(),
        .link_bandwidth = has_link_bandwidth ? link_bandwidth : 0,
        .deadline_ms = deadline,
    };

    if (has_bandwidths) {
        for (; bandwidths && nr_bw < ARRAY_SIZE(bw);
             bandwidths = bandwidths->next) {
            bw[nr_bw++] = bandwidths->value;
        }
        if (!grid_check(bw, nr_bw, "bandwidths", ESTIMATE_MAX_BANDWIDTHS,
                        1, ESTIMATE_MAX_BANDWIDTH, errp)) {
            return NULL;
        }
    } else {
        uint64_t current = estimate_current_bandwidth(p.link_bandwidth ?:
                                                      p.switchover_bandwidth);

        nr_bw = grid_default(estimate_bandwidths,
                             ARRAY_SIZE(estimate_bandwidths),
                             current != 0, current, bw);
    }
    if (has_downtime_limits) {
        for (; downtime_limits && nr_dt < ARRAY_SIZE(dt);
             downtime_limits = downtime_limits->next) {
            dt[nr_dt++] = downtime_limits->value;
        }
        if (!grid_check(dt, nr_dt, "downtime-limits",
                        ESTIMATE_MAX_DOWNTIME_LIMITS,
                        0, ESTIMATE_MAX_DOWNTIME_LIMIT_MS, errp)) {
            return NULL;
        }
    } else {
        nr_dt = grid_default(estimate_downtime_limits_ms,
                             ARRAY_SIZE(estimate_downtime_limits_ms),
                             true, migrate_downtime_limit(), dt);
    }

    if (!estimate_workloads(curves, &w, errp)) {
        return NULL;
    }

    info = g_new0(MigrationEstimateInfo, 1);
    info->deadline = deadline;
    info->exact = curves[0].exact;
    if (p.link_bandwidth || p.switchover_bandwidth) {
        info->has_link_bandwidth = true;
        info->link_bandwidth = p.link_bandwidth ?: p.switchover_bandwidth;
    }

    rows = &info->bandwidths;
    for (i = 0; i < nr_bw; i++) {
        MigrationEstimateBandwidth *row = g_new0(MigrationEstimateBandwidth, 1);
        MigrationEstimateList **cells = &row->estimates;

        row->bandwidth = p.bandwidth = bw[i];
        for (j = 0; j < nr_dt; j++) {
            QAPI_LIST_APPEND(cells, estimate_cell(&w, &p, dt[j]));
        }
        QAPI_LIST_APPEND(cells,
                         estimate_cell(&w, &p, PRECOPY_DOWNTIME_UNLIMITED));
        QAPI_LIST_APPEND(rows, row);
    }

    mins = &info->min_bandwidth;
    for (j = 0; j < nr_dt; j++) {
        QAPI_LIST_APPEND(mins, estimate_min_bandwidth(&w, &p, dt[j]));
    }

    trace_query_migration_estimate(nr_bw, nr_dt + 1,
                                   g_get_monotonic_time() - start_us);
    return info;
}

/* "850ms", "12s", "1m55s", "1h02m" */
static char *format_duration(uint64_t ms)
{
    uint64_t s = (ms + 500) / 1000;

    if (ms < 1000) {
        return g_strdup_printf("%" PRIu64 "ms", ms);
    } else if (s < 60) {
        return g_strdup_printf("%" PRIu64 "s", s);
    } else if (s < 3600) {
        return g_strdup_printf("%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    }
    return g_strdup_printf("%" PRIu64 "h%02" PRIu64 "m", s / 3600,
                           s / 60 % 60);
}

/* Bytes per second as bits per second: "100 Mbit/s", "2.5 Gbit/s" */
static char *format_bandwidth(uint64_t bytes_per_s)
{
    static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s",
                                         "Gbit/s", "Tbit/s", "Pbit/s" };
    double v = bytes_per_s * 8.0;
    size_t u = 0;

    while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    return g_strdup_printf("%.3g %s", v, units[u]);
}

static void hmp_print_curve(Monitor *mon, bool exact)
{
    g_autoptr(DirtyRateInfo) dirty = NULL;

    dirty = qmp_query_dirty_rate(true, TIME_UNIT_MILLISECOND, NULL);
    if (!dirty || !dirty->has_total_pages) {
        return;
    }
    monitor_printf(mon, "Dirty page curve: %s, %" PRIi64 " ms, %" PRIu64
                   " pages of %" PRIu64 " bytes, %s%" PRIu64 " of them zero\n",
                   DirtyRateMeasureMode_str(dirty->mode), dirty->calc_time,
                   dirty->total_pages, dirty->page_size,
                   exact ? "" : "about ", dirty->zero_pages);
    if (exact) {
        monitor_printf(mon, "Every page counted: no ranges\n");
    } else {
        monitor_printf(mon, "%" PRIu64 " pages sampled: ranges cover the "
                       "95%% confidence interval of each reading\n",
                       dirty->sampled_pages);
    }
}

/*
 * "21s", "21s (17-26s)" for a range, "? (17s-)" for a migration that
 * converges in part of the range only, "-" for one that never does
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
    /* "17s-26s" as "17-26s", but "1m55s-2m10s" whole */
    digits = strspn(min, "0123456789");
    if ((!strcmp(min + digits, "s") || !strcmp(min + digits, "ms")) &&
        !strcmp(min + digits, max + strspn(max, "0123456789"))) {
        min[digits] = '\0';
    }
    return g_strdup_printf("%s (%s-%s)", mid, min, max);
}

/* Bandwidths as "1.25 Gbit/s (1.1-1.4 Gbit/s)", or "none" */
static char *format_min_bandwidth(const MigrationEstimateMinBandwidth *min)
{
    g_autofree char *mid = NULL;
    g_autofree char *lowest = NULL;
    g_autofree char *highest = NULL;
    char *unit;

    if (!min->has_lowest) {
        return g_strdup("none");
    }
    lowest = format_bandwidth(min->lowest);
    highest = min->has_highest ? format_bandwidth(min->highest) :
              g_strdup("none");
    mid = min->has_bandwidth ? format_bandwidth(min->bandwidth) :
          g_strdup("none");
    if (!strcmp(lowest, highest)) {
        return g_steal_pointer(&mid);
    }
    /* "460 Mbit/s-533 Mbit/s" as "460-533 Mbit/s" */
    unit = strchr(lowest, ' ');
    if (unit && !strcmp(unit, strchr(highest, ' ') ?: "")) {
        *unit = '\0';
    }
    return g_strdup_printf("%s (%s-%s)", mid, lowest, highest);
}

void hmp_info_migrate_estimate(Monitor *mon, const QDict *qdict)
{
    g_autoptr(MigrationEstimateInfo) info = NULL;
    g_autoptr(GPtrArray) text = g_ptr_array_new_with_free_func(g_free);
    MigrationEstimateBandwidthList *row;
    MigrationEstimateList *cell;
    MigrationEstimateMinBandwidthList *min;
    g_autofree char *deadline = NULL;
    int width[ESTIMATE_MAX_DOWNTIME_LIMITS + 1] = { 0 };
    Error *err = NULL;
    size_t columns = 0, i, j;

    info = qmp_query_migration_estimate(false, NULL, false, NULL, false, 0,
                                        false, 0, &err);
    if (hmp_handle_error(mon, err)) {
        return;
    }
    hmp_print_curve(mon, info->exact);
    deadline = format_duration(info->deadline);
    monitor_printf(mon, "Estimated migration time ('?': may not converge, "
                   "'-': does not converge within %s)\n", deadline);

    /* the header, then the rows, each a string per column */
    for (cell = info->bandwidths->value->estimates; cell; cell = cell->next) {
        g_ptr_array_add(text, cell->value->has_downtime_limit ?
                        format_duration(cell->value->downtime_limit) :
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
        j = i % columns;
        if (i && !j) {
            g_autofree char *bandwidth =
                format_bandwidth(row->value->bandwidth);

            monitor_printf(mon, "\n%-12s", bandwidth);
            row = row->next;
        }
        monitor_printf(mon, " %*s", width[j],
                       (char *)g_ptr_array_index(text, i));
    }
    monitor_printf(mon, "\n");

    monitor_printf(mon, "Lowest bandwidth that converges:\n");
    for (min = info->min_bandwidth; min; min = min->next) {
        g_autofree char *limit = format_duration(min->value->downtime_limit);
        g_autofree char *bandwidth = format_min_bandwidth(min->value);

        monitor_printf(mon, "  %-9s %s\n", limit, bandwidth);
    }
}
