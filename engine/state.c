/* state.c - workflow state and Rundeck's execution state JSON. */
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "vars.h"

static const char *const status_names[] = {
	"WAITING", "RUNNING", "RUNNING_HANDLER", "SUCCEEDED", "FAILED",
	"ABORTED", "NOT_STARTED", "NODE_MIXED", "NODE_PARTIAL_SUCCEEDED",
};

const char *step_status_name(enum step_status status)
{
	return status_names[status];
}

bool step_status_parse(const char *name, enum step_status *status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (name && !strcmp(name, status_names[i])) {
			*status = (enum step_status)i;
			return true;
		}
	}
	return false;
}

bool step_status_final(enum step_status status)
{
	return status != SS_WAITING && status != SS_RUNNING && status != SS_RUNNING_HANDLER;
}

struct wf_state *wf_state_new(size_t n_steps, const bool *node_steps)
{
	struct wf_state *wf = xcalloc(1, sizeof(*wf));

	wf->refs = 1;
	wf->status = SS_WAITING;
	wf->n_steps = n_steps;
	wf->steps = xcalloc(n_steps, sizeof(*wf->steps));
	for (size_t i = 0; i < n_steps; i++) {
		wf->steps[i].status = SS_WAITING;
		wf->steps[i].result_code = -1;
		wf->steps[i].node_step = node_steps ? node_steps[i] : true;
	}
	return wf;
}

struct wf_state *wf_state_ref(struct wf_state *wf)
{
	wf->refs++;
	return wf;
}

void wf_state_free(struct wf_state *wf)
{
	if (!wf || --wf->refs > 0)
		return;
	for (size_t i = 0; i < wf->n_steps; i++) {
		free(wf->steps[i].error_message);
		free(wf->steps[i].failure_reason);
		wf_state_free(wf->steps[i].sub);
	}
	free(wf->steps);
	free(wf);
}

struct wf_state *wf_state_copy(const struct wf_state *src)
{
	struct wf_state *wf;

	if (!src)
		return NULL;
	wf = xcalloc(1, sizeof(*wf));
	*wf = *src;
	wf->refs = 1;
	wf->steps = xcalloc(src->n_steps ? src->n_steps : 1, sizeof(*wf->steps));
	for (size_t i = 0; i < src->n_steps; i++) {
		struct step_state *s = &wf->steps[i];

		*s = src->steps[i];
		s->error_message = s->error_message ? xstrdup(s->error_message) : NULL;
		s->failure_reason = s->failure_reason ? xstrdup(s->failure_reason) : NULL;
		s->sub = wf_state_copy(s->sub);
	}
	return wf;
}

void step_state_set(struct wf_state *wf, size_t index, enum step_status status, int64_t now)
{
	struct step_state *s = &wf->steps[index];

	if (!s->start && status != SS_WAITING && status != SS_NOT_STARTED)
		s->start = now;
	s->status = status;
	s->update = now;
	if (step_status_final(status))
		s->end = now;
	wf->update = now;
}

void wf_state_finish(struct wf_state *wf, enum step_status status, int64_t now)
{
	for (size_t i = 0; i < wf->n_steps; i++) {
		struct step_state *s = &wf->steps[i];

		if (s->status == SS_RUNNING || s->status == SS_RUNNING_HANDLER)
			step_state_set(wf, i, status == SS_FAILED ? SS_FAILED : SS_ABORTED, now);
		else if (s->status == SS_WAITING)
			step_state_set(wf, i, SS_NOT_STARTED, now);
		if (s->sub && !s->sub->completed)
			wf_state_finish(s->sub, status, now);
	}
	wf->status = status;
	wf->completed = true;
	wf->update = now;
	wf->end = now;
}

/* ---- rendering -------------------------------------------------------- */

static json_t *time_json(int64_t ms)
{
	char text[32];

	if (!ms)
		return json_null();
	format_utc(ms, text);
	return json_string(text);
}

static json_t *times_into(json_t *obj, int64_t start, int64_t update, int64_t end)
{
	json_object_set_new(obj, "startTime", time_json(start));
	json_object_set_new(obj, "updateTime", time_json(update));
	json_object_set_new(obj, "endTime", time_json(end));
	json_object_set_new(obj, "duration",
			    json_integer(start && end ? end - start : -1));
	return obj;
}

static json_t *node_state_json(const struct step_state *s)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "executionState", json_string(step_status_name(s->status)));
	times_into(obj, s->start, s->update, s->end);
	if (s->error_message)
		json_object_set_new(obj, "errorMessage", json_string(s->error_message));
	if (s->failure_reason || s->result_code >= 0 || s->handler_triggered || s->done_by) {
		json_t *meta = json_object();

		if (s->failure_reason)
			json_object_set_new(meta, "failureReason", json_string(s->failure_reason));
		if (s->result_code >= 0)
			json_object_set_new(meta, "resultCode", json_integer(s->result_code));
		if (s->handler_triggered)
			json_object_set_new(meta, "handlerTriggered", json_string("true"));
		if (s->done_by)
			json_object_set_new(meta, "resumedFromExecution", json_integer(s->done_by));
		json_object_set_new(obj, "meta", meta);
	}
	return obj;
}

static json_t *workflow_json(const struct wf_state *wf, const char *prefix, json_t *node_list);

/*
 * Under node-first, each node runs its section of node steps as a
 * parameterised context: the step shows once more per node.
 */
static json_t *parameter_states(const struct step_state *s, const char *id, const char *ctx)
{
	char *param_ctx = xasprintf("%s@node=%s", ctx, VARS_LOCAL_NODE);
	char *key = xasprintf("node=%s", VARS_LOCAL_NODE);
	json_t *entry = node_state_json(s);
	json_t *states = json_object();

	json_object_set_new(entry, "id", json_string(id));
	json_object_set_new(entry, "stepctx", json_string(param_ctx));
	json_object_set_new(entry, "nodeStep", json_true());
	json_object_set_new(entry, "parameters", json_pack("{s:s}", "node", VARS_LOCAL_NODE));
	json_object_set_new(states, key, entry);
	free(param_ctx);
	free(key);
	return states;
}

static json_t *step_json(const struct step_state *s, size_t index, const char *prefix,
			 json_t *node_list, bool node_first)
{
	json_t *obj = json_object();
	char id[24], *ctx;
	json_t *node_state = node_state_json(s);

	snprintf(id, sizeof(id), "%zu", index + 1);
	ctx = prefix ? xasprintf("%s/%s", prefix, id) : xstrdup(id);
	json_object_set_new(obj, "id", json_string(id));
	json_object_set_new(obj, "stepctx", json_string(ctx));
	json_object_set_new(obj, "nodeStep", json_boolean(s->node_step));
	json_object_update(obj, node_state);
	json_object_set_new(obj, "nodeStates", json_pack("{s:o}", VARS_LOCAL_NODE, node_state));
	if (node_first && s->node_step)
		json_object_set_new(obj, "parameterStates", parameter_states(s, id, ctx));
	json_array_append_new(node_list,
			      json_pack("{s:s, s:s}", "stepctx", ctx, "executionState",
					step_status_name(s->status)));
	if (s->handler_triggered) {
		char *handler_ctx = xasprintf("%se", ctx);

		json_array_append_new(node_list,
				      json_pack("{s:s, s:s}", "stepctx", handler_ctx,
						"executionState",
						step_status_name(s->handler_status)));
		json_object_set_new(obj, "handlerState",
				    json_pack("{s:s, s:s}", "stepctx", handler_ctx, "executionState",
					      step_status_name(s->handler_status)));
		free(handler_ctx);
	}
	if (s->sub) {
		json_object_set_new(obj, "hasSubworkflow", json_true());
		json_object_set_new(obj, "workflow", workflow_json(s->sub, ctx, node_list));
		if (s->sub_execution)
			json_object_set_new(obj, "executionId", json_integer(s->sub_execution));
	}
	free(ctx);
	return obj;
}

static json_t *workflow_json(const struct wf_state *wf, const char *prefix, json_t *node_list)
{
	json_t *obj = json_object();
	json_t *steps = json_array();

	json_object_set_new(obj, "executionState", json_string(step_status_name(wf->status)));
	json_object_set_new(obj, "completed", json_boolean(wf->completed));
	json_object_set_new(obj, "targetNodes", json_pack("[s]", VARS_LOCAL_NODE));
	json_object_set_new(obj, "allNodes", json_pack("[s]", VARS_LOCAL_NODE));
	json_object_set_new(obj, "stepCount", json_integer((json_int_t)wf->n_steps));
	json_object_set_new(obj, "startTime", time_json(wf->start));
	json_object_set_new(obj, "updateTime", time_json(wf->update));
	json_object_set_new(obj, "endTime", time_json(wf->end));
	for (size_t i = 0; i < wf->n_steps; i++)
		json_array_append_new(steps, step_json(&wf->steps[i], i, prefix, node_list,
						       wf->node_first));
	json_object_set_new(obj, "steps", steps);
	return obj;
}

json_t *wf_state_render(const struct wf_state *wf, int64_t id)
{
	json_t *node_list = json_array();
	json_t *obj = json_object();
	json_t *body = workflow_json(wf, NULL, node_list);

	json_object_set_new(obj, "executionId", json_integer(id));
	if (wf->node_first)
		json_object_set_new(obj, "strategy", json_string("node-first"));
	json_object_set_new(obj, "serverNode", json_string(VARS_LOCAL_NODE));
	json_object_update(obj, body);
	json_decref(body);
	json_object_set_new(obj, "nodes", json_pack("{s:o}", VARS_LOCAL_NODE, node_list));
	return obj;
}

/* ---- parsing ---------------------------------------------------------- */

static int64_t parse_time(const json_t *v)
{
	struct tm tm;
	const char *s = json_string_value(v);

	memset(&tm, 0, sizeof(tm));
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

static struct wf_state *parse_workflow(const json_t *obj)
{
	const json_t *steps = json_object_get(obj, "steps");
	struct wf_state *wf;
	size_t i;
	json_t *step;

	if (!json_is_array(steps))
		return NULL;
	wf = wf_state_new(json_array_size(steps), NULL);
	wf->node_first = json_is_string(json_object_get(obj, "strategy"));
	step_status_parse(json_string_value(json_object_get(obj, "executionState")), &wf->status);
	wf->completed = json_is_true(json_object_get(obj, "completed"));
	wf->start = parse_time(json_object_get(obj, "startTime"));
	wf->update = parse_time(json_object_get(obj, "updateTime"));
	wf->end = parse_time(json_object_get(obj, "endTime"));
	json_array_foreach(steps, i, step) {
		struct step_state *s = &wf->steps[i];
		const json_t *meta = json_object_get(step, "meta");
		const char *text;

		step_status_parse(json_string_value(json_object_get(step, "executionState")),
				  &s->status);
		s->node_step = json_is_true(json_object_get(step, "nodeStep"));
		s->start = parse_time(json_object_get(step, "startTime"));
		s->update = parse_time(json_object_get(step, "updateTime"));
		s->end = parse_time(json_object_get(step, "endTime"));
		text = json_string_value(json_object_get(step, "errorMessage"));
		s->error_message = text ? xstrdup(text) : NULL;
		text = json_string_value(json_object_get(meta, "failureReason"));
		s->failure_reason = text ? xstrdup(text) : NULL;
		if (json_is_integer(json_object_get(meta, "resultCode")))
			s->result_code = (int)json_integer_value(json_object_get(meta, "resultCode"));
		s->handler_triggered = json_object_get(meta, "handlerTriggered") != NULL;
		step_status_parse(json_string_value(json_object_get(
					  json_object_get(step, "handlerState"), "executionState")),
				  &s->handler_status);
		s->done_by = json_integer_value(json_object_get(meta, "resumedFromExecution"));
		s->sub_execution = json_integer_value(json_object_get(step, "executionId"));
		if (json_is_object(json_object_get(step, "workflow")))
			s->sub = parse_workflow(json_object_get(step, "workflow"));
	}
	return wf;
}

struct wf_state *wf_state_parse(const json_t *json)
{
	return parse_workflow(json);
}
