/*
 * step_process.c - a step's child process: its environment, the choice
 * between a direct exec and /bin/sh -c, its output lines, and its exit.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argstring.h"
#include "internal.h"

extern char **environ;

static void on_line(void *ctx, int stream, const char *text, size_t len)
{
	struct step_run *run = ctx;
	enum log_level level = stream == 2 ? LEVEL_ERROR : LEVEL_NORMAL;

	/* Only standard output, Rundeck's NORMAL level, is filtered. */
	if (level == LEVEL_NORMAL)
		logfilter_line(run, text, len);
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
	step_complete(run, exit_code == 0, exit_code, exit_code ? "NonZeroResultCode" : NULL,
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
void step_spawn(struct step_run *run, const char *line, bool allow_direct)
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
		step_complete(run, false, -1, "ExecutionFailure", err.message);
		return;
	}
	/* Recorded so that a daemon started after a crash can end this group. */
	ex->rec.pgid = proc_pid(run->proc);
	run->leftover_slot = leftovers_note(ex, proc_pid(run->proc));
}

