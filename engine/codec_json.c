/*
 * codec_json.c - Rundeck's JSON job format: jansson for the parse, and a
 * small scanner that finds the position of every object and array so that
 * validation errors can name a line and column.
 */
#include <string.h>

#include "codec.h"

/* Position of each '{' and '[' of the text, in document order. */
struct bracket_pos {
	int *lines;
	int *columns;
	size_t len;
	size_t next;
};

static void scan_brackets(const char *data, size_t len, struct bracket_pos *pos)
{
	size_t alloc = 0;
	int line = 1, column = 1;
	bool in_string = false;

	for (size_t i = 0; i < len; i++, column++) {
		char c = data[i];

		if (c == '\n') {
			line++;
			column = 0;
			continue;
		}
		if (in_string) {
			if (c == '\\' && i + 1 < len && data[i + 1] != '\n') {
				i++;
				column++;
			} else if (c == '"') {
				in_string = false;
			}
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (pos->len == alloc) {
				alloc = alloc ? alloc * 2 : 32;
				pos->lines = xrealloc(pos->lines, alloc * sizeof(int));
				pos->columns = xrealloc(pos->columns, alloc * sizeof(int));
			}
			pos->lines[pos->len] = line;
			pos->columns[pos->len] = column;
			pos->len++;
		}
	}
}

/* Walk the tree in document order and pair containers with positions. */
static void assign_positions(const json_t *node, struct bracket_pos *pos, struct srcmap *map)
{
	const char *key;
	const json_t *child;
	size_t index;

	if (!json_is_object(node) && !json_is_array(node))
		return;
	if (pos->next < pos->len) {
		srcmap_add(map, node, pos->lines[pos->next], pos->columns[pos->next]);
		pos->next++;
	}
	if (json_is_object(node)) {
		json_object_foreach((json_t *)node, key, child)
			assign_positions(child, pos, map);
	} else {
		json_array_foreach(node, index, child)
			assign_positions(child, pos, map);
	}
}

int codec_json_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		      struct jf_error *err)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return jf_fail_at(err, JF_INVALID, jerr.line, jerr.column, "invalid JSON: %s",
				  jerr.text);
	if (map) {
		struct bracket_pos pos = { NULL, NULL, 0, 0 };

		scan_brackets(data, len, &pos);
		assign_positions(root, &pos, map);
		free(pos.lines);
		free(pos.columns);
	}
	*out = root;
	return 0;
}

int codec_json_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err)
{
	char *text = json_dumps(jobs, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (!text)
		return jf_fail(err, JF_IO, "unable to render JSON");
	sb_adds(out, text);
	sb_addc(out, '\n');
	free(text);
	return 0;
}
