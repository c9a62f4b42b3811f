/*
 * util.h - growable strings, error reports and small file helpers shared by
 * every engine module.
 *
 * Error convention: functions return 0 on success and a nonzero enum jf_code
 * on failure, and fill a caller-owned struct jf_error whose first message
 * wins. The FUSE layer maps codes to errno values in one place.
 */
#ifndef JOBFS_UTIL_H
#define JOBFS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum jf_code {
	JF_OK = 0,
	JF_INVALID,   /* bad input: definition, request, option value */
	JF_NOT_FOUND, /* no such job or execution */
	JF_REFUSED,   /* a policy refusal: not resumable, kill of a finished run */
	JF_BUSY,      /* the execution is still running */
	JF_IO,        /* a system call or the database failed */
};

/* A report of the first failure: message, and a source position when known. */
struct jf_error {
	enum jf_code code;
	int line;   /* 1-based, 0 when unknown */
	int column; /* 1-based, 0 when unknown */
	char message[1024];
};

#define JF_ERROR_INIT { JF_OK, 0, 0, "" }

/* Record a failure unless one is already recorded; returns code. */
int jf_fail(struct jf_error *err, enum jf_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like jf_fail, with a source line and column. */
int jf_fail_at(struct jf_error *err, enum jf_code code, int line, int column,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void jf_error_clear(struct jf_error *err);

/* A growable NUL-terminated byte string. Binary data may contain NULs. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_reset(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *sb_detach(struct strbuf *sb, size_t *len);
void sb_release(struct strbuf *sb);
/* The contents as a C string; "" when nothing was added. */
const char *sb_str(const struct strbuf *sb);

/* Allocation that aborts on exhaustion: the daemon cannot recover from it. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wall-clock time in milliseconds since the epoch. */
int64_t now_ms(void);
/* Monotonic time in milliseconds. */
int64_t mono_ms(void);
/* Format ms since the epoch as "2025-01-05T10:00:09Z" into out (>= 21 bytes). */
void format_utc(int64_t ms, char out[32]);

/*
 * Write data to path atomically: a temporary file in the same folder, fsync,
 * rename, then fsync of the folder. mode applies to the new file.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      bool sync, struct jf_error *err);
/* Read a whole file; returns 0 or an errno value. */
int read_file(const char *path, struct strbuf *out);
/* mkdir -p with mode for the created folders; returns 0 or an errno value. */
int mkdir_p(const char *path, mode_t mode);

bool str_ends_with(const char *s, const char *suffix);
bool str_is_blank(const char *s, size_t len);
/* Parse a decimal int64 that spans the whole string. */
bool parse_int64(const char *s, int64_t *out);

#endif
