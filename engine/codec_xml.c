/*
 * codec_xml.c - Rundeck's XML job format (a <joblist> document), decoded to
 * and encoded from the canonical job model of codec.h.
 *
 * Decoding runs two passes, as Rundeck's own importer does. The generic
 * pass turns each element into a value: attributes and child elements
 * become keys of one map, an element with text only becomes a string, a
 * name that repeats becomes a list, and an element marked data="true"
 * contains typed data. The rename pass then applies xml_renames[] to reach
 * the canonical keys.
 *
 * Encoding applies the same table the other way and writes every other key
 * by the generic rules, in a form the generic pass reads back unchanged:
 *   - a map becomes child elements, and a list repeated elements;
 *   - an empty map, an empty list, a list of one and a list inside a list
 *     use the data form: <k data="true"><map>/<list>/<value>/<null>...</k>;
 *   - a key that is not a plain XML name is written <element name="key">,
 *     which Rundeck's reader also understands.
 *
 * XML has no types, so every scalar decodes as a string. job_normalize()
 * turns the strings of known boolean keys back into booleans, and the
 * encoder writes booleans and numbers as their text. So a model survives
 * encode and decode unchanged except in three cases. An integer or boolean
 * at a key job_normalize() does not convert comes back as text. A plugin
 * step without nodeStep comes back with nodeStep false. A single
 * notification plugin map comes back as a list of one.
 */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

/* libxml2 rejects documents nested deeper than 256 elements unless
 * XML_PARSE_HUGE is set, so the encoder stops below that depth. */
#define MAX_WRITE_DEPTH 250

/* ---- positions of decoded containers ------------------------------------ */

/* The line of one container the decoder made, found by its address. */
struct pos_entry {
	const json_t *node;
	int line;
	bool from_data; /* decoded from a data="true" element: already canonical */
};

/* An open-addressing table keyed by address. cap is 0 or a power of two. */
struct pos_table {
	struct pos_entry *slots;
	size_t cap;
	size_t len;
};

static size_t pos_index(const json_t *node, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)node;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (cap - 1);
}

/* Return the slot of node, or the empty slot where it would go. */
static struct pos_entry *pos_slot(const struct pos_table *t, const json_t *node)
{
	size_t i = pos_index(node, t->cap);

	while (t->slots[i].node && t->slots[i].node != node)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static void pos_grow(struct pos_table *t)
{
	struct pos_table bigger = { NULL, t->cap ? t->cap * 2 : 256, t->len };

	bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].node)
			*pos_slot(&bigger, t->slots[i].node) = t->slots[i];
	}
	free(t->slots);
	*t = bigger;
}

static void pos_put(struct pos_table *t, const json_t *node, int line, bool from_data)
{
	struct pos_entry *slot;

	if ((t->len + 1) * 2 > t->cap)
		pos_grow(t);
	slot = pos_slot(t, node);
	if (!slot->node)
		t->len++;
	*slot = (struct pos_entry){ node, line, from_data };
}

static const struct pos_entry *pos_get(const struct pos_table *t, const json_t *node)
{
	const struct pos_entry *slot;

	if (!t->cap || !node)
		return NULL;
	slot = pos_slot(t, node);
	return slot->node ? slot : NULL;
}

/* ---- decoder state and messages ----------------------------------------- */

struct xml_decoder {
	struct pos_table pos;
	/* Values that renames removed. They stay alive until the decode ends,
	 * so that no new container can reuse an address that pos still contains. */
	json_t *detached;
	struct jf_error *err;
};

static int line_of(const struct xml_decoder *d, const json_t *node)
{
	const struct pos_entry *entry = pos_get(&d->pos, node);

	return entry ? entry->line : 0;
}

static bool is_data(const struct xml_decoder *d, const json_t *node)
{
	const struct pos_entry *entry = pos_get(&d->pos, node);

	return entry && entry->from_data;
}

static int xml_line(const xmlNode *node)
{
	long line = xmlGetLineNo(node);

	return line > 0 && line < INT_MAX ? (int)line : 0;
}

static json_t *new_object_at(struct xml_decoder *d, int line)
{
	json_t *obj = json_object();

	pos_put(&d->pos, obj, line, false);
	return obj;
}

static json_t *new_array_at(struct xml_decoder *d, int line)
{
	json_t *list = json_array();

	pos_put(&d->pos, list, line, false);
	return list;
}

static int vfail_line(struct xml_decoder *d, int line, const char *fmt, va_list ap)
{
	char detail[900];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (line > 0)
		return jf_fail_at(d->err, JF_INVALID, line, 0, "line %d: %s", line, detail);
	return jf_fail(d->err, JF_INVALID, "%s", detail);
}

/* Record a decode failure at line (0 when unknown) and return JF_INVALID. */
static int fail_line(struct xml_decoder *d, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_line(struct xml_decoder *d, int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_line(d, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* Record a decode failure at the line of the element node came from. */
static int fail_at(struct xml_decoder *d, const json_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct xml_decoder *d, const json_t *node, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_line(d, line_of(d, node), fmt, ap);
	va_end(ap);
	return rc;
}

/* Describe what an element turned into, for "found ..." in messages. */
static const char *describe(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "elements";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return json_string_length(v) ? "text" : "nothing";
	case JSON_NULL:
		return "a data null";
	default:
		return "a number or boolean";
	}
}

/* ---- parsing with libxml2 ----------------------------------------------- */

struct parse_report {
	xmlParserCtxtPtr parser;
	bool failed;
	int line;
	int column;
	char message[512];
};

/* Keep the first error of a parse. Warnings (an unknown DTD, say) pass. */
static void record_error(struct parse_report *report, const xmlError *error)
{
	const xmlParserInput *input = report->parser->input;

	if (report->failed || error->level < XML_ERR_ERROR)
		return;
	report->failed = true;
	report->line = error->line;
	report->column = error->int2;
	/* Encoding errors come without a position, so take the parser's. */
	if (report->line <= 0 && input) {
		report->line = input->line;
		report->column = input->col;
	}
	snprintf(report->message, sizeof(report->message), "%s",
		 error->message ? error->message : "unknown error");
	/* libxml2 ends messages with a newline and may put details on a second line. */
	for (char *p = report->message; *p; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	for (size_t n = strlen(report->message); n > 0 && report->message[n - 1] == ' '; n--)
		report->message[n - 1] = '\0';
}

/* The handler of the parser context: libxml2 passes the context. */
static void record_parser_error(void *context, xmlErrorPtr error)
{
	xmlParserCtxtPtr parser = context;

	record_error(parser->_private, error);
}

/* The handler for errors raised without a context, such as failed encoding conversions. */
static void record_other_error(void *report, xmlErrorPtr error)
{
	record_error(report, error);
}

static void init_libxml(void)
{
	xmlInitParser();
}

/*
 * Run the parser with both error handlers in place. Errors raised without
 * a context, such as a failed encoding conversion, go to the structured
 * handler of the thread, or else to stderr. libxml2 built with thread
 * support keeps that handler per thread, so setting it here does not
 * affect parses on other threads.
 */
static void run_parser(xmlParserCtxtPtr parser, struct parse_report *report)
{
	xmlStructuredErrorFunc saved_handler = xmlStructuredError;
	void *saved_context = xmlStructuredErrorContext;

	report->parser = parser;
	parser->_private = report;
	parser->sax->serror = record_parser_error;
	xmlSetStructuredErrorFunc(report, record_other_error);
	xmlParseDocument(parser);
	xmlSetStructuredErrorFunc(saved_context, saved_handler);
}

/*
 * Parse data into a document. Network access, external entities and the
 * external DTD stay off (no XML_PARSE_NOENT or XML_PARSE_DTDLOAD), and the
 * default limits on entity expansion stay on (no XML_PARSE_HUGE).
 */
static int parse_document(struct xml_decoder *d, const char *data, size_t len, xmlDocPtr *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct parse_report report = { NULL, false, 0, 0, "" };
	xmlParserCtxtPtr parser;
	bool well_formed;

	*out = NULL;
	if (len == 0 || str_is_blank(data, len))
		return fail_line(d, 1, "the document is empty; expected a <joblist> element");
	if (len > INT_MAX)
		return jf_fail(d->err, JF_INVALID, "the XML document is %zu bytes, more than the %d libxml2 reads",
			       len, INT_MAX);
	pthread_once(&once, init_libxml);
	parser = xmlCreateMemoryParserCtxt(data, (int)len);
	if (!parser)
		return jf_fail(d->err, JF_IO, "unable to create an XML parser");
	xmlCtxtUseOptions(parser, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	run_parser(parser, &report);
	well_formed = parser->wellFormed && !report.failed;
	*out = well_formed ? parser->myDoc : NULL;
	if (!well_formed)
		xmlFreeDoc(parser->myDoc);
	parser->myDoc = NULL;
	xmlFreeParserCtxt(parser);
	if (well_formed)
		return 0;
	if (!report.failed)
		return jf_fail(d->err, JF_INVALID, "invalid XML");
	if (report.line <= 0)
		return jf_fail(d->err, JF_INVALID, "invalid XML: %s", report.message);
	return jf_fail_at(d->err, JF_INVALID, report.line, report.column,
			  "line %d, column %d: invalid XML: %s", report.line, report.column,
			  report.message);
}

/* ---- generic pass: element to value -------------------------------------- */

static bool has_prefix(const xmlNs *ns)
{
	return ns && ns->prefix;
}

static bool name_is(const xmlChar *name, const xmlNs *ns, const char *expected)
{
	return !has_prefix(ns) && xmlStrEqual(name, BAD_CAST expected);
}

/* The key of an element or attribute: its name, with its namespace prefix. */
static char *node_key(const xmlChar *name, const xmlNs *ns)
{
	if (has_prefix(ns))
		return xasprintf("%s:%s", (const char *)ns->prefix, (const char *)name);
	return xstrdup((const char *)name);
}

/*
 * Append the text and CDATA of the sibling nodes from first on. An entity
 * reference fails: expanding it is what entity bombs rely on.
 */
static int gather_text(struct xml_decoder *d, const xmlNode *first, const xmlNode *owner,
		       struct strbuf *text, bool *has_elements)
{
	for (const xmlNode *n = first; n; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content)
				sb_adds(text, (const char *)n->content);
			break;
		case XML_ELEMENT_NODE:
			*has_elements = true;
			break;
		case XML_ENTITY_REF_NODE:
			return fail_line(d, xml_line(owner),
					 "entity reference &%s; in <%s> is not supported; write its text instead",
					 (const char *)n->name, (const char *)owner->name);
		default:
			break;
		}
	}
	return 0;
}

static int attr_text(struct xml_decoder *d, const xmlNode *el, const xmlAttr *attr, char **out)
{
	struct strbuf text = STRBUF_INIT;
	bool has_elements = false;
	int rc = gather_text(d, attr->children, el, &text, &has_elements);

	*out = rc ? NULL : sb_detach(&text, NULL);
	sb_release(&text);
	return rc;
}

static const xmlAttr *find_attr(const xmlNode *el, const char *name)
{
	for (const xmlAttr *a = el->properties; a; a = a->next) {
		if (name_is(a->name, a->ns, name))
			return a;
	}
	return NULL;
}

/* The name attribute of <element name="k"> is the key, not a member. */
static bool is_member_attr(const xmlAttr *a, bool name_is_key)
{
	return !(name_is_key && name_is(a->name, a->ns, "name"));
}

static json_t *new_text(struct xml_decoder *d, const xmlNode *el, const char *s, size_t len)
{
	json_t *text = json_stringn(s, len);

	if (!text)
		fail_line(d, xml_line(el), "the text of <%s> is not valid UTF-8", (const char *)el->name);
	return text;
}

static const char *const data_tags[] = { "map", "list", "set", "value", "string", "null", NULL };

static bool is_data_tag(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE)
		return false;
	for (size_t i = 0; data_tags[i]; i++) {
		if (name_is(n->name, n->ns, data_tags[i]))
			return true;
	}
	return false;
}

static bool attr_is_true(const xmlAttr *a)
{
	const xmlNode *text = a->children;

	return text && text->type == XML_TEXT_NODE && !text->next &&
	       xmlStrEqual(text->content, BAD_CAST "true");
}

/*
 * Return the data element of el when el is in the data form: a single
 * attribute data="true" and a single child element that is a data tag.
 */
static const xmlNode *data_root(const xmlNode *el, bool name_is_key)
{
	const xmlNode *root = NULL;
	bool marked = false;

	for (const xmlAttr *a = el->properties; a; a = a->next) {
		if (!is_member_attr(a, name_is_key))
			continue;
		if (!name_is(a->name, a->ns, "data") || !attr_is_true(a))
			return NULL;
		marked = true;
	}
	if (!marked)
		return NULL;
	for (const xmlNode *n = el->children; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			if (root || !is_data_tag(n))
				return NULL;
			root = n;
		} else if (n->type == XML_ENTITY_REF_NODE) {
			return NULL;
		} else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content && !str_is_blank((const char *)n->content,
							strlen((const char *)n->content)))
				return NULL;
		}
	}
	return root;
}

static json_t *decode_data(struct xml_decoder *d, const xmlNode *node);

static json_t *decode_data_text(struct xml_decoder *d, const xmlNode *node)
{
	struct strbuf text = STRBUF_INIT;
	bool has_elements = false;
	json_t *value = NULL;

	if (gather_text(d, node->children, node, &text, &has_elements) == 0) {
		if (has_elements)
			fail_line(d, xml_line(node), "data <%s> contains elements; expected text only",
				  (const char *)node->name);
		else
			value = new_text(d, node, sb_str(&text), text.len);
	}
	sb_release(&text);
	return value;
}

/* Add the entry of one child of a data <map>, keyed by its key attribute. */
static int add_data_entry(struct xml_decoder *d, json_t *map, const xmlNode *child)
{
	const xmlAttr *key_attr = find_attr(child, "key");
	char *key = NULL;
	json_t *value;
	int rc;

	if (!key_attr)
		return fail_line(d, xml_line(child), "<%s> in a data <map> has no key attribute",
				 (const char *)child->name);
	rc = attr_text(d, child, key_attr, &key);
	if (!rc && json_object_get(map, key))
		rc = fail_line(d, xml_line(child), "key \"%s\" appears twice in a data <map>", key);
	if (!rc) {
		value = decode_data(d, child);
		if (value)
			json_object_set_new(map, key, value);
		else
			rc = d->err->code;
	}
	free(key);
	return rc;
}

static json_t *decode_data_container(struct xml_decoder *d, const xmlNode *node, bool is_map)
{
	json_t *container = is_map ? json_object() : json_array();

	pos_put(&d->pos, container, xml_line(node), true);
	for (const xmlNode *c = node->children; c; c = c->next) {
		json_t *item;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_map) {
			if (add_data_entry(d, container, c) == 0)
				continue;
		} else if ((item = decode_data(d, c)) != NULL) {
			json_array_append_new(container, item);
			continue;
		}
		json_decref(container);
		return NULL;
	}
	return container;
}

/* Decode one node of the data form: <map>, <list>, <set>, <value>, <string>, <null>. */
static json_t *decode_data(struct xml_decoder *d, const xmlNode *node)
{
	if (!is_data_tag(node)) {
		fail_line(d, xml_line(node),
			  "<%s> is not a data element; expected <map>, <list>, <set>, <value>, <string> or <null>",
			  (const char *)node->name);
		return NULL;
	}
	if (name_is(node->name, node->ns, "map"))
		return decode_data_container(d, node, true);
	if (name_is(node->name, node->ns, "list") || name_is(node->name, node->ns, "set"))
		return decode_data_container(d, node, false);
	if (name_is(node->name, node->ns, "null"))
		return json_null();
	/* The docs write <string key=..> leaves, Rundeck's code <value key=..>. */
	return decode_data_text(d, node);
}

/* Lists made for names that repeat within one element. */
struct repeats {
	json_t **lists;
	size_t len;
};

static bool is_repeat_list(const struct repeats *r, const json_t *v)
{
	for (size_t i = 0; i < r->len; i++) {
		if (r->lists[i] == v)
			return true;
	}
	return false;
}

/* Add key: value (stolen) to obj. A second value for a key makes a list. */
static void add_member(struct xml_decoder *d, json_t *obj, const char *key, json_t *value,
		       int line, struct repeats *r)
{
	json_t *old = json_object_get(obj, key);
	json_t *list;

	if (!old) {
		json_object_set_new(obj, key, value);
		return;
	}
	if (is_repeat_list(r, old)) {
		json_array_append_new(old, value);
		return;
	}
	list = new_array_at(d, line);
	json_array_append(list, old);
	json_array_append_new(list, value);
	json_object_set_new(obj, key, list);
	r->lists = xrealloc(r->lists, (r->len + 1) * sizeof(*r->lists));
	r->lists[r->len++] = list;
}

static int add_attributes(struct xml_decoder *d, const xmlNode *el, bool name_is_key,
			  json_t *obj, struct repeats *r)
{
	for (const xmlAttr *a = el->properties; a; a = a->next) {
		char *key, *text;
		json_t *value;

		if (!is_member_attr(a, name_is_key))
			continue;
		if (attr_text(d, el, a, &text))
			return d->err->code;
		value = new_text(d, el, text, strlen(text));
		free(text);
		if (!value)
			return d->err->code;
		key = node_key(a->name, a->ns);
		add_member(d, obj, key, value, xml_line(el), r);
		free(key);
	}
	return 0;
}

static json_t *decode_value(struct xml_decoder *d, const xmlNode *el, bool name_is_key);

/* Add each child element; <element name="k"> stands for the key k. */
static int add_children(struct xml_decoder *d, const xmlNode *el, json_t *obj, struct repeats *r)
{
	for (const xmlNode *c = el->children; c; c = c->next) {
		const xmlAttr *name_attr;
		bool name_is_key = false;
		char *key;
		json_t *value;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		name_attr = name_is(c->name, c->ns, "element") ? find_attr(c, "name") : NULL;
		if (name_attr) {
			if (attr_text(d, c, name_attr, &key))
				return d->err->code;
			name_is_key = true;
		} else {
			key = node_key(c->name, c->ns);
		}
		value = decode_value(d, c, name_is_key);
		if (value)
			add_member(d, obj, key, value, xml_line(el), r);
		free(key);
		if (!value)
			return d->err->code;
	}
	return 0;
}

static bool has_member_attrs(const xmlNode *el, bool name_is_key)
{
	for (const xmlAttr *a = el->properties; a; a = a->next) {
		if (is_member_attr(a, name_is_key))
			return true;
	}
	return false;
}

/*
 * Turn an element into a value by Rundeck's generic rules. Text only gives
 * a string, "" when empty. Attributes and child elements give a map. In
 * that map, text beside attributes is kept under "<text>", and text beside
 * child elements is dropped.
 */
static json_t *decode_value(struct xml_decoder *d, const xmlNode *el, bool name_is_key)
{
	const xmlNode *root = data_root(el, name_is_key);
	struct strbuf text = STRBUF_INIT;
	struct repeats reps = { NULL, 0 };
	bool has_elements = false;
	json_t *obj = NULL;

	if (root)
		return decode_data(d, root);
	if (gather_text(d, el->children, el, &text, &has_elements))
		goto out;
	if (!has_elements && !has_member_attrs(el, name_is_key)) {
		obj = new_text(d, el, sb_str(&text), text.len);
		goto out;
	}
	obj = json_object();
	pos_put(&d->pos, obj, xml_line(el), false);
	if (!has_elements && !str_is_blank(sb_str(&text), text.len)) {
		json_t *content = new_text(d, el, sb_str(&text), text.len);

		if (content)
			json_object_set_new(obj, "<text>", content);
	}
	if (d->err->code || add_attributes(d, el, name_is_key, obj, &reps) ||
	    add_children(d, el, obj, &reps)) {
		json_decref(obj);
		obj = NULL;
	}
out:
	sb_release(&text);
	free(reps.lists);
	return obj;
}

/* ---- rename pass: helpers ------------------------------------------------ */

/* Remove key from obj and return its value, which d->detached keeps alive. */
static json_t *detach(struct xml_decoder *d, json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	if (value) {
		json_array_append(d->detached, value);
		json_object_del(obj, key);
	}
	return value;
}

/* Set obj[key] to value (a new reference is taken), keeping the old value alive. */
static void replace(struct xml_decoder *d, json_t *obj, const char *key, json_t *value)
{
	json_t *old = json_object_get(obj, key);

	if (old)
		json_array_append(d->detached, old);
	json_object_set(obj, key, value);
}

static void replace_new(struct xml_decoder *d, json_t *obj, const char *key, json_t *value)
{
	replace(d, obj, key, value);
	json_decref(value);
}

static int fail_both(struct xml_decoder *d, const json_t *obj, const char *tag, const char *a,
		     const char *b)
{
	return fail_at(d, obj, "<%s> has both <%s> and <%s>, which mean the same; keep one", tag, a, b);
}

/* Move obj[from] to obj[to], failing when both are present. */
static int move_key(struct xml_decoder *d, json_t *obj, const char *tag, const char *from,
		    const char *to)
{
	json_t *value = json_object_get(obj, from);

	if (!value)
		return 0;
	if (json_object_get(obj, to))
		return fail_both(d, obj, tag, from, to);
	json_object_set(obj, to, value);
	detach(d, obj, from);
	return 0;
}

/* Fail unless every key of obj is one of allowed (NULL-terminated). */
static int expect_only(struct xml_decoder *d, const json_t *obj, const char *tag,
		       const char *const *allowed, const char *expected)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], key))
			i++;
		if (!allowed[i])
			return fail_at(d, obj, "unexpected <%s> in <%s>; expected %s", key, tag, expected);
	}
	return 0;
}

static bool is_empty_text(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) == 0;
}

static int fail_shape(struct xml_decoder *d, const json_t *parent, const char *tag,
		      const char *key, const json_t *v, const char *expected)
{
	if (json_is_array(v) && !is_data(d, v))
		return fail_at(d, parent, "more than one <%s> in <%s>; expected one", key, tag);
	return fail_at(d, parent, "<%s> in <%s> contains %s; expected %s", key, tag, describe(v),
		       expected);
}

/*
 * Make obj[key] a map. An empty element ("") becomes {}, and other shapes
 * fail, naming what was expected inside <key>. *out is NULL when key is
 * absent.
 */
static int want_object(struct xml_decoder *d, json_t *obj, const char *tag, const char *key,
		       const char *expected, json_t **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (is_empty_text(v)) {
		v = new_object_at(d, line_of(d, obj));
		replace_new(d, obj, key, v);
	}
	if (!json_is_object(v))
		return fail_shape(d, obj, tag, key, v, expected);
	*out = v;
	return 0;
}

/* Make obj[key] a list: one element (or one map) becomes a list of one. */
static json_t *want_list(struct xml_decoder *d, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	json_t *list;

	if (!v || json_is_array(v))
		return v;
	list = new_array_at(d, json_is_object(v) ? line_of(d, v) : line_of(d, obj));
	json_array_append(list, v);
	replace_new(d, obj, key, list);
	return list;
}

static int add_entry(struct xml_decoder *d, json_t *map, const json_t *entry, const json_t *config)
{
	static const char *const entry_keys[] = { "key", "value", NULL };
	const json_t *key, *value;

	if (!json_is_object(entry))
		return fail_at(d, config, "<entry> contains %s; expected key and value attributes",
			       describe(entry));
	if (expect_only(d, entry, "entry", entry_keys, "key and value attributes"))
		return d->err->code;
	key = json_object_get(entry, "key");
	if (!json_is_string(key))
		return fail_at(d, entry, "<entry> has no key attribute");
	value = json_object_get(entry, "value");
	json_object_set(map, json_string_value(key), value ? (json_t *)value : json_null());
	return 0;
}

/*
 * Decode the plugin configuration in obj[key]. <entry key="k" value="v"/>
 * elements become {k: v}, and an entry without value gives null. A data map
 * and elements with text stay as they are. An empty element becomes {}.
 */
static int config_from_xml(struct xml_decoder *d, json_t *obj, const char *tag, const char *key)
{
	json_t *config, *entries, *map, *entry;
	size_t i;
	int rc = want_object(d, obj, tag, key, "<entry> elements or a data map", &config);

	if (rc || !config || is_data(d, config) || json_object_size(config) != 1 ||
	    !json_object_get(config, "entry"))
		return rc;
	entries = want_list(d, config, "entry");
	map = new_object_at(d, line_of(d, config));
	json_array_foreach(entries, i, entry) {
		rc = add_entry(d, map, entry, config);
		if (rc)
			break;
	}
	if (!rc)
		replace(d, obj, key, map);
	json_decref(map);
	return rc;
}

/* ---- the rename table ---------------------------------------------------- */

/* Level of the job map at which a rename applies. */
enum xml_level {
	AT_JOB,
	AT_OPTION,
	AT_SEQUENCE,
	AT_STEP,     /* <command> and <errorhandler> */
	AT_JOBREF,
	AT_TRIGGER,  /* <notification><onsuccess> and the other triggers */
	AT_SCHEDULE,
};

struct xml_encoder;
struct xml_rename;

typedef int decode_fn(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
		      json_t *map);
/* Writes the keys the row covers and removes them from rest. */
typedef int encode_fn(struct xml_encoder *e, const struct xml_rename *row, json_t *rest);

enum rename_flags {
	IN_START_TAG = 1, /* encode writes attributes while the start tag is open */
	XML_ONLY = 2,     /* the XML name is no canonical key, so a model key of that name cannot be written */
};

/* One XML name that differs in name or shape from the canonical model. */
struct xml_rename {
	enum xml_level level;
	const char *xml;       /* the name in XML, attribute or element */
	const char *canonical; /* the canonical key(s), for readers of the table */
	decode_fn *decode;
	encode_fn *encode;
	unsigned flags;
};

static int decode_level(struct xml_decoder *d, enum xml_level level, const char *tag, json_t *map);

/* ---- rename pass: job keys ----------------------------------------------- */

/* <id> is the uuid: Rundeck writes both with one value, and reads uuid first. */
static int decode_job_id(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			 json_t *job)
{
	json_t *id = json_object_get(job, "id");
	json_t *uuid = json_object_get(job, "uuid");

	(void)row;
	if (!id)
		return 0;
	if (!uuid)
		return move_key(d, job, tag, "id", "uuid");
	if (json_equal(id, uuid))
		detach(d, job, "id");
	return 0;
}

/* Rundeck's XML reader trims the slashes around a group: "/ops/web/" is "ops/web". */
static int decode_group(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			json_t *job)
{
	const json_t *group = json_object_get(job, "group");
	const char *s;
	size_t len;

	(void)row;
	(void)tag;
	if (!json_is_string(group))
		return 0;
	s = json_string_value(group);
	len = json_string_length(group);
	while (len > 0 && s[len - 1] == '/')
		len--;
	while (len > 0 && *s == '/') {
		s++;
		len--;
	}
	if (len != json_string_length(group))
		replace_new(d, job, "group", json_stringn(s, len));
	return 0;
}

/* <retry delay="D">N</retry> gives {retry: N, delay: D}, and <retry>N</retry> gives N. */
static int decode_retry(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			json_t *job)
{
	json_t *retry = json_object_get(job, "retry");

	(void)row;
	if (json_is_array(retry) && !is_data(d, retry))
		return fail_shape(d, job, tag, "retry", retry, "one retry count");
	if (!json_is_object(retry))
		return 0;
	return move_key(d, retry, "retry", "<text>", "retry");
}

static const char *const logging_attrs[][2] = {
	{ "limit", "loglimit" },
	{ "limitAction", "loglimitAction" },
	{ "status", "loglimitStatus" },
};

static int decode_logging(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			  json_t *job)
{
	static const char *const allowed[] = { "limit", "limitAction", "status", NULL };
	static const char *const expected = "the attributes limit, limitAction and status";
	json_t *logging;
	int rc = want_object(d, job, tag, "logging", expected, &logging);

	(void)row;
	if (rc || !logging)
		return rc;
	if (expect_only(d, logging, "logging", allowed, expected))
		return d->err->code;
	for (size_t i = 0; i < 3; i++) {
		json_t *value = json_object_get(logging, logging_attrs[i][0]);

		if (!value)
			continue;
		if (json_object_get(job, logging_attrs[i][1]))
			return fail_at(d, job, "<%s> has both <logging %s> and <%s>; keep one", tag,
				       logging_attrs[i][0], logging_attrs[i][1]);
		json_object_set(job, logging_attrs[i][1], value);
	}
	detach(d, job, "logging");
	return 0;
}

static int compare_names(const json_t *a, const json_t *b)
{
	return strcmp(json_string_value(json_object_get(a, "name")),
		      json_string_value(json_object_get(b, "name")));
}

/* Sort options by name, keeping equal names in document order. */
static void sort_by_name(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **items = xcalloc(n, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	for (size_t i = 1; i < n; i++) {
		json_t *item = items[i];
		size_t j = i;

		while (j > 0 && compare_names(items[j - 1], item) > 0) {
			items[j] = items[j - 1];
			j--;
		}
		items[j] = item;
	}
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
}

static int option_from_xml(struct xml_decoder *d, json_t *option, const json_t *options)
{
	const json_t *name;

	if (!json_is_object(option))
		return fail_at(d, options, "<option> contains %s; expected a name attribute",
			       describe(option));
	name = json_object_get(option, "name");
	if (!name)
		return fail_at(d, option, "<option> has no name attribute");
	if (!json_is_string(name))
		return fail_at(d, option, "<option> has %s as its name; expected one name as text",
			       describe(name));
	return decode_level(d, AT_OPTION, "option", option);
}

/*
 * Turn the value of an <options> element into the canonical list. Without
 * preserveOrder="true", Rundeck orders options by name, and so does this.
 */
static int options_from_xml(struct xml_decoder *d, json_t *job, json_t *raw)
{
	static const char *const allowed[] = { "option", "preserveOrder", NULL };
	const json_t *order;
	json_t *list, *option;
	size_t i;

	if (is_empty_text(raw)) {
		replace_new(d, job, "options", new_array_at(d, line_of(d, job)));
		return 0;
	}
	if (!json_is_object(raw))
		return fail_shape(d, job, "job", "options", raw, "<option> elements");
	if (expect_only(d, raw, "options", allowed, "<option> elements and a preserveOrder attribute"))
		return d->err->code;
	list = want_list(d, raw, "option");
	list = list ? json_incref(list) : new_array_at(d, line_of(d, raw));
	json_array_foreach(list, i, option) {
		if (option_from_xml(d, option, raw)) {
			json_decref(list);
			return d->err->code;
		}
	}
	order = json_object_get(raw, "preserveOrder");
	if (!json_is_string(order) || strcasecmp(json_string_value(order), "true"))
		sort_by_name(list);
	replace_new(d, job, "options", list);
	return 0;
}

/* The old layout puts <options> directly under <job>. */
static int decode_job_options(struct xml_decoder *d, const struct xml_rename *row,
			      const char *tag, json_t *job)
{
	json_t *raw = json_object_get(job, "options");

	(void)row;
	(void)tag;
	return raw ? options_from_xml(d, job, raw) : 0;
}

/* <context> contains <options> and <project>. Other children stay under "context". */
static int decode_context(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			  json_t *job)
{
	json_t *context = json_object_get(job, "context");
	json_t *project, *raw;

	(void)row;
	if (!context)
		return 0;
	if (is_empty_text(context)) {
		detach(d, job, "context");
		return 0;
	}
	if (!json_is_object(context))
		return fail_shape(d, job, tag, "context", context, "<options> and <project>");
	project = json_object_get(context, "project");
	if (project && json_object_get(job, "project"))
		return fail_at(d, job, "<%s> has both <context><project> and <project>; keep one", tag);
	if (project) {
		json_object_set(job, "project", project);
		detach(d, context, "project");
	}
	raw = json_object_get(context, "options");
	if (raw && json_object_get(job, "options"))
		return fail_at(d, job, "<%s> has <options> both in <context> and directly inside; keep one",
			       tag);
	if (raw && options_from_xml(d, job, raw))
		return d->err->code;
	detach(d, context, "options");
	if (json_object_size(context) == 0)
		detach(d, job, "context");
	return 0;
}

static int decode_sequence(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			   json_t *job)
{
	json_t *sequence;
	int rc = want_object(d, job, tag, "sequence", "<command> elements", &sequence);

	(void)row;
	if (rc || !sequence)
		return rc;
	return decode_level(d, AT_SEQUENCE, "sequence", sequence);
}

/* <dispatch> beside <nodefilters> (in a job or a jobref) is nodefilters.dispatch. */
static int decode_dispatch(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			   json_t *map)
{
	json_t *dispatch, *filters;

	(void)row;
	if (want_object(d, map, tag, "dispatch", "elements such as <threadcount>", &dispatch) ||
	    want_object(d, map, tag, "nodefilters", "elements such as <filter>", &filters))
		return d->err->code;
	if (!dispatch)
		return 0;
	if (!filters) {
		filters = new_object_at(d, line_of(d, dispatch));
		json_object_set_new(map, "nodefilters", filters);
	}
	if (json_object_get(filters, "dispatch"))
		return fail_at(d, map, "<%s> has <dispatch> both beside and inside <nodefilters>; keep one",
			       tag);
	json_object_set(filters, "dispatch", dispatch);
	detach(d, map, "dispatch");
	return 0;
}

/* Rundeck's old <nodefilters excludeprecedence=".."> is dispatch.excludePrecedence. */
static int move_exclude_precedence(struct xml_decoder *d, json_t *filters, json_t *dispatch)
{
	json_t *value = json_object_get(filters, "excludeprecedence");

	if (!value)
		return 0;
	if (!dispatch) {
		dispatch = new_object_at(d, line_of(d, filters));
		json_object_set_new(filters, "dispatch", dispatch);
	}
	if (json_object_get(dispatch, "excludePrecedence"))
		return fail_at(d, filters,
			       "<nodefilters> has both excludeprecedence and <dispatch><excludePrecedence>; keep one");
	json_object_set(dispatch, "excludePrecedence", value);
	detach(d, filters, "excludeprecedence");
	return 0;
}

static int decode_nodefilters(struct xml_decoder *d, const struct xml_rename *row,
			      const char *tag, json_t *map)
{
	json_t *filters, *dispatch;

	if (want_object(d, map, tag, "nodefilters", "elements such as <filter>", &filters) || !filters)
		return d->err->code;
	if (want_object(d, filters, "nodefilters", "dispatch", "elements such as <threadcount>",
			&dispatch))
		return d->err->code;
	return row->level == AT_JOB ? move_exclude_precedence(d, filters, dispatch) : 0;
}

static int decode_schedule(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			   json_t *job)
{
	json_t *schedule = json_object_get(job, "schedule");

	(void)row;
	if (json_is_array(schedule) && !is_data(d, schedule))
		return fail_shape(d, job, tag, "schedule", schedule, "one schedule");
	if (!json_is_object(schedule))
		return 0;
	return decode_level(d, AT_SCHEDULE, "schedule", schedule);
}

/* Triggers are the keys that start with "on": onsuccess, onfailure... */
static int decode_notification(struct xml_decoder *d, const struct xml_rename *row,
			       const char *tag, json_t *job)
{
	json_t *notification = json_object_get(job, "notification");
	const char *trigger;
	json_t *value, *item;
	size_t i;

	(void)row;
	(void)tag;
	if (!json_is_object(notification))
		return 0;
	json_object_foreach(notification, trigger, value) {
		if (strncmp(trigger, "on", 2))
			continue;
		if (json_is_object(value) && decode_level(d, AT_TRIGGER, trigger, value))
			return d->err->code;
		if (!json_is_array(value))
			continue;
		json_array_foreach(value, i, item) {
			if (json_is_object(item) && decode_level(d, AT_TRIGGER, trigger, item))
				return d->err->code;
		}
	}
	return 0;
}

/* One provider element <SERVICE type="P"><configuration>..</configuration>. */
static int add_provider(struct xml_decoder *d, json_t *providers, const char *service,
			json_t *item, const json_t *plugins)
{
	static const char *const allowed[] = { "type", "configuration", NULL };
	const json_t *type;
	json_t *config;

	if (!json_is_object(item))
		return fail_at(d, plugins, "<%s> in <plugins> contains %s; expected a type attribute",
			       service, describe(item));
	if (expect_only(d, item, service, allowed, "a type attribute and <configuration>"))
		return d->err->code;
	type = json_object_get(item, "type");
	if (!json_is_string(type))
		return fail_at(d, item, "<%s> in <plugins> has no type attribute", service);
	if (config_from_xml(d, item, service, "configuration"))
		return d->err->code;
	if (json_object_get(providers, json_string_value(type)))
		return fail_at(d, item, "<%s> in <plugins> names the provider %s twice", service,
			       json_string_value(type));
	config = json_object_get(item, "configuration");
	if (config)
		json_object_set(providers, json_string_value(type), config);
	else
		json_object_set_new(providers, json_string_value(type),
				    new_object_at(d, line_of(d, item)));
	return 0;
}

/* <plugins><SERVICE type="P">..</SERVICE></plugins> gives plugins.SERVICE.P = config. */
static int decode_service(struct xml_decoder *d, json_t *plugins, const char *service)
{
	json_t *value = json_object_get(plugins, service);
	json_t *items, *providers, *item;
	size_t i;

	if (!json_is_object(value) && !json_is_array(value) && !is_empty_text(value))
		return fail_at(d, plugins, "<%s> in <plugins> contains %s; expected a type attribute",
			       service, describe(value));
	providers = new_object_at(d, json_is_string(value) ? line_of(d, plugins) : line_of(d, value));
	items = json_is_array(value) ? json_incref(value) : json_array();
	if (json_is_object(value))
		json_array_append(items, value);
	json_array_foreach(items, i, item) {
		if (add_provider(d, providers, service, item, plugins))
			break;
	}
	json_decref(items);
	if (!d->err->code)
		replace(d, plugins, service, providers);
	json_decref(providers);
	return d->err->code;
}

static int decode_job_plugins(struct xml_decoder *d, const struct xml_rename *row,
			      const char *tag, json_t *job)
{
	json_t *plugins, *services, *service;
	size_t i;
	const char *key;
	json_t *value;

	(void)row;
	if (want_object(d, job, tag, "plugins", "service elements such as <ExecutionLifecycle>",
			&plugins) || !plugins)
		return d->err->code;
	/* decode_service replaces values, so walk a list of the keys. */
	services = json_array();
	json_object_foreach(plugins, key, value)
		json_array_append_new(services, json_string(key));
	json_array_foreach(services, i, service) {
		if (decode_service(d, plugins, json_string_value(service)))
			break;
	}
	json_decref(services);
	return d->err->code;
}

/* ---- rename pass: options ------------------------------------------------ */

static const char *values_delimiter(const json_t *option)
{
	const json_t *delimiter = json_object_get(option, "valuesListDelimiter");

	if (json_is_string(delimiter) && json_string_length(delimiter) > 0 &&
	    !memchr(json_string_value(delimiter), '\0', json_string_length(delimiter)))
		return json_string_value(delimiter);
	return ",";
}

/* Split s on delimiter: "a,b" gives [a, b], "a," gives [a, ""], "" gives []. */
static json_t *split_values(const char *s, size_t len, const char *delimiter)
{
	const char *end = s + len;
	size_t step = strlen(delimiter);
	json_t *list = json_array();

	while (s < end) {
		const char *next = strstr(s, delimiter);
		size_t n = next ? (size_t)(next - s) : (size_t)(end - s);

		json_array_append_new(list, json_stringn(s, n));
		s += n;
		if (next && (s += step) == end)
			json_array_append_new(list, json_string(""));
	}
	return list;
}

/* values="a,b" gives [a, b], split on valuesListDelimiter (default ","). */
static int decode_values(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			 json_t *option)
{
	const json_t *values = json_object_get(option, "values");
	json_t *list;

	(void)row;
	(void)tag;
	if (!json_is_string(values))
		return 0;
	list = split_values(json_string_value(values), json_string_length(values),
			    values_delimiter(option));
	pos_put(&d->pos, list, line_of(d, option), false);
	replace_new(d, option, "values", list);
	return 0;
}

static int decode_move(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
		       json_t *map)
{
	return move_key(d, map, tag, row->xml, row->canonical);
}

static int decode_option_config(struct xml_decoder *d, const struct xml_rename *row,
				const char *tag, json_t *option)
{
	(void)row;
	return config_from_xml(d, option, tag, "config");
}

/* ---- rename pass: workflow and steps ------------------------------------- */

static int decode_step(struct xml_decoder *d, const char *tag, json_t *step)
{
	return decode_level(d, AT_STEP, tag, step);
}

/* Repeated <command> elements give commands: [...]; an empty one gives {}. */
static int decode_commands(struct xml_decoder *d, const struct xml_rename *row,
			   const char *tag, json_t *sequence)
{
	json_t *list, *step;
	size_t i;

	(void)row;
	if (json_object_get(sequence, "command")) {
		if (json_object_get(sequence, "commands"))
			return fail_both(d, sequence, tag, "command", "commands");
		json_object_set(sequence, "commands", want_list(d, sequence, "command"));
		detach(d, sequence, "command");
	}
	list = json_object_get(sequence, "commands");
	if (!list)
		return 0;
	if (!json_is_array(list))
		return fail_at(d, sequence, "<commands> in <sequence> contains %s; expected <command> elements",
			       describe(list));
	json_array_foreach(list, i, step) {
		if (is_empty_text(step)) {
			step = new_object_at(d, line_of(d, sequence));
			json_array_set_new(list, i, step);
		}
		if (!json_is_object(step))
			return fail_at(d, sequence, "<command> contains %s; expected a step element such as <exec>",
				       describe(step));
		if (decode_step(d, "command", step))
			return d->err->code;
	}
	return 0;
}

/* A single <LogFilter type=T><config>..</config></LogFilter> still gives a list. */
static int decode_log_filters(struct xml_decoder *d, json_t *holder, const char *tag)
{
	json_t *list = want_list(d, holder, "LogFilter");
	json_t *filter, *config;
	size_t i;

	json_array_foreach(list, i, filter) {
		if (!json_is_object(filter))
			return fail_at(d, holder, "<LogFilter> in <%s> contains %s; expected a type attribute",
				       tag, describe(filter));
		if (!json_is_string(json_object_get(filter, "type")))
			return fail_at(d, filter, "<LogFilter> in <%s> has no type attribute", tag);
		if (want_object(d, filter, "LogFilter", "config", "elements such as <regex>", &config))
			return d->err->code;
	}
	return 0;
}

static int decode_plugin_config(struct xml_decoder *d, const struct xml_rename *row,
				const char *tag, json_t *sequence)
{
	json_t *config;

	(void)row;
	if (want_object(d, sequence, tag, "pluginConfig", "<LogFilter> or <WorkflowStrategy>",
			&config) || !config)
		return d->err->code;
	return decode_log_filters(d, config, "pluginConfig");
}

/* <scriptinterpreter argsquoted="B">X</scriptinterpreter> gives two step keys. */
static int decode_interpreter(struct xml_decoder *d, const struct xml_rename *row,
			      const char *tag, json_t *step)
{
	static const char *const allowed[] = { "<text>", "argsquoted", NULL };
	json_t *interpreter = json_object_get(step, "scriptinterpreter");
	json_t *text, *quoted;

	(void)row;
	if (json_is_string(interpreter))
		return move_key(d, step, tag, "scriptinterpreter", "scriptInterpreter");
	if (!interpreter)
		return 0;
	if (!json_is_object(interpreter))
		return fail_shape(d, step, tag, "scriptinterpreter", interpreter, "the interpreter as text");
	if (expect_only(d, interpreter, "scriptinterpreter", allowed,
			"the interpreter as text and an argsquoted attribute"))
		return d->err->code;
	text = json_object_get(interpreter, "<text>");
	quoted = json_object_get(interpreter, "argsquoted");
	if (text && json_object_get(step, "scriptInterpreter"))
		return fail_both(d, step, tag, "scriptinterpreter", "scriptInterpreter");
	if (quoted && json_object_get(step, "interpreterArgsQuoted"))
		return fail_both(d, step, tag, "scriptinterpreter argsquoted", "interpreterArgsQuoted");
	if (text)
		json_object_set(step, "scriptInterpreter", text);
	if (quoted)
		json_object_set(step, "interpreterArgsQuoted", quoted);
	detach(d, step, "scriptinterpreter");
	return 0;
}

/* <step-plugin type=T> and <node-step-plugin type=T> flatten into the step map. */
static int decode_step_plugin(struct xml_decoder *d, const struct xml_rename *row,
			      const char *tag, json_t *step)
{
	static const char *const allowed[] = { "type", "configuration", NULL };
	static const char *const flat_keys[] = { "type", "nodeStep", "configuration" };
	bool node_step = !strcmp(row->xml, "node-step-plugin");
	json_t *plugin = json_object_get(step, row->xml);
	json_t *type, *config;

	if (!plugin)
		return 0;
	if (!node_step && json_object_get(step, "node-step-plugin"))
		return fail_at(d, step, "<%s> has both <step-plugin> and <node-step-plugin>; expected one",
			       tag);
	if (!json_is_object(plugin))
		return fail_shape(d, step, tag, row->xml, plugin, "a type attribute");
	if (expect_only(d, plugin, row->xml, allowed, "a type attribute and <configuration>"))
		return d->err->code;
	type = json_object_get(plugin, "type");
	if (!json_is_string(type))
		return fail_at(d, plugin, "<%s> has no type attribute", row->xml);
	for (size_t i = 0; i < 3; i++) {
		if (json_object_get(step, flat_keys[i]))
			return fail_at(d, step, "<%s> has both <%s> and <%s>; keep one", tag, row->xml,
				       flat_keys[i]);
	}
	if (config_from_xml(d, plugin, row->xml, "configuration"))
		return d->err->code;
	json_object_set(step, "type", type);
	json_object_set_new(step, "nodeStep", json_boolean(node_step));
	config = json_object_get(plugin, "configuration");
	if (config)
		json_object_set(step, "configuration", config);
	detach(d, step, row->xml);
	return 0;
}

static int decode_jobref(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			 json_t *step)
{
	json_t *ref;

	(void)row;
	if (want_object(d, step, tag, "jobref", "name and group attributes", &ref) || !ref)
		return d->err->code;
	return decode_level(d, AT_JOBREF, "jobref", ref);
}

static int decode_step_plugins(struct xml_decoder *d, const struct xml_rename *row,
			       const char *tag, json_t *step)
{
	json_t *plugins;

	(void)row;
	if (want_object(d, step, tag, "plugins", "<LogFilter> elements", &plugins) || !plugins)
		return d->err->code;
	return decode_log_filters(d, plugins, "plugins");
}

static int decode_errorhandler(struct xml_decoder *d, const struct xml_rename *row,
			       const char *tag, json_t *step)
{
	json_t *handler;

	(void)row;
	if (want_object(d, step, tag, "errorhandler", "a step element such as <exec>", &handler) ||
	    !handler)
		return d->err->code;
	return decode_step(d, "errorhandler", handler);
}

/* <arg line="-opt v"/> in a jobref gives args: "-opt v". */
static int decode_arg(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
		      json_t *ref)
{
	static const char *const allowed[] = { "line", NULL };
	json_t *arg = json_object_get(ref, "arg");
	json_t *line;

	(void)row;
	if (!arg)
		return 0;
	if (!json_is_object(arg))
		return fail_shape(d, ref, tag, "arg", arg, "a line attribute");
	if (expect_only(d, arg, "arg", allowed, "a line attribute"))
		return d->err->code;
	line = json_object_get(arg, "line");
	if (!line)
		return fail_at(d, arg, "<arg> has no line attribute");
	if (json_object_get(ref, "args"))
		return fail_both(d, ref, tag, "arg", "args");
	json_object_set(ref, "args", line);
	detach(d, ref, "arg");
	return 0;
}

/* ---- rename pass: notifications and schedules ----------------------------- */

/* <webhook urls=".." format=".." httpMethod=".."/> spreads into the trigger. */
static int decode_webhook(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			  json_t *trigger)
{
	json_t *webhook = json_object_get(trigger, "webhook");
	const char *key;
	json_t *value;

	(void)row;
	if (!webhook)
		return 0;
	if (!json_is_object(webhook))
		return fail_shape(d, trigger, tag, "webhook", webhook, "a urls attribute");
	if (json_object_get(webhook, "webhook"))
		return fail_at(d, webhook, "unexpected <webhook> in <webhook>; expected a urls attribute");
	detach(d, trigger, "webhook");
	json_object_foreach(webhook, key, value) {
		if (json_object_get(trigger, key))
			return fail_at(d, trigger, "<%s> has both <webhook %s> and <%s>; keep one", tag, key,
				       key);
		json_object_set(trigger, key, value);
	}
	return 0;
}

static int decode_trigger_plugins(struct xml_decoder *d, const struct xml_rename *row,
				  const char *tag, json_t *trigger)
{
	json_t *list = want_list(d, trigger, "plugin");
	json_t *plugin;
	size_t i;

	(void)row;
	json_array_foreach(list, i, plugin) {
		if (!json_is_object(plugin))
			return fail_at(d, trigger, "<plugin> in <%s> contains %s; expected a type attribute",
				       tag, describe(plugin));
		if (config_from_xml(d, plugin, "plugin", "configuration"))
			return d->err->code;
	}
	return 0;
}

static int set_day_of_month(struct xml_decoder *d, json_t *schedule, json_t *day)
{
	json_t *dayofmonth;

	if (want_object(d, schedule, "schedule", "dayofmonth", "a day", &dayofmonth))
		return d->err->code;
	if (!dayofmonth) {
		dayofmonth = new_object_at(d, line_of(d, schedule));
		json_object_set_new(schedule, "dayofmonth", dayofmonth);
	}
	if (json_object_get(dayofmonth, "day"))
		return fail_at(d, schedule, "<schedule> has both <month day> and <dayofmonth><day>; keep one");
	json_object_set(dayofmonth, "day", day);
	return 0;
}

/* <month month="M" day="D"/> gives month: M and dayofmonth: {day: D}. */
static int decode_month(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
			json_t *schedule)
{
	static const char *const allowed[] = { "month", "day", NULL };
	static const char *const expected = "month and day attributes";
	json_t *month = json_object_get(schedule, "month");
	json_t *day, *name;

	(void)row;
	if (!month || json_is_string(month))
		return 0;
	if (!json_is_object(month))
		return fail_shape(d, schedule, tag, "month", month, expected);
	if (expect_only(d, month, "month", allowed, expected))
		return d->err->code;
	day = json_object_get(month, "day");
	if (day && set_day_of_month(d, schedule, day))
		return d->err->code;
	name = json_object_get(month, "month");
	if (!name) {
		detach(d, schedule, "month");
		return 0;
	}
	if (!json_is_string(name))
		return fail_at(d, month, "<month> has %s as its month; expected text", describe(name));
	replace(d, schedule, "month", name);
	return 0;
}

/* <year year="Y"/> gives year: Y. */
static int decode_year(struct xml_decoder *d, const struct xml_rename *row, const char *tag,
		       json_t *schedule)
{
	static const char *const allowed[] = { "year", NULL };
	json_t *year = json_object_get(schedule, "year");
	json_t *name;

	(void)row;
	if (!year || json_is_string(year))
		return 0;
	if (!json_is_object(year))
		return fail_shape(d, schedule, tag, "year", year, "a year attribute");
	if (expect_only(d, year, "year", allowed, "a year attribute"))
		return d->err->code;
	name = json_object_get(year, "year");
	if (!json_is_string(name))
		return fail_at(d, year, "<year> has %s as its year; expected text",
			       name ? describe(name) : "nothing");
	replace(d, schedule, "year", name);
	return 0;
}

/* ---- encoder: state, messages and XML text --------------------------------- */

struct xml_encoder {
	struct strbuf out;
	struct jf_error *err;
	int depth;           /* element nesting, for indentation */
	size_t job_number;   /* 1-based, for messages */
	struct strbuf path;  /* where in the job: "sequence.commands[2].args" */
};

static int enc_fail(struct xml_encoder *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record an encode failure about the value at e->path. */
static int enc_fail(struct xml_encoder *e, const char *fmt, ...)
{
	char detail[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!e->path.len)
		return jf_fail(e->err, JF_INVALID, "job %zu %s", e->job_number, detail);
	return jf_fail(e->err, JF_INVALID, "job %zu: %s %s", e->job_number, sb_str(&e->path), detail);
}

static size_t path_push(struct xml_encoder *e, const char *key)
{
	size_t mark = e->path.len;

	if (e->path.len)
		sb_addc(&e->path, '.');
	sb_adds(&e->path, key);
	return mark;
}

static size_t path_push_index(struct xml_encoder *e, size_t index)
{
	size_t mark = e->path.len;

	sb_addf(&e->path, "[%zu]", index);
	return mark;
}

static void path_pop(struct xml_encoder *e, size_t mark)
{
	if (e->path.buf) {
		e->path.len = mark;
		e->path.buf[mark] = '\0';
	}
}

static bool is_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* Shortest %g text that reads back as the same double. */
static void format_real(double value, char buf[40])
{
	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, 40, "%.*g", precision, value);
		if (strtod(buf, NULL) == value)
			return;
	}
}

/* The text of a scalar: booleans as true/false, numbers in decimal. */
struct scalar_text {
	const char *s;
	size_t len;
	char buf[40];
};

static void scalar_text(const json_t *v, struct scalar_text *t)
{
	t->s = t->buf;
	switch (json_typeof(v)) {
	case JSON_STRING:
		t->s = json_string_value(v);
		t->len = json_string_length(v);
		return;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(t->buf, sizeof(t->buf), "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_INTEGER:
		snprintf(t->buf, sizeof(t->buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		format_real(json_real_value(v), t->buf);
		break;
	default:
		t->buf[0] = '\0';
		break;
	}
	t->len = strlen(t->buf);
}

static bool is_blank_scalar(const json_t *v)
{
	struct scalar_text t;

	scalar_text(v, &t);
	return str_is_blank(t.s, t.len);
}

/* XML 1.0 cannot carry NUL, the C0 controls other than tab, LF and CR, or U+FFFE/U+FFFF. */
static int check_chars(struct xml_encoder *e, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return enc_fail(e, "contains the control character U+%04X, which XML 1.0 cannot carry",
					c);
		if (c == 0xEF && i + 2 < len && (unsigned char)s[i + 1] == 0xBF &&
		    ((unsigned char)s[i + 2] & 0xFE) == 0xBE)
			return enc_fail(e, "contains U+FFFE or U+FFFF, which XML 1.0 cannot carry");
	}
	return 0;
}

/* Append s escaped for element text, or for an attribute value in double quotes. */
static int put_escaped(struct xml_encoder *e, const char *s, size_t len, bool in_attr)
{
	if (check_chars(e, s, len))
		return e->err->code;
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			sb_adds(&e->out, "&amp;");
			break;
		case '<':
			sb_adds(&e->out, "&lt;");
			break;
		case '>':
			sb_adds(&e->out, "&gt;");
			break;
		case '"':
			sb_adds(&e->out, in_attr ? "&quot;" : "\"");
			break;
		case '\r': /* A parser turns a raw CR into LF. */
			sb_adds(&e->out, "&#13;");
			break;
		case '\n': /* It turns a raw LF or tab in an attribute into a space. */
			sb_adds(&e->out, in_attr ? "&#10;" : "\n");
			break;
		case '\t':
			sb_adds(&e->out, in_attr ? "&#9;" : "\t");
			break;
		default:
			sb_addc(&e->out, s[i]);
			break;
		}
	}
	return 0;
}

/* Write multi-line text as CDATA, as Rundeck writes scripts. "]]>" is split across two sections. */
static int put_cdata(struct xml_encoder *e, const char *s, size_t len)
{
	if (check_chars(e, s, len))
		return e->err->code;
	sb_adds(&e->out, "<![CDATA[");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ']' && i + 2 < len && s[i + 1] == ']' && s[i + 2] == '>') {
			sb_adds(&e->out, "]]]]><![CDATA[>");
			i += 2;
		} else {
			sb_addc(&e->out, s[i]);
		}
	}
	sb_adds(&e->out, "]]>");
	return 0;
}

static int put_text(struct xml_encoder *e, const char *s, size_t len)
{
	if (memchr(s, '\n', len) && !memchr(s, '\r', len))
		return put_cdata(e, s, len);
	return put_escaped(e, s, len, false);
}

/* ---- encoder: elements ----------------------------------------------------- */

/* Whether s is a plain XML name in ASCII. XML reserves names that start with "xml". */
static bool is_xml_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *p = s + 1; *p; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return false;
	}
	return strncasecmp(s, "xml", 3) != 0;
}

/* The tag a key is written with: the key, or "element" with the key in a name attribute. */
static const char *tag_of(const char *key)
{
	return is_xml_name(key) && strcmp(key, "element") ? key : "element";
}

static void put_indent(struct xml_encoder *e)
{
	for (int i = 0; i < e->depth; i++)
		sb_adds(&e->out, "  ");
}

static int put_attr_text(struct xml_encoder *e, const char *name, const char *s, size_t len)
{
	sb_addf(&e->out, " %s=\"", name);
	if (put_escaped(e, s, len, true))
		return e->err->code;
	sb_addc(&e->out, '"');
	return 0;
}

static int put_attr(struct xml_encoder *e, const char *name, const json_t *value)
{
	struct scalar_text t;

	scalar_text(value, &t);
	return put_attr_text(e, name, t.s, t.len);
}

static int begin_raw(struct xml_encoder *e, const char *tag)
{
	if (e->depth >= MAX_WRITE_DEPTH)
		return enc_fail(e, "is nested deeper than %d elements, more than XML parsers accept",
				MAX_WRITE_DEPTH);
	put_indent(e);
	sb_addf(&e->out, "<%s", tag);
	return 0;
}

/* Write the start of the element for key, up to its attributes. */
static int begin_tag(struct xml_encoder *e, const char *key)
{
	const char *tag = tag_of(key);

	if (begin_raw(e, tag))
		return e->err->code;
	if (tag != key)
		return put_attr_text(e, "name", key, strlen(key));
	return 0;
}

static void end_empty(struct xml_encoder *e)
{
	sb_adds(&e->out, "/>\n");
}

static void end_start(struct xml_encoder *e)
{
	sb_adds(&e->out, ">\n");
	e->depth++;
}

static void end_tag(struct xml_encoder *e, const char *key)
{
	e->depth--;
	put_indent(e);
	sb_addf(&e->out, "</%s>\n", tag_of(key));
}

/* Close a start tag with the text of value as content; empty text self-closes. */
static int end_with_text(struct xml_encoder *e, const char *key, const json_t *value)
{
	struct scalar_text t;

	scalar_text(value, &t);
	if (!t.len) {
		end_empty(e);
		return 0;
	}
	sb_addc(&e->out, '>');
	if (put_text(e, t.s, t.len))
		return e->err->code;
	sb_addf(&e->out, "</%s>\n", tag_of(key));
	return 0;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj in byte order, so that output does not depend on insertion order. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = xcalloc(json_object_size(obj), sizeof(*keys));
	const char *key;
	json_t *value;

	*n = 0;
	json_object_foreach((json_t *)obj, key, value)
		keys[(*n)++] = key;
	qsort(keys, *n, sizeof(*keys), compare_keys);
	return keys;
}

/* ---- encoder: generic values ------------------------------------------------ */

static int put_data(struct xml_encoder *e, const char *key, const json_t *v);

static int put_data_members(struct xml_encoder *e, const json_t *v)
{
	size_t n, i;
	const char **keys;
	json_t *item;

	if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			if (put_data(e, NULL, item))
				return e->err->code;
		}
		return 0;
	}
	keys = sorted_keys(v, &n);
	for (i = 0; i < n; i++) {
		if (put_data(e, keys[i], json_object_get(v, keys[i])))
			break;
	}
	free(keys);
	return e->err->code;
}

/* Write one node of the data form. key is NULL inside a list. */
static int put_data(struct xml_encoder *e, const char *key, const json_t *v)
{
	const char *tag = json_is_object(v) ? "map" : json_is_array(v) ? "list" : json_is_null(v) ? "null" : "value";
	bool container = json_is_object(v) || json_is_array(v);

	if (begin_raw(e, tag) || (key && put_attr_text(e, "key", key, strlen(key))))
		return e->err->code;
	if (json_is_null(v) || (container && !(json_is_object(v) ? json_object_size(v) : json_array_size(v)))) {
		end_empty(e);
		return 0;
	}
	if (!container)
		return end_with_text(e, tag, v);
	end_start(e);
	if (put_data_members(e, v))
		return e->err->code;
	end_tag(e, tag);
	return 0;
}

/* Write <key data="true">..</key>, which the generic pass reads as v exactly. */
static int put_data_element(struct xml_encoder *e, const char *key, const json_t *v)
{
	if (begin_tag(e, key) || put_attr_text(e, "data", "true", 4))
		return e->err->code;
	end_start(e);
	if (put_data(e, NULL, v))
		return e->err->code;
	end_tag(e, key);
	return 0;
}

static int put_value(struct xml_encoder *e, const char *key, const json_t *v);

/* Write each member of obj as child elements, in key order. */
static int put_members(struct xml_encoder *e, const json_t *obj)
{
	size_t n;
	const char **keys = sorted_keys(obj, &n);

	for (size_t i = 0; i < n; i++) {
		if (put_value(e, keys[i], json_object_get(obj, keys[i])))
			break;
	}
	free(keys);
	return e->err->code;
}

/* Whether every member but skip is a scalar that can be an attribute. */
static bool fits_attributes(const json_t *obj, const char *skip)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value) {
		if (skip && !strcmp(key, skip))
			continue;
		if (!is_scalar(value) || !is_xml_name(key))
			return false;
	}
	return true;
}

/* Write obj as <key a="1" b="2">text</key>, text taken from obj[text_key] when set. */
static int put_attribute_form(struct xml_encoder *e, const char *key, const json_t *obj,
			      const char *text_key)
{
	size_t n;
	const char **keys = sorted_keys(obj, &n);
	int rc = begin_tag(e, key);

	for (size_t i = 0; i < n && !rc; i++) {
		if (!text_key || strcmp(keys[i], text_key))
			rc = put_attr(e, keys[i], json_object_get(obj, keys[i]));
	}
	free(keys);
	if (rc)
		return rc;
	if (!text_key) {
		end_empty(e);
		return 0;
	}
	return end_with_text(e, key, json_object_get(obj, text_key));
}

/*
 * Whether the generic pass reads <key attrs>text</key> back as obj: the
 * text under "<text>" must not be blank, and some attribute must exist.
 */
static bool fits_text_form(const char *key, const json_t *obj)
{
	const json_t *text = json_object_get(obj, "<text>");

	return text && is_scalar(text) && !is_blank_scalar(text) && json_object_size(obj) > 1 &&
	       tag_of(key) == key && fits_attributes(obj, "<text>");
}

/* Write a map as one element: attributes and text, or child elements. */
static int put_map(struct xml_encoder *e, const char *key, const json_t *obj)
{
	if (json_object_size(obj) == 0)
		return put_data_element(e, key, obj);
	if (fits_text_form(key, obj))
		return put_attribute_form(e, key, obj, "<text>");
	if (begin_tag(e, key))
		return e->err->code;
	end_start(e);
	if (put_members(e, obj))
		return e->err->code;
	end_tag(e, key);
	return 0;
}

/* Write v as exactly one element for key. */
static int put_item(struct xml_encoder *e, const char *key, const json_t *v)
{
	if (json_is_object(v))
		return put_map(e, key, v);
	if (!is_scalar(v))
		return put_data_element(e, key, v);
	if (begin_tag(e, key))
		return e->err->code;
	return end_with_text(e, key, v);
}

/* Write the value of key: a list of two or more as repeated elements. */
static int put_value(struct xml_encoder *e, const char *key, const json_t *v)
{
	size_t mark = path_push(e, key);
	size_t i;
	json_t *item;

	if (json_is_array(v) && json_array_size(v) >= 2) {
		json_array_foreach(v, i, item) {
			if (put_item(e, key, item))
				break;
		}
	} else {
		put_item(e, key, v);
	}
	path_pop(e, mark);
	return e->err->code;
}

/* Write a map of scalars as attributes only, as Rundeck writes <email> and <time>. */
static int put_attribute_map(struct xml_encoder *e, const char *key, const json_t *v)
{
	if (json_is_object(v) && json_object_size(v) > 0 && tag_of(key) == key &&
	    fits_attributes(v, NULL))
		return put_attribute_form(e, key, v, NULL);
	return put_item(e, key, v);
}

/* Write a map where an empty element reads back as {}: <key/> or child elements. */
static int put_open_map(struct xml_encoder *e, const char *key, const json_t *obj)
{
	if (begin_tag(e, key))
		return e->err->code;
	if (json_object_size(obj) == 0) {
		end_empty(e);
		return 0;
	}
	end_start(e);
	if (put_members(e, obj))
		return e->err->code;
	end_tag(e, key);
	return 0;
}

/* ---- encoder: levels -------------------------------------------------------- */

/* Layout of the maps of one level. A rename row is written at its XML name. */
struct level_layout {
	const char *const *attrs;    /* keys written as attributes when scalar */
	const char *const *elements; /* keys written first, in this order */
	bool empty_as_data;          /* {} is written in the data form, because "" stays "" at this level */
};

static const char *const no_names[] = { NULL };

static const char *const job_elements[] = {
	"uuid", "id", "name", "group", "description", "loglevel", "executionEnabled",
	"scheduleEnabled", "nodeFilterEditable", "nodesSelectedByDefault", "multipleExecutions",
	"maxMultipleExecutions", "timeout", "retry", "logging", "context", "sequence", "dispatch",
	"nodefilters", "schedule", "notification", "plugins", NULL,
};
static const char *const option_attrs[] = {
	"name", "value", "values", "valuesListDelimiter", "valuesUrl", "enforcedvalues", "regex",
	"required", "multivalued", "delimiter", "multivalueAllSelected", "secure", "valueExposed",
	"storagePath", "sortValues", "type", NULL,
};
static const char *const option_elements[] = {
	"description", "label", "hidden", "isDate", "dateFormat", "config", NULL,
};
static const char *const sequence_attrs[] = { "keepgoing", "strategy", NULL };
static const char *const sequence_elements[] = { "command", "pluginConfig", NULL };
static const char *const step_attrs[] = { "keepgoingOnSuccess", NULL };
static const char *const step_elements[] = {
	"description", "exec", "script", "scriptfile", "scripturl", "scriptargs",
	"scriptinterpreter", "fileExtension", "expandTokenInScriptFile", "jobref", "step-plugin",
	"plugins", "errorhandler", NULL,
};
static const char *const jobref_attrs[] = { "name", "group", "project", "nodeStep", NULL };
static const char *const jobref_elements[] = {
	"arg", "uuid", "useName", "importOptions", "failOnDisable", "childNodes",
	"ignoreNotifications", "dispatch", "nodefilters", NULL,
};
static const char *const trigger_elements[] = { "webhook", "email", "plugin", NULL };
static const char *const schedule_attrs[] = { "crontab", NULL };
static const char *const schedule_elements[] = { "time", "weekday", "month", "year", NULL };

static const struct level_layout layouts[] = {
	[AT_JOB] = { no_names, job_elements, true },
	[AT_OPTION] = { option_attrs, option_elements, false },
	[AT_SEQUENCE] = { sequence_attrs, sequence_elements, false },
	[AT_STEP] = { step_attrs, step_elements, false },
	[AT_JOBREF] = { jobref_attrs, jobref_elements, false },
	[AT_TRIGGER] = { no_names, trigger_elements, true },
	[AT_SCHEDULE] = { schedule_attrs, schedule_elements, true },
};

/* Keys written as attribute-only elements wherever they appear in a layout. */
static const char *const attribute_maps[] = { "email", "time", "weekday", NULL };

static bool in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++) {
		if (!strcmp(list[i], name))
			return true;
	}
	return false;
}

static const struct xml_rename *find_rename(enum xml_level level, const char *xml);

static int encode_level(struct xml_encoder *e, enum xml_level level, const char *key,
			const json_t *map);

/* Write rest[name] by the generic rules and take it out of rest. */
static int put_plain(struct xml_encoder *e, const char *name, json_t *rest)
{
	const json_t *value = json_object_get(rest, name);

	if (!value)
		return 0;
	if (in_list(attribute_maps, name))
		put_attribute_map(e, name, value);
	else
		put_value(e, name, value);
	json_object_del(rest, name);
	return e->err->code;
}

/* Write a member in the layout's order, through its rename row when it has one. */
static int put_known(struct xml_encoder *e, enum xml_level level, const char *name, json_t *rest)
{
	const struct xml_rename *row = find_rename(level, name);

	if (row && row->encode)
		return row->encode(e, row, rest);
	return put_plain(e, name, rest);
}

/* Write rest[name] as one element, so that a list takes the data form. It
 * serves the keys that the decoder expects only once. */
static int put_single(struct xml_encoder *e, const char *name, json_t *rest)
{
	const json_t *value = json_object_get(rest, name);
	size_t mark;

	if (!value)
		return 0;
	mark = path_push(e, name);
	put_item(e, name, value);
	path_pop(e, mark);
	json_object_del(rest, name);
	return e->err->code;
}

static int put_start_attributes(struct xml_encoder *e, enum xml_level level, json_t *rest)
{
	for (const char *const *name = layouts[level].attrs; *name; name++) {
		const struct xml_rename *row = find_rename(level, *name);
		const json_t *value = json_object_get(rest, *name);

		if (row && (row->flags & IN_START_TAG)) {
			if (row->encode(e, row, rest))
				return e->err->code;
		} else if (value && is_scalar(value)) {
			if (put_attr(e, *name, value))
				return e->err->code;
			json_object_del(rest, *name);
		}
	}
	return 0;
}

/* Write the keys left after the layout, in key order. XML-only names fail. */
static int put_rest(struct xml_encoder *e, enum xml_level level, const json_t *rest)
{
	size_t n;
	const char **keys = sorted_keys(rest, &n);

	for (size_t i = 0; i < n; i++) {
		const struct xml_rename *row = find_rename(level, keys[i]);

		if (row && (row->flags & XML_ONLY)) {
			size_t mark = path_push(e, keys[i]);

			enc_fail(e, "cannot be written as XML, because <%s> is the XML name of %s; rename the key",
				 keys[i], row->canonical);
			path_pop(e, mark);
			break;
		}
		if (put_value(e, keys[i], json_object_get(rest, keys[i])))
			break;
	}
	free(keys);
	return e->err->code;
}

static int put_level_body(struct xml_encoder *e, enum xml_level level, const char *key,
			  json_t *rest)
{
	if (put_start_attributes(e, level, rest))
		return e->err->code;
	if (json_object_size(rest) == 0) {
		end_empty(e);
		return 0;
	}
	end_start(e);
	for (const char *const *name = layouts[level].elements; *name; name++) {
		if (put_known(e, level, *name, rest))
			return e->err->code;
	}
	if (put_rest(e, level, rest))
		return e->err->code;
	end_tag(e, key);
	return 0;
}

/* Write the map of one level (a job, an option, a step...) as the element key. */
static int encode_level(struct xml_encoder *e, enum xml_level level, const char *key,
			const json_t *map)
{
	json_t *rest;
	int rc;

	if (json_object_size(map) == 0 && layouts[level].empty_as_data)
		return put_data_element(e, key, map);
	if (begin_tag(e, key))
		return e->err->code;
	rest = json_copy((json_t *)map);
	rc = put_level_body(e, level, key, rest);
	json_decref(rest);
	return rc;
}

/* ---- encoder: renames --------------------------------------------------- */

static int fail_type(struct xml_encoder *e, const char *key, const json_t *v, const char *expected)
{
	size_t mark = path_push(e, key);

	enc_fail(e, "must be %s, found %s", expected, describe(v));
	path_pop(e, mark);
	return e->err->code;
}

/* Write rest[key] as the level's element key and take it out of rest. */
static int put_level_key(struct xml_encoder *e, json_t *rest, const char *key,
			 enum xml_level level, const char *expected)
{
	const json_t *value = json_object_get(rest, key);
	size_t mark;

	if (!value)
		return 0;
	if (!json_is_object(value))
		return fail_type(e, key, value, expected);
	mark = path_push(e, key);
	encode_level(e, level, key, value);
	path_pop(e, mark);
	json_object_del(rest, key);
	return e->err->code;
}

static int encode_move(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *value = json_object_get(rest, row->canonical);

	if (!value)
		return 0;
	put_value(e, row->xml, value);
	json_object_del(rest, row->canonical);
	return e->err->code;
}

/* A scalar becomes the attribute. Anything else stays in rest for the generic rules. */
static int encode_move_attr(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *value = json_object_get(rest, row->canonical);

	if (!value || !is_scalar(value))
		return 0;
	put_attr(e, row->xml, value);
	json_object_del(rest, row->canonical);
	return e->err->code;
}

/* A retry map needs a non-blank count and another scalar to take <retry delay=D>N</retry>. */
static int encode_retry(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *retry = json_object_get(rest, "retry");
	const json_t *count = json_object_get(retry, "retry");

	(void)row;
	if (!retry)
		return 0;
	if (json_is_object(retry) && json_object_get(retry, "<text>"))
		return fail_type(e, "retry", retry, "a count, or a map of retry and delay");
	if (json_is_object(retry) && count && is_scalar(count) && !is_blank_scalar(count) &&
	    json_object_size(retry) > 1 && fits_attributes(retry, NULL)) {
		put_attribute_form(e, "retry", retry, "retry");
		json_object_del(rest, "retry");
		return e->err->code;
	}
	return put_single(e, "retry", rest);
}

static int encode_logging(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	bool any = false;

	(void)row;
	for (size_t i = 0; i < 3; i++)
		any = any || is_scalar(json_object_get(rest, logging_attrs[i][1]));
	if (!any)
		return 0;
	if (begin_tag(e, "logging"))
		return e->err->code;
	for (size_t i = 0; i < 3; i++) {
		const json_t *value = json_object_get(rest, logging_attrs[i][1]);

		if (!is_scalar(value))
			continue;
		if (put_attr(e, logging_attrs[i][0], value))
			return e->err->code;
		json_object_del(rest, logging_attrs[i][1]);
	}
	end_empty(e);
	return 0;
}

static int check_options(struct xml_encoder *e, const json_t *options)
{
	size_t i;
	json_t *option;

	if (!json_is_array(options))
		return fail_type(e, "options", options, "a list of option maps");
	json_array_foreach(options, i, option) {
		if (!json_is_object(option) || !json_is_string(json_object_get(option, "name"))) {
			size_t mark = path_push(e, "options");

			path_push_index(e, i);
			enc_fail(e, "must be a map with a name as text");
			path_pop(e, mark);
			return e->err->code;
		}
	}
	return 0;
}

/* Options are written in list order, so preserveOrder="true" keeps that order. */
static int put_options(struct xml_encoder *e, const json_t *options)
{
	size_t mark = path_push(e, "options");
	size_t i;
	json_t *option;

	if (begin_raw(e, "options") || put_attr_text(e, "preserveOrder", "true", 4))
		goto out;
	if (json_array_size(options) == 0) {
		end_empty(e);
		goto out;
	}
	end_start(e);
	json_array_foreach(options, i, option) {
		size_t index_mark = path_push_index(e, i);

		encode_level(e, AT_OPTION, "option", option);
		path_pop(e, index_mark);
		if (e->err->code)
			goto out;
	}
	end_tag(e, "options");
out:
	path_pop(e, mark);
	return e->err->code;
}

/* <context> contains project, options, and any other key the model keeps under "context". */
static int encode_context(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *project = json_object_get(rest, "project");
	const json_t *options = json_object_get(rest, "options");
	const json_t *extra = json_object_get(rest, "context");

	(void)row;
	if (!project && !options && !extra)
		return 0;
	if (extra && (!json_is_object(extra) || json_object_get(extra, "options") ||
		      json_object_get(extra, "project")))
		return fail_type(e, "context", extra, "a map without options or project");
	if (options && check_options(e, options))
		return e->err->code;
	if (!project && !options && json_object_size(extra) == 0) {
		/* NOTE: an empty context map is dropped: <context/> reads as no key. */
		json_object_del(rest, "context");
		return 0;
	}
	if (begin_raw(e, "context"))
		return e->err->code;
	end_start(e);
	if ((project && put_value(e, "project", project)) || (options && put_options(e, options)) ||
	    (extra && put_members(e, extra)))
		return e->err->code;
	end_tag(e, "context");
	json_object_del(rest, "project");
	json_object_del(rest, "options");
	json_object_del(rest, "context");
	return 0;
}

static int encode_sequence(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	(void)row;
	return put_level_key(e, rest, "sequence", AT_SEQUENCE, "a map with commands");
}

static const json_t *dispatch_of(const json_t *rest)
{
	return json_object_get(json_object_get(rest, "nodefilters"), "dispatch");
}

/* Rundeck writes nodefilters.dispatch as <dispatch> beside <nodefilters>. */
static int encode_dispatch(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *dispatch = dispatch_of(rest);
	size_t mark;

	(void)row;
	if (!dispatch || !json_is_object(json_object_get(rest, "nodefilters")))
		return 0;
	mark = path_push(e, "nodefilters");
	if (json_is_object(dispatch))
		put_open_map(e, "dispatch", dispatch);
	else
		fail_type(e, "dispatch", dispatch, "a map");
	path_pop(e, mark);
	return e->err->code;
}

static int encode_nodefilters(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *filters = json_object_get(rest, "nodefilters");
	json_t *others;

	if (!filters)
		return 0;
	if (!json_is_object(filters))
		return fail_type(e, "nodefilters", filters, "a map");
	others = json_copy((json_t *)filters);
	json_object_del(others, "dispatch");
	if (row->level == AT_JOB && json_object_get(others, "excludeprecedence")) {
		size_t mark = path_push(e, "nodefilters.excludeprecedence");

		enc_fail(e, "cannot be written as XML, because <nodefilters excludeprecedence> is the XML name of nodefilters.dispatch.excludePrecedence; rename the key");
		path_pop(e, mark);
	} else if (json_object_size(others) > 0 || !dispatch_of(rest)) {
		put_open_map(e, "nodefilters", others);
	}
	json_decref(others);
	json_object_del(rest, "nodefilters");
	return e->err->code;
}

static int encode_schedule(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *schedule = json_object_get(rest, "schedule");

	(void)row;
	if (json_is_object(schedule))
		return put_level_key(e, rest, "schedule", AT_SCHEDULE, "a map");
	return put_single(e, "schedule", rest);
}

/* A list of one or none takes the data form, and two or more repeat the element. */
static int put_trigger(struct xml_encoder *e, const char *key, const json_t *trigger)
{
	size_t i;
	json_t *item;

	if (json_is_object(trigger))
		return encode_level(e, AT_TRIGGER, key, trigger);
	if (!json_is_array(trigger) || json_array_size(trigger) < 2)
		return put_item(e, key, trigger);
	json_array_foreach(trigger, i, item) {
		if (json_is_object(item) ? encode_level(e, AT_TRIGGER, key, item) : put_item(e, key, item))
			break;
	}
	return e->err->code;
}

static int put_notification(struct xml_encoder *e, const json_t *notification)
{
	size_t n;
	const char **keys = sorted_keys(notification, &n);

	for (size_t i = 0; i < n && !e->err->code; i++) {
		const json_t *value = json_object_get(notification, keys[i]);
		size_t mark;

		if (strncmp(keys[i], "on", 2)) {
			put_value(e, keys[i], value);
			continue;
		}
		mark = path_push(e, keys[i]);
		put_trigger(e, keys[i], value);
		path_pop(e, mark);
	}
	free(keys);
	return e->err->code;
}

static int encode_notification(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *notification = json_object_get(rest, "notification");
	size_t mark;

	(void)row;
	if (!json_is_object(notification) || json_object_size(notification) == 0)
		return put_plain(e, "notification", rest);
	mark = path_push(e, "notification");
	if (begin_raw(e, "notification") == 0) {
		end_start(e);
		if (put_notification(e, notification) == 0)
			end_tag(e, "notification");
	}
	path_pop(e, mark);
	json_object_del(rest, "notification");
	return e->err->code;
}

/* One provider: <SERVICE type="P">, with its configuration as a data map. */
static int put_provider(struct xml_encoder *e, const char *service, const char *type,
			const json_t *config)
{
	size_t mark = path_push(e, type);

	if (!json_is_object(config)) {
		enc_fail(e, "must be a map of settings, found %s", describe(config));
	} else if (begin_tag(e, service) == 0 && put_attr_text(e, "type", type, strlen(type)) == 0) {
		if (json_object_size(config) == 0) {
			end_empty(e);
		} else {
			end_start(e);
			if (put_data_element(e, "configuration", config) == 0)
				end_tag(e, service);
		}
	}
	path_pop(e, mark);
	return e->err->code;
}

static int put_service(struct xml_encoder *e, const char *service, const json_t *providers)
{
	size_t mark = path_push(e, service);
	size_t n;
	const char **types;

	if (!json_is_object(providers)) {
		enc_fail(e, "must be a map of providers, found %s", describe(providers));
		path_pop(e, mark);
		return e->err->code;
	}
	if (json_object_size(providers) == 0 && begin_tag(e, service) == 0)
		end_empty(e);
	types = sorted_keys(providers, &n);
	for (size_t i = 0; i < n && !e->err->code; i++)
		put_provider(e, service, types[i], json_object_get(providers, types[i]));
	free(types);
	path_pop(e, mark);
	return e->err->code;
}

static int encode_job_plugins(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *plugins = json_object_get(rest, "plugins");
	size_t n, mark;
	const char **services;

	(void)row;
	if (!plugins)
		return 0;
	if (!json_is_object(plugins))
		return fail_type(e, "plugins", plugins, "a map of plugin services");
	if (begin_raw(e, "plugins"))
		return e->err->code;
	if (json_object_size(plugins) == 0) {
		end_empty(e);
		json_object_del(rest, "plugins");
		return 0;
	}
	end_start(e);
	mark = path_push(e, "plugins");
	services = sorted_keys(plugins, &n);
	for (size_t i = 0; i < n && !e->err->code; i++)
		put_service(e, services[i], json_object_get(plugins, services[i]));
	free(services);
	path_pop(e, mark);
	if (e->err->code)
		return e->err->code;
	end_tag(e, "plugins");
	json_object_del(rest, "plugins");
	return 0;
}

/* ---- encoder: options, steps and plugin settings ----------------------------- */

/*
 * Join a list of values into text for the values attribute. Returns false
 * when splitting the text would not give the list back: an item that is
 * not a scalar, or one that contains or overlaps the delimiter.
 */
static bool join_values(const json_t *values, const char *delimiter, struct strbuf *joined)
{
	size_t i;
	json_t *item, *again;
	bool same;

	if (!json_is_array(values))
		return false;
	json_array_foreach(values, i, item) {
		struct scalar_text t;

		if (!is_scalar(item))
			return false;
		scalar_text(item, &t);
		if (i)
			sb_adds(joined, delimiter);
		sb_add(joined, t.s, t.len);
	}
	if (memchr(sb_str(joined), '\0', joined->len))
		return false;
	again = split_values(sb_str(joined), joined->len, delimiter);
	same = json_array_size(again) == json_array_size(values);
	for (i = 0; same && i < json_array_size(again); i++) {
		struct scalar_text t;

		item = json_array_get(again, i);
		scalar_text(json_array_get(values, i), &t);
		same = t.len == json_string_length(item) && !memcmp(t.s, json_string_value(item), t.len);
	}
	json_decref(again);
	return same;
}

static int encode_values(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *values = json_object_get(rest, "values");
	struct strbuf joined = STRBUF_INIT;

	(void)row;
	if (join_values(values, values_delimiter(rest), &joined)) {
		put_attr_text(e, "values", sb_str(&joined), joined.len);
		json_object_del(rest, "values");
	}
	sb_release(&joined);
	return e->err->code;
}

static bool is_flat(const json_t *map)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)map, key, value) {
		if (!is_scalar(value) && !json_is_null(value))
			return false;
	}
	return true;
}

/* A flat map of settings becomes <entry key value/> elements, a nested one the data form. */
static int put_config(struct xml_encoder *e, const char *key, const json_t *config)
{
	size_t n;
	const char **keys;

	if (!json_is_object(config))
		return fail_type(e, key, config, "a map of settings");
	if (!is_flat(config))
		return put_data_element(e, key, config);
	if (json_object_size(config) == 0)
		return put_open_map(e, key, config);
	if (begin_tag(e, key))
		return e->err->code;
	end_start(e);
	keys = sorted_keys(config, &n);
	for (size_t i = 0; i < n && !e->err->code; i++) {
		const json_t *value = json_object_get(config, keys[i]);

		if (begin_raw(e, "entry") || put_attr_text(e, "key", keys[i], strlen(keys[i])) ||
		    (!json_is_null(value) && put_attr(e, "value", value)))
			break;
		end_empty(e);
	}
	free(keys);
	if (!e->err->code)
		end_tag(e, key);
	return e->err->code;
}

static int encode_option_config(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *config = json_object_get(rest, "config");

	(void)row;
	if (!config)
		return 0;
	put_config(e, "config", config);
	json_object_del(rest, "config");
	return e->err->code;
}

static int encode_commands(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *commands = json_object_get(rest, "commands");
	size_t i, mark;
	json_t *step;

	(void)row;
	if (!commands)
		return 0;
	if (!json_is_array(commands))
		return fail_type(e, "commands", commands, "a list of steps");
	mark = path_push(e, "commands");
	if (json_array_size(commands) == 0)
		put_data_element(e, "commands", commands);
	json_array_foreach(commands, i, step) {
		size_t index_mark = path_push_index(e, i);

		if (!json_is_object(step))
			enc_fail(e, "must be a step map, found %s", describe(step));
		else
			encode_level(e, AT_STEP, "command", step);
		path_pop(e, index_mark);
		if (e->err->code)
			break;
	}
	path_pop(e, mark);
	json_object_del(rest, "commands");
	return e->err->code;
}

static int put_log_filter(struct xml_encoder *e, const json_t *filter)
{
	json_t *rest = json_copy((json_t *)filter);
	const json_t *config = json_object_get(rest, "config");

	if (begin_tag(e, "LogFilter") || put_attr(e, "type", json_object_get(rest, "type")))
		goto out;
	json_object_del(rest, "type");
	if (json_object_size(rest) == 0) {
		end_empty(e);
		goto out;
	}
	end_start(e);
	if (config && !json_is_object(config)) {
		fail_type(e, "config", config, "a map");
		goto out;
	}
	if (config && put_open_map(e, "config", config))
		goto out;
	json_object_del(rest, "config");
	if (put_members(e, rest) == 0)
		end_tag(e, "LogFilter");
out:
	json_decref(rest);
	return e->err->code;
}

/* LogFilter is a list of {type, config} maps. An empty list takes the data form. */
static int put_log_filters(struct xml_encoder *e, json_t *holder)
{
	const json_t *filters = json_object_get(holder, "LogFilter");
	size_t i, mark;
	json_t *filter;

	if (!filters)
		return 0;
	if (!json_is_array(filters))
		return fail_type(e, "LogFilter", filters, "a list of log filter maps");
	mark = path_push(e, "LogFilter");
	if (json_array_size(filters) == 0)
		put_data_element(e, "LogFilter", filters);
	json_array_foreach(filters, i, filter) {
		size_t index_mark = path_push_index(e, i);

		if (!json_is_object(filter) || !is_scalar(json_object_get(filter, "type")))
			enc_fail(e, "must be a map with a type as text");
		else
			put_log_filter(e, filter);
		path_pop(e, index_mark);
		if (e->err->code)
			break;
	}
	path_pop(e, mark);
	json_object_del(holder, "LogFilter");
	return e->err->code;
}

/* Write rest[key], a map containing LogFilter, as <key>. */
static int put_filter_holder(struct xml_encoder *e, json_t *rest, const char *key)
{
	const json_t *holder = json_object_get(rest, key);
	json_t *others;
	size_t mark;

	if (!holder)
		return 0;
	if (!json_is_object(holder))
		return fail_type(e, key, holder, "a map");
	if (begin_tag(e, key))
		return e->err->code;
	if (json_object_size(holder) == 0) {
		end_empty(e);
		json_object_del(rest, key);
		return 0;
	}
	end_start(e);
	others = json_copy((json_t *)holder);
	mark = path_push(e, key);
	if (put_log_filters(e, others) == 0 && put_members(e, others) == 0)
		end_tag(e, key);
	path_pop(e, mark);
	json_decref(others);
	json_object_del(rest, key);
	return e->err->code;
}

static int encode_plugin_config(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	(void)row;
	return put_filter_holder(e, rest, "pluginConfig");
}

static int encode_step_plugins(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	(void)row;
	return put_filter_holder(e, rest, "plugins");
}

/*
 * <scriptinterpreter argsquoted="B">X</scriptinterpreter> fits when both
 * are scalars and X is not blank (blank text beside an attribute is
 * dropped on reading). Otherwise both stay in rest and are written under
 * their canonical names.
 */
static int encode_interpreter(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *interpreter = json_object_get(rest, "scriptInterpreter");
	const json_t *quoted = json_object_get(rest, "interpreterArgsQuoted");

	(void)row;
	if ((!interpreter && !quoted) || (interpreter && !is_scalar(interpreter)) ||
	    (quoted && !is_scalar(quoted)) || (interpreter && quoted && is_blank_scalar(interpreter)))
		return 0;
	if (begin_tag(e, "scriptinterpreter") || (quoted && put_attr(e, "argsquoted", quoted)))
		return e->err->code;
	if (!interpreter)
		end_empty(e);
	else if (end_with_text(e, "scriptinterpreter", interpreter))
		return e->err->code;
	json_object_del(rest, "scriptInterpreter");
	json_object_del(rest, "interpreterArgsQuoted");
	return 0;
}

static int node_step_flag(struct xml_encoder *e, const json_t *node_step, bool *out)
{
	*out = false;
	if (!node_step || json_is_false(node_step))
		return 0;
	if (json_is_true(node_step)) {
		*out = true;
		return 0;
	}
	if (json_is_string(node_step) && !strcasecmp(json_string_value(node_step), "true")) {
		*out = true;
		return 0;
	}
	if (json_is_string(node_step) && !strcasecmp(json_string_value(node_step), "false"))
		return 0;
	return fail_type(e, "nodeStep", node_step, "true or false");
}

/* A plugin step: type, nodeStep and configuration fold into one element. */
static int encode_step_plugin(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *type = json_object_get(rest, "type");
	const json_t *config = json_object_get(rest, "configuration");
	const char *tag;
	bool node_step;

	(void)row;
	if (!type)
		return 0;
	if (!json_is_string(type))
		return fail_type(e, "type", type, "a plugin type as text");
	if (node_step_flag(e, json_object_get(rest, "nodeStep"), &node_step))
		return e->err->code;
	/* NOTE: without nodeStep the step is a workflow step, read back with nodeStep false. */
	tag = node_step ? "node-step-plugin" : "step-plugin";
	if (begin_raw(e, tag) || put_attr(e, "type", type))
		return e->err->code;
	if (!config) {
		end_empty(e);
	} else {
		end_start(e);
		if (put_config(e, "configuration", config))
			return e->err->code;
		end_tag(e, tag);
	}
	json_object_del(rest, "type");
	json_object_del(rest, "nodeStep");
	json_object_del(rest, "configuration");
	return 0;
}

static int encode_jobref(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	(void)row;
	return put_level_key(e, rest, "jobref", AT_JOBREF, "a map");
}

static int encode_errorhandler(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	(void)row;
	return put_level_key(e, rest, "errorhandler", AT_STEP, "a step map");
}

/* args becomes <arg line=".."/>. A value that is not a scalar goes in a <line> element. */
static int encode_arg(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *args = json_object_get(rest, "args");

	(void)row;
	if (!args)
		return 0;
	if (begin_raw(e, "arg"))
		return e->err->code;
	if (is_scalar(args)) {
		if (put_attr(e, "line", args))
			return e->err->code;
		end_empty(e);
	} else {
		end_start(e);
		if (put_value(e, "line", args))
			return e->err->code;
		end_tag(e, "arg");
	}
	json_object_del(rest, "args");
	return 0;
}

static int encode_webhook(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	static const char *const attrs[] = { "urls", "format", "httpMethod" };

	(void)row;
	if (!is_scalar(json_object_get(rest, "urls")))
		return 0;
	if (begin_raw(e, "webhook"))
		return e->err->code;
	for (size_t i = 0; i < 3; i++) {
		const json_t *value = json_object_get(rest, attrs[i]);

		if (!is_scalar(value))
			continue;
		if (put_attr(e, attrs[i], value))
			return e->err->code;
		json_object_del(rest, attrs[i]);
	}
	end_empty(e);
	return 0;
}

static int put_notification_plugin(struct xml_encoder *e, const json_t *plugin)
{
	json_t *rest = json_copy((json_t *)plugin);
	const json_t *type = json_object_get(rest, "type");
	const json_t *config = json_object_get(rest, "configuration");

	if (begin_raw(e, "plugin") || (is_scalar(type) && put_attr(e, "type", type)))
		goto out;
	if (is_scalar(type))
		json_object_del(rest, "type");
	if (json_object_size(rest) == 0) {
		end_empty(e);
		goto out;
	}
	end_start(e);
	if (config && put_config(e, "configuration", config))
		goto out;
	json_object_del(rest, "configuration");
	if (put_members(e, rest) == 0)
		end_tag(e, "plugin");
out:
	json_decref(rest);
	return e->err->code;
}

/* A single plugin map is written as one <plugin>, which reads back as a list of one. */
static int encode_trigger_plugins(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *plugins = json_object_get(rest, "plugin");
	size_t i, mark;
	json_t *plugin;

	(void)row;
	if (!plugins)
		return 0;
	if (json_is_object(plugins)) {
		mark = path_push(e, "plugin");
		put_notification_plugin(e, plugins);
		path_pop(e, mark);
	} else if (!json_is_array(plugins)) {
		return fail_type(e, "plugin", plugins, "a list of plugin maps");
	} else if (json_array_size(plugins) == 0) {
		put_value(e, "plugin", plugins);
	}
	json_array_foreach(plugins, i, plugin) {
		mark = path_push(e, "plugin");
		path_push_index(e, i);
		if (!json_is_object(plugin))
			enc_fail(e, "must be a plugin map, found %s", describe(plugin));
		else
			put_notification_plugin(e, plugin);
		path_pop(e, mark);
		if (e->err->code)
			break;
	}
	json_object_del(rest, "plugin");
	return e->err->code;
}

/* dayofmonth {day: D} joins the month element as <month month="M" day="D"/>. */
static int encode_month(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *month = json_object_get(rest, "month");
	const json_t *dayofmonth = json_object_get(rest, "dayofmonth");
	const json_t *day = json_object_get(dayofmonth, "day");
	bool merge_day = json_is_object(dayofmonth) && json_object_size(dayofmonth) == 1 &&
			 is_scalar(day);

	(void)row;
	if (month && !is_scalar(month))
		return fail_type(e, "month", month, "text");
	if (!month && !merge_day)
		return 0;
	if (begin_raw(e, "month") || (month && put_attr(e, "month", month)) ||
	    (merge_day && put_attr(e, "day", day)))
		return e->err->code;
	end_empty(e);
	json_object_del(rest, "month");
	if (merge_day)
		json_object_del(rest, "dayofmonth");
	return 0;
}

static int encode_year(struct xml_encoder *e, const struct xml_rename *row, json_t *rest)
{
	const json_t *year = json_object_get(rest, "year");

	(void)row;
	if (!year)
		return 0;
	if (!is_scalar(year))
		return fail_type(e, "year", year, "text");
	if (begin_raw(e, "year") || put_attr(e, "year", year))
		return e->err->code;
	end_empty(e);
	json_object_del(rest, "year");
	return 0;
}

/* ---- the rename table ------------------------------------------------------ */

/*
 * Every XML name that differs from the canonical model in name or shape.
 * Decoding runs the rows of a level in this order, so dispatch comes
 * before nodefilters and the old options layout before context. Encoding
 * calls a row where the layout of its level names it.
 */
static const struct xml_rename xml_renames[] = {
	{ AT_JOB, "id", "uuid", decode_job_id, NULL, 0 },
	{ AT_JOB, "group", "group, without leading or trailing /", decode_group, NULL, 0 },
	{ AT_JOB, "retry", "retry: N, or retry: {retry: N, delay: D} from <retry delay=D>N</retry>",
	  decode_retry, encode_retry, 0 },
	{ AT_JOB, "logging", "loglimit, loglimitAction, loglimitStatus", decode_logging,
	  encode_logging, XML_ONLY },
	{ AT_JOB, "options", "options: [maps] (old layout, directly under <job>)",
	  decode_job_options, NULL, 0 },
	{ AT_JOB, "context", "options: [maps], project", decode_context, encode_context, 0 },
	{ AT_JOB, "sequence", "sequence", decode_sequence, encode_sequence, 0 },
	{ AT_JOB, "dispatch", "nodefilters.dispatch", decode_dispatch, encode_dispatch, XML_ONLY },
	{ AT_JOB, "nodefilters", "nodefilters, its excludeprecedence as dispatch.excludePrecedence",
	  decode_nodefilters, encode_nodefilters, 0 },
	{ AT_JOB, "schedule", "schedule", decode_schedule, encode_schedule, 0 },
	{ AT_JOB, "notification", "notification", decode_notification, encode_notification, 0 },
	{ AT_JOB, "plugins", "plugins: {SERVICE: {PROVIDER: {settings}}}", decode_job_plugins,
	  encode_job_plugins, 0 },
	{ AT_OPTION, "values", "values: [list], split on valuesListDelimiter", decode_values,
	  encode_values, IN_START_TAG },
	{ AT_OPTION, "enforcedvalues", "enforced", decode_move, encode_move_attr,
	  IN_START_TAG | XML_ONLY },
	{ AT_OPTION, "config", "config: {k: v} from <entry key value/>", decode_option_config,
	  encode_option_config, 0 },
	{ AT_SEQUENCE, "command", "commands: [steps]", decode_commands, encode_commands, XML_ONLY },
	{ AT_SEQUENCE, "pluginConfig", "pluginConfig, its LogFilter as a list",
	  decode_plugin_config, encode_plugin_config, 0 },
	{ AT_STEP, "scriptargs", "args", decode_move, encode_move, XML_ONLY },
	{ AT_STEP, "scriptinterpreter", "scriptInterpreter and interpreterArgsQuoted",
	  decode_interpreter, encode_interpreter, XML_ONLY },
	{ AT_STEP, "step-plugin", "type, nodeStep: false, configuration", decode_step_plugin,
	  encode_step_plugin, XML_ONLY },
	{ AT_STEP, "node-step-plugin", "type, nodeStep: true, configuration", decode_step_plugin,
	  NULL, XML_ONLY },
	{ AT_STEP, "jobref", "jobref", decode_jobref, encode_jobref, 0 },
	{ AT_STEP, "plugins", "plugins, its LogFilter as a list", decode_step_plugins,
	  encode_step_plugins, 0 },
	{ AT_STEP, "errorhandler", "errorhandler: a step, with keepgoingOnSuccess",
	  decode_errorhandler, encode_errorhandler, 0 },
	{ AT_JOBREF, "arg", "args, from <arg line=..>", decode_arg, encode_arg, XML_ONLY },
	{ AT_JOBREF, "dispatch", "nodefilters.dispatch", decode_dispatch, encode_dispatch, XML_ONLY },
	{ AT_JOBREF, "nodefilters", "nodefilters", decode_nodefilters, encode_nodefilters, 0 },
	{ AT_TRIGGER, "webhook", "urls, format, httpMethod", decode_webhook, encode_webhook,
	  XML_ONLY },
	{ AT_TRIGGER, "plugin", "plugin: [maps]", decode_trigger_plugins, encode_trigger_plugins, 0 },
	{ AT_SCHEDULE, "month", "month, and dayofmonth.day from <month day=..>", decode_month,
	  encode_month, 0 },
	{ AT_SCHEDULE, "year", "year", decode_year, encode_year, 0 },
};

static const struct xml_rename *find_rename(enum xml_level level, const char *xml)
{
	for (size_t i = 0; i < sizeof(xml_renames) / sizeof(xml_renames[0]); i++) {
		if (xml_renames[i].level == level && !strcmp(xml_renames[i].xml, xml))
			return &xml_renames[i];
	}
	return NULL;
}

static int decode_level(struct xml_decoder *d, enum xml_level level, const char *tag, json_t *map)
{
	for (size_t i = 0; i < sizeof(xml_renames) / sizeof(xml_renames[0]); i++) {
		const struct xml_rename *row = &xml_renames[i];

		if (row->level == level && row->decode && row->decode(d, row, tag, map))
			return d->err->code;
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------------- */

static int decode_job(struct xml_decoder *d, const xmlNode *el, json_t *jobs)
{
	json_t *job = decode_value(d, el, false);

	if (!job)
		return d->err->code;
	json_array_append_new(jobs, job);
	if (!json_is_object(job))
		return fail_line(d, xml_line(el),
				 "<job> contains %s; expected elements such as <name> and <sequence>",
				 describe(job));
	return decode_level(d, AT_JOB, "job", job);
}

static int decode_joblist(struct xml_decoder *d, const xmlNode *root, json_t *jobs)
{
	char *name;

	if (!root)
		return fail_line(d, 1, "the document has no root element; expected <joblist>");
	if (!name_is(root->name, root->ns, "joblist")) {
		name = node_key(root->name, root->ns);
		fail_line(d, xml_line(root), "<joblist> expected as the root element, found <%s>", name);
		free(name);
		return d->err->code;
	}
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!name_is(c->name, c->ns, "job")) {
			name = node_key(c->name, c->ns);
			fail_line(d, xml_line(c), "unexpected <%s> in <joblist>; expected <job> elements", name);
			free(name);
			return d->err->code;
		}
		if (decode_job(d, c, jobs))
			return d->err->code;
	}
	if (json_array_size(jobs) == 0)
		return fail_line(d, xml_line(root), "<joblist> has no <job> element; expected at least one");
	return 0;
}

/* Give the caller's map the position of every container in the result. */
static void copy_positions(const struct xml_decoder *d, const json_t *node, struct srcmap *map)
{
	const struct pos_entry *entry;
	const char *key;
	json_t *child;
	size_t i;

	if (!json_is_object(node) && !json_is_array(node))
		return;
	entry = pos_get(&d->pos, node);
	if (entry)
		srcmap_add(map, node, entry->line, 0);
	if (json_is_object(node)) {
		json_object_foreach((json_t *)node, key, child)
			copy_positions(d, child, map);
	} else {
		json_array_foreach(node, i, child)
			copy_positions(d, child, map);
	}
}

/* Copy a failure recorded in local into the caller's error, whose first message wins. */
static int pass_error(struct jf_error *err, const struct jf_error *local)
{
	if (local->code == JF_OK)
		return 0;
	if (local->line > 0)
		return jf_fail_at(err, local->code, local->line, local->column, "%s", local->message);
	return jf_fail(err, local->code, "%s", local->message);
}

int codec_xml_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		     struct jf_error *err)
{
	/* The decode tests d.err->code after each step, so it starts clean. */
	struct jf_error local = JF_ERROR_INIT;
	struct xml_decoder d = { { NULL, 0, 0 }, json_array(), &local };
	json_t *jobs = json_array();
	xmlDocPtr doc;

	*out = NULL;
	if (parse_document(&d, data, len, &doc) == 0) {
		pos_put(&d.pos, jobs, xml_line(xmlDocGetRootElement(doc)), false);
		decode_joblist(&d, xmlDocGetRootElement(doc), jobs);
		xmlFreeDoc(doc);
	}
	if (!local.code && map)
		copy_positions(&d, jobs, map);
	json_decref(d.detached);
	free(d.pos.slots);
	if (local.code) {
		json_decref(jobs);
		return pass_error(err, &local);
	}
	*out = jobs;
	return 0;
}

int codec_xml_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err)
{
	struct jf_error local = JF_ERROR_INIT;
	struct xml_encoder e = { STRBUF_INIT, &local, 0, 0, STRBUF_INIT };
	size_t i;
	json_t *job;

	if (!json_is_array(jobs))
		return jf_fail(err, JF_INVALID, "cannot write XML: expected a list of jobs, found %s",
			       describe(jobs));
	sb_adds(&e.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<joblist>\n");
	e.depth = 1;
	json_array_foreach(jobs, i, job) {
		e.job_number = i + 1;
		if (!json_is_object(job))
			enc_fail(&e, "must be a map, found %s", describe(job));
		else
			encode_level(&e, AT_JOB, "job", job);
		if (local.code)
			break;
	}
	sb_adds(&e.out, "</joblist>\n");
	if (!local.code)
		sb_add(out, e.out.buf, e.out.len);
	sb_release(&e.out);
	sb_release(&e.path);
	return pass_error(err, &local);
}
