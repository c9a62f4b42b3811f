/*
 * test_resume.c - the sequence snapshot a resume compares (engine/internal.h):
 * resume_snapshot and resume_snapshot_matches.
 *
 * The execution ran a job of three steps: an exec, a job reference to
 * ops/test/smoke, and a notify-plugin step. Each case edits the job's
 * sequence and expects a verdict, and for a refusal the exact reason.
 *
 * snapshot:
 *   snapshot_lists_step_identities     one {step, content} per step
 *   snapshot_survives_text_round_trip  the stored JSON text still matches
 *   snapshot_names_jobref_by_uuid      a reference by uuid is named by uuid
 *   snapshot_edit_to_copy_matches      an edit that copies another step is
 *                                      allowed
 * verdicts (one loop test over the table below):
 *   snapshot_verdict_matches_table     identical, edits, added, removed,
 *                                      reordered and replaced steps, also
 *                                      a step removed or inserted in the middle
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit_helpers.h"

static const char base_steps[] =
	"    - exec: echo build\n"
	"    - jobref: {name: smoke, group: ops/test}\n"
	"    - type: notify-plugin\n"
	"      configuration: {channel: ops}\n";

/* A resumable sequential job with the given commands. */
static struct job *job_with_steps(const char *steps)
{
	char *yaml = xasprintf("- name: deploy\n"
			       "  plugins: {ExecutionLifecycle: {resume: {}}}\n"
			       "  sequence:\n"
			       "    strategy: sequential\n"
			       "    commands:\n"
			       "%s",
			       steps);
	struct job *job = job_from_yaml(yaml);

	free(yaml);
	return job;
}

static json_t *base_snapshot(void)
{
	struct job *job = job_with_steps(base_steps);
	json_t *snapshot = resume_snapshot(job);

	job_free(job);
	return snapshot;
}

/* ---- snapshot ------------------------------------------------------------------- */

START_TEST(snapshot_lists_step_identities)
{
	json_t *snapshot = base_snapshot();
	static const char *const identities[] = { "exec", "jobref ops/test/smoke",
						  "plugin notify-plugin" };

	ck_assert(json_is_array(snapshot));
	ck_assert_uint_eq(json_array_size(snapshot), 3);
	for (size_t i = 0; i < 3; i++) {
		const json_t *entry = json_array_get(snapshot, i);
		const char *content = json_string_value(json_object_get(entry, "content"));

		ck_assert_str_eq(json_string_value(json_object_get(entry, "step")), identities[i]);
		ck_assert_ptr_nonnull(content);
		ck_assert_uint_eq(strlen(content), 16);
		ck_assert_uint_eq(strspn(content, "0123456789abcdef"), 16);
	}
	json_decref(snapshot);
}
END_TEST

START_TEST(snapshot_survives_text_round_trip)
{
	json_t *snapshot = base_snapshot();
	char *text = json_dumps(snapshot, JSON_COMPACT);
	json_t *loaded = json_loads(text, 0, NULL);
	struct job *job = job_with_steps(base_steps);
	struct strbuf reason = STRBUF_INIT;

	ck_assert(resume_snapshot_matches(loaded, job, &reason));
	ck_assert_str_eq(sb_str(&reason), "");
	sb_release(&reason);
	job_free(job);
	json_decref(loaded);
	free(text);
	json_decref(snapshot);
}
END_TEST

START_TEST(snapshot_names_jobref_by_uuid)
{
	struct job *job = job_with_steps("    - jobref: {uuid: 1234-abcd, useName: false}\n"
					 "    - jobref: {uuid: 1234-abcd, name: smoke, group: ops,"
					 " useName: true}\n");
	json_t *snapshot = resume_snapshot(job);

	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(snapshot, 0), "step")),
			 "jobref 1234-abcd");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(snapshot, 1), "step")),
			 "jobref ops/smoke");
	json_decref(snapshot);
	job_free(job);
}
END_TEST

/* A step edited into a copy of another step was edited, not moved. */
START_TEST(snapshot_edit_to_copy_matches)
{
	struct job *old_job = job_with_steps("    - exec: make\n"
					     "    - exec: make test\n");
	struct job *job = job_with_steps("    - exec: make test\n"
					 "    - exec: make test\n");
	json_t *snapshot = resume_snapshot(old_job);
	struct strbuf reason = STRBUF_INIT;

	ck_assert_msg(resume_snapshot_matches(snapshot, job, &reason),
		      "an edit of step 1 was refused: %s", sb_str(&reason));
	sb_release(&reason);
	json_decref(snapshot);
	job_free(job);
	job_free(old_job);
}
END_TEST

/* ---- verdicts ------------------------------------------------------------------- */

struct verdict_case {
	const char *change;
	const char *steps;  /* the job's commands now */
	bool matches;
	const char *reason; /* "" when it matches */
};

static const struct verdict_case verdict_cases[] = {
	{ "identical", base_steps, true, "" },
	{ "exec command edited",
	  "    - exec: echo build --fast\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  true, "" },
	{ "plugin configuration edited",
	  "    - exec: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: dev}\n",
	  true, "" },
	{ "jobref arguments added",
	  "    - exec: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test, args: -env qa}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  true, "" },
	{ "step added at the end",
	  "    - exec: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n"
	  "    - exec: echo done\n",
	  false, "step 4 was added: the job now has 4 steps, the execution had 3" },
	{ "last step removed",
	  "    - exec: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test}\n",
	  false, "step 3 was removed: the job now has 2 steps, the execution had 3" },
	{ "first two steps swapped",
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - exec: echo build\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "the steps were reordered: step 1 is now what was step 2" },
	{ "exec replaced by script",
	  "    - script: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "step 1 was replaced: it was exec, it is now script" },
	{ "jobref to another job",
	  "    - exec: echo build\n"
	  "    - jobref: {name: other, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "step 2 was replaced: it was jobref ops/test/smoke, it is now jobref ops/test/other" },
	{ "plugin type changed",
	  "    - exec: echo build\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: page-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "step 3 was replaced: it was plugin notify-plugin, it is now plugin page-plugin" },
	{ "middle step removed",
	  "    - exec: echo build\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "step 2 was removed: the job now has 2 steps, the execution had 3" },
	{ "step inserted in the middle",
	  "    - exec: echo build\n"
	  "    - exec: echo extra\n"
	  "    - jobref: {name: smoke, group: ops/test}\n"
	  "    - type: notify-plugin\n"
	  "      configuration: {channel: ops}\n",
	  false, "step 2 was added: the job now has 4 steps, the execution had 3" },
};

START_TEST(snapshot_verdict_matches_table)
{
	const struct verdict_case *c = &verdict_cases[_i];
	json_t *snapshot = base_snapshot();
	struct job *job = job_with_steps(c->steps);
	struct strbuf reason = STRBUF_INIT;
	bool matches = resume_snapshot_matches(snapshot, job, &reason);

	ck_assert_msg(matches == c->matches, "%s: expected %s, got %s (%s)", c->change,
		      c->matches ? "a match" : "a refusal", matches ? "a match" : "a refusal",
		      sb_str(&reason));
	ck_assert_msg(!strcmp(sb_str(&reason), c->reason),
		      "%s:\n  expected \"%s\"\n  actual   \"%s\"", c->change, c->reason,
		      sb_str(&reason));
	sb_release(&reason);
	job_free(job);
	json_decref(snapshot);
}
END_TEST

static Suite *resume_suite(void)
{
	Suite *s = suite_create("resume");
	TCase *snapshot = tcase_create("snapshot");
	TCase *verdicts = tcase_create("verdicts");

	tcase_add_test(snapshot, snapshot_lists_step_identities);
	tcase_add_test(snapshot, snapshot_survives_text_round_trip);
	tcase_add_test(snapshot, snapshot_names_jobref_by_uuid);
	tcase_add_test(snapshot, snapshot_edit_to_copy_matches);
	suite_add_tcase(s, snapshot);

	tcase_add_loop_test(verdicts, snapshot_verdict_matches_table, 0,
			    (int)(sizeof(verdict_cases) / sizeof(verdict_cases[0])));
	suite_add_tcase(s, verdicts);
	return s;
}

int main(void)
{
	return run_suite(resume_suite());
}
