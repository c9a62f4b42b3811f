/*
 * options.h - run requests and option values.
 *
 * A request is what a user writes to a run or resume file: "1" or an empty
 * line for the defaults, a Rundeck argstring ("-env prod -msg 'a b'"), or
 * a JSON object of option values.
 */
#ifndef JOBFS_OPTIONS_H
#define JOBFS_OPTIONS_H

#include <jansson.h>

#include "job.h"
#include "util.h"

/* Parse request text into an object of name -> string (or list of strings). */
int request_parse(const char *text, size_t len, json_t **out, struct jf_error *err);

/*
 * Check requested values against the job's options and fill in defaults:
 * unknown names, required options, enforced allowed values and regexes.
 * On success *values maps every option that has a value to one string
 * (multiple values joined by the option's delimiter).
 */
int options_resolve(const struct job *job, const json_t *requested, json_t **values,
		    struct jf_error *err);

/* Return true if the value matches the option's regex (whole value). */
bool option_regex_matches(const struct option_def *def, const char *value);

/* Render values as a Rundeck argstring, secure options left out. */
char *options_argstring(const struct job *job, const json_t *values);

#endif
