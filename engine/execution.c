/*
 * execution.c - one execution from creation to its final status: the
 * record, the log, the state file, wait events, stop requests and retries.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "argstring.h"
#include "internal.h"
#include "logging.h"
#include "options.h"

enum { STATE_WRITE_INTERVAL_MS = 1000 };

static void collect_secrets(struct execution *ex)
{
	for (size_t i = 0; i < ex->job->n_options; i++) {
		const struct option_def *def = &ex->job->options[i];
		const char *value = json_string_value(json_object_get(ex->options, def->name));

		if (!def->secure || !value || !*value)
			continue;
		ex->secrets = xrealloc(ex->secrets, (ex->n_secrets + 1) * sizeof(char *));
		ex->secrets[ex->n_secrets++] = xstrdup(value);
	}
}

/* The option values without secure ones, as stored and shown, as JSON text. */
static char *public_options(const struct execution *ex)
{
	json_t *copy = exec_public_options(ex, NULL);
	char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(copy);
	return text;
}

struct execution *exec_new(struct engine *eng, struct job *job, json_t *options)
{
	struct execution *ex = xcalloc(1, sizeof(*ex));
	bool *node_steps = xcalloc(job->n_steps ? job->n_steps : 1, sizeof(bool));

	ex->eng = eng;
	ex->job = job;
	job_ref(job);
	ex->options = options ? options : json_object();
	ex->rec.job_uuid = xstrdup(job->uuid);
	ex->rec.job_group = xstrdup(job->group);
	ex->rec.job_name = xstrdup(job->name);
	ex->rec.status = ST_RUNNING;
	ex->rec.started = now_ms();
	ex->rec.user = xstrdup(eng->user);
	ex->rec.step_count = (int)job->n_steps;
	ex->rec.argstring = options_argstring(job, ex->options);
	ex->rec.options_json = public_options(ex);
	for (size_t i = 0; i < job->n_steps; i++)
		node_steps[i] = job->steps[i].node_step;
	ex->state = wf_state_new(job->n_steps, node_steps);
	ex->state->node_first = job->strategy == STRATEGY_NODE_FIRST;
	free(node_steps);
	ex->runs = xcalloc(job->n_steps ? job->n_steps : 1, sizeof(*ex->runs));
	collect_secrets(ex);
	ex->mtime = now_ms();
	return ex;
}

int exec_create(struct execution *ex, struct jf_error *err)
{
	struct engine *eng = ex->eng;
	json_t *snapshot;
	char *text;

	if (store_exec_insert(eng->store, &ex->rec, err))
		return err->code;
	if (!ex->rec.retry_initial)
		ex->rec.retry_initial = ex->rec.id;
	if (ex->job->resume_enabled && !ex->parent) {
		snapshot = resume_snapshot(ex->job);
		text = json_dumps(snapshot, JSON_COMPACT);
		json_decref(snapshot);
		store_snapshot_save(eng->store, ex->rec.id, text, NULL);
		free(text);
	}
	ex->log = exec_log_open(eng->log_dir, ex->rec.id, err);
	if (!ex->log)
		return err->code;
	exec_event(ex, "%s", exec_status_name(ex->rec.status));
	return 0;
}

static void on_timer_closed(uv_handle_t *handle)
{
	struct execution *ex = handle->data;

	ex->timers_open--;
}

void exec_close_timers(struct execution *ex)
{
	if (!ex->timers_ready)
		return;
	ex->timers_ready = false;
	uv_close((uv_handle_t *)&ex->timeout_timer, on_timer_closed);
	uv_close((uv_handle_t *)&ex->delay_timer, on_timer_closed);
	uv_close((uv_handle_t *)&ex->state_timer, on_timer_closed);
}

void exec_free(struct execution *ex)
{
	if (!ex)
		return;
	if (ex->log)
		exec_log_close(ex->log, false);
	record_release(&ex->rec);
	job_unref(ex->job);
	json_decref(ex->options);
	for (size_t i = 0; i < ex->n_secrets; i++) {
		explicit_bzero(ex->secrets[i], strlen(ex->secrets[i]));
		free(ex->secrets[i]);
	}
	free(ex->secrets);
	vars_release(&ex->vars);
	wf_state_free(ex->state);
	free(ex->runs);
	json_decref(ex->cp_base);
	json_decref(ex->cp_data);
	json_decref(ex->cp_failed);
	json_decref(ex->failed_checkpoint);
	sb_release(&ex->events);
	free(ex->event_offsets);
	json_decref(ex->resume_state);
	free(ex);
}

void exec_event(struct execution *ex, const char *fmt, ...)
{
	va_list ap;

	if (ex->n_events == ex->events_alloc) {
		ex->events_alloc = ex->events_alloc ? ex->events_alloc * 2 : 16;
		ex->event_offsets = xrealloc(ex->event_offsets,
					     ex->events_alloc * sizeof(*ex->event_offsets));
	}
	ex->event_offsets[ex->n_events] = ex->events.len;
	va_start(ap, fmt);
	sb_vaddf(&ex->events, fmt, ap);
	va_end(ap);
	sb_addc(&ex->events, '\n');
	ex->n_events++;
}

void exec_touch(struct execution *ex, unsigned what)
{
	ex->mtime = now_ms();
	engine_notify(ex->eng, ex->rec.id, what);
}

void exec_save_record(struct execution *ex)
{
	struct jf_error err = JF_ERROR_INIT;

	if (store_exec_update(ex->eng->store, &ex->rec, &err))
		log_error("execution %lld: %s", (long long)ex->rec.id, err.message);
}

int exec_write_state_file(struct execution *ex, bool sync)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *json = wf_state_render(ex->state, ex->rec.id);
	char *text = json_dumps(json, JSON_INDENT(1));
	char *path = logstore_path(ex->eng->log_dir, ex->rec.id, "state.json");
	int rc = write_file_atomic(path, text, strlen(text), 0640, sync, &err);

	if (rc)
		log_error("execution %lld: %s", (long long)ex->rec.id, err.message);
	ex->state_dirty = false;
	ex->state_written = mono_ms();
	free(path);
	free(text);
	json_decref(json);
	return rc;
}

static void on_state_timer(uv_timer_t *timer)
{
	struct execution *ex = timer->data;

	pthread_mutex_lock(&ex->eng->lock);
	if (ex->state_dirty && !ex->finished)
		exec_write_state_file(ex, false);
	pthread_mutex_unlock(&ex->eng->lock);
}

/* Note a state change: wake readers now, write the state file soon. */
void exec_state_changed(struct execution *ex)
{
	int64_t since = mono_ms() - ex->state_written;

	ex->state_dirty = true;
	exec_touch(ex, NOTIFY_STATE);
	if (!ex->timers_ready || ex->finished)
		return;
	if (since >= STATE_WRITE_INTERVAL_MS)
		exec_write_state_file(ex, false);
	else if (!uv_is_active((uv_handle_t *)&ex->state_timer))
		uv_timer_start(&ex->state_timer, on_state_timer,
			       (uint64_t)(STATE_WRITE_INTERVAL_MS - since), 0);
}

/* Replace each secure value in text by [SECURE]. */
static const char *mask_secrets(const struct execution *ex, const char *text, size_t *len,
				struct strbuf *scratch)
{
	bool found = false;

	for (size_t i = 0; i < ex->n_secrets && !found; i++)
		found = memmem(text, *len, ex->secrets[i], strlen(ex->secrets[i])) != NULL;
	if (!found)
		return text;
	sb_reset(scratch);
	sb_add(scratch, text, *len);
	for (size_t i = 0; i < ex->n_secrets; i++) {
		size_t n = strlen(ex->secrets[i]);
		char *hit;

		while ((hit = memmem(scratch->buf, scratch->len, ex->secrets[i], n))) {
			size_t at = (size_t)(hit - scratch->buf);
			struct strbuf rest = STRBUF_INIT;

			sb_add(&rest, hit + n, scratch->len - at - n);
			scratch->len = at;
			sb_adds(scratch, "[SECURE]");
			sb_add(scratch, rest.buf, rest.len);
			sb_release(&rest);
		}
	}
	*len = scratch->len;
	return scratch->buf;
}

char *exec_mask_copy(const struct execution *ex, const char *text)
{
	struct strbuf scratch = STRBUF_INIT;
	size_t len = strlen(text);
	const char *shown = mask_secrets(ex, text, &len, &scratch);
	char *copy = xstrndup(shown, len);

	sb_release(&scratch);
	return copy;
}

/* Write a line to ex's log, and to the logs of the executions above it. */
void exec_emit(struct execution *ex, const struct step_run *run, enum log_level level,
	       const char *text, size_t len)
{
	struct strbuf scratch = STRBUF_INIT;
	const char *shown = mask_secrets(ex, text, &len, &scratch);

	for (struct execution *e = ex; e; e = e->parent) {
		const char *meta = e == ex && run ? run->meta : NULL;

		if (e->log)
			exec_log_line(e->log, level, meta, shown, len);
		e->mtime = now_ms();
	}
	sb_release(&scratch);
}

/* A line jobfs adds to the log itself, marked as such. */
void exec_note(struct execution *ex, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	sb_adds(&sb, "[jobfs] ");
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	exec_emit(ex, NULL, LEVEL_NORMAL, sb.buf, sb.len);
	for (struct execution *e = ex; e; e = e->parent)
		if (e->log)
			exec_log_flush(e->log);
	sb_release(&sb);
}

/* Fill the job, node and option groups of the data context. */
void exec_set_vars(struct execution *ex)
{
	struct vars *v = &ex->vars;
	const struct exec_record *r = &ex->rec;
	const char *key;
	json_t *value;
	char host[256] = "localhost";

	vars_set(v, "job.name", ex->job->name);
	vars_set(v, "job.group", ex->job->group);
	vars_set(v, "job.id", ex->job->uuid);
	vars_set(v, "job.project", ex->job->project ? ex->job->project : "");
	vars_setf(v, "job.execid", "%lld", (long long)r->id);
	vars_set(v, "job.username", r->user);
	vars_set(v, "job.user.name", r->user);
	vars_set(v, "job.loglevel", "INFO");
	vars_set(v, "job.executionType", r->retry_attempt ? "user-scheduled" : "user");
	vars_setf(v, "job.retryAttempt", "%d", r->retry_attempt);
	vars_set(v, "job.wasRetry", r->retry_attempt > 0 ? "true" : "false");
	vars_setf(v, "job.retryInitialExecId", "%lld",
		  (long long)(r->retry_attempt ? r->retry_initial : 0));
	vars_setf(v, "job.retryPrevExecId", "%lld", (long long)r->retry_of);
	gethostname(host, sizeof(host) - 1);
	vars_set(v, "node.name", VARS_LOCAL_NODE);
	vars_set(v, "node.hostname", host);
	vars_set(v, "node.username", r->user);
	vars_set(v, "node.os-family", "unix");
	vars_set(v, "node.os-name", "Linux");
	vars_set(v, "node.description", "the host jobfs runs on");
	json_object_foreach(ex->options, key, value) {
		const struct option_def *def = NULL;
		char *name;

		for (size_t i = 0; i < ex->job->n_options; i++)
			if (!strcmp(ex->job->options[i].name, key))
				def = &ex->job->options[i];
		/* A secure option stays hidden from steps unless it is exposed. */
		if (def && def->secure && !def->value_exposed)
			continue;
		name = xasprintf("option.%s", key);
		vars_set(v, name, json_string_value(value));
		free(name);
	}
}

static void init_timers(struct execution *ex)
{
	uv_loop_t *loop = &ex->eng->loop;

	if (ex->timers_ready)
		return;
	uv_timer_init(loop, &ex->timeout_timer);
	uv_timer_init(loop, &ex->delay_timer);
	uv_timer_init(loop, &ex->state_timer);
	ex->timeout_timer.data = ex->delay_timer.data = ex->state_timer.data = ex;
	ex->timers_ready = true;
	ex->timers_open = 3;
}

static void on_timeout(uv_timer_t *timer)
{
	struct execution *ex = timer->data;

	pthread_mutex_lock(&ex->eng->lock);
	if (!ex->finished) {
		log_notice("execution %lld: timed out after %s", (long long)ex->rec.id,
			   ex->job->timeout);
		exec_note(ex, "timed out after %s", ex->job->timeout);
		exec_request_stop(ex, STOP_TIMEOUT);
	}
	pthread_mutex_unlock(&ex->eng->lock);
}

static void arm_timeout(struct execution *ex)
{
	struct strbuf text = STRBUF_INIT;
	int64_t seconds;

	if (!ex->job->timeout || ex->parent)
		return;
	vars_expand_text(&ex->vars, ex->job->timeout, &text);
	if (duration_parse(sb_str(&text), &seconds) && seconds > 0)
		uv_timer_start(&ex->timeout_timer, on_timeout, (uint64_t)seconds * 1000, 0);
	sb_release(&text);
}

static void on_delay_done(uv_timer_t *timer)
{
	struct execution *ex = timer->data;

	pthread_mutex_lock(&ex->eng->lock);
	if (!ex->finished && ex->rec.status == ST_SCHEDULED)
		exec_begin(ex);
	pthread_mutex_unlock(&ex->eng->lock);
}

/* Start the execution now, or arm its delay if it is a scheduled retry. */
void exec_begin(struct execution *ex)
{
	init_timers(ex);
	if (ex->rec.status == ST_SCHEDULED) {
		int64_t wait = ex->rec.scheduled_at - now_ms();

		if (wait > 0 && !uv_is_active((uv_handle_t *)&ex->delay_timer)) {
			uv_timer_start(&ex->delay_timer, on_delay_done, (uint64_t)wait, 0);
			return;
		}
		if (wait > 0)
			return;
		/* Only a scheduled retry changes its stored row here. */
		ex->rec.status = ST_RUNNING;
		ex->rec.started = now_ms();
		exec_save_record(ex);
	}
	ex->state->start = ex->state->update = ex->rec.started;
	ex->state->status = SS_RUNNING;
	exec_set_vars(ex);
	if (ex->n_events == 0 || strcmp(sb_str(&ex->events), "running\n") != 0)
		exec_event(ex, "running");
	log_notice("execution %lld of job '%s/%s' (%s) started%s", (long long)ex->rec.id,
		   ex->job->group, ex->job->name, ex->job->uuid,
		   ex->rec.retry_attempt ? " as a retry" : "");
	if (ex->rec.resumed_from)
		exec_note(ex, "resuming execution %lld at step %d of %zu",
			  (long long)ex->rec.resumed_from, ex->rec.resume_step, ex->job->n_steps);
	if (ex->rec.retry_attempt)
		exec_note(ex, "retry %d of execution %lld", ex->rec.retry_attempt,
			  (long long)ex->rec.retry_of);
	/* The state file is first written by the throttled writer or at the end. */
	ex->state_written = mono_ms();
	arm_timeout(ex);
	exec_touch(ex, NOTIFY_STATUS);
	wf_start(ex);
}

void exec_request_stop(struct execution *ex, enum stop_request stop)
{
	if (ex->finished || ex->stop != STOP_NONE)
		return;
	/* A retry waiting for its delay stays scheduled for the next start. */
	if (stop == STOP_SHUTDOWN && ex->rec.status == ST_SCHEDULED) {
		if (ex->timers_ready)
			uv_timer_stop(&ex->delay_timer);
		return;
	}
	ex->stop = stop;
	if (stop == STOP_KILL)
		ex->rec.aborted_by = xstrdup(ex->eng->user);
	if (stop == STOP_SHUTDOWN && !ex->parent)
		exec_note(ex, "jobfs is stopping: this execution ends incomplete, and can be "
			      "resumed after the next start");
	if (ex->rec.status == ST_SCHEDULED) {
		if (ex->timers_ready)
			uv_timer_stop(&ex->delay_timer);
		exec_finish(ex, ST_ABORTED);
		return;
	}
	for (size_t i = 0; i < ex->job->n_steps; i++)
		if (ex->runs[i])
			step_stop(ex->runs[i], stop == STOP_SHUTDOWN ? 2000 : ex->eng->kill_grace_ms);
}

/* ---- the end of an execution ----------------------------------------------- */

static int retries_allowed(struct execution *ex)
{
	struct strbuf text = STRBUF_INIT;
	int64_t n = 0;

	if (!ex->job->retry || ex->parent)
		return 0;
	vars_expand_text(&ex->vars, ex->job->retry, &text);
	if (!parse_int64(sb_str(&text), &n) || n < 0) {
		exec_note(ex, "the retry count '%s' is not a whole number; no retry",
			  sb_str(&text));
		n = 0;
	}
	sb_release(&text);
	return n > 1000 ? 1000 : (int)n;
}

static int64_t retry_delay_ms(struct execution *ex)
{
	struct strbuf text = STRBUF_INIT;
	int64_t seconds = 0;

	if (ex->job->retry_delay) {
		vars_expand_text(&ex->vars, ex->job->retry_delay, &text);
		duration_parse(sb_str(&text), &seconds);
	}
	sb_release(&text);
	return seconds * 1000;
}

static bool resume_on_retry(struct execution *ex)
{
	struct strbuf text = STRBUF_INIT;
	bool on;

	if (!ex->job->resume_enabled || !ex->job->resume_on_retry)
		return false;
	vars_expand_text(&ex->vars, ex->job->resume_on_retry, &text);
	on = !strcasecmp(sb_str(&text), "true");
	sb_release(&text);
	return on;
}

/* Create the next attempt of a failed execution, scheduled after the delay. */
static void schedule_retry(struct execution *ex, bool as_resume)
{
	struct engine *eng = ex->eng;
	struct catalog_job *cj = catalog_find_uuid(eng, ex->job->uuid);
	struct execution *next;
	struct jf_error err = JF_ERROR_INIT;
	int64_t id;

	next = exec_new(eng, cj ? cj->job : ex->job, json_deep_copy(ex->options));
	next->rec.status = ST_SCHEDULED;
	next->rec.retry_attempt = ex->rec.retry_attempt + 1;
	next->rec.retry_of = ex->rec.id;
	next->rec.retry_initial = ex->rec.retry_initial ? ex->rec.retry_initial : ex->rec.id;
	next->rec.scheduled_at = now_ms() + retry_delay_ms(ex);
	if (as_resume && resume_prepare_retry(next, ex, &err)) {
		log_warning("execution %lld: the retry starts over: %s", (long long)ex->rec.id,
			    err.message);
		jf_error_clear(&err);
	}
	if (exec_create(next, &err)) {
		log_error("execution %lld: unable to create its retry: %s", (long long)ex->rec.id,
			  err.message);
		exec_free(next);
		return;
	}
	id = next->rec.id;
	if (next->rec.resumed_from)
		ex->rec.resumed_by = id;
	eng->execs = xrealloc(eng->execs, (eng->n_execs + 1) * sizeof(*eng->execs));
	eng->execs[eng->n_execs++] = next;
	exec_note(ex, "retry %d of %s follows as execution %lld%s", next->rec.retry_attempt,
		  ex->job->retry, (long long)id, next->rec.resumed_from ? ", resuming here" : "");
	log_notice("execution %lld: retry %d follows as execution %lld in %lld ms%s",
		   (long long)ex->rec.id, next->rec.retry_attempt, (long long)id,
		   (long long)(next->rec.scheduled_at - now_ms()),
		   next->rec.resumed_from ? ", resuming at the failed step" : "");
	engine_queue_action(eng, ACTION_START, id);
	engine_notify(eng, id, NOTIFY_EXECUTIONS);
}

static enum step_status workflow_status(enum exec_status status)
{
	switch (status) {
	case ST_SUCCEEDED:
		return SS_SUCCEEDED;
	case ST_ABORTED:
	case ST_INCOMPLETE:
		return SS_ABORTED;
	default:
		return SS_FAILED;
	}
}

void exec_finish(struct execution *ex, enum exec_status status)
{
	bool retry = false, resumable;

	if (ex->finished)
		return;
	if (status == ST_FAILED || status == ST_TIMEDOUT)
		retry = ex->rec.retry_attempt < retries_allowed(ex);
	ex->rec.status = retry ? ST_FAILED_WITH_RETRY : status;
	ex->rec.ended = now_ms();
	ex->rec.pgid = 0;
	if (ex->timers_ready) {
		uv_timer_stop(&ex->timeout_timer);
		uv_timer_stop(&ex->state_timer);
	}
	if (status != ST_SCHEDULED)
		wf_state_finish(ex->state, workflow_status(status), ex->rec.ended);
	resumable = (status == ST_FAILED || status == ST_TIMEDOUT || status == ST_INCOMPLETE) &&
		    ex->job->resume_enabled && ex->job->strategy == STRATEGY_SEQUENTIAL;
	if (resumable && resume_write_state(ex, exec_status_name(status)) == 0)
		ex->rec.resumable = true;
	if (ex->cp_base)
		store_checkpoint_clear(ex->eng->store, ex->rec.id, NULL);
	if (retry)
		schedule_retry(ex, resume_on_retry(ex) && ex->rec.resumable);
	if (status != ST_SCHEDULED) {
		exec_write_state_file(ex, ex->eng->sync_full);
		exec_log_close(ex->log, ex->eng->sync_full);
		ex->log = NULL;
	}
	exec_save_record(ex);
	ex->finished = status != ST_SCHEDULED;
	if (ex->finished)
		exec_close_timers(ex);
	exec_event(ex, "%s", exec_status_name(ex->rec.status));
	log_notice("execution %lld of job '%s/%s' ended %s", (long long)ex->rec.id,
		   ex->job->group, ex->job->name, exec_status_name(ex->rec.status));
	exec_touch(ex, NOTIFY_STATUS | NOTIFY_FINISHED);
	if (ex->parent_run) {
		struct step_run *run = ex->parent_run;

		ex->parent_run = NULL;
		jobref_finished(run, ex);
	}
}
