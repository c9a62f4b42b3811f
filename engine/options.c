/* options.c - run requests and the validation of option values. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "options.h"

#include <pcre2.h>
#include <string.h>

#include "argstring.h"

static int check_json_request(json_t *obj, struct jf_error *err)
{
	const char *name;
	json_t *value;

	json_object_foreach(obj, name, value) {
		if (json_is_string(value))
			continue;
		if (json_is_integer(value) || json_is_real(value) || json_is_boolean(value)) {
			char *text = json_dumps(value, JSON_ENCODE_ANY);

			json_object_set_new(obj, name, json_string(text));
			free(text);
			continue;
		}
		if (json_is_array(value)) {
			size_t i;
			json_t *item;

			json_array_foreach(value, i, item)
				if (!json_is_string(item))
					return jf_fail(err, JF_INVALID,
						       "option '%s': list items must be strings", name);
			continue;
		}
		return jf_fail(err, JF_INVALID,
			       "option '%s': a value must be a string, number, boolean or list of "
			       "strings",
			       name);
	}
	return 0;
}

int request_parse(const char *text, size_t len, json_t **out, struct jf_error *err)
{
	char *line;
	int rc;

	*out = NULL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
			   text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n')) {
		text++;
		len--;
	}
	if (len == 0 || (len == 1 && *text == '1')) {
		*out = json_object();
		return 0;
	}
	if (memchr(text, '\0', len))
		return jf_fail(err, JF_INVALID, "the request contains a NUL byte");
	if (*text == '[')
		return jf_fail(err, JF_INVALID,
			       "a request is 1, -NAME VALUE pairs, or a JSON object such as "
			       "{\"env\": \"prod\"}, not a JSON list");
	if (*text == '{') {
		json_error_t jerr;
		json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

		if (!obj)
			return jf_fail(err, JF_INVALID,
				       "invalid JSON request at column %d: %s; write an object such "
				       "as {\"env\": \"prod\"}",
				       jerr.column, jerr.text);
		if (check_json_request(obj, err)) {
			json_decref(obj);
			return err->code;
		}
		*out = obj;
		return 0;
	}
	line = xstrndup(text, len);
	rc = argstring_parse(line, out, err);
	free(line);
	return rc;
}

bool option_regex_matches(const struct option_def *def, const char *value)
{
	pcre2_match_data *md;
	int rc;

	if (!def->compiled)
		return true;
	md = pcre2_match_data_create_from_pattern(def->compiled, NULL);
	rc = pcre2_match(def->compiled, (PCRE2_SPTR)value, strlen(value), 0,
			 PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static void list_allowed(const struct option_def *def, struct strbuf *out)
{
	for (size_t i = 0; i < def->n_values; i++)
		sb_addf(out, "%s%s", i ? ", " : "", def->values[i]);
}

static int check_value(const struct option_def *def, const char *value, struct jf_error *err)
{
	if (def->enforced && def->n_values) {
		bool found = false;

		for (size_t i = 0; i < def->n_values && !found; i++)
			found = !strcmp(def->values[i], value);
		if (!found) {
			struct strbuf allowed = STRBUF_INIT;
			int rc;

			list_allowed(def, &allowed);
			rc = jf_fail(err, JF_INVALID,
				     "option '%s': '%s' is not one of the allowed values %s",
				     def->name, value, sb_str(&allowed));
			sb_release(&allowed);
			return rc;
		}
	}
	if (!option_regex_matches(def, value))
		return jf_fail(err, JF_INVALID, "option '%s': '%s' does not match the regex %s",
			       def->name, value, def->regex);
	return 0;
}

static int join_values(const struct option_def *def, const json_t *list, struct strbuf *out,
		       struct jf_error *err)
{
	const char *delim = def->delimiter ? def->delimiter : ",";
	size_t i;
	json_t *item;

	if (!def->multivalued && json_array_size(list) > 1)
		return jf_fail(err, JF_INVALID,
			       "option '%s' takes one value, and the request gives %zu", def->name,
			       json_array_size(list));
	json_array_foreach(list, i, item) {
		if (check_value(def, json_string_value(item), err))
			return err->code;
		sb_addf(out, "%s%s", i ? delim : "", json_string_value(item));
	}
	return 0;
}

/*
 * Split the text of a multivalued option on its delimiter, leaving out
 * empty parts, as Rundeck does before it checks each value.
 */
static json_t *split_values(const struct option_def *def, const char *text)
{
	const char *delim = def->delimiter && *def->delimiter ? def->delimiter : ",";
	size_t delim_len = strlen(delim);
	json_t *parts = json_array();

	for (;;) {
		const char *end = strstr(text, delim);
		size_t len = end ? (size_t)(end - text) : strlen(text);

		if (len)
			json_array_append_new(parts, json_stringn(text, len));
		if (!end)
			return parts;
		text = end + delim_len;
	}
}

static const struct option_def *find_option(const struct job *job, const char *name)
{
	for (size_t i = 0; i < job->n_options; i++)
		if (!strcmp(job->options[i].name, name))
			return &job->options[i];
	return NULL;
}

static int reject_unknown(const struct job *job, const json_t *requested, struct jf_error *err)
{
	const char *name;
	json_t *value;

	json_object_foreach((json_t *)requested, name, value) {
		struct strbuf known = STRBUF_INIT;
		int rc;

		(void)value;
		if (find_option(job, name))
			continue;
		for (size_t i = 0; i < job->n_options; i++)
			sb_addf(&known, "%s%s", i ? ", " : "", job->options[i].name);
		rc = jf_fail(err, JF_INVALID, "unknown option '%s': the job's options are %s", name,
			     known.len ? sb_str(&known) : "none");
		sb_release(&known);
		return rc;
	}
	return 0;
}

static int resolve_one(const struct option_def *def, const json_t *given, json_t *values,
		       struct jf_error *err)
{
	struct strbuf text = STRBUF_INIT;

	if (json_is_array(given)) {
		if (join_values(def, given, &text, err)) {
			sb_release(&text);
			return err->code;
		}
	} else if (given) {
		sb_adds(&text, json_string_value(given));
		if (text.len == 0 && !def->required && def->enforced && def->n_values) {
			sb_release(&text);
			return jf_fail(err, JF_INVALID, "option '%s' has no value: write -%s VALUE",
				       def->name, def->name);
		}
		if (def->multivalued) {
			json_t *parts = split_values(def, sb_str(&text));
			struct strbuf joined = STRBUF_INIT;
			int rc = join_values(def, parts, &joined, err);

			json_decref(parts);
			sb_release(&joined);
			if (rc) {
				sb_release(&text);
				return rc;
			}
		} else if (check_value(def, sb_str(&text), err)) {
			sb_release(&text);
			return err->code;
		}
	} else if (def->default_value) {
		sb_adds(&text, def->default_value);
	}
	if (def->required && text.len == 0) {
		sb_release(&text);
		return jf_fail(err, JF_INVALID,
			       "option '%s' is required: add -%s VALUE to the request", def->name,
			       def->name);
	}
	if (given || def->default_value)
		json_object_set_new(values, def->name, json_string(sb_str(&text)));
	sb_release(&text);
	return 0;
}

int options_resolve(const struct job *job, const json_t *requested, json_t **values,
		    struct jf_error *err)
{
	json_t *out;

	*values = NULL;
	if (reject_unknown(job, requested, err))
		return err->code;
	out = json_object();
	for (size_t i = 0; i < job->n_options; i++) {
		const struct option_def *def = &job->options[i];

		if (resolve_one(def, json_object_get(requested, def->name), out, err)) {
			json_decref(out);
			return err->code;
		}
	}
	*values = out;
	return 0;
}

char *options_argstring(const struct job *job, const json_t *values)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < job->n_options; i++) {
		const struct option_def *def = &job->options[i];
		const char *value = json_string_value(json_object_get(values, def->name));

		if (!value || def->secure)
			continue;
		if (sb.len)
			sb_addc(&sb, ' ');
		sb_addf(&sb, "-%s ", def->name);
		shell_quote(&sb, value);
	}
	return sb_detach(&sb, NULL);
}
