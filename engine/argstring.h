/*
 * argstring.h - Rundeck's argument strings: words split on blanks, grouped
 * by "..." or '...', where a doubled quote inside the same quotes is one
 * literal quote; and "-name value" pairs built from such words.
 */
#ifndef JOBFS_ARGSTRING_H
#define JOBFS_ARGSTRING_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

struct arg_word {
	char *text;
	bool quoted; /* some part of the word was written in quotes */
};

struct arg_list {
	struct arg_word *words;
	size_t len;
};

#define ARG_LIST_INIT { NULL, 0 }

/* Split line into words. Fails on an unterminated quote. */
int args_split(const char *line, struct arg_list *out, struct jf_error *err);
void args_release(struct arg_list *list);

/*
 * Read "-name value" pairs from words into a new object mapping each name to
 * a string, or to an array of strings when a name repeats. A "-name"
 * followed by another "-name" or by nothing gets "".
 */
int args_to_options(const struct arg_list *words, json_t **out, struct jf_error *err);

/* args_split then args_to_options. */
int argstring_parse(const char *line, json_t **out, struct jf_error *err);

/* Append text to out quoted for /bin/sh: plain when safe, else in '...'. */
void shell_quote(struct strbuf *out, const char *text);

/*
 * Parse a Rundeck duration: the sum of every <digits><unit> pair with units
 * s m h d w y, where digits at the very end count as seconds and digits
 * followed by any other character are ignored ("90 s" is 0). Returns false
 * when the text contains no digits at all.
 */
bool duration_parse(const char *text, int64_t *seconds);

#endif
