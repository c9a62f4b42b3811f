/*
 * codec_yaml.c - Rundeck's YAML job format, read and written with libyaml.
 *
 * Plain scalars resolve as in YAML 1.2's core schema, restricted to what a
 * job definition needs: null, true/false and decimal integers. Everything
 * else, floats included, stays a string, so "1.10" keeps its last zero.
 * Quoted and block scalars are always strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "codec.h"

enum { MAX_DEPTH = 64, MAX_ALIASES = 256 };

struct anchor {
	char *name;
	json_t *value;
};

/* One open container of the document being built. */
struct frame {
	json_t *node;
	char *pending_key; /* for objects: the key waiting for its value */
	char *anchor;      /* the container's anchor, registered when it closes */
	json_t *merges;    /* maps given by "<<" merge keys, applied when it closes */
	int key_line;
	int key_column;
};

struct yaml_reader {
	yaml_parser_t parser;
	struct frame stack[MAX_DEPTH];
	int depth;
	struct anchor *anchors;
	size_t n_anchors;
	size_t n_aliases;
	json_t *root;
	struct srcmap *map;
	struct jf_error *err;
};

static bool is_null_word(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int bool_word(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

static bool int_word(const char *s, json_int_t *out)
{
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return false;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return false;
	/* A leading zero reads as octal in YAML 1.1: keep such text as written. */
	if (p[0] == '0' && p[1])
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && !*end;
}

/* Return true if a plain scalar with this text would not read as a string. */
static bool scalar_needs_quotes(const char *s)
{
	json_int_t ignored;
	char *end;

	if (is_null_word(s) || bool_word(s) >= 0 || int_word(s, &ignored))
		return true;
	/* Quote float-looking and YAML 1.1 boolean words too, for other readers. */
	strtod(s, &end);
	if (end != s && !*end)
		return true;
	static const char *const words[] = { "yes", "no", "on", "off", "y", "n", ".inf", ".nan" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

static json_t *resolve_scalar(const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_int_t n;
	int b;

	if (tag && !strcmp(tag, YAML_STR_TAG))
		return json_stringn(text, ev->data.scalar.length);
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(text, ev->data.scalar.length);
	if (is_null_word(text))
		return json_null();
	b = bool_word(text);
	if (b >= 0)
		return json_boolean(b);
	if (int_word(text, &n))
		return json_integer(n);
	return json_stringn(text, ev->data.scalar.length);
}

static int reader_fail(struct yaml_reader *r, const yaml_mark_t *mark, const char *fmt,
		       const char *arg)
{
	char message[512];

	snprintf(message, sizeof(message), fmt, arg);
	return jf_fail_at(r->err, JF_INVALID, (int)mark->line + 1, (int)mark->column + 1, "%s",
			  message);
}

static void remember_anchor(struct yaml_reader *r, const yaml_char_t *anchor, json_t *value)
{
	if (!anchor)
		return;
	r->anchors = xrealloc(r->anchors, (r->n_anchors + 1) * sizeof(*r->anchors));
	r->anchors[r->n_anchors].name = xstrdup((const char *)anchor);
	r->anchors[r->n_anchors].value = json_incref(value);
	r->n_anchors++;
}

static json_t *find_anchor(struct yaml_reader *r, const char *name)
{
	for (size_t i = r->n_anchors; i > 0; i--)
		if (!strcmp(r->anchors[i - 1].name, name))
			return r->anchors[i - 1].value;
	return NULL;
}

/* A "<<" merge key: its map, or list of maps, fills in keys the mapping lacks. */
static int add_merge(struct yaml_reader *r, struct frame *top, json_t *value,
		     const yaml_mark_t *mark)
{
	size_t i;
	json_t *item;

	free(top->pending_key);
	top->pending_key = NULL;
	if (!top->merges)
		top->merges = json_array();
	if (json_is_object(value)) {
		json_array_append_new(top->merges, value);
		return 0;
	}
	if (json_is_array(value)) {
		json_array_foreach(value, i, item) {
			if (!json_is_object(item)) {
				json_decref(value);
				return reader_fail(r, mark, "invalid YAML: a '<<' merge list holds "
							    "only mappings%s", "");
			}
			json_array_append(top->merges, item);
		}
		json_decref(value);
		return 0;
	}
	json_decref(value);
	return reader_fail(r, mark, "invalid YAML: '<<' merges a mapping or a list of them%s", "");
}

/* Apply merges in order: keys of the mapping and of earlier merges win. */
static void apply_merges(struct frame *f)
{
	size_t i;
	json_t *merge;

	json_array_foreach(f->merges, i, merge) {
		const char *key;
		json_t *value;

		json_object_foreach(merge, key, value)
			if (!json_object_get(f->node, key))
				json_object_set(f->node, key, value);
	}
	json_decref(f->merges);
	f->merges = NULL;
}

/* Attach a finished value to the open container, or make it the root. */
static int attach_value(struct yaml_reader *r, json_t *value, const yaml_mark_t *mark)
{
	struct frame *top;

	if (r->depth == 0) {
		r->root = value;
		return 0;
	}
	top = &r->stack[r->depth - 1];
	if (json_is_array(top->node)) {
		json_array_append_new(top->node, value);
		return 0;
	}
	if (!top->pending_key) {
		json_decref(value);
		return reader_fail(r, mark, "invalid YAML: a mapping key must be a plain value%s",
				   "");
	}
	if (!strcmp(top->pending_key, "<<"))
		return add_merge(r, top, value, mark);
	if (json_object_get(top->node, top->pending_key)) {
		int rc = jf_fail_at(r->err, JF_INVALID, top->key_line, top->key_column,
				    "invalid YAML: duplicate key '%s'", top->pending_key);

		json_decref(value);
		return rc;
	}
	json_object_set_new(top->node, top->pending_key, value);
	free(top->pending_key);
	top->pending_key = NULL;
	return 0;
}

static int on_scalar(struct yaml_reader *r, const yaml_event_t *ev)
{
	struct frame *top = r->depth ? &r->stack[r->depth - 1] : NULL;
	json_t *value;

	if (top && json_is_object(top->node) && !top->pending_key) {
		top->pending_key = xstrndup((const char *)ev->data.scalar.value,
					    ev->data.scalar.length);
		top->key_line = (int)ev->start_mark.line + 1;
		top->key_column = (int)ev->start_mark.column + 1;
		return 0;
	}
	value = resolve_scalar(ev);
	remember_anchor(r, ev->data.scalar.anchor, value);
	return attach_value(r, value, &ev->start_mark);
}

static int on_open(struct yaml_reader *r, const yaml_event_t *ev, json_t *node,
		   const yaml_char_t *anchor)
{
	struct frame *top = r->depth ? &r->stack[r->depth - 1] : NULL;

	if (top && json_is_object(top->node) && !top->pending_key) {
		const char *kind = json_is_object(node) ? "mapping" : "list";

		json_decref(node);
		return reader_fail(r, &ev->start_mark,
				   "invalid YAML: a mapping key must be a plain value, not a %s", kind);
	}
	if (r->depth == MAX_DEPTH) {
		json_decref(node);
		return reader_fail(r, &ev->start_mark, "invalid YAML: nested deeper than %s levels",
				   "64");
	}
	srcmap_add(r->map, node, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
	r->stack[r->depth++] = (struct frame){ node, NULL,
					       anchor ? xstrdup((const char *)anchor) : NULL, NULL,
					       0, 0 };
	return 0;
}

static int on_close(struct yaml_reader *r, const yaml_event_t *ev)
{
	struct frame done = r->stack[--r->depth];

	if (done.merges)
		apply_merges(&done);
	free(done.pending_key);
	remember_anchor(r, (const yaml_char_t *)done.anchor, done.node);
	free(done.anchor);
	return attach_value(r, done.node, &ev->start_mark);
}

static int on_alias(struct yaml_reader *r, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *value = find_anchor(r, name);

	if (!value)
		return reader_fail(r, &ev->start_mark, "invalid YAML: unknown anchor '%s'", name);
	if (++r->n_aliases > MAX_ALIASES)
		return reader_fail(r, &ev->start_mark, "invalid YAML: more than %s aliases", "256");
	/* A deep copy, so that a later edit of one place never changes another. */
	return attach_value(r, json_deep_copy(value), &ev->start_mark);
}

static int handle_event(struct yaml_reader *r, yaml_event_t *ev, int *documents)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1)
			return reader_fail(r, &ev->start_mark,
					   "invalid YAML: expected one document, found a second%s",
					   "");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(r, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(r, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		json_t *node = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
		yaml_char_t *anchor = ev->type == YAML_SEQUENCE_START_EVENT
					      ? ev->data.sequence_start.anchor
					      : ev->data.mapping_start.anchor;
		return on_open(r, ev, node, anchor);
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_close(r, ev);
	default:
		return 0;
	}
}

static void reader_release(struct yaml_reader *r)
{
	while (r->depth > 0) {
		struct frame *f = &r->stack[--r->depth];

		free(f->pending_key);
		free(f->anchor);
		json_decref(f->merges);
		/* Inner containers are not attached yet, so each frame owns its node. */
		json_decref(f->node);
	}
	for (size_t i = 0; i < r->n_anchors; i++) {
		free(r->anchors[i].name);
		json_decref(r->anchors[i].value);
	}
	free(r->anchors);
	yaml_parser_delete(&r->parser);
}

int codec_yaml_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		      struct jf_error *err)
{
	struct yaml_reader r = { .map = map, .err = err };
	int documents = 0, rc = 0;
	bool done = false;

	*out = NULL;
	if (!yaml_parser_initialize(&r.parser))
		return jf_fail(err, JF_IO, "unable to start the YAML parser");
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)data, len);
	while (!done && rc == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&r.parser, &ev)) {
			const yaml_mark_t *m = &r.parser.problem_mark;

			if (r.parser.context)
				rc = jf_fail_at(err, JF_INVALID, (int)m->line + 1, (int)m->column + 1,
						"invalid YAML: %s, %s at line %d, column %d",
						r.parser.problem, r.parser.context,
						(int)r.parser.context_mark.line + 1,
						(int)r.parser.context_mark.column + 1);
			else
				rc = jf_fail_at(err, JF_INVALID, (int)m->line + 1, (int)m->column + 1,
						"invalid YAML: %s", r.parser.problem);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = handle_event(&r, &ev, &documents);
		yaml_event_delete(&ev);
	}
	if (rc == 0) {
		*out = r.root ? r.root : json_null();
		r.root = NULL;
	} else {
		json_decref(r.root);
		r.root = NULL;
	}
	reader_release(&r);
	return rc;
}

/* ---- writing ---------------------------------------------------------- */

static int write_to_strbuf(void *data, unsigned char *buffer, size_t size)
{
	sb_add(data, buffer, size);
	return 1;
}

static int emit_scalar(yaml_emitter_t *e, const char *text, size_t len, bool is_string)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	int plain_implicit = 1, quoted_implicit = 1;

	if (is_string) {
		if (memchr(text, '\n', len))
			style = YAML_LITERAL_SCALAR_STYLE;
		else if (scalar_needs_quotes(text))
			style = YAML_SINGLE_QUOTED_SCALAR_STYLE, plain_implicit = 0;
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
				     plain_implicit, quoted_implicit, style);
	return yaml_emitter_emit(e, &ev);
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_value(yaml_emitter_t *e, const json_t *value);

static int emit_object(yaml_emitter_t *e, const json_t *value)
{
	size_t n = json_object_size(value), i = 0;
	const char **keys = xcalloc(n, sizeof(*keys));
	const char *key;
	json_t *child;
	yaml_event_t ev;
	int ok;

	json_object_foreach((json_t *)value, key, child)
		keys[i++] = key;
	qsort(keys, n, sizeof(*keys), compare_keys);
	ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) &&
	     yaml_emitter_emit(e, &ev);
	for (i = 0; ok && i < n; i++)
		ok = emit_scalar(e, keys[i], strlen(keys[i]), true) &&
		     emit_value(e, json_object_get(value, keys[i]));
	free(keys);
	return ok && yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, const json_t *value)
{
	yaml_event_t ev;
	char number[64];
	size_t index;
	json_t *child;
	int ok;

	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return emit_object(e, value);
	case JSON_ARRAY:
		ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  YAML_BLOCK_SEQUENCE_STYLE) &&
		     yaml_emitter_emit(e, &ev);
		json_array_foreach(value, index, child) if (ok) ok = emit_value(e, child);
		return ok && yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	case JSON_STRING:
		return emit_scalar(e, json_string_value(value), json_string_length(value), true);
	case JSON_INTEGER:
		snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		return emit_scalar(e, number, strlen(number), false);
	case JSON_REAL:
		snprintf(number, sizeof(number), "%.17g", json_real_value(value));
		return emit_scalar(e, number, strlen(number), false);
	case JSON_TRUE:
		return emit_scalar(e, "true", 4, false);
	case JSON_FALSE:
		return emit_scalar(e, "false", 5, false);
	case JSON_NULL:
		return emit_scalar(e, "null", 4, false);
	}
	return 0;
}

int codec_yaml_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e))
		return jf_fail(err, JF_IO, "unable to start the YAML writer");
	yaml_emitter_set_output(&e, write_to_strbuf, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&e, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&e, &ev) && emit_value(&e, jobs) &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev);
	if (!ok) {
		int rc = jf_fail(err, JF_IO, "unable to render YAML: %s",
				 e.problem ? e.problem : "unknown error");

		yaml_emitter_delete(&e);
		return rc;
	}
	yaml_emitter_delete(&e);
	return 0;
}
