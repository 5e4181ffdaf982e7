"""The benchmark harness behind bench/run: brokers, loads, measurements and the report."""
