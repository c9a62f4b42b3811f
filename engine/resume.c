/*
 * resume.c - checkpoints, the resume state file, and resuming a failed or
 * interrupted execution at the step that did not finish.
 *
 * Before each top-level step of a sequential workflow whose job enables the
 * resume plugin, the engine stores a checkpoint in the database: the step
 * about to start, the option values (secure ones left out), the data the
 * earlier steps captured, and which earlier steps failed or were done by an
 * earlier execution. When the workflow ends failed, timed out or
 * interrupted, the checkpoint from before the first failed step, plus a
 * snapshot of the sequence, becomes ID.resume.json in log storage
 * (docs/resume-state.md describes every field). A resume reads that file,
 * never the database, so any member sharing log storage can resume.
 */
#include <string.h>

#include "internal.h"
#include "logging.h"
#include "options.h"

enum { RESUME_FORMAT_VERSION = 1 };
static const char resume_format[] = "jobfs-resume-state";

/* ---- checkpoints ------------------------------------------------------------- */

static bool is_runtime_var(const char *name)
{
	static const char *const fixed[] = { "option.", "job.", "node.", "result.", NULL };

	for (size_t i = 0; fixed[i]; i++)
		if (!strncmp(name, fixed[i], strlen(fixed[i])))
			return false;
	return true;
}

json_t *exec_public_options(const struct execution *ex, json_t **secure_names)
{
	json_t *copy = json_copy(ex->options);

	if (secure_names)
		*secure_names = json_array();
	for (size_t i = 0; i < ex->job->n_options; i++) {
		if (!ex->job->options[i].secure)
			continue;
		json_object_del(copy, ex->job->options[i].name);
		if (secure_names)
			json_array_append_new(*secure_names, json_string(ex->job->options[i].name));
	}
	return copy;
}

/* Ranges of steps that earlier executions ran: [{first, last, execution}]. */
static json_t *done_by_ranges(const struct execution *ex)
{
	json_t *ranges = json_array();
	json_t *open = NULL;

	for (size_t i = 0; i < ex->state->n_steps; i++) {
		int64_t by = ex->state->steps[i].done_by;

		if (by && open && json_integer_value(json_object_get(open, "execution")) == by &&
		    json_integer_value(json_object_get(open, "last")) == (json_int_t)i) {
			json_object_set_new(open, "last", json_integer((json_int_t)i + 1));
			continue;
		}
		open = NULL;
		if (!by)
			continue;
		open = json_pack("{s:I, s:I, s:I}", "first", (json_int_t)i + 1, "last",
				 (json_int_t)i + 1, "execution", (json_int_t)by);
		json_array_append_new(ranges, open);
	}
	return ranges;
}

static bool checkpoints_wanted(const struct execution *ex)
{
	return ex->job->resume_enabled && ex->job->strategy == STRATEGY_SEQUENTIAL && !ex->parent;
}

/* The part of a checkpoint that does not change from step to step. */
static void checkpoint_start(struct execution *ex)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *secure, *options = exec_public_options(ex, &secure);
	char *text;

	ex->cp_base = json_pack("{s:o, s:o, s:o}", "options", options, "secureOptions", secure,
				"doneBy", done_by_ranges(ex));
	ex->cp_data = json_object();
	ex->cp_failed = json_array();
	text = json_dumps(ex->cp_base, JSON_COMPACT);
	if (store_checkpoint_save(ex->eng->store, ex->rec.id, text, &err))
		log_error("execution %lld: unable to store its checkpoint base: %s",
			  (long long)ex->rec.id, err.message);
	free(text);
}

void resume_checkpoint(struct execution *ex)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *delta, *data, *failed;
	char *text;

	if (!checkpoints_wanted(ex))
		return;
	data = json_object();
	failed = json_array();
	if (!ex->cp_base)
		checkpoint_start(ex);
	vars_take_changes(&ex->vars, is_runtime_var, data);
	json_object_update(ex->cp_data, data);
	for (size_t i = ex->cp_step ? ex->cp_step - 1 : 0; i < ex->step; i++) {
		if (ex->state->steps[i].status != SS_FAILED)
			continue;
		json_array_append_new(ex->cp_failed, json_integer((json_int_t)i + 1));
		json_array_append_new(failed, json_integer((json_int_t)i + 1));
	}
	ex->cp_step = ex->step + 1;
	delta = json_pack("{s:I, s:o, s:o}", "step", (json_int_t)ex->cp_step, "data", data,
			  "failedSteps", failed);
	text = json_dumps(delta, JSON_COMPACT);
	if (store_checkpoint_add(ex->eng->store, ex->rec.id, (int64_t)ex->cp_step, text, &err))
		log_error("execution %lld: unable to store the checkpoint before step %zu: %s",
			  (long long)ex->rec.id, ex->cp_step, err.message);
	free(text);
	json_decref(delta);
}

/* The whole checkpoint taken last, as a new object. */
static json_t *checkpoint_full(const struct execution *ex)
{
	json_t *full = json_deep_copy(ex->cp_base);

	json_object_set_new(full, "step", json_integer((json_int_t)ex->cp_step));
	json_object_set_new(full, "stepCount", json_integer((json_int_t)ex->job->n_steps));
	json_object_set_new(full, "data", json_deep_copy(ex->cp_data));
	json_object_set_new(full, "failedSteps", json_deep_copy(ex->cp_failed));
	return full;
}

void resume_note_failure(struct execution *ex)
{
	if (ex->cp_base && !ex->failed_checkpoint)
		ex->failed_checkpoint = checkpoint_full(ex);
}

/* ---- the resume state file ---------------------------------------------------- */

static int write_resume_file(struct engine *eng, const struct exec_record *rec,
			     json_t *checkpoint, const char *snapshot, const char *reason)
{
	struct jf_error err = JF_ERROR_INIT;
	json_t *state = checkpoint ? json_incref(checkpoint) : NULL;
	json_t *snap = snapshot ? json_loads(snapshot, 0, NULL) : NULL;
	char created[32], *text, *path;
	json_t *extra;
	int rc;

	if (!state || !snap) {
		json_decref(state);
		json_decref(snap);
		log_warning("execution %lld: no checkpoint was taken, so it cannot be resumed",
			    (long long)rec->id);
		return JF_NOT_FOUND;
	}
	format_utc(now_ms(), created);
	extra = json_pack("{s:s, s:i, s:I, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}",
					    "format", resume_format, "version",
					    RESUME_FORMAT_VERSION, "execution",
					    (json_int_t)rec->id, "reason", reason, "job", "uuid",
					    rec->job_uuid, "group", rec->job_group ? rec->job_group : "",
					    "name", rec->job_name ? rec->job_name : "", "strategy",
					    "sequential", "createdAt", created, "snapshot", snap);
	json_object_update(state, extra);
	json_decref(extra);
	text = json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS);
	path = logstore_path(eng->log_dir, rec->id, "resume.json");
	rc = write_file_atomic(path, text, strlen(text), 0600, eng->sync_full, &err);
	if (rc)
		log_error("execution %lld: %s", (long long)rec->id, err.message);
	else
		log_notice("execution %lld: resume state stored in %s at step %lld",
			   (long long)rec->id, path,
			   (long long)json_integer_value(json_object_get(state, "step")));
	free(path);
	free(text);
	json_decref(state);
	return rc;
}

int resume_write_state(struct execution *ex, const char *reason)
{
	json_t *checkpoint = ex->failed_checkpoint ? json_incref(ex->failed_checkpoint)
			     : ex->cp_base	    ? checkpoint_full(ex)
						    : NULL;
	json_t *snap = resume_snapshot(ex->job);
	char *snapshot = json_dumps(snap, JSON_COMPACT);
	int rc = write_resume_file(ex->eng, &ex->rec, checkpoint, snapshot, reason);

	free(snapshot);
	json_decref(snap);
	json_decref(checkpoint);
	return rc;
}

/* Apply one stored delta to the checkpoint being rebuilt. */
static void apply_delta(void *ctx, int64_t step, const char *text)
{
	json_t *full = ctx;
	json_t *delta = json_loads(text, 0, NULL);
	size_t i;
	json_t *item;

	json_object_set_new(full, "step", json_integer(step));
	json_object_update(json_object_get(full, "data"), json_object_get(delta, "data"));
	json_array_foreach(json_object_get(delta, "failedSteps"), i, item)
		json_array_append(json_object_get(full, "failedSteps"), item);
	json_decref(delta);
}

json_t *resume_compose_from_store(struct engine *eng, const struct exec_record *rec)
{
	char *base = NULL;
	json_t *full = NULL;

	store_checkpoint_load(eng->store, rec->id, &base, NULL);
	if (base)
		full = json_loads(base, 0, NULL);
	free(base);
	if (!full)
		return NULL;
	json_object_set_new(full, "stepCount", json_integer(rec->step_count));
	json_object_set_new(full, "data", json_object());
	json_object_set_new(full, "failedSteps", json_array());
	store_checkpoint_deltas(eng->store, rec->id, apply_delta, full, NULL);
	if (!json_object_get(full, "step")) {
		json_decref(full);
		return NULL;
	}
	return full;
}

int resume_write_from_store(struct engine *eng, const struct exec_record *rec,
			    json_t *checkpoint, const char *reason)
{
	char *snapshot = NULL;
	int rc;

	store_snapshot_load(eng->store, rec->id, &snapshot, NULL);
	rc = write_resume_file(eng, rec, checkpoint, snapshot, reason);
	free(snapshot);
	return rc;
}

static int require_field(const json_t *state, const char *key, json_type type,
			 const char *path, struct jf_error *err)
{
	const json_t *v = json_object_get(state, key);

	if (v && json_typeof(v) == type)
		return 0;
	return jf_fail(err, JF_REFUSED,
		       "the resume state %s is corrupt: the field '%s' is missing or of the wrong "
		       "type; nothing was started",
		       path, key);
}

int resume_load(struct engine *eng, int64_t id, json_t **out, struct jf_error *err)
{
	char *path = logstore_path(eng->log_dir, id, "resume.json");
	struct strbuf text = STRBUF_INIT;
	json_error_t jerr;
	json_t *state = NULL;
	int rc = read_file(path, &text);

	*out = NULL;
	if (rc) {
		rc = jf_fail(err, JF_REFUSED,
			     "no resume state for execution %lld in log storage: unable to read "
			     "%s: %s",
			     (long long)id, path, strerror(rc));
		goto out;
	}
	state = json_loadb(sb_str(&text), text.len, 0, &jerr);
	if (!state) {
		rc = jf_fail(err, JF_REFUSED,
			     "the resume state %s is not valid JSON (line %d: %s); nothing was "
			     "started",
			     path, jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(state) ||
	    !json_is_string(json_object_get(state, "format")) ||
	    strcmp(json_string_value(json_object_get(state, "format")), resume_format) ||
	    json_integer_value(json_object_get(state, "version")) != RESUME_FORMAT_VERSION) {
		rc = jf_fail(err, JF_REFUSED,
			     "the resume state %s is not a %s file of version %d; nothing was "
			     "started",
			     path, resume_format, RESUME_FORMAT_VERSION);
		goto out;
	}
	if ((rc = require_field(state, "step", JSON_INTEGER, path, err)) ||
	    (rc = require_field(state, "options", JSON_OBJECT, path, err)) ||
	    (rc = require_field(state, "data", JSON_OBJECT, path, err)) ||
	    (rc = require_field(state, "snapshot", JSON_ARRAY, path, err)))
		goto out;
	if (json_integer_value(json_object_get(state, "execution")) != id ||
	    json_integer_value(json_object_get(state, "step")) < 1) {
		rc = jf_fail(err, JF_REFUSED,
			     "the resume state %s belongs to another execution or names no step; "
			     "nothing was started",
			     path);
		goto out;
	}
	*out = json_incref(state);
out:
	json_decref(state);
	sb_release(&text);
	free(path);
	return rc;
}

/* ---- whether and how an execution resumes ---------------------------------------- */

static int check_status(const struct exec_record *rec, struct jf_error *err)
{
	long long id = (long long)rec->id;

	switch (rec->status) {
	case ST_RUNNING:
		return jf_fail(err, JF_BUSY,
			       "not resumable yet: execution %lld is still running; wait for it "
			       "to end, or kill it",
			       id);
	case ST_SCHEDULED:
		return jf_fail(err, JF_BUSY,
			       "not resumable yet: execution %lld is a retry waiting to start", id);
	case ST_SUCCEEDED:
		return jf_fail(err, JF_REFUSED,
			       "not resumable: execution %lld succeeded; there is nothing to resume",
			       id);
	case ST_ABORTED:
		return jf_fail(err, JF_REFUSED,
			       "not resumable: execution %lld was killed (aborted), and a killed "
			       "execution is not resumed; start a new run instead",
			       id);
	case ST_FAILED_WITH_RETRY:
		return jf_fail(err, JF_REFUSED,
			       "not resumable: a retry of execution %lld follows it; resume the "
			       "last attempt if it fails",
			       id);
	default:
		break;
	}
	if (rec->resumed_by)
		return jf_fail(err, JF_REFUSED,
			       "not resumable: execution %lld was already resumed by execution "
			       "%lld; resume that one if it failed",
			       id, (long long)rec->resumed_by);
	return 0;
}

static int check_job(struct engine *eng, const struct exec_record *rec, struct catalog_job **out,
		     struct jf_error *err)
{
	struct catalog_job *cj = catalog_find_uuid(eng, rec->job_uuid);

	*out = cj;
	if (!cj)
		return jf_fail(err, JF_REFUSED,
			       "not resumable: its job '%s/%s' (%s) was deleted", rec->job_group,
			       rec->job_name, rec->job_uuid);
	if (!cj->job->resume_enabled)
		return jf_fail(err, JF_REFUSED,
			       "not resumable: job '%s/%s' does not enable the resume plugin; add "
			       "plugins: {ExecutionLifecycle: {resume: {}}} to its definition for "
			       "later runs",
			       cj->job->group, cj->job->name);
	if (cj->job->strategy != STRATEGY_SEQUENTIAL)
		return jf_fail(err, JF_REFUSED,
			       "not resumable: job '%s/%s' uses the %s strategy, and resume needs "
			       "the sequential strategy",
			       cj->job->group, cj->job->name, cj->job->strategy_name);
	return 0;
}

int resume_check(struct engine *eng, const struct exec_record *rec, json_t **state,
		 struct catalog_job **cj, struct jf_error *err)
{
	struct strbuf why = STRBUF_INIT;
	int rc;

	*state = NULL;
	/* A job that can never resume is reported as such, even while its execution runs. */
	if (rec->status == ST_RUNNING || rec->status == ST_SCHEDULED) {
		if (check_job(eng, rec, cj, err))
			return err->code;
	}
	if (check_status(rec, err) || check_job(eng, rec, cj, err))
		return err->code;
	if (resume_load(eng, rec->id, state, err))
		return err->code;
	if (!resume_snapshot_matches(json_object_get(*state, "snapshot"), (*cj)->job, &why)) {
		rc = jf_fail(err, JF_REFUSED,
			     "not resumable: the job's sequence changed since execution %lld: %s; "
			     "only edits inside a step keep an execution resumable",
			     (long long)rec->id, sb_str(&why));
		sb_release(&why);
		json_decref(*state);
		*state = NULL;
		return rc;
	}
	sb_release(&why);
	return 0;
}

/* Mark the steps before the resume point as done by earlier executions. */
static void mark_done_steps(struct execution *ex, const json_t *state, size_t step)
{
	const json_t *failed = json_object_get(state, "failedSteps");
	int64_t original = json_integer_value(json_object_get(state, "execution"));
	int64_t now = now_ms();
	size_t k;
	json_t *item;

	for (size_t i = 0; i + 1 < step && i < ex->state->n_steps; i++) {
		step_state_set(ex->state, i, SS_SUCCEEDED, now);
		ex->state->steps[i].done_by = original;
	}
	/* Steps that an execution before the original ran keep their own id. */
	json_array_foreach(json_object_get(state, "doneBy"), k, item) {
		json_int_t first = json_integer_value(json_object_get(item, "first"));
		json_int_t last = json_integer_value(json_object_get(item, "last"));
		json_int_t by = json_integer_value(json_object_get(item, "execution"));

		for (json_int_t i = first; i >= 1 && i <= last && (size_t)i < step; i++)
			ex->state->steps[i - 1].done_by = by;
	}
	json_array_foreach(failed, k, item) {
		json_int_t i = json_integer_value(item);

		if (i >= 1 && (size_t)i < step)
			step_state_set(ex->state, (size_t)i - 1, SS_FAILED, now);
	}
}

int resume_prepare(struct execution *ex, const json_t *state, struct jf_error *err)
{
	int64_t step = json_integer_value(json_object_get(state, "step"));

	if (step < 1 || (size_t)step > ex->job->n_steps)
		return jf_fail(err, JF_REFUSED,
			       "not resumable: the resume state names step %lld, and the job has "
			       "%zu steps",
			       (long long)step, ex->job->n_steps);
	ex->rec.resumed_from = json_integer_value(json_object_get(state, "execution"));
	ex->rec.resume_step = (int)step;
	{
		const char *name;
		json_t *value;

		json_object_foreach((json_t *)json_object_get(state, "data"), name, value)
			if (json_is_string(value))
				vars_set(&ex->vars, name, json_string_value(value));
	}
	mark_done_steps(ex, state, (size_t)step);
	ex->step = (size_t)step - 1;
	/* Steps that failed under keepgoing still fail the resumed workflow. */
	if (json_array_size(json_object_get(state, "failedSteps")) > 0 && ex->job->keepgoing)
		ex->failed = true;
	json_decref(ex->resume_state);
	ex->resume_state = json_incref((json_t *)state);
	return 0;
}

int resume_prepare_retry(struct execution *next, struct execution *failed,
			 struct jf_error *err)
{
	json_t *state;
	int rc;

	if (resume_load(failed->eng, failed->rec.id, &state, err))
		return err->code;
	rc = resume_prepare(next, state, err);
	json_decref(state);
	return rc;
}

/* Check a resume request: only secure options, and every one of them. */
static int resume_options(const struct job *job, const json_t *state, const json_t *requested,
			  json_t **values, struct jf_error *err)
{
	const json_t *secure = json_object_get(state, "secureOptions");
	json_t *combined = json_copy(json_object_get(state, "options"));
	const char *name;
	json_t *value;
	size_t i;
	int rc;

	json_object_foreach((json_t *)requested, name, value) {
		bool is_secure = false;

		json_array_foreach(secure, i, value)
			is_secure |= json_is_string(value) && !strcmp(json_string_value(value), name);
		if (!is_secure) {
			json_decref(combined);
			return jf_fail(err, JF_INVALID,
				       "option '%s' keeps its recorded value when resuming; give "
				       "only secure options in a resume request",
				       name);
		}
		json_object_set(combined, name, json_object_get(requested, name));
	}
	json_array_foreach(secure, i, value) {
		const char *secret = json_string_value(value);

		if (secret && !json_object_get(requested, secret)) {
			json_decref(combined);
			return jf_fail(err, JF_INVALID,
				       "option '%s' is secure, so its value was not stored; give it "
				       "again: echo '-%s VALUE' > resume",
				       secret, secret);
		}
	}
	rc = options_resolve(job, combined, values, err);
	json_decref(combined);
	return rc;
}

static int load_record(struct engine *eng, int64_t id, struct exec_record *rec,
		       struct execution **active, struct jf_error *err)
{
	*active = engine_find_exec(eng, id);
	if (*active) {
		memset(rec, 0, sizeof(*rec));
		rec->id = id;
		rec->status = (*active)->finished ? (*active)->rec.status : ST_RUNNING;
		if ((*active)->rec.status == ST_SCHEDULED)
			rec->status = ST_SCHEDULED;
		rec->resumed_by = (*active)->rec.resumed_by;
		rec->job_uuid = xstrdup((*active)->rec.job_uuid);
		rec->job_group = xstrdup((*active)->rec.job_group);
		rec->job_name = xstrdup((*active)->rec.job_name);
		return 0;
	}
	return store_exec_get(eng->store, id, rec, err);
}

static void link_resumed(struct engine *eng, struct execution *active, int64_t id,
			 int64_t new_id)
{
	struct exec_record rec;

	if (active) {
		active->rec.resumed_by = new_id;
		exec_save_record(active);
	} else if (store_exec_get(eng->store, id, &rec, NULL) == 0) {
		rec.resumed_by = new_id;
		store_exec_update(eng->store, &rec, NULL);
		record_release(&rec);
	}
	engine_notify(eng, id, NOTIFY_STATUS);
}

int engine_resume(struct engine *eng, int64_t exec_id, const char *request, size_t len,
		  int64_t *new_id, struct jf_error *err)
{
	struct exec_record rec;
	struct execution *active, *ex;
	struct catalog_job *cj = NULL;
	json_t *requested = NULL, *state = NULL, *values = NULL;
	int rc;

	*new_id = 0;
	if (request_parse(request, len, &requested, err))
		return err->code;
	pthread_mutex_lock(&eng->lock);
	rc = load_record(eng, exec_id, &rec, &active, err);
	if (rc == 0 && eng->stopping)
		rc = jf_fail(err, JF_BUSY, "jobfs is shutting down; resume after the restart");
	if (rc == 0)
		rc = resume_check(eng, &rec, &state, &cj, err);
	if (rc == 0)
		rc = resume_options(cj->job, state, requested, &values, err);
	if (rc == 0) {
		ex = exec_new(eng, cj->job, values);
		rc = resume_prepare(ex, state, err);
		if (rc)
			exec_free(ex);
		else
			rc = engine_launch(eng, ex, new_id, err);
	}
	if (rc == 0) {
		link_resumed(eng, active, exec_id, *new_id);
		log_notice("execution %lld resumes execution %lld at step %lld", (long long)*new_id,
			   (long long)exec_id,
			   (long long)json_integer_value(json_object_get(state, "step")));
	}
	pthread_mutex_unlock(&eng->lock);
	record_release(&rec);
	json_decref(state);
	json_decref(requested);
	return rc;
}

int engine_resume_describe(struct engine *eng, int64_t exec_id, struct strbuf *out)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_record rec;
	struct execution *active;
	struct catalog_job *cj;
	json_t *state = NULL;
	int rc;

	pthread_mutex_lock(&eng->lock);
	rc = load_record(eng, exec_id, &rec, &active, &err);
	if (rc == 0 && resume_check(eng, &rec, &state, &cj, &err) == 0) {
		const json_t *secure = json_object_get(state, "secureOptions");
		size_t i;
		json_t *name;

		sb_addf(out, "resumable at step %lld of %zu",
			(long long)json_integer_value(json_object_get(state, "step")),
			cj->job->n_steps);
		json_array_foreach(secure, i, name)
			sb_addf(out, "%s -%s VALUE", i ? "" : "; give the secure options:",
				json_string_value(name));
		sb_addc(out, '\n');
	} else if (rc == 0) {
		sb_addf(out, "%s\n", err.message);
	}
	if (rc == 0)
		record_release(&rec);
	pthread_mutex_unlock(&eng->lock);
	json_decref(state);
	return rc;
}
