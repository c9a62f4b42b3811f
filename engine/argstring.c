/* argstring.c - word splitting, "-name value" pairs, shell quoting, durations. */
#include "argstring.h"

#include <ctype.h>
#include <string.h>

static void add_word(struct arg_list *list, struct strbuf *word, bool quoted)
{
	list->words = xrealloc(list->words, (list->len + 1) * sizeof(*list->words));
	list->words[list->len].text = sb_detach(word, NULL);
	list->words[list->len].quoted = quoted;
	list->len++;
}

int args_split(const char *line, struct arg_list *out, struct jf_error *err)
{
	struct strbuf word = STRBUF_INIT;
	bool in_word = false, quoted = false;
	const char *p = line;

	out->words = NULL;
	out->len = 0;
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (in_word)
				add_word(out, &word, quoted);
			in_word = quoted = false;
			p++;
			continue;
		}
		in_word = true;
		if (*p != '"' && *p != '\'') {
			sb_addc(&word, *p++);
			continue;
		}
		/* A quoted part: up to the same quote, where a doubled quote is literal. */
		char q = *p++;

		quoted = true;
		sb_grow(&word, 0);
		for (;;) {
			if (!*p) {
				sb_release(&word);
				args_release(out);
				return jf_fail(err, JF_INVALID,
					       "unterminated %s quote in '%s': close it with %c",
					       q == '"' ? "double" : "single", line, q);
			}
			if (*p == q && p[1] == q) {
				sb_addc(&word, q);
				p += 2;
			} else if (*p == q) {
				p++;
				break;
			} else {
				sb_addc(&word, *p++);
			}
		}
	}
	if (in_word)
		add_word(out, &word, quoted);
	sb_release(&word);
	return 0;
}

void args_release(struct arg_list *list)
{
	for (size_t i = 0; i < list->len; i++)
		free(list->words[i].text);
	free(list->words);
	list->words = NULL;
	list->len = 0;
}

/* A word that names an option: "-" then a letter or "_", written unquoted. */
static bool is_option_name(const struct arg_word *w)
{
	return !w->quoted && w->text[0] == '-' &&
	       (isalpha((unsigned char)w->text[1]) || w->text[1] == '_');
}

static void set_option(json_t *obj, const char *name, const char *value)
{
	json_t *old = json_object_get(obj, name);

	if (!old) {
		json_object_set_new(obj, name, json_string(value));
	} else if (json_is_array(old)) {
		json_array_append_new(old, json_string(value));
	} else {
		json_t *list = json_array();

		json_array_append(list, old);
		json_array_append_new(list, json_string(value));
		json_object_set_new(obj, name, list);
	}
}

int args_to_options(const struct arg_list *words, json_t **out, struct jf_error *err)
{
	json_t *obj = json_object();

	*out = NULL;
	for (size_t i = 0; i < words->len; i++) {
		const struct arg_word *w = &words->words[i];
		const char *name = w->text + 1;

		if (!is_option_name(w)) {
			json_decref(obj);
			return jf_fail(err, JF_INVALID,
				       "unexpected '%s' in the request: write options as -NAME VALUE",
				       w->text);
		}
		if (i + 1 < words->len && !is_option_name(&words->words[i + 1])) {
			set_option(obj, name, words->words[i + 1].text);
			i++;
		} else {
			set_option(obj, name, "");
		}
	}
	*out = obj;
	return 0;
}

int argstring_parse(const char *line, json_t **out, struct jf_error *err)
{
	struct arg_list words;
	int rc;

	*out = NULL;
	rc = args_split(line, &words, err);
	if (rc)
		return rc;
	rc = args_to_options(&words, out, err);
	args_release(&words);
	return rc;
}

void shell_quote(struct strbuf *out, const char *text)
{
	bool plain = *text != '\0';

	for (const char *p = text; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || strchr("@%+=:,./_-", *p);
	if (plain) {
		sb_adds(out, text);
		return;
	}
	sb_addc(out, '\'');
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			sb_adds(out, "'\\''");
		else
			sb_addc(out, *p);
	}
	sb_addc(out, '\'');
}

static int64_t unit_seconds(char unit)
{
	switch (unit) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 7 * 86400;
	case 'y':
		return 365 * 86400;
	default:
		return -1;
	}
}

bool duration_parse(const char *text, int64_t *seconds)
{
	bool any_digits = false;
	int64_t total = 0;

	for (const char *p = text; *p;) {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		any_digits = true;
		while (isdigit((unsigned char)*p)) {
			if (n < INT64_MAX / 10 - 10)
				n = n * 10 + (*p - '0');
			p++;
		}
		unit = *p ? unit_seconds(*p) : 1;
		if (unit > 0 && n <= INT64_MAX / unit && total <= INT64_MAX - n * unit)
			total += n * unit;
	}
	*seconds = total;
	return any_digits;
}
