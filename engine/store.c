/* store.c - jobs, executions and checkpoints in SQLite. */
#include "store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum { STATEMENTS_KEPT = 48 };

/*
 * Prepared statements are kept for reuse, keyed by their SQL text's
 * address: every statement here is a string literal.
 */
struct cached_statement {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	struct cached_statement statements[STATEMENTS_KEPT];
	size_t n_statements;
};

/* A prepared statement for sql, ready to bind; call with the lock held. */
static sqlite3_stmt *statement_for(struct store *store, const char *sql)
{
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < store->n_statements; i++) {
		if (store->statements[i].sql == sql) {
			st = store->statements[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (store->n_statements < STATEMENTS_KEPT)
		store->statements[store->n_statements++] = (struct cached_statement){ sql, st };
	return st;
}

/* Done with a statement from statement_for(); call with the lock held. */
static void statement_done(struct store *store, sqlite3_stmt *st)
{
	for (size_t i = 0; i < store->n_statements; i++) {
		if (store->statements[i].stmt == st) {
			sqlite3_reset(st);
			return;
		}
	}
	sqlite3_finalize(st);
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" uuid TEXT NOT NULL UNIQUE,"
	" grp TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" definition TEXT NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS executions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" job_uuid TEXT NOT NULL, job_group TEXT, job_name TEXT,"
	" status TEXT NOT NULL, argstring TEXT, options TEXT, user TEXT,"
	" started INTEGER, ended INTEGER, scheduled_at INTEGER,"
	" retry_attempt INTEGER, retry_of INTEGER, retry_initial INTEGER,"
	" resumed_from INTEGER, resume_step INTEGER, resumed_by INTEGER,"
	" parent_id INTEGER, step_count INTEGER,"
	" pgid INTEGER, leader_start INTEGER, boot_id TEXT,"
	" error TEXT, aborted_by TEXT, resumable INTEGER);"
	/* Large and written once: kept apart, so that updates of a running
	 * execution's row stay small. */
	"CREATE TABLE IF NOT EXISTS resume_bases ("
	" execution INTEGER PRIMARY KEY, snapshot TEXT, base TEXT);"
	"CREATE TABLE IF NOT EXISTS checkpoints ("
	" execution INTEGER NOT NULL, step INTEGER NOT NULL, delta TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS checkpoints_by_execution ON checkpoints(execution);"
	"CREATE INDEX IF NOT EXISTS executions_by_job ON executions(job_uuid, id);"
	"CREATE INDEX IF NOT EXISTS executions_by_status ON executions(status);";

static int db_fail(struct store *store, struct jf_error *err, const char *what)
{
	return jf_fail(err, JF_IO, "database: unable to %s: %s", what, sqlite3_errmsg(store->db));
}

int store_open(const char *path, bool sync_full, struct store **out, struct jf_error *err)
{
	struct store *store = xcalloc(1, sizeof(*store));
	char *pragmas;
	int rc;

	*out = NULL;
	pthread_mutex_init(&store->lock, NULL);
	rc = sqlite3_open_v2(path, &store->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		jf_fail(err, JF_IO, "unable to open the database '%s': %s", path,
			store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc));
		store_close(store);
		return JF_IO;
	}
	sqlite3_busy_timeout(store->db, 5000);
	pragmas = xasprintf("PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;",
			    sync_full ? "FULL" : "NORMAL");
	rc = sqlite3_exec(store->db, pragmas, NULL, NULL, NULL);
	free(pragmas);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(store->db, schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		jf_fail(err, JF_IO, "unable to prepare the database '%s': %s", path,
			sqlite3_errmsg(store->db));
		store_close(store);
		return JF_IO;
	}
	*out = store;
	return 0;
}

void store_close(struct store *store)
{
	if (!store)
		return;
	for (size_t i = 0; i < store->n_statements; i++)
		sqlite3_finalize(store->statements[i].stmt);
	sqlite3_close(store->db);
	pthread_mutex_destroy(&store->lock);
	free(store);
}

static int exec_sql(struct store *store, const char *sql, struct jf_error *err)
{
	int rc;

	pthread_mutex_lock(&store->lock);
	rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		db_fail(store, err, sql);
	pthread_mutex_unlock(&store->lock);
	return rc == SQLITE_OK ? 0 : JF_IO;
}

int store_begin(struct store *store, struct jf_error *err)
{
	return exec_sql(store, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *store, struct jf_error *err)
{
	return exec_sql(store, "COMMIT", err);
}

void store_rollback(struct store *store)
{
	exec_sql(store, "ROLLBACK", NULL);
}

/* Prepare, bind and step one statement under the lock; calls row for rows. */
typedef void (*row_fn)(void *ctx, sqlite3_stmt *st);

static int run_stmt(struct store *store, const char *sql, const char *types, const void **args,
		    row_fn row, void *ctx, struct jf_error *err)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&store->lock);
	st = statement_for(store, sql);
	if (!st) {
		db_fail(store, err, "prepare a statement");
		pthread_mutex_unlock(&store->lock);
		return JF_IO;
	}
	for (int i = 0; types[i]; i++) {
		if (types[i] == 's')
			sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, *(const int64_t *)args[i]);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row)
			row(ctx, st);
	if (rc != SQLITE_DONE)
		db_fail(store, err, "run a statement");
	statement_done(store, st);
	pthread_mutex_unlock(&store->lock);
	return rc == SQLITE_DONE ? 0 : JF_IO;
}

static int64_t last_rowid(struct store *store)
{
	int64_t id;

	pthread_mutex_lock(&store->lock);
	id = sqlite3_last_insert_rowid(store->db);
	pthread_mutex_unlock(&store->lock);
	return id;
}

int store_job_save(struct store *store, int64_t *id, const char *uuid, const char *group,
		   const char *name, const char *definition, struct jf_error *err)
{
	int64_t now = now_ms();

	if (*id == 0) {
		const void *args[] = { uuid, group, name, definition, &now };
		int rc = run_stmt(store,
				  "INSERT INTO jobs (uuid, grp, name, definition, updated) "
				  "VALUES (?, ?, ?, ?, ?)",
				  "ssssi", args, NULL, NULL, err);

		if (rc == 0)
			*id = last_rowid(store);
		return rc;
	}
	{
		const void *args[] = { uuid, group, name, definition, &now, id };

		return run_stmt(store,
				"UPDATE jobs SET uuid = ?, grp = ?, name = ?, definition = ?, "
				"updated = ? WHERE id = ?",
				"ssssii", args, NULL, NULL, err);
	}
}

int store_job_delete(struct store *store, int64_t id, struct jf_error *err)
{
	const void *args[] = { &id };

	return run_stmt(store, "DELETE FROM jobs WHERE id = ?", "i", args, NULL, NULL, err);
}

struct jobs_load_ctx {
	store_job_fn fn;
	void *ctx;
};

static void job_row(void *ctx, sqlite3_stmt *st)
{
	struct jobs_load_ctx *c = ctx;

	c->fn(c->ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
}

int store_jobs_load(struct store *store, store_job_fn fn, void *ctx, struct jf_error *err)
{
	struct jobs_load_ctx c = { fn, ctx };
	const void *args[] = { NULL };

	return run_stmt(store, "SELECT id, definition FROM jobs ORDER BY id", "", args, job_row, &c,
			err);
}

/* ---- executions --------------------------------------------------------- */

#define EXEC_COLUMNS                                                                       \
	"job_uuid, job_group, job_name, status, argstring, options, user, started, ended, " \
	"scheduled_at, retry_attempt, retry_of, retry_initial, resumed_from, resume_step, " \
	"resumed_by, parent_id, step_count, pgid, leader_start, boot_id, error, aborted_by, " \
	"resumable"

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Bind the 24 record columns at positions 1..24. */
static void bind_record(sqlite3_stmt *st, const struct exec_record *r)
{
	int i = 1;

	bind_text(st, i++, r->job_uuid);
	bind_text(st, i++, r->job_group);
	bind_text(st, i++, r->job_name);
	bind_text(st, i++, exec_status_name(r->status));
	bind_text(st, i++, r->argstring);
	bind_text(st, i++, r->options_json);
	bind_text(st, i++, r->user);
	sqlite3_bind_int64(st, i++, r->started);
	sqlite3_bind_int64(st, i++, r->ended);
	sqlite3_bind_int64(st, i++, r->scheduled_at);
	sqlite3_bind_int64(st, i++, r->retry_attempt);
	sqlite3_bind_int64(st, i++, r->retry_of);
	sqlite3_bind_int64(st, i++, r->retry_initial);
	sqlite3_bind_int64(st, i++, r->resumed_from);
	sqlite3_bind_int64(st, i++, r->resume_step);
	sqlite3_bind_int64(st, i++, r->resumed_by);
	sqlite3_bind_int64(st, i++, r->parent_id);
	sqlite3_bind_int64(st, i++, r->step_count);
	sqlite3_bind_int64(st, i++, r->pgid);
	sqlite3_bind_int64(st, i++, r->leader_start);
	bind_text(st, i++, r->boot_id);
	bind_text(st, i++, r->error);
	bind_text(st, i++, r->aborted_by);
	sqlite3_bind_int64(st, i++, r->resumable);
}

static char *column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? xstrdup((const char *)s) : NULL;
}

static void read_record(sqlite3_stmt *st, struct exec_record *r)
{
	int i = 1;
	char *status;

	r->id = sqlite3_column_int64(st, 0);
	r->job_uuid = column_text(st, i++);
	r->job_group = column_text(st, i++);
	r->job_name = column_text(st, i++);
	status = column_text(st, i++);
	if (!status || !exec_status_parse(status, &r->status))
		r->status = ST_INCOMPLETE;
	free(status);
	r->argstring = column_text(st, i++);
	r->options_json = column_text(st, i++);
	r->user = column_text(st, i++);
	r->started = sqlite3_column_int64(st, i++);
	r->ended = sqlite3_column_int64(st, i++);
	r->scheduled_at = sqlite3_column_int64(st, i++);
	r->retry_attempt = (int)sqlite3_column_int64(st, i++);
	r->retry_of = sqlite3_column_int64(st, i++);
	r->retry_initial = sqlite3_column_int64(st, i++);
	r->resumed_from = sqlite3_column_int64(st, i++);
	r->resume_step = (int)sqlite3_column_int64(st, i++);
	r->resumed_by = sqlite3_column_int64(st, i++);
	r->parent_id = sqlite3_column_int64(st, i++);
	r->step_count = (int)sqlite3_column_int64(st, i++);
	r->pgid = sqlite3_column_int64(st, i++);
	r->leader_start = sqlite3_column_int64(st, i++);
	r->boot_id = column_text(st, i++);
	r->error = column_text(st, i++);
	r->aborted_by = column_text(st, i++);
	r->resumable = sqlite3_column_int64(st, i++) != 0;
}

static int prepare(struct store *store, const char *sql, sqlite3_stmt **st, struct jf_error *err)
{
	*st = statement_for(store, sql);
	if (!*st)
		return db_fail(store, err, "prepare a statement");
	return 0;
}

int store_exec_insert(struct store *store, struct exec_record *rec, struct jf_error *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	pthread_mutex_lock(&store->lock);
	if (prepare(store,
		    "INSERT INTO executions (" EXEC_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    &st, err)) {
		pthread_mutex_unlock(&store->lock);
		return JF_IO;
	}
	bind_record(st, rec);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(store, err, "insert an execution");
	else
		rec->id = sqlite3_last_insert_rowid(store->db);
	statement_done(store, st);
	pthread_mutex_unlock(&store->lock);
	return rc;
}

int store_exec_update(struct store *store, const struct exec_record *rec, struct jf_error *err)
{
	sqlite3_stmt *st;
	int rc = 0;

	pthread_mutex_lock(&store->lock);
	if (prepare(store,
		    "UPDATE executions SET job_uuid = ?, job_group = ?, job_name = ?, status = ?, "
		    "argstring = ?, options = ?, user = ?, started = ?, ended = ?, "
		    "scheduled_at = ?, retry_attempt = ?, retry_of = ?, retry_initial = ?, "
		    "resumed_from = ?, resume_step = ?, resumed_by = ?, parent_id = ?, "
		    "step_count = ?, pgid = ?, leader_start = ?, boot_id = ?, error = ?, "
		    "aborted_by = ?, resumable = ? WHERE id = ?",
		    &st, err)) {
		pthread_mutex_unlock(&store->lock);
		return JF_IO;
	}
	bind_record(st, rec);
	sqlite3_bind_int64(st, 25, rec->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(store, err, "update an execution");
	statement_done(store, st);
	pthread_mutex_unlock(&store->lock);
	return rc;
}

int store_exec_get(struct store *store, int64_t id, struct exec_record *rec,
		   struct jf_error *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(rec, 0, sizeof(*rec));
	pthread_mutex_lock(&store->lock);
	if (prepare(store, "SELECT id, " EXEC_COLUMNS " FROM executions WHERE id = ?", &st, err)) {
		pthread_mutex_unlock(&store->lock);
		return JF_IO;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_record(st, rec);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = jf_fail(err, JF_NOT_FOUND, "no execution %lld", (long long)id);
	} else {
		rc = db_fail(store, err, "read an execution");
	}
	statement_done(store, st);
	pthread_mutex_unlock(&store->lock);
	return rc;
}

struct id_list {
	int64_t *ids;
	size_t n;
	size_t max;
};

static void id_row(void *ctx, sqlite3_stmt *st)
{
	struct id_list *l = ctx;

	if (l->max == 0) {
		l->ids = xrealloc(l->ids, (l->n + 1) * sizeof(int64_t));
		l->ids[l->n++] = sqlite3_column_int64(st, 0);
	} else if (l->n < l->max) {
		l->ids[l->n++] = sqlite3_column_int64(st, 0);
	}
}

int store_exec_list(struct store *store, int64_t after, const char *job_uuid, int64_t *ids,
		    size_t max, size_t *n, struct jf_error *err)
{
	struct id_list l = { ids, 0, max };
	int64_t limit = (int64_t)max;
	int rc;

	if (job_uuid) {
		const void *args[] = { job_uuid, &after, &limit };

		rc = run_stmt(store,
			      "SELECT id FROM executions WHERE job_uuid = ? AND id > ? "
			      "ORDER BY id LIMIT ?",
			      "sii", args, id_row, &l, err);
	} else {
		const void *args[] = { &after, &limit };

		rc = run_stmt(store, "SELECT id FROM executions WHERE id > ? ORDER BY id LIMIT ?",
			      "ii", args, id_row, &l, err);
	}
	*n = l.n;
	return rc;
}

static void one_id_row(void *ctx, sqlite3_stmt *st)
{
	*(int64_t *)ctx = sqlite3_column_int64(st, 0);
}

int store_exec_last(struct store *store, const char *job_uuid, int64_t *id,
		    struct jf_error *err)
{
	const void *args[] = { job_uuid };

	*id = 0;
	return run_stmt(store,
			"SELECT max(id) FROM executions WHERE job_uuid = ?", "s",
			args, one_id_row, id, err);
}

int store_exec_unfinished(struct store *store, int64_t **ids, size_t *n, struct jf_error *err)
{
	struct id_list l = { NULL, 0, 0 };
	const void *args[] = { NULL };
	int rc = run_stmt(store,
			  "SELECT id FROM executions WHERE status IN ('running', 'scheduled') "
			  "ORDER BY id",
			  "", args, id_row, &l, err);

	*ids = l.ids;
	*n = l.n;
	return rc;
}

int store_checkpoint_save(struct store *store, int64_t id, const char *checkpoint,
			  struct jf_error *err)
{
	const void *args[] = { checkpoint, &id };

	return run_stmt(store,
			"INSERT INTO resume_bases (execution, base) VALUES (?2, ?1) "
			"ON CONFLICT (execution) DO UPDATE SET base = excluded.base",
			"si", args, NULL, NULL, err);
}

static void text_row(void *ctx, sqlite3_stmt *st)
{
	char **out = ctx;

	free(*out);
	*out = column_text(st, 0);
}

int store_checkpoint_load(struct store *store, int64_t id, char **checkpoint,
			  struct jf_error *err)
{
	const void *args[] = { &id };

	*checkpoint = NULL;
	return run_stmt(store, "SELECT base FROM resume_bases WHERE execution = ?", "i", args,
			text_row, checkpoint, err);
}

int store_snapshot_save(struct store *store, int64_t id, const char *snapshot,
			struct jf_error *err)
{
	const void *args[] = { snapshot, &id };

	return run_stmt(store,
			"INSERT INTO resume_bases (execution, snapshot) VALUES (?2, ?1) "
			"ON CONFLICT (execution) DO UPDATE SET snapshot = excluded.snapshot",
			"si", args, NULL, NULL, err);
}

int store_snapshot_load(struct store *store, int64_t id, char **snapshot, struct jf_error *err)
{
	const void *args[] = { &id };

	*snapshot = NULL;
	return run_stmt(store, "SELECT snapshot FROM resume_bases WHERE execution = ?", "i", args,
			text_row, snapshot, err);
}

int store_exec_set_process(struct store *store, int64_t id, int64_t pgid, int64_t leader_start,
			   const char *boot_id, struct jf_error *err)
{
	const void *args[] = { &pgid, &leader_start, boot_id ? boot_id : "", &id };

	return run_stmt(store,
			"UPDATE executions SET pgid = ?, leader_start = ?, boot_id = ? WHERE id = ?",
			"iisi", args, NULL, NULL, err);
}

int store_checkpoint_add(struct store *store, int64_t id, int64_t step, const char *delta,
			 struct jf_error *err)
{
	const void *args[] = { &id, &step, delta };

	return run_stmt(store, "INSERT INTO checkpoints (execution, step, delta) VALUES (?, ?, ?)",
			"iis", args, NULL, NULL, err);
}

struct delta_ctx {
	store_delta_fn fn;
	void *ctx;
};

static void delta_row(void *ctx, sqlite3_stmt *st)
{
	struct delta_ctx *c = ctx;

	c->fn(c->ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
}

int store_checkpoint_deltas(struct store *store, int64_t id, store_delta_fn fn, void *ctx,
			    struct jf_error *err)
{
	struct delta_ctx c = { fn, ctx };
	const void *args[] = { &id };

	return run_stmt(store,
			"SELECT step, delta FROM checkpoints WHERE execution = ? ORDER BY rowid",
			"i", args, delta_row, &c, err);
}

int store_checkpoint_clear(struct store *store, int64_t id, struct jf_error *err)
{
	const void *args[] = { &id };

	return run_stmt(store, "DELETE FROM checkpoints WHERE execution = ?", "i", args, NULL,
			NULL, err);
}

struct retry_row {
	int64_t id;
	char *status;
};

static void retry_row(void *ctx, sqlite3_stmt *st)
{
	struct retry_row *r = ctx;

	r->id = sqlite3_column_int64(st, 0);
	free(r->status);
	r->status = column_text(st, 1);
}

int store_exec_retry(struct store *store, int64_t id, int64_t *retry_id, char **status,
		     struct jf_error *err)
{
	struct retry_row r = { 0, NULL };
	const void *args[] = { &id };
	int rc = run_stmt(store, "SELECT id, status FROM executions WHERE retry_of = ? LIMIT 1",
			  "i", args, retry_row, &r, err);

	*retry_id = r.id;
	*status = r.status;
	return rc;
}
