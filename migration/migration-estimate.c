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

static MigrationEstimate *estimate_cell(const PrecopyWorkload *w,
                                        PrecopyParams *p,
                                        uint64_t downtime_limit_ms)
{
    MigrationEstimate *cell = g_new0(MigrationEstimate, 1);
    PrecopyEstimate e;

    p->downtime_limit_ms = downtime_limit_ms;
    precopy_estimate(w, p, &e);

    cell->has_downtime_limit =
        downtime_limit_ms != PRECOPY_DOWNTIME_UNLIMITED;
    cell->downtime_limit = cell->has_downtime_limit ? downtime_limit_ms : 0;
    cell->converges = e.converges;
    if (e.converges) {
        cell->has_total_time = true;
        cell->total_time = e.total_time_ms;
        cell->has_downtime = true;
        cell->downtime = e.downtime_ms;
        cell->has_dirty_sync_count = true;
        cell->dirty_sync_count = e.dirty_syncs;
        cell->has_transferred = true;
        cell->transferred = e.transferred;
    }
    return cell;
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
    DirtyCurve curve;
    PrecopyWorkload w;
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

    if (!dirtyrate_get_curve(&curve, errp)) {
        return NULL;
    }
    w = (PrecopyWorkload) {
        .readings = curve.readings,
        .nr_readings = curve.nr_readings,
        .total_pages = curve.total_pages,
        .zero_pages = curve.zero_pages,
        .page_size = curve.page_size,
    };
    if (!precopy_workload_check(&w, errp)) {
        return NULL;
    }

    info = g_new0(MigrationEstimateInfo, 1);
    info->deadline = deadline;
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
        MigrationEstimateMinBandwidth *min =
            g_new0(MigrationEstimateMinBandwidth, 1);

        p.downtime_limit_ms = dt[j];
        min->downtime_limit = dt[j];
        min->bandwidth = precopy_min_bandwidth(&w, &p,
                                               ESTIMATE_SEARCH_MIN_BANDWIDTH,
                                               ESTIMATE_SEARCH_MAX_BANDWIDTH);
        min->has_bandwidth = min->bandwidth != 0;
        QAPI_LIST_APPEND(mins, min);
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

static void hmp_print_curve(Monitor *mon)
{
    g_autoptr(DirtyRateInfo) dirty = NULL;

    dirty = qmp_query_dirty_rate(true, TIME_UNIT_MILLISECOND, NULL);
    if (dirty && dirty->has_total_pages) {
        monitor_printf(mon, "Dirty page curve: %s, %" PRIi64 " ms, %"
                       PRIu64 " pages of %" PRIu64 " bytes, about %" PRIu64
                       " of them zero\n",
                       DirtyRateMeasureMode_str(dirty->mode), dirty->calc_time,
                       dirty->total_pages, dirty->page_size,
                       dirty->zero_pages);
    }
}

void hmp_info_migrate_estimate(Monitor *mon, const QDict *qdict)
{
    g_autoptr(MigrationEstimateInfo) info = NULL;
    MigrationEstimateBandwidthList *row;
    MigrationEstimateList *cell;
    MigrationEstimateMinBandwidthList *min;
    g_autofree char *deadline = NULL;
    Error *err = NULL;

    info = qmp_query_migration_estimate(false, NULL, false, NULL, false, 0,
                                        false, 0, &err);
    if (hmp_handle_error(mon, err)) {
        return;
    }
    hmp_print_curve(mon);
    deadline = format_duration(info->deadline);
    monitor_printf(mon, "Estimated migration time ('-': does not converge "
                   "within %s)\n", deadline);

    monitor_printf(mon, "%-12s", "bandwidth");
    for (cell = info->bandwidths->value->estimates; cell; cell = cell->next) {
        g_autofree char *limit = cell->value->has_downtime_limit ?
            format_duration(cell->value->downtime_limit) :
            g_strdup("unlimited");

        monitor_printf(mon, " %9s", limit);
    }
    monitor_printf(mon, "\n");

    for (row = info->bandwidths; row; row = row->next) {
        g_autofree char *bandwidth = format_bandwidth(row->value->bandwidth);

        monitor_printf(mon, "%-12s", bandwidth);
        for (cell = row->value->estimates; cell; cell = cell->next) {
            g_autofree char *time = cell->value->converges ?
                format_duration(cell->value->total_time) : g_strdup("-");

            monitor_printf(mon, " %9s", time);
        }
        monitor_printf(mon, "\n");
    }

    monitor_printf(mon, "Lowest bandwidth that converges:");
    for (min = info->min_bandwidth; min; min = min->next) {
        g_autofree char *limit = format_duration(min->value->downtime_limit);
        g_autofree char *bandwidth = min->value->has_bandwidth ?
            format_bandwidth(min->value->bandwidth) : g_strdup("none");

        monitor_printf(mon, "%s %s: %s", min == info->min_bandwidth ? "" : ",",
                       limit, bandwidth);
    }
    monitor_printf(mon, "\n");
}
