/*
 * recovery.c - what a new daemon does with the executions that the last
 * one left behind: running ones become incomplete, with their leftover
 * processes ended and their resume state written from the last
 * checkpoint; scheduled retries are armed again.
 */
#include <string.h>

#include "internal.h"
#include "logging.h"

/*
 * The state file is written at most once a second, so it can lag behind.
 * The checkpoint, stored before each step, records which steps had ended.
 */
static void apply_checkpoint(struct wf_state *wf, const json_t *checkpoint, int64_t now)
{
	json_int_t step = json_integer_value(json_object_get(checkpoint, "step"));
	const json_t *failed = json_object_get(checkpoint, "failedSteps");

	for (json_int_t i = 1; i < step && (size_t)i <= wf->n_steps; i++) {
		enum step_status status = SS_SUCCEEDED;
		size_t k;
		json_t *item;

		json_array_foreach(failed, k, item)
			if (json_integer_value(item) == i)
				status = SS_FAILED;
		if (!step_status_final(wf->steps[i - 1].status))
			step_state_set(wf, (size_t)i - 1, status, now);
	}
	if (step >= 1 && (size_t)step <= wf->n_steps &&
	    wf->steps[step - 1].status == SS_WAITING)
		step_state_set(wf, (size_t)step - 1, SS_RUNNING, now);
}

static void close_state_file(struct engine *eng, const struct exec_record *rec,
			     const json_t *checkpoint)
{
	char *path = logstore_path(eng->log_dir, rec->id, "state.json");
	struct strbuf text = STRBUF_INIT;
	struct wf_state *wf = NULL;
	json_t *json = NULL;

	if (read_file(path, &text) == 0)
		json = json_loads(sb_str(&text), 0, NULL);
	if (json)
		wf = wf_state_parse(json);
	if (!wf)
		wf = wf_state_new((size_t)rec->step_count, NULL);
	if (checkpoint)
		apply_checkpoint(wf, checkpoint, rec->ended);
	wf_state_finish(wf, SS_ABORTED, rec->ended);
	json_decref(json);
	json = wf_state_render(wf, rec->id);
	{
		char *out = json_dumps(json, JSON_INDENT(1));

		write_file_atomic(path, out, strlen(out), 0640, true, NULL);
		free(out);
	}
	json_decref(json);
	wf_state_free(wf);
	sb_release(&text);
	free(path);
}

static void close_log(struct engine *eng, const struct exec_record *rec)
{
	struct exec_log *log = exec_log_open(eng->log_dir, rec->id, NULL);
	static const char note[] = "[jobfs] interrupted: jobfs stopped while this execution ran";

	if (!log)
		return;
	exec_log_line(log, LEVEL_WARN, NULL, note, sizeof(note) - 1);
	exec_log_close(log, true);
}

static void mark_incomplete(struct engine *eng, struct exec_record *rec)
{
	struct catalog_job *cj = catalog_find_uuid(eng, rec->job_uuid);
	json_t *checkpoint = resume_compose_from_store(eng, rec);

	rec->status = ST_INCOMPLETE;
	rec->ended = now_ms();
	rec->pgid = 0;
	if (checkpoint && cj && cj->job->resume_enabled &&
	    cj->job->strategy == STRATEGY_SEQUENTIAL && !rec->parent_id &&
	    resume_write_from_store(eng, rec, checkpoint, "incomplete") == 0)
		rec->resumable = true;
	close_state_file(eng, rec, checkpoint);
	store_checkpoint_clear(eng->store, rec->id, NULL);
	json_decref(checkpoint);
	close_log(eng, rec);
	store_exec_update(eng->store, rec, NULL);
	log_notice("execution %lld of job '%s/%s' marked incomplete: jobfs stopped while it ran%s",
		   (long long)rec->id, rec->job_group, rec->job_name,
		   rec->resumable ? "; it can be resumed" : "");
}

/* Rebuild a scheduled retry in memory, so that it starts after its delay. */
static void rearm_retry(struct engine *eng, struct exec_record *rec)
{
	struct catalog_job *cj = catalog_find_uuid(eng, rec->job_uuid);
	json_t *options = rec->options_json ? json_loads(rec->options_json, 0, NULL) : NULL;
	struct execution *ex;
	struct jf_error err = JF_ERROR_INIT;

	if (!cj) {
		rec->status = ST_ABORTED;
		rec->ended = now_ms();
		store_exec_update(eng->store, rec, NULL);
		json_decref(options);
		log_warning("execution %lld: its job was deleted, so the scheduled retry is dropped",
			    (long long)rec->id);
		return;
	}
	ex = exec_new(eng, cj->job, options);
	record_release(&ex->rec);
	ex->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	if (ex->rec.resumed_from) {
		json_t *state;

		if (resume_load(eng, ex->rec.resumed_from, &state, &err) == 0) {
			resume_prepare(ex, state, &err);
			json_decref(state);
		}
	}
	ex->log = exec_log_open(eng->log_dir, ex->rec.id, &err);
	exec_event(ex, "scheduled");
	eng->execs = xrealloc(eng->execs, (eng->n_execs + 1) * sizeof(*eng->execs));
	eng->execs[eng->n_execs++] = ex;
	engine_queue_action(eng, ACTION_START, ex->rec.id);
	log_notice("execution %lld: scheduled retry armed again", (long long)ex->rec.id);
}

void recovery_run(struct engine *eng)
{
	int64_t *ids = NULL;
	size_t n = 0;

	leftovers_end_all(eng);
	store_exec_unfinished(eng->store, &ids, &n, NULL);
	for (size_t i = 0; i < n; i++) {
		struct exec_record rec;

		if (store_exec_get(eng->store, ids[i], &rec, NULL))
			continue;
		if (rec.status == ST_RUNNING)
			mark_incomplete(eng, &rec);
		else if (rec.status == ST_SCHEDULED)
			rearm_retry(eng, &rec);
		record_release(&rec);
	}
	free(ids);
}
