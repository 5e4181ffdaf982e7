/*
 * KafkaConsumer in a consumer group, with both rebalance protocols: the classic one (JoinGroup/
 * SyncGroup, assignment by the client's leader) and KIP-848 (group.protocol=consumer,
 * ConsumerGroupHeartbeat, assignment by the broker). Two members must split the topic, read
 * everything between them and commit; the admin client then sees the offsets and the group;
 * a later member of the same group resumes exactly at the committed offsets.
 */
package gregor.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(BrokerExtension.class)
class GroupConsumerTest {
    private static final int PARTITIONS = 4;
    private static final int RECORDS = 40;
    private static final long DEADLINE_MS = 60_000;
    private static final int COMMIT_ATTEMPTS = 20;
    private static final long T = Clients.CALL_TIMEOUT_MS;

    private final Broker broker;

    GroupConsumerTest(Broker broker) {
        this.broker = broker;
    }

    private KafkaConsumer<String, String> member(String group, String protocol) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (protocol.equals("classic")) {
            // Session and heartbeat are the broker's business under KIP-848.
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        }
        return new KafkaConsumer<>(p);
    }

    private void produce(String topic, int from, int count) throws Exception {
        try (KafkaProducer<String, String> producer = Clients.producer(broker)) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % PARTITIONS, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    /** Polls in its own thread (a KafkaConsumer belongs to one thread), committing after each poll;
     *  a commit refused by a rebalance is normal and simply tried again later. */
    private static final class Runner implements Runnable {
        final KafkaConsumer<String, String> consumer;
        final Set<String> seen;
        final AtomicBoolean stop;
        volatile Set<Integer> assignment = Set.of();
        volatile Throwable failure;

        Runner(KafkaConsumer<String, String> consumer, Set<String> seen, AtomicBoolean stop) {
            this.consumer = consumer;
            this.seen = seen;
            this.stop = stop;
        }

        /** Commits what was consumed; false if a rebalance refused it (normal, retried later). */
        private boolean commit() {
            try {
                consumer.commitSync(Duration.ofMillis(T));
                return true;
            } catch (RebalanceInProgressException | CommitFailedException | RetriableCommitFailedException e) {
                return false;
            }
        }

        @Override
        public void run() {
            try {
                long deadline = System.currentTimeMillis() + DEADLINE_MS;
                while (!stop.get() && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        seen.add(r.partition() + ":" + r.offset());
                    }
                    Set<Integer> now = new TreeSet<>();
                    for (TopicPartition tp : consumer.assignment()) {
                        now.add(tp.partition());
                    }
                    assignment = now;
                    commit();
                }
                // What was read last is committed before leaving (a rebalance may refuse a try).
                for (int i = 0; i < COMMIT_ATTEMPTS && !commit(); i++) {
                    consumer.poll(Duration.ofMillis(100));
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                consumer.close(Duration.ofMillis(T));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void twoMembersSplitCommitAndAnotherResumes(String protocol) throws Exception {
        String topic = Clients.uniqueTopic("group-" + protocol);
        String group = Clients.uniqueTopic("g-" + protocol);
        try (Admin admin = Clients.admin(broker)) {
            Clients.createTopic(admin, topic, PARTITIONS, Map.of());
            produce(topic, 0, RECORDS);

            Set<String> seen = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            List<Runner> runners = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                KafkaConsumer<String, String> c = member(group, protocol);
                c.subscribe(List.of(topic));
                Runner r = new Runner(c, seen, stop);
                runners.add(r);
                Thread t = new Thread(r, "member-" + i);
                threads.add(t);
                t.start();
            }
            long deadline = System.currentTimeMillis() + DEADLINE_MS;
            boolean split = false;
            while (System.currentTimeMillis() < deadline && !(split && seen.size() == RECORDS)
                    && runners.stream().allMatch(r -> r.failure == null)) {
                Set<Integer> a = runners.get(0).assignment, b = runners.get(1).assignment;
                Set<Integer> union = new HashSet<>(a);
                union.addAll(b);
                split = split || (!a.isEmpty() && !b.isEmpty() && union.size() == PARTITIONS
                        && a.size() + b.size() == PARTITIONS);
                Thread.sleep(50);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(DEADLINE_MS);
            }
            for (Runner r : runners) {
                if (r.failure != null) {
                    throw new AssertionError("member failed", r.failure);
                }
            }
            assertTrue(split, "the two members never split the partitions between them");
            assertEquals(RECORDS, seen.size());

            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(T, TimeUnit.MILLISECONDS);
            long total = committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
            assertEquals(RECORDS, total);
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all()
                    .get(T, TimeUnit.MILLISECONDS).get(group);
            assertEquals(GroupState.EMPTY, d.groupState());
            assertTrue(admin.listGroups().all().get(T, TimeUnit.MILLISECONDS).stream()
                    .anyMatch(g -> g.groupId().equals(group)));

            // A new member starts at the committed offsets: only records produced later arrive.
            produce(topic, RECORDS, 8);
            try (KafkaConsumer<String, String> c = member(group, protocol)) {
                c.subscribe(List.of(topic));
                Set<String> values = new HashSet<>();
                long until = System.currentTimeMillis() + DEADLINE_MS;
                while (values.size() < 8 && System.currentTimeMillis() < until) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        values.add(r.value());
                    }
                }
                Set<String> want = new HashSet<>();
                for (int i = RECORDS; i < RECORDS + 8; i++) {
                    want.add("v" + i);
                }
                assertEquals(want, values);
            }
        }
    }
}
