/*
 * Compatibility scenarios with the Apache Kafka Java client (kafka-clients from the same release
 * as the reference broker; compiled and run against scripts/apache-kafka's jars, so no separate
 * Maven project is needed). Same contract as tests/compat/drivers/common.py: first line
 * {"version": ...}, then one JSON line per scenario with its observable results.
 */

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.AppInfoParser;

public class CompatDriver {
    static final long T_MS = 15000;
    static final ObjectMapper JSON = new ObjectMapper();

    interface Scenario {
        Object run(Ctx c) throws Exception;
    }

    static final class Ctx {
        String bootstrap, prefix, topic;
        JsonNode data;
    }

    static final class Skip extends RuntimeException {
        Skip(String why) { super(why); }
    }

    // ---- helpers ------------------------------------------------------------------------------

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static Throwable unwrap(Throwable e) {
        while ((e instanceof ExecutionException || e.getClass().getName().endsWith("KafkaException"))
                && e.getCause() != null && e.getCause() != e)
            e = e.getCause();
        return e;
    }

    /** Kafka error name (e.g. TOPIC_ALREADY_EXISTS) of a client exception, or its class name. */
    static String errName(Throwable e) {
        e = unwrap(e);
        if (e instanceof ApiException) {
            Errors err = Errors.forException(e);
            if (err != Errors.UNKNOWN_SERVER_ERROR) return err.name();
        }
        return e.getClass().getSimpleName();
    }

    static String futureError(Future<?> f) {
        try {
            f.get(T_MS, TimeUnit.MILLISECONDS);
            return "NONE";
        } catch (Exception e) {
            return errName(e);
        }
    }

    static byte[] bytes(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText().getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static Properties props(Ctx c, Object... kv) {
        Properties p = new Properties();
        p.put("bootstrap.servers", c.bootstrap);
        for (int i = 0; i < kv.length; i += 2) p.put((String) kv[i], String.valueOf(kv[i + 1]));
        return p;
    }

    static KafkaProducer<byte[], byte[]> producer(Ctx c, Object... kv) {
        Properties p = props(c, ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15000, ProducerConfig.MAX_BLOCK_MS_CONFIG, 10000);
        for (int i = 0; i < kv.length; i += 2) p.put((String) kv[i], String.valueOf(kv[i + 1]));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static KafkaConsumer<byte[], byte[]> consumer(Ctx c, Object... kv) {
        Properties p = props(c, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, T_MS);
        for (int i = 0; i < kv.length; i += 2) p.put((String) kv[i], String.valueOf(kv[i + 1]));
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static Admin admin(Ctx c) {
        return Admin.create(props(c, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, T_MS));
    }

    /** One scenario record as a ProducerRecord (headers, timestamp, key, value from the data file). */
    static ProducerRecord<byte[], byte[]> rec(String topic, int partition, JsonNode r) {
        List<Header> headers = new ArrayList<>();
        JsonNode hs = r.get("headers");
        if (hs != null)
            for (JsonNode h : hs) headers.add(new RecordHeader(h.get(0).asText(), bytes(h.get(1))));
        return new ProducerRecord<>(topic, partition, r.get("ts").asLong(), bytes(r.get("key")), bytes(r.get("value")),
                headers);
    }

    static List<Object> produce(Ctx c, List<JsonNode> recs, int partition, Object... kv) throws Exception {
        List<Object> out = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = producer(c, kv)) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (JsonNode r : recs) fs.add(p.send(rec(c.topic, partition, r)));
            p.flush();
            for (Future<RecordMetadata> f : fs) {
                try {
                    RecordMetadata md = f.get(T_MS, TimeUnit.MILLISECONDS);
                    out.add(List.of(md.partition(), md.offset()));
                } catch (ExecutionException e) {
                    out.add(errName(e));
                }
            }
        }
        return out;
    }

    static Map<String, Object> record(ConsumerRecord<byte[], byte[]> r) {
        List<Object> hs = new ArrayList<>();
        for (Header h : r.headers()) hs.add(java.util.Arrays.asList(h.key(), text(h.value())));
        return map("p", r.partition(), "o", r.offset(), "k", text(r.key()), "v", text(r.value()), "h", hs, "ts",
                r.timestamp(), "tt", r.timestampType() == TimestampType.CREATE_TIME ? "create"
                        : r.timestampType() == TimestampType.LOG_APPEND_TIME ? "append" : null);
    }

    static List<Object> consume(Ctx c, int count, long offset, long waitMs, Object... kv) {
        List<Object> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> cons = consumer(c, kv)) {
            TopicPartition tp = new TopicPartition(c.topic, 0);
            cons.assign(List.of(tp));
            cons.seek(tp, offset);
            long end = System.currentTimeMillis() + waitMs;
            while (out.size() < count && System.currentTimeMillis() < end) {
                try {
                    for (ConsumerRecord<byte[], byte[]> r : cons.poll(Duration.ofMillis(200))) out.add(record(r));
                } catch (Exception e) {
                    out.add(map("error", errName(e)));
                    break;
                }
            }
        }
        return out;
    }

    static List<JsonNode> list(JsonNode arr) {
        List<JsonNode> out = new ArrayList<>();
        arr.forEach(out::add);
        return out;
    }

    /** Records built by rule, the same rules as drivers/common.py. */
    static List<JsonNode> generated(Ctx c, String kind) {
        JsonNode d = c.data.get(kind);
        List<JsonNode> out = new ArrayList<>();
        int n = d.has("count") ? d.get("count").asInt() : d.has("ts_deltas") ? d.get("ts_deltas").size() : 0;
        for (int i = 0; i < n; i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            switch (kind) {
                case "compression" -> {
                    String filler = d.get("filler").asText().repeat(d.get("filler_repeat").asInt());
                    r.put("key", d.get("key_prefix").asText() + i);
                    r.put("value", d.get("value_prefix").asText() + i + "-" + filler);
                    r.put("ts", d.get("ts").asLong());
                }
                case "idempotent" -> {
                    r.put("key", d.get("key_prefix").asText() + i);
                    r.put("value", d.get("value_prefix").asText() + i);
                    r.put("ts", d.get("ts").asLong() + i);
                }
                case "list_offsets" -> {
                    long delta = d.get("ts_deltas").get(i).asLong();
                    r.put("key", "t" + i);
                    r.put("value", "at +" + delta + " ms");
                    r.put("ts", d.get("ts").asLong() + delta);
                }
                case "transactions" -> {
                    r.put("key", "tx" + i);
                    r.put("value", "txn-" + i);
                    r.put("ts", d.get("ts").asLong() + i);
                }
                case "out_of_range" -> {
                    r.put("key", "r" + i);
                    r.put("value", "r-" + i);
                    r.put("ts", d.get("ts").asLong() + i);
                }
                default -> throw new IllegalArgumentException(kind);
            }
            out.add(JSON.valueToTree(r));
        }
        return out;
    }

    static List<JsonNode> groupRecords(Ctx c, int partition) {
        JsonNode d = c.data.get("group");
        List<JsonNode> out = new ArrayList<>();
        for (int j = 0; j < d.get("per_partition").asInt(); j++)
            out.add(JSON.valueToTree(map("key", "g-" + partition + "-" + j, "value", "group " + partition + " " + j,
                    "ts", d.get("ts").asLong() + partition * 10L + j)));
        return out;
    }

    // ---- scenarios ----------------------------------------------------------------------------

    static Object roundtrip(Ctx c, List<JsonNode> recs, Object... kv) throws Exception {
        List<Object> produced = produce(c, recs, 0, kv);
        return map("produced", produced, "consumed", consume(c, recs.size(), 0, T_MS));
    }

    static Object listOffsets(Ctx c) throws Exception {
        JsonNode d = c.data.get("list_offsets");
        produce(c, generated(c, "list_offsets"), 0);
        TopicPartition tp = new TopicPartition(c.topic, 0);
        Map<String, Object> out = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> cons = consumer(c)) {
            out.put("earliest", cons.beginningOffsets(List.of(tp)).get(tp));
            out.put("latest", cons.endOffsets(List.of(tp)).get(tp));
            OffsetAndTimestamp bt = cons.offsetsForTimes(Map.of(tp, d.get("query_ts").asLong())).get(tp);
            out.put("by_time", bt == null ? null : List.of(bt.offset(), bt.timestamp()));
            Map<TopicPartition, OffsetAndTimestamp> after = cons.offsetsForTimes(Map.of(tp, d.get("future_ts").asLong()));
            out.put("after_last", after.get(tp) == null ? null : List.of(after.get(tp).offset(), after.get(tp).timestamp()));
        }
        try (Admin a = admin(c)) {
            Map<String, OffsetSpec> specs = new LinkedHashMap<>();
            specs.put("earliest", OffsetSpec.earliest());
            specs.put("latest", OffsetSpec.latest());
            specs.put("max_timestamp", OffsetSpec.maxTimestamp());
            specs.put("by_time", OffsetSpec.forTimestamp(d.get("query_ts").asLong()));
            Map<String, Object> adm = new LinkedHashMap<>();
            for (Map.Entry<String, OffsetSpec> e : specs.entrySet()) {
                try {
                    ListOffsetsResult.ListOffsetsResultInfo info =
                            a.listOffsets(Map.of(tp, e.getValue())).partitionResult(tp).get(T_MS, TimeUnit.MILLISECONDS);
                    adm.put(e.getKey(), map("offset", info.offset(), "ts", info.timestamp()));
                } catch (Exception ex) {
                    adm.put(e.getKey(), errName(ex));
                }
            }
            out.put("admin", adm);
        }
        return out;
    }

    static Object describeTopic(Admin a, String t) {
        try {
            TopicDescription d = a.describeTopics(List.of(t)).allTopicNames().get(T_MS, TimeUnit.MILLISECONDS).get(t);
            List<Object> parts = new ArrayList<>();
            for (TopicPartitionInfo p : d.partitions()) {
                parts.add(map("id", p.partition(), "leader", p.leader() == null ? -1 : p.leader().id(), "replicas",
                        p.replicas().stream().map(Node::id).toList(), "isr", p.isr().stream().map(Node::id).toList()));
            }
            return map("partitions", parts, "internal", d.isInternal());
        } catch (Exception e) {
            return errName(e);
        }
    }

    static boolean waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.currentTimeMillis() + T_MS;
        while (System.currentTimeMillis() < end) {
            if (cond.getAsBoolean()) return true;
            Thread.sleep(200);
        }
        return cond.getAsBoolean();
    }

    static int partitionCount(Admin a, String t) {
        Object d = describeTopic(a, t);
        return d instanceof Map<?, ?> m ? ((List<?>) m.get("partitions")).size() : -1;
    }

    static Set<String> topicNames(Admin a) {
        try {
            return a.listTopics().names().get(T_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return Set.of();
        }
    }

    static Object adminTopics(Ctx c) throws Exception {
        JsonNode d = c.data.get("admin");
        String t = c.topic;
        Map<String, String> cfg = new HashMap<>();
        d.get("configs").fields().forEachRemaining(e -> cfg.put(e.getKey(), e.getValue().asText()));
        Map<String, Object> out = new LinkedHashMap<>();
        try (Admin a = admin(c)) {
            int parts = d.get("partitions").asInt(), more = d.get("new_partitions").asInt();
            out.put("create", futureError(a.createTopics(List.of(new NewTopic(t, parts, (short) 1).configs(cfg))).all()));
            waitFor(() -> partitionCount(a, t) == parts);
            out.put("create_again", futureError(a.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all()));
            out.put("describe", describeTopic(a, t));
            out.put("create_partitions", futureError(a.createPartitions(Map.of(t, NewPartitions.increaseTo(more))).all()));
            waitFor(() -> partitionCount(a, t) == more);
            out.put("describe_after", describeTopic(a, t));
            out.put("shrink_partitions", futureError(a.createPartitions(Map.of(t, NewPartitions.increaseTo(2))).all()));
            out.put("listed", topicNames(a).contains(t));
            out.put("delete", futureError(a.deleteTopics(List.of(t)).all()));
            out.put("gone_from_list", waitFor(() -> !topicNames(a).contains(t)));
            out.put("describe_deleted", describeTopic(a, t));
            out.put("delete_again", futureError(a.deleteTopics(List.of(t)).all()));
            Collection<Node> nodes = a.describeCluster().nodes().get(T_MS, TimeUnit.MILLISECONDS);
            out.put("brokers", nodes.size());
        }
        return out;
    }

    static Config topicConfig(Admin a, String t) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, t);
        return a.describeConfigs(List.of(res)).all().get(T_MS, TimeUnit.MILLISECONDS).get(res);
    }

    static Object describeConfigs(Ctx c) throws Exception {
        try (Admin a = admin(c)) {
            Config cfg = topicConfig(a, c.topic);
            Map<String, Object> overrides = new TreeMap<>(), defaults = new TreeMap<>();
            List<String> names = new ArrayList<>();
            for (ConfigEntry e : cfg.entries()) {
                names.add(e.name());
                if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG) overrides.put(e.name(), e.value());
            }
            for (JsonNode n : c.data.get("described_defaults")) {
                ConfigEntry e = cfg.get(n.asText());
                if (e != null) defaults.put(e.name(), map("value", e.value(), "source", e.source().name(),
                        "read_only", e.isReadOnly(), "sensitive", e.isSensitive()));
            }
            names.sort(null);
            return map("overrides", overrides, "defaults", defaults, "names", names);
        }
    }

    static Object alterConfigs(Ctx c) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, c.topic);
        Map<String, Object> out = new LinkedHashMap<>();
        try (Admin a = admin(c)) {
            List<AlterConfigOp> ops = new ArrayList<>();
            c.data.get("alter_configs").fields().forEachRemaining(e -> ops.add(
                    new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue().asText()), AlterConfigOp.OpType.SET)));
            out.put("alter", futureError(a.incrementalAlterConfigs(Map.of(res, ops)).all()));
            Config cfg0 = topicConfig(a, c.topic);
            for (long end = System.currentTimeMillis() + T_MS; System.currentTimeMillis() < end; ) {
                // Kafka applies a config change asynchronously: describe until it shows.
                boolean all = true;
                for (var it = c.data.get("alter_configs").fields(); it.hasNext(); ) {
                    var e = it.next();
                    ConfigEntry ce = cfg0.get(e.getKey());
                    all &= ce != null && e.getValue().asText().equals(ce.value());
                }
                if (all) break;
                Thread.sleep(200);
                cfg0 = topicConfig(a, c.topic);
            }
            Config cfg = cfg0;
            Map<String, Object> after = new TreeMap<>();
            c.data.get("alter_configs").fieldNames().forEachRemaining(k -> {
                ConfigEntry e = cfg.get(k);
                after.put(k, map("value", e.value(), "source", e.source().name()));
            });
            out.put("after", after);
            out.put("alter_unknown_key", futureError(a.incrementalAlterConfigs(Map.of(res, List.of(
                    new AlterConfigOp(new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all()));
            out.put("delete_key", futureError(a.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                    new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all()));
            ConfigEntry e = topicConfig(a, c.topic).get("retention.ms");
            for (long end = System.currentTimeMillis() + T_MS;
                    e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && System.currentTimeMillis() < end; ) {
                Thread.sleep(200);
                e = topicConfig(a, c.topic).get("retention.ms");
            }
            out.put("after_delete", map("value", e.value(), "source", e.source().name()));
        }
        return out;
    }

    /** Two members on their own threads; each commits what it consumed from its own partitions. */
    static Object group(Ctx c) throws Exception {
        JsonNode d = c.data.get("group");
        int partitions = d.get("partitions").asInt(), per = d.get("per_partition").asInt(), n = d.get("members").asInt();
        for (int p = 0; p < partitions; p++) produce(c, groupRecords(c, p), p);
        String gid = c.topic + "-g";
        AtomicBoolean stop = new AtomicBoolean();
        List<Set<Integer>> assigned = new ArrayList<>();
        List<Map<Integer, Long>> progress = new ArrayList<>();
        Set<String> seen = java.util.Collections.synchronizedSet(new HashSet<>());
        List<String> commits = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Set<Integer> mine = java.util.Collections.synchronizedSet(new HashSet<>());
            Map<Integer, Long> prog = new java.util.concurrent.ConcurrentHashMap<>();
            assigned.add(mine);
            progress.add(prog);
            Thread th = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> cons = consumer(c, ConsumerConfig.GROUP_ID_CONFIG, gid,
                        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500,
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                        "org.apache.kafka.clients.consumer.RangeAssignor")) {
                    cons.subscribe(List.of(c.topic), new ConsumerRebalanceListener() {
                        public void onPartitionsRevoked(Collection<TopicPartition> tps) {
                            for (TopicPartition tp : tps) {
                                mine.remove(tp.partition());
                                prog.remove(tp.partition());
                            }
                        }

                        public void onPartitionsAssigned(Collection<TopicPartition> tps) {
                            for (TopicPartition tp : tps) mine.add(tp.partition());
                        }
                    });
                    while (!stop.get()) {
                        try {
                            ConsumerRecords<byte[], byte[]> rs = cons.poll(Duration.ofMillis(100));
                            for (ConsumerRecord<byte[], byte[]> r : rs) {
                                seen.add(r.partition() + "/" + r.offset());
                                if (mine.contains(r.partition())) prog.put(r.partition(), r.offset() + 1);
                            }
                        } catch (Exception e) {
                            errors.add(errName(e));
                            Thread.sleep(100);
                        }
                    }
                    Map<TopicPartition, OffsetAndMetadata> offs = new HashMap<>();
                    for (int p : new ArrayList<>(mine))
                        offs.put(new TopicPartition(c.topic, p), new OffsetAndMetadata(prog.getOrDefault(p, 0L)));
                    if (!offs.isEmpty()) {
                        try {
                            cons.commitSync(offs, Duration.ofMillis(T_MS));
                            commits.add("NONE");
                        } catch (Exception e) {
                            commits.add(errName(e));
                        }
                    }
                } catch (Exception e) {
                    errors.add(errName(e));
                }
            });
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        long end = System.currentTimeMillis() + 2 * T_MS, firstEnd = System.currentTimeMillis() + T_MS;
        while (System.currentTimeMillis() < end) {
            int total = 0;
            boolean all = true, done = true, anyone = false;
            for (int i = 0; i < n; i++) {
                Set<Integer> mine = new HashSet<>(assigned.get(i));
                total += mine.size();
                all &= !mine.isEmpty();
                anyone |= !mine.isEmpty();
                for (int p : mine) done &= progress.get(i).getOrDefault(p, 0L) == per;
            }
            if (all && done && total == partitions) break;
            if (!anyone && System.currentTimeMillis() > firstEnd) break;
            Thread.sleep(100);
        }
        List<Integer> counts = new ArrayList<>();
        for (Set<Integer> a : assigned) counts.add(a.size());
        counts.sort(null);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("assignment_counts", counts);
        out.put("consumed_distinct", seen.size());
        out.put("poll_errors", new ArrayList<>(new java.util.TreeSet<>(errors)));
        stop.set(true);
        for (Thread th : threads) th.join(T_MS);
        List<String> cs = new ArrayList<>(commits);
        cs.sort(null);
        out.put("commits", cs);
        try (KafkaConsumer<byte[], byte[]> check = consumer(c, ConsumerConfig.GROUP_ID_CONFIG, gid)) {
            Set<TopicPartition> tps = new HashSet<>();
            for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(c.topic, p));
            Map<String, Object> committed = new TreeMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : check.committed(tps, Duration.ofMillis(T_MS)).entrySet())
                committed.put(String.valueOf(e.getKey().partition()), e.getValue() == null ? null : e.getValue().offset());
            out.put("committed", committed);
        } catch (Exception e) {
            out.put("committed", errName(e));
        }
        return out;
    }

    static Object groupState(Admin a, String gid) {
        try {
            ConsumerGroupDescription d = a.describeConsumerGroups(List.of(gid)).describedGroups().get(gid)
                    .get(T_MS, TimeUnit.MILLISECONDS);
            List<Integer> members = new ArrayList<>();
            for (MemberDescription m : d.members()) members.add(m.assignment().topicPartitions().size());
            members.sort(null);
            return map("state", d.groupState().name(), "simple", d.isSimpleConsumerGroup(), "assignor",
                    d.partitionAssignor(), "members", members);
        } catch (Exception e) {
            return map("error", errName(e));
        }
    }

    static Object groupAdmin(Ctx c) throws Exception {
        int parts = 2; // the runner creates this scenario's topic with 2 partitions
        for (int p = 0; p < parts; p++) produce(c, groupRecords(c, p), p);
        String gid = c.topic + "-g";
        int want = parts * c.data.get("group").get("per_partition").asInt();
        Map<String, Object> out = new LinkedHashMap<>();
        try (Admin a = admin(c)) {
            try (KafkaConsumer<byte[], byte[]> cons = consumer(c, ConsumerConfig.GROUP_ID_CONFIG, gid,
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500)) {
                cons.subscribe(List.of(c.topic));
                int got = 0;
                long end = System.currentTimeMillis() + T_MS;
                while (got < want && System.currentTimeMillis() < end) got += cons.poll(Duration.ofMillis(200)).count();
                out.put("consumed", got);
                try {
                    cons.commitSync(Duration.ofMillis(T_MS));
                    out.put("commit", "NONE");
                } catch (Exception e) {
                    out.put("commit", errName(e));
                }
                try {
                    boolean listed = a.listConsumerGroups().all().get(T_MS, TimeUnit.MILLISECONDS).stream()
                            .anyMatch(g -> g.groupId().equals(gid));
                    out.put("listed", listed);
                } catch (Exception e) {
                    out.put("listed", errName(e));
                }
                out.put("while_member", groupState(a, gid));
            }
            out.put("after_close", groupState(a, gid));
            try {
                Map<String, Object> offs = new TreeMap<>();
                a.listConsumerGroupOffsets(gid).partitionsToOffsetAndMetadata().get(T_MS, TimeUnit.MILLISECONDS)
                        .forEach((tp, om) -> offs.put((tp.topic().equals(c.topic) ? "t" : tp.topic()) + "/" + tp.partition(),
                                om == null ? null : om.offset()));
                out.put("offsets", offs);
            } catch (Exception e) {
                out.put("offsets", errName(e));
            }
            out.put("delete", futureError(a.deleteConsumerGroups(List.of(gid)).all()));
            out.put("delete_again", futureError(a.deleteConsumerGroups(List.of(gid)).all()));
            out.put("after_delete", groupState(a, gid));
            out.put("never_existed", groupState(a, gid + "-none"));
        }
        return out;
    }

    static Object transactions(Ctx c) throws Exception {
        List<JsonNode> recs = generated(c, "transactions");
        Map<String, Object> out = new LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> p = producer(c, ProducerConfig.TRANSACTIONAL_ID_CONFIG, c.topic + "-txn",
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10000, ProducerConfig.MAX_BLOCK_MS_CONFIG, 8000)) {
            try {
                p.initTransactions();
                out.put("init", "NONE");
            } catch (Exception e) {
                out.put("init", errName(e));
                return out;
            }
            p.beginTransaction();
            for (JsonNode r : recs) p.send(rec(c.topic, 0, r));
            try {
                p.commitTransaction();
                out.put("commit", "NONE");
            } catch (Exception e) {
                out.put("commit", errName(e));
                return out;
            }
        }
        out.put("consumed", consume(c, recs.size(), 0, T_MS, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        TopicPartition tp = new TopicPartition(c.topic, 0);
        try (KafkaConsumer<byte[], byte[]> cons = consumer(c)) {
            out.put("watermarks", List.of(cons.beginningOffsets(List.of(tp)).get(tp), cons.endOffsets(List.of(tp)).get(tp)));
        }
        return out;
    }

    static Object errorUnknownTopic(Ctx c) throws Exception {
        JsonNode r = JSON.valueToTree(map("key", "k", "value", "v", "ts", 1700000000000L));
        try {
            List<Object> res = produce(c, List.of(r), 0, ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
            return map("delivery", res.get(0) instanceof String s ? s : "NONE");
        } catch (Exception e) {
            return map("send", errName(e));
        }
    }

    static Object errorInvalidTopic(Ctx c) throws Exception {
        String bad = c.data.get("invalid_topic").asText();
        Map<String, Object> out = new LinkedHashMap<>();
        try (Admin a = admin(c)) {
            out.put("create", futureError(a.createTopics(List.of(new NewTopic(bad, 1, (short) 1))).all()));
        } catch (Exception e) {
            out.put("create", errName(e));
        }
        JsonNode r = JSON.valueToTree(map("key", "k", "value", "v", "ts", 1700000000000L));
        Ctx bc = new Ctx();
        bc.bootstrap = c.bootstrap;
        bc.topic = bad;
        bc.data = c.data;
        try {
            List<Object> res = produce(bc, List.of(r), 0, ProducerConfig.MAX_BLOCK_MS_CONFIG, 5000);
            out.put("produce", res.get(0) instanceof String s ? s : "NONE");
        } catch (Exception e) {
            out.put("produce", errName(e));
        }
        return out;
    }

    static Object errorFutureTimestamp(Ctx c) throws Exception {
        JsonNode r = JSON.valueToTree(map("key", "future", "value", "timestamp in the year 2100", "ts",
                c.data.get("future_timestamp").asLong()));
        return map("delivery", produce(c, List.of(r), 0).get(0));
    }

    static Object errorOutOfRange(Ctx c) throws Exception {
        long off = c.data.get("out_of_range").get("fetch_offset").asLong();
        produce(c, generated(c, "out_of_range"), 0);
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> got = consume(c, 1, off, 5000, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        out.put("no_reset", got.isEmpty() ? "nothing" : got.get(0) instanceof Map<?, ?> m && m.containsKey("error")
                ? m.get("error") : "record");
        got = consume(c, 1, off, T_MS, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        out.put("reset_earliest", got.isEmpty() ? "nothing" : ((Map<?, ?>) got.get(0)).get("o"));
        got = consume(c, 1, off, 3000, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        out.put("reset_latest_records", got.size());
        return out;
    }

    static Scenario compression(String codec) {
        return c -> roundtrip(c, generated(c, "compression"), ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                ProducerConfig.LINGER_MS_CONFIG, 100);
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("roundtrip", c -> roundtrip(c, list(c.data.get("roundtrip")), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        SCENARIOS.put("headers", c -> roundtrip(c, list(c.data.get("headers")), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) SCENARIOS.put("compression_" + codec, compression(codec));
        SCENARIOS.put("idempotent", c -> roundtrip(c, generated(c, "idempotent"), ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"));
        SCENARIOS.put("list_offsets", CompatDriver::listOffsets);
        SCENARIOS.put("admin_topics", CompatDriver::adminTopics);
        SCENARIOS.put("describe_configs", CompatDriver::describeConfigs);
        SCENARIOS.put("alter_configs", CompatDriver::alterConfigs);
        SCENARIOS.put("group", CompatDriver::group);
        SCENARIOS.put("group_admin", CompatDriver::groupAdmin);
        SCENARIOS.put("transactions", CompatDriver::transactions);
        SCENARIOS.put("error_unknown_topic", CompatDriver::errorUnknownTopic);
        SCENARIOS.put("error_invalid_topic", CompatDriver::errorInvalidTopic);
        SCENARIOS.put("error_out_of_range", CompatDriver::errorOutOfRange);
        SCENARIOS.put("error_future_timestamp", CompatDriver::errorFutureTimestamp);
    }

    static void emit(Object o) throws Exception {
        System.out.println(JSON.writeValueAsString(o));
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Ctx c = new Ctx();
        String scenarios = "", data = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--bootstrap" -> c.bootstrap = args[i + 1];
                case "--prefix" -> c.prefix = args[i + 1];
                case "--scenarios" -> scenarios = args[i + 1];
                case "--data" -> data = args[i + 1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        c.data = JSON.readTree(new File(data));
        emit(map("version", AppInfoParser.getVersion()));
        for (String name : scenarios.split(",")) {
            if (name.isEmpty()) continue;
            c.topic = c.prefix + "-" + name;
            Scenario s = SCENARIOS.get(name);
            long t0 = System.currentTimeMillis();
            if (s == null) {
                emit(map("scenario", name, "exception", "scenario not implemented by this driver"));
                continue;
            }
            try {
                emit(map("scenario", name, "result", s.run(c)));
            } catch (Skip e) {
                emit(map("scenario", name, "skipped", e.getMessage()));
            } catch (Throwable e) {
                e.printStackTrace();
                emit(map("scenario", name, "exception", e.getClass().getSimpleName() + ": " + e.getMessage()));
            }
            System.err.printf("scenario %s took %.1fs%n", name, (System.currentTimeMillis() - t0) / 1000.0);
        }
        System.exit(0); // do not wait for client threads that are still closing
    }
}
