/*
 * test_state.c - state.h: the workflow state and its rendering as
 * Rundeck's execution state JSON.
 *
 * The sample: three steps on localhost, started 2025-01-05T10:00:00Z.
 * Step 1 (node step) succeeds after 2 s, step 2 (workflow step) fails at
 * 10:00:09 with exit code 3 and a handler, step 3 never starts.
 *
 * render:
 *   render_top_level_fields            executionId, state, completed, nodes...
 *   render_step_entries                id, stepctx, nodeStep, state, times
 *   render_failed_step_meta            errorMessage and meta on step and node
 *   render_not_started_step            null start, duration -1, no meta
 *   render_node_list                   nodes.localhost in step order
 *   render_times_are_utc_seconds       every time is YYYY-MM-DDTHH:MM:SSZ
 *   render_running_has_null_end        a running workflow has no end time
 *   render_jobref_subworkflow          hasSubworkflow, workflow, "2/1" contexts
 * finish:
 *   finish_aborts_running_steps        RUNNING and RUNNING_HANDLER to ABORTED
 *   finish_failed_marks_running_failed with SS_FAILED running steps fail
 *   finish_closes_subworkflow          an open child workflow is closed too
 * parse:
 *   parse_round_trip_equal             render, parse, render gives equal JSON
 *   parse_rejects_missing_steps        NULL without a steps list
 *   status_names_round_trip            every status name parses back
 *   copy_is_independent                wf_state_copy duplicates strings
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "unit_helpers.h"

/* 2025-01-05T10:00:00Z in ms since the epoch. */
static const int64_t T0 = 1736071200000;

static struct wf_state *sample_state(void)
{
	struct wf_state *wf = wf_state_new(3, (const bool[]){ true, false, true });
	struct step_state *failed = &wf->steps[1];

	wf->status = SS_RUNNING;
	wf->start = T0;
	step_state_set(wf, 0, SS_RUNNING, T0);
	step_state_set(wf, 0, SS_SUCCEEDED, T0 + 2000);
	step_state_set(wf, 1, SS_RUNNING, T0 + 2000);
	step_state_set(wf, 1, SS_RUNNING_HANDLER, T0 + 8000);
	step_state_set(wf, 1, SS_FAILED, T0 + 9000);
	failed->error_message = xstrdup("Result code was 3");
	failed->failure_reason = xstrdup("NonZeroResultCode");
	failed->result_code = 3;
	failed->handler_triggered = true;
	failed->handler_status = SS_SUCCEEDED;
	wf_state_finish(wf, SS_FAILED, T0 + 9000);
	return wf;
}

static json_t *sample_render(void)
{
	struct wf_state *wf = sample_state();
	json_t *json = wf_state_render(wf, 42);

	wf_state_free(wf);
	return json;
}

static const char *text_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const json_t *step_at(const json_t *json, size_t i)
{
	return json_array_get(json_object_get(json, "steps"), i);
}

static const json_t *local_state(const json_t *step)
{
	return json_object_get(json_object_get(step, "nodeStates"), "localhost");
}

/* ---- render ------------------------------------------------------------------- */

START_TEST(render_top_level_fields)
{
	json_t *json = sample_render();

	ck_assert_int_eq(json_integer_value(json_object_get(json, "executionId")), 42);
	ck_assert_str_eq(text_at(json, "serverNode"), "localhost");
	ck_assert_str_eq(text_at(json, "executionState"), "FAILED");
	ck_assert(json_is_true(json_object_get(json, "completed")));
	ck_assert_int_eq(json_integer_value(json_object_get(json, "stepCount")), 3);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json, "targetNodes"), 0)),
			 "localhost");
	ck_assert_uint_eq(json_array_size(json_object_get(json, "allNodes")), 1);
	ck_assert_str_eq(text_at(json, "startTime"), "2025-01-05T10:00:00Z");
	ck_assert_str_eq(text_at(json, "updateTime"), "2025-01-05T10:00:09Z");
	ck_assert_str_eq(text_at(json, "endTime"), "2025-01-05T10:00:09Z");
	ck_assert_uint_eq(json_array_size(json_object_get(json, "steps")), 3);
	json_decref(json);
}
END_TEST

START_TEST(render_step_entries)
{
	json_t *json = sample_render();
	const json_t *first = step_at(json, 0), *second = step_at(json, 1);

	ck_assert_str_eq(text_at(first, "id"), "1");
	ck_assert_str_eq(text_at(first, "stepctx"), "1");
	ck_assert(json_is_true(json_object_get(first, "nodeStep")));
	ck_assert_str_eq(text_at(first, "executionState"), "SUCCEEDED");
	ck_assert_str_eq(text_at(first, "startTime"), "2025-01-05T10:00:00Z");
	ck_assert_str_eq(text_at(first, "endTime"), "2025-01-05T10:00:02Z");
	ck_assert_int_eq(json_integer_value(json_object_get(first, "duration")), 2000);
	ck_assert_ptr_null(json_object_get(first, "meta"));
	ck_assert_ptr_null(json_object_get(first, "errorMessage"));
	ck_assert_str_eq(text_at(local_state(first), "executionState"), "SUCCEEDED");
	ck_assert_int_eq(json_integer_value(json_object_get(local_state(first), "duration")), 2000);
	ck_assert_str_eq(text_at(second, "id"), "2");
	ck_assert_str_eq(text_at(second, "stepctx"), "2");
	ck_assert(json_is_false(json_object_get(second, "nodeStep")));
	ck_assert_int_eq(json_integer_value(json_object_get(second, "duration")), 7000);
	json_decref(json);
}
END_TEST

static void check_failure_meta(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "meta");

	ck_assert_str_eq(text_at(obj, "executionState"), "FAILED");
	ck_assert_str_eq(text_at(obj, "errorMessage"), "Result code was 3");
	ck_assert(json_is_object(meta));
	ck_assert_str_eq(text_at(meta, "failureReason"), "NonZeroResultCode");
	ck_assert(json_is_integer(json_object_get(meta, "resultCode")));
	ck_assert_int_eq(json_integer_value(json_object_get(meta, "resultCode")), 3);
	ck_assert_str_eq(text_at(meta, "handlerTriggered"), "true");
	ck_assert_uint_eq(json_object_size(meta), 3);
}

START_TEST(render_failed_step_meta)
{
	json_t *json = sample_render();

	check_failure_meta(step_at(json, 1));
	check_failure_meta(local_state(step_at(json, 1)));
	json_decref(json);
}
END_TEST

START_TEST(render_not_started_step)
{
	json_t *json = sample_render();
	const json_t *third = step_at(json, 2);

	ck_assert_str_eq(text_at(third, "executionState"), "NOT_STARTED");
	ck_assert(json_is_null(json_object_get(third, "startTime")));
	ck_assert_str_eq(text_at(third, "endTime"), "2025-01-05T10:00:09Z");
	ck_assert_int_eq(json_integer_value(json_object_get(third, "duration")), -1);
	ck_assert_ptr_null(json_object_get(third, "meta"));
	ck_assert_str_eq(text_at(local_state(third), "executionState"), "NOT_STARTED");
	ck_assert_int_eq(json_integer_value(json_object_get(local_state(third), "duration")), -1);
	json_decref(json);
}
END_TEST

START_TEST(render_handler_state)
{
	json_t *json = sample_render();
	const json_t *handler = json_object_get(step_at(json, 1), "handlerState");

	ck_assert_str_eq(text_at(handler, "stepctx"), "2e");
	ck_assert_str_eq(text_at(handler, "executionState"), "SUCCEEDED");
	ck_assert_ptr_null(json_object_get(step_at(json, 0), "handlerState"));
	json_decref(json);
}
END_TEST

START_TEST(render_node_first_parameters)
{
	struct wf_state *wf = sample_state();
	json_t *json, *entry;

	wf->node_first = true;
	json = wf_state_render(wf, 42);
	entry = json_object_get(json_object_get(step_at(json, 0), "parameterStates"),
				"node=localhost");
	ck_assert_str_eq(text_at(json, "strategy"), "node-first");
	ck_assert_str_eq(text_at(entry, "stepctx"), "1@node=localhost");
	ck_assert_str_eq(text_at(entry, "executionState"), "SUCCEEDED");
	ck_assert_str_eq(text_at(json_object_get(entry, "parameters"), "node"), "localhost");
	/* Step 2 is a workflow step: it runs once, not per node. */
	ck_assert_ptr_null(json_object_get(step_at(json, 1), "parameterStates"));
	json_decref(json);
	wf_state_free(wf);
}
END_TEST

START_TEST(render_node_list)
{
	json_t *json = sample_render();
	const json_t *list = json_object_get(json_object_get(json, "nodes"), "localhost");
	static const char *const states[] = { "SUCCEEDED", "FAILED", "SUCCEEDED", "NOT_STARTED" };
	static const char *const contexts[] = { "1", "2", "2e", "3" };

	ck_assert_uint_eq(json_object_size(json_object_get(json, "nodes")), 1);
	ck_assert_uint_eq(json_array_size(list), 4);
	for (size_t i = 0; i < 4; i++) {
		const json_t *entry = json_array_get(list, i);

		ck_assert_str_eq(text_at(entry, "stepctx"), contexts[i]);
		ck_assert_str_eq(text_at(entry, "executionState"), states[i]);
		ck_assert_uint_eq(json_object_size(entry), 2);
	}
	json_decref(json);
}
END_TEST

/* Check every member named *Time under node, at any depth. */
static void check_times(const json_t *node, size_t *count)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, child)
			check_times(child, count);
		return;
	}
	if (!json_is_object(node))
		return;
	json_object_foreach((json_t *)node, key, child) {
		if (str_ends_with(key, "Time") && json_is_string(child)) {
			ck_assert_msg(is_utc_second(json_string_value(child),
						    json_string_length(child)),
				      "%s is \"%s\"", key, json_string_value(child));
			(*count)++;
		}
		check_times(child, count);
	}
}

START_TEST(render_times_are_utc_seconds)
{
	struct wf_state *wf = sample_state();
	json_t *json;
	size_t count = 0;

	wf->steps[0].start += 999;
	json = wf_state_render(wf, 42);
	check_times(json, &count);
	/* 3 workflow times, 6 for each finished step, 4 for the step never started. */
	ck_assert_uint_eq(count, 19);
	ck_assert_str_eq(text_at(step_at(json, 0), "startTime"), "2025-01-05T10:00:00Z");
	json_decref(json);
	wf_state_free(wf);
}
END_TEST

START_TEST(render_running_has_null_end)
{
	struct wf_state *wf = wf_state_new(2, NULL);
	json_t *json;

	wf->status = SS_RUNNING;
	wf->start = T0;
	step_state_set(wf, 0, SS_RUNNING, T0 + 1000);
	json = wf_state_render(wf, 7);
	ck_assert_str_eq(text_at(json, "executionState"), "RUNNING");
	ck_assert(json_is_false(json_object_get(json, "completed")));
	ck_assert(json_is_null(json_object_get(json, "endTime")));
	ck_assert_str_eq(text_at(step_at(json, 0), "executionState"), "RUNNING");
	ck_assert(json_is_null(json_object_get(step_at(json, 0), "endTime")));
	ck_assert_int_eq(json_integer_value(json_object_get(step_at(json, 0), "duration")), -1);
	ck_assert_str_eq(text_at(step_at(json, 1), "executionState"), "WAITING");
	ck_assert(json_is_true(json_object_get(step_at(json, 1), "nodeStep")));
	json_decref(json);
	wf_state_free(wf);
}
END_TEST

/* The sample with step 2 a job reference whose child ran 2 steps. */
static struct wf_state *state_with_child(void)
{
	struct wf_state *wf = sample_state();
	struct wf_state *child = wf_state_new(2, NULL);

	child->status = SS_RUNNING;
	child->start = T0 + 2000;
	step_state_set(child, 0, SS_SUCCEEDED, T0 + 3000);
	step_state_set(child, 1, SS_FAILED, T0 + 8000);
	child->steps[1].result_code = 1;
	wf_state_finish(child, SS_FAILED, T0 + 8000);
	wf->steps[1].sub = child;
	wf->steps[1].sub_execution = 43;
	wf->steps[0].done_by = 40;
	return wf;
}

START_TEST(render_jobref_subworkflow)
{
	struct wf_state *wf = state_with_child();
	json_t *json = wf_state_render(wf, 42);
	const json_t *ref = step_at(json, 1);
	const json_t *workflow = json_object_get(ref, "workflow");
	const json_t *inner = json_array_get(json_object_get(workflow, "steps"), 1);
	const json_t *nodes = json_object_get(json_object_get(json, "nodes"), "localhost");

	ck_assert(json_is_true(json_object_get(ref, "hasSubworkflow")));
	ck_assert_int_eq(json_integer_value(json_object_get(ref, "executionId")), 43);
	ck_assert_str_eq(text_at(workflow, "executionState"), "FAILED");
	ck_assert(json_is_true(json_object_get(workflow, "completed")));
	ck_assert_int_eq(json_integer_value(json_object_get(workflow, "stepCount")), 2);
	ck_assert_str_eq(text_at(inner, "id"), "2");
	ck_assert_str_eq(text_at(inner, "stepctx"), "2/2");
	ck_assert_uint_eq(json_array_size(nodes), 6);
	ck_assert_str_eq(text_at(json_array_get(nodes, 2), "stepctx"), "2e");
	ck_assert_str_eq(text_at(json_array_get(nodes, 3), "stepctx"), "2/1");
	ck_assert_str_eq(text_at(json_array_get(nodes, 4), "stepctx"), "2/2");
	ck_assert_str_eq(text_at(json_array_get(nodes, 5), "stepctx"), "3");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(step_at(json, 0), "meta"),
							    "resumedFromExecution")),
			 40);
	json_decref(json);
	wf_state_free(wf);
}
END_TEST

/* ---- finish ------------------------------------------------------------------- */

static struct wf_state *open_state(void)
{
	struct wf_state *wf = wf_state_new(5, NULL);

	wf->status = SS_RUNNING;
	wf->start = T0;
	step_state_set(wf, 0, SS_SUCCEEDED, T0 + 1000);
	step_state_set(wf, 1, SS_RUNNING, T0 + 1000);
	step_state_set(wf, 2, SS_RUNNING_HANDLER, T0 + 1000);
	step_state_set(wf, 3, SS_FAILED, T0 + 1000);
	return wf;
}

START_TEST(finish_aborts_running_steps)
{
	struct wf_state *wf = open_state();

	wf_state_finish(wf, SS_ABORTED, T0 + 5000);
	ck_assert_int_eq(wf->status, SS_ABORTED);
	ck_assert(wf->completed);
	ck_assert_int_eq(wf->end, T0 + 5000);
	ck_assert_int_eq(wf->steps[0].status, SS_SUCCEEDED);
	ck_assert_int_eq(wf->steps[0].end, T0 + 1000);
	ck_assert_int_eq(wf->steps[1].status, SS_ABORTED);
	ck_assert_int_eq(wf->steps[1].end, T0 + 5000);
	ck_assert_int_eq(wf->steps[2].status, SS_ABORTED);
	ck_assert_int_eq(wf->steps[3].status, SS_FAILED);
	ck_assert_int_eq(wf->steps[4].status, SS_NOT_STARTED);
	ck_assert_int_eq(wf->steps[4].start, 0);
	ck_assert_int_eq(wf->steps[4].end, T0 + 5000);
	wf_state_free(wf);
}
END_TEST

START_TEST(finish_failed_marks_running_failed)
{
	struct wf_state *wf = open_state();

	wf_state_finish(wf, SS_FAILED, T0 + 5000);
	ck_assert_int_eq(wf->status, SS_FAILED);
	ck_assert_int_eq(wf->steps[1].status, SS_FAILED);
	ck_assert_int_eq(wf->steps[2].status, SS_FAILED);
	ck_assert_int_eq(wf->steps[4].status, SS_NOT_STARTED);
	wf_state_free(wf);
}
END_TEST

START_TEST(finish_closes_subworkflow)
{
	struct wf_state *wf = open_state();
	struct wf_state *child = wf_state_new(2, NULL);

	child->status = SS_RUNNING;
	step_state_set(child, 0, SS_RUNNING, T0 + 2000);
	wf->steps[1].sub = child;
	wf_state_finish(wf, SS_ABORTED, T0 + 5000);
	ck_assert(child->completed);
	ck_assert_int_eq(child->status, SS_ABORTED);
	ck_assert_int_eq(child->steps[0].status, SS_ABORTED);
	ck_assert_int_eq(child->steps[1].status, SS_NOT_STARTED);
	wf_state_free(wf);
}
END_TEST

/* ---- parse -------------------------------------------------------------------- */

START_TEST(parse_round_trip_equal)
{
	struct wf_state *wf = state_with_child();
	json_t *first = wf_state_render(wf, 42);
	struct wf_state *parsed = wf_state_parse(first);
	json_t *second;

	ck_assert_ptr_nonnull(parsed);
	second = wf_state_render(parsed, 42);
	ck_assert_msg(json_equal(first, second), "the state changed in a round trip");
	ck_assert_int_eq(parsed->steps[1].result_code, 3);
	ck_assert_int_eq(parsed->steps[1].sub_execution, 43);
	ck_assert_ptr_nonnull(parsed->steps[1].sub);
	ck_assert_int_eq(parsed->steps[0].done_by, 40);
	json_decref(second);
	json_decref(first);
	wf_state_free(parsed);
	wf_state_free(wf);
}
END_TEST

START_TEST(parse_rejects_missing_steps)
{
	json_t *json = json_pack("{s:s}", "executionState", "RUNNING");

	ck_assert_ptr_null(wf_state_parse(json));
	json_decref(json);
}
END_TEST

START_TEST(status_names_round_trip)
{
	for (int i = SS_WAITING; i <= SS_NODE_PARTIAL_SUCCEEDED; i++) {
		enum step_status status = SS_WAITING;

		ck_assert(step_status_parse(step_status_name((enum step_status)i), &status));
		ck_assert_int_eq(status, i);
	}
	ck_assert_str_eq(step_status_name(SS_NODE_PARTIAL_SUCCEEDED), "NODE_PARTIAL_SUCCEEDED");
	ck_assert(!step_status_parse("NODE_PARTIAL", &(enum step_status){ SS_WAITING }));
	ck_assert(!step_status_final(SS_RUNNING_HANDLER));
	ck_assert(step_status_final(SS_NOT_STARTED));
}
END_TEST

START_TEST(copy_is_independent)
{
	struct wf_state *wf = state_with_child();
	struct wf_state *copy = wf_state_copy(wf);
	json_t *before = wf_state_render(wf, 1);
	json_t *after;

	ck_assert_ptr_ne(copy->steps[1].error_message, wf->steps[1].error_message);
	ck_assert_ptr_ne(copy->steps[1].sub, wf->steps[1].sub);
	wf_state_free(wf);
	after = wf_state_render(copy, 1);
	ck_assert(json_equal(before, after));
	json_decref(before);
	json_decref(after);
	wf_state_free(copy);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *render = tcase_create("render");
	TCase *finish = tcase_create("finish");
	TCase *parse = tcase_create("parse");

	tcase_add_test(render, render_top_level_fields);
	tcase_add_test(render, render_step_entries);
	tcase_add_test(render, render_failed_step_meta);
	tcase_add_test(render, render_not_started_step);
	tcase_add_test(render, render_node_list);
	tcase_add_test(render, render_handler_state);
	tcase_add_test(render, render_node_first_parameters);
	tcase_add_test(render, render_times_are_utc_seconds);
	tcase_add_test(render, render_running_has_null_end);
	tcase_add_test(render, render_jobref_subworkflow);
	suite_add_tcase(s, render);

	tcase_add_test(finish, finish_aborts_running_steps);
	tcase_add_test(finish, finish_failed_marks_running_failed);
	tcase_add_test(finish, finish_closes_subworkflow);
	suite_add_tcase(s, finish);

	tcase_add_test(parse, parse_round_trip_equal);
	tcase_add_test(parse, parse_rejects_missing_steps);
	tcase_add_test(parse, status_names_round_trip);
	tcase_add_test(parse, copy_is_independent);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	return run_suite(state_suite());
}
