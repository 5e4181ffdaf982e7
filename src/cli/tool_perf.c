/* tool_perf.c: gregor perf produce | consume -- the load generators our benchmarks use. */
#include <stddef.h>

#include "cli/tools.h"

int gr_tool_perf(int argc, char **argv) {
    static const gr_subcommand subs[] = {
        {"produce", gr_tool_perf_produce, "producer throughput and latency"},
        {"consume", gr_tool_perf_consume, "consumer throughput"},
        {NULL, NULL, NULL},
    };
    return gr_dispatch_sub("perf", "Load generators (like Kafka's perf-test tools).", subs, argc, argv);
}
