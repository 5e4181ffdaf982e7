# Entry points; CMake does the building (build/), ctest and pytest do the testing.
# `make` builds build/gregor; `make run` installs what is missing and starts a broker on
# 127.0.0.1:9092 with data in ./data; `make test` installs, builds and runs every test.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
CMAKE_FLAGS ?=
# Seconds per fuzz target: `make fuzz`, and the shorter run inside `make test`.
FUZZ_SECONDS ?= 30
TEST_FUZZ_SECONDS ?= 10
PREFIX ?= /usr/local

.PHONY: all build install run test deps unit integration java asan fuzz format clean compat bench cluster cluster-asan asan-build soak

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# libgregor (libgregor.so, gregor_client.h, gregor-client.pc): make install PREFIX=/usr DESTDIR=pkg
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" --component libgregor

deps:
	@scripts/install-deps

run: deps build
	@mkdir -p data
	$(BUILD)/gregor broker config/server.properties

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan-build:
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DGREGOR_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

asan: asan-build
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

fuzz:
	@cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DGREGOR_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS)

integration: build
	@scripts/run-integration

compat: build
	@tests/compat/run

# ZooKeeper + three brokers per test (GREGOR_CLUSTER_IMPL=kafka-zk: Apache Kafka in ZooKeeper mode).
cluster: build
	@scripts/run-cluster-tests

# The failover tests again with brokers built with ASan+UBSan: a report in a broker's log fails.
cluster-asan: asan-build
	@GREGOR_BIN=$(CURDIR)/build-asan/gregor scripts/run-cluster-tests -k "kill or session or rolling or answers or zookeeper"

# Random fault rounds under an acks=all load for SOAK_SECONDS (600); exits 0 if nothing was lost.
soak: deps build
	@.venv/bin/python tests/cluster/soak.py

test: deps build unit asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)
	@$(MAKE) --no-print-directory integration compat cluster cluster-asan

# Gregor vs Apache Kafka vs a do-nothing sink; BENCH_ARGS=--quick for the short run (bench/run --help).
bench: deps build
	@bench/run $(BENCH_ARGS)

format:
	@find src tests/unit tests/fuzz -name '*.[ch]' -not -path 'src/proto/gen/*' -not -path 'tests/unit/gen/*' | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz
