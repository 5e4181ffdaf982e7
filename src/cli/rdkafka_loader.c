/* rdkafka_loader.c: fills the trampolines' pointers from librdkafka (see rdkafka_loader.h). */
#include "cli/rdkafka_loader.h"

#include <stdio.h>

#ifdef GREGOR_RDKAFKA_TRAMPOLINES
#include <dlfcn.h>
#include <stdlib.h>

#define RDKAFKA_LIBRARY "librdkafka.so.1"

/* Until loaded, every pointer leads here: calling librdkafka before gr_rdkafka_load is a bug. */
static void not_loaded(void) {
    fputs("gregor: internal error: librdkafka called before it was loaded\n", stderr);
    abort();
}

#define RDK(name) __attribute__((visibility("hidden"))) void (*gr_rdk_ptr_##name)(void) = not_loaded;
#include "cli/rdkafka_symbols.h"
#undef RDK

typedef struct slot {
    const char *name;
    void (**ptr)(void);
} slot;

static const slot slots[] = {
#define RDK(name) {#name, &gr_rdk_ptr_##name},
#include "cli/rdkafka_symbols.h"
#undef RDK
};

int gr_rdkafka_load(char *err, size_t err_size) {
    static int loaded;
    if (loaded) return 0;
    void *lib = dlopen(RDKAFKA_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, err_size, "cannot load %s: %s (install librdkafka)", RDKAFKA_LIBRARY, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        void *f = dlsym(lib, slots[i].name);
        if (!f) {
            snprintf(err, err_size, "%s lacks %s: librdkafka is too old", RDKAFKA_LIBRARY, slots[i].name);
            return -1;
        }
        *(void **)slots[i].ptr = f;
    }
    loaded = 1;
    return 0;
}

#else

int gr_rdkafka_load(char *err, size_t err_size) {
    (void)err;
    (void)err_size;
    return 0;
}

#endif
