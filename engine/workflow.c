/*
 * workflow.c - the order in which steps run, and what a step's outcome
 * means for the workflow.
 *
 * Sequential (and step-first) runs one top-level step at a time and takes a
 * checkpoint before each. Node-first on the single local node runs the same
 * order. Parallel starts every step at once. Error handlers and keepgoing
 * decide outcomes as Rundeck's workflow engine does:
 *   - keepgoing true: the handler's result replaces the step's result;
 *   - keepgoing false: a handler that succeeds saves the step only with
 *     keepgoingOnSuccess; otherwise the failure remains and the workflow stops.
 */
#include <string.h>

#include "internal.h"
#include "logging.h"

static void wf_next(struct execution *ex);

static enum exec_status stop_status(enum stop_request stop)
{
	switch (stop) {
	case STOP_TIMEOUT:
		return ST_TIMEDOUT;
	case STOP_SHUTDOWN:
		return ST_INCOMPLETE;
	default:
		return ST_ABORTED;
	}
}

static bool is_parallel(const struct execution *ex)
{
	return ex->job->strategy == STRATEGY_PARALLEL;
}

static void begin_step(struct execution *ex, size_t index)
{
	struct step_state *s = &ex->state->steps[index];

	step_state_set(ex->state, index, SS_RUNNING, now_ms());
	s->result_code = -1;
	exec_event(ex, "step %zu RUNNING", index + 1);
	exec_state_changed(ex);
	step_start(ex, &ex->job->steps[index], index, false, wf_step_done);
}

void wf_start(struct execution *ex)
{
	if (ex->job->strategy == STRATEGY_OTHER)
		exec_note(ex, "the strategy '%s' is not built in; running the steps in order",
			  ex->job->strategy_name);
	if (is_parallel(ex)) {
		for (size_t i = ex->step; i < ex->job->n_steps && !ex->stop; i++)
			begin_step(ex, i);
		return;
	}
	wf_next(ex);
}

static void finish_workflow(struct execution *ex)
{
	if (ex->stop)
		exec_finish(ex, stop_status(ex->stop));
	else
		exec_finish(ex, ex->failed ? ST_FAILED : ST_SUCCEEDED);
}

static void wf_next(struct execution *ex)
{
	if (ex->stop || ex->halted || ex->step >= ex->job->n_steps ||
	    (ex->failed && !ex->job->keepgoing)) {
		finish_workflow(ex);
		return;
	}
	resume_checkpoint(ex);
	begin_step(ex, ex->step);
}

/* Record the final outcome of step index and move the workflow on. */
static void settle_step(struct execution *ex, size_t index, bool ok)
{
	struct step_state *s = &ex->state->steps[index];
	enum step_status status = ok ? SS_SUCCEEDED : SS_FAILED;

	if (ex->stop && !ok)
		status = ex->stop == STOP_TIMEOUT ? SS_FAILED : SS_ABORTED;
	step_state_set(ex->state, index, status, now_ms());
	if (ok) {
		free(s->error_message);
		s->error_message = NULL;
	}
	exec_event(ex, "step %zu %s", index + 1, step_status_name(status));
	exec_state_changed(ex);
	if (!ok && !ex->failed) {
		ex->failed = true;
		resume_note_failure(ex);
	}
	if (is_parallel(ex)) {
		if (ex->running == 0)
			finish_workflow(ex);
		return;
	}
	ex->step = index + 1;
	wf_next(ex);
}

static void set_result_vars(struct execution *ex, const struct step_result *r)
{
	vars_set(&ex->vars, "result.reason", r->reason ? r->reason : "");
	vars_set(&ex->vars, "result.message", r->message ? r->message : "");
	vars_setf(&ex->vars, "result.resultCode", "%d", r->code);
	vars_set(&ex->vars, "result.failedNodes", VARS_LOCAL_NODE);
}

static void handler_done(struct step_run *run, struct step_result *result)
{
	struct execution *ex = run->ex;
	size_t index = run->index;
	const struct step *step = &ex->job->steps[index];
	bool ok;

	ex->runs[index] = NULL;
	ex->running--;
	step_run_free(run);
	vars_remove_group(&ex->vars, "result");
	ex->state->steps[index].handler_status = result->ok ? SS_SUCCEEDED : SS_FAILED;
	if (ex->stop) {
		settle_step(ex, index, false);
		return;
	}
	if (ex->job->keepgoing)
		ok = result->ok;
	else
		ok = result->ok && step->handler->keepgoing_on_success;
	if (result->ok && !ok)
		exec_note(ex, "the error handler of step %zu succeeded, but without "
			      "keepgoingOnSuccess the step's failure stands",
			  index + 1);
	settle_step(ex, index, ok);
}

static void record_failure(struct execution *ex, size_t index, const struct step_result *r)
{
	struct step_state *s = &ex->state->steps[index];

	free(s->failure_reason);
	s->failure_reason = r->reason ? xstrdup(r->reason) : NULL;
	free(s->error_message);
	s->error_message = r->message ? xstrdup(r->message) : NULL;
	s->result_code = r->code;
}

void wf_step_done(struct step_run *run, struct step_result *result)
{
	struct execution *ex = run->ex;
	size_t index = run->index;
	const struct step *step = &ex->job->steps[index];

	ex->runs[index] = NULL;
	ex->running--;
	step_run_free(run);
	if (!result->ok) {
		record_failure(ex, index, result);
		if (!step->handler && !ex->stop)
			exec_note(ex, "step %zu failed: %s", index + 1,
				  result->message ? result->message : "no message");
	}
	if (!result->ok && step->handler && !ex->stop) {
		struct step_state *s = &ex->state->steps[index];

		s->handler_triggered = true;
		s->handler_status = SS_RUNNING;
		step_state_set(ex->state, index, SS_RUNNING_HANDLER, now_ms());
		exec_event(ex, "step %zu RUNNING_HANDLER", index + 1);
		exec_state_changed(ex);
		set_result_vars(ex, result);
		exec_note(ex, "step %zu failed (%s); running its error handler", index + 1,
			  result->message ? result->message : "no message");
		step_start(ex, step->handler, index, true, handler_done);
		return;
	}
	settle_step(ex, index, result->ok);
}
