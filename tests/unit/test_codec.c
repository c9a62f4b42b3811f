/*
 * test_codec.c - codec.h for YAML and JSON: decoding, error positions,
 * scalar types, source positions of jobs, and export round trips.
 *
 * YAML decode:
 *   yaml_decodes_job_list              a list of job maps, nested values
 *   yaml_syntax_error_position         line, column and libyaml's problem
 *   yaml_bad_indent_error              "mapping values are not allowed"
 *   yaml_unterminated_quote_error      problem, context and context position
 *   yaml_duplicate_key_error           position of the second key
 *   yaml_second_document_error         "---" twice is rejected
 *   yaml_unknown_alias_error           *missing names the anchor
 *   yaml_booleans_and_strings          true is a boolean, "true" a string
 *   yaml_numbers                       42 integer, "42" string, 1.10 string
 *   yaml_null_words                    ~, null and an empty value are null
 *   yaml_block_scalars                 | and > bodies are strings
 *   yaml_anchors_and_aliases           an alias is an independent copy
 *   yaml_empty_document_is_null        "" decodes to null
 * JSON decode:
 *   json_decodes_job_list              an array of job objects
 *   json_syntax_error_position         line, column and jansson's text
 *   json_duplicate_key_error           duplicate keys are rejected
 * source map:
 *   srcmap_yaml_job_lines              each job map's line and column
 *   srcmap_json_job_lines              the same for JSON
 *   srcmap_unknown_node                a node that is not in the map
 * encode:
 *   yaml_round_trip_equal              encode then decode gives the same value
 *   json_round_trip_equal              the same for JSON
 *   yaml_export_sorts_keys             keys in byte order, quoting as needed
 *   json_export_sorts_keys             keys in byte order, two-space indent
 *   format_from_file_name              .yaml .yml .json .xml, case ignored
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "unit_helpers.h"

/* Decode text and expect success. */
static json_t *decoded(enum job_format format, const char *text, struct srcmap *map)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *root = NULL;

	ck_assert_msg(codec_decode(format, text, strlen(text), &root, map, &err) == 0,
		      "decode failed at %d:%d: %s", err.line, err.column, err.message);
	ck_assert_ptr_nonnull(root);
	return root;
}

/* Decode text and expect JF_INVALID at line:column with message. */
static void check_decode_error(enum job_format format, const char *text, int line, int column,
			       const char *message)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *root = NULL;

	ck_assert_int_eq(codec_decode(format, text, strlen(text), &root, NULL, &err), JF_INVALID);
	ck_assert_ptr_null(root);
	ck_assert_int_eq(err.line, line);
	ck_assert_int_eq(err.column, column);
	ck_assert_str_eq(err.message, message);
}

/* Return the first job of a decoded list. */
static json_t *first_job(json_t *root)
{
	ck_assert(json_is_array(root));
	ck_assert(json_is_object(json_array_get(root, 0)));
	return json_array_get(root, 0);
}

/* ---- YAML decode -------------------------------------------------------------- */

START_TEST(yaml_decodes_job_list)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- name: hello\n"
			       "  sequence:\n"
			       "    commands:\n"
			       "    - exec: echo hi\n"
			       "- name: second\n",
			       NULL);
	json_t *job = first_job(root);
	json_t *commands = json_object_get(json_object_get(job, "sequence"), "commands");

	ck_assert_uint_eq(json_array_size(root), 2);
	ck_assert_str_eq(json_string_value(json_object_get(job, "name")), "hello");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(commands, 0), "exec")),
			 "echo hi");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(root, 1), "name")),
			 "second");
	json_decref(root);
}
END_TEST

START_TEST(yaml_syntax_error_position)
{
	check_decode_error(FORMAT_YAML, "- name: a\n  sequence: [1, 2\n", 3, 1,
			   "invalid YAML: did not find expected ',' or ']', while parsing a flow "
			   "sequence at line 2, column 13");
}
END_TEST

START_TEST(yaml_bad_indent_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n   bad: x\n", 2, 7,
			   "invalid YAML: mapping values are not allowed in this context");
}
END_TEST

START_TEST(yaml_unterminated_quote_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n  b: \"unterminated\n", 3, 1,
			   "invalid YAML: found unexpected end of stream, while scanning a quoted "
			   "scalar at line 2, column 6");
}
END_TEST

START_TEST(yaml_duplicate_key_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n  group: g\n  name: b\n", 3, 3,
			   "invalid YAML: duplicate key 'name'");
}
END_TEST

START_TEST(yaml_second_document_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n---\n- name: b\n", 2, 1,
			   "invalid YAML: expected one document, found a second");
}
END_TEST

START_TEST(yaml_unknown_alias_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n  sequence: *missing\n", 2, 13,
			   "invalid YAML: unknown anchor 'missing'");
}
END_TEST

START_TEST(yaml_booleans_and_strings)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- a: true\n  b: 'true'\n  c: \"false\"\n  d: False\n  e: yes\n", NULL);
	json_t *job = first_job(root);

	ck_assert(json_is_true(json_object_get(job, "a")));
	ck_assert_str_eq(json_string_value(json_object_get(job, "b")), "true");
	ck_assert_str_eq(json_string_value(json_object_get(job, "c")), "false");
	ck_assert(json_is_false(json_object_get(job, "d")));
	ck_assert_str_eq(json_string_value(json_object_get(job, "e")), "yes");
	json_decref(root);
}
END_TEST

START_TEST(yaml_numbers)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- a: 42\n  b: '42'\n  c: 1.10\n  d: 010\n  e: -7\n  f: 1e3\n", NULL);
	json_t *job = first_job(root);

	ck_assert(json_is_integer(json_object_get(job, "a")));
	ck_assert_int_eq(json_integer_value(json_object_get(job, "a")), 42);
	ck_assert_str_eq(json_string_value(json_object_get(job, "b")), "42");
	ck_assert_str_eq(json_string_value(json_object_get(job, "c")), "1.10");
	ck_assert_str_eq(json_string_value(json_object_get(job, "d")), "010");
	ck_assert_int_eq(json_integer_value(json_object_get(job, "e")), -7);
	ck_assert_str_eq(json_string_value(json_object_get(job, "f")), "1e3");
	json_decref(root);
}
END_TEST

START_TEST(yaml_null_words)
{
	json_t *root = decoded(FORMAT_YAML, "- a: ~\n  b: null\n  c:\n  d: 'null'\n", NULL);
	json_t *job = first_job(root);

	ck_assert(json_is_null(json_object_get(job, "a")));
	ck_assert(json_is_null(json_object_get(job, "b")));
	ck_assert(json_is_null(json_object_get(job, "c")));
	ck_assert_str_eq(json_string_value(json_object_get(job, "d")), "null");
	json_decref(root);
}
END_TEST

START_TEST(yaml_block_scalars)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- script: |\n"
			       "    #!/bin/sh\n"
			       "    echo 42\n"
			       "  folded: >\n"
			       "    one\n"
			       "    two\n"
			       "  stripped: |-\n"
			       "    true\n",
			       NULL);
	json_t *job = first_job(root);

	ck_assert_str_eq(json_string_value(json_object_get(job, "script")), "#!/bin/sh\necho 42\n");
	ck_assert_str_eq(json_string_value(json_object_get(job, "folded")), "one two\n");
	ck_assert_str_eq(json_string_value(json_object_get(job, "stripped")), "true");
	json_decref(root);
}
END_TEST

START_TEST(yaml_anchors_and_aliases)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- name: a\n"
			       "  sequence: &seq\n"
			       "    commands:\n"
			       "    - exec: &cmd echo shared\n"
			       "- name: b\n"
			       "  sequence: *seq\n"
			       "  description: *cmd\n",
			       NULL);
	json_t *a = json_array_get(root, 0), *b = json_array_get(root, 1);
	json_t *seq_a = json_object_get(a, "sequence"), *seq_b = json_object_get(b, "sequence");

	ck_assert(json_equal(seq_a, seq_b));
	ck_assert_ptr_ne(seq_a, seq_b);
	ck_assert_str_eq(json_string_value(json_object_get(b, "description")), "echo shared");
	json_object_set_new(seq_b, "keepgoing", json_true());
	ck_assert_ptr_null(json_object_get(seq_a, "keepgoing"));
	json_decref(root);
}
END_TEST

START_TEST(yaml_merge_key_fills_missing)
{
	json_t *root = decoded(FORMAT_YAML,
			       "- &base\n"
			       "  name: a\n"
			       "  group: ops\n"
			       "  loglevel: INFO\n"
			       "- <<: *base\n"
			       "  name: b\n"
			       "- name: c\n"
			       "  <<: [{group: first}, {group: second, loglevel: DEBUG}]\n",
			       NULL);
	json_t *b = json_array_get(root, 1), *c = json_array_get(root, 2);

	ck_assert_str_eq(json_string_value(json_object_get(b, "name")), "b");
	ck_assert_str_eq(json_string_value(json_object_get(b, "group")), "ops");
	ck_assert_ptr_null(json_object_get(b, "<<"));
	ck_assert_str_eq(json_string_value(json_object_get(c, "group")), "first");
	ck_assert_str_eq(json_string_value(json_object_get(c, "loglevel")), "DEBUG");
	json_decref(root);
}
END_TEST

START_TEST(yaml_merge_of_scalar_error)
{
	check_decode_error(FORMAT_YAML, "- name: a\n  <<: 3\n", 2, 7,
			   "invalid YAML: '<<' merges a mapping or a list of them");
}
END_TEST

START_TEST(yaml_empty_document_is_null)
{
	json_t *root = decoded(FORMAT_YAML, "", NULL);

	ck_assert(json_is_null(root));
	json_decref(root);
}
END_TEST

/* ---- JSON decode -------------------------------------------------------------- */

START_TEST(json_decodes_job_list)
{
	json_t *root = decoded(FORMAT_JSON,
			       "[{\"name\": \"hello\", \"retry\": 2, \"multipleExecutions\": true}]",
			       NULL);
	json_t *job = first_job(root);

	ck_assert_str_eq(json_string_value(json_object_get(job, "name")), "hello");
	ck_assert_int_eq(json_integer_value(json_object_get(job, "retry")), 2);
	ck_assert(json_is_true(json_object_get(job, "multipleExecutions")));
	json_decref(root);
}
END_TEST

START_TEST(json_syntax_error_position)
{
	check_decode_error(FORMAT_JSON, "[\n  {\"name\": \"a\",}\n]", 2, 16,
			   "invalid JSON: string or '}' expected near '}'");
}
END_TEST

START_TEST(json_duplicate_key_error)
{
	check_decode_error(FORMAT_JSON, "[\n  {\"name\": \"a\", \"name\": \"b\"}\n]", 2, 22,
			   "invalid JSON: duplicate object key near '\"name\"'");
}
END_TEST

/* ---- source map ----------------------------------------------------------------- */

static void check_position(const struct srcmap *map, const json_t *node, int line, int column)
{
	int found_line, found_column;

	ck_assert(srcmap_find(map, node, &found_line, &found_column));
	ck_assert_int_eq(found_line, line);
	ck_assert_int_eq(found_column, column);
}

START_TEST(srcmap_yaml_job_lines)
{
	struct srcmap map = SRCMAP_INIT;
	json_t *root = decoded(FORMAT_YAML,
			       "# two jobs\n"
			       "- name: a\n"
			       "  sequence:\n"
			       "    commands:\n"
			       "    - exec: echo a\n"
			       "\n"
			       "- name: b\n"
			       "  sequence: {commands: [{exec: echo b}]}\n",
			       &map);
	json_t *b = json_array_get(root, 1);

	check_position(&map, root, 2, 1);
	check_position(&map, json_array_get(root, 0), 2, 3);
	check_position(&map, b, 7, 3);
	check_position(&map, json_object_get(b, "sequence"), 8, 13);
	srcmap_release(&map);
	json_decref(root);
}
END_TEST

START_TEST(srcmap_json_job_lines)
{
	struct srcmap map = SRCMAP_INIT;
	json_t *root = decoded(FORMAT_JSON,
			       "[\n"
			       "  {\"name\": \"a{[\", \"sequence\": {\"commands\": []}},\n"
			       "\n"
			       "    {\"name\": \"b\\\"[\"}\n"
			       "]\n",
			       &map);
	json_t *a = json_array_get(root, 0);

	check_position(&map, root, 1, 1);
	check_position(&map, a, 2, 3);
	check_position(&map, json_object_get(a, "sequence"), 2, 31);
	check_position(&map, json_array_get(root, 1), 4, 5);
	srcmap_release(&map);
	json_decref(root);
}
END_TEST

START_TEST(srcmap_unknown_node)
{
	struct srcmap map = SRCMAP_INIT;
	json_t *root = decoded(FORMAT_YAML, "- name: a\n", &map);
	json_t *other = json_object();
	int line = -1, column = -1;

	ck_assert(!srcmap_find(&map, other, &line, &column));
	ck_assert_int_eq(line, 0);
	ck_assert_int_eq(column, 0);
	ck_assert(!srcmap_find(NULL, root, &line, &column));
	json_decref(other);
	srcmap_release(&map);
	json_decref(root);
}
END_TEST

/* ---- encode ------------------------------------------------------------------------ */

/*
 * Jobs whose strings and keys look like other YAML types, multi-line strings,
 * carriage returns and Unicode line breaks.
 */
static json_t *tricky_jobs(void)
{
	json_error_t jerr;
	json_t *jobs = json_loads(
		"[{\"name\": \"tricky\", \"group\": \"ops/deploy\","
		" \"lookalikes\": [\"true\", \"false\", \"01\", \"1.5\", \"null\", \"\", \"~\","
		"   \"yes\", \"no\", \"on\", \"42\", \"-3\", \"1e3\", \".inf\", \"a, b\","
		"   \"key: value\", \"- item\", \"#comment\", \"@at\", \"'quoted'\", \"\\\"dq\\\"\","
		"   \"tab\\there\", \"ünïcödé\"],"
		" \"multiline\": [\"line1\\nline2\\n\", \"no newline\\nat end\","
		"   \"  indented\\nfirst\\n\", \"trailing blanks  \\nx\\n\", \"two\\n\\n\","
		"   \"\\n\", \"\\n\\nb\", \"#!/bin/sh\\r\\necho hi\\r\\n\", \"x\\ry\","
		"   \"bell\\u0007\", \"nel\\u0085line\", \"ls\\u2028ps\", \"   \", \" lead\"],"
		" \"keys\": {\"true\": 1, \"\": \"empty key\", \"01\": \"x\", \"null\": null,"
		"   \"a: b\": \"colon key\"},"
		" \"types\": {\"int\": 7, \"neg\": -12, \"t\": true, \"f\": false, \"n\": null,"
		"   \"empty_list\": [], \"empty_map\": {}},"
		" \"sequence\": {\"keepgoing\": false, \"strategy\": \"node-first\","
		"   \"commands\": [{\"exec\": \"echo ${option.env}\"},"
		"                {\"script\": \"#!/bin/sh\\necho 'a: b'\\n\", \"args\": \"-x\"}]}},"
		" {\"name\": \"second\", \"description\": \"null\"}]",
		0, &jerr);

	ck_assert_msg(jobs != NULL, "bad test document: %s", jerr.text);
	return jobs;
}

static void check_round_trip(enum job_format format)
{
	struct jf_error err = JF_ERROR_INIT;
	struct strbuf out = STRBUF_INIT;
	json_t *jobs = tricky_jobs();
	json_t *back;

	ck_assert_int_eq(codec_encode(format, jobs, &out, &err), 0);
	back = decoded(format, sb_str(&out), NULL);
	ck_assert_msg(json_equal(jobs, back), "%s round trip changed the jobs:\n%s",
		      format_name(format), sb_str(&out));
	json_decref(back);
	json_decref(jobs);
	sb_release(&out);
}

START_TEST(yaml_round_trip_equal)
{
	check_round_trip(FORMAT_YAML);
}
END_TEST

START_TEST(json_round_trip_equal)
{
	check_round_trip(FORMAT_JSON);
}
END_TEST

/* Encode {"b": 1, "a": "true", "c": ["x", "l1\nl2\n"], "d": {"z": "", "y": null}}. */
static char *encoded_sample(enum job_format format)
{
	struct jf_error err = JF_ERROR_INIT;
	struct strbuf out = STRBUF_INIT;
	json_t *jobs = json_pack("[{s:i, s:s, s:[s, s], s:{s:s, s:n}}]", "b", 1, "a", "true", "c",
				 "x", "l1\nl2\n", "d", "z", "", "y");

	ck_assert_int_eq(codec_encode(format, jobs, &out, &err), 0);
	json_decref(jobs);
	return sb_detach(&out, NULL);
}

START_TEST(yaml_export_sorts_keys)
{
	char *text = encoded_sample(FORMAT_YAML);

	ck_assert_str_eq(text, "- a: 'true'\n"
			       "  b: 1\n"
			       "  c:\n"
			       "  - x\n"
			       "  - |\n"
			       "    l1\n"
			       "    l2\n"
			       "  d:\n"
			       "    'y': null\n"
			       "    z: ''\n");
	free(text);
}
END_TEST

START_TEST(json_export_sorts_keys)
{
	char *text = encoded_sample(FORMAT_JSON);

	ck_assert_str_eq(text, "[\n"
			       "  {\n"
			       "    \"a\": \"true\",\n"
			       "    \"b\": 1,\n"
			       "    \"c\": [\n"
			       "      \"x\",\n"
			       "      \"l1\\nl2\\n\"\n"
			       "    ],\n"
			       "    \"d\": {\n"
			       "      \"y\": null,\n"
			       "      \"z\": \"\"\n"
			       "    }\n"
			       "  }\n"
			       "]\n");
	free(text);
}
END_TEST

START_TEST(format_from_file_name)
{
	enum job_format format = FORMAT_XML;

	ck_assert(format_from_name("jobs.yaml", &format));
	ck_assert_int_eq(format, FORMAT_YAML);
	ck_assert(format_from_name("jobs.YML", &format));
	ck_assert_int_eq(format, FORMAT_YAML);
	ck_assert(format_from_name("a.b.json", &format));
	ck_assert_int_eq(format, FORMAT_JSON);
	ck_assert(format_from_name("jobs.xml", &format));
	ck_assert_int_eq(format, FORMAT_XML);
	ck_assert(!format_from_name("jobs.txt", &format));
	ck_assert(!format_from_name("README", &format));
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *yaml = tcase_create("yaml_decode");
	TCase *json = tcase_create("json_decode");
	TCase *map = tcase_create("srcmap");
	TCase *encode = tcase_create("encode");

	tcase_add_test(yaml, yaml_decodes_job_list);
	tcase_add_test(yaml, yaml_syntax_error_position);
	tcase_add_test(yaml, yaml_bad_indent_error);
	tcase_add_test(yaml, yaml_unterminated_quote_error);
	tcase_add_test(yaml, yaml_duplicate_key_error);
	tcase_add_test(yaml, yaml_second_document_error);
	tcase_add_test(yaml, yaml_unknown_alias_error);
	tcase_add_test(yaml, yaml_booleans_and_strings);
	tcase_add_test(yaml, yaml_merge_key_fills_missing);
	tcase_add_test(yaml, yaml_merge_of_scalar_error);
	tcase_add_test(yaml, yaml_numbers);
	tcase_add_test(yaml, yaml_null_words);
	tcase_add_test(yaml, yaml_block_scalars);
	tcase_add_test(yaml, yaml_anchors_and_aliases);
	tcase_add_test(yaml, yaml_empty_document_is_null);
	suite_add_tcase(s, yaml);

	tcase_add_test(json, json_decodes_job_list);
	tcase_add_test(json, json_syntax_error_position);
	tcase_add_test(json, json_duplicate_key_error);
	suite_add_tcase(s, json);

	tcase_add_test(map, srcmap_yaml_job_lines);
	tcase_add_test(map, srcmap_json_job_lines);
	tcase_add_test(map, srcmap_unknown_node);
	suite_add_tcase(s, map);

	tcase_add_test(encode, yaml_round_trip_equal);
	tcase_add_test(encode, json_round_trip_equal);
	tcase_add_test(encode, yaml_export_sorts_keys);
	tcase_add_test(encode, json_export_sorts_keys);
	tcase_add_test(encode, format_from_file_name);
	suite_add_tcase(s, encode);
	return s;
}

int main(void)
{
	return run_suite(codec_suite());
}
