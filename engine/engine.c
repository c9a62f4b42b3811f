/*
 * engine.c - the engine's lifecycle, its loop thread, and the API calls
 * for runs, kills and execution queries.
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "options.h"
#include "logging.h"

enum { RECENT_KEPT = 256 };

void engine_notify(struct engine *eng, int64_t id, unsigned what)
{
	if (eng->notify)
		eng->notify(eng->notify_ctx, id, what);
}

struct execution *engine_find_exec(struct engine *eng, int64_t id)
{
	for (size_t i = 0; i < eng->n_execs; i++)
		if (eng->execs[i]->rec.id == id)
			return eng->execs[i];
	return NULL;
}

void engine_queue_action(struct engine *eng, enum action_kind kind, int64_t exec_id)
{
	struct action *a = xcalloc(1, sizeof(*a));

	a->kind = kind;
	a->exec_id = exec_id;
	*eng->actions_tail = a;
	eng->actions_tail = &a->next;
	if (eng->thread_started)
		uv_async_send(&eng->wake);
}

void engine_queue_completion(struct engine *eng, struct step_run *run,
			     struct step_result *result)
{
	struct action *a = xcalloc(1, sizeof(*a));

	a->kind = ACTION_STEP_DONE;
	a->run = run;
	a->result = *result;
	memset(result, 0, sizeof(*result));
	*eng->actions_tail = a;
	eng->actions_tail = &a->next;
	uv_async_send(&eng->wake);
}

/* Forget finished executions beyond the newest RECENT_KEPT of them. */
static void prune_finished(struct engine *eng)
{
	size_t finished = 0;

	for (size_t i = 0; i < eng->n_execs; i++)
		finished += eng->execs[i]->finished && !eng->execs[i]->parent;
	for (size_t i = 0; i < eng->n_execs && finished > RECENT_KEPT;) {
		struct execution *ex = eng->execs[i];

		if (ex->finished && ex->timers_open == 0 && ex->running == 0 && !ex->parent) {
			memmove(&eng->execs[i], &eng->execs[i + 1],
				(eng->n_execs - i - 1) * sizeof(ex));
			eng->n_execs--;
			finished--;
			exec_free(ex);
			continue;
		}
		i++;
	}
}

static void run_action(struct engine *eng, struct action *a)
{
	struct execution *ex = engine_find_exec(eng, a->exec_id);

	switch (a->kind) {
	case ACTION_START:
		if (ex && !ex->finished)
			exec_begin(ex);
		break;
	case ACTION_KILL:
		if (ex && !ex->finished)
			exec_request_stop(ex, STOP_KILL);
		break;
	case ACTION_STOP:
		for (size_t i = 0; i < eng->n_execs; i++)
			if (!eng->execs[i]->finished)
				exec_request_stop(eng->execs[i], STOP_SHUTDOWN);
		break;
	case ACTION_STEP_DONE:
		a->run->done(a->run, &a->result);
		step_result_release(&a->result);
		break;
	}
}

static bool all_finished(struct engine *eng)
{
	for (size_t i = 0; i < eng->n_execs; i++) {
		struct execution *ex = eng->execs[i];

		if (!ex->finished && ex->rec.status != ST_SCHEDULED)
			return false;
		if (ex->running > 0)
			return false;
	}
	return true;
}

static void close_exec_timers(struct engine *eng)
{
	for (size_t i = 0; i < eng->n_execs; i++)
		exec_close_timers(eng->execs[i]);
}

static void on_wake(uv_async_t *async)
{
	struct engine *eng = async->data;

	pthread_mutex_lock(&eng->lock);
	while (eng->actions) {
		struct action *a = eng->actions;

		eng->actions = a->next;
		if (!eng->actions)
			eng->actions_tail = &eng->actions;
		run_action(eng, a);
		free(a);
	}
	prune_finished(eng);
	if (eng->stopping && all_finished(eng)) {
		close_exec_timers(eng);
		uv_close((uv_handle_t *)&eng->wake, NULL);
	}
	pthread_mutex_unlock(&eng->lock);
}

static void *loop_main(void *arg)
{
	struct engine *eng = arg;

	uv_run(&eng->loop, UV_RUN_DEFAULT);
	return NULL;
}

static char *default_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

static void load_job(void *ctx, int64_t id, const char *definition)
{
	struct engine *eng = ctx;
	struct jf_error err = JF_ERROR_INIT;
	json_t *map = json_loads(definition, 0, NULL);
	struct job *job = map ? job_parse(map, 1, NULL, &err) : NULL;

	json_decref(map);
	if (!job) {
		log_error("job %lld in the database cannot be loaded: %s", (long long)id,
			  map ? err.message : "invalid JSON");
		return;
	}
	job->id = id;
	catalog_put(eng, job);
}

static int prepare_dirs(struct engine *eng, struct jf_error *err)
{
	int rc;

	if ((rc = mkdir_p(eng->store_dir, 0700)) != 0)
		return jf_fail(err, JF_IO, "unable to create the store folder '%s': %s",
			       eng->store_dir, strerror(rc));
	if ((rc = mkdir_p(eng->log_dir, 0700)) != 0)
		return jf_fail(err, JF_IO, "unable to create the log storage folder '%s': %s",
			       eng->log_dir, strerror(rc));
	{
		char *run = xasprintf("%s/run", eng->store_dir);

		rc = mkdir_p(run, 0700);
		free(run);
		if (rc)
			return jf_fail(err, JF_IO, "unable to create the folder '%s/run': %s",
				       eng->store_dir, strerror(rc));
	}
	if ((rc = mkdir_p(eng->tmp_dir, 0700)) != 0)
		return jf_fail(err, JF_IO, "unable to create the folder '%s': %s", eng->tmp_dir,
			       strerror(rc));
	return 0;
}

int engine_open(const struct engine_config *config, struct engine **out, struct jf_error *err)
{
	struct engine *eng = xcalloc(1, sizeof(*eng));
	const char *home = getenv("HOME");
	char *db_path;

	*out = NULL;
	pthread_mutex_init(&eng->lock, NULL);
	eng->store_dir = xstrdup(config->store_dir);
	eng->log_dir = config->log_dir ? xstrdup(config->log_dir)
				       : xasprintf("%s/logs", config->store_dir);
	eng->tmp_dir = xasprintf("%s/tmp", config->store_dir);
	if (config->work_dir)
		eng->work_dir = xstrdup(config->work_dir);
	else
		eng->work_dir = xstrdup(home && *home ? home : "/");
	eng->sync_full = config->sync_full;
	eng->kill_grace_ms = config->kill_grace_ms ? config->kill_grace_ms : 5000;
	eng->notify = config->notify;
	eng->notify_ctx = config->notify_ctx;
	eng->user = default_user();
	eng->next_folder_id = FOLDER_ROOT;
	eng->actions_tail = &eng->actions;
	eng->leftovers_fd = -1;
	proc_boot_id(eng->boot_id, sizeof(eng->boot_id));
	catalog_folder_for(eng, "");
	if (prepare_dirs(eng, err)) {
		engine_close(eng);
		return err->code;
	}
	db_path = xasprintf("%s/jobfs.db", eng->store_dir);
	if (store_open(db_path, eng->sync_full, &eng->store, err) ||
	    store_jobs_load(eng->store, load_job, eng, err)) {
		free(db_path);
		engine_close(eng);
		return err->code;
	}
	free(db_path);
	recovery_run(eng);
	*out = eng;
	return 0;
}

int engine_start(struct engine *eng, struct jf_error *err)
{
	int rc;

	uv_loop_init(&eng->loop);
	uv_async_init(&eng->loop, &eng->wake, on_wake);
	eng->wake.data = eng;
	rc = pthread_create(&eng->thread, NULL, loop_main, eng);
	if (rc != 0)
		return jf_fail(err, JF_IO, "unable to start the engine thread: %s", strerror(rc));
	pthread_mutex_lock(&eng->lock);
	eng->thread_started = true;
	if (eng->actions)
		uv_async_send(&eng->wake);
	pthread_mutex_unlock(&eng->lock);
	return 0;
}

void engine_stop(struct engine *eng)
{
	if (!eng->thread_started)
		return;
	pthread_mutex_lock(&eng->lock);
	eng->stopping = true;
	engine_queue_action(eng, ACTION_STOP, 0);
	pthread_mutex_unlock(&eng->lock);
	pthread_join(eng->thread, NULL);
	eng->thread_started = false;
	uv_loop_close(&eng->loop);
}

void engine_close(struct engine *eng)
{
	if (!eng)
		return;
	for (size_t i = 0; i < eng->n_execs; i++)
		exec_free(eng->execs[i]);
	free(eng->execs);
	for (size_t i = 0; i < eng->n_jobs; i++)
		job_unref(eng->jobs[i].job);
	free(eng->jobs);
	for (size_t i = 0; i < eng->n_folders; i++)
		free(eng->folders[i].path);
	free(eng->folders);
	for (size_t i = 0; i < eng->n_notes; i++)
		free(eng->notes[i].text);
	free(eng->notes);
	while (eng->actions) {
		struct action *a = eng->actions;

		eng->actions = a->next;
		free(a);
	}
	for (size_t i = 0; i < eng->n_programs; i++) {
		free(eng->program_names[i]);
		free(eng->program_paths[i]);
	}
	free(eng->program_names);
	free(eng->program_paths);
	free(eng->slots_used);
	if (eng->leftovers_fd >= 0)
		close(eng->leftovers_fd);
	store_close(eng->store);
	free(eng->store_dir);
	free(eng->log_dir);
	free(eng->tmp_dir);
	free(eng->work_dir);
	free(eng->user);
	pthread_mutex_destroy(&eng->lock);
	free(eng);
}

const char *engine_log_dir(const struct engine *eng)
{
	return eng->log_dir;
}

/* ---- errors ---------------------------------------------------------------- */

static const char *const scope_names[] = { "folder", "job", "execution" };

void engine_note_error(struct engine *eng, enum error_scope scope, int64_t id,
		       const char *action, const struct jf_error *err)
{
	char when[32];
	char *text;

	format_utc(now_ms(), when);
	text = xasprintf("%s %s rejected: %s\n", when, action, err->message);
	log_warning("%s %lld: %s rejected: %s", scope_names[scope], (long long)id, action,
		    err->message);
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->n_notes; i++) {
		if (eng->notes[i].scope == scope && eng->notes[i].id == id) {
			free(eng->notes[i].text);
			eng->notes[i].text = text;
			pthread_mutex_unlock(&eng->lock);
			return;
		}
	}
	eng->notes = xrealloc(eng->notes, (eng->n_notes + 1) * sizeof(*eng->notes));
	eng->notes[eng->n_notes++] = (struct error_note){ scope, id, text };
	pthread_mutex_unlock(&eng->lock);
}

char *engine_last_error(struct engine *eng, enum error_scope scope, int64_t id)
{
	char *text = NULL;

	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->n_notes && !text; i++)
		if (eng->notes[i].scope == scope && eng->notes[i].id == id)
			text = xstrdup(eng->notes[i].text);
	pthread_mutex_unlock(&eng->lock);
	return text ? text : xstrdup("");
}

/* ---- runs ------------------------------------------------------------------ */

/* Register ex and queue its start; the caller holds the lock. */
int engine_launch(struct engine *eng, struct execution *ex, int64_t *id, struct jf_error *err)
{
	if (exec_create(ex, err)) {
		exec_free(ex);
		return err->code;
	}
	eng->execs = xrealloc(eng->execs, (eng->n_execs + 1) * sizeof(*eng->execs));
	eng->execs[eng->n_execs++] = ex;
	*id = ex->rec.id;
	engine_queue_action(eng, ACTION_START, ex->rec.id);
	engine_notify(eng, ex->rec.id, NOTIFY_EXECUTIONS);
	return 0;
}

int engine_run(struct engine *eng, int64_t job_id, const char *request, size_t len,
	       int64_t *exec_id, struct jf_error *err)
{
	struct catalog_job *cj;
	json_t *requested = NULL, *values = NULL;
	int rc;

	*exec_id = 0;
	if (request_parse(request, len, &requested, err))
		return err->code;
	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	if (!cj)
		rc = jf_fail(err, JF_NOT_FOUND, "the job was deleted");
	else if (eng->stopping)
		rc = jf_fail(err, JF_BUSY, "jobfs is shutting down; run the job after the restart");
	else if (!cj->job->execution_enabled)
		rc = jf_fail(err, JF_REFUSED,
			     "the job has executionEnabled: false; set it to true to run it");
	else
		rc = options_resolve(cj->job, requested, &values, err);
	if (rc == 0)
		rc = engine_launch(eng, exec_new(eng, cj->job, values), exec_id, err);
	pthread_mutex_unlock(&eng->lock);
	json_decref(requested);
	return rc;
}

int engine_kill(struct engine *eng, int64_t exec_id, struct jf_error *err)
{
	struct execution *ex;
	struct exec_record rec;
	int rc = 0;

	pthread_mutex_lock(&eng->lock);
	ex = engine_find_exec(eng, exec_id);
	if (ex && !ex->finished) {
		engine_queue_action(eng, ACTION_KILL, exec_id);
		log_notice("execution %lld: kill requested", (long long)exec_id);
	} else if (store_exec_get(eng->store, exec_id, &rec, err) == 0) {
		rc = jf_fail(err, JF_REFUSED, "execution %lld already ended %s; nothing to kill",
			     (long long)exec_id, exec_status_name(rec.status));
		record_release(&rec);
	} else {
		rc = err->code;
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

/* ---- queries --------------------------------------------------------------- */

static void view_from_record(struct engine *eng, const struct exec_record *rec,
			     struct exec_view *out)
{
	struct catalog_job *cj = catalog_find_uuid(eng, rec->job_uuid);

	out->id = rec->id;
	out->status = rec->status;
	out->final = exec_status_final(rec->status);
	out->job_id = cj ? cj->job->id : 0;
	out->resumed_from = rec->resumed_from;
	out->resumed_by = rec->resumed_by;
	out->retry_of = rec->retry_of;
	out->started = rec->started;
	out->mtime_ms = rec->ended ? rec->ended : rec->started;
	out->has_resume_state = rec->resumable;
}

int engine_exec_view(struct engine *eng, int64_t id, struct exec_view *out)
{
	struct execution *ex;
	struct exec_record rec;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&eng->lock);
	ex = engine_find_exec(eng, id);
	if (ex) {
		view_from_record(eng, &ex->rec, out);
		out->final = ex->finished;
		out->mtime_ms = ex->mtime;
		out->log_size = ex->log ? exec_log_size(ex->log) : -1;
	} else if ((rc = store_exec_get(eng->store, id, &rec, NULL)) == 0) {
		view_from_record(eng, &rec, out);
		out->log_size = -1;
		record_release(&rec);
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

int64_t engine_exec_log_size(struct engine *eng, int64_t id)
{
	char *path = logstore_path(eng->log_dir, id, "log");
	struct stat st;
	int64_t size = stat(path, &st) == 0 ? st.st_size : 0;

	free(path);
	return size;
}

int engine_exec_list(struct engine *eng, int64_t after, int64_t *ids, size_t max, size_t *n)
{
	return store_exec_list(eng->store, after, NULL, ids, max, n, NULL);
}

int engine_job_executions(struct engine *eng, int64_t job_id, int64_t after, int64_t *ids,
			  size_t max, size_t *n)
{
	struct catalog_job *cj;
	char *uuid;

	*n = 0;
	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	uuid = cj ? xstrdup(cj->job->uuid) : NULL;
	pthread_mutex_unlock(&eng->lock);
	if (!uuid)
		return JF_NOT_FOUND;
	store_exec_list(eng->store, after, uuid, ids, max, n, NULL);
	free(uuid);
	return 0;
}

int engine_exec_open_log(struct engine *eng, int64_t id, int *fd)
{
	char *path = logstore_path(eng->log_dir, id, "log");

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	return *fd < 0 ? JF_NOT_FOUND : 0;
}

int engine_exec_events(struct engine *eng, int64_t id, size_t cursor, struct strbuf *out,
		       size_t *next, bool *done)
{
	struct execution *ex;
	struct exec_record rec;
	int rc = 0;

	*done = false;
	*next = cursor;
	pthread_mutex_lock(&eng->lock);
	ex = engine_find_exec(eng, id);
	if (ex) {
		if (cursor < ex->n_events)
			sb_adds(out, sb_str(&ex->events) + ex->event_offsets[cursor]);
		*next = ex->n_events;
		*done = ex->finished;
	} else if ((rc = store_exec_get(eng->store, id, &rec, NULL)) == 0) {
		if (cursor == 0)
			sb_addf(out, "%s\n", exec_status_name(rec.status));
		*next = cursor + 1;
		*done = exec_status_final(rec.status);
		record_release(&rec);
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}
