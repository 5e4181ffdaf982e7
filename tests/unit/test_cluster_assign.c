/*
 * test_cluster_assign.c: replica assignment of new topics. Without racks, Kafka's spread (leaders
 * round robin, followers shifted); with racks, every partition's replicas on distinct racks as long
 * as there are racks enough; racks on some brokers only is refused with Kafka's message.
 */
#include <stdio.h>
#include <string.h>

#include "cluster/cluster_internal.h"
#include "test_check.h"

static void brokers_with_racks(gr_cluster_broker *b, int n, const char *const *racks) {
    memset(b, 0, (size_t)n * sizeof *b);
    for (int i = 0; i < n; i++) {
        b[i].id = i;
        if (racks && racks[i]) snprintf(b[i].rack, sizeof b[i].rack, "%s", racks[i]);
    }
}

static const char *rack_of(const gr_cluster_broker *b, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (b[i].id == id) return b[i].rack;
    return NULL;
}

static void test_without_racks_leaders_round_robin(void) {
    gr_cluster_broker b[3];
    brokers_with_racks(b, 3, NULL);
    int32_t out[6 * 3];
    char why[256];
    CHECK(gr_cluster_assign(b, 3, 6, 3, 0, 0, out, why, sizeof why) == GR_ERR_NONE);
    /* Kafka's AdminUtils with start index 0: leaders 0,1,2,0,1,2; the shift grows after 3. */
    static const int32_t want[6 * 3] = {0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 2, 1, 1, 0, 2, 2, 1, 0};
    CHECK(memcmp(out, want, sizeof want) == 0);
}

static void test_racks_spread_every_partition(void) {
    static const char *const racks[6] = {"rack1", "rack2", "rack2", "rack3", "rack3", "rack1"};
    gr_cluster_broker b[6];
    brokers_with_racks(b, 6, racks);
    for (int32_t start = -1; start < 6; start++) {
        int32_t out[12 * 3];
        int leads[6] = {0}, holds[6] = {0};
        char why[256];
        CHECK(gr_cluster_assign(b, 6, 12, 3, start, 0, out, why, sizeof why) == GR_ERR_NONE);
        for (int p = 0; p < 12; p++) {
            const int32_t *r = out + p * 3;
            CHECK(r[0] != r[1] && r[1] != r[2] && r[0] != r[2]);
            const char *a = rack_of(b, 6, r[0]), *c = rack_of(b, 6, r[1]), *d = rack_of(b, 6, r[2]);
            CHECK(a && c && d && strcmp(a, c) && strcmp(c, d) && strcmp(a, d));
            leads[r[0]]++;
            for (int j = 0; j < 3; j++) holds[r[j]]++;
        }
        for (int i = 0; i < 6; i++) CHECK(leads[i] == 2 && holds[i] == 6);
    }
}

static void test_more_replicas_than_racks(void) {
    static const char *const racks[4] = {"a", "a", "b", "b"};
    gr_cluster_broker b[4];
    brokers_with_racks(b, 4, racks);
    int32_t out[4 * 3];
    char why[256];
    CHECK(gr_cluster_assign(b, 4, 4, 3, 1, 0, out, why, sizeof why) == GR_ERR_NONE);
    for (int p = 0; p < 4; p++) {
        const int32_t *r = out + p * 3;
        CHECK(r[0] != r[1] && r[1] != r[2] && r[0] != r[2]);
        /* Both racks are used before a rack gets a second replica. */
        CHECK(strcmp(rack_of(b, 4, r[0]), rack_of(b, 4, r[1])) != 0);
    }
}

static void test_racks_on_some_brokers_only_refused(void) {
    static const char *const racks[3] = {"a", NULL, "b"};
    gr_cluster_broker b[3];
    brokers_with_racks(b, 3, racks);
    int32_t out[3];
    char why[256] = "";
    CHECK(gr_cluster_assign(b, 3, 1, 3, 0, 0, out, why, sizeof why) == GR_ERR_UNKNOWN_SERVER_ERROR);
    CHECK(strstr(why, "Not all brokers have rack information") != NULL);
    CHECK(gr_cluster_assign(b, 3, 1, 4, 0, 0, out, why, sizeof why) == GR_ERR_INVALID_REPLICATION_FACTOR);
}

int main(void) {
    test_without_racks_leaders_round_robin();
    test_racks_spread_every_partition();
    test_more_replicas_than_racks();
    test_racks_on_some_brokers_only_refused();
    if (test_failures) fprintf(stderr, "test_cluster_assign: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
