/*
 * Migration estimate: the lowest bandwidth and downtime-limit that converge
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "precopy-search.h"
#include "estimate-lowest.h"

/* where to look for the lowest converging bandwidth: 8 kbit/s - 1 Tbit/s */
#define ESTIMATE_SEARCH_MIN_BANDWIDTH   1000
#define ESTIMATE_SEARCH_MAX_BANDWIDTH   (125ULL * 1000 * 1000 * 1000)

MigrationEstimateMinBandwidth *estimate_min_bandwidth(
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

MigrationEstimateMinDowntimeLimit *estimate_min_downtime_limit(
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
