/*
 * Bounded reading with a consumer that uses assign(): poll until every partition's position has
 * reached the given end offset, or fail at a deadline instead of hanging.
 */
package gregor.compat;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

final class Reading {
    private static final long READ_DEADLINE_MS = 60_000;
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);

    private Reading() {
    }

    static <K, V> List<ConsumerRecord<K, V>> readUntil(KafkaConsumer<K, V> consumer,
            Map<TopicPartition, Long> endOffsets) {
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + READ_DEADLINE_MS;
        while (!reached(consumer, endOffsets)) {
            if (System.currentTimeMillis() > deadline) {
                fail("read " + out.size() + " records; positions did not reach " + endOffsets);
            }
            for (ConsumerRecord<K, V> r : consumer.poll(POLL_TIMEOUT)) {
                out.add(r);
            }
        }
        return out;
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> endOffsets) {
        for (Map.Entry<TopicPartition, Long> e : endOffsets.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
