/*
 * rdkafka_trampolines.S: one jump per librdkafka function the tools call (x86-64).
 * A trampoline leaves every argument register untouched, so it serves any signature,
 * variadic functions included. See rdkafka_loader.h for why.
 */
#if defined(__x86_64__) && defined(GREGOR_RDKAFKA_TRAMPOLINES)
        .text
#define RDK(name)                                  \
        .globl name;                               \
        .hidden name;                              \
        .type name, @function;                     \
        .p2align 4;                                \
name:   jmp *gr_rdk_ptr_##name(%rip);              \
        .size name, .-name;
#include "cli/rdkafka_symbols.h"
#endif
        .section .note.GNU-stack,"",@progbits
