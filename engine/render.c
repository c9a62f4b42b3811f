/*
 * render.c - the text of an execution's files: status, state,
 * execution.json and the resume state.
 */
#include <string.h>

#include "internal.h"

static json_t *date_json(int64_t ms)
{
	char text[32];

	format_utc(ms, text);
	return json_pack("{s:I, s:s}", "unixtime", (json_int_t)ms, "date", text);
}

static json_t *info_json(struct engine *eng, const struct exec_record *rec,
			 const struct job *job)
{
	json_t *obj = json_object();
	json_t *options = rec->options_json ? json_loads(rec->options_json, 0, NULL) : NULL;
	const char *node_key = rec->status == ST_SUCCEEDED ? "successfulNodes" : "failedNodes";

	json_object_set_new(obj, "id", json_integer(rec->id));
	json_object_set_new(obj, "href", json_sprintf("executions/%lld", (long long)rec->id));
	json_object_set_new(obj, "status", json_string(exec_status_name(rec->status)));
	json_object_set_new(obj, "project",
			    json_string(job && job->project ? job->project : "jobfs"));
	json_object_set_new(obj, "executionType",
			    json_string(rec->retry_attempt ? "user-scheduled" : "user"));
	json_object_set_new(obj, "user", json_string(rec->user ? rec->user : ""));
	if (rec->started)
		json_object_set_new(obj, "date-started", date_json(rec->started));
	if (rec->ended)
		json_object_set_new(obj, "date-ended", date_json(rec->ended));
	if (rec->status == ST_ABORTED && rec->aborted_by)
		json_object_set_new(obj, "abortedby", json_string(rec->aborted_by));
	json_object_set_new(obj, "job",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", rec->job_uuid, "name",
				      rec->job_name ? rec->job_name : "", "group",
				      rec->job_group ? rec->job_group : "", "project",
				      job && job->project ? job->project : "jobfs", "description",
				      job && job->description ? job->description : "", "options",
				      options ? options : json_object()));
	json_object_set_new(obj, "description",
			    json_sprintf("%s [%d steps]", rec->job_name ? rec->job_name : "",
					 rec->step_count));
	json_object_set_new(obj, "argstring", json_string(rec->argstring ? rec->argstring : ""));
	json_object_set_new(obj, "serverUUID", json_string(eng->boot_id));
	json_object_set_new(obj, "jobDeleted", json_boolean(catalog_find_uuid(eng, rec->job_uuid) ==
							    NULL));
	if (exec_status_final(rec->status) && rec->status != ST_INCOMPLETE)
		json_object_set_new(obj, node_key, json_pack("[s]", VARS_LOCAL_NODE));
	if (rec->retry_attempt > 0) {
		json_object_set_new(obj, "retryAttempt", json_integer(rec->retry_attempt));
		json_object_set_new(obj, "retryOf", json_integer(rec->retry_of));
	}
	if (rec->status == ST_FAILED_WITH_RETRY) {
		int64_t retry_id = 0;
		char *status = NULL;

		store_exec_retry(eng->store, rec->id, &retry_id, &status, NULL);
		if (retry_id) {
			json_t *retried = json_pack("{s:I, s:s}", "id", (json_int_t)retry_id,
						    "status", status ? status : "");

			json_object_set_new(retried, "href",
					    json_sprintf("executions/%lld", (long long)retry_id));
			json_object_set_new(obj, "retriedExecution", retried);
		}
		free(status);
	}
	if (rec->resumed_from) {
		json_object_set_new(obj, "resumedFrom", json_integer(rec->resumed_from));
		json_object_set_new(obj, "resumedAtStep", json_integer(rec->resume_step));
	}
	if (rec->resumed_by)
		json_object_set_new(obj, "resumedBy", json_integer(rec->resumed_by));
	if (rec->parent_id)
		json_object_set_new(obj, "parentExecution", json_integer(rec->parent_id));
	return obj;
}

static int read_log_file(struct engine *eng, int64_t id, const char *suffix, struct strbuf *out)
{
	char *path = logstore_path(eng->log_dir, id, suffix);
	int rc = read_file(path, out);

	free(path);
	return rc ? JF_NOT_FOUND : 0;
}

static void add_json(struct strbuf *out, json_t *json)
{
	char *text = json_dumps(json, JSON_INDENT(2));

	sb_adds(out, text);
	sb_addc(out, '\n');
	free(text);
	json_decref(json);
}

static int render_stored(struct engine *eng, int64_t id, enum exec_file file, struct strbuf *out)
{
	struct exec_record rec;
	struct catalog_job *cj;
	int rc = store_exec_get(eng->store, id, &rec, NULL);

	if (rc)
		return rc;
	switch (file) {
	case EXEC_FILE_STATUS:
		sb_addf(out, "%s\n", exec_status_name(rec.status));
		break;
	case EXEC_FILE_INFO:
		cj = catalog_find_uuid(eng, rec.job_uuid);
		add_json(out, info_json(eng, &rec, cj ? cj->job : NULL));
		break;
	case EXEC_FILE_STATE:
		if (read_log_file(eng, id, "state.json", out))
			sb_adds(out, "{\"error\": \"pending\"}\n");
		break;
	case EXEC_FILE_RESUME_STATE:
		rc = read_log_file(eng, id, "resume.json", out);
		break;
	}
	record_release(&rec);
	return rc;
}

int engine_exec_render(struct engine *eng, int64_t id, enum exec_file file, struct strbuf *out)
{
	struct execution *ex;
	int rc = 0;

	pthread_mutex_lock(&eng->lock);
	ex = engine_find_exec(eng, id);
	if (!ex || (ex->finished && file == EXEC_FILE_STATE)) {
		rc = render_stored(eng, id, file, out);
		pthread_mutex_unlock(&eng->lock);
		return rc;
	}
	switch (file) {
	case EXEC_FILE_STATUS:
		sb_addf(out, "%s\n", exec_status_name(ex->rec.status));
		break;
	case EXEC_FILE_INFO:
		add_json(out, info_json(eng, &ex->rec, ex->job));
		break;
	case EXEC_FILE_STATE:
		add_json(out, wf_state_render(ex->state, id));
		break;
	case EXEC_FILE_RESUME_STATE:
		rc = read_log_file(eng, id, "resume.json", out);
		break;
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}
