/*
 * Migration estimate: the syncs of the migration under way
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The migration thread records each sync of its dirty bitmap
 * (migration_estimate_sync()) and nothing more; the estimate reads them
 * back, with where the migration stands, when a client asks.  The record
 * has a lock of its own, held only to copy a sync in or the ring out, so
 * that it asks nothing of the locks the two sides hold.
 */

#include "qemu/osdep.h"
#include "qemu/lockable.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "exec/target_page.h"
#include "migration.h"
#include "migration-stats.h"
#include "options.h"
#include "ram.h"
#include "precopy-workload.h"
#include "estimate-sync.h"
#include "trace.h"

struct EstimateSyncs {
    QemuMutex lock;             /* protects the rest */
    int64_t first_us;           /* QEMU_CLOCK_REALTIME of its first sync */
    uint64_t count;             /* syncs since then, that one included */
    PrecopySync ring[ESTIMATE_SYNCS];
};

EstimateSyncs *estimate_syncs_new(void)
{
    EstimateSyncs *e = g_new0(EstimateSyncs, 1);

    qemu_mutex_init(&e->lock);
    return e;
}

void estimate_syncs_free(EstimateSyncs *e)
{
    if (e) {
        qemu_mutex_destroy(&e->lock);
        g_free(e);
    }
}

/*
 * The migration now, as PrecopySync has it, @first_us after its first
 * sync, with @dirty pages in its bitmap
 */
static void estimate_now(PrecopySync *now, int64_t first_us,
                         uint64_t dirty_before, uint64_t dirty_after)
{
    uint64_t zero = stat64_get(&mig_stats.zero_pages);

    *now = (PrecopySync) {
        .elapsed_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME) - first_us,
        .dirty_before = dirty_before,
        .dirty_after = dirty_after,
        .sent_pages = stat64_get(&mig_stats.normal_pages) + zero,
        .zero_sent = zero,
        .transferred = migration_transferred_bytes(),
        .max_bandwidth = migrate_max_bandwidth(),
        .downtime_limit = migrate_downtime_limit(),
    };
}

void migration_estimate_sync(EstimateSyncs *e, uint64_t dirty_before,
                             uint64_t dirty_after)
{
    PrecopySync *sync;
    uint64_t count;

    WITH_QEMU_LOCK_GUARD(&e->lock) {
        /* the first of a migration: ram_init_bitmaps() */
        if (stat64_get(&mig_stats.dirty_sync_count) == 1) {
            e->first_us = qemu_clock_get_us(QEMU_CLOCK_REALTIME);
            e->count = 0;
        }
        count = ++e->count;
        sync = &e->ring[(count - 1) % ESTIMATE_SYNCS];
        estimate_now(sync, e->first_us, dirty_before, dirty_after);
        trace_migration_estimate_sync(count, sync->elapsed_us, dirty_before,
                                      dirty_after, sync->sent_pages,
                                      sync->zero_sent, sync->transferred);
    }
}

/*
 * The pre-copy migration under way, in @g with its syncs in @syncs, and
 * how long ago, in milliseconds, it started before its first sync, in
 * @setup_ms.  One still setting up is where its first sync will leave it.
 * Returns false if none is under way.
 */
bool estimate_progress(PrecopyProgress *g, PrecopySync *syncs,
                       int64_t *setup_ms)
{
    MigrationState *s = migrate_get_current();
    EstimateSyncs *e = s->estimate_syncs;
    uint64_t page = qemu_target_page_size();
    uint64_t total = ram_bytes_total() / page;
    uint64_t synced = stat64_get(&mig_stats.dirty_sync_count);
    int64_t now_ms = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    int64_t first_us;
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
    WITH_QEMU_LOCK_GUARD(&e->lock) {
        if (e->count != synced || e->first_us / 1000 < s->start_time) {
            return false;   /* its syncs are not the ones recorded */
        }
        n = MIN(e->count, ESTIMATE_SYNCS);
        for (i = 0; i < n; i++) {
            syncs[i] = e->ring[(e->count - n + i) % ESTIMATE_SYNCS];
        }
        first_us = e->first_us;
    }
    g->nr_syncs = n;
    g->dirty_sync_count = synced;
    dirty = ram_bytes_remaining() / page;
    estimate_now(&g->now, first_us, dirty, dirty);
    /* the window of migration_rate_limit(): migration_update_counters() */
    g->window_us = s->iteration_start_time * 1000 - first_us;
    g->window_sent = g->now.transferred -
                     MIN(g->now.transferred,
                         stat64_get(&mig_stats.rate_limit_start));
    /* threshold_size is that window's bytes per ms times downtime-limit */
    if (!migrate_avail_switchover_bandwidth() && migrate_downtime_limit()) {
        g->window_bytes = s->threshold_size * BUFFER_DELAY /
                          migrate_downtime_limit();
    }
    *setup_ms = first_us / 1000 - s->start_time;
    return precopy_progress_check(g, NULL);
}

/*
 * The rate at which the migration @g has sent since its oldest sync
 * kept, in bytes per second; 0 before a rate limit window has passed
 */
uint64_t estimate_progress_rate(const PrecopyProgress *g)
{
    int64_t us = g->now.elapsed_us - g->syncs[0].elapsed_us;

    if (us < BUFFER_DELAY * 1000) {
        return 0;
    }
    /* milliseconds fit 32 bits for 49 days */
    return muldiv64(g->now.transferred - g->syncs[0].transferred, 1000,
                    MIN(us / 1000, UINT32_MAX));
}
