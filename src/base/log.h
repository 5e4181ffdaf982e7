/*
 * log.h: one line per event, with time, level and subsystem:
 *   2026-11-24T10:00:00.123Z INFO  store  rolled segment orders-0/00000000000000001000
 */
#ifndef GREGOR_BASE_LOG_H
#define GREGOR_BASE_LOG_H

typedef enum { GR_LOG_DEBUG, GR_LOG_INFO, GR_LOG_WARN, GR_LOG_ERROR } gr_log_level;

void gr_log_set_level(gr_log_level level);
void gr_logf(gr_log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GR_DEBUG(sub, ...) gr_logf(GR_LOG_DEBUG, sub, __VA_ARGS__)
#define GR_INFO(sub, ...) gr_logf(GR_LOG_INFO, sub, __VA_ARGS__)
#define GR_WARN(sub, ...) gr_logf(GR_LOG_WARN, sub, __VA_ARGS__)
#define GR_ERROR(sub, ...) gr_logf(GR_LOG_ERROR, sub, __VA_ARGS__)

/* Invariant checks that stay on in release builds. */
#define GR_ASSERT(cond)                                                                                      \
    do {                                                                                                     \
        if (!(cond)) gr_assert_fail(#cond, __FILE__, __LINE__);                                              \
    } while (0)
_Noreturn void gr_assert_fail(const char *cond, const char *file, int line);

#endif
