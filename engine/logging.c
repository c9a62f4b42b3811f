/* logging.c - one line per message, to stderr or syslog. */
#include "logging.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static bool use_syslog;
static FILE *log_file;
static int level_max = LOG_INFO;

void logging_to_file(const char *path, int max_level)
{
	FILE *f = fopen(path, "ae");

	level_max = max_level;
	use_syslog = false;
	if (!f)
		return;
	setvbuf(f, NULL, _IOLBF, 0);
	log_file = f;
}

void logging_init(bool to_syslog, int max_level)
{
	use_syslog = to_syslog;
	level_max = max_level;
	if (to_syslog)
		openlog("jobfs", LOG_PID, LOG_DAEMON);
}

static const char *level_word(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void log_msg(int level, const char *fmt, ...)
{
	char text[2048];
	char when[32];
	va_list ap;

	if (level > level_max)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (use_syslog) {
		syslog(level, "%s", text);
		return;
	}
	format_utc(now_ms(), when);
	fprintf(log_file ? log_file : stderr, "%s jobfs[%d] %s: %s\n", when, (int)getpid(),
		level_word(level), text);
}
