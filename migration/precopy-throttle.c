/*
 * Pre-copy migration estimate: throttling the guest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "precopy-throttle.h"

/*
 * migration_bitmap_sync(): a sync more than this many ms after the last
 * throttle period ended ends another (migration_trigger_throttle())
 */
#define THROTTLE_PERIOD_MS 1000

double precopy_sim_run_time(const PrecopySim *s, double t)
{
    return s->run_base + (t - s->run_at) * s->run_rate;
}

/*
 * How fast the guest goes under a throttle of @pct percent, relative to
 * unthrottled.  cpu_throttle_thread() sleeps each vCPU pct / (1 - pct)
 * times the 10 ms it may run between ticks of cpu_throttle_timer_tick(),
 * so that it can run (100 - pct) percent of the time.  A guest that ran
 * less than that while measured, idling in between, needs no more and
 * keeps its pace; one that ran more slows down to what it gets.
 */
static double sim_throttle_speed(const PrecopySim *s, unsigned pct)
{
    double busy = s->w->vcpu_busy ?: 1;

    return MIN(1, (100.0 - pct) / 100 / busy);
}

/*
 * cpu_throttle_set(): the guest held back @pct percent of the time, its
 * clock running that much slower than under the throttle its curve was
 * measured with
 */
static void sim_throttle_set(PrecopySim *s, unsigned pct)
{
    if (!s->pct) {
        s->throttle_since = s->now;
        s->throttle_since_run = precopy_sim_run_time(s, s->now);
        s->e->throttle_start_ms = round_u64(s->now);
    }
    s->run_base = precopy_sim_run_time(s, s->now);
    s->run_at = s->now;
    s->run_rate = sim_throttle_speed(s, pct) /
                  sim_throttle_speed(s, s->p->throttle.pct_now);
    s->pct = pct;
    s->e->throttle_peak = MAX(s->e->throttle_peak, pct);
}

/*
 * migration_dirty_limit_guest(): every vCPU held to vcpu-dirty-limit
 * MiB/s.  dirtylimit_set_throttle() sleeps a vCPU each time its dirty
 * ring fills, until the rate that the dirtyrate-stat thread measures
 * over a second comes within DIRTYLIMIT_TOLERANCE_RANGE of the limit:
 * the guest, its writes spread over its vCPUs, runs about the limit over
 * its rate of the time.
 */
static unsigned sim_dirty_limit_pct(const PrecopySim *s)
{
    const PrecopyThrottle *t = &s->p->throttle;
    double rate = precopy_curve_at(&s->c, 1000) * s->page;
    double limit = (double)t->vcpu_dirty_limit * t->vcpus * MiB;

    if (rate <= limit) {
        return 0;
    }
    return MIN(THROTTLE_PCT_MAX, round(100 * (1 - limit / rate)));
}

/* mig_throttle_guest_down() or migration_dirty_limit_guest() */
static void sim_throttle_up(PrecopySim *s, double dirty, double threshold)
{
    const PrecopyThrottle *t = &s->p->throttle;
    unsigned pct, inc;

    switch (t->kind) {
    case PRECOPY_THROTTLE_AUTO_CONVERGE:
        if (!s->pct) {
            pct = t->initial;
        } else {
            inc = t->increment;
            if (t->tailslow) {
                /* in whole percent, as QEMU computes it */
                unsigned cpu_now = 100 - s->pct;
                unsigned cpu_ideal = cpu_now * (threshold / dirty);

                inc = MIN(cpu_now - cpu_ideal, inc);
            }
            pct = MIN(s->pct + inc, t->max);
        }
        sim_throttle_set(s, MIN(MAX(pct, THROTTLE_PCT_MIN), THROTTLE_PCT_MAX));
        break;
    case PRECOPY_THROTTLE_DIRTY_LIMIT:
        /* set once, at the first trigger */
        if (!s->pct && !t->limit_now) {
            pct = sim_dirty_limit_pct(s);
            if (pct) {
                sim_throttle_set(s, pct);
            }
        }
        break;
    default:
        break;
    }
}

void precopy_sim_throttle_period(PrecopySim *s, double dirtied)
{
    double sent, dirty, threshold;

    s->period_dirtied += dirtied;
    if (s->now <= s->period_start + THROTTLE_PERIOD_MS) {
        return;
    }
    sent = s->sent - s->period_sent;
    dirty = round(s->period_dirtied) * s->page;
    threshold = floor(sent * s->p->throttle.trigger_threshold / 100);
    if (dirty > threshold && ++s->high >= 2) {
        s->high = 0;
        sim_throttle_up(s, dirty, threshold);
    }
    s->period_start = s->now;
    s->period_sent = s->sent;
    s->period_dirtied = 0;
}

bool precopy_sim_throttle_may_rise(const PrecopySim *s)
{
    const PrecopyThrottle *t = &s->p->throttle;

    switch (t->kind) {
    case PRECOPY_THROTTLE_AUTO_CONVERGE:
        return s->pct < MIN(t->max, THROTTLE_PCT_MAX);
    case PRECOPY_THROTTLE_DIRTY_LIMIT:
        return !s->pct && !t->limit_now && sim_dirty_limit_pct(s);
    default:
        return false;
    }
}

bool precopy_sim_tick_due(PrecopySim *s, double end)
{
    if (s->p->throttle.kind != PRECOPY_THROTTLE_AUTO_CONVERGE ||
        s->next_tick >= end) {
        return false;
    }
    if (s->e->dirty_syncs > 1 && s->e->dirty_syncs == s->tick_syncs) {
        return true;
    }
    s->tick_syncs = s->e->dirty_syncs;
    s->next_tick += THROTTLE_SYNC_TICK_MS;
    if (s->e->dirty_syncs > 1) {
        return s->next_tick < end;
    }
    /* in pass 1, no tick syncs: on to the first at or past @end */
    s->next_tick += ceil(MAX(0, end - s->next_tick) / THROTTLE_SYNC_TICK_MS) *
                    THROTTLE_SYNC_TICK_MS;
    return false;
}

void precopy_sim_stop(PrecopySim *s)
{
    PrecopyEstimate *e = s->e;
    double ran;

    s->stopped = true;
    if (!s->pct) {
        return;
    }
    /*
     * The guest's clock counts in its pace under throttle.pct_now; what
     * it lost is the time it would have run at full pace and could not
     */
    ran = (precopy_sim_run_time(s, s->now) - s->throttle_since_run) *
          sim_throttle_speed(s, s->p->throttle.pct_now);
    e->throttle_ms = round_u64(s->now - s->throttle_since);
    e->throttle_lost_ms = round_u64(MAX(0, s->now - s->throttle_since - ran));
}
