/*
 * step_run.c - running one step or error handler: its lifecycle, and
 * commands and scripts given to the process layer (step_process.c);
 * plugins and job references are in step_plugins.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argstring.h"
#include "internal.h"

void step_result_release(struct step_result *r)
{
	free(r->reason);
	free(r->message);
	r->reason = r->message = NULL;
}

/*
 * Hand the outcome to the workflow on the loop's next turn, so that steps
 * that end at once (built-in plugins, failures to start) never nest calls.
 */
void step_complete(struct step_run *run, bool ok, int code, const char *reason,
		     const char *message)
{
	struct step_result result = { ok, code, reason ? xstrdup(reason) : NULL,
				      message ? xstrdup(message) : NULL };

	logfilter_report(run);
	engine_queue_completion(run->ex->eng, run, &result);
}

/* Write an inline script to a private file; returns its path or NULL. */
static char *write_script(struct step_run *run, const char *body, struct jf_error *err)
{
	const struct step *step = run->step;
	const char *ext = step->file_extension ? step->file_extension : "";
	char *path = xasprintf("%s/%lld-%s%s%s", run->ex->eng->tmp_dir, (long long)run->ex->rec.id,
			       run->ctx, *ext && *ext != '.' ? "." : "", ext);

	if (write_file_atomic(path, body, strlen(body), 0700, false, err)) {
		free(path);
		return NULL;
	}
	return path;
}

static void run_script(struct step_run *run, const char *path)
{
	const struct step *step = run->step;
	struct execution *ex = run->ex;
	struct strbuf line = STRBUF_INIT, inner = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	shell_quote(&inner, path);
	if (step->args) {
		sb_addc(&inner, ' ');
		if (vars_expand_command(&ex->vars, step->args, &inner, &err)) {
			step_complete(run, false, -1, "ConfigurationFailure", err.message);
			goto out;
		}
	}
	if (step->interpreter && step->args_quoted) {
		sb_addf(&line, "%s ", step->interpreter);
		shell_quote(&line, sb_str(&inner));
	} else if (step->interpreter) {
		sb_addf(&line, "%s %s", step->interpreter, sb_str(&inner));
	} else {
		sb_adds(&line, sb_str(&inner));
	}
	/* A script without "#!" needs the shell, which runs it itself. */
	step_spawn(run, sb_str(&line), false);
out:
	sb_release(&line);
	sb_release(&inner);
}

static bool is_shell_name(const char *word, size_t len)
{
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "ash", "mksh",
					      NULL };
	const char *base = word;

	for (size_t i = 0; i < len; i++)
		if (word[i] == '/')
			base = word + i + 1;
	len -= (size_t)(base - word);
	for (size_t i = 0; shells[i]; i++)
		if (strlen(shells[i]) == len && !strncmp(base, shells[i], len))
			return true;
	return false;
}

/* The program named first in a command line (skipping "env"), as a span. */
static bool names_shell(const char *line)
{
	const char *p = line;

	for (int words = 0; words < 2; words++) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t\n");
		if (n == 0)
			return false;
		if (!(n >= 3 && !strncmp(p + n - 3, "env", 3) && (n == 3 || p[n - 4] == '/')))
			return is_shell_name(p, n);
		p += n;
	}
	return false;
}

/* Whether /bin/sh or another shell reads this script, given its interpreter. */
static bool runs_in_shell(const struct step *step, const char *source)
{
	if (step->interpreter)
		return names_shell(step->interpreter);
	if (source[0] == '#' && source[1] == '!')
		return names_shell(source + 2);
	return true;
}

void step_start_inline_script(struct step_run *run, const char *source)
{
	struct strbuf body = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	/* In shell scripts a token's value is written so it stays data. */
	if (runs_in_shell(run->step, source))
		vars_expand_shell_tokens(&run->ex->vars, source, &body);
	else
		vars_expand_tokens(&run->ex->vars, source, &body);
	run->script_path = write_script(run, sb_str(&body), &err);
	sb_release(&body);
	if (!run->script_path) {
		step_complete(run, false, -1, "ExecutionFailure", err.message);
		return;
	}
	run_script(run, run->script_path);
}

static void start_script_file(struct step_run *run, const char *path)
{
	struct strbuf source = STRBUF_INIT;
	int rc;

	/* A file without the execute bit runs from a private copy, as Rundeck copies it. */
	if (!run->step->expand_tokens && (run->step->interpreter || access(path, X_OK) == 0)) {
		run_script(run, path);
		return;
	}
	rc = read_file(path, &source);
	if (rc) {
		char *message = xasprintf("unable to read the script '%s': %s", path, strerror(rc));

		step_complete(run, false, -1, "ScriptFileFailure", message);
		free(message);
	} else if (run->step->expand_tokens) {
		step_start_inline_script(run, sb_str(&source));
	} else {
		struct jf_error err = JF_ERROR_INIT;

		run->script_path = write_script(run, sb_str(&source), &err);
		if (run->script_path)
			run_script(run, run->script_path);
		else
			step_complete(run, false, -1, "ScriptFileFailure", err.message);
	}
	sb_release(&source);
}

static void start_script_url(struct step_run *run, const char *url)
{
	if (strncmp(url, "file:", 5) != 0) {
		char *message = xasprintf("the script URL '%s' is not supported: jobfs reads file: "
					  "URLs only; copy the script to this host and use "
					  "scriptfile or a file: URL",
					  url);

		exec_note(run->ex, "%s", message);
		step_complete(run, false, -1, "ScriptFileFailure", message);
		free(message);
		return;
	}
	url += 5;
	if (!strncmp(url, "//localhost/", 12))
		url += 11;
	else if (!strncmp(url, "//", 2))
		url += 2;
	start_script_file(run, url);
}

void step_start_exec(struct step_run *run, const char *command)
{
	struct strbuf line = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	if (vars_expand_command(&run->ex->vars, command, &line, &err))
		step_complete(run, false, -1, "ConfigurationFailure", err.message);
	else
		step_spawn(run, sb_str(&line), true);
	sb_release(&line);
}

/* ---- lifecycle ---------------------------------------------------------------- */

static char *build_meta(const struct step_run *run)
{
	struct strbuf meta = STRBUF_INIT;

	sb_addf(&meta, "node=%s|step=%zu|stepctx=", VARS_LOCAL_NODE, run->index + 1);
	rdlog_escape_meta(&meta, run->ctx);
	sb_adds(&meta, "|user=");
	rdlog_escape_meta(&meta, run->ex->rec.user);
	return sb_detach(&meta, NULL);
}

static void dispatch(struct step_run *run)
{
	const struct step *step = run->step;

	switch (step->kind) {
	case STEP_EXEC:
		step_start_exec(run, step->command);
		break;
	case STEP_SCRIPT:
		step_start_inline_script(run, step->command);
		break;
	case STEP_SCRIPTFILE: {
		struct strbuf path = STRBUF_INIT;

		vars_expand_text(&run->ex->vars, step->command, &path);
		start_script_file(run, sb_str(&path));
		sb_release(&path);
		break;
	}
	case STEP_SCRIPTURL: {
		struct strbuf url = STRBUF_INIT;

		vars_expand_text(&run->ex->vars, step->command, &url);
		start_script_url(run, sb_str(&url));
		sb_release(&url);
		break;
	}
	case STEP_JOBREF:
		step_start_jobref(run);
		break;
	case STEP_PLUGIN:
		step_run_plugin(run);
		break;
	}
}

void step_start(struct execution *ex, const struct step *step, size_t index, bool is_handler,
		step_done_fn done)
{
	struct step_run *run = xcalloc(1, sizeof(*run));

	run->ex = ex;
	run->step = step;
	run->index = index;
	run->is_handler = is_handler;
	run->done = done;
	snprintf(run->ctx, sizeof(run->ctx), "%zu%s", index + 1, is_handler ? "e" : "");
	run->meta = build_meta(run);
	run->compiled_filters = logfilter_compile(ex, step);
	ex->runs[index] = run;
	ex->running++;
	exec_log_event(ex->log, is_handler ? "handlerbegin" : "stepbegin", run->meta);
	dispatch(run);
}

void step_stop(struct step_run *run, unsigned grace_ms)
{
	if (run->proc)
		proc_terminate(run->proc, grace_ms);
	if (run->child)
		exec_request_stop(run->child, run->ex->stop == STOP_SHUTDOWN ? STOP_SHUTDOWN
									 : STOP_KILL);
}

void step_run_free(struct step_run *run)
{
	struct execution *ex = run->ex;

	if (ex->log)
		exec_log_event(ex->log, run->is_handler ? "handlerend" : "stepend", run->meta);
	if (run->script_path) {
		unlink(run->script_path);
		free(run->script_path);
	}
	logfilter_free(run->compiled_filters);
	free(run->meta);
	free(run);
}

