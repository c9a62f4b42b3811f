/*
 * job.h - the job model: the canonical Rundeck job map and a typed view of
 * the parts jobfs executes.
 *
 * A struct job owns its canonical map (def). The typed fields borrow strings
 * from it, so they stay valid as long as the job lives. Keys jobfs does not
 * act on (schedules, notifications, node filters, plugin settings) stay in
 * def and are exported unchanged.
 *
 * Calling sequence:
 *   1. codec_decode() a document (codec.h).
 *   2. job_normalize() each job map: one spelling for booleans and lists.
 *   3. job_parse() validates the map and builds the typed view.
 *   4. job_free().
 */
#ifndef JOBFS_JOB_H
#define JOBFS_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "util.h"

enum step_kind {
	STEP_EXEC,       /* exec: a command line run by /bin/sh -c */
	STEP_SCRIPT,     /* script: an inline script body */
	STEP_SCRIPTFILE, /* scriptfile: a script path on this host */
	STEP_SCRIPTURL,  /* scripturl: a script fetched from a URL */
	STEP_JOBREF,     /* jobref: another job, run as a child execution */
	STEP_PLUGIN,     /* type: a step plugin, built in or unknown */
};

enum strategy {
	STRATEGY_NODE_FIRST,
	STRATEGY_SEQUENTIAL, /* "sequential" and its synonym "step-first" */
	STRATEGY_PARALLEL,
	STRATEGY_OTHER,      /* a plugin name jobfs does not implement */
};

/* A log filter plugin attached to a step or to the whole workflow. */
struct log_filter {
	const char *type;
	const json_t *config; /* object, may be empty */
};

struct jobref {
	const char *name;
	const char *group;
	const char *uuid;
	const char *project;
	const char *args;
	bool use_name;
	bool import_options;
	bool fail_on_disable;
};

struct step {
	enum step_kind kind;
	const char *description;
	const char *command;     /* exec line, inline script body, file path or URL */
	const char *args;        /* script arguments */
	const char *interpreter; /* scriptInterpreter, NULL for none */
	bool args_quoted;        /* interpreterArgsQuoted */
	const char *file_extension;
	bool expand_tokens;      /* expandTokenInScriptFile */
	struct jobref ref;
	const char *plugin_type;
	const json_t *plugin_config;
	bool node_step;
	struct log_filter *filters;
	size_t n_filters;
	struct step *handler;    /* errorhandler, NULL for none */
	bool keepgoing_on_success;
	const json_t *map;       /* the step's canonical map */
};

struct option_def {
	const char *name;
	const char *description;
	const char *default_value; /* "value", NULL for none */
	const char **values;       /* allowed or suggested values */
	size_t n_values;
	const char *regex;
	void *compiled;            /* pcre2_code, NULL without regex */
	const char *delimiter;     /* for multivalued options, default "," */
	bool enforced;
	bool required;
	bool secure;
	bool value_exposed;
	bool multivalued;
};

struct job {
	int refs;    /* the catalog and each execution that runs it */
	json_t *def; /* canonical map, owned */
	int64_t id;  /* store row id, 0 until stored */
	const char *uuid;
	const char *name;
	const char *group; /* "" for none */
	const char *description;
	const char *project;
	struct option_def *options;
	size_t n_options;
	bool keepgoing;
	enum strategy strategy;
	const char *strategy_name;
	struct step *steps;
	size_t n_steps;
	struct log_filter *filters; /* workflow-wide log filters */
	size_t n_filters;
	const char *timeout;     /* raw duration, may use ${option.*}; NULL for none */
	const char *retry;       /* raw count, may use ${option.*}; NULL for none */
	const char *retry_delay; /* raw duration; NULL for none */
	bool resume_enabled;     /* ExecutionLifecycle plugin "resume" */
	const char *resume_on_retry; /* its onRetry setting, raw; NULL for none */
	bool execution_enabled;
};

/*
 * Rewrite a decoded job map in place into the canonical spelling: "id"
 * becomes "uuid", the strings "true"/"false" of known boolean keys become
 * booleans, the legacy map form of options becomes a list, and an option's
 * comma-separated "values" string becomes a list.
 */
void job_normalize(json_t *map);

/*
 * Validate a normalized job map and build the typed view. The job takes a
 * reference to map. index is the job's 1-based position in its document
 * and map_src its positions, both for messages (map_src may be NULL).
 */
struct job *job_parse(json_t *map, int index, const struct srcmap *map_src,
		      struct jf_error *err);
void job_free(struct job *job);

/* Return the step's kind as written in the format ("exec", "jobref"...). */
const char *step_kind_name(enum step_kind kind);
/* Return "group/name", or "name" without a group, in a new string. */
char *job_path(const struct job *job);

#endif
