/*
 * test_logstore.c - logstore.h: ID.rdlog in Rundeck's text/x-rundeck-log-v2.0
 * format and the plain ID.log, written to a temporary folder.
 *
 * Dates in the rdlog are checked for their shape and then replaced by
 * "DATE", so that whole files can be compared exactly.
 *
 * rdlog:
 *   rdlog_header_and_end               first line the format, last line ^END^
 *   rdlog_line_without_meta            four pipes: ^DATE||||text^
 *   rdlog_line_with_meta_and_level     ^DATE||ERROR|{node=localhost|step=1}|text^
 *   rdlog_events_have_no_message       ^DATE|stepbegin||{...}|^
 *   rdlog_escapes_caret_and_backslash  ^ and \ get a backslash
 *   rdlog_drops_trailing_cr            "line\r" is written as "line"
 *   rdlog_keeps_multiline_message      raw newlines inside one event
 *   rdlog_every_level_name             WARN, VERBOSE, DEBUG
 * plain log:
 *   plain_log_has_lines                text and a newline per line
 *   flush_returns_plain_size           exec_log_flush and exec_log_size
 *   reopen_appends_without_header      a log cut short by a crash is continued
 *   open_reports_missing_folder        NULL, JF_IO and the path
 * helpers:
 *   escape_meta_specials               = | } and \ get a backslash
 *   path_names_id_and_suffix           DIR/ID.SUFFIX
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "logstore.h"
#include "unit_helpers.h"

static char *tmp_dir;

static void setup(void)
{
	tmp_dir = temp_dir_create();
}

static void teardown(void)
{
	temp_dir_remove(tmp_dir);
	tmp_dir = NULL;
}

static struct exec_log *open_log(int64_t id)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_log *log = exec_log_open(tmp_dir, id, &err);

	ck_assert_msg(log != NULL, "exec_log_open: %s", err.message);
	return log;
}

static void add_line(struct exec_log *log, enum log_level level, const char *meta,
		     const char *text)
{
	exec_log_line(log, level, meta, text, strlen(text));
}

static char *read_log(int64_t id, const char *suffix)
{
	char *path = logstore_path(tmp_dir, id, suffix);
	char *text = read_text(path);

	free(path);
	return text;
}

/*
 * Read ID.rdlog and replace the date of each event with "DATE", after
 * checking that it is a UTC second. Lines that start no event stay as
 * they are.
 */
static char *read_rdlog(int64_t id)
{
	char *text = read_log(id, "rdlog");
	struct strbuf out = STRBUF_INIT;
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);
		const char *bar = memchr(line, '|', len);

		if (line[0] == '^' && bar && bar - line == 21) {
			ck_assert_msg(is_utc_second(line + 1, 20), "bad date in %.*s", (int)len,
				      line);
			sb_adds(&out, "^DATE");
			sb_add(&out, bar, len - 21);
		} else {
			sb_add(&out, line, len);
		}
		line += len;
	}
	free(text);
	return sb_detach(&out, NULL);
}

/* Write the lines given by fill into execution 1 and compare its rdlog. */
static void check_rdlog(void (*fill)(struct exec_log *log), const char *events)
{
	struct exec_log *log = open_log(1);
	char *expected = xasprintf("^text/x-rundeck-log-v2.0^\n%s^END^\n", events);
	char *actual;

	fill(log);
	ck_assert_int_eq(exec_log_close(log, true), 0);
	actual = read_rdlog(1);
	ck_assert_str_eq(actual, expected);
	free(actual);
	free(expected);
}

/* ---- rdlog ---------------------------------------------------------------------- */

static void fill_nothing(struct exec_log *log)
{
	(void)log;
}

START_TEST(rdlog_header_and_end)
{
	check_rdlog(fill_nothing, "");
}
END_TEST

static void fill_plain_line(struct exec_log *log)
{
	add_line(log, LEVEL_NORMAL, NULL, "hello");
	add_line(log, LEVEL_NORMAL, "", "empty meta");
}

START_TEST(rdlog_line_without_meta)
{
	check_rdlog(fill_plain_line, "^DATE||||hello^\n^DATE||||empty meta^\n");
}
END_TEST

static void fill_meta_line(struct exec_log *log)
{
	add_line(log, LEVEL_ERROR, "node=localhost|step=1|stepctx=1|user=alice", "boom");
}

START_TEST(rdlog_line_with_meta_and_level)
{
	check_rdlog(fill_meta_line,
		    "^DATE||ERROR|{node=localhost|step=1|stepctx=1|user=alice}|boom^\n");
}
END_TEST

static void fill_events(struct exec_log *log)
{
	exec_log_event(log, "stepbegin", "node=localhost|step=1|stepctx=1");
	add_line(log, LEVEL_NORMAL, "node=localhost|step=1|stepctx=1", "out");
	exec_log_event(log, "stepend", "node=localhost|step=1|stepctx=1");
	exec_log_event(log, "nodebegin", NULL);
}

START_TEST(rdlog_events_have_no_message)
{
	check_rdlog(fill_events, "^DATE|stepbegin||{node=localhost|step=1|stepctx=1}|^\n"
				 "^DATE|||{node=localhost|step=1|stepctx=1}|out^\n"
				 "^DATE|stepend||{node=localhost|step=1|stepctx=1}|^\n"
				 "^DATE|nodebegin|||^\n");
}
END_TEST

static void fill_specials(struct exec_log *log)
{
	add_line(log, LEVEL_NORMAL, NULL, "cost is 5^2 in C:\\dir");
	add_line(log, LEVEL_NORMAL, NULL, "^^\\");
}

START_TEST(rdlog_escapes_caret_and_backslash)
{
	check_rdlog(fill_specials, "^DATE||||cost is 5\\^2 in C:\\\\dir^\n"
				   "^DATE||||\\^\\^\\\\^\n");
}
END_TEST

static void fill_crlf(struct exec_log *log)
{
	add_line(log, LEVEL_NORMAL, NULL, "windows line\r");
	add_line(log, LEVEL_NORMAL, NULL, "inner\rcr");
	add_line(log, LEVEL_NORMAL, NULL, "\r");
}

START_TEST(rdlog_drops_trailing_cr)
{
	check_rdlog(fill_crlf, "^DATE||||windows line^\n"
			       "^DATE||||inner\rcr^\n"
			       "^DATE||||^\n");
}
END_TEST

static void fill_multiline(struct exec_log *log)
{
	add_line(log, LEVEL_NORMAL, NULL, "first\nsecond");
}

START_TEST(rdlog_keeps_multiline_message)
{
	check_rdlog(fill_multiline, "^DATE||||first\nsecond^\n");
}
END_TEST

static void fill_levels(struct exec_log *log)
{
	add_line(log, LEVEL_WARN, NULL, "w");
	add_line(log, LEVEL_VERBOSE, NULL, "v");
	add_line(log, LEVEL_DEBUG, NULL, "d");
}

START_TEST(rdlog_every_level_name)
{
	check_rdlog(fill_levels, "^DATE||WARN||w^\n^DATE||VERBOSE||v^\n^DATE||DEBUG||d^\n");
}
END_TEST

/* ---- plain log -------------------------------------------------------------------- */

START_TEST(plain_log_has_lines)
{
	struct exec_log *log = open_log(7);
	char *plain;

	add_line(log, LEVEL_NORMAL, "node=localhost", "one");
	exec_log_event(log, "stepbegin", "step=2");
	add_line(log, LEVEL_ERROR, NULL, "two ^ \\");
	add_line(log, LEVEL_NORMAL, NULL, "");
	ck_assert_int_eq(exec_log_close(log, false), 0);
	plain = read_log(7, "log");
	ck_assert_str_eq(plain, "one\ntwo ^ \\\n\n");
	free(plain);
}
END_TEST

START_TEST(flush_returns_plain_size)
{
	struct exec_log *log = open_log(3);

	ck_assert_int_eq(exec_log_size(log), 0);
	add_line(log, LEVEL_NORMAL, NULL, "abc");
	ck_assert_int_eq(exec_log_flush(log), 4);
	ck_assert_int_eq(exec_log_size(log), 4);
	add_line(log, LEVEL_NORMAL, NULL, "de");
	ck_assert_int_eq(exec_log_flush(log), 7);
	ck_assert_int_eq(exec_log_close(log, false), 0);
}
END_TEST

/* Write text to DIR/ID.SUFFIX, as a run cut short by a crash leaves it. */
static void write_log(int64_t id, const char *suffix, const char *text)
{
	struct jf_error err = JF_ERROR_INIT;
	char *path = logstore_path(tmp_dir, id, suffix);

	ck_assert_int_eq(write_file_atomic(path, text, strlen(text), 0640, false, &err), 0);
	free(path);
}

START_TEST(reopen_appends_without_header)
{
	struct exec_log *log;
	char *rdlog, *plain;

	write_log(5, "rdlog", "^text/x-rundeck-log-v2.0^\n^2025-01-05T10:00:00Z||||before^\n");
	write_log(5, "log", "before\n");
	log = open_log(5);
	ck_assert_int_eq(exec_log_size(log), 7);
	add_line(log, LEVEL_NORMAL, NULL, "after");
	ck_assert_int_eq(exec_log_close(log, false), 0);

	rdlog = read_rdlog(5);
	plain = read_log(5, "log");
	ck_assert_str_eq(rdlog, "^text/x-rundeck-log-v2.0^\n"
				"^DATE||||before^\n"
				"^DATE||||after^\n"
				"^END^\n");
	ck_assert_str_eq(plain, "before\nafter\n");
	free(plain);
	free(rdlog);
}
END_TEST

START_TEST(open_reports_missing_folder)
{
	struct jf_error err = JF_ERROR_INIT;
	char *dir = xasprintf("%s/missing", tmp_dir);
	char *expected = xasprintf("unable to open '%s/9.log': No such file or directory", dir);

	ck_assert_ptr_null(exec_log_open(dir, 9, &err));
	ck_assert_int_eq(err.code, JF_IO);
	ck_assert_str_eq(err.message, expected);
	free(expected);
	free(dir);
}
END_TEST

/* ---- helpers ---------------------------------------------------------------------- */

START_TEST(escape_meta_specials)
{
	struct strbuf out = STRBUF_INIT;

	rdlog_escape_meta(&out, "a=b|c}d\\e{f");
	ck_assert_str_eq(sb_str(&out), "a\\=b\\|c\\}d\\\\e{f");
	sb_reset(&out);
	rdlog_escape_meta(&out, "plain");
	ck_assert_str_eq(sb_str(&out), "plain");
	sb_release(&out);
}
END_TEST

START_TEST(path_names_id_and_suffix)
{
	char *path = logstore_path("/var/log/jobfs", 42, "state.json");

	ck_assert_str_eq(path, "/var/log/jobfs/42.state.json");
	free(path);
}
END_TEST

static Suite *logstore_suite(void)
{
	Suite *s = suite_create("logstore");
	TCase *rdlog = tcase_create("rdlog");
	TCase *plain = tcase_create("plain");
	TCase *helpers = tcase_create("helpers");

	tcase_add_checked_fixture(rdlog, setup, teardown);
	tcase_add_test(rdlog, rdlog_header_and_end);
	tcase_add_test(rdlog, rdlog_line_without_meta);
	tcase_add_test(rdlog, rdlog_line_with_meta_and_level);
	tcase_add_test(rdlog, rdlog_events_have_no_message);
	tcase_add_test(rdlog, rdlog_escapes_caret_and_backslash);
	tcase_add_test(rdlog, rdlog_drops_trailing_cr);
	tcase_add_test(rdlog, rdlog_keeps_multiline_message);
	tcase_add_test(rdlog, rdlog_every_level_name);
	suite_add_tcase(s, rdlog);

	tcase_add_checked_fixture(plain, setup, teardown);
	tcase_add_test(plain, plain_log_has_lines);
	tcase_add_test(plain, flush_returns_plain_size);
	tcase_add_test(plain, reopen_appends_without_header);
	tcase_add_test(plain, open_reports_missing_folder);
	suite_add_tcase(s, plain);

	tcase_add_test(helpers, escape_meta_specials);
	tcase_add_test(helpers, path_names_id_and_suffix);
	suite_add_tcase(s, helpers);
	return s;
}

int main(void)
{
	return run_suite(logstore_suite());
}
