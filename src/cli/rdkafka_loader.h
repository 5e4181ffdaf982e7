/*
 * rdkafka_loader.h: librdkafka is loaded when a client tool starts, not when the broker does.
 *
 * The broker and the tools are one program. Linking librdkafka normally would map it, and
 * OpenSSL and SASL behind it, into every broker process (over a megabyte of resident memory
 * for code the broker never runs). Instead each librdkafka function the tools call is a tiny
 * trampoline (rdkafka_trampolines.S) that jumps through a pointer; gr_rdkafka_load() fills the
 * pointers with dlopen/dlsym before any tool runs. Where trampolines are not available for the
 * CPU, the build links librdkafka directly and gr_rdkafka_load() does nothing.
 */
#ifndef GREGOR_CLI_RDKAFKA_LOADER_H
#define GREGOR_CLI_RDKAFKA_LOADER_H

#include <stddef.h>

/* Returns 0, or -1 with a message in err (library missing or too old). */
int gr_rdkafka_load(char *err, size_t err_size);

#endif
