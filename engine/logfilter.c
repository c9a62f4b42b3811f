/*
 * logfilter.c - log filters of a step: the key-value-data filter, which
 * captures data.KEY values from output lines for later steps, and the
 * settings that plugins of every kind read.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char default_data_regex[] = "^RUNDECK:DATA:\\s*([^\\s]+?)\\s*=\\s*(.+)$";

static const char default_invalid_key[] = "\\s|\\$|\\{|\\}|\\\\";

/* A key-value-data log filter, compiled. */
struct data_filter {
	pcre2_code *regex;
	pcre2_code *invalid_key;
	const char *name;
	bool substrings;
	bool log_data;
};

struct filter_set {
	struct data_filter *items;
	size_t len;
	struct vars captured;
};

static pcre2_code *compile(const char *pattern)
{
	int errcode;
	PCRE2_SIZE offset;

	return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &offset, NULL);
}

const char *step_config_text(const json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

bool step_config_bool(const json_t *config, const char *key)
{
	const json_t *v = json_object_get(config, key);

	return json_is_true(v) || (json_is_string(v) && !strcasecmp(json_string_value(v), "true"));
}

static void add_filters(struct filter_set *set, const struct log_filter *filters, size_t n,
			struct execution *ex)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *cfg = filters[i].config;
		const char *pattern = step_config_text(cfg, "regex");
		struct data_filter f = { 0 };

		if (strcmp(filters[i].type, "key-value-data") != 0)
			continue;
		f.regex = compile(pattern && *pattern ? pattern : default_data_regex);
		if (!f.regex) {
			exec_note(ex, "the key-value-data regex '%s' is invalid; the filter is off",
				  pattern);
			continue;
		}
		pattern = step_config_text(cfg, "invalidKeyPattern");
		f.invalid_key = compile(pattern && *pattern ? pattern : default_invalid_key);
		f.name = step_config_text(cfg, "name");
		f.substrings = step_config_bool(cfg, "matchSubstrings");
		f.log_data = step_config_bool(cfg, "logData");
		set->items = xrealloc(set->items, (set->len + 1) * sizeof(*set->items));
		set->items[set->len++] = f;
	}
}

void logfilter_free(void *filters)
{
	struct filter_set *set = filters;

	if (!set)
		return;
	for (size_t i = 0; i < set->len; i++) {
		pcre2_code_free(set->items[i].regex);
		pcre2_code_free(set->items[i].invalid_key);
	}
	free(set->items);
	vars_release(&set->captured);
	free(set);
}

static char *clean_key(const struct data_filter *f, const char *key, size_t len)
{
	char *raw = xstrndup(key, len);
	PCRE2_UCHAR out[1024];
	PCRE2_SIZE out_len = sizeof(out);

	if (!f->invalid_key ||
	    pcre2_substitute(f->invalid_key, (PCRE2_SPTR)raw, len, 0, PCRE2_SUBSTITUTE_GLOBAL, NULL,
			     NULL, (PCRE2_SPTR) "_", 1, out, &out_len) < 0)
		return raw;
	free(raw);
	return xstrndup((const char *)out, out_len);
}

static void capture(struct step_run *run, const struct data_filter *f, const char *text,
		    size_t len)
{
	struct execution *ex = run->ex;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(f->regex, NULL);
	uint32_t options = f->substrings ? 0 : PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	int n = pcre2_match(f->regex, (PCRE2_SPTR)text, len, 0, options, md, NULL);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	char *key = NULL, *value = NULL;

	if (n >= 3) {
		key = clean_key(f, text + ov[2], ov[3] - ov[2]);
		value = xstrndup(text + ov[4], ov[5] - ov[4]);
	} else if (n == 2 && f->name) {
		key = xstrdup(f->name);
		value = xstrndup(text + ov[2], ov[3] - ov[2]);
	}
	if (key && *key) {
		char *name = xasprintf("data.%s", key);
		char *masked = exec_mask_copy(ex, value);

		/* Captured data goes to checkpoints and log storage: never a secret. */
		free(value);
		value = masked;
		char *scoped = xasprintf("%zu:data.%s", run->index + 1, key);

		vars_set(&ex->vars, name, value);
		vars_set(&ex->vars, scoped, value);
		vars_set(&((struct filter_set *)run->compiled_filters)->captured, name, value);
		free(name);
		free(scoped);
	}
	free(key);
	free(value);
	pcre2_match_data_free(md);
}

void logfilter_report(struct step_run *run)
{
	struct filter_set *set = run->compiled_filters;
	bool wanted = false;

	for (size_t i = 0; set && i < set->len; i++)
		wanted |= set->items[i].log_data;
	if (!wanted || set->captured.len == 0)
		return;
	for (size_t i = 0; i < set->captured.len; i++)
		exec_note(run->ex, "%s = %s", set->captured.items[i].name,
			  set->captured.items[i].value);
}

/* Compile the workflow's filters, then the step's own, for one step run. */
void *logfilter_compile(struct execution *ex, const struct step *step)
{
	struct filter_set *set = xcalloc(1, sizeof(*set));

	add_filters(set, ex->job->filters, ex->job->n_filters, ex);
	add_filters(set, step->filters, step->n_filters, ex);
	return set;
}

/* Run the filters on a line of standard output. */
void logfilter_line(struct step_run *run, const char *text, size_t len)
{
	struct filter_set *set = run->compiled_filters;

	for (size_t i = 0; set && i < set->len; i++)
		capture(run, &set->items[i], text, len);
}
