/*
 * test_codec_xml.c - Check tests of the Rundeck XML codec (engine/codec_xml.c).
 *
 * Test cases:
 * - generic: attributes and elements as keys, one or many, text, the data
 *   form, <element name=..>, unknown keys.
 * - renames: each row of the XML rename table, decoded.
 * - errors: the exact messages and lines of rejected documents and models.
 * - roundtrip: XML to model to XML, model to XML to model, stable output.
 * - threads: concurrent decodes.
 *
 * Data files are read from TEST_DATA_DIR (default tests/data/xml, relative
 * to the repository root).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data/xml"
#endif

/* ---- helpers ------------------------------------------------------------- */

static json_t *decode_ok(const char *xml)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *jobs = NULL;
	int rc = codec_xml_decode(xml, strlen(xml), &jobs, NULL, &err);

	ck_assert_msg(rc == 0, "decode failed: %s", err.message);
	ck_assert_ptr_nonnull(jobs);
	return jobs;
}

/* Decode a document of one job and return a new reference to that job. */
static json_t *decode_job(const char *xml)
{
	json_t *jobs = decode_ok(xml);
	json_t *job;

	ck_assert_int_eq(json_array_size(jobs), 1);
	job = json_incref(json_array_get(jobs, 0));
	json_decref(jobs);
	return job;
}

static struct jf_error decode_fail_bytes(const char *xml, size_t len)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *jobs = (json_t *)1;
	int rc = codec_xml_decode(xml, len, &jobs, NULL, &err);

	ck_assert_int_eq(rc, JF_INVALID);
	ck_assert_int_eq(err.code, JF_INVALID);
	ck_assert_ptr_null(jobs);
	return err;
}

static struct jf_error decode_fail(const char *xml)
{
	return decode_fail_bytes(xml, strlen(xml));
}

static json_t *load_json(const char *text)
{
	json_error_t jerr;
	json_t *value = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(value != NULL, "bad JSON in the test, line %d: %s", jerr.line, jerr.text);
	return value;
}

static char *encode_ok(const json_t *jobs)
{
	struct strbuf out = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;
	int rc = codec_xml_encode(jobs, &out, &err);

	ck_assert_msg(rc == 0, "encode failed: %s", err.message);
	return sb_detach(&out, NULL);
}

static struct jf_error encode_fail(const json_t *jobs)
{
	struct strbuf out = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;
	int rc = codec_xml_encode(jobs, &out, &err);

	ck_assert_int_eq(rc, JF_INVALID);
	ck_assert_uint_eq(out.len, 0);
	sb_release(&out);
	return err;
}

static void assert_json_equal(const json_t *expected, const json_t *actual)
{
	char *want, *got;

	if (json_equal(expected, actual))
		return;
	want = json_dumps(expected, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	got = json_dumps(actual, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	ck_abort_msg("models differ\nexpected: %s\nactual:   %s", want, got);
}

/* Compare v with JSON text written in the test. */
static void assert_json_text(const json_t *v, const char *json)
{
	json_t *expected = load_json(json);

	assert_json_equal(expected, v);
	json_decref(expected);
}

static void assert_at(const json_t *map, const char *key, const char *json)
{
	const json_t *v = json_object_get(map, key);

	ck_assert_msg(v != NULL, "key %s is missing", key);
	assert_json_text(v, json);
}

/* Encode jobs, decode the XML, and check the model comes back equal. */
static void assert_model_round_trip(const json_t *jobs)
{
	char *xml = encode_ok(jobs);
	json_t *again = decode_ok(xml);

	if (!json_equal(jobs, again))
		fprintf(stderr, "XML of the failing round trip:\n%s", xml);
	assert_json_equal(jobs, again);
	json_decref(again);
	free(xml);
}

static char *read_data(const char *name)
{
	char path[512];
	struct strbuf text = STRBUF_INIT;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	ck_assert_msg(read_file(path, &text) == 0, "cannot read %s", path);
	return sb_detach(&text, NULL);
}

#define JOB_HEAD "<joblist><job><name>n</name><description/>"
#define JOB_TAIL "</job></joblist>"
#define ONE_JOB(body) JOB_HEAD body JOB_TAIL
#define ONE_STEP(body) ONE_JOB("<sequence><command>" body "</command></sequence>")

static json_t *first_step(const json_t *job)
{
	return json_array_get(json_object_get(json_object_get(job, "sequence"), "commands"), 0);
}

/* ---- generic rules ---------------------------------------------------------- */

START_TEST(attribute_and_child_element_mean_the_same)
{
	json_t *attrs = decode_job(ONE_STEP("<jobref name=\"deploy\" group=\"ops\"/>"));
	json_t *children = decode_job(ONE_STEP("<jobref><name>deploy</name><group>ops</group></jobref>"));

	assert_json_equal(attrs, children);
	assert_at(first_step(attrs), "jobref", "{\"name\": \"deploy\", \"group\": \"ops\"}");
	json_decref(attrs);
	json_decref(children);
}
END_TEST

START_TEST(empty_element_is_empty_text)
{
	json_t *job = decode_job(ONE_JOB("<timeout></timeout><loglevel/>"));

	assert_at(job, "timeout", "\"\"");
	assert_at(job, "loglevel", "\"\"");
	assert_at(job, "description", "\"\"");
	json_decref(job);
}
END_TEST

START_TEST(repeated_element_becomes_a_list)
{
	json_t *job = decode_job(ONE_JOB("<tag>a</tag><tag>b</tag><tag>c</tag>"));

	assert_at(job, "tag", "[\"a\", \"b\", \"c\"]");
	json_decref(job);
}
END_TEST

START_TEST(text_beside_attributes_under_text_key)
{
	json_t *job = decode_job(ONE_JOB("<extra kind=\"k\">  body  </extra><mixed>t<x>1</x></mixed>"));

	assert_at(job, "extra", "{\"kind\": \"k\", \"<text>\": \"  body  \"}");
	assert_at(job, "mixed", "{\"x\": \"1\"}");
	json_decref(job);
}
END_TEST

START_TEST(text_keeps_its_whitespace)
{
	json_t *job = decode_job(ONE_STEP("<exec>  echo  a  </exec>"));

	assert_at(first_step(job), "exec", "\"  echo  a  \"");
	json_decref(job);
}
END_TEST

START_TEST(data_form_gives_typed_values)
{
	json_t *job = decode_job(ONE_JOB(
		"<extra data=\"true\"><map>"
		"<value key=\"s\">text</value><string key=\"doc\">docs form</string>"
		"<list key=\"l\"><value>1</value><map><value key=\"k\">v</value></map><list/></list>"
		"<set key=\"set\"><value>x</value></set><map key=\"empty\"/><null key=\"nothing\"/>"
		"</map></extra>"));

	assert_at(job, "extra",
		  "{\"s\": \"text\", \"doc\": \"docs form\", \"l\": [\"1\", {\"k\": \"v\"}, []],"
		  " \"set\": [\"x\"], \"empty\": {}, \"nothing\": null}");
	json_decref(job);
}
END_TEST

START_TEST(element_name_attribute_gives_any_key)
{
	json_t *job = decode_job(ONE_JOB(
		"<x><element name=\"two words\">v</element><element name=\"a:b\" kind=\"k\"/></x>"));

	assert_at(job, "x", "{\"two words\": \"v\", \"a:b\": {\"kind\": \"k\"}}");
	json_decref(job);
}
END_TEST

START_TEST(unknown_element_survives_round_trip)
{
	json_t *job = decode_job(ONE_JOB(
		"<orchestrator><type>rankTiered</type><configuration><rank>1</rank></configuration></orchestrator>"
		"<sequence><command><exec>true</exec><frobnicate level=\"3\">x</frobnicate></command></sequence>"));
	json_t *jobs = json_pack("[O]", job);

	assert_at(job, "orchestrator", "{\"type\": \"rankTiered\", \"configuration\": {\"rank\": \"1\"}}");
	assert_at(first_step(job), "frobnicate", "{\"level\": \"3\", \"<text>\": \"x\"}");
	assert_model_round_trip(jobs);
	json_decref(jobs);
	json_decref(job);
}
END_TEST

START_TEST(namespaced_names_keep_their_prefix)
{
	json_t *job = decode_job(
		"<joblist xmlns=\"urn:default\" xmlns:x=\"urn:x\"><job x:flag=\"1\"><name>n</name>"
		"<x:extra>v</x:extra></job></joblist>");

	assert_at(job, "x:flag", "\"1\"");
	assert_at(job, "x:extra", "\"v\"");
	assert_at(job, "name", "\"n\"");
	json_decref(job);
}
END_TEST

/* ---- renames ------------------------------------------------------------------ */

START_TEST(single_option_becomes_a_list)
{
	json_t *job = decode_job(ONE_JOB(
		"<context><options><option name=\"env\" value=\"dev\"/></options></context>"));

	assert_at(job, "options", "[{\"name\": \"env\", \"value\": \"dev\"}]");
	ck_assert_ptr_null(json_object_get(job, "context"));
	json_decref(job);
}
END_TEST

START_TEST(options_sorted_without_preserve_order)
{
	json_t *sorted = decode_job(ONE_JOB(
		"<context><options><option name=\"b\"/><option name=\"a\"/></options></context>"));
	json_t *in_order = decode_job(ONE_JOB(
		"<context><options preserveOrder=\"true\"><option name=\"b\"/><option name=\"a\"/></options></context>"));

	assert_at(sorted, "options", "[{\"name\": \"a\"}, {\"name\": \"b\"}]");
	assert_at(in_order, "options", "[{\"name\": \"b\"}, {\"name\": \"a\"}]");
	json_decref(sorted);
	json_decref(in_order);
}
END_TEST

START_TEST(old_layout_options_under_job)
{
	json_t *old = decode_job(ONE_JOB("<options preserveOrder=\"true\"><option name=\"x\"/></options>"));
	json_t *now = decode_job(ONE_JOB(
		"<context><options preserveOrder=\"true\"><option name=\"x\"/></options></context>"));

	assert_json_equal(now, old);
	json_decref(old);
	json_decref(now);
}
END_TEST

START_TEST(option_fields_renamed)
{
	json_t *job = decode_job(ONE_JOB(
		"<context><project>demo</project><options preserveOrder=\"true\">"
		"<option name=\"env\" values=\"dev,qa,,prod\" enforcedvalues=\"true\">"
		"<description><![CDATA[first\nsecond]]></description></option>"
		"<option name=\"p\" values=\"a|b\" valuesListDelimiter=\"|\"/>"
		"<option name=\"none\" values=\"\"/>"
		"<option name=\"f\" type=\"file\"><config><entry key=\"maxSize\" value=\"1M\"/><entry key=\"bare\"/></config></option>"
		"</options></context>"));

	assert_at(job, "project", "\"demo\"");
	assert_at(job, "options",
		  "[{\"name\": \"env\", \"values\": [\"dev\", \"qa\", \"\", \"prod\"], \"enforced\": \"true\","
		  "  \"description\": \"first\\nsecond\"},"
		  " {\"name\": \"p\", \"values\": [\"a\", \"b\"], \"valuesListDelimiter\": \"|\"},"
		  " {\"name\": \"none\", \"values\": []},"
		  " {\"name\": \"f\", \"type\": \"file\", \"config\": {\"maxSize\": \"1M\", \"bare\": null}}]");
	json_decref(job);
}
END_TEST

START_TEST(cdata_script_kept)
{
	json_t *job = decode_job(ONE_STEP(
		"<script><![CDATA[#!/bin/sh\necho \"<a> & b\" @option.x@\n\n]]></script>"
		"<scriptargs>-v ${option.x}</scriptargs>"
		"<scriptinterpreter argsquoted=\"true\">sudo -u app</scriptinterpreter>"));
	json_t *step = first_step(job);

	assert_at(step, "script", "\"#!/bin/sh\\necho \\\"<a> & b\\\" @option.x@\\n\\n\"");
	assert_at(step, "args", "\"-v ${option.x}\"");
	assert_at(step, "scriptInterpreter", "\"sudo -u app\"");
	assert_at(step, "interpreterArgsQuoted", "\"true\"");
	ck_assert_ptr_null(json_object_get(step, "scriptinterpreter"));
	json_decref(job);
}
END_TEST

START_TEST(retry_with_delay_attribute)
{
	json_t *with_delay = decode_job(ONE_JOB("<retry delay=\"30s\">3</retry>"));
	json_t *count_only = decode_job(ONE_JOB("<retry>${option.retries}</retry>"));

	assert_at(with_delay, "retry", "{\"retry\": \"3\", \"delay\": \"30s\"}");
	assert_at(count_only, "retry", "\"${option.retries}\"");
	json_decref(with_delay);
	json_decref(count_only);
}
END_TEST

START_TEST(logging_becomes_loglimit_keys)
{
	json_t *job = decode_job(ONE_JOB("<logging limit=\"100/node\" limitAction=\"halt\" status=\"stopped\"/>"));

	assert_at(job, "loglimit", "\"100/node\"");
	assert_at(job, "loglimitAction", "\"halt\"");
	assert_at(job, "loglimitStatus", "\"stopped\"");
	ck_assert_ptr_null(json_object_get(job, "logging"));
	json_decref(job);
}
END_TEST

START_TEST(dispatch_moves_into_nodefilters)
{
	json_t *job = decode_job(ONE_JOB(
		"<dispatch><threadcount>3</threadcount></dispatch>"
		"<nodefilters excludeprecedence=\"true\"><filter>tags: web</filter></nodefilters>"));
	json_t *alone = decode_job(ONE_JOB("<dispatch/>"));

	assert_at(job, "nodefilters",
		  "{\"filter\": \"tags: web\", \"dispatch\": {\"threadcount\": \"3\", \"excludePrecedence\": \"true\"}}");
	assert_at(alone, "nodefilters", "{\"dispatch\": {}}");
	json_decref(job);
	json_decref(alone);
}
END_TEST

START_TEST(jobref_arg_and_dispatch)
{
	json_t *job = decode_job(ONE_STEP(
		"<jobref name=\"child\" nodeStep=\"true\"><arg line=\"-a 1\"/>"
		"<dispatch><threadcount>2</threadcount></dispatch><nodefilters><filter>x</filter></nodefilters></jobref>"));

	assert_at(first_step(job), "jobref",
		  "{\"name\": \"child\", \"nodeStep\": \"true\", \"args\": \"-a 1\","
		  " \"nodefilters\": {\"filter\": \"x\", \"dispatch\": {\"threadcount\": \"2\"}}}");
	json_decref(job);
}
END_TEST

START_TEST(step_plugins_flatten_into_the_step)
{
	json_t *job = decode_job(ONE_JOB(
		"<sequence><command><step-plugin type=\"slack\"><configuration>"
		"<entry key=\"channel\" value=\"#ops\"/></configuration></step-plugin></command>"
		"<command><node-step-plugin type=\"copy\"/></command></sequence>"));
	json_t *commands = json_object_get(json_object_get(job, "sequence"), "commands");

	assert_json_text(commands,
			 "[{\"type\": \"slack\", \"nodeStep\": false, \"configuration\": {\"channel\": \"#ops\"}},"
			 " {\"type\": \"copy\", \"nodeStep\": true}]");
	json_decref(job);
}
END_TEST

START_TEST(value_key_and_string_key_plugin_config)
{
	json_t *job = decode_job(ONE_JOB(
		"<plugins><ExecutionLifecycle type=\"resume\"><configuration data=\"true\"><map>"
		"<value key=\"onRetry\">true</value><string key=\"timeout\">60000</string>"
		"</map></configuration></ExecutionLifecycle>"
		"<ExecutionLifecycle type=\"flat\"><configuration><entry key=\"k\" value=\"v\"/></configuration></ExecutionLifecycle>"
		"<ExecutionLifecycle type=\"bare\"/><Other/></plugins>"));

	assert_at(job, "plugins",
		  "{\"ExecutionLifecycle\": {\"resume\": {\"onRetry\": \"true\", \"timeout\": \"60000\"},"
		  " \"flat\": {\"k\": \"v\"}, \"bare\": {}}, \"Other\": {}}");
	json_decref(job);
}
END_TEST

START_TEST(single_log_filter_becomes_a_list)
{
	json_t *job = decode_job(ONE_JOB(
		"<sequence><pluginConfig><LogFilter type=\"mask\"/><WorkflowStrategy><ruleset>"
		"<rules>[*] run</rules></ruleset></WorkflowStrategy></pluginConfig><command><exec>x</exec>"
		"<plugins><LogFilter type=\"key-value-data\"><config><regex>^(.+)=(.+)$</regex>"
		"<logData>true</logData></config></LogFilter></plugins></command></sequence>"));
	json_t *sequence = json_object_get(job, "sequence");

	assert_at(sequence, "pluginConfig",
		  "{\"LogFilter\": [{\"type\": \"mask\"}], \"WorkflowStrategy\": {\"ruleset\": {\"rules\": \"[*] run\"}}}");
	assert_at(first_step(job), "plugins",
		  "{\"LogFilter\": [{\"type\": \"key-value-data\", \"config\": {\"regex\": \"^(.+)=(.+)$\", \"logData\": \"true\"}}]}");
	json_decref(job);
}
END_TEST

START_TEST(errorhandler_is_a_step)
{
	json_t *job = decode_job(ONE_STEP(
		"<exec>false</exec><errorhandler keepgoingOnSuccess=\"true\"><scriptargs>-x</scriptargs>"
		"<script>echo ${result.reason}</script></errorhandler>"));

	assert_at(first_step(job), "errorhandler",
		  "{\"keepgoingOnSuccess\": \"true\", \"args\": \"-x\", \"script\": \"echo ${result.reason}\"}");
	json_decref(job);
}
END_TEST

START_TEST(schedule_month_day_split)
{
	json_t *job = decode_job(ONE_JOB(
		"<schedule><time hour=\"05\" minute=\"01\" seconds=\"0\"/><month month=\"APR\" day=\"1,15\"/>"
		"<weekday day=\"MON\"/><year year=\"*\"/></schedule>"));
	json_t *cron = decode_job(ONE_JOB("<schedule crontab=\"0 30 */6 ? Jan Mon *\"/>"));

	assert_at(job, "schedule",
		  "{\"time\": {\"hour\": \"05\", \"minute\": \"01\", \"seconds\": \"0\"}, \"month\": \"APR\","
		  " \"dayofmonth\": {\"day\": \"1,15\"}, \"weekday\": {\"day\": \"MON\"}, \"year\": \"*\"}");
	assert_at(cron, "schedule", "{\"crontab\": \"0 30 */6 ? Jan Mon *\"}");
	json_decref(job);
	json_decref(cron);
}
END_TEST

START_TEST(notification_webhook_and_plugin)
{
	json_t *job = decode_job(ONE_JOB(
		"<notification><onsuccess><webhook urls=\"http://h/a?x=1&amp;y=2\" httpMethod=\"post\"/>"
		"<email recipients=\"a@b\" subject=\"ok\"/></onsuccess>"
		"<onfailure><plugin type=\"pager\"><configuration><entry key=\"to\" value=\"ops\"/>"
		"</configuration></plugin></onfailure></notification>"));

	assert_at(job, "notification",
		  "{\"onsuccess\": {\"urls\": \"http://h/a?x=1&y=2\", \"httpMethod\": \"post\","
		  "   \"email\": {\"recipients\": \"a@b\", \"subject\": \"ok\"}},"
		  " \"onfailure\": {\"plugin\": [{\"type\": \"pager\", \"configuration\": {\"to\": \"ops\"}}]}}");
	json_decref(job);
}
END_TEST

START_TEST(id_becomes_uuid)
{
	json_t *only_id = decode_job(ONE_JOB("<id>u-1</id>"));
	json_t *both = decode_job(ONE_JOB("<id>u-1</id><uuid>u-1</uuid>"));
	json_t *differ = decode_job(ONE_JOB("<id>u-1</id><uuid>u-2</uuid>"));

	assert_at(only_id, "uuid", "\"u-1\"");
	ck_assert_ptr_null(json_object_get(only_id, "id"));
	assert_at(both, "uuid", "\"u-1\"");
	ck_assert_ptr_null(json_object_get(both, "id"));
	assert_at(differ, "id", "\"u-1\"");
	assert_at(differ, "uuid", "\"u-2\"");
	json_decref(only_id);
	json_decref(both);
	json_decref(differ);
}
END_TEST

START_TEST(group_loses_outer_slashes)
{
	json_t *job = decode_job(ONE_JOB("<group>/ops/web/</group>"));

	assert_at(job, "group", "\"ops/web\"");
	json_decref(job);
}
END_TEST

START_TEST(positions_of_jobs_and_steps)
{
	const char *xml = "<joblist>\n<job>\n<name>a</name>\n<sequence>\n<command>\n<exec>x</exec>\n"
			  "</command>\n<command>\n<errorhandler>\n<exec>y</exec>\n</errorhandler>\n"
			  "</command>\n</sequence>\n</job>\n</joblist>\n";
	struct srcmap map = SRCMAP_INIT;
	struct jf_error err = JF_ERROR_INIT;
	json_t *jobs, *job, *commands;
	int line, column;

	ck_assert_int_eq(codec_xml_decode(xml, strlen(xml), &jobs, &map, &err), 0);
	job = json_array_get(jobs, 0);
	commands = json_object_get(json_object_get(job, "sequence"), "commands");
	ck_assert(srcmap_find(&map, job, &line, &column));
	ck_assert_int_eq(line, 2);
	ck_assert(srcmap_find(&map, json_array_get(commands, 0), &line, &column));
	ck_assert_int_eq(line, 5);
	ck_assert(srcmap_find(&map, json_array_get(commands, 1), &line, &column));
	ck_assert_int_eq(line, 8);
	ck_assert(srcmap_find(&map, json_object_get(json_array_get(commands, 1), "errorhandler"), &line,
			      &column));
	ck_assert_int_eq(line, 9);
	ck_assert_int_eq(column, 0);
	srcmap_release(&map);
	json_decref(jobs);
}
END_TEST

/* ---- errors --------------------------------------------------------------------- */

START_TEST(root_must_be_joblist)
{
	struct jf_error err = decode_fail("<?xml version=\"1.0\"?>\n\n<jobs><job/></jobs>");

	ck_assert_str_eq(err.message, "line 3: <joblist> expected as the root element, found <jobs>");
	ck_assert_int_eq(err.line, 3);
}
END_TEST

START_TEST(joblist_needs_a_job)
{
	struct jf_error err = decode_fail("<joblist>\n</joblist>");

	ck_assert_str_eq(err.message, "line 1: <joblist> has no <job> element; expected at least one");
}
END_TEST

START_TEST(joblist_holds_only_jobs)
{
	struct jf_error err = decode_fail("<joblist>\n<job><name>a</name></job>\n<task/>\n</joblist>");

	ck_assert_str_eq(err.message, "line 3: unexpected <task> in <joblist>; expected <job> elements");
	ck_assert_int_eq(err.line, 3);
}
END_TEST

START_TEST(syntax_error_reports_line)
{
	struct jf_error err = decode_fail("<joblist>\n  <job>\n    <name>a</name>\n  </jobb>\n</joblist>");

	ck_assert_str_eq(err.message,
			 "line 4, column 10: invalid XML: Opening and ending tag mismatch: job line 2 and jobb");
	ck_assert_int_eq(err.line, 4);
	ck_assert_int_eq(err.column, 10);
}
END_TEST

START_TEST(empty_document_rejected)
{
	struct jf_error err = decode_fail(" \n ");

	ck_assert_str_eq(err.message, "line 1: the document is empty; expected a <joblist> element");
}
END_TEST

START_TEST(option_needs_a_name)
{
	struct jf_error err = decode_fail(
		"<joblist><job><name>a</name>\n<context>\n<options>\n<option value=\"1\"/>\n"
		"</options></context></job></joblist>");

	ck_assert_str_eq(err.message, "line 4: <option> has no name attribute");
	ck_assert_int_eq(err.line, 4);
}
END_TEST

START_TEST(job_must_have_elements)
{
	struct jf_error err = decode_fail("<joblist>\n<job>hello</job></joblist>");

	ck_assert_str_eq(err.message,
			 "line 2: <job> contains text; expected elements such as <name> and <sequence>");
}
END_TEST

START_TEST(repeated_sequence_rejected)
{
	struct jf_error err = decode_fail(ONE_JOB("<sequence/><sequence/>"));

	ck_assert_str_eq(err.message, "line 1: more than one <sequence> in <job>; expected one");
}
END_TEST

START_TEST(step_plugin_needs_a_type)
{
	struct jf_error err = decode_fail(ONE_STEP("<step-plugin><configuration/></step-plugin>"));

	ck_assert_str_eq(err.message, "line 1: <step-plugin> has no type attribute");
}
END_TEST

START_TEST(unexpected_member_named)
{
	struct jf_error err = decode_fail(ONE_STEP("<scriptinterpreter argsquoted=\"true\" shell=\"x\">sh</scriptinterpreter>"));

	ck_assert_str_eq(err.message,
			 "line 1: unexpected <shell> in <scriptinterpreter>; expected the interpreter as text and an argsquoted attribute");
}
END_TEST

START_TEST(same_key_twice_rejected)
{
	struct jf_error err = decode_fail(ONE_STEP("<script>x</script><scriptargs>a</scriptargs><args>b</args>"));

	ck_assert_str_eq(err.message,
			 "line 1: <command> has both <scriptargs> and <args>, which mean the same; keep one");
}
END_TEST

START_TEST(data_map_entry_needs_a_key)
{
	struct jf_error err = decode_fail(ONE_JOB("<x data=\"true\"><map>\n<value>v</value></map></x>"));

	ck_assert_str_eq(err.message, "line 2: <value> in a data <map> has no key attribute");
}
END_TEST

START_TEST(entity_reference_rejected)
{
	struct jf_error err = decode_fail(
		"<!DOCTYPE joblist [<!ENTITY e \"expanded\">]>\n<joblist><job>\n<name>&e;</name></job></joblist>");

	ck_assert_str_eq(err.message,
			 "line 3: entity reference &e; in <name> is not supported; write its text instead");
}
END_TEST

START_TEST(external_entity_not_read)
{
	char path[] = "/tmp/test_codec_xml_XXXXXX";
	char xml[512];
	int fd = mkstemp(path);
	struct jf_error err;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "secret", 6), 6);
	close(fd);
	snprintf(xml, sizeof(xml),
		 "<!DOCTYPE joblist [<!ENTITY ext SYSTEM \"file://%s\">]>\n"
		 "<joblist><job><name>&ext;</name></job></joblist>", path);
	err = decode_fail(xml);
	unlink(path);
	ck_assert_ptr_null(strstr(err.message, "secret"));
	ck_assert_str_eq(err.message,
			 "line 2: entity reference &ext; in <name> is not supported; write its text instead");
}
END_TEST

START_TEST(entity_expansion_bomb_rejected)
{
	struct strbuf xml = STRBUF_INIT;
	struct jf_error err;

	sb_adds(&xml, "<!DOCTYPE joblist [<!ENTITY a0 \"boom\">");
	for (int i = 1; i < 12; i++)
		sb_addf(&xml, "<!ENTITY a%d \"&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;\">", i,
			i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	sb_adds(&xml, "]>\n<joblist><job><name x=\"&a11;\">&a11;</name></job></joblist>");
	err = decode_fail(sb_str(&xml));
	ck_assert_int_eq(err.code, JF_INVALID);
	sb_release(&xml);
}
END_TEST

/* UTF-16LE "<joblist>", then a high surrogate followed by "A", which no decoder accepts. */
static const char bad_encoding[] =
	"\xff\xfe<\0j\0o\0b\0l\0i\0s\0t\0>\0\x00\xd8" "A\0<\0/\0j\0o\0b\0l\0i\0s\0t\0>\0";

START_TEST(encoding_error_not_printed)
{
	char path[] = "/tmp/test_codec_xml_XXXXXX";
	int capture = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	struct jf_error err;
	off_t printed;

	ck_assert_int_ge(capture, 0);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	dup2(capture, STDERR_FILENO);
	err = decode_fail_bytes(bad_encoding, sizeof(bad_encoding) - 1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	printed = lseek(capture, 0, SEEK_END);
	close(capture);
	unlink(path);
	ck_assert_int_eq(printed, 0);
	ck_assert_str_eq(err.message,
			 "line 1, column 1: invalid XML: input conversion failed due to input error,"
			 " bytes 0x00 0xD8 0x41 0x00");
}
END_TEST

START_TEST(first_error_wins)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *jobs;

	jf_fail(&err, JF_IO, "earlier failure");
	ck_assert_int_eq(codec_xml_decode("<x/>", 4, &jobs, NULL, &err), JF_INVALID);
	ck_assert_str_eq(err.message, "earlier failure");
	ck_assert_int_eq(err.code, JF_IO);
}
END_TEST

START_TEST(encode_rejects_control_characters)
{
	json_t *jobs = load_json("[{\"name\": \"a\", \"description\": \"bell \\u0007\"}]");
	struct jf_error err = encode_fail(jobs);

	ck_assert_str_eq(err.message,
			 "job 1: description contains the control character U+0007, which XML 1.0 cannot carry");
	json_decref(jobs);
}
END_TEST

START_TEST(encode_rejects_bad_shapes)
{
	json_t *not_list = load_json("{\"name\": \"a\"}");
	json_t *bad_options = load_json("[{\"name\": \"a\", \"options\": \"env\"}]");
	json_t *bad_option = load_json("[{\"name\": \"a\", \"options\": [{\"value\": \"1\"}]}]");
	json_t *bad_config = load_json(
		"[{\"name\": \"a\", \"sequence\": {\"commands\": [{\"exec\": \"x\"},"
		" {\"type\": \"p\", \"configuration\": \"x\"}]}}]");
	struct jf_error err;

	err = encode_fail(not_list);
	ck_assert_str_eq(err.message, "cannot write XML: expected a list of jobs, found elements");
	err = encode_fail(bad_options);
	ck_assert_str_eq(err.message, "job 1: options must be a list of option maps, found text");
	err = encode_fail(bad_option);
	ck_assert_str_eq(err.message, "job 1: options[0] must be a map with a name as text");
	err = encode_fail(bad_config);
	ck_assert_str_eq(err.message,
			 "job 1: sequence.commands[1].configuration must be a map of settings, found text");
	json_decref(not_list);
	json_decref(bad_options);
	json_decref(bad_option);
	json_decref(bad_config);
}
END_TEST

START_TEST(encode_rejects_xml_only_names)
{
	json_t *jobs = load_json("[{\"name\": \"a\", \"sequence\": {\"commands\": [{\"scriptargs\": \"-x\"}]}}]");
	struct jf_error err = encode_fail(jobs);

	ck_assert_str_eq(err.message,
			 "job 1: sequence.commands[0].scriptargs cannot be written as XML, because <scriptargs> is the XML name of args; rename the key");
	json_decref(jobs);
}
END_TEST

/* ---- round trips ------------------------------------------------------------- */

/* Encode the model of a file, decode that, and check model and XML text stay the same. */
static void check_file_round_trip(const char *name)
{
	char *text = read_data(name);
	json_t *model = decode_ok(text);
	char *xml = encode_ok(model);
	json_t *again = decode_ok(xml);
	char *xml_again = encode_ok(again);

	assert_json_equal(model, again);
	ck_assert_str_eq(xml, xml_again);
	json_decref(model);
	json_decref(again);
	free(text);
	free(xml);
	free(xml_again);
}

START_TEST(export_file_round_trip)
{
	char *text = read_data("export.xml");
	json_t *job = decode_job(text);

	assert_at(job, "uuid", "\"0b6f3c1e-8d52-4c1a-9f3e-2a7d5e9b1c40\"");
	ck_assert_ptr_null(json_object_get(job, "id"));
	assert_at(job, "retry", "{\"retry\": \"1\", \"delay\": \"2m\"}");
	assert_at(job, "plugins", "{\"ExecutionLifecycle\": {\"resume\": {\"onRetry\": \"true\"}}}");
	assert_at(job, "schedule",
		  "{\"month\": \"*\", \"dayofmonth\": {\"day\": \"*\"}, \"year\": \"*\","
		  " \"time\": {\"hour\": \"02\", \"minute\": \"30\", \"seconds\": \"0\"}}");
	json_decref(job);
	free(text);
	check_file_round_trip("export.xml");
}
END_TEST

START_TEST(legacy_file_round_trip)
{
	char *text = read_data("legacy.xml");
	json_t *job = decode_job(text);

	assert_at(job, "options",
		  "[{\"name\": \"dir\", \"value\": \"/var/log/app\", \"description\": \"Folder to rotate\"},"
		  " {\"name\": \"keep\", \"value\": \"7\"}]");
	assert_at(job, "nodefilters",
		  "{\"include\": {\"tags\": \"app\"},"
		  " \"dispatch\": {\"threadcount\": \"1\", \"keepgoing\": \"true\", \"excludePrecedence\": \"false\"}}");
	assert_at(job, "group", "\"maintenance\"");
	json_decref(job);
	free(text);
	check_file_round_trip("legacy.xml");
}
END_TEST

/* Every scalar is a string, except nodeStep of plugin steps, which the element name sets. */
static const char rich_model[] =
	"[{"
	" \"uuid\": \"1b2c3d4e-0000-4000-8000-000000000001\", \"name\": \"deploy\", \"group\": \"ops/web\","
	" \"description\": \"Deploy the app\\nsecond line with <tags> & \\\"quotes\\\"\","
	" \"loglevel\": \"DEBUG\", \"executionEnabled\": \"true\", \"multipleExecutions\": \"false\","
	" \"timeout\": \"1h 30m\", \"retry\": {\"retry\": \"3\", \"delay\": \"30s\"},"
	" \"loglimit\": \"100MB\", \"loglimitAction\": \"truncate\", \"loglimitStatus\": \"failed\","
	" \"project\": \"demo\","
	" \"options\": ["
	"  {\"name\": \"env\", \"value\": \"dev\", \"values\": [\"dev\", \"qa\", \"prod\"], \"enforced\": \"true\","
	"   \"required\": \"true\", \"description\": \"line one\\nline two\"},"
	"  {\"name\": \"csv\", \"values\": [\"a,b\", \"c\"]},"
	"  {\"name\": \"one\", \"values\": [\"x,y\"]},"
	"  {\"name\": \"lone\", \"values\": [\"\"]},"
	"  {\"name\": \"pipe\", \"values\": [\"a\", \"b\", \"\"], \"valuesListDelimiter\": \"||\"},"
	"  {\"name\": \"overlap\", \"values\": [\"a|\", \"b\"], \"valuesListDelimiter\": \"||\"},"
	"  {\"name\": \"empty\", \"values\": []},"
	"  {\"name\": \"date\", \"isDate\": \"true\", \"dateFormat\": \"YYYY\", \"config\": {\"k\": \"v\", \"n\": null}},"
	"  {\"name\": \"nested\", \"config\": {\"deep\": {\"a\": [\"1\"]}}},"
	"  {\"name\": \"first\", \"secure\": \"true\", \"valueExposed\": \"true\", \"storagePath\": \"keys/x\"}],"
	" \"sequence\": {\"keepgoing\": \"true\", \"strategy\": \"parallel\","
	"  \"pluginConfig\": {\"LogFilter\": [{\"type\": \"mask-passwords\", \"config\": {\"replacement\": \"***\"}}],"
	"   \"WorkflowStrategy\": {\"ruleset\": {\"rules\": \"[*] run-in-sequence\"}}},"
	"  \"commands\": ["
	"   {\"exec\": \"echo hi\", \"description\": \"say hi\", \"plugins\": {\"LogFilter\": ["
	"     {\"type\": \"key-value-data\", \"config\": {\"regex\": \"^(.+)=(.+)$\", \"logData\": \"true\"}},"
	"     {\"type\": \"plain\"}, {\"type\": \"empty-config\", \"config\": {}}]}},"
	"   {\"script\": \"#!/bin/sh\\necho ]]> done\\r\\n\\ttab\\n\", \"args\": \"-x 1\", \"scriptInterpreter\": \"bash -c\","
	"    \"interpreterArgsQuoted\": \"true\", \"fileExtension\": \".sh\","
	"    \"errorhandler\": {\"exec\": \"echo handled\", \"keepgoingOnSuccess\": \"true\"}},"
	"   {\"scriptfile\": \"/opt/run.sh\", \"expandTokenInScriptFile\": \"true\", \"scriptInterpreter\": \"  \"},"
	"   {\"scripturl\": \"file:///tmp/x.sh\", \"interpreterArgsQuoted\": \"false\"},"
	"   {\"script\": \"x\", \"scriptInterpreter\": \" \", \"interpreterArgsQuoted\": \"true\"},"
	"   {\"jobref\": {\"name\": \"smoke\", \"group\": \"ops/test\", \"project\": \"other\","
	"     \"args\": \"-env ${option.env}\", \"nodeStep\": \"true\", \"uuid\": \"u1\", \"useName\": \"false\","
	"     \"nodefilters\": {\"filter\": \"tags: web\", \"dispatch\": {\"threadcount\": \"2\", \"keepgoing\": \"true\"}}}},"
	"   {\"jobref\": {\"name\": \"only-dispatch\", \"nodefilters\": {\"dispatch\": {}}}},"
	"   {\"type\": \"my-plugin\", \"nodeStep\": false, \"configuration\": {\"channel\": \"#ops\", \"count\": \"3\"}},"
	"   {\"type\": \"node-plug\", \"nodeStep\": true, \"configuration\": {\"nested\": {\"a\": [\"1\", \"2\"]}}},"
	"   {\"type\": \"bare\", \"nodeStep\": false},"
	"   {\"type\": \"empty\", \"nodeStep\": true, \"configuration\": {}},"
	"   {}]},"
	" \"nodefilters\": {\"filter\": \"name: web.*\", \"dispatch\": {\"threadcount\": \"4\", \"keepgoing\": \"false\","
	"  \"excludePrecedence\": \"true\", \"rankOrder\": \"descending\", \"rankAttribute\": \"rank\"}},"
	" \"nodesSelectedByDefault\": \"true\","
	" \"schedule\": {\"time\": {\"hour\": \"05\", \"minute\": \"01\", \"seconds\": \"0\"}, \"month\": \"APR,MAY\","
	"  \"dayofmonth\": {\"day\": \"1,15\"}, \"weekday\": {\"day\": \"MON\"}, \"year\": \"*\"},"
	" \"notification\": {"
	"  \"onsuccess\": {\"urls\": \"http://x?a=1&b=2\", \"format\": \"json\","
	"   \"email\": {\"recipients\": \"a@b\", \"subject\": \"ok\"}},"
	"  \"onfailure\": {\"plugin\": [{\"type\": \"HttpNotification\", \"configuration\": {\"url\": \"http://y\"}}]},"
	"  \"onstart\": [{\"plugin\": [{\"type\": \"p1\", \"configuration\": {}}]},"
	"   {\"plugin\": [{\"type\": \"p2\", \"configuration\": {\"a\": \"b\"}}, {\"type\": \"p3\"}]}],"
	"  \"onavgduration\": [{\"email\": {\"recipients\": \"c@d\"}}],"
	"  \"onretryablefailure\": {\"plugin\": []}},"
	" \"plugins\": {\"ExecutionLifecycle\": {\"resume\": {\"onRetry\": \"true\"}, \"other\": {}}, \"Empty\": {}},"
	" \"x-unknown\": {\"deep\": {\"list\": [\"a\"], \"empty\": {}, \"none\": [], \"matrix\": [[\"1\", \"2\"], [\"3\"]],"
	"  \"null\": null, \"pair\": [\"p\", \"q\"]}, \"weird key!\": \"v\", \"element\": {\"name\": \"n\"},"
	"  \"<text>\": \"t\", \"data\": \"true\"},"
	" \"x-text-form\": {\"<text>\": \"body\", \"attr\": \"1\"},"
	" \"x-blank\": \"   \", \"x-empty\": \"\", \"x-multi\": \"a\\nb\", \"x-cr\": \"a\\r\\nb\","
	" \"tags\": [\"a\", \"b\"]"
	"}]";

START_TEST(rich_model_round_trip)
{
	json_t *jobs = load_json(rich_model);

	assert_model_round_trip(jobs);
	json_decref(jobs);
}
END_TEST

START_TEST(minimal_models_round_trip)
{
	static const char *const models[] = {
		"[{\"name\": \"a\", \"sequence\": {\"commands\": []}}]",
		"[{\"name\": \"a\", \"sequence\": {}}]",
		"[{\"name\": \"a\", \"options\": []}]",
		"[{\"name\": \"a\", \"retry\": {\"retry\": \"2\"}}]",
		"[{\"name\": \"a\", \"retry\": {}}]",
		"[{\"name\": \"a\", \"retry\": {\"delay\": \"1s\", \"retry\": \" \"}}]",
		"[{\"name\": \"a\", \"nodefilters\": {}}]",
		"[{\"name\": \"a\", \"nodefilters\": {\"dispatch\": {}}}]",
		"[{\"name\": \"a\", \"schedule\": {}}]",
		"[{\"name\": \"a\", \"schedule\": {\"dayofmonth\": {\"day\": \"3\"}}}]",
		"[{\"name\": \"a\", \"schedule\": {\"dayofmonth\": {\"day\": \"3\", \"x\": \"y\"}, \"month\": \"2\"}}]",
		"[{\"name\": \"a\", \"notification\": {}}]",
		"[{\"name\": \"a\", \"notification\": {\"onstart\": {}}}]",
		"[{\"name\": \"a\", \"plugins\": {}}]",
		"[{\"name\": \"a\", \"loglimit\": [\"1\", \"2\"]}]",
		"[{\"name\": \"a\", \"sequence\": {\"commands\": [{\"plugins\": {}, \"errorhandler\": {}}]}}]",
		"[{\"name\": \"a\", \"sequence\": {\"commands\": [{\"jobref\": {\"args\": [\"x\", \"y\"]}}]}}]",
		"[{\"name\": \"a\", \"sequence\": {\"commands\": [{\"plugins\": {\"LogFilter\": []}}]}}]",
		"[{\"name\": \"a\", \"sequence\": {\"pluginConfig\": {}}}]",
		"[{\"name\": \"a\", \"id\": \"other\", \"uuid\": \"u\"}]",
		"[{}]",
		"[]",
	};

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		json_t *jobs = load_json(models[i]);

		if (json_array_size(jobs) == 0) {
			char *xml = encode_ok(jobs);

			ck_assert_str_eq(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<joblist>\n</joblist>\n");
			free(xml);
		} else {
			assert_model_round_trip(jobs);
		}
		json_decref(jobs);
	}
}
END_TEST

START_TEST(numbers_and_booleans_written_as_text)
{
	json_t *jobs = load_json(
		"[{\"name\": \"a\", \"executionEnabled\": true, \"retry\": 2, \"ratio\": 0.1, \"big\": 1e300,"
		" \"nodefilters\": {\"dispatch\": {\"threadcount\": 4, \"keepgoing\": false}}}]");
	char *xml = encode_ok(jobs);
	json_t *job = decode_job(xml);

	assert_at(job, "executionEnabled", "\"true\"");
	assert_at(job, "retry", "\"2\"");
	assert_at(job, "ratio", "\"0.1\"");
	assert_at(job, "big", "\"1e+300\"");
	assert_at(job, "nodefilters", "{\"dispatch\": {\"threadcount\": \"4\", \"keepgoing\": \"false\"}}");
	json_decref(job);
	json_decref(jobs);
	free(xml);
}
END_TEST

START_TEST(encoder_output_follows_rundeck_layout)
{
	json_t *jobs = load_json(
		"[{\"sequence\": {\"strategy\": \"sequential\", \"commands\": [{\"exec\": \"true\"}]},"
		" \"name\": \"a\", \"uuid\": \"u\", \"options\": [{\"name\": \"o\", \"enforced\": true, \"values\": [\"1\", \"2\"]}],"
		" \"zeta\": \"z\", \"alpha\": \"a\"}]");
	char *xml = encode_ok(jobs);

	ck_assert_str_eq(xml,
			 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			 "<joblist>\n"
			 "  <job>\n"
			 "    <uuid>u</uuid>\n"
			 "    <name>a</name>\n"
			 "    <context>\n"
			 "      <options preserveOrder=\"true\">\n"
			 "        <option name=\"o\" values=\"1,2\" enforcedvalues=\"true\"/>\n"
			 "      </options>\n"
			 "    </context>\n"
			 "    <sequence strategy=\"sequential\">\n"
			 "      <command>\n"
			 "        <exec>true</exec>\n"
			 "      </command>\n"
			 "    </sequence>\n"
			 "    <alpha>a</alpha>\n"
			 "    <zeta>z</zeta>\n"
			 "  </job>\n"
			 "</joblist>\n");
	json_decref(jobs);
	free(xml);
}
END_TEST

/* ---- threads ---------------------------------------------------------------------- */

/* Decode a good document and a badly encoded one, many times over. */
static void *decode_many(void *arg)
{
	const char *xml = arg;
	json_t *first = NULL;
	bool same = true;

	for (int i = 0; i < 200 && same; i++) {
		struct jf_error err = JF_ERROR_INIT;
		json_t *jobs;

		if (codec_xml_decode(xml, strlen(xml), &jobs, NULL, &err))
			return (void *)"decode failed";
		if (!first)
			first = jobs;
		else {
			same = json_equal(first, jobs);
			json_decref(jobs);
		}
		jf_error_clear(&err);
		if (!codec_xml_decode(bad_encoding, sizeof(bad_encoding) - 1, &jobs, NULL, &err))
			return (void *)"a badly encoded document decoded";
	}
	json_decref(first);
	return same ? NULL : (void *)"decodes differ";
}

START_TEST(concurrent_decodes_agree)
{
	char *text = read_data("export.xml");
	pthread_t threads[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, decode_many, text), 0);
	for (int i = 0; i < 4; i++) {
		void *result;

		ck_assert_int_eq(pthread_join(threads[i], &result), 0);
		ck_assert_msg(result == NULL, "thread %d: %s", i, (const char *)result);
	}
	free(text);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------- */

static Suite *codec_xml_suite(void)
{
	Suite *s = suite_create("codec_xml");
	TCase *generic = tcase_create("generic");
	TCase *renames = tcase_create("renames");
	TCase *errors = tcase_create("errors");
	TCase *roundtrip = tcase_create("roundtrip");
	TCase *threads = tcase_create("threads");

	tcase_add_test(generic, attribute_and_child_element_mean_the_same);
	tcase_add_test(generic, empty_element_is_empty_text);
	tcase_add_test(generic, repeated_element_becomes_a_list);
	tcase_add_test(generic, text_beside_attributes_under_text_key);
	tcase_add_test(generic, text_keeps_its_whitespace);
	tcase_add_test(generic, data_form_gives_typed_values);
	tcase_add_test(generic, element_name_attribute_gives_any_key);
	tcase_add_test(generic, unknown_element_survives_round_trip);
	tcase_add_test(generic, namespaced_names_keep_their_prefix);
	suite_add_tcase(s, generic);

	tcase_add_test(renames, single_option_becomes_a_list);
	tcase_add_test(renames, options_sorted_without_preserve_order);
	tcase_add_test(renames, old_layout_options_under_job);
	tcase_add_test(renames, option_fields_renamed);
	tcase_add_test(renames, cdata_script_kept);
	tcase_add_test(renames, retry_with_delay_attribute);
	tcase_add_test(renames, logging_becomes_loglimit_keys);
	tcase_add_test(renames, dispatch_moves_into_nodefilters);
	tcase_add_test(renames, jobref_arg_and_dispatch);
	tcase_add_test(renames, step_plugins_flatten_into_the_step);
	tcase_add_test(renames, value_key_and_string_key_plugin_config);
	tcase_add_test(renames, single_log_filter_becomes_a_list);
	tcase_add_test(renames, errorhandler_is_a_step);
	tcase_add_test(renames, schedule_month_day_split);
	tcase_add_test(renames, notification_webhook_and_plugin);
	tcase_add_test(renames, id_becomes_uuid);
	tcase_add_test(renames, group_loses_outer_slashes);
	tcase_add_test(renames, positions_of_jobs_and_steps);
	suite_add_tcase(s, renames);

	tcase_add_test(errors, root_must_be_joblist);
	tcase_add_test(errors, joblist_needs_a_job);
	tcase_add_test(errors, joblist_holds_only_jobs);
	tcase_add_test(errors, syntax_error_reports_line);
	tcase_add_test(errors, empty_document_rejected);
	tcase_add_test(errors, option_needs_a_name);
	tcase_add_test(errors, job_must_have_elements);
	tcase_add_test(errors, repeated_sequence_rejected);
	tcase_add_test(errors, step_plugin_needs_a_type);
	tcase_add_test(errors, unexpected_member_named);
	tcase_add_test(errors, same_key_twice_rejected);
	tcase_add_test(errors, data_map_entry_needs_a_key);
	tcase_add_test(errors, entity_reference_rejected);
	tcase_add_test(errors, external_entity_not_read);
	tcase_add_test(errors, entity_expansion_bomb_rejected);
	tcase_add_test(errors, encoding_error_not_printed);
	tcase_add_test(errors, first_error_wins);
	tcase_add_test(errors, encode_rejects_control_characters);
	tcase_add_test(errors, encode_rejects_bad_shapes);
	tcase_add_test(errors, encode_rejects_xml_only_names);
	suite_add_tcase(s, errors);

	tcase_add_test(roundtrip, export_file_round_trip);
	tcase_add_test(roundtrip, legacy_file_round_trip);
	tcase_add_test(roundtrip, rich_model_round_trip);
	tcase_add_test(roundtrip, minimal_models_round_trip);
	tcase_add_test(roundtrip, numbers_and_booleans_written_as_text);
	tcase_add_test(roundtrip, encoder_output_follows_rundeck_layout);
	suite_add_tcase(s, roundtrip);

	tcase_add_test(threads, concurrent_decodes_agree);
	tcase_set_timeout(threads, 60);
	suite_add_tcase(s, threads);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(codec_xml_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
