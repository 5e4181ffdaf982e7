// Package common is the plumbing the Go client drivers of the compatibility suite share: command
// line, scenario data (tests/compat/scenario_data.json), the record builders (same rules as
// tests/compat/drivers/common.py), and the output contract: a {"version": ...} line, then one JSON
// line per scenario with its observable results.
package common

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// OpTimeout bounds every client call and wait inside a scenario.
const OpTimeout = 15 * time.Second

// Skip marks a scenario this client cannot express; the runner reports it as n/a.
type Skip struct{ Why string }

func (s Skip) Error() string { return s.Why }

// Ctx is what a scenario gets: the broker, its topic and the scenario data.
type Ctx struct {
	Bootstrap string
	Prefix    string
	Topic     string
	Data      Data
}

// Rec is one record to send.
type Rec struct {
	Key     *string     `json:"key"`
	Value   *string     `json:"value"`
	TS      int64       `json:"ts"`
	Headers [][]*string `json:"headers"`
}

// Data mirrors the parts of scenario_data.json the Go drivers use.
type Data struct {
	Roundtrip   []Rec `json:"roundtrip"`
	Headers     []Rec `json:"headers"`
	Compression struct {
		Count        int    `json:"count"`
		KeyPrefix    string `json:"key_prefix"`
		ValuePrefix  string `json:"value_prefix"`
		Filler       string `json:"filler"`
		FillerRepeat int    `json:"filler_repeat"`
		TS           int64  `json:"ts"`
	} `json:"compression"`
	Idempotent struct {
		Count       int    `json:"count"`
		KeyPrefix   string `json:"key_prefix"`
		ValuePrefix string `json:"value_prefix"`
		TS          int64  `json:"ts"`
	} `json:"idempotent"`
	ListOffsets struct {
		TS       int64   `json:"ts"`
		TSDeltas []int64 `json:"ts_deltas"`
		QueryTS  int64   `json:"query_ts"`
		FutureTS int64   `json:"future_ts"`
	} `json:"list_offsets"`
	Group struct {
		Partitions   int   `json:"partitions"`
		PerPartition int   `json:"per_partition"`
		Members      int   `json:"members"`
		TS           int64 `json:"ts"`
	} `json:"group"`
	Transactions struct {
		Count int   `json:"count"`
		TS    int64 `json:"ts"`
	} `json:"transactions"`
	OutOfRange struct {
		Count       int   `json:"count"`
		TS          int64 `json:"ts"`
		FetchOffset int64 `json:"fetch_offset"`
	} `json:"out_of_range"`
	TopicConfigs      map[string]string `json:"topic_configs"`
	AlterConfigs      map[string]string `json:"alter_configs"`
	DescribedDefaults []string          `json:"described_defaults"`
	Admin             struct {
		Partitions    int32             `json:"partitions"`
		NewPartitions int               `json:"new_partitions"`
		Configs       map[string]string `json:"configs"`
	} `json:"admin"`
	InvalidTopic    string `json:"invalid_topic"`
	FutureTimestamp int64  `json:"future_timestamp"`
}

func str(s string) *string { return &s }

func simple(n int, ts func(int) int64, key, value func(int) string) []Rec {
	out := make([]Rec, n)
	for i := range out {
		out[i] = Rec{Key: str(key(i)), Value: str(value(i)), TS: ts(i)}
	}
	return out
}

// CompressionRecords and the others build the generated record sets.
func (d Data) CompressionRecords() []Rec {
	c := d.Compression
	filler := strings.Repeat(c.Filler, c.FillerRepeat)
	return simple(c.Count, func(int) int64 { return c.TS },
		func(i int) string { return fmt.Sprintf("%s%d", c.KeyPrefix, i) },
		func(i int) string { return fmt.Sprintf("%s%d-%s", c.ValuePrefix, i, filler) })
}

func (d Data) IdempotentRecords() []Rec {
	c := d.Idempotent
	return simple(c.Count, func(i int) int64 { return c.TS + int64(i) },
		func(i int) string { return fmt.Sprintf("%s%d", c.KeyPrefix, i) },
		func(i int) string { return fmt.Sprintf("%s%d", c.ValuePrefix, i) })
}

func (d Data) ListOffsetsRecords() []Rec {
	c := d.ListOffsets
	return simple(len(c.TSDeltas), func(i int) int64 { return c.TS + c.TSDeltas[i] },
		func(i int) string { return fmt.Sprintf("t%d", i) },
		func(i int) string { return fmt.Sprintf("at +%d ms", c.TSDeltas[i]) })
}

func (d Data) TransactionRecords() []Rec {
	c := d.Transactions
	return simple(c.Count, func(i int) int64 { return c.TS + int64(i) },
		func(i int) string { return fmt.Sprintf("tx%d", i) },
		func(i int) string { return fmt.Sprintf("txn-%d", i) })
}

func (d Data) OutOfRangeRecords() []Rec {
	c := d.OutOfRange
	return simple(c.Count, func(i int) int64 { return c.TS + int64(i) },
		func(i int) string { return fmt.Sprintf("r%d", i) },
		func(i int) string { return fmt.Sprintf("r-%d", i) })
}

// GroupRecords are the records of one partition of the group scenarios.
func (d Data) GroupRecords(p int) []Rec {
	c := d.Group
	return simple(c.PerPartition, func(j int) int64 { return c.TS + int64(p*10+j) },
		func(j int) string { return fmt.Sprintf("g-%d-%d", p, j) },
		func(j int) string { return fmt.Sprintf("group %d %d", p, j) })
}

// Bytes turns an optional string into the bytes a client sends (nil = null).
func Bytes(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// Text is the inverse of Bytes for what a client received.
func Text(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// M is a JSON object.
type M = map[string]any

// Record is the client-neutral view of one consumed record.
func Record(p int32, o int64, k, v []byte, headers [][2][]byte, ts int64, tt any) M {
	h := make([]any, 0, len(headers))
	for _, kv := range headers {
		h = append(h, []any{string(kv[0]), Text(kv[1])})
	}
	return M{"p": p, "o": o, "k": Text(k), "v": Text(v), "h": h, "ts": ts, "tt": tt}
}

// ErrName is the Kafka error name of err (kerr names; context deadline = "TIMEOUT").
func ErrName(err error) string {
	if err == nil {
		return "NONE"
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "context deadline exceeded") {
		return "TIMEOUT"
	}
	return err.Error()
}

// CodeName names a numeric Kafka error code.
func CodeName(code int16) string {
	if code == 0 {
		return "NONE"
	}
	if e := kerr.ErrorForCode(code); e != nil {
		var ke *kerr.Error
		if errors.As(e, &ke) {
			return ke.Message
		}
	}
	return fmt.Sprintf("CODE_%d", code)
}

// WaitUntil polls cond until it holds or the time is up.
func WaitUntil(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(M{"exception": "cannot encode result: " + err.Error()})
	}
	os.Stdout.Write(append(b, '\n'))
}

// Run parses the command line and runs the requested scenarios in order.
func Run(version string, scenarios map[string]func(*Ctx) (any, error)) {
	bootstrap := flag.String("bootstrap", "", "HOST:PORT")
	prefix := flag.String("prefix", "", "topic prefix")
	list := flag.String("scenarios", "", "comma-separated scenarios")
	dataPath := flag.String("data", "", "scenario_data.json")
	flag.Parse()
	raw, err := os.ReadFile(*dataPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := &Ctx{Bootstrap: *bootstrap, Prefix: *prefix}
	if err := json.Unmarshal(raw, &ctx.Data); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	emit(M{"version": version})
	for _, name := range strings.Split(*list, ",") {
		if name == "" {
			continue
		}
		ctx.Topic = *prefix + "-" + name
		fn, ok := scenarios[name]
		if !ok {
			emit(M{"scenario": name, "exception": "scenario not implemented by this driver"})
			continue
		}
		start := time.Now()
		res, err := runOne(fn, ctx)
		var skip Skip
		switch {
		case errors.As(err, &skip):
			emit(M{"scenario": name, "skipped": skip.Why})
		case err != nil:
			emit(M{"scenario": name, "exception": err.Error()})
		default:
			emit(M{"scenario": name, "result": res})
		}
		fmt.Fprintf(os.Stderr, "scenario %s took %.1fs\n", name, time.Since(start).Seconds())
	}
}

func runOne(fn func(*Ctx) (any, error), ctx *Ctx) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(ctx)
}
