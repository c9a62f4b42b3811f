/*
 * logging.h - the daemon's own log: stderr in the foreground, syslog in
 * the background (or a file where no syslog daemon listens). Messages are lowercase, name the ids involved, and never
 * carry a secret.
 */
#ifndef JOBFS_LOGGING_H
#define JOBFS_LOGGING_H

#include <stdbool.h>
#include <syslog.h>

/* Choose the destination; messages above max_level (LOG_DEBUG...) are dropped. */
void logging_init(bool to_syslog, int max_level);
/* Append to a file instead, for a machine where nothing reads syslog. */
void logging_to_file(const char *path, int max_level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
