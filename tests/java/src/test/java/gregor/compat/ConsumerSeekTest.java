/*
 * KafkaConsumer with assign() and the seek family (seekToBeginning, seek to an offset,
 * offsetsForTimes, beginning/end offsets): what comes back must be exactly what was produced,
 * field by field, headers included (order, duplicates, null values). Runs once per compression
 * codec, because the broker stores compressed batches as they came and must hand them back intact.
 */
package gregor.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(BrokerExtension.class)
class ConsumerSeekTest {
    private static final int PARTITIONS = 2;
    private static final int RECORDS_PER_PARTITION = 1_500;
    private static final long TIMESTAMP_STEP_MS = 10;
    private static final long T = Clients.CALL_TIMEOUT_MS;

    private final Broker broker;

    ConsumerSeekTest(Broker broker) {
        this.broker = broker;
    }

    /** What one record was sent with; the consumer must return exactly this. */
    private record Sent(int partition, String key, byte[] value, long timestamp, List<Header> headers) {
    }

    private static Sent recordFor(int partition, int i, long baseTimestamp) {
        String key = i % 7 == 3 ? null : "k-" + partition + "-" + i;
        byte[] value;
        if (i % 11 == 5) {
            value = null; // tombstone
        } else if (i % 13 == 6) {
            value = new byte[0];
        } else {
            value = ("v-" + partition + "-" + i + "-" + "x".repeat(i % 300)).getBytes(StandardCharsets.UTF_8);
        }
        List<Header> headers = new ArrayList<>();
        headers.add(new RecordHeader("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
        if (i % 3 == 0) {
            headers.add(new RecordHeader("trace", null));
        }
        if (i % 5 == 0) { // repeated key: order and duplicates must survive
            headers.add(new RecordHeader("seq", new byte[] {0, (byte) 0xff, 7}));
        }
        return new Sent(partition, key, value, baseTimestamp + i * TIMESTAMP_STEP_MS, headers);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void readsExactlyWhatWasProduced(String compression) throws Exception {
        String topic = Clients.uniqueTopic("consumer-" + compression);
        try (Admin admin = Clients.admin(broker)) {
            Clients.createTopic(admin, topic, PARTITIONS, Map.of());
        }
        // Timestamps an hour in the past on a whole second, distinct and increasing per partition.
        long base = (System.currentTimeMillis() - 3_600_000L) / 1000 * 1000;
        List<List<Sent>> sent = new ArrayList<>();
        Properties extra = new Properties();
        extra.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        try (KafkaProducer<String, byte[]> producer = bytesProducer(extra)) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                List<Sent> list = new ArrayList<>();
                for (int i = 0; i < RECORDS_PER_PARTITION; i++) {
                    Sent s = recordFor(p, i, base);
                    list.add(s);
                    futures.add(producer.send(new ProducerRecord<>(topic, p, s.timestamp(), s.key(), s.value(), s.headers())));
                }
                sent.add(list);
            }
            producer.flush();
            for (Future<RecordMetadata> f : futures) {
                f.get(T, TimeUnit.MILLISECONDS);
            }
        }

        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        try (KafkaConsumer<String, byte[]> consumer = Clients.consumer(broker)) {
            Map<TopicPartition, Long> begins = consumer.beginningOffsets(tps);
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
            for (TopicPartition tp : tps) {
                assertEquals(0L, begins.get(tp), "beginning offset of " + tp);
                assertEquals((long) RECORDS_PER_PARTITION, ends.get(tp), "end offset of " + tp);
            }
            consumer.assign(tps);

            // 1. Everything from the beginning.
            consumer.seekToBeginning(tps);
            List<ConsumerRecord<String, byte[]>> all = Reading.readUntil(consumer, ends);
            assertEquals(PARTITIONS * RECORDS_PER_PARTITION, all.size());
            int[] next = new int[PARTITIONS];
            for (ConsumerRecord<String, byte[]> r : all) {
                int i = next[r.partition()]++;
                assertRecord(sent.get(r.partition()).get(i), i, r);
            }

            // 2. seek() to an offset in the middle: reading resumes exactly there.
            int from = RECORDS_PER_PARTITION / 2 + 17;
            for (TopicPartition tp : tps) {
                consumer.seek(tp, from);
            }
            List<ConsumerRecord<String, byte[]>> tail = Reading.readUntil(consumer, ends);
            assertEquals(PARTITIONS * (RECORDS_PER_PARTITION - from), tail.size());
            int[] nextTail = {from, from};
            for (ConsumerRecord<String, byte[]> r : tail) {
                int i = nextTail[r.partition()]++;
                assertRecord(sent.get(r.partition()).get(i), i, r);
            }

            // 3. offsetsForTimes: the first offset whose timestamp is >= the query.
            int k = 321;
            TopicPartition tp0 = tps.get(0);
            OffsetAndTimestamp exact = consumer.offsetsForTimes(Map.of(tp0, base + k * TIMESTAMP_STEP_MS)).get(tp0);
            assertNotNull(exact, "offsetsForTimes(exact timestamp)");
            assertEquals(k, exact.offset());
            assertEquals(base + k * TIMESTAMP_STEP_MS, exact.timestamp());
            OffsetAndTimestamp between = consumer.offsetsForTimes(
                    Map.of(tp0, base + k * TIMESTAMP_STEP_MS - TIMESTAMP_STEP_MS / 2)).get(tp0);
            assertNotNull(between, "offsetsForTimes(between two records)");
            assertEquals(k, between.offset());
            OffsetAndTimestamp before = consumer.offsetsForTimes(Map.of(tp0, base - 60_000L)).get(tp0);
            assertNotNull(before, "offsetsForTimes(before the first record)");
            assertEquals(0L, before.offset());
            long afterLast = base + RECORDS_PER_PARTITION * TIMESTAMP_STEP_MS + 60_000L;
            assertNull(consumer.offsetsForTimes(Map.of(tp0, afterLast)).get(tp0),
                    "offsetsForTimes(after the last record) must find nothing");

            // 4. Seeking to the offset offsetsForTimes gave returns that record first.
            consumer.seek(tp0, exact.offset());
            consumer.pause(List.of(tps.get(1)));
            List<ConsumerRecord<String, byte[]>> fromTime = Reading.readUntil(consumer,
                    Map.of(tp0, (long) k + 1));
            assertFalse(fromTime.isEmpty());
            assertRecord(sent.get(0).get(k), k, fromTime.get(0));
        }
    }

    private KafkaProducer<String, byte[]> bytesProducer(Properties extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(extra);
        return new KafkaProducer<>(p);
    }

    private static void assertRecord(Sent want, long offset, ConsumerRecord<String, byte[]> got) {
        String where = got.topic() + "-" + got.partition() + "@" + got.offset();
        assertEquals(want.partition(), got.partition(), where);
        assertEquals(offset, got.offset(), where);
        assertEquals(want.key(), got.key(), where + " key");
        assertArrayEquals(want.value(), got.value(), where + " value");
        assertEquals(want.timestamp(), got.timestamp(), where + " timestamp");
        assertEquals(TimestampType.CREATE_TIME, got.timestampType(), where + " timestamp type");
        Header[] headers = got.headers().toArray();
        assertEquals(want.headers().size(), headers.length, where + " header count");
        for (int h = 0; h < headers.length; h++) {
            assertEquals(want.headers().get(h).key(), headers[h].key(), where + " header " + h + " key");
            assertArrayEquals(want.headers().get(h).value(), headers[h].value(), where + " header " + h + " value");
        }
    }
}
