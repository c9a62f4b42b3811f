/*
 * logstore.h - log storage: the folder, shared by cluster members, that
 * holds for each execution ID:
 *
 *   ID.rdlog        every output line with time, step and level, in
 *                   Rundeck's text/x-rundeck-log-v2.0 format
 *   ID.log          the same lines without prefixes: what executions/ID/log shows
 *   ID.state.json   the execution state, replaced atomically
 *   ID.resume.json  the resume state, mode 0600, replaced atomically
 *
 * Output files are append-only and written in whole events, so a crash
 * of jobfs can cut them short but never leaves half an event. An exec_log
 * is used by one thread at a time (the engine's loop, under its lock).
 */
#ifndef JOBFS_LOGSTORE_H
#define JOBFS_LOGSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum log_level {
	LEVEL_NORMAL,
	LEVEL_ERROR,
	LEVEL_WARN,
	LEVEL_VERBOSE,
	LEVEL_DEBUG,
};

struct exec_log;

/* Path of ID's file of the given suffix ("rdlog", "log"...), new string. */
char *logstore_path(const char *dir, int64_t id, const char *suffix);

/* Create ID.rdlog and ID.log (append if they exist, for a recovery). */
struct exec_log *exec_log_open(const char *dir, int64_t id, struct jf_error *err);

/*
 * Append an output line. meta is the rdlog metadata without braces
 * ("node=localhost|step=1|stepctx=1|user=root"), already escaped, or NULL.
 * The line goes to ID.log with a newline, and to ID.rdlog as one event.
 */
void exec_log_line(struct exec_log *log, enum log_level level, const char *meta,
		   const char *text, size_t len);
/* Append an rdlog event with no output text (stepbegin, stepend...). */
void exec_log_event(struct exec_log *log, const char *type, const char *meta);
/* Write buffered events; returns the size of ID.log written so far. */
int64_t exec_log_flush(struct exec_log *log);
int64_t exec_log_size(const struct exec_log *log);
/* Append ^END^, flush, optionally fsync, and free. */
int exec_log_close(struct exec_log *log, bool sync);

/* Escape an rdlog metadata value ("=", "|", "}" and "\"), appending to out. */
void rdlog_escape_meta(struct strbuf *out, const char *value);

#endif
