/*
 * state.h - the workflow state of an execution, in Rundeck's model, and
 * its rendering as Rundeck's execution state JSON.
 *
 * A wf_state has one step_state per top-level step. A job reference step
 * holds the child workflow's state as its sub-workflow.
 */
#ifndef JOBFS_STATE_H
#define JOBFS_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum step_status {
	SS_WAITING,
	SS_RUNNING,
	SS_RUNNING_HANDLER,
	SS_SUCCEEDED,
	SS_FAILED,
	SS_ABORTED,
	SS_NOT_STARTED,
	SS_NODE_MIXED,
	SS_NODE_PARTIAL_SUCCEEDED,
};

struct wf_state;

struct step_state {
	enum step_status status;
	bool node_step;
	int64_t start; /* ms since the epoch, 0 for none */
	int64_t update;
	int64_t end;
	char *error_message;
	char *failure_reason;    /* NonZeroResultCode, JobFailed... */
	int result_code;         /* -1 when none */
	bool handler_triggered;
	enum step_status handler_status; /* of its error handler, step context "Ne" */
	int64_t done_by;         /* resumed: the execution that ran this step */
	struct wf_state *sub;    /* job reference: the child's workflow */
	int64_t sub_execution;   /* and its execution id */
};

struct wf_state {
	int refs;                /* shared by a parent's job reference step */
	bool node_first;         /* node steps also show per node, as "N@node=NAME" */
	enum step_status status; /* WAITING, RUNNING, SUCCEEDED, FAILED or ABORTED */
	bool completed;
	int64_t start;
	int64_t update;
	int64_t end;
	size_t n_steps;
	struct step_state *steps;
};

const char *step_status_name(enum step_status status);
bool step_status_parse(const char *name, enum step_status *status);
bool step_status_final(enum step_status status);

struct wf_state *wf_state_new(size_t n_steps, const bool *node_steps);
/* Drop a reference; the last one frees the state. */
void wf_state_free(struct wf_state *state);
struct wf_state *wf_state_ref(struct wf_state *state);
struct wf_state *wf_state_copy(const struct wf_state *state);
/* Set a step's status, with its times. */
void step_state_set(struct wf_state *wf, size_t index, enum step_status status, int64_t now);
/*
 * Close the workflow: RUNNING steps become ABORTED (or FAILED), WAITING
 * ones NOT_STARTED, and the workflow takes status.
 */
void wf_state_finish(struct wf_state *wf, enum step_status status, int64_t now);

/* Render Rundeck's state JSON for execution id. */
json_t *wf_state_render(const struct wf_state *wf, int64_t id);
/* Rebuild a state from its rendering (a finished execution's state file). */
struct wf_state *wf_state_parse(const json_t *json);

#endif
