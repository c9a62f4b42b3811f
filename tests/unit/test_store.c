/*
 * test_store.c - store.h against real SQLite files in a temporary folder.
 *
 * Each test gets a new folder under /tmp with an open store, set up by a
 * checked fixture. The teardown closes the store, removes the folder and
 * checks that it is gone.
 *
 * database:
 *   open_creates_database              the file exists after store_open
 *   open_reports_missing_folder        JF_IO and the path in the message
 *   open_rejects_other_file            a file that is not a database
 *   reopen_keeps_everything            jobs, executions, checkpoint, snapshot
 * jobs:
 *   job_save_and_load                  insert assigns an id, load returns it
 *   job_update_replaces_definition     same id, new definition
 *   job_delete_removes_row             load no longer returns it
 *   job_ids_not_reused                 a deleted job's id is not given again
 *   rollback_discards_job_saves        store_begin + store_rollback
 *   job_save_rejects_duplicate_uuid    the uuid column is unique
 * executions:
 *   exec_insert_increasing_ids         1, 2, 3
 *   exec_ids_not_reused                deleting the newest rows frees no id
 *   exec_update_get_round_trip         every field of the record
 *   exec_get_reports_missing           JF_NOT_FOUND and "no execution N"
 *   exec_get_unknown_status            an unknown status reads as incomplete
 *   exec_list_pages                    after and max
 *   exec_list_filters_by_job           job_uuid filter with paging
 *   exec_last_per_job                  newest id, 0 for an unknown job
 *   exec_unfinished_lists_open         running and scheduled only
 *   exec_set_process_round_trip        pgid, leader start, boot id, clear
 * checkpoints:
 *   checkpoint_save_and_load           text back, replaced on save
 *   snapshot_save_and_load             text back, NULL before any save
 *   checkpoint_deltas_in_order         added deltas come back in order, clear
 */
#include <check.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "unit_helpers.h"

static char *tmp_dir;
static char *db_path;
static struct store *store;

static void open_store(void)
{
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_msg(store_open(db_path, false, &store, &err) == 0, "store_open: %s",
		      err.message);
	ck_assert_ptr_nonnull(store);
}

static void setup(void)
{
	tmp_dir = temp_dir_create();
	db_path = xasprintf("%s/jobfs.db", tmp_dir);
	open_store();
}

static void teardown(void)
{
	char *dir = xstrdup(tmp_dir);

	store_close(store);
	store = NULL;
	free(db_path);
	db_path = NULL;
	temp_dir_remove(tmp_dir);
	tmp_dir = NULL;
	ck_assert_msg(access(dir, F_OK) != 0, "the folder %s was not removed", dir);
	free(dir);
}

/* Run sql on the database through a connection of its own. */
static void run_sql(const char *sql)
{
	sqlite3 *db;
	char *message = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &message) == SQLITE_OK, "%s: %s", sql,
		      message);
	sqlite3_close(db);
}

/* Fill rec with a distinct value in every field. */
static void fill_record(struct exec_record *rec, const char *job_uuid, enum exec_status status)
{
	memset(rec, 0, sizeof(*rec));
	rec->job_uuid = xstrdup(job_uuid);
	rec->job_group = xstrdup("ops/deploy");
	rec->job_name = xstrdup("deploy-app");
	rec->status = status;
	rec->argstring = xstrdup("-env 'q a'");
	rec->options_json = xstrdup("{\"env\":\"q a\"}");
	rec->user = xstrdup("alice");
	rec->started = 1736071200123;
	rec->ended = 1736071209456;
	rec->scheduled_at = 1736071100000;
	rec->retry_attempt = 2;
	rec->retry_of = 11;
	rec->retry_initial = 10;
	rec->resumed_from = 9;
	rec->resume_step = 3;
	rec->resumed_by = 12;
	rec->parent_id = 8;
	rec->step_count = 4;
	rec->pgid = 4242;
	rec->leader_start = 987654321;
	rec->boot_id = xstrdup("0f1e2d3c-boot");
	rec->error = xstrdup("step 3 failed: Result code was 3");
	rec->aborted_by = xstrdup("bob");
	rec->resumable = true;
}

/* Insert a record of job_uuid with status and return its id. */
static int64_t insert_exec(const char *job_uuid, enum exec_status status)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_record rec;
	int64_t id;

	fill_record(&rec, job_uuid, status);
	ck_assert_msg(store_exec_insert(store, &rec, &err) == 0, "insert: %s", err.message);
	id = rec.id;
	record_release(&rec);
	return id;
}

/* Read execution id, failing the test when it is missing. */
static void get_exec(int64_t id, struct exec_record *rec)
{
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_msg(store_exec_get(store, id, rec, &err) == 0, "get %lld: %s", (long long)id,
		      err.message);
}

/* ---- jobs: collect what store_jobs_load returns ----------------------------------- */

struct loaded_jobs {
	int64_t ids[16];
	char *definitions[16];
	size_t n;
};

static void collect_job(void *ctx, int64_t id, const char *definition)
{
	struct loaded_jobs *jobs = ctx;

	if (jobs->n == 16)
		return;
	jobs->ids[jobs->n] = id;
	jobs->definitions[jobs->n] = xstrdup(definition);
	jobs->n++;
}

static void load_jobs(struct loaded_jobs *jobs)
{
	struct jf_error err = JF_ERROR_INIT;

	memset(jobs, 0, sizeof(*jobs));
	ck_assert_msg(store_jobs_load(store, collect_job, jobs, &err) == 0, "load: %s",
		      err.message);
}

static void release_jobs(struct loaded_jobs *jobs)
{
	for (size_t i = 0; i < jobs->n; i++)
		free(jobs->definitions[i]);
	jobs->n = 0;
}

static int64_t save_job(int64_t id, const char *uuid, const char *name, const char *definition)
{
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_msg(store_job_save(store, &id, uuid, "ops", name, definition, &err) == 0,
		      "save: %s", err.message);
	return id;
}

/* ---- database ------------------------------------------------------------------- */

START_TEST(open_creates_database)
{
	struct stat st;

	ck_assert_int_eq(stat(db_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(open_reports_missing_folder)
{
	struct jf_error err = JF_ERROR_INIT;
	struct store *other = NULL;
	char *path = xasprintf("%s/missing/jobfs.db", tmp_dir);
	char *expected = xasprintf("unable to open the database '%s': unable to open database file",
				   path);

	ck_assert_int_eq(store_open(path, false, &other, &err), JF_IO);
	ck_assert_ptr_null(other);
	ck_assert_int_eq(err.code, JF_IO);
	ck_assert_str_eq(err.message, expected);
	free(expected);
	free(path);
}
END_TEST

START_TEST(open_rejects_other_file)
{
	struct jf_error err = JF_ERROR_INIT;
	struct store *other = NULL;
	char *path = xasprintf("%s/notes.txt", tmp_dir);
	char *expected = xasprintf("unable to prepare the database '%s': file is not a database",
				   path);
	static const char text[] = "these are notes, not a database, and long enough to matter\n";

	ck_assert_int_eq(write_file_atomic(path, text, sizeof(text) - 1, 0600, false, &err), 0);
	ck_assert_int_eq(store_open(path, false, &other, &err), JF_IO);
	ck_assert_ptr_null(other);
	ck_assert_str_eq(err.message, expected);
	free(expected);
	free(path);
}
END_TEST

START_TEST(reopen_keeps_everything)
{
	struct jf_error err = JF_ERROR_INIT;
	struct loaded_jobs jobs;
	struct exec_record rec;
	char *text = NULL;
	int64_t job_id = save_job(0, "uuid-1", "deploy", "{\"name\":\"deploy\"}");
	int64_t exec_id = insert_exec("uuid-1", ST_FAILED);

	ck_assert_int_eq(store_checkpoint_save(store, exec_id, "{\"step\":2}", &err), 0);
	ck_assert_int_eq(store_snapshot_save(store, exec_id, "[{\"step\":\"exec\"}]", &err), 0);
	store_close(store);
	store = NULL;
	open_store();

	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 1);
	ck_assert_int_eq(jobs.ids[0], job_id);
	ck_assert_str_eq(jobs.definitions[0], "{\"name\":\"deploy\"}");
	release_jobs(&jobs);
	get_exec(exec_id, &rec);
	ck_assert_int_eq(rec.status, ST_FAILED);
	ck_assert_str_eq(rec.job_uuid, "uuid-1");
	record_release(&rec);
	ck_assert_int_eq(store_checkpoint_load(store, exec_id, &text, &err), 0);
	ck_assert_str_eq(text, "{\"step\":2}");
	free(text);
	ck_assert_int_eq(store_snapshot_load(store, exec_id, &text, &err), 0);
	ck_assert_str_eq(text, "[{\"step\":\"exec\"}]");
	free(text);
	ck_assert_int_eq(insert_exec("uuid-1", ST_RUNNING), exec_id + 1);
}
END_TEST

/* ---- jobs ------------------------------------------------------------------------- */

START_TEST(job_save_and_load)
{
	struct loaded_jobs jobs;
	int64_t a = save_job(0, "uuid-a", "a", "{\"name\":\"a\"}");
	int64_t b = save_job(0, "uuid-b", "b", "{\"name\":\"b\"}");

	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, a);
	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 2);
	ck_assert_int_eq(jobs.ids[0], a);
	ck_assert_str_eq(jobs.definitions[0], "{\"name\":\"a\"}");
	ck_assert_int_eq(jobs.ids[1], b);
	ck_assert_str_eq(jobs.definitions[1], "{\"name\":\"b\"}");
	release_jobs(&jobs);
}
END_TEST

START_TEST(job_update_replaces_definition)
{
	struct loaded_jobs jobs;
	int64_t id = save_job(0, "uuid-a", "a", "{\"v\":1}");

	ck_assert_int_eq(save_job(id, "uuid-a", "a", "{\"v\":2}"), id);
	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 1);
	ck_assert_int_eq(jobs.ids[0], id);
	ck_assert_str_eq(jobs.definitions[0], "{\"v\":2}");
	release_jobs(&jobs);
}
END_TEST

START_TEST(job_delete_removes_row)
{
	struct jf_error err = JF_ERROR_INIT;
	struct loaded_jobs jobs;
	int64_t a = save_job(0, "uuid-a", "a", "{}");
	int64_t b = save_job(0, "uuid-b", "b", "{}");

	ck_assert_int_eq(store_job_delete(store, a, &err), 0);
	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 1);
	ck_assert_int_eq(jobs.ids[0], b);
	release_jobs(&jobs);
}
END_TEST

START_TEST(job_ids_not_reused)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t a = save_job(0, "uuid-a", "a", "{}");
	int64_t b = save_job(0, "uuid-b", "b", "{}");

	ck_assert_int_eq(store_job_delete(store, b, &err), 0);
	ck_assert_int_eq(store_job_delete(store, a, &err), 0);
	ck_assert_int_eq(save_job(0, "uuid-c", "c", "{}"), b + 1);
}
END_TEST

START_TEST(rollback_discards_job_saves)
{
	struct jf_error err = JF_ERROR_INIT;
	struct loaded_jobs jobs;

	ck_assert_int_eq(store_begin(store, &err), 0);
	save_job(0, "uuid-a", "a", "{}");
	save_job(0, "uuid-b", "b", "{}");
	store_rollback(store);
	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 0);

	ck_assert_int_eq(store_begin(store, &err), 0);
	save_job(0, "uuid-c", "c", "{}");
	ck_assert_int_eq(store_commit(store, &err), 0);
	load_jobs(&jobs);
	ck_assert_uint_eq(jobs.n, 1);
	release_jobs(&jobs);
}
END_TEST

START_TEST(job_save_rejects_duplicate_uuid)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id = 0;

	save_job(0, "uuid-a", "a", "{}");
	ck_assert_int_eq(store_job_save(store, &id, "uuid-a", "ops", "b", "{}", &err), JF_IO);
	ck_assert_int_eq(id, 0);
	ck_assert_str_eq(err.message,
			 "database: unable to run a statement: UNIQUE constraint failed: jobs.uuid");
}
END_TEST

/* ---- executions --------------------------------------------------------------------- */

START_TEST(exec_insert_increasing_ids)
{
	ck_assert_int_eq(insert_exec("uuid-a", ST_RUNNING), 1);
	ck_assert_int_eq(insert_exec("uuid-a", ST_RUNNING), 2);
	ck_assert_int_eq(insert_exec("uuid-b", ST_SCHEDULED), 3);
}
END_TEST

START_TEST(exec_ids_not_reused)
{
	ck_assert_int_eq(insert_exec("uuid-a", ST_SUCCEEDED), 1);
	ck_assert_int_eq(insert_exec("uuid-a", ST_SUCCEEDED), 2);

	run_sql("DELETE FROM executions WHERE id = 2");
	ck_assert_int_eq(insert_exec("uuid-a", ST_RUNNING), 3);

	run_sql("DELETE FROM executions");
	ck_assert_int_eq(insert_exec("uuid-a", ST_RUNNING), 4);
}
END_TEST

START_TEST(exec_update_get_round_trip)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_record rec, got;
	int64_t id = insert_exec("uuid-a", ST_RUNNING);

	fill_record(&rec, "uuid-z", ST_FAILED_WITH_RETRY);
	rec.id = id;
	rec.retry_attempt = 5;
	rec.started = 1700000000001;
	rec.ended = 1700000000002;
	rec.scheduled_at = 1700000000003;
	rec.resumable = false;
	ck_assert_int_eq(store_exec_update(store, &rec, &err), 0);
	get_exec(id, &got);

	ck_assert_int_eq(got.id, id);
	ck_assert_str_eq(got.job_uuid, "uuid-z");
	ck_assert_str_eq(got.job_group, rec.job_group);
	ck_assert_str_eq(got.job_name, rec.job_name);
	ck_assert_int_eq(got.status, ST_FAILED_WITH_RETRY);
	ck_assert_str_eq(got.argstring, rec.argstring);
	ck_assert_str_eq(got.options_json, rec.options_json);
	ck_assert_str_eq(got.user, rec.user);
	ck_assert_int_eq(got.started, 1700000000001);
	ck_assert_int_eq(got.ended, 1700000000002);
	ck_assert_int_eq(got.scheduled_at, 1700000000003);
	ck_assert_int_eq(got.retry_attempt, 5);
	ck_assert_int_eq(got.retry_of, rec.retry_of);
	ck_assert_int_eq(got.retry_initial, rec.retry_initial);
	ck_assert_int_eq(got.resumed_from, rec.resumed_from);
	ck_assert_int_eq(got.resume_step, rec.resume_step);
	ck_assert_int_eq(got.resumed_by, rec.resumed_by);
	ck_assert_int_eq(got.parent_id, rec.parent_id);
	ck_assert_int_eq(got.step_count, rec.step_count);
	ck_assert_int_eq(got.pgid, rec.pgid);
	ck_assert_int_eq(got.leader_start, rec.leader_start);
	ck_assert_str_eq(got.boot_id, rec.boot_id);
	ck_assert_str_eq(got.error, rec.error);
	ck_assert_str_eq(got.aborted_by, rec.aborted_by);
	ck_assert(!got.resumable);
	record_release(&got);

	/* NULL strings stay NULL, and every status name reads back. */
	free(rec.error);
	rec.error = NULL;
	free(rec.aborted_by);
	rec.aborted_by = NULL;
	for (int status = ST_SCHEDULED; status <= ST_INCOMPLETE; status++) {
		rec.status = (enum exec_status)status;
		ck_assert_int_eq(store_exec_update(store, &rec, &err), 0);
		get_exec(id, &got);
		ck_assert_int_eq(got.status, status);
		ck_assert_ptr_null(got.error);
		ck_assert_ptr_null(got.aborted_by);
		record_release(&got);
	}
	record_release(&rec);
}
END_TEST

START_TEST(exec_get_reports_missing)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_record rec;

	ck_assert_int_eq(store_exec_get(store, 42, &rec, &err), JF_NOT_FOUND);
	ck_assert_int_eq(err.code, JF_NOT_FOUND);
	ck_assert_str_eq(err.message, "no execution 42");
	ck_assert_ptr_null(rec.job_uuid);
}
END_TEST

START_TEST(exec_get_unknown_status)
{
	struct exec_record rec;
	int64_t id = insert_exec("uuid-a", ST_RUNNING);

	run_sql("UPDATE executions SET status = 'paused'");
	get_exec(id, &rec);
	ck_assert_int_eq(rec.status, ST_INCOMPLETE);
	record_release(&rec);
}
END_TEST

/* Insert A B A B A B A A: ids 1..8, A has 1 3 5 7 8 and B has 2 4 6. */
static void insert_two_jobs(void)
{
	static const char *const owners = "ABABABAA";

	for (size_t i = 0; owners[i]; i++)
		insert_exec(owners[i] == 'A' ? "uuid-a" : "uuid-b", ST_SUCCEEDED);
}

static void check_list(int64_t after, const char *job_uuid, size_t max, size_t n_expected,
		       const int64_t *expected)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t ids[16] = { 0 };
	size_t n = 99;

	ck_assert_int_eq(store_exec_list(store, after, job_uuid, ids, max, &n, &err), 0);
	ck_assert_uint_eq(n, n_expected);
	for (size_t i = 0; i < n_expected; i++)
		ck_assert_int_eq(ids[i], expected[i]);
}

START_TEST(exec_list_pages)
{
	insert_two_jobs();
	check_list(0, NULL, 3, 3, (const int64_t[]){ 1, 2, 3 });
	check_list(3, NULL, 3, 3, (const int64_t[]){ 4, 5, 6 });
	check_list(6, NULL, 3, 2, (const int64_t[]){ 7, 8 });
	check_list(8, NULL, 3, 0, NULL);
	check_list(0, NULL, 16, 8, (const int64_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 });
}
END_TEST

START_TEST(exec_list_filters_by_job)
{
	insert_two_jobs();
	check_list(0, "uuid-a", 16, 5, (const int64_t[]){ 1, 3, 5, 7, 8 });
	check_list(3, "uuid-a", 2, 2, (const int64_t[]){ 5, 7 });
	check_list(0, "uuid-b", 16, 3, (const int64_t[]){ 2, 4, 6 });
	check_list(0, "uuid-none", 16, 0, NULL);
}
END_TEST

START_TEST(exec_last_per_job)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id = -1;

	insert_two_jobs();
	ck_assert_int_eq(store_exec_last(store, "uuid-a", &id, &err), 0);
	ck_assert_int_eq(id, 8);
	ck_assert_int_eq(store_exec_last(store, "uuid-b", &id, &err), 0);
	ck_assert_int_eq(id, 6);
	ck_assert_int_eq(store_exec_last(store, "uuid-none", &id, &err), 0);
	ck_assert_int_eq(id, 0);
}
END_TEST

START_TEST(exec_unfinished_lists_open)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t *ids = NULL;
	size_t n = 0;

	insert_exec("uuid-a", ST_SUCCEEDED);
	insert_exec("uuid-a", ST_RUNNING);
	insert_exec("uuid-a", ST_FAILED);
	insert_exec("uuid-b", ST_SCHEDULED);
	insert_exec("uuid-b", ST_INCOMPLETE);
	insert_exec("uuid-b", ST_RUNNING);
	ck_assert_int_eq(store_exec_unfinished(store, &ids, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ids[0], 2);
	ck_assert_int_eq(ids[1], 4);
	ck_assert_int_eq(ids[2], 6);
	free(ids);
}
END_TEST

START_TEST(exec_set_process_round_trip)
{
	struct jf_error err = JF_ERROR_INIT;
	struct exec_record rec;
	int64_t id = insert_exec("uuid-a", ST_RUNNING);

	ck_assert_int_eq(store_exec_set_process(store, id, 777, 123456, "boot-2", &err), 0);
	get_exec(id, &rec);
	ck_assert_int_eq(rec.pgid, 777);
	ck_assert_int_eq(rec.leader_start, 123456);
	ck_assert_str_eq(rec.boot_id, "boot-2");
	ck_assert_str_eq(rec.user, "alice");
	record_release(&rec);

	ck_assert_int_eq(store_exec_set_process(store, id, 0, 0, NULL, &err), 0);
	get_exec(id, &rec);
	ck_assert_int_eq(rec.pgid, 0);
	ck_assert_str_eq(rec.boot_id, "");
	record_release(&rec);
}
END_TEST

/* ---- checkpoints ---------------------------------------------------------------------- */

START_TEST(checkpoint_save_and_load)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id = insert_exec("uuid-a", ST_RUNNING);
	char *text = NULL;

	ck_assert_int_eq(store_checkpoint_load(store, id, &text, &err), 0);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(store_checkpoint_save(store, id, "{\"step\":1}", &err), 0);
	ck_assert_int_eq(store_checkpoint_save(store, id, "{\"step\":2}", &err), 0);
	ck_assert_int_eq(store_checkpoint_load(store, id, &text, &err), 0);
	ck_assert_str_eq(text, "{\"step\":2}");
	free(text);
	ck_assert_int_eq(store_checkpoint_load(store, id + 100, &text, &err), 0);
	ck_assert_ptr_null(text);
}
END_TEST

START_TEST(snapshot_save_and_load)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t id = insert_exec("uuid-a", ST_RUNNING);
	int64_t other = insert_exec("uuid-a", ST_RUNNING);
	char *text = NULL;

	ck_assert_int_eq(store_snapshot_load(store, id, &text, &err), 0);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(store_snapshot_save(store, id, "[\"a\"]", &err), 0);
	ck_assert_int_eq(store_snapshot_load(store, id, &text, &err), 0);
	ck_assert_str_eq(text, "[\"a\"]");
	free(text);
	ck_assert_int_eq(store_snapshot_load(store, other, &text, &err), 0);
	ck_assert_ptr_null(text);
}
END_TEST

struct loaded_deltas {
	int64_t steps[8];
	char *texts[8];
	size_t n;
};

static void collect_delta(void *ctx, int64_t step, const char *delta)
{
	struct loaded_deltas *deltas = ctx;

	if (deltas->n == 8)
		return;
	deltas->steps[deltas->n] = step;
	deltas->texts[deltas->n] = xstrdup(delta);
	deltas->n++;
}

static void release_deltas(struct loaded_deltas *deltas)
{
	for (size_t i = 0; i < deltas->n; i++)
		free(deltas->texts[i]);
	deltas->n = 0;
}

START_TEST(checkpoint_deltas_in_order)
{
	struct jf_error err = JF_ERROR_INIT;
	struct loaded_deltas deltas = { .n = 0 };
	int64_t id = insert_exec("uuid-a", ST_RUNNING);
	int64_t other = insert_exec("uuid-a", ST_RUNNING);

	ck_assert_int_eq(store_checkpoint_add(store, id, 1, "{\"d\":1}", &err), 0);
	ck_assert_int_eq(store_checkpoint_add(store, other, 1, "{\"other\":1}", &err), 0);
	ck_assert_int_eq(store_checkpoint_add(store, id, 2, "{\"d\":2}", &err), 0);
	ck_assert_int_eq(store_checkpoint_deltas(store, id, collect_delta, &deltas, &err), 0);
	ck_assert_uint_eq(deltas.n, 2);
	ck_assert_int_eq(deltas.steps[0], 1);
	ck_assert_str_eq(deltas.texts[0], "{\"d\":1}");
	ck_assert_int_eq(deltas.steps[1], 2);
	ck_assert_str_eq(deltas.texts[1], "{\"d\":2}");
	release_deltas(&deltas);

	ck_assert_int_eq(store_checkpoint_clear(store, id, &err), 0);
	ck_assert_int_eq(store_checkpoint_deltas(store, id, collect_delta, &deltas, &err), 0);
	ck_assert_uint_eq(deltas.n, 0);
	ck_assert_int_eq(store_checkpoint_deltas(store, other, collect_delta, &deltas, &err), 0);
	ck_assert_uint_eq(deltas.n, 1);
	release_deltas(&deltas);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *database = tcase_create("database");
	TCase *jobs = tcase_create("jobs");
	TCase *execs = tcase_create("executions");
	TCase *checkpoints = tcase_create("checkpoints");
	TCase *all[] = { database, jobs, execs, checkpoints };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}

	tcase_add_test(database, open_creates_database);
	tcase_add_test(database, open_reports_missing_folder);
	tcase_add_test(database, open_rejects_other_file);
	tcase_add_test(database, reopen_keeps_everything);

	tcase_add_test(jobs, job_save_and_load);
	tcase_add_test(jobs, job_update_replaces_definition);
	tcase_add_test(jobs, job_delete_removes_row);
	tcase_add_test(jobs, job_ids_not_reused);
	tcase_add_test(jobs, rollback_discards_job_saves);
	tcase_add_test(jobs, job_save_rejects_duplicate_uuid);

	tcase_add_test(execs, exec_insert_increasing_ids);
	tcase_add_test(execs, exec_ids_not_reused);
	tcase_add_test(execs, exec_update_get_round_trip);
	tcase_add_test(execs, exec_get_reports_missing);
	tcase_add_test(execs, exec_get_unknown_status);
	tcase_add_test(execs, exec_list_pages);
	tcase_add_test(execs, exec_list_filters_by_job);
	tcase_add_test(execs, exec_last_per_job);
	tcase_add_test(execs, exec_unfinished_lists_open);
	tcase_add_test(execs, exec_set_process_round_trip);

	tcase_add_test(checkpoints, checkpoint_save_and_load);
	tcase_add_test(checkpoints, snapshot_save_and_load);
	tcase_add_test(checkpoints, checkpoint_deltas_in_order);
	return s;
}

int main(void)
{
	return run_suite(store_suite());
}
