/* logstore.c - append-only execution output in two forms: plain and rdlog. */
#include "logstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FLUSH_AT = 256 * 1024 };

struct exec_log {
	int plain_fd;
	int rdlog_fd;
	struct strbuf plain;
	struct strbuf rdlog;
	int64_t plain_size; /* bytes of ID.log written to the file */
	int64_t date_second;
	char date[32];
	bool failed;        /* a write failed; later writes are skipped */
};

static const char *const level_names[] = { "", "ERROR", "WARN", "VERBOSE", "DEBUG" };

char *logstore_path(const char *dir, int64_t id, const char *suffix)
{
	return xasprintf("%s/%lld.%s", dir, (long long)id, suffix);
}

static int open_append(const char *dir, int64_t id, const char *suffix, struct jf_error *err)
{
	char *path = logstore_path(dir, id, suffix);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		jf_fail(err, JF_IO, "unable to open '%s': %s", path, strerror(errno));
	free(path);
	return fd;
}

struct exec_log *exec_log_open(const char *dir, int64_t id, struct jf_error *err)
{
	struct exec_log *log = xcalloc(1, sizeof(*log));
	struct stat st;

	log->plain_fd = open_append(dir, id, "log", err);
	log->rdlog_fd = log->plain_fd < 0 ? -1 : open_append(dir, id, "rdlog", err);
	if (log->plain_fd < 0 || log->rdlog_fd < 0) {
		if (log->plain_fd >= 0)
			close(log->plain_fd);
		free(log);
		return NULL;
	}
	if (fstat(log->plain_fd, &st) == 0)
		log->plain_size = st.st_size;
	if (fstat(log->rdlog_fd, &st) == 0 && st.st_size == 0)
		sb_adds(&log->rdlog, "^text/x-rundeck-log-v2.0^\n");
	return log;
}

static const char *current_date(struct exec_log *log)
{
	int64_t ms = now_ms();

	if (ms / 1000 != log->date_second) {
		log->date_second = ms / 1000;
		format_utc(ms, log->date);
	}
	return log->date;
}

static void escape_message(struct strbuf *out, const char *text, size_t len)
{
	const char *start = text;

	sb_grow(out, len + 8);
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '^' && text[i] != '\\')
			continue;
		sb_add(out, start, (size_t)(text + i - start));
		sb_addc(out, '\\');
		start = text + i;
	}
	sb_add(out, start, (size_t)(text + len - start));
	/* A trailing carriage return is dropped, as Rundeck does. */
	if (out->len && out->buf[out->len - 1] == '\r')
		out->buf[--out->len] = '\0';
}

void rdlog_escape_meta(struct strbuf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '=' || *p == '|' || *p == '}' || *p == '\\')
			sb_addc(out, '\\');
		sb_addc(out, *p);
	}
}

static void add_event_head(struct exec_log *log, const char *type, enum log_level level,
			   const char *meta)
{
	struct strbuf *sb = &log->rdlog;

	sb_addc(sb, '^');
	sb_adds(sb, current_date(log));
	sb_addc(sb, '|');
	sb_adds(sb, type);
	sb_addc(sb, '|');
	sb_adds(sb, level_names[level]);
	sb_addc(sb, '|');
	if (meta && *meta) {
		sb_addc(sb, '{');
		sb_adds(sb, meta);
		sb_addc(sb, '}');
	}
	sb_addc(sb, '|');
}

void exec_log_line(struct exec_log *log, enum log_level level, const char *meta,
		   const char *text, size_t len)
{
	add_event_head(log, "", level, meta);
	escape_message(&log->rdlog, text, len);
	sb_add(&log->rdlog, "^\n", 2);
	sb_add(&log->plain, text, len);
	sb_addc(&log->plain, '\n');
	if (log->plain.len + log->rdlog.len >= FLUSH_AT)
		exec_log_flush(log);
}

void exec_log_event(struct exec_log *log, const char *type, const char *meta)
{
	add_event_head(log, type, LEVEL_NORMAL, meta);
	sb_add(&log->rdlog, "^\n", 2);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int64_t exec_log_flush(struct exec_log *log)
{
	if (!log->failed && log->rdlog.len)
		log->failed = write_all(log->rdlog_fd, log->rdlog.buf, log->rdlog.len) != 0;
	if (!log->failed && log->plain.len) {
		log->failed = write_all(log->plain_fd, log->plain.buf, log->plain.len) != 0;
		if (!log->failed)
			log->plain_size += (int64_t)log->plain.len;
	}
	sb_reset(&log->rdlog);
	sb_reset(&log->plain);
	return log->plain_size;
}

int64_t exec_log_size(const struct exec_log *log)
{
	return log->plain_size;
}

int exec_log_close(struct exec_log *log, bool sync)
{
	int rc = 0;

	sb_adds(&log->rdlog, "^END^\n");
	exec_log_flush(log);
	if (sync && (fsync(log->plain_fd) < 0 || fsync(log->rdlog_fd) < 0))
		rc = errno;
	if (log->failed)
		rc = EIO;
	close(log->plain_fd);
	close(log->rdlog_fd);
	sb_release(&log->plain);
	sb_release(&log->rdlog);
	free(log);
	return rc;
}
