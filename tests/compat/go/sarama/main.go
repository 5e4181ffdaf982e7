// Command sarama runs the compatibility scenarios with IBM/sarama, configured for the newest Kafka
// version it knows (so it uses its newest request versions). Contract: tests/compat/go/common.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/IBM/sarama"

	c "gregor.local/compat/common"
)

func config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.MaxVersion
	cfg.ClientID = "gregor-compat"
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Net.ReadTimeout = c.OpTimeout
	cfg.Net.WriteTimeout = 10 * time.Second
	cfg.Metadata.Retry.Max = 3
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	cfg.Metadata.AllowAutoTopicCreation = false
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Retry.Max = 3
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Producer.Timeout = 10 * time.Second
	cfg.Consumer.Return.Errors = true
	cfg.Admin.Timeout = 10 * time.Second
	return cfg
}

// errName names sarama's errors: broker error codes by their Kafka name.
func errName(err error) string {
	if err == nil {
		return "NONE"
	}
	var ke sarama.KError
	if errors.As(err, &ke) {
		return c.CodeName(int16(ke))
	}
	var te *sarama.TopicError
	if errors.As(err, &te) {
		return c.CodeName(int16(te.Err))
	}
	var tpe *sarama.TopicPartitionError
	if errors.As(err, &tpe) {
		return c.CodeName(int16(tpe.Err))
	}
	var pe sarama.ProducerErrors
	if errors.As(err, &pe) && len(pe) > 0 {
		return errName(pe[0].Err)
	}
	return fmt.Sprintf("%T: %v", err, err)
}

func message(topic string, p int32, r c.Rec) *sarama.ProducerMessage {
	m := &sarama.ProducerMessage{Topic: topic, Partition: p, Timestamp: time.UnixMilli(r.TS)}
	if r.Key != nil {
		m.Key = sarama.ByteEncoder(c.Bytes(r.Key))
	}
	if r.Value != nil {
		m.Value = sarama.ByteEncoder(c.Bytes(r.Value))
	}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(*h[0]), Value: c.Bytes(h[1])})
	}
	return m
}

func produce(x *c.Ctx, recs []c.Rec, p int32, tune func(*sarama.Config)) ([]any, error) {
	cfg := config()
	if tune != nil {
		tune(cfg)
	}
	prod, err := sarama.NewSyncProducer([]string{x.Bootstrap}, cfg)
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	msgs := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		msgs[i] = message(x.Topic, p, r)
	}
	out := []any{}
	if err := prod.SendMessages(msgs); err != nil {
		var pe sarama.ProducerErrors
		if !errors.As(err, &pe) {
			return nil, err
		}
		failed := map[*sarama.ProducerMessage]string{}
		for _, e := range pe {
			failed[e.Msg] = errName(e.Err)
		}
		for _, m := range msgs {
			if f, ok := failed[m]; ok {
				out = append(out, f)
			} else {
				out = append(out, []any{m.Partition, m.Offset})
			}
		}
		return out, nil
	}
	for _, m := range msgs {
		out = append(out, []any{m.Partition, m.Offset})
	}
	return out, nil
}

func view(m *sarama.ConsumerMessage) c.M {
	hs := [][2][]byte{}
	for _, h := range m.Headers {
		hs = append(hs, [2][]byte{h.Key, h.Value})
	}
	return c.Record(m.Partition, m.Offset, m.Key, m.Value, hs, m.Timestamp.UnixMilli(), nil)
}

// consume reads count records of partition 0 from offset (no group).
func consume(x *c.Ctx, count int, offset int64, wait time.Duration, tune func(*sarama.Config)) ([]any, error) {
	cfg := config()
	if tune != nil {
		tune(cfg)
	}
	cons, err := sarama.NewConsumer([]string{x.Bootstrap}, cfg)
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	pc, err := cons.ConsumePartition(x.Topic, 0, offset)
	if err != nil {
		return []any{c.M{"error": errName(err)}}, nil
	}
	defer pc.Close()
	out := []any{}
	deadline := time.After(wait)
	for len(out) < count {
		select {
		case m := <-pc.Messages():
			out = append(out, view(m))
		case e := <-pc.Errors():
			return append(out, c.M{"error": errName(e.Err)}), nil
		case <-deadline:
			return out, nil
		}
	}
	return out, nil
}

func roundtrip(x *c.Ctx, recs []c.Rec, tune func(*sarama.Config)) (any, error) {
	produced, err := produce(x, recs, 0, tune)
	if err != nil {
		return nil, err
	}
	consumed, err := consume(x, len(recs), sarama.OffsetOldest, c.OpTimeout, nil)
	return c.M{"produced": produced, "consumed": consumed}, err
}

func compression(codec sarama.CompressionCodec) func(*c.Ctx) (any, error) {
	return func(x *c.Ctx) (any, error) {
		return roundtrip(x, x.Data.CompressionRecords(), func(cfg *sarama.Config) { cfg.Producer.Compression = codec })
	}
}

func admin(x *c.Ctx) (sarama.ClusterAdmin, error) {
	return sarama.NewClusterAdmin([]string{x.Bootstrap}, config())
}

func listOffsets(x *c.Ctx) (any, error) {
	d := x.Data.ListOffsets
	if _, err := produce(x, x.Data.ListOffsetsRecords(), 0, nil); err != nil {
		return nil, err
	}
	cl, err := sarama.NewClient([]string{x.Bootstrap}, config())
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	get := func(t int64) any {
		o, err := cl.GetOffset(x.Topic, 0, t)
		if err != nil {
			return errName(err)
		}
		return o
	}
	return c.M{"earliest": get(sarama.OffsetOldest), "latest": get(sarama.OffsetNewest), "by_time": get(d.QueryTS),
		"after_last": get(d.FutureTS)}, nil
}

func describeTopic(adm sarama.ClusterAdmin, t string) any {
	mds, err := adm.DescribeTopics([]string{t})
	if err != nil {
		return errName(err)
	}
	for _, md := range mds {
		if md.Name != t {
			continue
		}
		if md.Err != sarama.ErrNoError {
			return errName(md.Err)
		}
		parts := []any{}
		sort.Slice(md.Partitions, func(i, j int) bool { return md.Partitions[i].ID < md.Partitions[j].ID })
		for _, p := range md.Partitions {
			parts = append(parts, c.M{"id": p.ID, "leader": p.Leader, "replicas": p.Replicas, "isr": p.Isr,
				"error": errName(p.Err)})
		}
		return c.M{"partitions": parts, "internal": md.IsInternal}
	}
	return "absent"
}

func partitionCount(adm sarama.ClusterAdmin, t string) int {
	if m, ok := describeTopic(adm, t).(c.M); ok {
		return len(m["partitions"].([]any))
	}
	return -1
}

func listed(adm sarama.ClusterAdmin, t string) bool {
	ts, err := adm.ListTopics()
	if err != nil {
		return false
	}
	_, ok := ts[t]
	return ok
}

func adminTopics(x *c.Ctx) (any, error) {
	d := x.Data.Admin
	adm, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	t := x.Topic
	cfg := map[string]*string{}
	for k, v := range d.Configs {
		v := v
		cfg[k] = &v
	}
	out := c.M{"create": errName(adm.CreateTopic(t, &sarama.TopicDetail{NumPartitions: d.Partitions, ReplicationFactor: 1,
		ConfigEntries: cfg}, false))}
	c.WaitUntil(c.OpTimeout, func() bool { return partitionCount(adm, t) == int(d.Partitions) })
	out["create_again"] = errName(adm.CreateTopic(t, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false))
	out["describe"] = describeTopic(adm, t)
	out["create_partitions"] = errName(adm.CreatePartitions(t, int32(d.NewPartitions), nil, false))
	c.WaitUntil(c.OpTimeout, func() bool { return partitionCount(adm, t) == d.NewPartitions })
	out["describe_after"] = describeTopic(adm, t)
	out["shrink_partitions"] = errName(adm.CreatePartitions(t, 2, nil, false))
	out["listed"] = listed(adm, t)
	out["delete"] = errName(adm.DeleteTopic(t))
	out["gone_from_list"] = c.WaitUntil(c.OpTimeout, func() bool { return !listed(adm, t) })
	out["describe_deleted"] = describeTopic(adm, t)
	out["delete_again"] = errName(adm.DeleteTopic(t))
	if brokers, _, err := adm.DescribeCluster(); err == nil {
		out["brokers"] = len(brokers)
	} else {
		out["brokers"] = errName(err)
	}
	return out, nil
}

func topicConfigs(adm sarama.ClusterAdmin, t string) (map[string]sarama.ConfigEntry, error) {
	es, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: t})
	if err != nil {
		return nil, err
	}
	out := map[string]sarama.ConfigEntry{}
	for _, e := range es {
		out[e.Name] = e
	}
	return out, nil
}

func cfgView(e sarama.ConfigEntry) c.M {
	return c.M{"value": e.Value, "source": e.Source.String(), "read_only": e.ReadOnly, "sensitive": e.Sensitive}
}

func describeConfigs(x *c.Ctx) (any, error) {
	adm, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	cfgs, err := topicConfigs(adm, x.Topic)
	if err != nil {
		return c.M{"error": errName(err)}, nil
	}
	overrides, defaults, names := c.M{}, c.M{}, []string{}
	for k, e := range cfgs {
		names = append(names, k)
		if e.Source == sarama.SourceTopic {
			overrides[k] = e.Value
		}
	}
	for _, k := range x.Data.DescribedDefaults {
		if e, ok := cfgs[k]; ok {
			defaults[k] = cfgView(e)
		}
	}
	sort.Strings(names)
	return c.M{"overrides": overrides, "defaults": defaults, "names": names}, nil
}

func alterConfigs(x *c.Ctx) (any, error) {
	adm, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	entries := map[string]sarama.IncrementalAlterConfigsEntry{}
	for k, v := range x.Data.AlterConfigs {
		v := v
		entries[k] = sarama.IncrementalAlterConfigsEntry{Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v}
	}
	out := c.M{"alter": errName(adm.IncrementalAlterConfig(sarama.TopicResource, x.Topic, entries, false))}
	var cfgs map[string]sarama.ConfigEntry
	// Kafka applies a config change asynchronously: describe until it shows (bounded).
	c.WaitUntil(c.OpTimeout, func() bool {
		cfgs, err = topicConfigs(adm, x.Topic)
		if err != nil {
			return false
		}
		for k, v := range x.Data.AlterConfigs {
			if cf, ok := cfgs[k]; !ok || !(cf.Value == v) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	after := c.M{}
	for k := range x.Data.AlterConfigs {
		after[k] = cfgView(cfgs[k])
	}
	out["after"] = after
	one := "1"
	out["alter_unknown_key"] = errName(adm.AlterConfig(sarama.TopicResource, x.Topic, map[string]*string{"no.such.config": &one}, false))
	out["delete_key"] = errName(adm.IncrementalAlterConfig(sarama.TopicResource, x.Topic,
		map[string]sarama.IncrementalAlterConfigsEntry{"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationDelete}}, false))
	c.WaitUntil(c.OpTimeout, func() bool {
		cfgs, err = topicConfigs(adm, x.Topic)
		return err == nil && cfgs["retention.ms"].Source != sarama.SourceTopic
	})
	if err == nil {
		out["after_delete"] = cfgView(cfgs["retention.ms"])
	}
	return out, nil
}

// handler is one group member: it records its claims and what it consumed from them, and
// commits what it consumed when its session ends (auto-commit is off).
type handler struct {
	topic    string
	mu       sync.Mutex
	assigned []int32
	progress map[int32]int64
	seen     *sync.Map
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.assigned = append([]int32(nil), s.Claims()[h.topic]...)
	h.progress = map[int32]int64{}
	return nil
}

func (h *handler) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.seen.Store([2]int64{int64(m.Partition), m.Offset}, true)
		h.mu.Lock()
		h.progress[m.Partition] = m.Offset + 1
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

func groupConfig() *sarama.Config {
	cfg := config()
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	return cfg
}

func group(x *c.Ctx) (any, error) {
	d := x.Data.Group
	for p := 0; p < d.Partitions; p++ {
		if _, err := produce(x, x.Data.GroupRecords(p), int32(p), nil); err != nil {
			return nil, err
		}
	}
	gid := x.Topic + "-g"
	seen := &sync.Map{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	handlers := []*handler{}
	groups := []sarama.ConsumerGroup{}
	errs := sync.Map{}
	for i := 0; i < d.Members; i++ {
		g, err := sarama.NewConsumerGroup([]string{x.Bootstrap}, gid, groupConfig())
		if err != nil {
			cancel()
			return nil, err
		}
		h := &handler{topic: x.Topic, progress: map[int32]int64{}, seen: seen}
		handlers = append(handlers, h)
		groups = append(groups, g)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{x.Topic}, h); err != nil {
					errs.Store(errName(err), true)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for {
				select {
				case e, ok := <-g.Errors():
					if !ok {
						return
					}
					errs.Store(errName(e), true)
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	// Settled: both members hold partitions, all are assigned, and every record was read. (A member
	// that read everything before the second one joined commits it when its session ends, so the
	// new owners may start at the end: progress per member would never complete.)
	settled := func() bool {
		total := 0
		for _, h := range handlers {
			h.mu.Lock()
			n := len(h.assigned)
			h.mu.Unlock()
			if n == 0 {
				return false
			}
			total += n
		}
		n := 0
		seen.Range(func(_, _ any) bool { n++; return true })
		return total == d.Partitions && n == d.Partitions*d.PerPartition
	}
	c.WaitUntil(2*c.OpTimeout, settled)
	out := c.M{}
	counts := []int{}
	for _, h := range handlers {
		h.mu.Lock()
		counts = append(counts, len(h.assigned))
		h.mu.Unlock()
	}
	sort.Ints(counts)
	out["assignment_counts"] = counts
	cancel() // sessions end: Cleanup commits what each member consumed
	wg.Wait()
	for _, g := range groups {
		g.Close()
	}
	n := 0
	seen.Range(func(_, _ any) bool { n++; return true })
	out["consumed_distinct"] = n
	errList := []string{}
	errs.Range(func(k, _ any) bool { errList = append(errList, k.(string)); return true })
	sort.Strings(errList)
	out["poll_errors"] = errList
	adm, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	parts := []int32{}
	for p := 0; p < d.Partitions; p++ {
		parts = append(parts, int32(p))
	}
	if resp, err := adm.ListConsumerGroupOffsets(gid, map[string][]int32{x.Topic: parts}); err != nil {
		out["committed"] = errName(err)
	} else {
		committed := c.M{}
		for p, b := range resp.Blocks[x.Topic] {
			committed[fmt.Sprint(p)] = b.Offset
		}
		out["committed"] = committed
	}
	return out, nil
}

func groupState(adm sarama.ClusterAdmin, gid string) c.M {
	ds, err := adm.DescribeConsumerGroups([]string{gid})
	if err != nil {
		return c.M{"error": errName(err)}
	}
	if len(ds) != 1 {
		return c.M{"error": fmt.Sprintf("%d descriptions", len(ds))}
	}
	g := ds[0]
	members := []int{}
	for _, m := range g.Members {
		n := 0
		if a, err := m.GetMemberAssignment(); err == nil && a != nil {
			for _, ps := range a.Topics {
				n += len(ps)
			}
		}
		members = append(members, n)
	}
	sort.Ints(members)
	return c.M{"state": g.State, "protocol_type": g.ProtocolType, "assignor": g.Protocol, "members": members,
		"error": c.CodeName(int16(g.Err))}
}

type oneShot struct {
	want int
	mu   sync.Mutex
	got  int
	done chan struct{}
}

func (o *oneShot) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (o *oneShot) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (o *oneShot) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		s.MarkMessage(m, "")
		o.mu.Lock()
		o.got++
		if o.got == o.want {
			s.Commit()
			close(o.done)
		}
		o.mu.Unlock()
	}
	return nil
}

func groupAdmin(x *c.Ctx) (any, error) {
	parts := 2 // the runner creates this scenario's topic with 2 partitions
	for p := 0; p < parts; p++ {
		if _, err := produce(x, x.Data.GroupRecords(p), int32(p), nil); err != nil {
			return nil, err
		}
	}
	gid := x.Topic + "-g"
	adm, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	g, err := sarama.NewConsumerGroup([]string{x.Bootstrap}, gid, groupConfig())
	if err != nil {
		return nil, err
	}
	h := &oneShot{want: parts * x.Data.Group.PerPartition, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{x.Topic}, h); err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	out := c.M{}
	select {
	case <-h.done:
		out["commit"] = "NONE"
	case <-time.After(c.OpTimeout):
		out["commit"] = "not reached"
	}
	h.mu.Lock()
	out["consumed"] = h.got
	h.mu.Unlock()
	if gs, err := adm.ListConsumerGroups(); err != nil {
		out["listed"] = errName(err)
	} else {
		_, ok := gs[gid]
		out["listed"] = ok
	}
	out["while_member"] = groupState(adm, gid)
	cancel()
	wg.Wait()
	g.Close()
	out["after_close"] = groupState(adm, gid)
	if resp, err := adm.ListConsumerGroupOffsets(gid, nil); err != nil {
		out["offsets"] = errName(err)
	} else {
		o := c.M{}
		for p, b := range resp.Blocks[x.Topic] {
			o[fmt.Sprintf("t/%d", p)] = b.Offset
		}
		out["offsets"] = o
	}
	out["delete"] = errName(adm.DeleteConsumerGroup(gid))
	out["delete_again"] = errName(adm.DeleteConsumerGroup(gid))
	out["after_delete"] = groupState(adm, gid)
	out["never_existed"] = groupState(adm, gid+"-none")
	return out, nil
}

func transactions(x *c.Ctx) (any, error) {
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Transaction.ID = x.Topic + "-txn"
	cfg.Producer.Transaction.Timeout = 10 * time.Second
	cfg.Producer.Transaction.Retry.Max = 3
	cfg.Producer.Transaction.Retry.Backoff = 200 * time.Millisecond
	out := c.M{}
	prod, err := sarama.NewSyncProducer([]string{x.Bootstrap}, cfg)
	if err != nil {
		out["init"] = errName(err)
		return out, nil
	}
	defer prod.Close()
	out["init"] = "NONE"
	if err := prod.BeginTxn(); err != nil {
		out["begin"] = errName(err)
		return out, nil
	}
	recs := x.Data.TransactionRecords()
	msgs := []*sarama.ProducerMessage{}
	for _, r := range recs {
		msgs = append(msgs, message(x.Topic, 0, r))
	}
	if err := prod.SendMessages(msgs); err != nil {
		out["produce"] = errName(err)
		_ = prod.AbortTxn()
		return out, nil
	}
	out["commit"] = errName(prod.CommitTxn())
	consumed, err := consume(x, len(recs), sarama.OffsetOldest, c.OpTimeout, func(cfg *sarama.Config) {
		cfg.Consumer.IsolationLevel = sarama.ReadCommitted
	})
	if err != nil {
		return nil, err
	}
	out["consumed"] = consumed
	return out, nil
}

func errorUnknownTopic(x *c.Ctx) (any, error) {
	v := "v"
	res, err := produce(x, []c.Rec{{Key: &v, Value: &v, TS: 1700000000000}}, 0, nil)
	if err != nil {
		return c.M{"send": errName(err)}, nil
	}
	return c.M{"delivery": res[0]}, nil
}

func errorInvalidTopic(x *c.Ctx) (any, error) {
	bad := x.Data.InvalidTopic
	out := c.M{}
	if adm, err := admin(x); err != nil {
		return nil, err
	} else {
		out["create"] = errName(adm.CreateTopic(bad, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false))
		adm.Close()
	}
	v := "v"
	bx := *x
	bx.Topic = bad
	if res, err := produce(&bx, []c.Rec{{Key: &v, Value: &v, TS: 1700000000000}}, 0, nil); err != nil {
		out["produce"] = errName(err)
	} else {
		out["produce"] = res[0]
	}
	return out, nil
}

func errorFutureTimestamp(x *c.Ctx) (any, error) {
	k, v := "future", "timestamp in the year 2100"
	res, err := produce(x, []c.Rec{{Key: &k, Value: &v, TS: x.Data.FutureTimestamp}}, 0, nil)
	if err != nil {
		return c.M{"send": errName(err)}, nil
	}
	return c.M{"delivery": res[0]}, nil
}

func errorOutOfRange(x *c.Ctx) (any, error) {
	d := x.Data.OutOfRange
	if _, err := produce(x, x.Data.OutOfRangeRecords(), 0, nil); err != nil {
		return nil, err
	}
	got, err := consume(x, 1, d.FetchOffset, 5*time.Second, nil)
	if err != nil {
		return nil, err
	}
	return c.M{"consume_partition": got}, nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/IBM/sarama" {
				return m.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if os.Getenv("COMPAT_DEBUG") != "" {
		sarama.Logger = logger{}
	}
	c.Run(version(), map[string]func(*c.Ctx) (any, error){
		"roundtrip":          func(x *c.Ctx) (any, error) { return roundtrip(x, x.Data.Roundtrip, nil) },
		"headers":            func(x *c.Ctx) (any, error) { return roundtrip(x, x.Data.Headers, nil) },
		"compression_gzip":   compression(sarama.CompressionGZIP),
		"compression_snappy": compression(sarama.CompressionSnappy),
		"compression_lz4":    compression(sarama.CompressionLZ4),
		"compression_zstd":   compression(sarama.CompressionZSTD),
		"idempotent": func(x *c.Ctx) (any, error) {
			return roundtrip(x, x.Data.IdempotentRecords(), func(cfg *sarama.Config) {
				cfg.Producer.Idempotent = true
				cfg.Producer.RequiredAcks = sarama.WaitForAll
				cfg.Net.MaxOpenRequests = 1
			})
		},
		"list_offsets":           listOffsets,
		"admin_topics":           adminTopics,
		"describe_configs":       describeConfigs,
		"alter_configs":          alterConfigs,
		"group":                  group,
		"group_admin":            groupAdmin,
		"transactions":           transactions,
		"error_unknown_topic":    errorUnknownTopic,
		"error_invalid_topic":    errorInvalidTopic,
		"error_out_of_range":     errorOutOfRange,
		"error_future_timestamp": errorFutureTimestamp,
	})
}

type logger struct{}

func (logger) Print(v ...any)                 { fmt.Fprint(os.Stderr, v...) }
func (logger) Printf(format string, v ...any) { fmt.Fprintf(os.Stderr, format, v...) }
func (logger) Println(v ...any)               { fmt.Fprintln(os.Stderr, v...) }
