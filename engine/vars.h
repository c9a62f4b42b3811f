/*
 * vars.h - the data context of an execution and the three ways steps read
 * it: ${group.key} references in commands and arguments, @group.key@
 * tokens in inline scripts, and RD_GROUP_KEY environment variables.
 *
 * Names are "group.key" (option.env, job.execid, data.build). Values that
 * a step captured are also kept under "N:group.key" for the 1-based step
 * N, which ${N:data.key} reads.
 *
 * A reference never lets a value become shell code: a command line is split
 * into words first, and each word that was quoted or held a reference is
 * quoted for the shell after expansion.
 */
#ifndef JOBFS_VARS_H
#define JOBFS_VARS_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

struct var {
	char *name;
	char *value;
	bool changed; /* set since vars_take_changes() last ran */
};

struct vars {
	struct var *items;
	size_t len;
	size_t alloc;
};

#define VARS_INIT { NULL, 0, 0 }

void vars_set(struct vars *vars, const char *name, const char *value);
void vars_setf(struct vars *vars, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *vars_get(const struct vars *vars, const char *name);
void vars_remove_group(struct vars *vars, const char *group);
void vars_release(struct vars *vars);
/*
 * Move the variables set since the last call, whose names pass keep, into
 * obj (name -> value), and clear their marks.
 */
void vars_take_changes(struct vars *vars, bool (*keep)(const char *name), json_t *obj);

/* The name of the local node, used for ${node.name} and in the state. */
extern const char *const VARS_LOCAL_NODE;

/*
 * Expand a command or argument line for /bin/sh: words as args_split()
 * reads them, references expanded, and quoted or expanded words
 * shell-quoted. An undefined ${option.X} becomes empty, other undefined
 * references stay as written.
 */
int vars_expand_command(const struct vars *vars, const char *line, struct strbuf *out,
			struct jf_error *err);
/* Expand ${...} references in text, with no quoting. */
void vars_expand_text(const struct vars *vars, const char *text, struct strbuf *out);
/* Replace @group.key@ tokens in an inline script; "@@" is a literal "@". */
void vars_expand_tokens(const struct vars *vars, const char *body, struct strbuf *out);
/*
 * Replace @group.key@ tokens in a shell script so that each value reads
 * back as the same text and never as code: quoted outside quotes, escaped
 * inside double quotes and here-documents, split around single quotes.
 */
void vars_expand_shell_tokens(const struct vars *vars, const char *body, struct strbuf *out);
/* Return the environment variable name for "group.key": RD_GROUP_KEY. */
char *vars_env_name(const char *name);

#endif
