// Command franz runs the compatibility scenarios with franz-go (kgo for producing and consuming,
// kadm for admin). Contract: tests/compat/go/common.
package main

import (
	"context"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	c "gregor.local/compat/common"
)

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.OpTimeout)
}

func client(x *c.Ctx, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{
		kgo.SeedBrokers(x.Bootstrap),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(20 * time.Millisecond),
		// No RecordDeliveryTimeout: kgo measures it from each record's Timestamp, and the scenario
		// records carry fixed 2023 timestamps. Produce calls are bounded by their context instead.
		kgo.RequestTimeoutOverhead(5 * time.Second),
		kgo.RetryTimeout(c.OpTimeout),
		kgo.UnknownTopicRetries(3),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}
	if os.Getenv("COMPAT_DEBUG") != "" {
		base = append(base, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	return kgo.NewClient(append(base, opts...)...)
}

func record(topic string, p int32, r c.Rec) *kgo.Record {
	rec := &kgo.Record{Topic: topic, Partition: p, Key: c.Bytes(r.Key), Value: c.Bytes(r.Value),
		Timestamp: time.UnixMilli(r.TS)}
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: *h[0], Value: c.Bytes(h[1])})
	}
	return rec
}

func produce(x *c.Ctx, recs []c.Rec, p int32, opts ...kgo.Opt) ([]any, error) {
	cl, err := client(x, opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := timeout()
	defer cancel()
	batch := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		batch[i] = record(x.Topic, p, r)
	}
	out := []any{}
	for _, res := range cl.ProduceSync(ctx, batch...) {
		if res.Err != nil {
			out = append(out, c.ErrName(res.Err))
		} else {
			out = append(out, []any{res.Record.Partition, res.Record.Offset})
		}
	}
	return out, nil
}

func view(r *kgo.Record) c.M {
	hs := make([][2][]byte, 0, len(r.Headers))
	for _, h := range r.Headers {
		hs = append(hs, [2][]byte{[]byte(h.Key), h.Value})
	}
	tt := "create"
	if r.Attrs.TimestampType() == 1 {
		tt = "append"
	}
	return c.Record(r.Partition, r.Offset, r.Key, r.Value, hs, r.Timestamp.UnixMilli(), tt)
}

// consume reads count records of partition 0 from offset (no group).
func consume(x *c.Ctx, count int, offset kgo.Offset, wait time.Duration, opts ...kgo.Opt) ([]any, error) {
	base := []kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{x.Topic: {0: offset}})}
	cl, err := client(x, append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := []any{}
	end := time.Now().Add(wait)
	for len(out) < count && time.Now().Before(end) {
		ctx, cancel := context.WithDeadline(context.Background(), end)
		fs := cl.PollFetches(ctx)
		cancel()
		for _, fe := range fs.Errors() {
			if fe.Err != context.DeadlineExceeded && fe.Err != context.Canceled {
				return append(out, c.M{"error": c.ErrName(fe.Err)}), nil
			}
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, view(r)) })
	}
	if len(out) > count {
		out = out[:count]
	}
	return out, nil
}

func roundtrip(x *c.Ctx, recs []c.Rec, opts ...kgo.Opt) (any, error) {
	produced, err := produce(x, recs, 0, opts...)
	if err != nil {
		return nil, err
	}
	consumed, err := consume(x, len(recs), kgo.NewOffset().At(0), c.OpTimeout)
	return c.M{"produced": produced, "consumed": consumed}, err
}

func compression(codec kgo.CompressionCodec) func(*c.Ctx) (any, error) {
	return func(x *c.Ctx) (any, error) {
		return roundtrip(x, x.Data.CompressionRecords(), kgo.ProducerBatchCompression(codec),
			kgo.ProducerLinger(100*time.Millisecond), kgo.DisableIdempotentWrite())
	}
}

func admin(x *c.Ctx) (*kadm.Client, *kgo.Client, error) {
	cl, err := client(x)
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

func listOffsets(x *c.Ctx) (any, error) {
	d := x.Data.ListOffsets
	if _, err := produce(x, x.Data.ListOffsetsRecords(), 0); err != nil {
		return nil, err
	}
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := timeout()
	defer cancel()
	one := func(l kadm.ListedOffsets, err error) any {
		if err != nil {
			return c.ErrName(err)
		}
		o, ok := l.Lookup(x.Topic, 0)
		if !ok {
			return "missing"
		}
		if o.Err != nil {
			return c.ErrName(o.Err)
		}
		return c.M{"offset": o.Offset, "ts": o.Timestamp}
	}
	out := c.M{
		"earliest":   one(adm.ListStartOffsets(ctx, x.Topic)),
		"latest":     one(adm.ListEndOffsets(ctx, x.Topic)),
		"by_time":    one(adm.ListOffsetsAfterMilli(ctx, d.QueryTS, x.Topic)),
		"after_last": one(adm.ListOffsetsAfterMilli(ctx, d.FutureTS, x.Topic)),
	}
	// Max-timestamp lookup (timestamp -3) through the raw request: kadm has no helper for it.
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = x.Topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = 0
	rp.Timestamp = -3
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	if resp, err := req.RequestWith(ctx, cl); err != nil {
		out["max_timestamp"] = c.ErrName(err)
	} else if len(resp.Topics) == 1 && len(resp.Topics[0].Partitions) == 1 {
		p := resp.Topics[0].Partitions[0]
		out["max_timestamp"] = c.M{"error": c.CodeName(p.ErrorCode), "offset": p.Offset, "ts": p.Timestamp}
	}
	return out, nil
}

func describeTopic(adm *kadm.Client, topic string) any {
	ctx, cancel := timeout()
	defer cancel()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return c.ErrName(err)
	}
	td, ok := tds[topic]
	if !ok {
		return "absent"
	}
	if td.Err != nil {
		return c.ErrName(td.Err)
	}
	parts := []any{}
	for _, p := range td.Partitions.Sorted() {
		parts = append(parts, c.M{"id": p.Partition, "leader": p.Leader, "replicas": p.Replicas, "isr": p.ISR,
			"error": c.ErrName(p.Err)})
	}
	return c.M{"partitions": parts, "internal": td.IsInternal}
}

func partitionCount(adm *kadm.Client, topic string) int {
	if m, ok := describeTopic(adm, topic).(c.M); ok {
		return len(m["partitions"].([]any))
	}
	return -1
}

func listed(adm *kadm.Client, topic string) bool {
	ctx, cancel := timeout()
	defer cancel()
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		return false
	}
	_, ok := tds[topic]
	return ok
}

func adminTopics(x *c.Ctx) (any, error) {
	d := x.Data.Admin
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	t := x.Topic
	cfg := map[string]*string{}
	for k, v := range d.Configs {
		v := v
		cfg[k] = &v
	}
	create := func(n int32, cfg map[string]*string) string {
		ctx, cancel := timeout()
		defer cancel()
		r, err := adm.CreateTopic(ctx, n, 1, cfg, t)
		if err != nil {
			return c.ErrName(err)
		}
		return c.ErrName(r.Err)
	}
	parts := func(n int) string {
		ctx, cancel := timeout()
		defer cancel()
		rs, err := adm.UpdatePartitions(ctx, n, t)
		if err != nil {
			return c.ErrName(err)
		}
		return c.ErrName(rs[t].Err)
	}
	del := func() string {
		ctx, cancel := timeout()
		defer cancel()
		rs, err := adm.DeleteTopics(ctx, t)
		if err != nil {
			return c.ErrName(err)
		}
		return c.ErrName(rs[t].Err)
	}
	out := c.M{"create": create(d.Partitions, cfg)}
	c.WaitUntil(c.OpTimeout, func() bool { return partitionCount(adm, t) == int(d.Partitions) })
	out["create_again"] = create(1, nil)
	out["describe"] = describeTopic(adm, t)
	out["create_partitions"] = parts(d.NewPartitions)
	c.WaitUntil(c.OpTimeout, func() bool { return partitionCount(adm, t) == d.NewPartitions })
	out["describe_after"] = describeTopic(adm, t)
	out["shrink_partitions"] = parts(2)
	out["listed"] = listed(adm, t)
	out["delete"] = del()
	out["gone_from_list"] = c.WaitUntil(c.OpTimeout, func() bool { return !listed(adm, t) })
	out["describe_deleted"] = describeTopic(adm, t)
	out["delete_again"] = del()
	ctx, cancel := timeout()
	defer cancel()
	if md, err := adm.BrokerMetadata(ctx); err == nil {
		out["brokers"] = len(md.Brokers)
	} else {
		out["brokers"] = c.ErrName(err)
	}
	return out, nil
}

func topicConfigs(adm *kadm.Client, topic string) (map[string]kadm.Config, error) {
	ctx, cancel := timeout()
	defer cancel()
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, err
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return nil, err
	}
	if rc.Err != nil {
		return nil, rc.Err
	}
	out := map[string]kadm.Config{}
	for _, cf := range rc.Configs {
		out[cf.Key] = cf
	}
	return out, nil
}

func cfgView(cf kadm.Config) c.M {
	var v any
	if cf.Value != nil {
		v = *cf.Value
	}
	return c.M{"value": v, "source": cf.Source.String(), "sensitive": cf.Sensitive}
}

func describeConfigs(x *c.Ctx) (any, error) {
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	cfgs, err := topicConfigs(adm, x.Topic)
	if err != nil {
		return c.M{"error": c.ErrName(err)}, nil
	}
	overrides, defaults, names := c.M{}, c.M{}, []string{}
	for k, cf := range cfgs {
		names = append(names, k)
		if cf.Source == kmsg.ConfigSourceDynamicTopicConfig && cf.Value != nil {
			overrides[k] = *cf.Value
		}
	}
	for _, k := range x.Data.DescribedDefaults {
		if cf, ok := cfgs[k]; ok {
			defaults[k] = cfgView(cf)
		}
	}
	sort.Strings(names)
	return c.M{"overrides": overrides, "defaults": defaults, "names": names}, nil
}

func alterConfigs(x *c.Ctx) (any, error) {
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	alter := func(ops []kadm.AlterConfig) string {
		ctx, cancel := timeout()
		defer cancel()
		rs, err := adm.AlterTopicConfigs(ctx, ops, x.Topic)
		if err != nil {
			return c.ErrName(err)
		}
		for _, r := range rs {
			return c.ErrName(r.Err)
		}
		return "no result"
	}
	ops := []kadm.AlterConfig{}
	for k, v := range x.Data.AlterConfigs {
		v := v
		ops = append(ops, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
	}
	out := c.M{"alter": alter(ops)}
	var cfgs map[string]kadm.Config
	// Kafka applies a config change asynchronously: describe until it shows (bounded).
	c.WaitUntil(c.OpTimeout, func() bool {
		cfgs, err = topicConfigs(adm, x.Topic)
		if err != nil {
			return false
		}
		for k, v := range x.Data.AlterConfigs {
			if cf, ok := cfgs[k]; !ok || !(cf.Value != nil && *cf.Value == v) {
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
	out["alter_unknown_key"] = alter([]kadm.AlterConfig{{Op: kadm.SetConfig, Name: "no.such.config", Value: &one}})
	out["delete_key"] = alter([]kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "retention.ms"}})
	c.WaitUntil(c.OpTimeout, func() bool {
		cfgs, err = topicConfigs(adm, x.Topic)
		return err == nil && cfgs["retention.ms"].Source != kmsg.ConfigSourceDynamicTopicConfig
	})
	if err == nil {
		out["after_delete"] = cfgView(cfgs["retention.ms"])
	}
	return out, nil
}

type member struct {
	mu       sync.Mutex
	assigned []int32
	progress map[int32]int64
	errors   []string
	commit   string
}

func group(x *c.Ctx) (any, error) {
	d := x.Data.Group
	for p := 0; p < d.Partitions; p++ {
		if _, err := produce(x, x.Data.GroupRecords(p), int32(p)); err != nil {
			return nil, err
		}
	}
	gid := x.Topic + "-g"
	members := make([]*member, d.Members)
	clients := make([]*kgo.Client, d.Members)
	seen := sync.Map{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range members {
		m := &member{progress: map[int32]int64{}}
		members[i] = m
		cl, err := client(x, kgo.ConsumerGroup(gid), kgo.ConsumeTopics(x.Topic), kgo.Balancers(kgo.RangeBalancer()),
			kgo.DisableAutoCommit(), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				m.mu.Lock()
				m.assigned = append(m.assigned, a[x.Topic]...)
				m.mu.Unlock()
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
				m.mu.Lock()
				m.assigned, m.progress = nil, map[int32]int64{}
				m.mu.Unlock()
			}))
		if err != nil {
			return nil, err
		}
		clients[i] = cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				fs := cl.PollFetches(ctx)
				cancel()
				m.mu.Lock()
				for _, fe := range fs.Errors() {
					if fe.Err != context.DeadlineExceeded && fe.Err != context.Canceled {
						m.errors = append(m.errors, c.ErrName(fe.Err))
					}
				}
				fs.EachRecord(func(r *kgo.Record) {
					seen.Store([2]int64{int64(r.Partition), r.Offset}, true)
					for _, p := range m.assigned {
						if p == r.Partition {
							m.progress[p] = r.Offset + 1
						}
					}
				})
				m.mu.Unlock()
			}
		}()
	}
	settled := func() bool {
		total := 0
		for _, m := range members {
			m.mu.Lock()
			ok := len(m.assigned) > 0
			total += len(m.assigned)
			for _, p := range m.assigned {
				ok = ok && m.progress[p] == int64(d.PerPartition)
			}
			m.mu.Unlock()
			if !ok {
				return false
			}
		}
		return total == d.Partitions
	}
	c.WaitUntil(2*c.OpTimeout, settled)
	close(stop)
	wg.Wait()
	out := c.M{}
	counts, errs := []int{}, map[string]bool{}
	for _, m := range members {
		counts = append(counts, len(m.assigned))
		for _, e := range m.errors {
			errs[e] = true
		}
	}
	sort.Ints(counts)
	out["assignment_counts"] = counts
	n := 0
	seen.Range(func(_, _ any) bool { n++; return true })
	out["consumed_distinct"] = n
	errList := []string{}
	for e := range errs {
		errList = append(errList, e)
	}
	sort.Strings(errList)
	out["poll_errors"] = errList
	commits := []string{}
	for i, m := range members {
		if len(m.assigned) == 0 {
			continue
		}
		offs := map[int32]kgo.EpochOffset{}
		for _, p := range m.assigned {
			offs[p] = kgo.EpochOffset{Epoch: -1, Offset: m.progress[p]}
		}
		ctx, cancel := timeout()
		res := "NONE"
		clients[i].CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{x.Topic: offs},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				if err != nil {
					res = c.ErrName(err)
					return
				}
				for _, t := range resp.Topics {
					for _, p := range t.Partitions {
						if p.ErrorCode != 0 {
							res = c.CodeName(p.ErrorCode)
						}
					}
				}
			})
		cancel()
		commits = append(commits, res)
	}
	sort.Strings(commits)
	out["commits"] = commits
	for _, cl := range clients {
		cl.LeaveGroup()
		cl.Close()
	}
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := timeout()
	defer cancel()
	if offs, err := adm.FetchOffsets(ctx, gid); err != nil {
		out["committed"] = c.ErrName(err)
	} else {
		committed := c.M{}
		offs.Each(func(o kadm.OffsetResponse) {
			if o.Topic == x.Topic {
				committed[itoa(o.Partition)] = o.At
			}
		})
		out["committed"] = committed
	}
	return out, nil
}

func itoa(p int32) string {
	return string(rune('0' + p)) // partitions of the scenarios are single digits
}

func groupState(adm *kadm.Client, gid string) c.M {
	ctx, cancel := timeout()
	defer cancel()
	ds, err := adm.DescribeGroups(ctx, gid)
	if err != nil {
		return c.M{"error": c.ErrName(err)}
	}
	g := ds[gid]
	members := []int{}
	for _, m := range g.Members {
		n := 0
		if ca, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range ca.Topics {
				n += len(t.Partitions)
			}
		}
		members = append(members, n)
	}
	sort.Ints(members)
	return c.M{"state": g.State, "protocol_type": g.ProtocolType, "assignor": g.Protocol, "members": members,
		"error": c.ErrName(g.Err)}
}

func groupAdmin(x *c.Ctx) (any, error) {
	parts := 2 // the runner creates this scenario's topic with 2 partitions
	for p := 0; p < parts; p++ {
		if _, err := produce(x, x.Data.GroupRecords(p), int32(p)); err != nil {
			return nil, err
		}
	}
	gid := x.Topic + "-g"
	adm, acl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer acl.Close()
	cl, err := client(x, kgo.ConsumerGroup(gid), kgo.ConsumeTopics(x.Topic), kgo.DisableAutoCommit(),
		kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	out := c.M{}
	got, want := 0, parts*x.Data.Group.PerPartition
	end := time.Now().Add(c.OpTimeout)
	for got < want && time.Now().Before(end) {
		ctx, cancel := context.WithDeadline(context.Background(), end)
		fs := cl.PollFetches(ctx)
		cancel()
		got += fs.NumRecords()
	}
	out["consumed"] = got
	ctx, cancel := timeout()
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		out["commit"] = c.ErrName(err)
	} else {
		out["commit"] = "NONE"
	}
	cancel()
	ctx, cancel = timeout()
	if gs, err := adm.ListGroups(ctx); err != nil {
		out["listed"] = c.ErrName(err)
	} else {
		_, ok := gs[gid]
		out["listed"] = ok
	}
	cancel()
	out["while_member"] = groupState(adm, gid)
	cl.LeaveGroup()
	cl.Close()
	out["after_close"] = groupState(adm, gid)
	ctx, cancel = timeout()
	defer cancel()
	if offs, err := adm.FetchOffsets(ctx, gid); err != nil {
		out["offsets"] = c.ErrName(err)
	} else {
		o := c.M{}
		offs.Each(func(r kadm.OffsetResponse) {
			if r.Topic == x.Topic {
				o["t/"+itoa(r.Partition)] = r.At
			}
		})
		out["offsets"] = o
	}
	del := func() string {
		ctx, cancel := timeout()
		defer cancel()
		rs, err := adm.DeleteGroups(ctx, gid)
		if err != nil {
			return c.ErrName(err)
		}
		return c.ErrName(rs[gid].Err)
	}
	out["delete"] = del()
	out["delete_again"] = del()
	out["after_delete"] = groupState(adm, gid)
	out["never_existed"] = groupState(adm, gid+"-none")
	return out, nil
}

func transactions(x *c.Ctx) (any, error) {
	recs := x.Data.TransactionRecords()
	cl, err := client(x, kgo.TransactionalID(x.Topic+"-txn"), kgo.TransactionTimeout(10*time.Second))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := c.M{}
	if err := cl.BeginTransaction(); err != nil {
		out["begin"] = c.ErrName(err)
		return out, nil
	}
	ctx, cancel := timeout()
	defer cancel()
	batch := []*kgo.Record{}
	for _, r := range recs {
		batch = append(batch, record(x.Topic, 0, r))
	}
	if err := cl.ProduceSync(ctx, batch...).FirstErr(); err != nil {
		out["produce"] = c.ErrName(err)
		_ = cl.EndTransaction(ctx, kgo.TryAbort)
		return out, nil
	}
	out["produce"] = "NONE"
	out["commit"] = c.ErrName(cl.EndTransaction(ctx, kgo.TryCommit))
	consumed, err := consume(x, len(recs), kgo.NewOffset().At(0), c.OpTimeout, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	out["consumed"] = consumed
	adm := kadm.NewClient(cl)
	if s, err := adm.ListStartOffsets(ctx, x.Topic); err == nil {
		e, _ := adm.ListEndOffsets(ctx, x.Topic)
		so, _ := s.Lookup(x.Topic, 0)
		eo, _ := e.Lookup(x.Topic, 0)
		out["watermarks"] = []int64{so.Offset, eo.Offset}
	}
	return out, nil
}

func errorUnknownTopic(x *c.Ctx) (any, error) {
	v := "v"
	res, err := produce(x, []c.Rec{{Key: &v, Value: &v, TS: 1700000000000}}, 0, kgo.UnknownTopicRetries(2))
	if err != nil {
		return c.M{"client": c.ErrName(err)}, nil
	}
	return c.M{"delivery": res[0]}, nil
}

func errorInvalidTopic(x *c.Ctx) (any, error) {
	bad := x.Data.InvalidTopic
	adm, cl, err := admin(x)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := timeout()
	defer cancel()
	out := c.M{}
	if r, err := adm.CreateTopic(ctx, 1, 1, nil, bad); err != nil {
		out["create"] = c.ErrName(err)
	} else {
		out["create"] = c.ErrName(r.Err)
	}
	v := "v"
	bx := *x
	bx.Topic = bad
	res, err := produce(&bx, []c.Rec{{Key: &v, Value: &v, TS: 1700000000000}}, 0, kgo.UnknownTopicRetries(2))
	if err != nil {
		out["produce"] = c.ErrName(err)
	} else {
		out["produce"] = res[0]
	}
	return out, nil
}

func errorFutureTimestamp(x *c.Ctx) (any, error) {
	k, v := "future", "timestamp in the year 2100"
	res, err := produce(x, []c.Rec{{Key: &k, Value: &v, TS: x.Data.FutureTimestamp}}, 0)
	if err != nil {
		return nil, err
	}
	return c.M{"delivery": res[0]}, nil
}

func errorOutOfRange(x *c.Ctx) (any, error) {
	d := x.Data.OutOfRange
	if _, err := produce(x, x.Data.OutOfRangeRecords(), 0); err != nil {
		return nil, err
	}
	out := c.M{}
	got, err := consume(x, 1, kgo.NewOffset().At(d.FetchOffset), 5*time.Second, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	if err != nil {
		return nil, err
	}
	out["no_reset"] = got
	got, err = consume(x, 1, kgo.NewOffset().At(d.FetchOffset), c.OpTimeout, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	out["reset_earliest"] = got
	return out, nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/twmb/franz-go" {
				return m.Version
			}
		}
	}
	return "unknown"
}

func main() {
	c.Run(version(), map[string]func(*c.Ctx) (any, error){
		"roundtrip": func(x *c.Ctx) (any, error) {
			return roundtrip(x, x.Data.Roundtrip, kgo.DisableIdempotentWrite())
		},
		"headers": func(x *c.Ctx) (any, error) {
			return roundtrip(x, x.Data.Headers, kgo.DisableIdempotentWrite())
		},
		"compression_gzip":   compression(kgo.GzipCompression()),
		"compression_snappy": compression(kgo.SnappyCompression()),
		"compression_lz4":    compression(kgo.Lz4Compression()),
		"compression_zstd":   compression(kgo.ZstdCompression()),
		"idempotent": func(x *c.Ctx) (any, error) {
			return roundtrip(x, x.Data.IdempotentRecords(), kgo.RequiredAcks(kgo.AllISRAcks()))
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
