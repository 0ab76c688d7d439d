/*
 * Migration estimate: estimates as text, for HMP
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "estimate-format.h"

/* "850ms", "1.4s", "1m55s", "1h02m" */
char *estimate_format_duration(uint64_t ms)
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
char *estimate_format_bandwidth(uint64_t bytes_per_s)
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

/*
 * "21.3s", "21.3s (17.0-26.1s)" for a range, "? (17.0s-)" for a
 * migration that converges in part of the range only, "-" for one that
 * never does
 */
char *estimate_format_cell(const MigrationEstimate *cell)
{
    g_autofree char *min = NULL;
    g_autofree char *max = NULL;
    g_autofree char *mid = NULL;
    size_t digits;

    if (cell->verdict == MIGRATION_ESTIMATE_VERDICT_DOES_NOT_CONVERGE) {
        return g_strdup("-");
    }
    min = estimate_format_duration(cell->min_total_time);
    if (cell->verdict == MIGRATION_ESTIMATE_VERDICT_UNCERTAIN) {
        return g_strdup_printf("? (%s-)", min);
    }
    mid = estimate_format_duration(cell->total_time);
    max = estimate_format_duration(cell->max_total_time);
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
char *estimate_format_downtime_limit(uint64_t ms)
{
    if (ms && !(ms % 1000)) {
        return g_strdup_printf("%" PRIu64 "s", ms / 1000);
    }
    return g_strdup_printf("%" PRIu64 "ms", ms);
}

/* Milliseconds as a downtime-limit: "300ms" */
char *estimate_format_ms(uint64_t ms)
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

char *estimate_format_min_bandwidth(const MigrationEstimateMinBandwidth *min)
{
    return format_lowest(min->has_bandwidth, min->bandwidth,
                         min->has_lowest, min->lowest,
                         min->has_highest, min->highest,
                         estimate_format_bandwidth);
}

char *estimate_format_min_downtime_limit(
    const MigrationEstimateMinDowntimeLimit *min)
{
    return format_lowest(min->has_downtime_limit, min->downtime_limit,
                         min->has_lowest, min->lowest,
                         min->has_highest, min->highest, estimate_format_ms);
}

/* "auto-converge+multifd", or "pre-copy" without aids */
char *estimate_format_strategy(const MigrationEstimateStrategy *s)
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
