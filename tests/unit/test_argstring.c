/*
 * test_argstring.c - argstring.h: word splitting, "-name value" pairs,
 * shell quoting and Rundeck durations.
 *
 * split:
 *   split_on_blanks                    spaces, tabs and newlines separate words
 *   split_groups_double_quotes         "a b" is one word, marked quoted
 *   split_groups_single_quotes         'a b' is one word, marked quoted
 *   split_doubled_quote_is_literal     'it''s' and "say ""hi""" hold one quote
 *   split_other_quote_is_plain         "it's" keeps the single quote
 *   split_joins_quoted_part_of_word    pre"x y"post is one word
 *   split_keeps_empty_quoted_word      "" is a word of its own
 *   split_empty_line_has_no_words      "" and "   " give no words
 *   split_rejects_unterminated_double  error text names the line and quote
 *   split_rejects_unterminated_single  the same for a single quote
 * options:
 *   options_read_name_value_pairs      -env prod -msg 'a b'
 *   options_repeated_name_makes_list   -a x -a y -a z
 *   options_name_without_value_empty   "-a -b" gives a="" and b=""
 *   options_quoted_dash_is_value       -x "-y" gives x="-y"
 *   options_negative_number_is_value   -n -5 gives n="-5"
 *   options_reject_bare_word           error text names the word
 *   argstring_parse_reports_split      unterminated quote error passes through
 * shell_quote:
 *   quote_leaves_safe_text_plain       letters, digits and @%+=:,./_-
 *   quote_wraps_unsafe_text            blanks and ; in '...'
 *   quote_escapes_single_quote         it's becomes 'it'\''s'
 *   quote_empty_text                   '' for ""
 * duration_parse:
 *   duration_sums_units                "1h 30m" is 5400
 *   duration_trailing_digits_seconds   "120" is 120
 *   duration_digits_before_blank_zero  "90 s" is 0
 *   duration_units_without_blanks      "2d3h", "1w", "1y", "5m10"
 *   duration_unknown_unit_ignored      "10x" is 0
 *   duration_without_digits_fails      "", "abc" and "h" return false
 */
#include <check.h>
#include <stdlib.h>

#include "argstring.h"
#include "unit_helpers.h"

/* ---- split ---------------------------------------------------------------- */

START_TEST(split_on_blanks)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("  echo\thello \n world  ", &words, &err), 0);
	ck_assert_uint_eq(words.len, 3);
	ck_assert_str_eq(words.words[0].text, "echo");
	ck_assert_str_eq(words.words[1].text, "hello");
	ck_assert_str_eq(words.words[2].text, "world");
	ck_assert(!words.words[0].quoted);
	ck_assert(!words.words[2].quoted);
	args_release(&words);
}
END_TEST

START_TEST(split_groups_double_quotes)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("echo \"a  b\" c", &words, &err), 0);
	ck_assert_uint_eq(words.len, 3);
	ck_assert_str_eq(words.words[1].text, "a  b");
	ck_assert(words.words[1].quoted);
	ck_assert(!words.words[2].quoted);
	args_release(&words);
}
END_TEST

START_TEST(split_groups_single_quotes)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("'a b' c", &words, &err), 0);
	ck_assert_uint_eq(words.len, 2);
	ck_assert_str_eq(words.words[0].text, "a b");
	ck_assert(words.words[0].quoted);
	args_release(&words);
}
END_TEST

START_TEST(split_doubled_quote_is_literal)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("'it''s' \"say \"\"hi\"\"\"", &words, &err), 0);
	ck_assert_uint_eq(words.len, 2);
	ck_assert_str_eq(words.words[0].text, "it's");
	ck_assert_str_eq(words.words[1].text, "say \"hi\"");
	args_release(&words);
}
END_TEST

START_TEST(split_other_quote_is_plain)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("\"it's\" 'a \"b\"'", &words, &err), 0);
	ck_assert_uint_eq(words.len, 2);
	ck_assert_str_eq(words.words[0].text, "it's");
	ck_assert_str_eq(words.words[1].text, "a \"b\"");
	args_release(&words);
}
END_TEST

START_TEST(split_joins_quoted_part_of_word)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("pre\"x y\"post next", &words, &err), 0);
	ck_assert_uint_eq(words.len, 2);
	ck_assert_str_eq(words.words[0].text, "prex ypost");
	ck_assert(words.words[0].quoted);
	ck_assert(!words.words[1].quoted);
	args_release(&words);
}
END_TEST

START_TEST(split_keeps_empty_quoted_word)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("a \"\" ''", &words, &err), 0);
	ck_assert_uint_eq(words.len, 3);
	ck_assert_str_eq(words.words[1].text, "");
	ck_assert(words.words[1].quoted);
	ck_assert_str_eq(words.words[2].text, "");
	args_release(&words);
}
END_TEST

START_TEST(split_empty_line_has_no_words)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("", &words, &err), 0);
	ck_assert_uint_eq(words.len, 0);
	args_release(&words);
	ck_assert_int_eq(args_split(" \t ", &words, &err), 0);
	ck_assert_uint_eq(words.len, 0);
	args_release(&words);
}
END_TEST

START_TEST(split_rejects_unterminated_double)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("echo \"abc", &words, &err), JF_INVALID);
	ck_assert_int_eq(err.code, JF_INVALID);
	ck_assert_str_eq(err.message, "unterminated double quote in 'echo \"abc': close it with \"");
	ck_assert_uint_eq(words.len, 0);
	ck_assert_ptr_null(words.words);
}
END_TEST

START_TEST(split_rejects_unterminated_single)
{
	struct arg_list words = ARG_LIST_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(args_split("a 'it''s", &words, &err), JF_INVALID);
	ck_assert_str_eq(err.message, "unterminated single quote in 'a 'it''s': close it with '");
	ck_assert_uint_eq(words.len, 0);
}
END_TEST

/* ---- args_to_options -------------------------------------------------------- */

/* Split line and read its options, failing the test on any error. */
static json_t *options_of(const char *line)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_msg(argstring_parse(line, &obj, &err) == 0, "argstring_parse: %s", err.message);
	return obj;
}

START_TEST(options_read_name_value_pairs)
{
	json_t *obj = options_of("-env prod -msg 'a b'");

	ck_assert_uint_eq(json_object_size(obj), 2);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "env")), "prod");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "msg")), "a b");
	json_decref(obj);
}
END_TEST

START_TEST(options_repeated_name_makes_list)
{
	json_t *obj = options_of("-a x -a y -b z -a w");
	json_t *list = json_object_get(obj, "a");

	ck_assert(json_is_array(list));
	ck_assert_uint_eq(json_array_size(list), 3);
	ck_assert_str_eq(json_string_value(json_array_get(list, 0)), "x");
	ck_assert_str_eq(json_string_value(json_array_get(list, 1)), "y");
	ck_assert_str_eq(json_string_value(json_array_get(list, 2)), "w");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "b")), "z");
	json_decref(obj);
}
END_TEST

START_TEST(options_name_without_value_empty)
{
	json_t *obj = options_of("-a -b");

	ck_assert_uint_eq(json_object_size(obj), 2);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "a")), "");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "b")), "");
	json_decref(obj);
}
END_TEST

START_TEST(options_quoted_dash_is_value)
{
	json_t *obj = options_of("-x \"-y\" -z '-w'");

	ck_assert_uint_eq(json_object_size(obj), 2);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "x")), "-y");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "z")), "-w");
	json_decref(obj);
}
END_TEST

START_TEST(options_negative_number_is_value)
{
	json_t *obj = options_of("-n -5");

	ck_assert_uint_eq(json_object_size(obj), 1);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "n")), "-5");
	json_decref(obj);
}
END_TEST

START_TEST(options_reject_bare_word)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(argstring_parse("-a 1 stray", &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message,
			 "unexpected 'stray' in the request: write options as -NAME VALUE");
}
END_TEST

START_TEST(argstring_parse_reports_split)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(argstring_parse("-a 'x", &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message, "unterminated single quote in '-a 'x': close it with '");
}
END_TEST

/* ---- shell_quote ------------------------------------------------------------ */

/* Return shell_quote(text) in a new string. */
static char *quoted(const char *text)
{
	struct strbuf sb = STRBUF_INIT;

	shell_quote(&sb, text);
	return sb_detach(&sb, NULL);
}

static void check_quote(const char *text, const char *expected)
{
	char *out = quoted(text);

	ck_assert_str_eq(out, expected);
	free(out);
}

START_TEST(quote_leaves_safe_text_plain)
{
	check_quote("abc123", "abc123");
	check_quote("a@b%c+d=e:f,g.h/i_j-k", "a@b%c+d=e:f,g.h/i_j-k");
}
END_TEST

START_TEST(quote_wraps_unsafe_text)
{
	check_quote("a b", "'a b'");
	check_quote("hi; touch x", "'hi; touch x'");
	check_quote("$HOME", "'$HOME'");
	check_quote("a\"b", "'a\"b'");
}
END_TEST

START_TEST(quote_escapes_single_quote)
{
	check_quote("it's", "'it'\\''s'");
}
END_TEST

START_TEST(quote_empty_text)
{
	check_quote("", "''");
}
END_TEST

/* ---- duration_parse --------------------------------------------------------- */

/* Parse text, check the return value, and return the seconds. */
static int64_t duration_of(const char *text)
{
	int64_t seconds = -1;

	ck_assert_msg(duration_parse(text, &seconds), "duration_parse(\"%s\") returned false",
		      text);
	return seconds;
}

START_TEST(duration_sums_units)
{
	ck_assert_int_eq(duration_of("1h 30m"), 5400);
	ck_assert_int_eq(duration_of("1h30m15s"), 5415);
}
END_TEST

START_TEST(duration_trailing_digits_seconds)
{
	ck_assert_int_eq(duration_of("120"), 120);
	ck_assert_int_eq(duration_of("5m10"), 310);
}
END_TEST

START_TEST(duration_digits_before_blank_zero)
{
	ck_assert_int_eq(duration_of("90 s"), 0);
	ck_assert_int_eq(duration_of("1h 30 m"), 3600);
}
END_TEST

START_TEST(duration_units_without_blanks)
{
	ck_assert_int_eq(duration_of("2d3h"), 2 * 86400 + 3 * 3600);
	ck_assert_int_eq(duration_of("1w"), 7 * 86400);
	ck_assert_int_eq(duration_of("1y"), 365 * 86400);
}
END_TEST

START_TEST(duration_unknown_unit_ignored)
{
	ck_assert_int_eq(duration_of("10x"), 0);
	ck_assert_int_eq(duration_of("10x 5s"), 5);
}
END_TEST

START_TEST(duration_without_digits_fails)
{
	int64_t seconds = -1;

	ck_assert(!duration_parse("", &seconds));
	ck_assert(!duration_parse("abc", &seconds));
	ck_assert(!duration_parse("h", &seconds));
	ck_assert_int_eq(seconds, 0);
}
END_TEST

static Suite *argstring_suite(void)
{
	Suite *s = suite_create("argstring");
	TCase *split = tcase_create("split");
	TCase *options = tcase_create("options");
	TCase *quote = tcase_create("shell_quote");
	TCase *duration = tcase_create("duration");

	tcase_add_test(split, split_on_blanks);
	tcase_add_test(split, split_groups_double_quotes);
	tcase_add_test(split, split_groups_single_quotes);
	tcase_add_test(split, split_doubled_quote_is_literal);
	tcase_add_test(split, split_other_quote_is_plain);
	tcase_add_test(split, split_joins_quoted_part_of_word);
	tcase_add_test(split, split_keeps_empty_quoted_word);
	tcase_add_test(split, split_empty_line_has_no_words);
	tcase_add_test(split, split_rejects_unterminated_double);
	tcase_add_test(split, split_rejects_unterminated_single);
	suite_add_tcase(s, split);

	tcase_add_test(options, options_read_name_value_pairs);
	tcase_add_test(options, options_repeated_name_makes_list);
	tcase_add_test(options, options_name_without_value_empty);
	tcase_add_test(options, options_quoted_dash_is_value);
	tcase_add_test(options, options_negative_number_is_value);
	tcase_add_test(options, options_reject_bare_word);
	tcase_add_test(options, argstring_parse_reports_split);
	suite_add_tcase(s, options);

	tcase_add_test(quote, quote_leaves_safe_text_plain);
	tcase_add_test(quote, quote_wraps_unsafe_text);
	tcase_add_test(quote, quote_escapes_single_quote);
	tcase_add_test(quote, quote_empty_text);
	suite_add_tcase(s, quote);

	tcase_add_test(duration, duration_sums_units);
	tcase_add_test(duration, duration_trailing_digits_seconds);
	tcase_add_test(duration, duration_digits_before_blank_zero);
	tcase_add_test(duration, duration_units_without_blanks);
	tcase_add_test(duration, duration_unknown_unit_ignored);
	tcase_add_test(duration, duration_without_digits_fails);
	suite_add_tcase(s, duration);
	return s;
}

int main(void)
{
	return run_suite(argstring_suite());
}
