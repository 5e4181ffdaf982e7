/* dynlib.c: dlopen + dlsym of a function table (see dynlib.h). */
#include "connect/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

int gr_dynlib_load(const char *const *sonames, const char *package, const gr_dynsym *syms, size_t count,
                   char *err, size_t err_size) {
    void *lib = NULL;
    const char *why = "no library name";
    for (const char *const *n = sonames; *n && !lib; n++) {
        lib = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
        if (!lib) why = dlerror();
    }
    if (!lib) {
        snprintf(err, err_size, "cannot load %s: %s (install %s)", sonames[0], why, package);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        void *f = dlsym(lib, syms[i].name);
        if (!f) {
            snprintf(err, err_size, "%s lacks %s: %s is too old", sonames[0], syms[i].name, package);
            return -1;
        }
        *syms[i].slot = f;
    }
    return 0;
}
