/*
 * step_run.c - running one step or error handler: commands and scripts as
 * child processes, job references as child executions, and the built-in
 * step plugins.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argstring.h"
#include "internal.h"
#include "logging.h"
#include "options.h"

extern char **environ;

static const char default_data_regex[] = "^RUNDECK:DATA:\\s*([^\\s]+?)\\s*=\\s*(.+)$";
static const char default_invalid_key[] = "\\s|\\$|\\{|\\}|\\\\";

/* A key-value-data log filter, compiled. */
struct data_filter {
	pcre2_code *regex;
	pcre2_code *invalid_key;
	const char *name;
	bool substrings;
	bool log_data;
};

struct filter_set {
	struct data_filter *items;
	size_t len;
	struct vars captured;
};

void step_result_release(struct step_result *r)
{
	free(r->reason);
	free(r->message);
	r->reason = r->message = NULL;
}

static pcre2_code *compile(const char *pattern)
{
	int errcode;
	PCRE2_SIZE offset;

	return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &offset, NULL);
}

static const char *config_text(const json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

static bool config_bool(const json_t *config, const char *key)
{
	const json_t *v = json_object_get(config, key);

	return json_is_true(v) || (json_is_string(v) && !strcasecmp(json_string_value(v), "true"));
}

static void add_filters(struct filter_set *set, const struct log_filter *filters, size_t n,
			struct execution *ex)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *cfg = filters[i].config;
		const char *pattern = config_text(cfg, "regex");
		struct data_filter f = { 0 };

		if (strcmp(filters[i].type, "key-value-data") != 0)
			continue;
		f.regex = compile(pattern && *pattern ? pattern : default_data_regex);
		if (!f.regex) {
			exec_note(ex, "the key-value-data regex '%s' is invalid; the filter is off",
				  pattern);
			continue;
		}
		pattern = config_text(cfg, "invalidKeyPattern");
		f.invalid_key = compile(pattern && *pattern ? pattern : default_invalid_key);
		f.name = config_text(cfg, "name");
		f.substrings = config_bool(cfg, "matchSubstrings");
		f.log_data = config_bool(cfg, "logData");
		set->items = xrealloc(set->items, (set->len + 1) * sizeof(*set->items));
		set->items[set->len++] = f;
	}
}

static void free_filters(struct filter_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->len; i++) {
		pcre2_code_free(set->items[i].regex);
		pcre2_code_free(set->items[i].invalid_key);
	}
	free(set->items);
	vars_release(&set->captured);
	free(set);
}

static char *clean_key(const struct data_filter *f, const char *key, size_t len)
{
	char *raw = xstrndup(key, len);
	PCRE2_UCHAR out[1024];
	PCRE2_SIZE out_len = sizeof(out);

	if (!f->invalid_key ||
	    pcre2_substitute(f->invalid_key, (PCRE2_SPTR)raw, len, 0, PCRE2_SUBSTITUTE_GLOBAL, NULL,
			     NULL, (PCRE2_SPTR) "_", 1, out, &out_len) < 0)
		return raw;
	free(raw);
	return xstrndup((const char *)out, out_len);
}

static void capture(struct step_run *run, const struct data_filter *f, const char *text,
		    size_t len)
{
	struct execution *ex = run->ex;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(f->regex, NULL);
	uint32_t options = f->substrings ? 0 : PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	int n = pcre2_match(f->regex, (PCRE2_SPTR)text, len, 0, options, md, NULL);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	char *key = NULL, *value = NULL;

	if (n >= 3) {
		key = clean_key(f, text + ov[2], ov[3] - ov[2]);
		value = xstrndup(text + ov[4], ov[5] - ov[4]);
	} else if (n == 2 && f->name) {
		key = xstrdup(f->name);
		value = xstrndup(text + ov[2], ov[3] - ov[2]);
	}
	if (key && *key) {
		char *name = xasprintf("data.%s", key);
		char *masked = exec_mask_copy(ex, value);

		/* Captured data goes to checkpoints and log storage: never a secret. */
		free(value);
		value = masked;
		char *scoped = xasprintf("%zu:data.%s", run->index + 1, key);

		vars_set(&ex->vars, name, value);
		vars_set(&ex->vars, scoped, value);
		vars_set(&((struct filter_set *)run->compiled_filters)->captured, name, value);
		free(name);
		free(scoped);
	}
	free(key);
	free(value);
	pcre2_match_data_free(md);
}

static void on_line(void *ctx, int stream, const char *text, size_t len)
{
	struct step_run *run = ctx;
	struct filter_set *set = run->compiled_filters;
	enum log_level level = stream == 2 ? LEVEL_ERROR : LEVEL_NORMAL;

	if (set && level == LEVEL_NORMAL)
		for (size_t i = 0; i < set->len; i++)
			capture(run, &set->items[i], text, len);
	exec_emit(run->ex, run, level, text, len);
}

static void on_batch(void *ctx)
{
	struct step_run *run = ctx;

	for (struct execution *e = run->ex; e; e = e->parent) {
		if (e->log)
			exec_log_flush(e->log);
		engine_notify(e->eng, e->rec.id, NOTIFY_LOG);
	}
}

static void report_data(struct step_run *run)
{
	struct filter_set *set = run->compiled_filters;
	bool wanted = false;

	for (size_t i = 0; set && i < set->len; i++)
		wanted |= set->items[i].log_data;
	if (!wanted || set->captured.len == 0)
		return;
	for (size_t i = 0; i < set->captured.len; i++)
		exec_note(run->ex, "%s = %s", set->captured.items[i].name,
			  set->captured.items[i].value);
}

/*
 * Hand the outcome to the workflow on the loop's next turn, so that steps
 * that end at once (built-in plugins, failures to start) never nest calls.
 */
static void complete(struct step_run *run, bool ok, int code, const char *reason,
		     const char *message)
{
	struct step_result result = { ok, code, reason ? xstrdup(reason) : NULL,
				      message ? xstrdup(message) : NULL };

	report_data(run);
	engine_queue_completion(run->ex->eng, run, &result);
}

static void on_proc_exit(void *ctx, int exit_code, int signal)
{
	struct step_run *run = ctx;
	struct execution *ex = run->ex;
	char message[64];

	vars_setf(&ex->vars, "exec.exitCode", "%d", exit_code);
	{
		char name[48];

		snprintf(name, sizeof(name), "%zu:exec.exitCode", run->index + 1);
		vars_setf(&ex->vars, name, "%d", exit_code);
	}
	run->proc = NULL;
	leftovers_clear(ex->eng, run->leftover_slot);
	ex->rec.pgid = 0;
	if (signal)
		snprintf(message, sizeof(message), "Killed by signal %d", signal);
	else
		snprintf(message, sizeof(message), "Result code was %d", exit_code);
	complete(run, exit_code == 0, exit_code, exit_code ? "NonZeroResultCode" : NULL,
		 exit_code ? message : NULL);
}

/* Environment: the daemon's, then RD_* for the data context. */
static char **build_env(const struct vars *vars)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + vars->len + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "RD_", 3) != 0)
			env[k++] = xstrdup(environ[i]);
	for (size_t i = 0; i < vars->len; i++) {
		char *name;

		if (strchr(vars->items[i].name, ':'))
			continue;
		name = vars_env_name(vars->items[i].name);
		env[k++] = xasprintf("%s=%s", name, vars->items[i].value);
		free(name);
	}
	env[k] = NULL;
	return env;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/*
 * A command line of plain words, where /bin/sh would only look the program
 * up in PATH and run it, is run directly, which saves starting a shell.
 * Anything a shell would interpret (quotes, $, globs, redirections,
 * builtins such as exit or cd, echo with its own option rules) goes
 * through /bin/sh -c, as in Rundeck.
 */
static bool is_plain_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_./=:,+@%-", s[i]))
			return false;
	return n > 0;
}

static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = xasprintf("%s/%s", *dir ? dir : ".", name);
		struct stat st;

		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0)
			found = candidate;
		else
			free(candidate);
	}
	free(dirs);
	return found;
}

/* find_program with a cache: the daemon's PATH does not change. */
static char *cached_program(struct engine *eng, const char *name)
{
	char *path;

	for (size_t i = 0; i < eng->n_programs; i++)
		if (!strcmp(eng->program_names[i], name))
			return xstrdup(eng->program_paths[i]);
	path = find_program(name);
	if (path && eng->n_programs < 256) {
		eng->program_names = xrealloc(eng->program_names,
					      (eng->n_programs + 1) * sizeof(char *));
		eng->program_paths = xrealloc(eng->program_paths,
					      (eng->n_programs + 1) * sizeof(char *));
		eng->program_names[eng->n_programs] = xstrdup(name);
		eng->program_paths[eng->n_programs] = xstrdup(path);
		eng->n_programs++;
	}
	return path;
}

static char **direct_argv(struct engine *eng, const char *line, char **program)
{
	static const char *const shell_words[] = {
		"exit", "cd", "export", "set", "unset", "source", ".", "eval", "exec", "read",
		"ulimit", "umask", "alias", "wait", "trap", "shift", "return", "break", "continue",
		"local", "echo", "printf", "times", "type", "hash", "command", "getopts", NULL,
	};
	struct arg_list words = ARG_LIST_INIT;
	char **argv;

	*program = NULL;
	for (const char *p = line; *p; p++)
		if (*p != ' ' && !is_plain_word(p, 1))
			return NULL;
	if (args_split(line, &words, NULL) || words.len == 0)
		return NULL;
	for (size_t i = 0; shell_words[i]; i++) {
		if (!strcmp(words.words[0].text, shell_words[i])) {
			args_release(&words);
			return NULL;
		}
	}
	*program = cached_program(eng, words.words[0].text);
	if (!*program) {
		args_release(&words);
		return NULL;
	}
	argv = xcalloc(words.len + 1, sizeof(char *));
	for (size_t i = 0; i < words.len; i++)
		argv[i] = words.words[i].text;
	free(words.words);
	return argv;
}

/* Run line with /bin/sh -c, or directly when allow_direct and it is plain words. */
static void spawn_shell(struct step_run *run, const char *line, bool allow_direct)
{
	struct execution *ex = run->ex;
	struct jf_error err = JF_ERROR_INIT;
	char *program = NULL;
	char **direct = allow_direct ? direct_argv(ex->eng, line, &program) : NULL;
	char *shell_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)line, NULL };
	char **env = build_env(&ex->vars);
	struct proc_spec spec = { direct ? program : "/bin/sh", direct ? direct : shell_argv, env,
				  ex->eng->work_dir };
	struct proc_callbacks cb = { on_line, on_batch, on_proc_exit };
	int rc = proc_start(&ex->eng->loop, &spec, &cb, run, &run->proc, &err);

	free_strv(env);
	free_strv(direct);
	free(program);
	if (rc) {
		exec_note(ex, "%s", err.message);
		complete(run, false, -1, "ExecutionFailure", err.message);
		return;
	}
	/* Recorded so that a daemon started after a crash can end this group. */
	ex->rec.pgid = proc_pid(run->proc);
	run->leftover_slot = leftovers_note(ex, proc_pid(run->proc));
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
			complete(run, false, -1, "ConfigurationFailure", err.message);
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
	spawn_shell(run, sb_str(&line), false);
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

static void start_inline_script(struct step_run *run, const char *source)
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
		complete(run, false, -1, "ExecutionFailure", err.message);
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

		complete(run, false, -1, "ScriptFileFailure", message);
		free(message);
	} else if (run->step->expand_tokens) {
		start_inline_script(run, sb_str(&source));
	} else {
		struct jf_error err = JF_ERROR_INIT;

		run->script_path = write_script(run, sb_str(&source), &err);
		if (run->script_path)
			run_script(run, run->script_path);
		else
			complete(run, false, -1, "ScriptFileFailure", err.message);
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
		complete(run, false, -1, "ScriptFileFailure", message);
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

static void start_exec(struct step_run *run, const char *command)
{
	struct strbuf line = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	if (vars_expand_command(&run->ex->vars, command, &line, &err))
		complete(run, false, -1, "ConfigurationFailure", err.message);
	else
		spawn_shell(run, sb_str(&line), true);
	sb_release(&line);
}

/* ---- built-in step plugins -------------------------------------------------- */

static const char *plugin_text(struct step_run *run, const char *key, struct strbuf *out)
{
	const char *raw = config_text(run->step->plugin_config, key);

	sb_reset(out);
	if (!raw)
		return NULL;
	vars_expand_text(&run->ex->vars, raw, out);
	return sb_str(out);
}

/* flow-control: halt the workflow, successfully or not. */
static void run_flow_control(struct step_run *run)
{
	struct strbuf status = STRBUF_INIT;
	bool halt = config_bool(run->step->plugin_config, "halt");
	bool fail = config_bool(run->step->plugin_config, "fail");
	const char *custom = plugin_text(run, "status", &status);

	if (!halt) {
		complete(run, true, 0, NULL, NULL);
	} else if (fail) {
		exec_note(run->ex, "flow control: halt%s%s", custom ? " with status " : "",
			  custom ? custom : "");
		run->ex->halted = true;
		complete(run, false, 1, "FlowControlHalt", "halted by the flow-control step");
	} else {
		exec_note(run->ex, "flow control: halt with success");
		run->ex->halted = true;
		complete(run, true, 0, NULL, NULL);
	}
	sb_release(&status);
}

/* export-var: set ${export.NAME} (and ${globals.NAME}) for later steps. */
static void run_export_var(struct step_run *run)
{
	struct strbuf name = STRBUF_INIT, value = STRBUF_INIT, group = STRBUF_INIT;
	const char *export = plugin_text(run, "export", &name);
	const char *val = plugin_text(run, "value", &value);
	const char *grp = plugin_text(run, "group", &group);

	if (!export || !*export) {
		complete(run, false, -1, "ConfigurationFailure",
			 "export-var needs an 'export' setting: the variable's name");
	} else {
		char *key = xasprintf("%s.%s", grp && *grp ? grp : "export", export);
		char *global = xasprintf("globals.%s", export);

		vars_set(&run->ex->vars, key, val ? val : "");
		vars_set(&run->ex->vars, global, val ? val : "");
		free(key);
		free(global);
		complete(run, true, 0, NULL, NULL);
	}
	sb_release(&name);
	sb_release(&value);
	sb_release(&group);
}

static void run_plugin(struct step_run *run)
{
	const char *type = run->step->plugin_type;
	struct strbuf text = STRBUF_INIT;

	if (!strcmp(type, "localexec") || !strcmp(type, "exec-command")) {
		const char *cmd = plugin_text(run, !strcmp(type, "localexec") ? "command"
									 : "adhocRemoteString",
					      &text);

		if (cmd)
			start_exec(run, config_text(run->step->plugin_config,
						    !strcmp(type, "localexec") ? "command"
									       : "adhocRemoteString"));
		else
			complete(run, false, -1, "ConfigurationFailure",
				 "the step plugin has no command to run");
	} else if (!strcmp(type, "script-inline")) {
		const char *body = config_text(run->step->plugin_config, "adhocLocalString");

		if (body)
			start_inline_script(run, body);
		else
			complete(run, false, -1, "ConfigurationFailure",
				 "script-inline needs an 'adhocLocalString' setting");
	} else if (!strcmp(type, "flow-control")) {
		run_flow_control(run);
	} else if (!strcmp(type, "export-var")) {
		run_export_var(run);
	} else {
		char *message = xasprintf(
			"unknown step plugin type '%s': jobfs runs exec, script, scriptfile, "
			"scripturl, jobref and the plugins localexec, exec-command, script-inline, "
			"flow-control and export-var; change the step, then resume",
			type);

		exec_note(run->ex, "%s", message);
		complete(run, false, -1, "PluginNotFound", message);
		free(message);
	}
	sb_release(&text);
}

/* ---- job references ------------------------------------------------------------ */

static struct catalog_job *find_referenced(struct execution *ex, const struct jobref *ref,
					   struct jf_error *err)
{
	struct engine *eng = ex->eng;
	struct catalog_job *cj = NULL;
	struct strbuf name = STRBUF_INIT, group = STRBUF_INIT;

	if (!ref->use_name && ref->uuid) {
		cj = catalog_find_uuid(eng, ref->uuid);
		if (!cj)
			jf_fail(err, JF_NOT_FOUND, "job reference: no job with uuid '%s'", ref->uuid);
		return cj;
	}
	vars_expand_text(&ex->vars, ref->name ? ref->name : "", &name);
	vars_expand_text(&ex->vars, ref->group ? ref->group : "", &group);
	cj = catalog_find_path(eng, sb_str(&group), sb_str(&name));
	if (!cj && ref->uuid)
		cj = catalog_find_uuid(eng, ref->uuid);
	if (!cj)
		jf_fail(err, JF_NOT_FOUND, "job reference: no job '%s%s%s'", sb_str(&group),
			group.len ? "/" : "", sb_str(&name));
	sb_release(&name);
	sb_release(&group);
	return cj;
}

static int check_cycle(struct execution *ex, const struct job *target, struct jf_error *err)
{
	struct strbuf chain = STRBUF_INIT;
	bool cycle = false;

	for (struct execution *e = ex; e; e = e->parent)
		cycle |= !strcmp(e->job->uuid, target->uuid);
	if (!cycle && ex->depth < 32)
		return 0;
	for (struct execution *e = ex; e; e = e->parent) {
		char *path = job_path(e->job);

		sb_addf(&chain, "%s%s", chain.len ? " <- " : "", path);
		free(path);
	}
	{
		char *path = job_path(target);
		int rc = jf_fail(err, JF_INVALID,
				 "job reference cycle: '%s' is already running in the chain %s",
				 path, sb_str(&chain));

		free(path);
		sb_release(&chain);
		return rc;
	}
}

static int reference_options(struct execution *ex, const struct jobref *ref,
			     const struct job *target, json_t **values, struct jf_error *err)
{
	struct arg_list words = ARG_LIST_INIT;
	json_t *requested = NULL;
	int rc;

	if (args_split(ref->args ? ref->args : "", &words, err))
		return err->code;
	for (size_t i = 0; i < words.len; i++) {
		struct strbuf expanded = STRBUF_INIT;

		vars_expand_text(&ex->vars, words.words[i].text, &expanded);
		free(words.words[i].text);
		words.words[i].text = sb_detach(&expanded, NULL);
	}
	rc = args_to_options(&words, &requested, err);
	args_release(&words);
	if (rc)
		return rc;
	if (ref->import_options) {
		for (size_t i = 0; i < target->n_options; i++) {
			const char *name = target->options[i].name;
			json_t *mine = json_object_get(ex->options, name);

			if (mine && !json_object_get(requested, name))
				json_object_set(requested, name, mine);
		}
	}
	rc = options_resolve(target, requested, values, err);
	json_decref(requested);
	return rc;
}

struct execution *jobref_start(struct execution *parent, struct step_run *run,
			       struct jf_error *err)
{
	struct engine *eng = parent->eng;
	const struct jobref *ref = &run->step->ref;
	struct catalog_job *cj = find_referenced(parent, ref, err);
	struct execution *child;
	json_t *values = NULL;
	struct step_state *s;

	if (!cj || check_cycle(parent, cj->job, err))
		return NULL;
	if (!cj->job->execution_enabled && ref->fail_on_disable) {
		jf_fail(err, JF_REFUSED, "job reference: '%s/%s' has execution disabled",
			cj->job->group, cj->job->name);
		return NULL;
	}
	if (reference_options(parent, ref, cj->job, &values, err))
		return NULL;
	child = exec_new(eng, cj->job, values);
	child->parent = parent;
	child->parent_run = run;
	child->depth = parent->depth + 1;
	child->rec.parent_id = parent->rec.id;
	if (exec_create(child, err)) {
		exec_free(child);
		return NULL;
	}
	eng->execs = xrealloc(eng->execs, (eng->n_execs + 1) * sizeof(*eng->execs));
	eng->execs[eng->n_execs++] = child;
	s = &parent->state->steps[run->index];
	if (!run->is_handler) {
		wf_state_free(s->sub);
		s->sub = wf_state_ref(child->state);
		s->sub_execution = child->rec.id;
	}
	exec_note(parent, "running job '%s/%s' as execution %lld", cj->job->group, cj->job->name,
		  (long long)child->rec.id);
	engine_notify(eng, child->rec.id, NOTIFY_EXECUTIONS);
	exec_begin(child);
	return child;
}

void jobref_finished(struct step_run *run, struct execution *child)
{
	bool ok = child->rec.status == ST_SUCCEEDED;
	char *message = ok ? NULL
			   : xasprintf("job '%s/%s' (execution %lld) ended %s", child->job->group,
				       child->job->name, (long long)child->rec.id,
				       exec_status_name(child->rec.status));

	run->child = NULL;
	complete(run, ok, ok ? 0 : 1, ok ? NULL : "JobFailed", message);
	free(message);
}

static void start_jobref(struct step_run *run)
{
	struct jf_error err = JF_ERROR_INIT;

	run->child = jobref_start(run->ex, run, &err);
	if (!run->child) {
		exec_note(run->ex, "%s", err.message);
		complete(run, false, -1, err.code == JF_NOT_FOUND ? "NotFound" : "JobFailed",
			 err.message);
	}
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
		start_exec(run, step->command);
		break;
	case STEP_SCRIPT:
		start_inline_script(run, step->command);
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
		start_jobref(run);
		break;
	case STEP_PLUGIN:
		run_plugin(run);
		break;
	}
}

void step_start(struct execution *ex, const struct step *step, size_t index, bool is_handler,
		step_done_fn done)
{
	struct step_run *run = xcalloc(1, sizeof(*run));
	struct filter_set *set = xcalloc(1, sizeof(*set));

	run->ex = ex;
	run->step = step;
	run->index = index;
	run->is_handler = is_handler;
	run->done = done;
	snprintf(run->ctx, sizeof(run->ctx), "%zu%s", index + 1, is_handler ? "e" : "");
	run->meta = build_meta(run);
	add_filters(set, ex->job->filters, ex->job->n_filters, ex);
	add_filters(set, step->filters, step->n_filters, ex);
	run->compiled_filters = set;
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
	free_filters(run->compiled_filters);
	free(run->meta);
	free(run);
}
