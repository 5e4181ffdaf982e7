module gregor.local/libgregor-seed-demo

go 1.19
