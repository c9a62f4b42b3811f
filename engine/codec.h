/*
 * codec.h - Rundeck job documents in YAML, JSON and XML, decoded to and
 * encoded from the canonical job model.
 *
 * The canonical model is Rundeck's own: every format decodes to the same
 * map that Rundeck's YAML and JSON carry, held here as a jansson value. A
 * document decodes to a JSON array of job objects; keys jobfs does not act
 * on are kept as they are, so that export loses nothing.
 *
 * Calling sequence:
 *   1. codec_decode() turns bytes into a json array, and fills a srcmap with
 *      the line and column of each object and array node.
 *   2. The caller validates (job.h) and reports positions via srcmap_find().
 *   3. codec_encode() renders an array of jobs in one format.
 */
#ifndef JOBFS_CODEC_H
#define JOBFS_CODEC_H

#include <jansson.h>

#include "util.h"

enum job_format {
	FORMAT_YAML,
	FORMAT_JSON,
	FORMAT_XML,
};

/* Positions of container nodes in the decoded document. */
struct srcmap_entry {
	const json_t *node;
	int line;
	int column;
};

struct srcmap {
	struct srcmap_entry *entries;
	size_t len;
	size_t alloc;
};

#define SRCMAP_INIT { NULL, 0, 0 }

void srcmap_add(struct srcmap *map, const json_t *node, int line, int column);
/* Find the position of node; returns false and zeroes when unknown. */
bool srcmap_find(const struct srcmap *map, const json_t *node, int *line, int *column);
void srcmap_release(struct srcmap *map);

/* Map a file name's extension (.yaml .yml .json .xml) to a format. */
bool format_from_name(const char *name, enum job_format *format);
const char *format_name(enum job_format format);

/*
 * Decode a document. On success *out is a new reference to the root value
 * (normally an array of job objects; the caller checks the shape). On
 * failure err carries the line, column and what was expected, and *out is
 * NULL. map may be NULL.
 */
int codec_decode(enum job_format format, const char *data, size_t len, json_t **out,
		 struct srcmap *map, struct jf_error *err);

/* Encode an array of canonical job objects, appending to out. */
int codec_encode(enum job_format format, const json_t *jobs, struct strbuf *out,
		 struct jf_error *err);

/* The per-format halves, for tests and fuzzers. */
int codec_yaml_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		      struct jf_error *err);
int codec_yaml_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err);
int codec_json_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		      struct jf_error *err);
int codec_json_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err);
int codec_xml_decode(const char *data, size_t len, json_t **out, struct srcmap *map,
		     struct jf_error *err);
int codec_xml_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err);

#endif
