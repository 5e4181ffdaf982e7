/*
 * test_net_timer.c: the timer heap against a simple model: random arming and
 * cancelling, firing in (deadline, arming order), stale ids rejected, and
 * callbacks that arm or cancel timers while the heap runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/timer.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

#define N 5000

typedef struct model {
    int64_t deadline;
    uint64_t id;
    int armed_at; /* arming order */
    int state;    /* 0 pending, 1 fired, 2 cancelled */
} model;

static model m[N];
static int fired_order[N];
static int nfired;

static void cb(void *ud) {
    int i = (int)(intptr_t)ud;
    CHECK(m[i].state == 0);
    m[i].state = 1;
    fired_order[nfired++] = i;
}

static gr_timer_heap *reentrant_heap;
static int reentrant_runs;
static uint64_t victim;

static void rearm(void *ud) {
    reentrant_runs++;
    /* A zero-delay timer armed from a callback waits for the next run. */
    if (reentrant_runs < 5) gr_timer_heap_add(reentrant_heap, 0, rearm, NULL);
    gr_timer_heap_cancel(reentrant_heap, victim);
}

static void must_not_run(void *ud) { CHECK(0); }

int main(void) {
    gr_timer_heap h;
    gr_timer_heap_init(&h);
    CHECK(gr_timer_heap_next(&h) == INT64_MAX);
    CHECK(!gr_timer_heap_cancel(&h, 0));
    CHECK(!gr_timer_heap_cancel(&h, 12345));
    srand(7);
    int armed = 0;
    int64_t now = 0;
    for (int step = 0; step < 200 && (armed < N || h.count); step++) {
        int add = armed < N ? rand() % 60 : 0;
        for (int k = 0; k < add && armed < N; k++, armed++) {
            m[armed].deadline = now + rand() % 100;
            m[armed].armed_at = armed;
            m[armed].id = gr_timer_heap_add(&h, m[armed].deadline, cb, (void *)(intptr_t)armed);
            CHECK(m[armed].id != 0);
        }
        for (int k = 0; k < 10 && armed; k++) {
            int i = rand() % armed;
            bool ok = gr_timer_heap_cancel(&h, m[i].id);
            CHECK(ok == (m[i].state == 0));
            if (ok) m[i].state = 2;
        }
        int first = nfired;
        now += rand() % 20;
        gr_timer_heap_run(&h, now);
        for (int k = first; k < nfired; k++) {
            model *x = &m[fired_order[k]];
            CHECK(x->deadline <= now);
            if (k > first) {
                model *p = &m[fired_order[k - 1]];
                CHECK(p->deadline < x->deadline || (p->deadline == x->deadline && p->armed_at < x->armed_at));
            }
        }
        CHECK(gr_timer_heap_next(&h) > now);
    }
    gr_timer_heap_run(&h, INT64_MAX - 1);
    for (int i = 0; i < armed; i++) {
        CHECK(m[i].state != 0);
        CHECK(!gr_timer_heap_cancel(&h, m[i].id)); /* stale ids fail even after slot reuse */
    }
    CHECK(h.count == 0);

    /* Re-entrancy. */
    reentrant_heap = &h;
    victim = gr_timer_heap_add(&h, 5, must_not_run, NULL);
    gr_timer_heap_add(&h, 0, rearm, NULL);
    for (int i = 0; i < 10 && h.count; i++) gr_timer_heap_run(&h, 0);
    CHECK(reentrant_runs == 5);
    CHECK(h.count == 0);
    gr_timer_heap_free(&h);
    printf("test_net_timer ok (%d fired)\n", nfired);
    return 0;
}
