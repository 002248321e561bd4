/* Diagnostics for people, on stderr.  The CLI sets the level from -v/-q;
 * library code may log progress and warnings (such as "KVM launch failed,
 * retrying under TCG") but reports failures only through struct v2c_error. */
#ifndef V2C_LOG_H
#define V2C_LOG_H

enum v2c_log_level {
        V2C_LOG_ERROR = 0,
        V2C_LOG_WARNING = 1,
        V2C_LOG_INFO = 2,
        V2C_LOG_DEBUG = 3,
};

void v2c_log_set_level(enum v2c_log_level level);
enum v2c_log_level v2c_log_get_level(void);
void v2c_log(enum v2c_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define v2c_warn(...) v2c_log(V2C_LOG_WARNING, __VA_ARGS__)
#define v2c_info(...) v2c_log(V2C_LOG_INFO, __VA_ARGS__)
#define v2c_debug(...) v2c_log(V2C_LOG_DEBUG, __VA_ARGS__)

#endif
