/*
 * partition_replica.c: one partition's replica in cluster mode (see partition_replica.h).
 *
 * All state sits behind one mutex per replica. Anything that calls out (the ISR proposal, the
 * data_arrived wake-up, acks=all completions, the fetchers) is collected under the lock into an
 * `outbox` and run after it is released, so a callback may call back into the replica.
 * gr_partition_replica_apply runs on the cluster thread only, which orders follow/unfollow.
 */
#include "cluster/partition_replica.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/topics.h"
#include "proto/errors.h"

/* An ISR proposal that got no answer (no apply with a newer znode version) is sent again after
 * this long: the cluster layer may have lost it with its ZooKeeper session. */
#define ISR_PROPOSAL_RETRY_MS 2000

typedef struct follower {
    int32_t id;
    int64_t fetch_offset;      /* its log end offset as its last fetch said; -1 unknown */
    int64_t last_fetch_ms;     /* when that fetch came */
    int64_t leo_at_last_fetch; /* the leader's log end offset then */
    int64_t last_caught_up_ms; /* Kafka's lastCaughtUpTimeMs: the ISR shrink clock */
    bool fetched_this_epoch;   /* has fetched at or past the current epoch's start */
} follower;

typedef struct ack_waiter {
    struct ack_waiter *next;
    int64_t end_offset;
    int32_t min_insync;
    int64_t deadline_ms;
    void (*done)(void *ud, int16_t error);
    void *ud;
    int16_t error; /* set when it leaves the list */
} ack_waiter;

struct gr_partition_replica {
    gr_partition_replica_config cfg;
    char *topic;
    pthread_mutex_t mu;
    gr_partition_state state;
    bool known;          /* a state was applied */
    bool leading;        /* this broker is the leader in state */
    int64_t epoch_start; /* the log end offset when this epoch's leadership began */
    int follower_count;
    follower followers[GR_REPLICAS_MAX];
    int64_t proposed_ms;      /* when the last ISR proposal went out; 0: none pending */
    int32_t proposed_version; /* the znode version it was based on */
    ack_waiter *waiters;      /* sorted by end_offset */
    /* Follower side: what the fetchers follow now. */
    int32_t following_leader;
    int32_t following_epoch;
};

/* Work collected under the lock, done after it. */
typedef struct outbox {
    bool propose;
    gr_partition_state proposal;
    bool hw_moved;
    ack_waiter *finished; /* waiters to complete, any order */
} outbox;

static void outbox_run(gr_partition_replica *r, outbox *o) {
    if (o->propose && r->cfg.isr_change)
        r->cfg.isr_change(r->cfg.isr_change_ud, r->topic, r->cfg.partition, &o->proposal);
    if (o->hw_moved && r->cfg.data_arrived) r->cfg.data_arrived(r->cfg.data_arrived_ud);
    while (o->finished) {
        ack_waiter *w = o->finished;
        o->finished = w->next;
        w->done(w->ud, w->error);
        free(w);
    }
}

static bool in_list(const int32_t *ids, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

static bool in_isr(const gr_partition_replica *r, int32_t id) {
    return in_list(r->state.isr, r->state.isr_count, id);
}

static follower *find_follower(gr_partition_replica *r, int32_t id) {
    for (int i = 0; i < r->follower_count; i++)
        if (r->followers[i].id == id) return &r->followers[i];
    return NULL;
}

static void finish_waiter(outbox *o, ack_waiter *w, int16_t error) {
    w->error = error;
    w->next = o->finished;
    o->finished = w;
}

static void fail_all_waiters(gr_partition_replica *r, outbox *o, int16_t error) {
    while (r->waiters) {
        ack_waiter *w = r->waiters;
        r->waiters = w->next;
        finish_waiter(o, w, error);
    }
}

/* Completes the waiters the high watermark has passed (the list is sorted). */
static void release_waiters(gr_partition_replica *r, outbox *o) {
    int64_t hw = gr_plog_high_watermark(r->cfg.log);
    while (r->waiters && r->waiters->end_offset <= hw) {
        ack_waiter *w = r->waiters;
        r->waiters = w->next;
        finish_waiter(
            o, w, r->state.isr_count < w->min_insync ? GR_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND : GR_ERR_NONE);
    }
}

/* The high watermark: the smallest log end offset in the ISR (the leader's own included); an
 * ISR follower whose position is not known yet holds it where it is. */
static void update_high_watermark(gr_partition_replica *r, outbox *o) {
    if (!r->leading) return;
    int64_t hw = gr_plog_log_end_offset(r->cfg.log);
    for (int i = 0; i < r->state.isr_count; i++) {
        int32_t id = r->state.isr[i];
        if (id == r->cfg.broker_id) continue;
        follower *f = find_follower(r, id);
        int64_t pos = f ? f->fetch_offset : -1;
        if (pos < 0) return;
        if (pos < hw) hw = pos;
    }
    int64_t before = gr_plog_high_watermark(r->cfg.log);
    if (hw > before) {
        gr_plog_set_high_watermark(r->cfg.log, hw);
        if (gr_plog_high_watermark(r->cfg.log) != before) o->hw_moved = true;
    }
    release_waiters(r, o);
}

/* Queues an ISR proposal unless one based on the same znode version is recent. */
static void propose_isr(gr_partition_replica *r, outbox *o, const int32_t *isr, int isr_count,
                        int64_t now_ms) {
    if (o->propose) return;
    if (r->proposed_ms != 0 && r->proposed_version == r->state.zk_version &&
        now_ms - r->proposed_ms < ISR_PROPOSAL_RETRY_MS)
        return;
    o->propose = true;
    o->proposal = r->state;
    o->proposal.isr_count = isr_count;
    memcpy(o->proposal.isr, isr, (size_t)isr_count * sizeof isr[0]);
    r->proposed_ms = now_ms != 0 ? now_ms : 1;
    r->proposed_version = r->state.zk_version;
}

/* A follower outside the ISR that reached the high watermark from this epoch joins it. */
static void maybe_expand_isr(gr_partition_replica *r, outbox *o, follower *f, int64_t now_ms) {
    if (in_isr(r, f->id) || !f->fetched_this_epoch || r->state.isr_count >= GR_REPLICAS_MAX) return;
    if (f->fetch_offset < gr_plog_high_watermark(r->cfg.log)) return;
    int32_t isr[GR_REPLICAS_MAX];
    int n = r->state.isr_count;
    memcpy(isr, r->state.isr, (size_t)n * sizeof isr[0]);
    isr[n++] = f->id;
    propose_isr(r, o, isr, n, now_ms);
}

/* ISR followers that have not caught up to the log end for replica.lag.time.max.ms leave it. */
static void maybe_shrink_isr(gr_partition_replica *r, outbox *o, int64_t now_ms) {
    int32_t isr[GR_REPLICAS_MAX];
    int n = 0;
    bool shrink = false;
    int64_t leo = gr_plog_log_end_offset(r->cfg.log);
    for (int i = 0; i < r->state.isr_count; i++) {
        int32_t id = r->state.isr[i];
        follower *f = id == r->cfg.broker_id ? NULL : find_follower(r, id);
        bool lagging = f && !(f->fetch_offset >= leo && f->fetch_offset >= 0) &&
                       now_ms - f->last_caught_up_ms > r->cfg.replica_lag_time_max_ms;
        if (lagging)
            shrink = true;
        else
            isr[n++] = id;
    }
    if (!in_list(isr, n, r->cfg.broker_id) && n < GR_REPLICAS_MAX) isr[n++] = r->cfg.broker_id;
    if (shrink) propose_isr(r, o, isr, n, now_ms);
}

gr_partition_replica *gr_partition_replica_new(const gr_partition_replica_config *cfg) {
    gr_partition_replica *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->cfg = *cfg;
    r->topic = strdup(cfg->topic ? cfg->topic : "");
    if (!r->topic || pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r->topic);
        free(r);
        return NULL;
    }
    r->cfg.topic = r->topic;
    r->state.leader = -1;
    r->state.leader_epoch = -1;
    r->following_leader = -1;
    r->following_epoch = -1;
    return r;
}

static void stop_following(gr_partition_replica *r) {
    if (r->following_leader < 0) return;
    if (r->cfg.fetchers) gr_replica_fetchers_unfollow(r->cfg.fetchers, r->topic, r->cfg.partition);
    r->following_leader = -1;
    r->following_epoch = -1;
}

void gr_partition_replica_free(gr_partition_replica *r) {
    if (!r) return;
    stop_following(r);
    outbox o = {0};
    pthread_mutex_lock(&r->mu);
    r->leading = false;
    fail_all_waiters(r, &o, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    pthread_mutex_unlock(&r->mu);
    o.propose = o.hw_moved = false; /* nobody listens any more */
    outbox_run(r, &o);
    pthread_mutex_destroy(&r->mu);
    free(r->topic);
    free(r);
}

/* Rebuilds the follower table for a new leadership: every position unknown. */
static void reset_followers(gr_partition_replica *r, int64_t now_ms) {
    r->follower_count = 0;
    for (int i = 0; i < r->state.replica_count && r->follower_count < GR_REPLICAS_MAX; i++) {
        int32_t id = r->state.replicas[i];
        if (id == r->cfg.broker_id) continue;
        follower *f = &r->followers[r->follower_count++];
        memset(f, 0, sizeof *f);
        f->id = id;
        f->fetch_offset = -1;
        f->leo_at_last_fetch = -1;
        f->last_caught_up_ms = in_isr(r, id) ? now_ms : 0;
    }
}

/* Same leadership, new replica set or ISR: keep what is known, add newcomers. */
static void refresh_followers(gr_partition_replica *r, const gr_partition_state *old, int64_t now_ms) {
    follower kept[GR_REPLICAS_MAX];
    int n = 0;
    for (int i = 0; i < r->state.replica_count && n < GR_REPLICAS_MAX; i++) {
        int32_t id = r->state.replicas[i];
        if (id == r->cfg.broker_id) continue;
        follower *f = find_follower(r, id);
        if (f) {
            kept[n] = *f;
        } else {
            memset(&kept[n], 0, sizeof kept[n]);
            kept[n].id = id;
            kept[n].fetch_offset = -1;
            kept[n].leo_at_last_fetch = -1;
        }
        /* One that just joined the ISR starts its lag clock now. */
        if (in_isr(r, id) && !in_list(old->isr, old->isr_count, id)) kept[n].last_caught_up_ms = now_ms;
        n++;
    }
    memcpy(r->followers, kept, (size_t)n * sizeof kept[0]);
    r->follower_count = n;
}

static void publish_epoch(gr_partition_replica *r, int32_t epoch) {
    if (r->cfg.registry_partition && epoch >= 0)
        __atomic_store_n(&r->cfg.registry_partition->leader_epoch, epoch, __ATOMIC_RELEASE);
}

void gr_partition_replica_apply(gr_partition_replica *r, const gr_partition_state *s,
                                const gr_leader_endpoint *leader) {
    int64_t now_ms = gr_mono_ms();
    bool lead = s->leader >= 0 && s->leader == r->cfg.broker_id;
    /* A new leader must not have a fetcher still writing into its log; a follower whose new
     * leader cannot be reached yet must not keep fetching from the old one. */
    if (lead || s->leader < 0 || (!leader && s->leader != r->following_leader)) stop_following(r);

    outbox o = {0};
    pthread_mutex_lock(&r->mu);
    gr_partition_state old = r->state;
    bool was_leading = r->leading;
    bool new_epoch = !r->known || s->leader_epoch != old.leader_epoch;
    r->state = *s;
    r->known = true;
    if (s->zk_version != r->proposed_version) r->proposed_ms = 0; /* answered */
    if (lead) {
        if (!was_leading || new_epoch) {
            gr_plog_set_replicated(r->cfg.log, true);
            r->epoch_start = gr_plog_log_end_offset(r->cfg.log);
            gr_plog_assign_epoch(r->cfg.log, s->leader_epoch, r->epoch_start);
            reset_followers(r, now_ms);
            r->proposed_ms = 0;
        } else {
            refresh_followers(r, &old, now_ms);
        }
        r->leading = true;
        publish_epoch(r, s->leader_epoch);
        update_high_watermark(r, &o); /* an ISR of the leader alone moves it at once */
    } else {
        gr_plog_set_replicated(r->cfg.log, true);
        r->leading = false;
        r->follower_count = 0;
        publish_epoch(r, s->leader_epoch);
        if (was_leading) fail_all_waiters(r, &o, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    }
    bool follow = !lead && s->leader >= 0 && leader != NULL &&
                  (s->leader != r->following_leader || s->leader_epoch != r->following_epoch);
    pthread_mutex_unlock(&r->mu);

    if (follow && r->cfg.fetchers) {
        gr_replica_fetchers_follow(r->cfg.fetchers, r->topic, r->cfg.topic_id, r->cfg.partition, r->cfg.log,
                                   s->leader, leader->host, leader->port, s->leader_epoch);
        r->following_leader = s->leader;
        r->following_epoch = s->leader_epoch;
    }
    outbox_run(r, &o);
}

bool gr_partition_replica_is_leader(gr_partition_replica *r) {
    pthread_mutex_lock(&r->mu);
    bool lead = r->leading;
    pthread_mutex_unlock(&r->mu);
    return lead;
}

int32_t gr_partition_replica_leader(gr_partition_replica *r) {
    pthread_mutex_lock(&r->mu);
    int32_t id = r->known ? r->state.leader : -1;
    pthread_mutex_unlock(&r->mu);
    return id;
}

int32_t gr_partition_replica_leader_epoch(gr_partition_replica *r) {
    pthread_mutex_lock(&r->mu);
    int32_t epoch = r->known ? r->state.leader_epoch : -1;
    pthread_mutex_unlock(&r->mu);
    return epoch;
}

void gr_partition_replica_state(gr_partition_replica *r, gr_partition_state *out) {
    pthread_mutex_lock(&r->mu);
    *out = r->state;
    pthread_mutex_unlock(&r->mu);
}

int16_t gr_partition_replica_follower_fetched(gr_partition_replica *r, int32_t follower_id,
                                              int64_t fetch_offset, int64_t now_ms) {
    outbox o = {0};
    int16_t err = GR_ERR_NONE;
    pthread_mutex_lock(&r->mu);
    follower *f = r->leading ? find_follower(r, follower_id) : NULL;
    if (!r->leading)
        err = GR_ERR_NOT_LEADER_OR_FOLLOWER;
    else if (!f)
        err = GR_ERR_NOT_LEADER_OR_FOLLOWER; /* not a replica of this partition */
    else if (fetch_offset >= 0 && fetch_offset <= gr_plog_log_end_offset(r->cfg.log)) {
        int64_t leo = gr_plog_log_end_offset(r->cfg.log);
        /* Kafka's rule: caught up if it reached the log end as it is now, or as it was at its
         * previous fetch (then it was caught up at that time). */
        if (fetch_offset >= leo)
            f->last_caught_up_ms = now_ms;
        else if (f->leo_at_last_fetch >= 0 && fetch_offset >= f->leo_at_last_fetch &&
                 f->last_fetch_ms > f->last_caught_up_ms)
            f->last_caught_up_ms = f->last_fetch_ms;
        f->fetch_offset = fetch_offset;
        f->last_fetch_ms = now_ms;
        f->leo_at_last_fetch = leo;
        if (fetch_offset >= r->epoch_start) f->fetched_this_epoch = true;
        update_high_watermark(r, &o);
        maybe_expand_isr(r, &o, f, now_ms);
    }
    pthread_mutex_unlock(&r->mu);
    outbox_run(r, &o);
    return err;
}

void gr_partition_replica_appended(gr_partition_replica *r) {
    outbox o = {0};
    pthread_mutex_lock(&r->mu);
    update_high_watermark(r, &o);
    pthread_mutex_unlock(&r->mu);
    outbox_run(r, &o);
}

int16_t gr_partition_replica_check_insync(gr_partition_replica *r, int32_t min_insync_replicas) {
    pthread_mutex_lock(&r->mu);
    int16_t err = !r->leading                                ? GR_ERR_NOT_LEADER_OR_FOLLOWER
                  : r->state.isr_count < min_insync_replicas ? GR_ERR_NOT_ENOUGH_REPLICAS
                                                             : GR_ERR_NONE;
    pthread_mutex_unlock(&r->mu);
    return err;
}

void gr_partition_replica_wait(gr_partition_replica *r, int64_t end_offset, int32_t min_insync_replicas,
                               int64_t deadline_ms, void (*done)(void *ud, int16_t error), void *ud) {
    ack_waiter *w = calloc(1, sizeof *w);
    if (!w) {
        done(ud, GR_ERR_REQUEST_TIMED_OUT);
        return;
    }
    w->end_offset = end_offset;
    w->min_insync = min_insync_replicas;
    w->deadline_ms = deadline_ms;
    w->done = done;
    w->ud = ud;
    outbox o = {0};
    pthread_mutex_lock(&r->mu);
    if (!r->leading) {
        finish_waiter(&o, w, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    } else {
        ack_waiter **at = &r->waiters;
        while (*at && (*at)->end_offset <= end_offset) at = &(*at)->next;
        w->next = *at;
        *at = w;
        update_high_watermark(r, &o); /* completes it at once if already there */
    }
    pthread_mutex_unlock(&r->mu);
    outbox_run(r, &o);
}

void gr_partition_replica_tick(gr_partition_replica *r, int64_t now_ms) {
    outbox o = {0};
    pthread_mutex_lock(&r->mu);
    if (r->leading) {
        update_high_watermark(r, &o);
        maybe_shrink_isr(r, &o, now_ms);
        for (int i = 0; i < r->follower_count && !o.propose; i++)
            maybe_expand_isr(r, &o, &r->followers[i], now_ms);
    }
    ack_waiter **at = &r->waiters;
    while (*at) {
        ack_waiter *w = *at;
        if (w->deadline_ms <= now_ms) {
            *at = w->next;
            finish_waiter(&o, w, GR_ERR_REQUEST_TIMED_OUT);
        } else {
            at = &w->next;
        }
    }
    pthread_mutex_unlock(&r->mu);
    outbox_run(r, &o);
}
