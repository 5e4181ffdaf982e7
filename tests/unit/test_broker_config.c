/* test_broker_config.c: settings the broker cannot honour stop start-up (security, replication);
 * the cluster keys parse into their fields. */
#include <stdlib.h>
#include <string.h>

#include "broker/config.h"
#include "test_check.h"

/* Applies "key=value\n..." onto defaults; returns what gr_broker_config_apply returns. */
static int apply_text(const char *text, gr_broker_config *c) {
    gr_properties p;
    gr_properties_init(&p);
    gr_broker_config_defaults(c);
    int rc = gr_properties_parse(&p, text) == 0 ? gr_broker_config_apply(c, &p) : -2;
    gr_properties_free(&p);
    return rc;
}

static void test_security_refusals(void) {
    gr_broker_config c;
    CHECK_EQ_INT(apply_text("listeners=PLAINTEXT://127.0.0.1:9092\n", &c), 0);
    CHECK_EQ_INT(apply_text("listeners=PLAINTEXT://127.0.0.1:9092\nsasl.enabled.mechanisms=PLAIN\n", &c), 0);
    CHECK_EQ_INT(apply_text("listeners=SASL_PLAINTEXT://127.0.0.1:9092\nsasl.enabled.mechanisms=PLAIN\n", &c),
                 -1);
    CHECK_EQ_INT(apply_text("listeners=SSL://127.0.0.1:9093\n", &c), -1);
    CHECK_EQ_INT(apply_text("listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093\n", &c), -1);
    CHECK_EQ_INT(apply_text("advertised.listeners=SSL://example:9093\n", &c), -1);
    /* A listener name maps to its protocol through listener.security.protocol.map. */
    CHECK_EQ_INT(apply_text("listeners=INTERNAL://127.0.0.1:9092\n", &c), -1);
    CHECK_EQ_INT(apply_text("listeners=INTERNAL://127.0.0.1:9092\n"
                            "listener.security.protocol.map=INTERNAL:PLAINTEXT\n",
                            &c),
                 0);
    CHECK_EQ_INT(apply_text("listeners=INTERNAL://127.0.0.1:9092\n"
                            "listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT\n",
                            &c),
                 -1);
    CHECK_EQ_INT(apply_text("security.inter.broker.protocol=SSL\n", &c), -1);
    CHECK_EQ_INT(apply_text("authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n", &c), -1);
    CHECK_EQ_INT(apply_text("authorizer.class.name=\n", &c), 0);
}

static void test_replication_keys(void) {
    gr_broker_config c;
    /* One node cannot keep three copies. */
    CHECK_EQ_INT(apply_text("default.replication.factor=3\n", &c), -1);
    CHECK_EQ_INT(apply_text("default.replication.factor=3\nzookeeper.connect=localhost:2181/gregor\n"
                            "min.insync.replicas=2\nreplica.lag.time.max.ms=5000\nbroker.rack=r1\n"
                            "zookeeper.session.timeout.ms=6000\n",
                            &c),
                 0);
    CHECK(gr_broker_config_clustered(&c));
    CHECK_EQ_INT(c.default_replication_factor, 3);
    CHECK_EQ_INT(c.min_insync_replicas, 2);
    CHECK_EQ_INT(c.replica_lag_time_max_ms, 5000);
    CHECK_EQ_INT(c.zookeeper_session_timeout_ms, 6000);
    CHECK_EQ_INT(c.zookeeper_connection_timeout_ms, 6000); /* defaults to the session timeout */
    CHECK(strcmp(c.zookeeper_connect, "localhost:2181/gregor") == 0);
    CHECK(strcmp(c.broker_rack, "r1") == 0);
    CHECK_EQ_INT(apply_text("listeners=PLAINTEXT://127.0.0.1:9092\n", &c), 0);
    CHECK(!gr_broker_config_clustered(&c));
    CHECK_EQ_INT(c.offsets_topic_replication_factor, 3);
    CHECK(c.auto_leader_rebalance_enable);
    CHECK(!c.unclean_leader_election_enable);
}

int main(void) {
    test_security_refusals();
    test_replication_keys();
    if (test_failures == 0) printf("test_broker_config: ok\n");
    return test_failures != 0;
}
