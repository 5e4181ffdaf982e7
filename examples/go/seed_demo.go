// The libgregor seed demo in Go, through cgo.
//
//	CGO_CFLAGS=-I<dir of gregor_client.h> CGO_LDFLAGS=-L<dir of libgregor.so> go build   (absolute dirs)
//	./libgregor-seed-demo BOOTSTRAP
//
// (or CGO_CFLAGS/CGO_LDFLAGS from `pkg-config --cflags --libs gregor-client` after `make install`).
//
// Creates topics animals and plants, produces keyed records with a header, reads their delivery
// reports, consumes everything in group dyalog with a manual commit (growing its buffers when
// libgregor reports they are too small), checks that the group's lag table shows 0, reads
// everything again in a second group, and deletes the topics. Exits 0 when every check holds.
package main

/*
#cgo LDFLAGS: -lgregor
#include <stdlib.h>
#include "gregor_client.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

const (
	timeoutMs          = 10000
	consumeAttemptsMax = 60
)

type record struct{ topic, key, value string }

var records = []record{
	{"animals", "cat", "meows"}, {"animals", "dog", "barks"}, {"animals", "emu", "runs"},
	{"animals", "fox", "yips"}, {"animals", "gnu", "grazes"}, {"animals", "yak", "grunts"},
	{"plants", "fern", "uncurls"}, {"plants", "oak", "grows slowly"}, {"plants", "ivy", "climbs"},
	{"plants", "moss", "spreads"},
}

// nativeOrder is the host byte order, which header blocks use.
var nativeOrder binary.ByteOrder = func() binary.ByteOrder {
	probe := uint16(1)
	if *(*byte)(unsafe.Pointer(&probe)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "seed_demo.go: "+format+"\n", args...)
	os.Exit(1)
}

func message(rc C.int32_t) string {
	buf := make([]byte, 256)
	C.gregor_error_message(rc, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	return cString(buf)
}

// check exits with the code's text unless rc is GREGOR_OK.
func check(rc C.int32_t, what string) {
	if rc != C.GREGOR_OK {
		fail("%s: %s (%d)", what, message(rc), int32(rc))
	}
}

// cString is the text up to the first NUL of buf.
func cString(buf []byte) string {
	if i := strings.IndexByte(string(buf), 0); i >= 0 {
		return string(buf[:i])
	}
	return string(buf)
}

// pointer is the address of a buffer's first byte, or nil for an empty one.
func pointer(buf []byte) unsafe.Pointer {
	if len(buf) == 0 {
		return nil
	}
	return unsafe.Pointer(&buf[0])
}

// newClient makes a producer, consumer or admin handle from configuration pairs.
func newClient(kind, bootstrap, group string) C.int64_t {
	var config C.int64_t
	check(C.gregor_config_new(&config), "config")
	defer C.gregor_close(config)
	errstr := make([]byte, 256)
	errPtr, errSize := (*C.char)(pointer(errstr)), C.size_t(len(errstr))
	settings := [][2]string{{"bootstrap.servers", bootstrap}}
	if group != "" {
		settings = append(settings, [2]string{"group.id", group}, [2]string{"enable.auto.commit", "false"},
			[2]string{"auto.offset.reset", "earliest"})
	}
	for _, kv := range settings {
		key, value := C.CString(kv[0]), C.CString(kv[1])
		rc := C.gregor_config_set(config, key, value, errPtr, errSize)
		C.free(unsafe.Pointer(key))
		C.free(unsafe.Pointer(value))
		if rc != C.GREGOR_OK {
			fail("config %s: %s", kv[0], cString(errstr))
		}
	}
	var handle C.int64_t
	var rc C.int32_t
	switch kind {
	case "producer":
		rc = C.gregor_producer_new(config, &handle, errPtr, errSize)
	case "consumer":
		rc = C.gregor_consumer_new(config, &handle, errPtr, errSize)
	default:
		rc = C.gregor_admin_new(config, &handle, errPtr, errSize)
	}
	if rc != C.GREGOR_OK {
		fail("%s: %s", kind, cString(errstr))
	}
	return handle
}

func produceAll(bootstrap string) {
	producer := newClient("producer", bootstrap, "")
	headers := make([]byte, 64)
	var headersLen C.size_t
	name, value := C.CString("origin"), C.CString("seed")
	check(C.gregor_header_append(pointer(headers), C.size_t(len(headers)), &headersLen, name,
		unsafe.Pointer(value), 4), "header")
	C.free(unsafe.Pointer(name))
	C.free(unsafe.Pointer(value))
	ids := map[int64]record{}
	for _, r := range records {
		topic := C.CString(r.topic)
		key, payload := []byte(r.key), []byte(r.value)
		var id C.int64_t
		rc := C.gregor_produce(producer, topic, C.GREGOR_PARTITION_ANY, pointer(key), C.size_t(len(key)),
			pointer(payload), C.size_t(len(payload)), pointer(headers), headersLen, &id)
		C.free(unsafe.Pointer(topic))
		check(rc, "produce")
		ids[int64(id)] = r
	}
	check(C.gregor_flush(producer, timeoutMs), "flush")
	for range records {
		var id, offset C.int64_t
		var errorCode, partition C.int32_t
		check(C.gregor_delivery_poll(producer, timeoutMs, &id, &errorCode, &partition, &offset), "delivery report")
		r, known := ids[int64(id)]
		if !known {
			fail("delivery report for unknown message id %d", int64(id))
		}
		check(errorCode, "delivery")
		fmt.Printf("delivered %s/%s -> %s [%d] @ %d\n", r.key, r.value, r.topic, int32(partition), int64(offset))
	}
	check(C.gregor_close(producer), "close producer")
}

// parseHeaders reads a header block: per entry uint32 name length, uint32 value length (host
// order, 0xFFFFFFFF for a null value), name, value.
func parseHeaders(block []byte) map[string]string {
	headers := map[string]string{}
	for len(block) >= 8 {
		nameLen, valueLen := nativeOrder.Uint32(block), nativeOrder.Uint32(block[4:])
		block = block[8:]
		name := string(block[:nameLen])
		block = block[nameLen:]
		if valueLen == C.GREGOR_HEADER_NULL_VALUE {
			headers[name] = ""
			continue
		}
		headers[name] = string(block[:valueLen])
		block = block[valueLen:]
	}
	return headers
}

func consumeAll(bootstrap, group string) {
	consumer := newClient("consumer", bootstrap, group)
	topics := C.CString("animals,plants")
	check(C.gregor_subscribe(consumer, topics), "subscribe")
	C.free(unsafe.Pointer(topics))
	// Deliberately small buffers: libgregor reports the sizes and keeps the message.
	topic, key, payload, headers := make([]byte, 4), make([]byte, 2), make([]byte, 2), []byte{}
	seen, grown := map[record]bool{}, 0
	for attempt := 0; len(seen) < len(records) && attempt < consumeAttemptsMax; attempt++ {
		var topicLen, headersLen C.size_t
		var partition C.int32_t
		var offset, keyLen, payloadLen, timestamp C.int64_t
		rc := C.gregor_consume(consumer, 1000, (*C.char)(pointer(topic)), C.size_t(len(topic)), &topicLen,
			&partition, &offset, pointer(key), C.size_t(len(key)), &keyLen, pointer(payload),
			C.size_t(len(payload)), &payloadLen, &timestamp, pointer(headers), C.size_t(len(headers)), &headersLen)
		if rc == C.GREGOR_ERR_TIMED_OUT {
			continue
		}
		if rc == C.GREGOR_ERR_BUFFER_TOO_SMALL {
			topic, key, payload = make([]byte, topicLen), make([]byte, keyLen), make([]byte, payloadLen)
			headers = make([]byte, headersLen)
			grown++
			attempt-- // the same message comes again
			continue
		}
		check(rc, "consume")
		r := record{cString(topic), string(key[:keyLen]), string(payload[:payloadLen])}
		found := false
		for _, want := range records {
			found = found || want == r
		}
		if !found {
			fail("unexpected record %v in [%d] @ %d", r, int32(partition), int64(offset))
		}
		if h := parseHeaders(headers[:headersLen]); len(h) != 1 || h["origin"] != "seed" {
			fail("wrong headers for key %s: %v", r.key, h)
		}
		if timestamp <= 0 {
			fail("no timestamp for key %s", r.key)
		}
		seen[r] = true
		fmt.Printf("%s consumed %s [%d] @ %d: %s = %s\n", group, r.topic, int32(partition), int64(offset), r.key,
			r.value)
	}
	if len(seen) < len(records) {
		fail("%s read %d of %d records", group, len(seen), len(records))
	}
	if grown == 0 {
		fail("the small buffers were never reported too small")
	}
	check(C.gregor_commit(consumer, 0), "commit")
	plants := C.CString("plants")
	var committed C.int64_t
	check(C.gregor_committed(consumer, plants, 0, timeoutMs, &committed), "committed")
	C.free(unsafe.Pointer(plants))
	fmt.Printf("%s committed plants [0] at %d\n", group, int64(committed))
	check(C.gregor_close(consumer), "close consumer")
}

// textOut calls a function that writes text into (out, out_size, out_len), growing out once.
func textOut(what string, call func(out *C.char, size C.size_t, outLen *C.size_t) C.int32_t) string {
	out := make([]byte, 64)
	var outLen C.size_t
	rc := call((*C.char)(pointer(out)), C.size_t(len(out)), &outLen)
	if rc == C.GREGOR_ERR_BUFFER_TOO_SMALL {
		out = make([]byte, outLen)
		rc = call((*C.char)(pointer(out)), C.size_t(len(out)), &outLen)
	}
	check(rc, what)
	return cString(out)
}

func checkLag(admin C.int64_t, group string) {
	name := C.CString(group)
	defer C.free(unsafe.Pointer(name))
	table := textOut("describe group", func(out *C.char, size C.size_t, outLen *C.size_t) C.int32_t {
		return C.gregor_group_describe(admin, name, timeoutMs, out, size, outLen)
	})
	fmt.Printf("lag of %s:\n%s", group, table)
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")[1:] // after: group, state, members
	committedTotal := 0
	for _, line := range lines {
		fields := strings.Split(line, "\t")
		if len(fields) != 5 {
			fail("bad lag line: %q", line)
		}
		if fields[4] != "0" {
			fail("%s [%s] lags by %s", fields[0], fields[1], fields[4])
		}
		committed, err := strconv.Atoi(fields[2])
		if err != nil {
			fail("bad committed offset in %q", line)
		}
		committedTotal += committed
	}
	if committedTotal != len(records) {
		fail("committed offsets add up to %d, not %d", committedTotal, len(records))
	}
	fmt.Printf("lag of %s is 0 on all %d partitions\n", group, len(lines))
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: libgregor-seed-demo BOOTSTRAP")
	}
	bootstrap := os.Args[1]
	fmt.Printf("libgregor %s on librdkafka %s\n", C.GoString(C.gregor_version()), C.GoString(C.gregor_rdkafka_version()))
	admin := newClient("admin", bootstrap, "")
	errstr := make([]byte, 256)
	errPtr, errSize := (*C.char)(pointer(errstr)), C.size_t(len(errstr))
	for _, t := range []struct {
		name       string
		partitions int
	}{{"animals", 3}, {"plants", 2}} {
		name := C.CString(t.name)
		rc := C.gregor_topic_create(admin, name, C.int32_t(t.partitions), -1, timeoutMs, errPtr, errSize)
		C.free(unsafe.Pointer(name))
		if rc != C.GREGOR_OK {
			fail("create %s: %s", t.name, cString(errstr))
		}
	}
	topics := textOut("list topics", func(out *C.char, size C.size_t, outLen *C.size_t) C.int32_t {
		return C.gregor_topics_list(admin, timeoutMs, out, size, outLen)
	})
	fmt.Printf("topics:\n%s", topics)
	if !strings.Contains(topics, "animals\t3\n") || !strings.Contains(topics, "plants\t2\n") {
		fail("topics missing from the list")
	}

	produceAll(bootstrap)
	consumeAll(bootstrap, "dyalog")
	checkLag(admin, "dyalog")
	consumeAll(bootstrap, "dyalog-again")
	checkLag(admin, "dyalog-again")

	for _, t := range []string{"animals", "plants"} {
		name := C.CString(t)
		rc := C.gregor_topic_delete(admin, name, timeoutMs, errPtr, errSize)
		C.free(unsafe.Pointer(name))
		if rc != C.GREGOR_OK {
			fail("delete %s: %s", t, cString(errstr))
		}
	}
	check(C.gregor_close(admin), "close admin")
	fmt.Println("seed demo passed")
}
