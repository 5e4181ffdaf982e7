/*
 * AdminClient against the broker: topic creation with partition counts and configs, the describe
 * calls a tool or operator uses (describeTopics, describeCluster, describeConfigs, listTopics),
 * the errors a caller relies on, and deletion.
 */
package gregor.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(BrokerExtension.class)
class AdminClientTest {
    private static final long T = Clients.CALL_TIMEOUT_MS;
    private static final long DELETE_VISIBLE_DEADLINE_MS = 30_000;
    private static final long POLL_INTERVAL_MS = 100;

    private final Broker broker;

    AdminClientTest(Broker broker) {
        this.broker = broker;
    }

    @Test
    void createDescribeAndDeleteTopics() throws Exception {
        String three = Clients.uniqueTopic("admin-three");
        String one = Clients.uniqueTopic("admin-one");
        try (Admin admin = Clients.admin(broker)) {
            admin.createTopics(List.of(
                    new NewTopic(three, 3, (short) 1).configs(Map.of(
                            "retention.ms", "3600000",
                            "max.message.bytes", "200000")),
                    new NewTopic(one, 1, (short) 1)))
                    .all().get(T, TimeUnit.MILLISECONDS);

            Set<String> names = admin.listTopics().names().get(T, TimeUnit.MILLISECONDS);
            assertTrue(names.containsAll(List.of(three, one)), "listTopics: " + names);

            Map<String, TopicDescription> d = admin.describeTopics(List.of(three, one))
                    .allTopicNames().get(T, TimeUnit.MILLISECONDS);
            assertPartitions(d.get(three), three, 3);
            assertPartitions(d.get(one), one, 1);
            assertFalse(d.get(three).isInternal());
            assertNotNull(d.get(three).topicId());

            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, three);
            Config cfg = admin.describeConfigs(List.of(res)).all().get(T, TimeUnit.MILLISECONDS).get(res);
            assertNotNull(cfg, "describeConfigs returned no entry for " + three);
            assertOverride(cfg, "retention.ms", "3600000");
            assertOverride(cfg, "max.message.bytes", "200000");
            // A config the topic did not set reports the broker's value, not a topic override.
            ConfigEntry cleanup = cfg.get("cleanup.policy");
            assertNotNull(cleanup, "cleanup.policy missing from describeConfigs");
            assertEquals("delete", cleanup.value());
            assertTrue(cleanup.source() != ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
                    "cleanup.policy source: " + cleanup.source());

            admin.deleteTopics(List.of(three, one)).all().get(T, TimeUnit.MILLISECONDS);
            awaitGone(admin, Set.of(three, one));
            ExecutionException gone = assertThrows(ExecutionException.class,
                    () -> admin.describeTopics(List.of(three)).allTopicNames().get(T, TimeUnit.MILLISECONDS));
            assertInstanceOf(UnknownTopicOrPartitionException.class, gone.getCause());
        }
    }

    @Test
    void describeCluster() throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            DescribeClusterResult c = admin.describeCluster();
            Collection<Node> nodes = c.nodes().get(T, TimeUnit.MILLISECONDS);
            assertFalse(nodes.isEmpty(), "no nodes");
            String id = c.clusterId().get(T, TimeUnit.MILLISECONDS);
            assertNotNull(id, "cluster id");
            assertFalse(id.isEmpty(), "cluster id");
            Node controller = c.controller().get(T, TimeUnit.MILLISECONDS);
            assertNotNull(controller, "controller");
            Set<Integer> ids = nodes.stream().map(Node::id).collect(Collectors.toSet());
            for (Node n : nodes) {
                assertTrue(n.port() > 0 && !n.host().isEmpty(), "node " + n);
            }
            // Broker configs are described per node id; every broker reports its own id.
            int first = nodes.iterator().next().id();
            ConfigResource res = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(first));
            Config cfg = admin.describeConfigs(List.of(res)).all().get(T, TimeUnit.MILLISECONDS).get(res);
            assertNotNull(cfg, "no broker config for node " + first + "; ids " + ids);
            assertNotNull(cfg.get("num.partitions"), "num.partitions missing from broker configs");
        }
    }

    @Test
    void creatingAnExistingTopicFails() throws Exception {
        String name = Clients.uniqueTopic("admin-dup");
        try (Admin admin = Clients.admin(broker)) {
            Clients.createTopic(admin, name, 2, Map.of());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> Clients.createTopic(admin, name, 2, Map.of()));
            assertInstanceOf(TopicExistsException.class, e.getCause());
            admin.deleteTopics(List.of(name)).all().get(T, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void describingAnUnknownTopicFails() throws Exception {
        try (Admin admin = Clients.admin(broker)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> admin.describeTopics(List.of(Clients.uniqueTopic("admin-missing")))
                            .allTopicNames().get(T, TimeUnit.MILLISECONDS));
            assertInstanceOf(UnknownTopicOrPartitionException.class, e.getCause());
        }
    }

    private static void assertPartitions(TopicDescription d, String name, int count) {
        assertNotNull(d, "no description for " + name);
        assertEquals(name, d.name());
        List<TopicPartitionInfo> ps = d.partitions();
        assertEquals(count, ps.size(), "partitions of " + name);
        for (int i = 0; i < count; i++) {
            TopicPartitionInfo p = ps.get(i);
            assertEquals(i, p.partition());
            assertNotNull(p.leader(), "leader of " + name + "-" + i);
            assertEquals(1, p.replicas().size(), "replicas of " + name + "-" + i);
            assertEquals(1, p.isr().size(), "isr of " + name + "-" + i);
        }
    }

    private static void assertOverride(Config cfg, String key, String value) {
        ConfigEntry e = cfg.get(key);
        assertNotNull(e, key + " missing from describeConfigs");
        assertEquals(value, e.value(), key);
        assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, e.source(), key + " source");
    }

    /* Deletion may complete asynchronously; wait (bounded) until listTopics no longer shows it. */
    private static void awaitGone(Admin admin, Set<String> topics) throws Exception {
        long deadline = System.currentTimeMillis() + DELETE_VISIBLE_DEADLINE_MS;
        Set<String> names = admin.listTopics().names().get(T, TimeUnit.MILLISECONDS);
        while (names.stream().anyMatch(topics::contains) && System.currentTimeMillis() < deadline) {
            Thread.sleep(POLL_INTERVAL_MS);
            names = admin.listTopics().names().get(T, TimeUnit.MILLISECONDS);
        }
        for (String t : topics) {
            assertFalse(names.contains(t), t + " still listed after delete");
        }
    }
}
