/* vars.c - the execution data context and its expansion. */
#include "vars.h"

#include <ctype.h>
#include <string.h>

#include "argstring.h"

const char *const VARS_LOCAL_NODE = "localhost";

static struct var *find_var(const struct vars *vars, const char *name)
{
	for (size_t i = 0; i < vars->len; i++)
		if (!strcmp(vars->items[i].name, name))
			return &vars->items[i];
	return NULL;
}

void vars_set(struct vars *vars, const char *name, const char *value)
{
	struct var *v = find_var(vars, name);

	if (v) {
		if (strcmp(v->value, value) != 0) {
			free(v->value);
			v->value = xstrdup(value);
			v->changed = true;
		}
		return;
	}
	if (vars->len == vars->alloc) {
		vars->alloc = vars->alloc ? vars->alloc * 2 : 32;
		vars->items = xrealloc(vars->items, vars->alloc * sizeof(*vars->items));
	}
	vars->items[vars->len].name = xstrdup(name);
	vars->items[vars->len].value = xstrdup(value);
	vars->items[vars->len].changed = true;
	vars->len++;
}

void vars_take_changes(struct vars *vars, bool (*keep)(const char *name), json_t *obj)
{
	for (size_t i = 0; i < vars->len; i++) {
		struct var *v = &vars->items[i];

		if (!v->changed)
			continue;
		v->changed = false;
		if (keep(v->name))
			json_object_set_new(obj, v->name, json_string(v->value));
	}
}

void vars_setf(struct vars *vars, const char *name, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	vars_set(vars, name, sb_str(&sb));
	sb_release(&sb);
}

const char *vars_get(const struct vars *vars, const char *name)
{
	struct var *v = find_var(vars, name);

	return v ? v->value : NULL;
}

void vars_remove_group(struct vars *vars, const char *group)
{
	size_t n = strlen(group), kept = 0;

	for (size_t i = 0; i < vars->len; i++) {
		struct var *v = &vars->items[i];

		if (!strncmp(v->name, group, n) && v->name[n] == '.') {
			free(v->name);
			free(v->value);
			continue;
		}
		vars->items[kept++] = *v;
	}
	vars->len = kept;
}

void vars_release(struct vars *vars)
{
	for (size_t i = 0; i < vars->len; i++) {
		free(vars->items[i].name);
		free(vars->items[i].value);
	}
	free(vars->items);
	vars->items = NULL;
	vars->len = vars->alloc = 0;
}

char *vars_env_name(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	sb_adds(&sb, "RD_");
	for (const char *p = name; *p; p++)
		sb_addc(&sb, isalnum((unsigned char)*p) || *p == '_' ? (char)toupper((unsigned char)*p)
								      : '_');
	return sb_detach(&sb, NULL);
}

/*
 * Resolve the inside of a reference, "[STEP:]group.key[@NODE|*[D]]".
 * Returns the value, "" for an undefined option, or NULL to leave the
 * reference as written. *raw is set for unquotedoption references.
 */
static const char *resolve_reference(const struct vars *vars, const char *ref, size_t len,
				     bool *raw)
{
	char name[512];
	char *at, *star;

	*raw = false;
	if (len >= sizeof(name))
		return NULL;
	memcpy(name, ref, len);
	name[len] = '\0';
	at = strchr(name, '@');
	if (at) {
		if (strcmp(at + 1, VARS_LOCAL_NODE) != 0)
			return NULL;
		*at = '\0';
	}
	star = strchr(name, '*');
	if (star)
		*star = '\0';
	if (!strchr(name, '.'))
		return NULL;
	if (!strncmp(name, "unquotedoption.", 15)) {
		char *option = xasprintf("option.%s", name + 15);
		const char *value = vars_get(vars, option);

		free(option);
		*raw = true;
		return value ? value : "";
	}
	{
		const char *value = vars_get(vars, name);
		const char *colon = strchr(name, ':');
		const char *group = colon ? colon + 1 : name;

		if (!value && !strncmp(group, "option.", 7))
			return "";
		return value;
	}
}

/* Expand text; sets *expanded when a reference was replaced. */
static void expand_references(const struct vars *vars, const char *text, struct strbuf *out,
			      bool *expanded, bool *raw_only)
{
	const char *p = text;

	*expanded = false;
	*raw_only = true;
	while (*p) {
		const char *end;
		const char *value;
		bool raw;

		if (p[0] != '$' || p[1] != '{') {
			sb_addc(out, *p++);
			continue;
		}
		end = p + 2;
		while (*end && *end != '}' && !isspace((unsigned char)*end))
			end++;
		if (*end != '}' || end == p + 2) {
			sb_addc(out, *p++);
			continue;
		}
		value = resolve_reference(vars, p + 2, (size_t)(end - p - 2), &raw);
		if (!value) {
			sb_add(out, p, (size_t)(end - p + 1));
		} else {
			sb_adds(out, value);
			*expanded = true;
			if (!raw)
				*raw_only = false;
		}
		p = end + 1;
	}
}

void vars_expand_text(const struct vars *vars, const char *text, struct strbuf *out)
{
	bool expanded, raw_only;

	expand_references(vars, text, out, &expanded, &raw_only);
}

int vars_expand_command(const struct vars *vars, const char *line, struct strbuf *out,
			struct jf_error *err)
{
	struct arg_list words;
	struct strbuf word = STRBUF_INIT;

	if (args_split(line, &words, err))
		return err->code;
	for (size_t i = 0; i < words.len; i++) {
		bool expanded, raw_only;

		sb_reset(&word);
		expand_references(vars, words.words[i].text, &word, &expanded, &raw_only);
		if (i > 0)
			sb_addc(out, ' ');
		if (words.words[i].quoted || (expanded && !raw_only))
			shell_quote(out, sb_str(&word));
		else
			sb_adds(out, sb_str(&word));
	}
	sb_release(&word);
	args_release(&words);
	return 0;
}

/* Resolve a token "group.key[/NODE][*]"; unresolved tokens become empty. */
static const char *resolve_token(const struct vars *vars, const char *token, size_t len)
{
	char name[512];
	char *slash, *star;

	if (len >= sizeof(name))
		return "";
	memcpy(name, token, len);
	name[len] = '\0';
	slash = strchr(name, '/');
	if (slash) {
		if (strcmp(slash + 1, VARS_LOCAL_NODE) != 0)
			return "";
		*slash = '\0';
	}
	star = strchr(name, '*');
	if (star)
		*star = '\0';
	if (!strncmp(name, "unquotedoption.", 15)) {
		char option[520];

		snprintf(option, sizeof(option), "option.%s", name + 15);
		const char *value = vars_get(vars, option);

		return value ? value : "";
	}
	{
		const char *value = vars_get(vars, name);

		return value ? value : "";
	}
}

void vars_expand_tokens(const struct vars *vars, const char *body, struct strbuf *out)
{
	const char *p = body;

	while (*p) {
		const char *end;

		if (*p != '@') {
			sb_addc(out, *p++);
			continue;
		}
		if (p[1] == '@') {
			sb_addc(out, '@');
			p += 2;
			continue;
		}
		end = p + 1;
		while (*end && *end != '@' && !isspace((unsigned char)*end))
			end++;
		if (*end != '@') {
			/* No closing "@" before a blank: not a token. */
			sb_add(out, p, (size_t)(end - p));
			p = end;
			continue;
		}
		sb_adds(out, resolve_token(vars, p + 1, (size_t)(end - p - 1)));
		p = end + 1;
	}
}

/* ---- tokens in shell scripts ------------------------------------------------ */

/*
 * Where a token sits in a shell script decides how its value must be
 * written so that the shell reads it back as the same text, and never as
 * code: as one quoted word outside quotes, escaped inside "..." and in
 * here-documents, and split around the closing quote inside '...'.
 */
enum sh_context {
	SH_PLAIN,
	SH_SINGLE,     /* '...' */
	SH_DOUBLE,     /* "..." or `...` */
	SH_COMMENT,
	SH_HEREDOC,    /* a here-document whose delimiter was not quoted */
	SH_HEREDOC_RAW /* a here-document whose delimiter was quoted */
};

struct sh_lexer {
	enum sh_context context;
	char delimiter[128];   /* of the here-document announced or being read */
	bool heredoc_pending;  /* it starts on the next line */
	bool heredoc_quoted;
	bool heredoc_tabs;     /* <<- strips leading tabs from its lines */
	bool line_start;
};

static void add_escaped(struct strbuf *out, const char *value, const char *special)
{
	for (const char *p = value; *p; p++) {
		if (strchr(special, *p))
			sb_addc(out, '\\');
		sb_addc(out, *p);
	}
}

static void add_token_value(struct strbuf *out, enum sh_context context, const char *value)
{
	switch (context) {
	case SH_PLAIN:
		shell_quote(out, value);
		break;
	case SH_SINGLE:
		for (const char *p = value; *p; p++) {
			if (*p == '\'')
				sb_adds(out, "'\\''");
			else
				sb_addc(out, *p);
		}
		break;
	case SH_DOUBLE:
		add_escaped(out, value, "\"\\$`");
		break;
	case SH_HEREDOC:
		add_escaped(out, value, "\\$`");
		break;
	default:
		sb_adds(out, value);
		break;
	}
}

/* Read the delimiter after "<<" at p; returns the first character after it. */
static const char *read_heredoc_start(struct sh_lexer *lx, const char *p)
{
	size_t n = 0;

	lx->heredoc_tabs = *p == '-';
	if (*p == '-')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	lx->heredoc_quoted = false;
	while (*p && !strchr(" \t\n;&|<>()", *p)) {
		if (*p == '\'' || *p == '"' || *p == '\\') {
			lx->heredoc_quoted = true;
			p++;
			continue;
		}
		if (n + 1 < sizeof(lx->delimiter))
			lx->delimiter[n++] = *p;
		p++;
	}
	lx->delimiter[n] = '\0';
	lx->heredoc_pending = n > 0;
	return p;
}

/* At the start of a here-document line: does it end the document? */
static bool heredoc_ends(const struct sh_lexer *lx, const char *line)
{
	size_t n = strlen(lx->delimiter);

	while (lx->heredoc_tabs && *line == '\t')
		line++;
	return !strncmp(line, lx->delimiter, n) && (line[n] == '\n' || line[n] == '\0');
}

/* Advance the lexer over one character of the script; returns how many it used. */
static size_t sh_step(struct sh_lexer *lx, const char *p)
{
	bool at_line_start = lx->line_start;

	lx->line_start = *p == '\n';
	switch (lx->context) {
	case SH_HEREDOC:
	case SH_HEREDOC_RAW:
		if (at_line_start && heredoc_ends(lx, p))
			lx->context = SH_PLAIN;
		else if (lx->context == SH_HEREDOC && *p == '\\' && p[1])
			return 2;
		return 1;
	case SH_COMMENT:
		if (*p == '\n')
			lx->context = SH_PLAIN;
		break;
	case SH_SINGLE:
		if (*p == '\'')
			lx->context = SH_PLAIN;
		break;
	case SH_DOUBLE:
		if (*p == '\\' && p[1])
			return 2;
		if (*p == '"' || *p == '`')
			lx->context = SH_PLAIN;
		break;
	case SH_PLAIN:
		if (*p == '\\' && p[1])
			return 2;
		if (*p == '\'')
			lx->context = SH_SINGLE;
		else if (*p == '"' || *p == '`')
			lx->context = SH_DOUBLE;
		else if (*p == '#' && (at_line_start || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ';'))
			lx->context = SH_COMMENT;
		else if (p[0] == '<' && p[1] == '<' && p[2] != '<')
			return (size_t)(read_heredoc_start(lx, p + 2) - p);
		break;
	}
	if (*p == '\n' && lx->heredoc_pending && lx->context == SH_PLAIN) {
		lx->heredoc_pending = false;
		lx->context = lx->heredoc_quoted ? SH_HEREDOC_RAW : SH_HEREDOC;
	}
	return 1;
}

void vars_expand_shell_tokens(const struct vars *vars, const char *body, struct strbuf *out)
{
	struct sh_lexer lx = { .context = SH_PLAIN, .line_start = true };
	const char *p = body;

	while (*p) {
		const char *end;
		size_t n;

		if (*p == '@' && p[1] == '@') {
			sb_addc(out, '@');
			p += 2;
			continue;
		}
		if (*p == '@' && lx.context != SH_COMMENT) {
			end = p + 1;
			while (*end && *end != '@' && !isspace((unsigned char)*end))
				end++;
			if (*end == '@') {
				add_token_value(out, lx.context,
						resolve_token(vars, p + 1, (size_t)(end - p - 1)));
				p = end + 1;
				continue;
			}
		}
		n = sh_step(&lx, p);
		sb_add(out, p, n);
		p += n;
	}
}
