/*
 * Migration estimate: query-migration-estimate and info migrate_estimate
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Runs the pre-copy model of precopy-estimate.c over a grid of
 * bandwidths and downtime-limits, on the dirty page curve that
 * calc-dirty-rate measured.  The curve comes from query-dirty-rate, so
 * the estimate sees exactly what a management application sees.
 */

#include "qemu/osdep.h"
#include "qapi/clone-visitor.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-commands-migration-estimate.h"
#include "qapi/qapi-visit-migration.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
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
/* 1 Pbit/s: more is no network, and -1 would come as UINT64_MAX */
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

/* Add @value to the ascending @values, unless it is there already */
static void grid_add(uint64_t *values, size_t *n, uint64_t value)
{
    size_t i = *n;

    while (i && values[i - 1] > value) {
        values[i] = values[i - 1];
        i--;
    }
    if (i && values[i - 1] == value) {
        memmove(&values[i], &values[i + 1], (*n - i) * sizeof(*values));
        return;
    }
    values[i] = value;
    (*n)++;
}

/*
 * The @n values the user gave, checked (up to @max of them, and one more
 * when there were too many), or, if @has_values is false, the defaults
 * and the current migration parameter, ascending.
 */
static bool grid_fill(uint64_t *values, size_t *n, bool has_values,
                      const char *name, size_t max,
                      uint64_t min_value, uint64_t max_value,
                      const uint64_t *defaults, size_t nr_defaults,
                      uint64_t current, Error **errp)
{
    size_t i;

    if (!has_values) {
        *n = 0;
        for (i = 0; i < nr_defaults; i++) {
            grid_add(values, n, defaults[i]);
        }
        grid_add(values, n, current);
        return true;
    }
    if (!*n) {
        error_setg(errp, "'%s' must not be empty", name);
        return false;
    }
    if (*n > max) {
        error_setg(errp, "'%s' may have at most %zu entries", name, max);
        return false;
    }
    for (i = 0; i < *n; i++) {
        if (values[i] < min_value || values[i] > max_value) {
            error_setg(errp, "'%s' entries must be between %" PRIu64
                       " and %" PRIu64, name, min_value, max_value);
            return false;
        }
    }
    return true;
}

/* The workload that query-dirty-rate describes, if it has a curve */
static bool estimate_workload(const DirtyRateInfo *dirty, PrecopyWorkload *w,
                              DirtyCurveReading *readings, Error **errp)
{
    DirtyRateReadingList *r;
    size_t n = 0;

    switch (dirty->status) {
    case DIRTY_RATE_STATUS_UNSTARTED:
        error_setg(errp, "no dirty page curve measured yet: run "
                   "calc-dirty-rate in page-sampling or dirty-bitmap mode");
        return false;
    case DIRTY_RATE_STATUS_MEASURING:
        for (r = dirty->readings; r && r->next; r = r->next) {
            /* the last reading tells how far the measurement got */
        }
        error_setg(errp, "calc-dirty-rate is still measuring (%" PRIu64
                   " of %" PRIi64 " ms)", r ? r->value->elapsed : 0,
                   dirty->calc_time);
        return false;
    default:
        break;
    }
    if (dirty->mode == DIRTY_RATE_MEASURE_MODE_DIRTY_RING) {
        error_setg(errp, "calc-dirty-rate measured in dirty-ring mode, which "
                   "gives no dirty page curve: measure in page-sampling or "
                   "dirty-bitmap mode");
        return false;
    }
    if (!dirty->has_readings || !dirty->has_total_pages) {
        error_setg(errp, "the last calc-dirty-rate took no readings");
        return false;
    }
    for (r = dirty->readings; r && n < DIRTY_CURVE_MAX_READINGS; r = r->next) {
        readings[n].elapsed_ms = r->value->elapsed;
        readings[n++].dirty_pages = r->value->dirty_pages;
    }
    *w = (PrecopyWorkload) {
        .readings = readings,
        .nr_readings = n,
        .total_pages = dirty->total_pages,
        .zero_pages = dirty->zero_pages,
        .page_size = dirty->page_size,
    };
    return precopy_workload_check(w, errp);
}

static MigrationEstimate *estimate_cell(const PrecopyWorkload *w,
                                        PrecopyParams *p, uint64_t bandwidth,
                                        uint64_t downtime_limit_ms)
{
    MigrationEstimate *cell = g_new0(MigrationEstimate, 1);
    PrecopyEstimate e;

    p->bandwidth = bandwidth;
    p->downtime_limit_ms = downtime_limit_ms;
    precopy_estimate(w, p, &e);

    cell->bandwidth = bandwidth;
    cell->has_downtime_limit =
        downtime_limit_ms != PRECOPY_DOWNTIME_UNLIMITED;
    cell->downtime_limit = cell->has_downtime_limit ? downtime_limit_ms : 0;
    cell->converges = e.converges;
    if (e.converges) {
        cell->has_total_time = true;
        cell->total_time = e.total_time_ms;
        cell->has_downtime = true;
        cell->downtime = e.downtime_ms;
        cell->has_iterations = true;
        cell->iterations = e.dirty_syncs;
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
    uint64_t bw[ESTIMATE_MAX_BANDWIDTHS + 1];
    uint64_t dt[ESTIMATE_MAX_DOWNTIME_LIMITS + 1];
    DirtyCurveReading readings[DIRTY_CURVE_MAX_READINGS];
    g_autoptr(DirtyRateInfo) dirty = NULL;
    MigrationEstimateInfo *info;
    MigrationEstimateMeasurement *m;
    MigrationEstimateList **cells;
    MigrationEstimateMinBandwidthList **mins;
    int64_t start_us = g_get_monotonic_time();
    PrecopyWorkload w;
    PrecopyParams p;
    size_t nr_bw = 0, nr_dt = 0, i, j;

    /* one more than allowed tells that there were too many */
    for (; bandwidths && nr_bw < ARRAY_SIZE(bw);
         bandwidths = bandwidths->next) {
        bw[nr_bw++] = bandwidths->value;
    }
    for (; downtime_limits && nr_dt < ARRAY_SIZE(dt);
         downtime_limits = downtime_limits->next) {
        dt[nr_dt++] = downtime_limits->value;
    }
    if (!grid_fill(bw, &nr_bw, has_bandwidths, "bandwidths",
                   ESTIMATE_MAX_BANDWIDTHS, 1, ESTIMATE_MAX_BANDWIDTH,
                   estimate_bandwidths, ARRAY_SIZE(estimate_bandwidths),
                   migrate_max_bandwidth(), errp) ||
        !grid_fill(dt, &nr_dt, has_downtime_limits,
                   "downtime-limits", ESTIMATE_MAX_DOWNTIME_LIMITS,
                   0, ESTIMATE_MAX_DOWNTIME_LIMIT_MS,
                   estimate_downtime_limits_ms,
                   ARRAY_SIZE(estimate_downtime_limits_ms),
                   migrate_downtime_limit(), errp)) {
        return NULL;
    }
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

    dirty = qmp_query_dirty_rate(true, TIME_UNIT_MILLISECOND, errp);
    if (!dirty || !estimate_workload(dirty, &w, readings, errp)) {
        return NULL;
    }

    p = (PrecopyParams) {
        .switchover_bandwidth = migrate_avail_switchover_bandwidth(),
        .link_bandwidth = has_link_bandwidth ? link_bandwidth : 0,
        .deadline_ms = deadline,
    };

    info = g_new0(MigrationEstimateInfo, 1);
    info->deadline = deadline;
    if (p.link_bandwidth || p.switchover_bandwidth) {
        info->has_link_bandwidth = true;
        info->link_bandwidth = p.link_bandwidth ?: p.switchover_bandwidth;
    }
    m = info->measurement = g_new0(MigrationEstimateMeasurement, 1);
    m->mode = dirty->mode;
    m->start_time = dirty->start_time;
    m->calc_time = dirty->calc_time;
    m->total_pages = w.total_pages;
    m->zero_pages = w.zero_pages;
    m->page_size = w.page_size;
    m->readings = QAPI_CLONE(DirtyRateReadingList, dirty->readings);

    cells = &info->estimates;
    for (i = 0; i < nr_bw; i++) {
        for (j = 0; j < nr_dt; j++) {
            QAPI_LIST_APPEND(cells, estimate_cell(&w, &p, bw[i], dt[j]));
        }
        QAPI_LIST_APPEND(cells, estimate_cell(&w, &p, bw[i],
                                              PRECOPY_DOWNTIME_UNLIMITED));
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
                                         "Gbit/s", "Tbit/s" };
    double v = bytes_per_s * 8.0;
    size_t u = 0;

    while (v >= 1000 && u + 1 < ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    return g_strdup_printf("%.3g %s", v, units[u]);
}

void hmp_info_migrate_estimate(Monitor *mon, const QDict *qdict)
{
    g_autoptr(MigrationEstimateInfo) info = NULL;
    MigrationEstimateMeasurement *m;
    MigrationEstimateList *row, *cell;
    MigrationEstimateMinBandwidthList *min;
    g_autofree char *deadline = NULL;
    Error *err = NULL;

    info = qmp_query_migration_estimate(false, NULL, false, NULL, false, 0,
                                        false, 0, &err);
    if (err) {
        hmp_handle_error(mon, err);
        return;
    }
    m = info->measurement;
    deadline = format_duration(info->deadline);
    monitor_printf(mon, "Dirty page curve: %s, %" PRIu64 " ms, %" PRIu64
                   " pages of %" PRIu64 " bytes, about %" PRIu64
                   " of them zero\n", DirtyRateMeasureMode_str(m->mode),
                   m->calc_time, m->total_pages, m->page_size, m->zero_pages);
    monitor_printf(mon, "Estimated migration time ('-': does not converge "
                   "within %s)\n", deadline);

    monitor_printf(mon, "%-12s", "bandwidth");
    for (cell = info->estimates; cell; cell = cell->next) {
        g_autofree char *limit = NULL;

        if (!cell->value->has_downtime_limit) {
            monitor_printf(mon, " %9s\n", "unlimited");
            break;
        }
        limit = format_duration(cell->value->downtime_limit);
        monitor_printf(mon, " %9s", limit);
    }

    for (row = info->estimates; row; row = cell->next) {
        g_autofree char *bandwidth = format_bandwidth(row->value->bandwidth);

        monitor_printf(mon, "%-12s", bandwidth);
        for (cell = row; ; cell = cell->next) {
            g_autofree char *time = cell->value->converges ?
                format_duration(cell->value->total_time) : g_strdup("-");

            monitor_printf(mon, " %9s", time);
            if (!cell->value->has_downtime_limit) {
                break;
            }
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
