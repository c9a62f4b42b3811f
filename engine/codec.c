/* codec.c - format dispatch and source positions shared by the codecs. */
#include "codec.h"

#include <string.h>
#include <strings.h>

void srcmap_add(struct srcmap *map, const json_t *node, int line, int column)
{
	if (!map)
		return;
	if (map->len == map->alloc) {
		map->alloc = map->alloc ? map->alloc * 2 : 64;
		map->entries = xrealloc(map->entries, map->alloc * sizeof(*map->entries));
	}
	map->entries[map->len++] = (struct srcmap_entry){ node, line, column };
}

bool srcmap_find(const struct srcmap *map, const json_t *node, int *line, int *column)
{
	*line = 0;
	*column = 0;
	if (!map || !node)
		return false;
	for (size_t i = 0; i < map->len; i++) {
		if (map->entries[i].node == node) {
			*line = map->entries[i].line;
			*column = map->entries[i].column;
			return true;
		}
	}
	return false;
}

void srcmap_release(struct srcmap *map)
{
	free(map->entries);
	map->entries = NULL;
	map->len = 0;
	map->alloc = 0;
}

bool format_from_name(const char *name, enum job_format *format)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return false;
	if (!strcasecmp(dot, ".yaml") || !strcasecmp(dot, ".yml"))
		*format = FORMAT_YAML;
	else if (!strcasecmp(dot, ".json"))
		*format = FORMAT_JSON;
	else if (!strcasecmp(dot, ".xml"))
		*format = FORMAT_XML;
	else
		return false;
	return true;
}

const char *format_name(enum job_format format)
{
	switch (format) {
	case FORMAT_YAML:
		return "YAML";
	case FORMAT_JSON:
		return "JSON";
	case FORMAT_XML:
		return "XML";
	}
	return "?";
}

int codec_decode(enum job_format format, const char *data, size_t len, json_t **out,
		 struct srcmap *map, struct jf_error *err)
{
	*out = NULL;
	switch (format) {
	case FORMAT_YAML:
		return codec_yaml_decode(data, len, out, map, err);
	case FORMAT_JSON:
		return codec_json_decode(data, len, out, map, err);
	case FORMAT_XML:
		return codec_xml_decode(data, len, out, map, err);
	}
	return jf_fail(err, JF_INVALID, "unknown format");
}

int codec_encode(enum job_format format, const json_t *jobs, struct strbuf *out,
		 struct jf_error *err)
{
	switch (format) {
	case FORMAT_YAML:
		return codec_yaml_encode(jobs, out, err);
	case FORMAT_JSON:
		return codec_json_encode(jobs, out, err);
	case FORMAT_XML:
		return codec_xml_encode(jobs, out, err);
	}
	return jf_fail(err, JF_INVALID, "unknown format");
}
