/*
 * KafkaProducer with the client's defaults (since Kafka 3.0: acks=all, enable.idempotence=true,
 * so every batch carries a producer id and sequence numbers the broker must check). Every record
 * must be acknowledged, and per partition the offsets must follow the order of send().
 */
package gregor.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(BrokerExtension.class)
class ProducerTest {
    private static final int RECORD_COUNT = 20_000;
    private static final int PARTITIONS = 4;
    private static final int KEY_COUNT = 97;

    private final Broker broker;

    ProducerTest(Broker broker) {
        this.broker = broker;
    }

    @Test
    void keyedRecordsAreAcknowledgedWithIncreasingOffsets() throws Exception {
        String topic = Clients.uniqueTopic("producer-keyed");
        try (Admin admin = Clients.admin(broker)) {
            Clients.createTopic(admin, topic, PARTITIONS, Map.of());
        }
        List<Future<RecordMetadata>> futures = new ArrayList<>(RECORD_COUNT);
        List<String> keys = new ArrayList<>(RECORD_COUNT);
        try (KafkaProducer<String, String> producer = Clients.producer(broker)) {
            for (int i = 0; i < RECORD_COUNT; i++) {
                String key = "key-" + (i % KEY_COUNT);
                keys.add(key);
                futures.add(producer.send(new ProducerRecord<>(topic, key, "value-" + i)));
            }
            producer.flush();
        }

        Map<Integer, Long> nextOffset = new HashMap<>();
        Map<String, Integer> partitionOfKey = new HashMap<>();
        for (int i = 0; i < RECORD_COUNT; i++) {
            RecordMetadata md = futures.get(i).get(Clients.CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            assertEquals(topic, md.topic());
            assertTrue(md.partition() >= 0 && md.partition() < PARTITIONS, "partition " + md.partition());
            assertTrue(md.hasOffset(), "record " + i + " has no offset");
            // A fresh topic and no failures: each partition's offsets are 0, 1, 2... in send order.
            long expected = nextOffset.getOrDefault(md.partition(), 0L);
            assertEquals(expected, md.offset(), "offset of record " + i + " in partition " + md.partition());
            nextOffset.put(md.partition(), expected + 1);
            // The default partitioner hashes the key: one key, one partition.
            Integer seen = partitionOfKey.putIfAbsent(keys.get(i), md.partition());
            assertTrue(seen == null || seen == md.partition(), "key " + keys.get(i) + " moved partitions");
        }
        assertEquals(RECORD_COUNT, nextOffset.values().stream().mapToLong(Long::longValue).sum());
        assertTrue(nextOffset.size() > 1, "all keys landed in one partition: " + nextOffset);

        // The log end offsets agree with the acknowledgements, and the records read back in order.
        try (KafkaConsumer<String, byte[]> consumer = Clients.consumer(broker)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
            for (TopicPartition tp : tps) {
                assertEquals(nextOffset.getOrDefault(tp.partition(), 0L), ends.get(tp), "end offset of " + tp);
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            List<ConsumerRecord<String, byte[]>> got = Reading.readUntil(consumer, ends);
            assertEquals(RECORD_COUNT, got.size());
            Map<Integer, Integer> lastValue = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : got) {
                assertNotNull(r.key());
                int v = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring("value-".length()));
                assertEquals("key-" + (v % KEY_COUNT), r.key());
                Integer before = lastValue.put(r.partition(), v);
                assertTrue(before == null || before < v, "partition " + r.partition() + " out of order");
            }
        }
    }
}
