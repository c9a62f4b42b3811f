/*
 * test_workflow.c - the engine running real workflows, without a mount:
 * jobs imported from YAML, runs requested through the engine's API, real
 * child processes, and outcomes read back as status and log.
 *
 * outcomes (one loop test over the table below):
 *   workflow_outcome_matches_table  exit codes, keepgoing, error handlers,
 *                                   data, job references and their cycles,
 *                                   built-in and unknown step plugins,
 *                                   parallel, timeout, secure option masking
 * retry and resume:
 *   retry_follows_failed_attempt    failed-with-retry, then a linked retry
 *   resume_runs_from_failed_step    earlier steps are not run again
 *   resume_rejects_succeeded        EPERM-style refusal with its message
 *   resume_state_names_step         the resume state file's format
 *   import_names_xml_in_yaml        XML written to a .yaml file is named as such
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "logstore.h"
#include "unit_helpers.h"

static char *store_dir;
static struct engine *eng;

static void engine_setup(void)
{
	struct engine_config config = { 0 };
	struct jf_error err = JF_ERROR_INIT;

	store_dir = temp_dir_create();
	config.store_dir = store_dir;
	config.work_dir = store_dir;
	config.kill_grace_ms = 500;
	ck_assert_msg(engine_open(&config, &eng, &err) == 0, "engine_open: %s", err.message);
	ck_assert_msg(engine_start(eng, &err) == 0, "engine_start: %s", err.message);
}

static void engine_teardown(void)
{
	engine_stop(eng);
	engine_close(eng);
	eng = NULL;
	temp_dir_remove(store_dir);
}

static void import_yaml(const char *yaml)
{
	struct jf_error err = JF_ERROR_INIT;
	size_t count;

	ck_assert_msg(engine_import(eng, FOLDER_ROOT, "jobs.yaml", yaml, strlen(yaml), &count,
				    &err) == 0,
		      "import: %s", err.message);
}

/* The id of job t/NAME. */
static int64_t job_id(const char *name)
{
	struct folder_entry group, job;

	ck_assert_int_eq(engine_folder_lookup(eng, FOLDER_ROOT, "t", &group), 0);
	ck_assert_int_eq(engine_folder_lookup(eng, group.id, name, &job), 0);
	free(group.name);
	free(job.name);
	return job.id;
}

static int64_t run_job(const char *name, const char *request)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id = 0;

	ck_assert_msg(engine_run(eng, job_id(name), request, strlen(request), &id, &err) == 0,
		      "run %s: %s", name, err.message);
	return id;
}

/* Wait up to 20 s for execution id to end; returns its status. */
static enum exec_status wait_final(int64_t id)
{
	for (int i = 0; i < 2000; i++) {
		struct exec_view v;

		ck_assert_int_eq(engine_exec_view(eng, id, &v), 0);
		if (v.final && v.status != ST_SCHEDULED)
			return v.status;
		usleep(10000);
	}
	ck_abort_msg("execution %lld did not end within 20 s", (long long)id);
	return ST_RUNNING;
}

static char *log_of(int64_t id)
{
	char *path = logstore_path(engine_log_dir(eng), id, "log");
	char *text = read_text(path);

	free(path);
	return text;
}

struct outcome_case {
	const char *name;
	const char *request;
	enum exec_status status;
	const char *contains; /* "" for no check */
	const char *lacks;    /* "" for no check */
};

static const char outcome_jobs[] =
	"- {name: ok, group: t, sequence: {strategy: sequential, commands: [{exec: echo one}]}}\n"
	"- name: exit3\n  group: t\n  sequence: {commands: [{exec: 'sh -c \"exit 3\"'}]}\n"
	"- name: stop\n  group: t\n  sequence:\n    commands:\n    - exec: 'false'\n    - exec: echo after\n"
	"- name: go\n  group: t\n  sequence:\n    keepgoing: true\n    commands:\n    - exec: 'false'\n    - exec: echo after\n"
	"- name: handled\n  group: t\n  sequence:\n    commands:\n"
	"    - exec: 'sh -c \"exit 3\"'\n"
	"      errorhandler: {exec: 'echo handled ${result.resultCode}', keepgoingOnSuccess: true}\n"
	"    - exec: echo after\n"
	"- name: handled-stops\n  group: t\n  sequence:\n    commands:\n"
	"    - exec: 'false'\n      errorhandler: {exec: 'echo handled'}\n    - exec: echo after\n"
	"- name: handled-keepgoing\n  group: t\n  sequence:\n    keepgoing: true\n    commands:\n"
	"    - exec: 'false'\n      errorhandler: {exec: 'true'}\n    - exec: echo after\n"
	"- name: handler-fails\n  group: t\n  sequence:\n    commands:\n"
	"    - exec: 'false'\n      errorhandler: {exec: 'false', keepgoingOnSuccess: true}\n"
	"    - exec: echo after\n"
	"- name: data\n  group: t\n  sequence:\n    commands:\n"
	"    - exec: echo RUNDECK:DATA:k=42\n"
	"      plugins: {LogFilter: [{type: key-value-data, config: {}}]}\n"
	"    - exec: 'echo v=${data.k} s=${1:data.k}'\n"
	"    - script: \"#!/bin/sh\\necho env=$RD_DATA_K token=@data.k@\\n\"\n"
	"- name: exit-code\n  group: t\n  sequence:\n    keepgoing: true\n    commands:\n"
	"    - exec: 'sh -c \"exit 4\"'\n    - exec: 'echo code=${exec.exitCode} first=${1:exec.exitCode}'\n"
	"- name: child\n  group: t\n  options: [{name: who, required: true}]\n"
	"  sequence: {commands: [{exec: 'echo hello ${option.who}'}]}\n"
	"- name: parent\n  group: t\n  sequence:\n    commands:\n"
	"    - jobref: {group: t, name: child, args: '-who \"big world\"'}\n    - exec: echo parent-done\n"
	"- name: missing-ref\n  group: t\n  sequence: {commands: [{jobref: {group: t, name: nobody}}]}\n"
	"- name: loop-a\n  group: t\n  sequence: {commands: [{jobref: {group: t, name: loop-b}}]}\n"
	"- name: loop-b\n  group: t\n  sequence: {commands: [{jobref: {group: t, name: loop-a}}]}\n"
	"- name: halt\n  group: t\n  sequence:\n    commands:\n"
	"    - {type: flow-control, configuration: {halt: 'true', fail: 'false'}}\n    - exec: echo later\n"
	"- name: export\n  group: t\n  sequence:\n    commands:\n"
	"    - {type: export-var, configuration: {export: x, value: exported}}\n"
	"    - exec: 'echo got ${export.x}'\n"
	"- name: unknown-plugin\n  group: t\n  sequence: {commands: [{type: frobnicate}]}\n"
	"- name: remote-url\n  group: t\n  sequence: {commands: [{scripturl: 'https://example.org/x.sh'}]}\n"
	"- name: timeout\n  group: t\n  timeout: 1s\n  sequence: {commands: [{exec: sleep 20}]}\n"
	"- name: parallel\n  group: t\n  sequence:\n    strategy: parallel\n    commands:\n"
	"    - exec: echo p1\n    - exec: echo p2\n    - exec: echo p3\n"
	"- name: secret\n  group: t\n"
	"  options: [{name: pw, secure: true, valueExposed: true}]\n"
	"  sequence: {commands: [{exec: 'echo pw=${option.pw}'}]}\n"
	"- name: no-shebang\n  group: t\n  sequence: {commands: [{script: 'echo plain script'}]}\n"
	"- name: quoting\n  group: t\n  options: [{name: msg}]\n"
	"  sequence: {commands: [{exec: 'printf [%s] ${option.msg}'}]}\n";

static const struct outcome_case outcome_cases[] = {
	{ "ok", "1", ST_SUCCEEDED, "one", "" },
	{ "exit3", "", ST_FAILED, "", "" },
	{ "stop", "", ST_FAILED, "", "after" },
	{ "go", "", ST_FAILED, "after", "" },
	{ "handled", "", ST_SUCCEEDED, "handled 3", "" },
	{ "handled-stops", "", ST_FAILED, "handled", "after" },
	{ "handled-keepgoing", "", ST_SUCCEEDED, "after", "" },
	{ "handler-fails", "", ST_FAILED, "", "after" },
	{ "data", "", ST_SUCCEEDED, "v=42 s=42", "" },
	{ "data", "", ST_SUCCEEDED, "env=42 token=42", "" },
	{ "exit-code", "", ST_FAILED, "code=4 first=4", "" },
	{ "parent", "", ST_SUCCEEDED, "hello big world", "" },
	{ "parent", "", ST_SUCCEEDED, "parent-done", "" },
	{ "missing-ref", "", ST_FAILED, "no job 't/nobody'", "" },
	{ "loop-a", "", ST_FAILED, "job reference cycle", "" },
	{ "halt", "", ST_SUCCEEDED, "", "later" },
	{ "export", "", ST_SUCCEEDED, "got exported", "" },
	{ "unknown-plugin", "", ST_FAILED, "unknown step plugin type 'frobnicate'", "" },
	{ "remote-url", "", ST_FAILED, "is not supported", "" },
	{ "timeout", "", ST_TIMEDOUT, "timed out after 1s", "" },
	{ "parallel", "", ST_SUCCEEDED, "p3", "" },
	{ "secret", "-pw hunter2", ST_SUCCEEDED, "pw=[SECURE]", "hunter2" },
	{ "no-shebang", "", ST_SUCCEEDED, "plain script", "" },
	{ "exit3", "", ST_FAILED, "step 1 failed: Result code was 3", "" },
	{ "quoting", "-msg 'a; echo injected'", ST_SUCCEEDED, "[a; echo injected]", "\ninjected" },
};

START_TEST(workflow_outcome_matches_table)
{
	const struct outcome_case *c = &outcome_cases[_i];
	int64_t id;
	enum exec_status status;
	char *log;

	import_yaml(outcome_jobs);
	id = run_job(c->name, c->request);
	status = wait_final(id);
	log = log_of(id);
	ck_assert_msg(status == c->status, "%s: expected %s, got %s; log: %s", c->name,
		      exec_status_name(c->status), exec_status_name(status), log);
	ck_assert_msg(!*c->contains || strstr(log, c->contains), "%s: log lacks '%s': %s", c->name,
		      c->contains, log);
	ck_assert_msg(!*c->lacks || !strstr(log, c->lacks), "%s: log has '%s': %s", c->name,
		      c->lacks, log);
	free(log);
}
END_TEST

static const char retry_job[] =
	"- name: retried\n  group: t\n  retry: {retry: '1', delay: 0s}\n"
	"  sequence: {commands: [{exec: 'test ${job.retryAttempt} -ge 1'}]}\n";

START_TEST(retry_follows_failed_attempt)
{
	int64_t first, ids[8];
	size_t n = 0;
	struct exec_view v;

	import_yaml(retry_job);
	first = run_job("retried", "");
	ck_assert_int_eq(wait_final(first), ST_FAILED_WITH_RETRY);
	for (int i = 0; i < 500 && n == 0; i++) {
		engine_exec_list(eng, first, ids, 8, &n);
		usleep(10000);
	}
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(wait_final(ids[0]), ST_SUCCEEDED);
	ck_assert_int_eq(engine_exec_view(eng, ids[0], &v), 0);
	ck_assert_int_eq(v.retry_of, first);
}
END_TEST

/* Step 2 fails until the file "fixed" exists in the store folder, the steps' folder. */
static const char resume_job[] =
	"- name: flaky\n  group: t\n  plugins: {ExecutionLifecycle: {resume: {}}}\n"
	"  options: [{name: tag, value: v1}]\n"
	"  sequence:\n    strategy: sequential\n    commands:\n"
	"    - exec: echo RUNDECK:DATA:build=7\n"
	"      plugins: {LogFilter: [{type: key-value-data, config: {}}]}\n"
	"    - exec: test -e fixed\n"
	"    - exec: 'echo build=${data.build} tag=${option.tag}'\n";

START_TEST(resume_runs_from_failed_step)
{
	struct jf_error err = JF_ERROR_INIT;
	struct strbuf line = STRBUF_INIT;
	int64_t first, resumed;
	char *path, *log;

	import_yaml(resume_job);
	first = run_job("flaky", "-tag v2");
	ck_assert_int_eq(wait_final(first), ST_FAILED);
	ck_assert_int_eq(engine_resume_describe(eng, first, &line), 0);
	ck_assert_str_eq(sb_str(&line), "resumable at step 2 of 3\n");
	path = xasprintf("%s/fixed", store_dir);
	ck_assert_int_eq(write_file_atomic(path, "", 0, 0644, false, &err), 0);
	free(path);
	ck_assert_msg(engine_resume(eng, first, "1", 1, &resumed, &err) == 0, "resume: %s",
		      err.message);
	ck_assert_int_eq(wait_final(resumed), ST_SUCCEEDED);
	log = log_of(resumed);
	ck_assert_msg(strstr(log, "build=7 tag=v2"), "log: %s", log);
	ck_assert_msg(!strstr(log, "RUNDECK:DATA"), "step 1 ran again: %s", log);
	ck_assert_msg(strstr(log, "[jobfs] resuming execution"), "log: %s", log);
	free(log);
	sb_release(&line);
}
END_TEST

START_TEST(resume_rejects_succeeded)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id, resumed = 0;

	import_yaml(resume_job);
	import_yaml("- name: fine\n  group: t\n  plugins: {ExecutionLifecycle: {resume: {}}}\n"
		    "  sequence: {strategy: sequential, commands: [{exec: 'true'}]}\n");
	id = run_job("fine", "");
	ck_assert_int_eq(wait_final(id), ST_SUCCEEDED);
	ck_assert_int_eq(engine_resume(eng, id, "1", 1, &resumed, &err), JF_REFUSED);
	ck_assert_int_eq(resumed, 0);
	ck_assert_msg(strstr(err.message, "succeeded; there is nothing to resume"), "%s",
		      err.message);
}
END_TEST

START_TEST(resume_state_names_step)
{
	struct strbuf text = STRBUF_INIT;
	json_t *state;
	int64_t id;

	import_yaml(resume_job);
	id = run_job("flaky", "");
	ck_assert_int_eq(wait_final(id), ST_FAILED);
	ck_assert_int_eq(engine_exec_render(eng, id, EXEC_FILE_RESUME_STATE, &text), 0);
	state = json_loads(sb_str(&text), 0, NULL);
	ck_assert_ptr_nonnull(state);
	ck_assert_str_eq(json_string_value(json_object_get(state, "format")), "jobfs-resume-state");
	ck_assert_int_eq(json_integer_value(json_object_get(state, "version")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(state, "step")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(state, "execution")), id);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(state, "data"),
							   "data.build")),
			 "7");
	ck_assert_int_eq(json_array_size(json_object_get(state, "snapshot")), 3);
	json_decref(state);
	sb_release(&text);
}
END_TEST

START_TEST(import_names_xml_in_yaml)
{
	static const char xml[] = "<joblist><job><name>x</name></job></joblist>\n";
	struct jf_error err = JF_ERROR_INIT;
	size_t count = 9;

	ck_assert_int_eq(engine_import(eng, FOLDER_ROOT, "jobs.yaml", xml, strlen(xml), &count, &err),
			 JF_INVALID);
	ck_assert_uint_eq(count, 0);
	ck_assert_str_eq(err.message, "jobs.yaml: this looks like XML, not YAML: write it to "
				      "job.xml or to a .xml file");
}
END_TEST

static Suite *workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *outcomes = tcase_create("outcomes");
	TCase *lifecycle = tcase_create("retry and resume");

	tcase_add_checked_fixture(outcomes, engine_setup, engine_teardown);
	tcase_set_timeout(outcomes, 30);
	tcase_add_loop_test(outcomes, workflow_outcome_matches_table, 0,
			    sizeof(outcome_cases) / sizeof(outcome_cases[0]));
	suite_add_tcase(s, outcomes);
	tcase_add_checked_fixture(lifecycle, engine_setup, engine_teardown);
	tcase_set_timeout(lifecycle, 30);
	tcase_add_test(lifecycle, retry_follows_failed_attempt);
	tcase_add_test(lifecycle, resume_runs_from_failed_step);
	tcase_add_test(lifecycle, resume_rejects_succeeded);
	tcase_add_test(lifecycle, resume_state_names_step);
	tcase_add_test(lifecycle, import_names_xml_in_yaml);
	suite_add_tcase(s, lifecycle);
	return s;
}

int main(void)
{
	return run_suite(workflow_suite());
}
