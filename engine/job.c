/*
 * job.c - normalization and validation of canonical job maps, and the typed
 * view the workflow engine runs.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "job.h"

#include "argstring.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- normalization ------------------------------------------------------ */

static const char *const job_bool_keys[] = {
	"scheduleEnabled", "executionEnabled", "nodeFilterEditable", "nodesSelectedByDefault",
	"multipleExecutions", NULL,
};
static const char *const option_bool_keys[] = {
	"required", "enforced", "secure", "valueExposed", "multivalued",
	"multivalueAllSelected", "hidden", "sortValues", "isDate", NULL,
};
static const char *const step_bool_keys[] = {
	"interpreterArgsQuoted", "expandTokenInScriptFile", "nodeStep", "keepgoingOnSuccess", NULL,
};
static const char *const jobref_bool_keys[] = {
	"nodeStep", "importOptions", "failOnDisable", "useName", "childNodes",
	"ignoreNotifications", NULL,
};
static const char *const dispatch_bool_keys[] = {
	"keepgoing", "excludePrecedence", "successOnEmptyNodeFilter", NULL,
};
static const char *const option_text_keys[] = { "name", "value", "regex", "delimiter", NULL };
static const char *const job_text_keys[] = { "name", "group", "timeout", NULL };

static void bools_from_text(json_t *map, const char *const *keys)
{
	if (!json_is_object(map))
		return;
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(map, keys[i]);

		if (!json_is_string(v))
			continue;
		const char *text = json_string_value(v);

		/* Rundeck's YAML reader (YAML 1.1) also reads yes/no and on/off. */
		if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcasecmp(text, "on"))
			json_object_set_new(map, keys[i], json_true());
		else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
			 !strcasecmp(text, "off"))
			json_object_set_new(map, keys[i], json_false());
	}
}

static json_t *scalar_as_text(const json_t *v)
{
	if (json_is_integer(v))
		return json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v))
		return json_sprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	return NULL;
}

static void text_from_scalars(json_t *map, const char *const *keys)
{
	if (!json_is_object(map))
		return;
	for (size_t i = 0; keys[i]; i++) {
		json_t *text = scalar_as_text(json_object_get(map, keys[i]));

		if (text)
			json_object_set_new(map, keys[i], text);
	}
}

static void normalize_option(json_t *opt)
{
	json_t *values = json_object_get(opt, "values");

	bools_from_text(opt, option_bool_keys);
	text_from_scalars(opt, option_text_keys);
	if (json_is_string(values)) {
		json_t *list = json_array();
		const char *s = json_string_value(values);
		const char *delim = json_string_value(json_object_get(opt, "valuesListDelimiter"));
		char sep = delim && *delim ? delim[0] : ',';

		while (*s) {
			const char *end = strchr(s, sep);
			size_t n = end ? (size_t)(end - s) : strlen(s);

			json_array_append_new(list, json_stringn(s, n));
			s += n;
			if (*s)
				s++;
		}
		json_object_set_new(opt, "values", list);
	} else if (json_is_array(values)) {
		size_t i;
		json_t *item;

		json_array_foreach(values, i, item) {
			json_t *text = scalar_as_text(item);

			if (text)
				json_array_set_new(values, i, text);
		}
	}
}

static void normalize_options(json_t *job)
{
	json_t *options = json_object_get(job, "options");
	size_t i;
	json_t *opt;

	/* The legacy form maps each name to its settings. */
	if (json_is_object(options)) {
		json_t *list = json_array();
		const char *name;
		json_t *settings;

		json_object_foreach(options, name, settings) {
			json_t *copy = json_is_object(settings) ? json_copy(settings) : json_object();

			json_object_set_new(copy, "name", json_string(name));
			json_array_append_new(list, copy);
		}
		json_object_set_new(job, "options", list);
		options = list;
	}
	json_array_foreach(options, i, opt)
		normalize_option(opt);
}

static const char *const filter_bool_keys[] = {
	"logData", "matchSubstrings", "allowMultipleMatches", "replaceFilteredResult", NULL,
};

/* threadcount is a number in Rundeck's YAML and text in its XML. */
static void normalize_dispatch(json_t *dispatch)
{
	json_t *count = json_object_get(dispatch, "threadcount");
	json_int_t n;
	char *end;

	bools_from_text(dispatch, dispatch_bool_keys);
	if (!json_is_string(count) || !*json_string_value(count))
		return;
	n = strtoll(json_string_value(count), &end, 10);
	if (!*end)
		json_object_set_new(dispatch, "threadcount", json_integer(n));
}

static void normalize_filters(json_t *plugins)
{
	size_t i;
	json_t *filter;

	json_array_foreach(json_object_get(plugins, "LogFilter"), i, filter)
		bools_from_text(json_object_get(filter, "config"), filter_bool_keys);
}

/* Plugin settings are text in Rundeck; numbers and booleans become text. */
static void normalize_configuration(json_t *config)
{
	const char *key;
	json_t *value;

	json_object_foreach(config, key, value) {
		json_t *text = scalar_as_text(value);

		if (text)
			json_object_set_new(config, key, text);
	}
}

static void normalize_step(json_t *step)
{
	json_t *ref = json_object_get(step, "jobref");
	json_t *handler = json_object_get(step, "errorhandler");

	if (!json_is_object(step))
		return;
	bools_from_text(step, step_bool_keys);
	normalize_filters(json_object_get(step, "plugins"));
	if (json_object_get(step, "type")) {
		if (!json_object_get(step, "nodeStep"))
			json_object_set_new(step, "nodeStep", json_false());
		normalize_configuration(json_object_get(step, "configuration"));
	}
	if (json_is_object(ref)) {
		bools_from_text(ref, jobref_bool_keys);
		normalize_dispatch(json_object_get(json_object_get(ref, "nodefilters"), "dispatch"));
	}
	if (json_is_object(handler))
		normalize_step(handler);
}

/* The retry count and delay are text, since they may hold ${option.*}. */
static void normalize_retry(json_t *map)
{
	json_t *retry = json_object_get(map, "retry");
	json_t *text = scalar_as_text(retry);

	/* Replacing the scalar frees it, so retry must not be read afterwards. */
	if (text) {
		json_object_set_new(map, "retry", text);
		return;
	}
	text_from_scalars(retry, (const char *const[]){ "retry", "delay", NULL });
}

static void normalize_lifecycle(json_t *lifecycle)
{
	bools_from_text(json_object_get(lifecycle, "resume"), (const char *const[]){ "onRetry", NULL });
}

void job_normalize(json_t *map)
{
	json_t *seq, *commands, *step, *id;
	size_t i;

	if (!json_is_object(map))
		return;
	id = json_object_get(map, "id");
	if (json_is_string(id) && !json_object_get(map, "uuid"))
		json_object_set(map, "uuid", id);
	if (json_is_string(id) && json_equal(id, json_object_get(map, "uuid")))
		json_object_del(map, "id");
	bools_from_text(map, job_bool_keys);
	text_from_scalars(map, job_text_keys);
	normalize_dispatch(json_object_get(json_object_get(map, "nodefilters"), "dispatch"));
	normalize_options(map);
	normalize_retry(map);
	normalize_lifecycle(json_object_get(json_object_get(map, "plugins"), "ExecutionLifecycle"));
	seq = json_object_get(map, "sequence");
	bools_from_text(seq, (const char *const[]){ "keepgoing", NULL });
	normalize_filters(json_object_get(seq, "pluginConfig"));
	commands = json_object_get(seq, "commands");
	json_array_foreach(commands, i, step)
		normalize_step(step);
}

/* ---- validation ----------------------------------------------------------- */

/* The context of a validation message: the job, and where its positions come from. */
struct parse_ctx {
	int index;
	const char *name;
	const struct srcmap *src;
	struct jf_error *err;
};

static int ctx_fail(struct parse_ctx *ctx, const json_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctx_fail(struct parse_ctx *ctx, const json_t *node, const char *fmt, ...)
{
	char detail[768];
	int line, column;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	srcmap_find(ctx->src, node, &line, &column);
	if (ctx->name)
		return jf_fail_at(ctx->err, JF_INVALID, line, column, "job '%s': %s", ctx->name,
				  detail);
	return jf_fail_at(ctx->err, JF_INVALID, line, column, "job %d: %s", ctx->index, detail);
}

/* After normalization a known boolean key contains a boolean, and anything else is a mistake. */
static int check_bools(struct parse_ctx *ctx, const json_t *map, const char *const *keys,
		       const char *where)
{
	for (size_t i = 0; json_is_object(map) && keys[i]; i++) {
		const json_t *v = json_object_get(map, keys[i]);
		char *text;
		int rc;

		if (!v || json_is_boolean(v) || json_is_null(v))
			continue;
		text = json_dumps(v, JSON_ENCODE_ANY);
		rc = ctx_fail(ctx, map, "%s: '%s' must be true or false, not %s", where, keys[i],
			      text ? text : "this value");
		free(text);
		return rc;
	}
	return 0;
}

static const char *get_text(const json_t *map, const char *key)
{
	return json_string_value(json_object_get(map, key));
}

static bool get_bool(const json_t *map, const char *key, bool fallback)
{
	const json_t *v = json_object_get(map, key);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v))
		return !strcasecmp(json_string_value(v), "true");
	return fallback;
}

/* A scalar as text: strings as they are, numbers as decimal (owned by def). */
static int get_scalar_text(struct parse_ctx *ctx, json_t *map, const char *key,
			   const char **out, const char *what)
{
	json_t *v = json_object_get(map, key);
	json_t *text;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return 0;
	}
	text = scalar_as_text(v);
	if (!text)
		return ctx_fail(ctx, map, "%s '%s' must be a single value, not a %s", what, key,
				json_is_object(v) ? "map" : "list");
	json_object_set_new(map, key, text);
	*out = json_string_value(json_object_get(map, key));
	return 0;
}

static int parse_filters(struct parse_ctx *ctx, const json_t *plugins, struct log_filter **out,
			 size_t *n)
{
	const json_t *list = json_object_get(plugins, "LogFilter");
	size_t i;
	json_t *item;

	*out = NULL;
	*n = 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return ctx_fail(ctx, plugins, "LogFilter must be a list of {type, config} maps");
	*out = xcalloc(json_array_size(list), sizeof(**out));
	json_array_foreach(list, i, item) {
		const char *type = get_text(item, "type");

		if (!type)
			return ctx_fail(ctx, item, "log filter %zu has no 'type'", i + 1);
		(*out)[i].type = type;
		(*out)[i].config = json_object_get(item, "config");
		(*n)++;
	}
	return 0;
}

const char *step_kind_name(enum step_kind kind)
{
	static const char *const names[] = { "exec", "script", "scriptfile", "scripturl",
					     "jobref", "type" };
	return names[kind];
}

static int parse_jobref(struct parse_ctx *ctx, json_t *ref, struct step *step, const char *where)
{
	if (!json_is_object(ref))
		return ctx_fail(ctx, ref, "%s: 'jobref' must be a map with name and group, or uuid",
				where);
	step->ref.name = get_text(ref, "name");
	step->ref.group = get_text(ref, "group");
	step->ref.uuid = get_text(ref, "uuid");
	step->ref.project = get_text(ref, "project");
	if (get_scalar_text(ctx, ref, "args", &step->ref.args, "jobref"))
		return ctx->err->code;
	step->ref.use_name = get_bool(ref, "useName", step->ref.uuid == NULL);
	if (!step->ref.uuid)
		step->ref.use_name = true;
	step->ref.import_options = get_bool(ref, "importOptions", false);
	step->ref.fail_on_disable = get_bool(ref, "failOnDisable", false);
	step->node_step = get_bool(ref, "nodeStep", false);
	if (!step->ref.name && !step->ref.uuid)
		return ctx_fail(ctx, ref, "%s: 'jobref' needs a 'name' (with 'group') or a 'uuid'",
				where);
	return 0;
}

static int parse_step_kind(struct parse_ctx *ctx, json_t *map, struct step *step,
			   const char *where)
{
	static const char *const keys[] = { "exec", "script", "scriptfile", "scripturl", NULL };

	for (size_t k = 0; keys[k]; k++) {
		if (!json_object_get(map, keys[k]))
			continue;
		step->kind = (enum step_kind)k;
		step->node_step = true;
		if (get_scalar_text(ctx, map, keys[k], &step->command, where))
			return ctx->err->code;
		if (!step->command)
			return ctx_fail(ctx, map, "%s: '%s' is empty", where, keys[k]);
		if (get_scalar_text(ctx, map, "args", &step->args, where))
			return ctx->err->code;
		step->interpreter = get_text(map, "scriptInterpreter");
		step->args_quoted = get_bool(map, "interpreterArgsQuoted", false);
		step->file_extension = get_text(map, "fileExtension");
		step->expand_tokens = get_bool(map, "expandTokenInScriptFile", false);
		return 0;
	}
	if (json_object_get(map, "jobref")) {
		step->kind = STEP_JOBREF;
		return parse_jobref(ctx, json_object_get(map, "jobref"), step, where);
	}
	if (json_object_get(map, "type")) {
		step->kind = STEP_PLUGIN;
		step->plugin_type = get_text(map, "type");
		step->plugin_config = json_object_get(map, "configuration");
		step->node_step = get_bool(map, "nodeStep", false);
		if (!step->plugin_type || !*step->plugin_type)
			return ctx_fail(ctx, map, "%s: 'type' must name a step plugin", where);
		return 0;
	}
	{
		struct strbuf found = STRBUF_INIT;
		const char *key;
		json_t *value;
		int rc;

		json_object_foreach(map, key, value) {
			(void)value;
			sb_addf(&found, "%s%s", found.len ? ", " : "", key);
		}
		rc = ctx_fail(ctx, map,
			      "%s has none of the keys exec, script, scriptfile, scripturl, jobref "
			      "or type that make a step (found: %s)",
			      where, found.len ? sb_str(&found) : "nothing");
		sb_release(&found);
		return rc;
	}
}

static void step_release(struct step *step)
{
	if (!step)
		return;
	free(step->filters);
	if (step->handler) {
		step_release(step->handler);
		free(step->handler);
	}
}

static int parse_step(struct parse_ctx *ctx, json_t *map, struct step *step, const char *where,
		      bool is_handler)
{
	json_t *handler;

	if (!json_is_object(map))
		return ctx_fail(ctx, map, "%s must be a map such as {exec: 'echo hi'}", where);
	step->map = map;
	step->description = get_text(map, "description");
	if (check_bools(ctx, map, step_bool_keys, where) ||
	    check_bools(ctx, json_object_get(map, "jobref"), jobref_bool_keys, where))
		return ctx->err->code;
	if (parse_step_kind(ctx, map, step, where))
		return ctx->err->code;
	if (parse_filters(ctx, json_object_get(map, "plugins"), &step->filters, &step->n_filters))
		return ctx->err->code;
	step->keepgoing_on_success = get_bool(map, "keepgoingOnSuccess", false);
	handler = json_object_get(map, "errorhandler");
	if (!handler)
		return 0;
	if (is_handler)
		return ctx_fail(ctx, map, "%s: an error handler cannot have its own errorhandler",
				where);
	step->handler = xcalloc(1, sizeof(*step->handler));
	{
		char *handler_where = xasprintf("the error handler of %s", where);
		int rc = parse_step(ctx, handler, step->handler, handler_where, true);

		free(handler_where);
		return rc;
	}
}

static int compile_regex(struct parse_ctx *ctx, json_t *opt, struct option_def *def)
{
	int errcode;
	PCRE2_SIZE offset;
	pcre2_code *code;

	code = pcre2_compile((PCRE2_SPTR)def->regex, PCRE2_ZERO_TERMINATED, 0, &errcode, &offset,
			     NULL);
	if (!code) {
		PCRE2_UCHAR message[256];

		pcre2_get_error_message(errcode, message, sizeof(message));
		return ctx_fail(ctx, opt, "option '%s': invalid regex '%s' at offset %zu: %s",
				def->name, def->regex, (size_t)offset, (const char *)message);
	}
	def->compiled = code;
	return 0;
}

static bool value_allowed(const struct option_def *def, const char *value)
{
	for (size_t i = 0; i < def->n_values; i++)
		if (!strcmp(def->values[i], value))
			return true;
	return false;
}

static int reject_default(struct parse_ctx *ctx, const json_t *opt, const struct option_def *def)
{
	struct strbuf allowed = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < def->n_values; i++)
		sb_addf(&allowed, "%s%s", i ? ", " : "", def->values[i]);
	rc = ctx_fail(ctx, opt, "option '%s': the default '%s' is not one of its allowed values %s",
		      def->name, def->default_value, sb_str(&allowed));
	sb_release(&allowed);
	return rc;
}

static int parse_option(struct parse_ctx *ctx, json_t *opt, struct option_def *def, size_t index)
{
	json_t *values;

	if (!json_is_object(opt))
		return ctx_fail(ctx, opt, "option %zu must be a map with a 'name'", index);
	def->name = get_text(opt, "name");
	if (!def->name || !*def->name)
		return ctx_fail(ctx, opt, "option %zu has no 'name'", index);
	{
		char *where = xasprintf("option '%s'", def->name);
		int rc = check_bools(ctx, opt, option_bool_keys, where);

		free(where);
		if (rc)
			return rc;
	}
	def->description = get_text(opt, "description");
	def->default_value = get_text(opt, "value");
	def->regex = get_text(opt, "regex");
	def->delimiter = get_text(opt, "delimiter");
	def->enforced = get_bool(opt, "enforced", false);
	def->required = get_bool(opt, "required", false);
	def->secure = get_bool(opt, "secure", false);
	def->value_exposed = get_bool(opt, "valueExposed", false);
	def->multivalued = get_bool(opt, "multivalued", false);
	values = json_object_get(opt, "values");
	if (json_is_array(values)) {
		size_t i;
		json_t *item;

		def->values = xcalloc(json_array_size(values), sizeof(char *));
		json_array_foreach(values, i, item) {
			if (!json_is_string(item))
				return ctx_fail(ctx, opt, "option '%s': values must be plain words",
						def->name);
			def->values[def->n_values++] = json_string_value(item);
		}
	}
	if (def->regex && compile_regex(ctx, opt, def))
		return ctx->err->code;
	if (def->enforced && def->n_values == 0 && !json_object_get(opt, "valuesUrl"))
		return ctx_fail(ctx, opt, "option '%s' is enforced but lists no allowed values",
				def->name);
	if (def->enforced && def->default_value && def->n_values && !def->multivalued &&
	    !value_allowed(def, def->default_value))
		return reject_default(ctx, opt, def);
	return 0;
}

static int parse_options(struct parse_ctx *ctx, struct job *job)
{
	json_t *options = json_object_get(job->def, "options");
	size_t i;
	json_t *opt;

	if (!options)
		return 0;
	if (!json_is_array(options))
		return ctx_fail(ctx, options, "'options' must be a list of option maps");
	job->options = xcalloc(json_array_size(options), sizeof(*job->options));
	json_array_foreach(options, i, opt) {
		if (parse_option(ctx, opt, &job->options[i], i + 1)) {
			job->n_options = i + 1;
			return ctx->err->code;
		}
		job->n_options = i + 1;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(job->options[k].name, job->options[i].name))
				return ctx_fail(ctx, opt, "option '%s' is defined twice",
						job->options[i].name);
	}
	return 0;
}

static enum strategy strategy_from_name(const char *name)
{
	if (!name || !strcmp(name, "node-first"))
		return STRATEGY_NODE_FIRST;
	if (!strcmp(name, "sequential") || !strcmp(name, "step-first"))
		return STRATEGY_SEQUENTIAL;
	if (!strcmp(name, "parallel"))
		return STRATEGY_PARALLEL;
	return STRATEGY_OTHER;
}

static int parse_sequence(struct parse_ctx *ctx, struct job *job)
{
	json_t *seq = json_object_get(job->def, "sequence");
	json_t *commands = json_object_get(seq, "commands");
	size_t i;
	json_t *step;

	if (!json_is_object(seq))
		return ctx_fail(ctx, job->def, "no 'sequence': a job needs a workflow, such as "
					       "sequence: {commands: [{exec: 'echo hi'}]}");
	if (!commands)
		return ctx_fail(ctx, seq, "the sequence has no 'commands': list at least one step");
	if (!json_is_array(commands))
		return ctx_fail(ctx, seq, "the sequence's 'commands' must be a list of steps, such "
					  "as [{exec: 'echo hi'}]");
	if (json_array_size(commands) == 0)
		return ctx_fail(ctx, seq, "the sequence's 'commands' list is empty: list at least "
					  "one step");
	if (check_bools(ctx, seq, (const char *const[]){ "keepgoing", NULL }, "the sequence"))
		return ctx->err->code;
	job->keepgoing = get_bool(seq, "keepgoing", false);
	job->strategy_name = get_text(seq, "strategy");
	job->strategy = strategy_from_name(job->strategy_name);
	if (!job->strategy_name)
		job->strategy_name = "node-first";
	if (parse_filters(ctx, json_object_get(seq, "pluginConfig"), &job->filters, &job->n_filters))
		return ctx->err->code;
	job->steps = xcalloc(json_array_size(commands), sizeof(*job->steps));
	json_array_foreach(commands, i, step) {
		char where[32];

		snprintf(where, sizeof(where), "step %zu", i + 1);
		job->n_steps = i + 1;
		if (parse_step(ctx, step, &job->steps[i], where, false))
			return ctx->err->code;
	}
	return 0;
}

static int parse_retry(struct parse_ctx *ctx, struct job *job)
{
	json_t *retry = json_object_get(job->def, "retry");

	if (json_is_object(retry)) {
		if (get_scalar_text(ctx, retry, "retry", &job->retry, "retry") ||
		    get_scalar_text(ctx, retry, "delay", &job->retry_delay, "retry"))
			return ctx->err->code;
		return 0;
	}
	return get_scalar_text(ctx, job->def, "retry", &job->retry, "job");
}

/* A literal duration or count is checked now; one that uses ${...} when it runs. */
static int check_literals(struct parse_ctx *ctx, struct job *job)
{
	int64_t n;

	if (job->timeout && !strstr(job->timeout, "${") && !duration_parse(job->timeout, &n))
		return ctx_fail(ctx, job->def, "the timeout '%s' is not a duration such as 30s, 10m "
					       "or 1h 30m",
				job->timeout);
	if (job->retry_delay && !strstr(job->retry_delay, "${") &&
	    !duration_parse(job->retry_delay, &n))
		return ctx_fail(ctx, job->def, "the retry delay '%s' is not a duration such as 30s",
				job->retry_delay);
	if (job->retry && !strstr(job->retry, "${") && (!parse_int64(job->retry, &n) || n < 0))
		return ctx_fail(ctx, job->def, "the retry count '%s' is not a whole number such as 2",
				job->retry);
	return 0;
}

static void parse_lifecycle(struct job *job)
{
	json_t *plugins = json_object_get(job->def, "plugins");
	json_t *lifecycle = json_object_get(plugins, "ExecutionLifecycle");
	json_t *resume = json_object_get(lifecycle, "resume");
	json_t *on_retry;

	if (!resume)
		return;
	job->resume_enabled = true;
	on_retry = json_object_get(resume, "onRetry");
	if (json_is_string(on_retry))
		job->resume_on_retry = json_string_value(on_retry);
	else if (json_is_boolean(on_retry))
		job->resume_on_retry = json_is_true(on_retry) ? "true" : "false";
}

static int check_name(struct parse_ctx *ctx, struct job *job)
{
	if (!job->name || !*job->name)
		return ctx_fail(ctx, job->def, "no 'name': every job needs a name");
	if (strchr(job->name, '/') || !strcmp(job->name, ".") || !strcmp(job->name, ".."))
		return ctx_fail(ctx, job->def, "the name '%s' cannot be a folder name: "
					       "use the 'group' key for folders", job->name);
	ctx->name = job->name;
	if (job->group[0] == '/' || strstr(job->group, "//") || str_ends_with(job->group, "/"))
		return ctx_fail(ctx, job->def, "the group '%s' has an empty part; write it as "
					       "'ops/deploy'", job->group);
	for (const char *p = job->group; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return ctx_fail(ctx, job->def, "the group '%s' cannot contain '.' or '..'",
					job->group);
		p += n + (end ? 1 : 0);
	}
	return 0;
}

struct job *job_parse(json_t *map, int index, const struct srcmap *map_src, struct jf_error *err)
{
	struct parse_ctx ctx = { index, NULL, map_src, err };
	struct job *job;

	if (!json_is_object(map)) {
		int line, column;

		srcmap_find(map_src, map, &line, &column);
		jf_fail_at(err, JF_INVALID, line, column,
			   "job %d must be a map with name, group and sequence", index);
		return NULL;
	}
	job = xcalloc(1, sizeof(*job));
	job->refs = 1;
	job->def = json_incref(map);
	job->uuid = get_text(map, "uuid");
	if (get_scalar_text(&ctx, map, "name", &job->name, "job") ||
	    get_scalar_text(&ctx, map, "group", &job->group, "job"))
		goto fail;
	if (!job->group)
		job->group = "";
	job->description = get_text(map, "description");
	job->project = get_text(map, "project");
	if (check_bools(&ctx, map, job_bool_keys, "the job"))
		goto fail;
	job->execution_enabled = get_bool(map, "executionEnabled", true);
	if (check_name(&ctx, job) || parse_options(&ctx, job) || parse_sequence(&ctx, job) ||
	    parse_retry(&ctx, job) || get_scalar_text(&ctx, map, "timeout", &job->timeout, "job") ||
	    check_literals(&ctx, job))
		goto fail;
	parse_lifecycle(job);
	return job;
fail:
	job_free(job);
	return NULL;
}

void job_free(struct job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->n_options; i++) {
		free(job->options[i].values);
		pcre2_code_free(job->options[i].compiled);
	}
	free(job->options);
	for (size_t i = 0; i < job->n_steps; i++)
		step_release(&job->steps[i]);
	free(job->steps);
	free(job->filters);
	json_decref(job->def);
	free(job);
}

char *job_path(const struct job *job)
{
	if (!job->group || !*job->group)
		return xstrdup(job->name);
	return xasprintf("%s/%s", job->group, job->name);
}
