/*
 * test_job.c - job.h: normalization of decoded job maps, the typed view
 * job_parse builds, and its error messages.
 *
 * job_normalize:
 *   normalize_id_becomes_uuid          id moves to uuid when uuid is missing
 *   normalize_keeps_different_id       id stays when uuid differs
 *   normalize_boolean_strings          "true"/"false" of known keys, any case
 *   normalize_leaves_unknown_keys      other keys and other words stay strings
 *   normalize_legacy_options_map       a map keyed by name becomes a list
 *   normalize_option_values_string     "a,b" and "a;b" with its delimiter
 *   normalize_scalars_to_text          numbers in names and values become text
 *   normalize_plugin_step_values       nodeStep false added, configuration as text
 *   normalize_retry_to_text            retry count and delay become text
 *   normalize_dispatch_threadcount     "2" becomes 2, other text stays
 *   normalize_filter_and_resume_bools  logData and onRetry become booleans
 * job_parse, valid:
 *   parse_job_fields                   name, group, description, uuid, path
 *   parse_exec_step                    command, description, node step
 *   parse_script_step                  args, interpreter, argsquoted, extension
 *   parse_scriptfile_and_url           path, numeric args, expandTokenInScriptFile
 *   parse_jobref_by_name               name, group, args, importOptions
 *   parse_jobref_by_uuid               uuid, useName false, nodeStep, failOnDisable
 *   parse_plugin_step                  type, configuration, nodeStep
 *   parse_error_handler                handler kind and keepgoingOnSuccess
 *   parse_strategies                   table: named, synonym, missing, unknown
 *   parse_retry_scalar                 retry: 3
 *   parse_retry_with_delay             retry: {retry, delay}
 *   parse_timeout                      text and number
 *   parse_resume_plugin                enabled, onRetry as bool and as text
 *   parse_without_resume_plugin        disabled, no onRetry
 *   parse_keepgoing                    default false, "true" string
 *   parse_execution_enabled            default true, "false" string
 *   parse_log_filters                  step filters and workflow pluginConfig
 *   parse_options                      defaults, values, flags, delimiter
 * job_parse, invalid (data-driven):
 *   invalid_cases_present              the case folders were found
 *   invalid_case_matches_error         every tests/data/invalid/<case>: the
 *                                      message of input.yaml equals error
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "job.h"
#include "unit_helpers.h"

/* Decode one YAML job map without normalizing it. */
static json_t *raw_job(const char *yaml)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *root = NULL, *job;

	ck_assert_msg(codec_decode(FORMAT_YAML, yaml, strlen(yaml), &root, NULL, &err) == 0,
		      "decode: %s", err.message);
	job = json_incref(json_array_get(root, 0));
	json_decref(root);
	ck_assert(json_is_object(job));
	return job;
}

/*
 * Return the member of root at path, a dot-separated list of object keys
 * and array indexes ("sequence.commands.0.jobref"), or NULL.
 */
static json_t *member_at(json_t *root, const char *path)
{
	char *copy = xstrdup(path);
	char *save = NULL;
	json_t *node = root;

	for (char *part = strtok_r(copy, ".", &save); part && node;
	     part = strtok_r(NULL, ".", &save)) {
		char *end;
		unsigned long index = strtoul(part, &end, 10);

		if (json_is_array(node) && *end == '\0')
			node = json_array_get(node, index);
		else
			node = json_object_get(node, part);
	}
	free(copy);
	return node;
}

/* ---- job_normalize ------------------------------------------------------------ */

START_TEST(normalize_id_becomes_uuid)
{
	json_t *job = raw_job("- {id: abc-123, name: a}\n");

	job_normalize(job);
	ck_assert_str_eq(json_string_value(json_object_get(job, "uuid")), "abc-123");
	ck_assert_ptr_null(json_object_get(job, "id"));
	json_decref(job);

	job = raw_job("- {id: abc-123, uuid: abc-123, name: a}\n");
	job_normalize(job);
	ck_assert_str_eq(json_string_value(json_object_get(job, "uuid")), "abc-123");
	ck_assert_ptr_null(json_object_get(job, "id"));
	json_decref(job);
}
END_TEST

START_TEST(normalize_keeps_different_id)
{
	json_t *job = raw_job("- {id: one, uuid: two, name: a}\n");

	job_normalize(job);
	ck_assert_str_eq(json_string_value(json_object_get(job, "uuid")), "two");
	ck_assert_str_eq(json_string_value(json_object_get(job, "id")), "one");
	json_decref(job);
}
END_TEST

START_TEST(normalize_boolean_strings)
{
	json_t *job = raw_job("- name: a\n"
			      "  executionEnabled: 'false'\n"
			      "  multipleExecutions: 'TRUE'\n"
			      "  nodefilters: {dispatch: {keepgoing: 'True'}}\n"
			      "  options:\n"
			      "  - {name: env, required: 'true', secure: 'false'}\n"
			      "  sequence:\n"
			      "    keepgoing: 'true'\n"
			      "    commands:\n"
			      "    - script: echo\n"
			      "      interpreterArgsQuoted: 'true'\n"
			      "      errorhandler: {exec: echo, keepgoingOnSuccess: 'true'}\n"
			      "    - jobref: {name: b, importOptions: 'true', nodeStep: 'false',\n"
			      "               nodefilters: {dispatch: {keepgoing: 'true'}}}\n");
	job_normalize(job);
	ck_assert(json_is_false(member_at(job, "executionEnabled")));
	ck_assert(json_is_true(member_at(job, "multipleExecutions")));
	ck_assert(json_is_true(member_at(job, "nodefilters.dispatch.keepgoing")));
	ck_assert(json_is_true(member_at(job, "options.0.required")));
	ck_assert(json_is_false(member_at(job, "options.0.secure")));
	ck_assert(json_is_true(member_at(job, "sequence.keepgoing")));
	ck_assert(json_is_true(member_at(job, "sequence.commands.0.interpreterArgsQuoted")));
	ck_assert(json_is_true(
		member_at(job, "sequence.commands.0.errorhandler.keepgoingOnSuccess")));
	ck_assert(json_is_true(member_at(job, "sequence.commands.1.jobref.importOptions")));
	ck_assert(json_is_false(member_at(job, "sequence.commands.1.jobref.nodeStep")));
	ck_assert(json_is_true(
		member_at(job, "sequence.commands.1.jobref.nodefilters.dispatch.keepgoing")));
	json_decref(job);
}
END_TEST

START_TEST(normalize_leaves_unknown_keys)
{
	json_t *job = raw_job("- name: a\n"
			      "  custom: 'true'\n"
			      "  executionEnabled: 'maybe'\n"
			      "  sequence: {commands: [{exec: echo, note: 'false'}]}\n");
	json_t *step;

	job_normalize(job);
	step = json_array_get(json_object_get(json_object_get(job, "sequence"), "commands"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(job, "custom")), "true");
	ck_assert_str_eq(json_string_value(json_object_get(job, "executionEnabled")), "maybe");
	ck_assert_str_eq(json_string_value(json_object_get(step, "note")), "false");
	json_decref(job);
}
END_TEST

START_TEST(normalize_legacy_options_map)
{
	json_t *job = raw_job("- name: a\n"
			      "  options:\n"
			      "    env: {value: dev, required: 'true'}\n"
			      "    region:\n");
	json_t *options, *env, *region;

	job_normalize(job);
	options = json_object_get(job, "options");
	ck_assert(json_is_array(options));
	ck_assert_uint_eq(json_array_size(options), 2);
	env = json_array_get(options, 0);
	region = json_array_get(options, 1);
	ck_assert_str_eq(json_string_value(json_object_get(env, "name")), "env");
	ck_assert_str_eq(json_string_value(json_object_get(env, "value")), "dev");
	ck_assert(json_is_true(json_object_get(env, "required")));
	ck_assert_str_eq(json_string_value(json_object_get(region, "name")), "region");
	ck_assert_uint_eq(json_object_size(region), 1);
	json_decref(job);
}
END_TEST

static void check_values(const json_t *opt, size_t n, const char *const *expected)
{
	const json_t *values = json_object_get(opt, "values");

	ck_assert(json_is_array(values));
	ck_assert_uint_eq(json_array_size(values), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(json_string_value(json_array_get(values, i)), expected[i]);
}

START_TEST(normalize_option_values_string)
{
	json_t *job = raw_job("- name: a\n"
			      "  options:\n"
			      "  - {name: env, values: 'dev,qa,prod'}\n"
			      "  - {name: zone, values: 'a;b', valuesListDelimiter: ';'}\n"
			      "  - {name: one, values: single}\n");
	json_t *options;

	job_normalize(job);
	options = json_object_get(job, "options");
	check_values(json_array_get(options, 0), 3, (const char *const[]){ "dev", "qa", "prod" });
	check_values(json_array_get(options, 1), 2, (const char *const[]){ "a", "b" });
	check_values(json_array_get(options, 2), 1, (const char *const[]){ "single" });
	json_decref(job);
}
END_TEST

START_TEST(normalize_scalars_to_text)
{
	json_t *job = raw_job("- name: 42\n"
			      "  group: 7\n"
			      "  timeout: 300\n"
			      "  options:\n"
			      "  - {name: n, value: 5, values: [1, 2, true]}\n");
	json_t *opt;

	job_normalize(job);
	opt = json_array_get(json_object_get(job, "options"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(job, "name")), "42");
	ck_assert_str_eq(json_string_value(json_object_get(job, "group")), "7");
	ck_assert_str_eq(json_string_value(json_object_get(job, "timeout")), "300");
	ck_assert_str_eq(json_string_value(json_object_get(opt, "value")), "5");
	check_values(opt, 3, (const char *const[]){ "1", "2", "true" });
	json_decref(job);
}
END_TEST

START_TEST(normalize_plugin_step_values)
{
	json_t *job = raw_job("- name: a\n"
			      "  sequence:\n"
			      "    commands:\n"
			      "    - type: notify\n"
			      "      configuration: {retries: 3, loud: true, channel: ops}\n"
			      "    - {type: page, nodeStep: true}\n"
			      "    - exec: echo\n");
	json_t *steps, *config;

	job_normalize(job);
	steps = json_object_get(json_object_get(job, "sequence"), "commands");
	config = json_object_get(json_array_get(steps, 0), "configuration");
	ck_assert(json_is_false(json_object_get(json_array_get(steps, 0), "nodeStep")));
	ck_assert_str_eq(json_string_value(json_object_get(config, "retries")), "3");
	ck_assert_str_eq(json_string_value(json_object_get(config, "loud")), "true");
	ck_assert_str_eq(json_string_value(json_object_get(config, "channel")), "ops");
	ck_assert(json_is_true(json_object_get(json_array_get(steps, 1), "nodeStep")));
	ck_assert_ptr_null(json_object_get(json_array_get(steps, 2), "nodeStep"));
	json_decref(job);
}
END_TEST

START_TEST(normalize_retry_to_text)
{
	json_t *job = raw_job("- {name: a, retry: 3}\n");

	job_normalize(job);
	ck_assert_str_eq(json_string_value(json_object_get(job, "retry")), "3");
	json_decref(job);

	job = raw_job("- {name: a, retry: {retry: 2, delay: 30}}\n");
	job_normalize(job);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(job, "retry"), "retry")),
			 "2");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(job, "retry"), "delay")),
			 "30");
	json_decref(job);
}
END_TEST

START_TEST(normalize_dispatch_threadcount)
{
	json_t *job = raw_job("- name: a\n"
			      "  nodefilters: {dispatch: {threadcount: '2'}}\n"
			      "  sequence:\n"
			      "    commands:\n"
			      "    - jobref: {name: b, nodefilters: {dispatch: {threadcount: '${option.n}'}}}\n");
	json_t *count, *ref_count;

	job_normalize(job);
	count = member_at(job, "nodefilters.dispatch.threadcount");
	ref_count = member_at(job, "sequence.commands.0.jobref.nodefilters.dispatch.threadcount");
	ck_assert(json_is_integer(count));
	ck_assert_int_eq(json_integer_value(count), 2);
	ck_assert_str_eq(json_string_value(ref_count), "${option.n}");
	json_decref(job);
}
END_TEST

START_TEST(normalize_filter_and_resume_bools)
{
	json_t *job = raw_job("- name: a\n"
			      "  plugins: {ExecutionLifecycle: {resume: {onRetry: 'true'}}}\n"
			      "  sequence:\n"
			      "    pluginConfig:\n"
			      "      LogFilter: [{type: t, config: {matchSubstrings: 'false'}}]\n"
			      "    commands:\n"
			      "    - exec: echo\n"
			      "      plugins:\n"
			      "        LogFilter: [{type: key-value-data, config: {logData: 'TRUE',"
			      " regex: 'true'}}]\n");
	const char *step_config = "sequence.commands.0.plugins.LogFilter.0.config";
	char *log_data = xasprintf("%s.logData", step_config);
	char *regex = xasprintf("%s.regex", step_config);

	job_normalize(job);
	ck_assert(json_is_true(member_at(job, "plugins.ExecutionLifecycle.resume.onRetry")));
	ck_assert(json_is_false(
		member_at(job, "sequence.pluginConfig.LogFilter.0.config.matchSubstrings")));
	ck_assert(json_is_true(member_at(job, log_data)));
	ck_assert_str_eq(json_string_value(member_at(job, regex)), "true");
	free(regex);
	free(log_data);
	json_decref(job);
}
END_TEST

/* ---- job_parse, valid ------------------------------------------------------------ */

static const char kinds_yaml[] =
	"- name: kinds\n"
	"  group: ops/deploy\n"
	"  id: 5d1e2c9a-0000-4000-8000-00000000a001\n"
	"  description: every step kind\n"
	"  project: demo\n"
	"  sequence:\n"
	"    commands:\n"
	"    - exec: echo hi\n"
	"      description: say hi\n"
	"    - script: |\n"
	"        #!/bin/sh\n"
	"        echo \"$1\"\n"
	"      args: -e ${option.env}\n"
	"      scriptInterpreter: bash -x\n"
	"      interpreterArgsQuoted: true\n"
	"      fileExtension: .sh\n"
	"    - scriptfile: /usr/local/bin/check.sh\n"
	"      args: 42\n"
	"      expandTokenInScriptFile: 'true'\n"
	"    - scripturl: https://example.org/install.sh\n"
	"    - jobref:\n"
	"        name: smoke\n"
	"        group: ops/test\n"
	"        args: -env ${option.env}\n"
	"        importOptions: true\n"
	"    - jobref:\n"
	"        uuid: 9a9a9a9a-0000-4000-8000-000000000002\n"
	"        name: by-uuid\n"
	"        useName: 'false'\n"
	"        nodeStep: 'true'\n"
	"        failOnDisable: true\n"
	"    - type: my-workflow-plugin\n"
	"      nodeStep: false\n"
	"      configuration:\n"
	"        channel: ops\n"
	"      errorhandler:\n"
	"        exec: echo handled ${result.reason}\n"
	"        keepgoingOnSuccess: true\n";

START_TEST(parse_job_fields)
{
	struct job *job = job_from_yaml(kinds_yaml);
	char *path = job_path(job);

	ck_assert_str_eq(job->name, "kinds");
	ck_assert_str_eq(job->group, "ops/deploy");
	ck_assert_str_eq(job->description, "every step kind");
	ck_assert_str_eq(job->project, "demo");
	ck_assert_str_eq(job->uuid, "5d1e2c9a-0000-4000-8000-00000000a001");
	ck_assert_str_eq(path, "ops/deploy/kinds");
	ck_assert(job->execution_enabled);
	ck_assert_uint_eq(job->n_steps, 7);
	ck_assert_uint_eq(job->n_options, 0);
	ck_assert_int_eq(job->refs, 1);
	free(path);
	job_free(job);
}
END_TEST

START_TEST(parse_exec_step)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *step = &job->steps[0];

	ck_assert_int_eq(step->kind, STEP_EXEC);
	ck_assert_str_eq(step_kind_name(step->kind), "exec");
	ck_assert_str_eq(step->command, "echo hi");
	ck_assert_str_eq(step->description, "say hi");
	ck_assert(step->node_step);
	ck_assert_ptr_null(step->args);
	ck_assert_ptr_null(step->handler);
	ck_assert_uint_eq(step->n_filters, 0);
	job_free(job);
}
END_TEST

START_TEST(parse_script_step)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *step = &job->steps[1];

	ck_assert_int_eq(step->kind, STEP_SCRIPT);
	ck_assert_str_eq(step_kind_name(step->kind), "script");
	ck_assert_str_eq(step->command, "#!/bin/sh\necho \"$1\"\n");
	ck_assert_str_eq(step->args, "-e ${option.env}");
	ck_assert_str_eq(step->interpreter, "bash -x");
	ck_assert(step->args_quoted);
	ck_assert_str_eq(step->file_extension, ".sh");
	ck_assert(step->node_step);
	ck_assert(!step->expand_tokens);
	job_free(job);
}
END_TEST

START_TEST(parse_scriptfile_and_url)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *file = &job->steps[2];
	const struct step *url = &job->steps[3];

	ck_assert_int_eq(file->kind, STEP_SCRIPTFILE);
	ck_assert_str_eq(file->command, "/usr/local/bin/check.sh");
	ck_assert_str_eq(file->args, "42");
	ck_assert(file->expand_tokens);
	ck_assert_ptr_null(file->interpreter);
	ck_assert(!file->args_quoted);
	ck_assert_int_eq(url->kind, STEP_SCRIPTURL);
	ck_assert_str_eq(step_kind_name(url->kind), "scripturl");
	ck_assert_str_eq(url->command, "https://example.org/install.sh");
	ck_assert(url->node_step);
	job_free(job);
}
END_TEST

START_TEST(parse_jobref_by_name)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *step = &job->steps[4];

	ck_assert_int_eq(step->kind, STEP_JOBREF);
	ck_assert_str_eq(step->ref.name, "smoke");
	ck_assert_str_eq(step->ref.group, "ops/test");
	ck_assert_ptr_null(step->ref.uuid);
	ck_assert_str_eq(step->ref.args, "-env ${option.env}");
	ck_assert(step->ref.use_name);
	ck_assert(step->ref.import_options);
	ck_assert(!step->ref.fail_on_disable);
	ck_assert(!step->node_step);
	job_free(job);
}
END_TEST

START_TEST(parse_jobref_by_uuid)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *step = &job->steps[5];

	ck_assert_int_eq(step->kind, STEP_JOBREF);
	ck_assert_str_eq(step->ref.uuid, "9a9a9a9a-0000-4000-8000-000000000002");
	ck_assert_str_eq(step->ref.name, "by-uuid");
	ck_assert_ptr_null(step->ref.group);
	ck_assert_ptr_null(step->ref.args);
	ck_assert(!step->ref.use_name);
	ck_assert(!step->ref.import_options);
	ck_assert(step->ref.fail_on_disable);
	ck_assert(step->node_step);
	job_free(job);
}
END_TEST

START_TEST(parse_plugin_step)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *step = &job->steps[6];

	ck_assert_int_eq(step->kind, STEP_PLUGIN);
	ck_assert_str_eq(step_kind_name(step->kind), "type");
	ck_assert_str_eq(step->plugin_type, "my-workflow-plugin");
	ck_assert(json_is_object(step->plugin_config));
	ck_assert_str_eq(json_string_value(json_object_get(step->plugin_config, "channel")), "ops");
	ck_assert(!step->node_step);
	job_free(job);
}
END_TEST

START_TEST(parse_error_handler)
{
	struct job *job = job_from_yaml(kinds_yaml);
	const struct step *handler = job->steps[6].handler;

	ck_assert_ptr_nonnull(handler);
	ck_assert_int_eq(handler->kind, STEP_EXEC);
	ck_assert_str_eq(handler->command, "echo handled ${result.reason}");
	ck_assert(handler->keepgoing_on_success);
	ck_assert_ptr_null(handler->handler);
	job_free(job);
}
END_TEST

struct strategy_case {
	const char *line;    /* the strategy line of the sequence, "" for none */
	enum strategy strategy;
	const char *name;
};

static const struct strategy_case strategy_cases[] = {
	{ "    strategy: sequential\n", STRATEGY_SEQUENTIAL, "sequential" },
	{ "    strategy: step-first\n", STRATEGY_SEQUENTIAL, "step-first" },
	{ "    strategy: node-first\n", STRATEGY_NODE_FIRST, "node-first" },
	{ "", STRATEGY_NODE_FIRST, "node-first" },
	{ "    strategy: parallel\n", STRATEGY_PARALLEL, "parallel" },
	{ "    strategy: ruleset\n", STRATEGY_OTHER, "ruleset" },
};

START_TEST(parse_strategies)
{
	const struct strategy_case *c = &strategy_cases[_i];
	char *yaml = xasprintf("- name: s\n"
			       "  sequence:\n"
			       "%s"
			       "    commands: [{exec: echo}]\n",
			       c->line);
	struct job *job = job_from_yaml(yaml);

	ck_assert_int_eq(job->strategy, c->strategy);
	ck_assert_str_eq(job->strategy_name, c->name);
	job_free(job);
	free(yaml);
}
END_TEST

static struct job *job_with(const char *job_lines)
{
	char *yaml = xasprintf("- name: j\n%s  sequence: {commands: [{exec: echo}]}\n", job_lines);
	struct job *job = job_from_yaml(yaml);

	free(yaml);
	return job;
}

START_TEST(parse_retry_scalar)
{
	struct job *job = job_with("  retry: 3\n");

	ck_assert_str_eq(job->retry, "3");
	ck_assert_ptr_null(job->retry_delay);
	job_free(job);

	job = job_with("  retry: ${option.retries}\n");
	ck_assert_str_eq(job->retry, "${option.retries}");
	job_free(job);

	job = job_with("");
	ck_assert_ptr_null(job->retry);
	ck_assert_ptr_null(job->timeout);
	job_free(job);
}
END_TEST

START_TEST(parse_retry_with_delay)
{
	struct job *job = job_with("  retry: {retry: '2', delay: 15s}\n");

	ck_assert_str_eq(job->retry, "2");
	ck_assert_str_eq(job->retry_delay, "15s");
	job_free(job);

	job = job_with("  retry: {retry: 4, delay: 30}\n");
	ck_assert_str_eq(job->retry, "4");
	ck_assert_str_eq(job->retry_delay, "30");
	job_free(job);
}
END_TEST

START_TEST(parse_timeout)
{
	struct job *job = job_with("  timeout: 1h 30m\n");

	ck_assert_str_eq(job->timeout, "1h 30m");
	job_free(job);

	job = job_with("  timeout: 300\n");
	ck_assert_str_eq(job->timeout, "300");
	job_free(job);
}
END_TEST

START_TEST(parse_resume_plugin)
{
	struct job *job = job_with("  plugins: {ExecutionLifecycle: {resume: {onRetry: true}}}\n");

	ck_assert(job->resume_enabled);
	ck_assert_str_eq(job->resume_on_retry, "true");
	job_free(job);

	job = job_with("  plugins: {ExecutionLifecycle: {resume: {onRetry: '${option.r}'}}}\n");
	ck_assert(job->resume_enabled);
	ck_assert_str_eq(job->resume_on_retry, "${option.r}");
	job_free(job);

	job = job_with("  plugins: {ExecutionLifecycle: {resume: {}}}\n");
	ck_assert(job->resume_enabled);
	ck_assert_ptr_null(job->resume_on_retry);
	job_free(job);
}
END_TEST

START_TEST(parse_without_resume_plugin)
{
	struct job *job = job_with("  plugins: {ExecutionLifecycle: {other: {}}}\n");

	ck_assert(!job->resume_enabled);
	ck_assert_ptr_null(job->resume_on_retry);
	job_free(job);
}
END_TEST

START_TEST(parse_keepgoing)
{
	struct job *job = job_with("");

	ck_assert(!job->keepgoing);
	job_free(job);

	job = job_from_yaml("- name: k\n"
			    "  sequence: {keepgoing: 'true', commands: [{exec: echo}]}\n");
	ck_assert(job->keepgoing);
	job_free(job);
}
END_TEST

START_TEST(parse_execution_enabled)
{
	struct job *job = job_with("");

	ck_assert(job->execution_enabled);
	job_free(job);

	job = job_with("  executionEnabled: 'false'\n");
	ck_assert(!job->execution_enabled);
	job_free(job);
}
END_TEST

START_TEST(parse_log_filters)
{
	struct job *job = job_from_yaml(
		"- name: filters\n"
		"  sequence:\n"
		"    pluginConfig:\n"
		"      LogFilter:\n"
		"      - {type: mask-passwords, config: {color: red}}\n"
		"      WorkflowStrategy: {sequential: {}}\n"
		"    commands:\n"
		"    - exec: echo RUNDECK:DATA:ver=1.4.2\n"
		"      plugins:\n"
		"        LogFilter:\n"
		"        - type: key-value-data\n"
		"          config: {regex: '^ver=(.+)$', name: ver, logData: 'true'}\n"
		"        - type: highlight-output\n");
	const struct step *step = &job->steps[0];

	ck_assert_uint_eq(job->n_filters, 1);
	ck_assert_str_eq(job->filters[0].type, "mask-passwords");
	ck_assert_str_eq(json_string_value(json_object_get(job->filters[0].config, "color")), "red");
	ck_assert_uint_eq(step->n_filters, 2);
	ck_assert_str_eq(step->filters[0].type, "key-value-data");
	ck_assert_str_eq(json_string_value(json_object_get(step->filters[0].config, "regex")),
			 "^ver=(.+)$");
	ck_assert(json_is_true(json_object_get(step->filters[0].config, "logData")));
	ck_assert_str_eq(step->filters[1].type, "highlight-output");
	ck_assert_ptr_null(step->filters[1].config);
	job_free(job);
}
END_TEST

START_TEST(parse_options)
{
	struct job *job = job_from_yaml(
		"- name: opts\n"
		"  options:\n"
		"  - name: env\n"
		"    description: target environment\n"
		"    value: dev\n"
		"    values: [dev, qa, prod]\n"
		"    enforced: true\n"
		"    required: true\n"
		"  - {name: tags, multivalued: true, delimiter: ';', regex: '[a-z]+'}\n"
		"  - {name: token, secure: true, valueExposed: true}\n"
		"  sequence: {commands: [{exec: echo}]}\n");
	const struct option_def *env = &job->options[0];
	const struct option_def *tags = &job->options[1];
	const struct option_def *token = &job->options[2];

	ck_assert_uint_eq(job->n_options, 3);
	ck_assert_str_eq(env->name, "env");
	ck_assert_str_eq(env->description, "target environment");
	ck_assert_str_eq(env->default_value, "dev");
	ck_assert_uint_eq(env->n_values, 3);
	ck_assert_str_eq(env->values[2], "prod");
	ck_assert(env->enforced);
	ck_assert(env->required);
	ck_assert(!env->multivalued);
	ck_assert_ptr_null(env->compiled);
	ck_assert(tags->multivalued);
	ck_assert_str_eq(tags->delimiter, ";");
	ck_assert_str_eq(tags->regex, "[a-z]+");
	ck_assert_ptr_nonnull(tags->compiled);
	ck_assert_ptr_null(tags->default_value);
	ck_assert(token->secure);
	ck_assert(token->value_exposed);
	ck_assert(!token->required);
	job_free(job);
}
END_TEST

/* ---- job_parse, invalid (data-driven) ---------------------------------------------- */

enum { MAX_CASES = 128 };

static char *invalid_cases[MAX_CASES];
static size_t n_invalid_cases;

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the case folders of TEST_DATA_DIR/invalid, sorted by name. */
static void find_invalid_cases(void)
{
	DIR *dir = opendir(TEST_DATA_DIR "/invalid");
	struct dirent *entry;

	if (!dir)
		return;
	while ((entry = readdir(dir)) && n_invalid_cases < MAX_CASES) {
		if (entry->d_name[0] == '.')
			continue;
		invalid_cases[n_invalid_cases++] = xstrdup(entry->d_name);
	}
	closedir(dir);
	qsort(invalid_cases, n_invalid_cases, sizeof(char *), compare_names);
}

static void free_invalid_cases(void)
{
	for (size_t i = 0; i < n_invalid_cases; i++)
		free(invalid_cases[i]);
	n_invalid_cases = 0;
}

/* Decode, normalize and parse every job of text until the first error. */
static void parse_document(const char *text, struct jf_error *err)
{
	struct srcmap src = SRCMAP_INIT;
	json_t *root = NULL;

	if (codec_decode(FORMAT_YAML, text, strlen(text), &root, &src, err)) {
		/* A failed decode may have recorded positions before the error. */
		srcmap_release(&src);
		return;
	}
	if (json_is_array(root)) {
		size_t i;
		json_t *map;

		json_array_foreach(root, i, map) {
			struct job *job;

			job_normalize(map);
			job = job_parse(map, (int)i + 1, &src, err);
			if (!job)
				break;
			job_free(job);
		}
	} else {
		job_normalize(root);
		job_free(job_parse(root, 1, &src, err));
	}
	srcmap_release(&src);
	json_decref(root);
}

/* The error as a user sees it: "LINE:COLUMN: MESSAGE", or the bare message. */
static char *error_text(const struct jf_error *err)
{
	if (err->line)
		return xasprintf("%d:%d: %s", err->line, err->column, err->message);
	return xstrdup(err->message);
}

START_TEST(invalid_case_matches_error)
{
	const char *name = invalid_cases[_i];
	char *input_path = xasprintf("%s/invalid/%s/input.yaml", TEST_DATA_DIR, name);
	char *error_path = xasprintf("%s/invalid/%s/error", TEST_DATA_DIR, name);
	char *input = read_text(input_path);
	char *expected = read_text(error_path);
	struct jf_error err = JF_ERROR_INIT;
	char *actual;
	size_t len = strlen(expected);

	while (len > 0 && expected[len - 1] == '\n')
		expected[--len] = '\0';
	parse_document(input, &err);
	ck_assert_msg(err.code == JF_INVALID, "case %s: no error, expected \"%s\"", name,
		      expected);
	actual = error_text(&err);
	ck_assert_msg(!strcmp(actual, expected), "case %s:\n  expected \"%s\"\n  actual   \"%s\"",
		      name, expected, actual);
	free(actual);
	free(expected);
	free(input);
	free(error_path);
	free(input_path);
}
END_TEST

START_TEST(invalid_cases_present)
{
	ck_assert_uint_ge(n_invalid_cases, 20);
}
END_TEST

static Suite *job_suite(void)
{
	Suite *s = suite_create("job");
	TCase *normalize = tcase_create("job_normalize");
	TCase *valid = tcase_create("job_parse_valid");
	TCase *invalid = tcase_create("job_parse_invalid");

	tcase_add_test(normalize, normalize_id_becomes_uuid);
	tcase_add_test(normalize, normalize_keeps_different_id);
	tcase_add_test(normalize, normalize_boolean_strings);
	tcase_add_test(normalize, normalize_leaves_unknown_keys);
	tcase_add_test(normalize, normalize_legacy_options_map);
	tcase_add_test(normalize, normalize_option_values_string);
	tcase_add_test(normalize, normalize_scalars_to_text);
	tcase_add_test(normalize, normalize_plugin_step_values);
	tcase_add_test(normalize, normalize_retry_to_text);
	tcase_add_test(normalize, normalize_dispatch_threadcount);
	tcase_add_test(normalize, normalize_filter_and_resume_bools);
	suite_add_tcase(s, normalize);

	tcase_add_test(valid, parse_job_fields);
	tcase_add_test(valid, parse_exec_step);
	tcase_add_test(valid, parse_script_step);
	tcase_add_test(valid, parse_scriptfile_and_url);
	tcase_add_test(valid, parse_jobref_by_name);
	tcase_add_test(valid, parse_jobref_by_uuid);
	tcase_add_test(valid, parse_plugin_step);
	tcase_add_test(valid, parse_error_handler);
	tcase_add_loop_test(valid, parse_strategies, 0,
			    (int)(sizeof(strategy_cases) / sizeof(strategy_cases[0])));
	tcase_add_test(valid, parse_retry_scalar);
	tcase_add_test(valid, parse_retry_with_delay);
	tcase_add_test(valid, parse_timeout);
	tcase_add_test(valid, parse_resume_plugin);
	tcase_add_test(valid, parse_without_resume_plugin);
	tcase_add_test(valid, parse_keepgoing);
	tcase_add_test(valid, parse_execution_enabled);
	tcase_add_test(valid, parse_log_filters);
	tcase_add_test(valid, parse_options);
	suite_add_tcase(s, valid);

	tcase_add_test(invalid, invalid_cases_present);
	tcase_add_loop_test(invalid, invalid_case_matches_error, 0, (int)n_invalid_cases);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	int status;

	find_invalid_cases();
	status = run_suite(job_suite());
	free_invalid_cases();
	return status;
}
