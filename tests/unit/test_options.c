/*
 * test_options.c - options.h: run requests, option validation against a
 * job built from YAML, and the argstring recorded with an execution.
 *
 * request_parse:
 *   request_one_means_defaults         "1" gives an empty object
 *   request_blank_means_defaults       "", "  1\n" and "\n" give an empty object
 *   request_reads_json_object          strings kept, numbers and booleans as text
 *   request_json_list_of_strings       a list value stays a list
 *   request_rejects_truncated_json     error text names the column
 *   request_rejects_json_map_value     a nested object is not a value
 *   request_rejects_json_list_number   list items must be strings
 *   request_reads_argstring            -env prod -msg 'a b'
 *   request_rejects_nul_byte           a NUL inside the text
 * options_resolve:
 *   resolve_fills_defaults             options with a default get it
 *   resolve_keeps_given_value          a given value wins over the default
 *   resolve_requires_value             message names the missing option
 *   resolve_required_rejects_blank     a blank value does not satisfy required
 *   resolve_required_uses_default      a default satisfies required
 *   resolve_enforced_accepts_allowed   one of the values
 *   resolve_enforced_lists_allowed     message lists the allowed values
 *   resolve_enforced_rejects_no_value  an enforced option given "" says so
 *   request_rejects_json_list          a JSON list is not a request
 *   resolve_regex_anchored             ^[0-9]+$ rejects "12a"
 *   resolve_regex_matches_whole_value  \d+ without anchors rejects "12a" and "a12"
 *   resolve_rejects_unknown_option     message lists the job's options
 *   resolve_unknown_without_options    message says "none"
 *   resolve_joins_multivalued_list     values joined with the delimiter
 *   resolve_multivalued_checks_each    each value is checked on its own
 *   resolve_multivalued_text_split     "a;c" is split on the delimiter to check
 *   resolve_single_value_rejects_list  a list for a plain option
 * options_argstring:
 *   argstring_leaves_out_secure        secure options are not written
 *   argstring_quotes_values            values with blanks are quoted
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "unit_helpers.h"

/* Parse request text, failing the test on any error. */
static json_t *request_of(const char *text)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_msg(request_parse(text, strlen(text), &obj, &err) == 0, "request_parse: %s",
		      err.message);
	ck_assert_ptr_nonnull(obj);
	return obj;
}

static void check_empty_request(const char *text)
{
	json_t *obj = request_of(text);

	ck_assert_msg(json_is_object(obj), "request \"%s\" is not an object", text);
	ck_assert_uint_eq(json_object_size(obj), 0);
	json_decref(obj);
}

START_TEST(request_one_means_defaults)
{
	check_empty_request("1");
}
END_TEST

START_TEST(request_blank_means_defaults)
{
	check_empty_request("");
	check_empty_request("  1\n");
	check_empty_request("\n");
	check_empty_request("1\r\n");
}
END_TEST

START_TEST(request_reads_json_object)
{
	json_t *obj = request_of("{\"env\": \"prod\", \"count\": 3, \"dry\": true}\n");

	ck_assert_uint_eq(json_object_size(obj), 3);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "env")), "prod");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "count")), "3");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "dry")), "true");
	json_decref(obj);
}
END_TEST

START_TEST(request_json_list_of_strings)
{
	json_t *obj = request_of("{\"tags\": [\"a\", \"b\"]}");
	json_t *tags = json_object_get(obj, "tags");

	ck_assert(json_is_array(tags));
	ck_assert_uint_eq(json_array_size(tags), 2);
	ck_assert_str_eq(json_string_value(json_array_get(tags, 1)), "b");
	json_decref(obj);
}
END_TEST

START_TEST(request_rejects_truncated_json)
{
	const char *text = "{\"env\": \"prod\"";
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(request_parse(text, strlen(text), &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message,
			 "invalid JSON request at column 14: '}' expected near end of file; write "
			 "an object such as {\"env\": \"prod\"}");
}
END_TEST

START_TEST(request_rejects_json_map_value)
{
	const char *text = "{\"env\": {\"name\": \"prod\"}}";
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(request_parse(text, strlen(text), &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message,
			 "option 'env': a value must be a string, number, boolean or list of "
			 "strings");
}
END_TEST

START_TEST(request_rejects_json_list_number)
{
	const char *text = "{\"tags\": [\"a\", 2]}";
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(request_parse(text, strlen(text), &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message, "option 'tags': list items must be strings");
}
END_TEST

START_TEST(request_reads_argstring)
{
	json_t *obj = request_of("-env prod -msg 'a b'\n");

	ck_assert_uint_eq(json_object_size(obj), 2);
	ck_assert_str_eq(json_string_value(json_object_get(obj, "env")), "prod");
	ck_assert_str_eq(json_string_value(json_object_get(obj, "msg")), "a b");
	json_decref(obj);
}
END_TEST

START_TEST(request_rejects_nul_byte)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *obj = NULL;

	ck_assert_int_eq(request_parse("-a b\0c", 6, &obj, &err), JF_INVALID);
	ck_assert_ptr_null(obj);
	ck_assert_str_eq(err.message, "the request contains a NUL byte");
}
END_TEST

/* ---- options_resolve -------------------------------------------------------- */

static const char deploy_yaml[] =
	"- name: deploy\n"
	"  options:\n"
	"  - {name: env, value: dev, values: [dev, qa, prod], enforced: true}\n"
	"  - {name: count, regex: '^[0-9]+$'}\n"
	"  - {name: digits, regex: '\\d+'}\n"
	"  - {name: msg, value: hello}\n"
	"  - {name: target, required: true}\n"
	"  - {name: region, required: true, value: eu}\n"
	"  - {name: tags, multivalued: true, delimiter: ';', values: [a, b, c],"
	" enforced: true}\n"
	"  - {name: password, secure: true}\n"
	"  sequence:\n"
	"    commands:\n"
	"    - exec: echo ${option.env}\n";

/* Resolve request, a JSON text, against the deploy job and return the result code. */
static int resolve(const char *request, json_t **values, struct jf_error *err)
{
	struct job *job = job_from_yaml(deploy_yaml);
	json_error_t jerr;
	json_t *requested = json_loads(request, 0, &jerr);
	int rc;

	ck_assert_msg(requested != NULL, "bad test request: %s", jerr.text);
	rc = options_resolve(job, requested, values, err);
	json_decref(requested);
	job_free(job);
	return rc;
}

/* Resolve request and expect success. */
static json_t *resolved(const char *request)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *values = NULL;

	ck_assert_msg(resolve(request, &values, &err) == 0, "options_resolve: %s", err.message);
	ck_assert_ptr_nonnull(values);
	return values;
}

/* Resolve request and expect JF_INVALID with message. */
static void check_rejected(const char *request, const char *message)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *values = NULL;

	ck_assert_int_eq(resolve(request, &values, &err), JF_INVALID);
	ck_assert_ptr_null(values);
	ck_assert_str_eq(err.message, message);
}

static const char *value_of(const json_t *values, const char *name)
{
	return json_string_value(json_object_get(values, name));
}

START_TEST(resolve_fills_defaults)
{
	json_t *values = resolved("{\"target\": \"web\"}");

	ck_assert_str_eq(value_of(values, "env"), "dev");
	ck_assert_str_eq(value_of(values, "msg"), "hello");
	ck_assert_str_eq(value_of(values, "region"), "eu");
	ck_assert_ptr_null(json_object_get(values, "count"));
	ck_assert_ptr_null(json_object_get(values, "password"));
	ck_assert_uint_eq(json_object_size(values), 4);
	json_decref(values);
}
END_TEST

START_TEST(resolve_keeps_given_value)
{
	json_t *values = resolved("{\"target\": \"web\", \"env\": \"qa\", \"msg\": \"a b\"}");

	ck_assert_str_eq(value_of(values, "env"), "qa");
	ck_assert_str_eq(value_of(values, "msg"), "a b");
	json_decref(values);
}
END_TEST

START_TEST(resolve_requires_value)
{
	check_rejected("{}", "option 'target' is required: add -target VALUE to the request");
}
END_TEST

START_TEST(resolve_required_rejects_blank)
{
	check_rejected("{\"target\": \"\"}",
		       "option 'target' is required: add -target VALUE to the request");
}
END_TEST

START_TEST(resolve_required_uses_default)
{
	json_t *values = resolved("{\"target\": \"web\"}");

	ck_assert_str_eq(value_of(values, "region"), "eu");
	json_decref(values);
}
END_TEST

START_TEST(resolve_enforced_accepts_allowed)
{
	json_t *values = resolved("{\"target\": \"web\", \"env\": \"prod\"}");

	ck_assert_str_eq(value_of(values, "env"), "prod");
	json_decref(values);
}
END_TEST

START_TEST(resolve_enforced_lists_allowed)
{
	check_rejected("{\"target\": \"web\", \"env\": \"staging\"}",
		       "option 'env': 'staging' is not one of the allowed values dev, qa, prod");
}
END_TEST

START_TEST(resolve_enforced_rejects_no_value)
{
	check_rejected("{\"target\": \"web\", \"env\": \"\"}",
		       "option 'env' has no value: write -env VALUE");
}
END_TEST

START_TEST(request_rejects_json_list)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *out = NULL;

	ck_assert_int_eq(request_parse("[1,2]", 5, &out, &err), JF_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err.message, "a request is 1, -NAME VALUE pairs, or a JSON object such as "
				      "{\"env\": \"prod\"}, not a JSON list");
}
END_TEST

START_TEST(resolve_regex_anchored)
{
	json_t *values = resolved("{\"target\": \"web\", \"count\": \"42\"}");

	ck_assert_str_eq(value_of(values, "count"), "42");
	json_decref(values);
	check_rejected("{\"target\": \"web\", \"count\": \"12a\"}",
		       "option 'count': '12a' does not match the regex ^[0-9]+$");
}
END_TEST

START_TEST(resolve_regex_matches_whole_value)
{
	json_t *values = resolved("{\"target\": \"web\", \"digits\": \"123\"}");

	ck_assert_str_eq(value_of(values, "digits"), "123");
	json_decref(values);
	check_rejected("{\"target\": \"web\", \"digits\": \"12a\"}",
		       "option 'digits': '12a' does not match the regex \\d+");
	check_rejected("{\"target\": \"web\", \"digits\": \"a12\"}",
		       "option 'digits': 'a12' does not match the regex \\d+");
}
END_TEST

START_TEST(resolve_rejects_unknown_option)
{
	check_rejected("{\"target\": \"web\", \"colour\": \"red\"}",
		       "unknown option 'colour': the job's options are env, count, digits, msg, "
		       "target, region, tags, password");
}
END_TEST

START_TEST(resolve_unknown_without_options)
{
	struct job *job = job_from_yaml("- name: bare\n"
					"  sequence: {commands: [{exec: 'true'}]}\n");
	struct jf_error err = JF_ERROR_INIT;
	json_t *requested = json_pack("{s:s}", "env", "prod");
	json_t *values = NULL;

	ck_assert_int_eq(options_resolve(job, requested, &values, &err), JF_INVALID);
	ck_assert_ptr_null(values);
	ck_assert_str_eq(err.message, "unknown option 'env': the job's options are none");
	json_decref(requested);
	job_free(job);
}
END_TEST

START_TEST(resolve_joins_multivalued_list)
{
	json_t *values = resolved("{\"target\": \"web\", \"tags\": [\"a\", \"c\"]}");

	ck_assert_str_eq(value_of(values, "tags"), "a;c");
	json_decref(values);
}
END_TEST

START_TEST(resolve_multivalued_checks_each)
{
	check_rejected("{\"target\": \"web\", \"tags\": [\"a\", \"x\"]}",
		       "option 'tags': 'x' is not one of the allowed values a, b, c");
}
END_TEST

/*
 * A multivalued option given as one text (an argstring, a job reference's
 * args, or the joined value a resume or imported option carries) holds its
 * values joined by the delimiter. Rundeck splits such text on the
 * delimiter before it checks each value.
 */
START_TEST(resolve_multivalued_text_split)
{
	json_t *values = resolved("{\"target\": \"web\", \"tags\": \"a;c\"}");

	ck_assert_str_eq(value_of(values, "tags"), "a;c");
	json_decref(values);
	values = resolved("{\"target\": \"web\", \"tags\": \"b\"}");
	ck_assert_str_eq(value_of(values, "tags"), "b");
	json_decref(values);
	check_rejected("{\"target\": \"web\", \"tags\": \"a;x\"}",
		       "option 'tags': 'x' is not one of the allowed values a, b, c");
}
END_TEST

START_TEST(resolve_single_value_rejects_list)
{
	check_rejected("{\"target\": \"web\", \"env\": [\"dev\", \"qa\"]}",
		       "option 'env' takes one value, and the request gives 2");
}
END_TEST

/* ---- options_argstring ------------------------------------------------------ */

START_TEST(argstring_leaves_out_secure)
{
	struct job *job = job_from_yaml(deploy_yaml);
	json_t *values = json_pack("{s:s, s:s, s:s}", "env", "qa", "password", "hunter2",
				   "target", "web");
	char *line = options_argstring(job, values);

	ck_assert_str_eq(line, "-env qa -target web");
	ck_assert_ptr_null(strstr(line, "hunter2"));
	free(line);
	json_decref(values);
	job_free(job);
}
END_TEST

START_TEST(argstring_quotes_values)
{
	struct job *job = job_from_yaml(deploy_yaml);
	json_t *values = json_pack("{s:s, s:s}", "msg", "it's a b", "target", "");
	char *line = options_argstring(job, values);

	ck_assert_str_eq(line, "-msg 'it'\\''s a b' -target ''");
	free(line);
	json_decref(values);
	job_free(job);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *request = tcase_create("request_parse");
	TCase *resolve_case = tcase_create("options_resolve");
	TCase *argstring = tcase_create("options_argstring");

	tcase_add_test(request, request_one_means_defaults);
	tcase_add_test(request, request_blank_means_defaults);
	tcase_add_test(request, request_reads_json_object);
	tcase_add_test(request, request_json_list_of_strings);
	tcase_add_test(request, request_rejects_truncated_json);
	tcase_add_test(request, request_rejects_json_map_value);
	tcase_add_test(request, request_rejects_json_list_number);
	tcase_add_test(request, request_reads_argstring);
	tcase_add_test(request, request_rejects_nul_byte);
	suite_add_tcase(s, request);

	tcase_add_test(resolve_case, resolve_fills_defaults);
	tcase_add_test(resolve_case, resolve_keeps_given_value);
	tcase_add_test(resolve_case, resolve_requires_value);
	tcase_add_test(resolve_case, resolve_required_rejects_blank);
	tcase_add_test(resolve_case, resolve_required_uses_default);
	tcase_add_test(resolve_case, resolve_enforced_accepts_allowed);
	tcase_add_test(resolve_case, resolve_enforced_lists_allowed);
	tcase_add_test(resolve_case, resolve_enforced_rejects_no_value);
	tcase_add_test(resolve_case, request_rejects_json_list);
	tcase_add_test(resolve_case, resolve_regex_anchored);
	tcase_add_test(resolve_case, resolve_regex_matches_whole_value);
	tcase_add_test(resolve_case, resolve_rejects_unknown_option);
	tcase_add_test(resolve_case, resolve_unknown_without_options);
	tcase_add_test(resolve_case, resolve_joins_multivalued_list);
	tcase_add_test(resolve_case, resolve_multivalued_checks_each);
	tcase_add_test(resolve_case, resolve_multivalued_text_split);
	tcase_add_test(resolve_case, resolve_single_value_rejects_list);
	suite_add_tcase(s, resolve_case);

	tcase_add_test(argstring, argstring_leaves_out_secure);
	tcase_add_test(argstring, argstring_quotes_values);
	suite_add_tcase(s, argstring);
	return s;
}

int main(void)
{
	return run_suite(options_suite());
}
