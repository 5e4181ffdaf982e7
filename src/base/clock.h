/* clock.h: wall time (for record timestamps) and monotonic time (for deadlines), in ms and ns. */
#ifndef GREGOR_BASE_CLOCK_H
#define GREGOR_BASE_CLOCK_H

#include <stdint.h>

int64_t gr_wall_ms(void);
int64_t gr_mono_ms(void);
int64_t gr_mono_ns(void);

#endif
