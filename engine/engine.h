/*
 * engine.h - the jobfs engine: jobs, executions and resume, behind one
 * thread-safe API. A front end (the FUSE layer, a test) renders what the
 * engine reports and turns user actions into these calls; it keeps no
 * state of its own.
 *
 * Calling sequence:
 *   1. engine_open(): open the store and log storage, load the jobs, and
 *      mark executions that a previous daemon left running as incomplete.
 *   2. engine_start(): start the thread that runs executions.
 *   3. Any of the calls below, from any thread.
 *   4. engine_stop(): end running executions as incomplete, keeping their
 *      resume state, and stop the thread.
 *   5. engine_close().
 *
 * Every call returns 0 or an enum jf_code and fills err where it takes one.
 * The engine calls config.notify (from its own thread or the caller's, with
 * its lock held) when something a front end shows has changed; the callback
 * must only queue work and return.
 */
#ifndef JOBFS_ENGINE_H
#define JOBFS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "record.h"
#include "util.h"

struct engine;

enum notify_what {
	NOTIFY_STATUS = 1 << 0,     /* an execution's status changed */
	NOTIFY_STATE = 1 << 5,      /* a step of it changed state */
	NOTIFY_LOG = 1 << 1,        /* its log grew */
	NOTIFY_FINISHED = 1 << 2,   /* it ended: its files no longer change */
	NOTIFY_EXECUTIONS = 1 << 3, /* an execution was added */
	NOTIFY_JOBS = 1 << 4,       /* the jobs tree changed */
};

typedef void (*engine_notify_fn)(void *ctx, int64_t exec_id, unsigned what);

struct engine_config {
	const char *store_dir;
	const char *log_dir;      /* NULL for STORE/logs */
	const char *work_dir;     /* where steps run; NULL for $HOME */
	bool sync_full;           /* fsync each checkpoint (survives power loss) */
	unsigned kill_grace_ms;   /* TERM to KILL; 0 for 5000 */
	engine_notify_fn notify;
	void *notify_ctx;
};

int engine_open(const struct engine_config *config, struct engine **out,
		struct jf_error *err);
int engine_start(struct engine *eng, struct jf_error *err);
void engine_stop(struct engine *eng);
void engine_close(struct engine *eng);
const char *engine_log_dir(const struct engine *eng);

/* ---- the jobs tree -------------------------------------------------------- */

enum { FOLDER_ROOT = 1 }; /* the folder id of jobs/ */

struct folder_entry {
	char *name;
	bool is_job;
	int64_t id; /* folder id or job id */
};

int engine_folder_list(struct engine *eng, int64_t folder, struct folder_entry **entries,
		       size_t *n);
int engine_folder_lookup(struct engine *eng, int64_t folder, const char *name,
			 struct folder_entry *out);
void folder_entries_free(struct folder_entry *entries, size_t n);
/* The group path of a folder ("" for jobs/), new string. */
int engine_folder_path(struct engine *eng, int64_t folder, char **path);

struct job_view {
	int64_t id;
	int64_t parent_folder; /* folder id that lists the job */
	int64_t own_folder;    /* folder id of the group path GROUP/NAME, 0 if none */
	char *uuid;
	char *group;
	char *name;
	int depth;             /* number of parts of the group */
	int64_t last_exec;     /* 0 for none */
	int64_t mtime_ms;
};

int engine_job_view(struct engine *eng, int64_t job_id, struct job_view *out);
void job_view_release(struct job_view *view);

/* Import every job of a document written into folder; all or nothing. */
int engine_import(struct engine *eng, int64_t folder, const char *file_name, const char *data,
		  size_t len, size_t *count, struct jf_error *err);
int engine_job_render(struct engine *eng, int64_t job_id, enum job_format format,
		      struct strbuf *out);
/* Replace a job's definition with a document holding one job. */
int engine_job_replace(struct engine *eng, int64_t job_id, enum job_format format,
		       const char *data, size_t len, struct jf_error *err);
int engine_job_delete(struct engine *eng, int64_t job_id, struct jf_error *err);
int engine_job_executions(struct engine *eng, int64_t job_id, int64_t after, int64_t *ids,
			  size_t max, size_t *n);

/* ---- the last rejected write, per folder ------------------------------------ */

enum error_scope {
	SCOPE_FOLDER, /* imports into a jobs folder */
	SCOPE_JOB,    /* runs and definitions */
	SCOPE_EXEC,   /* resume and kill */
};

/* Keep the message for the scope's .error file and log it. */
void engine_note_error(struct engine *eng, enum error_scope scope, int64_t id,
		       const char *action, const struct jf_error *err);
/* The last message of a scope, new string ("" if none). */
char *engine_last_error(struct engine *eng, enum error_scope scope, int64_t id);

/* ---- runs ----------------------------------------------------------------- */

int engine_run(struct engine *eng, int64_t job_id, const char *request, size_t len,
	       int64_t *exec_id, struct jf_error *err);
int engine_kill(struct engine *eng, int64_t exec_id, struct jf_error *err);
int engine_resume(struct engine *eng, int64_t exec_id, const char *request, size_t len,
		  int64_t *new_id, struct jf_error *err);
/* One line: where the execution can resume, or why it cannot. */
int engine_resume_describe(struct engine *eng, int64_t exec_id, struct strbuf *out);

/* ---- executions ----------------------------------------------------------- */

struct exec_view {
	int64_t id;
	enum exec_status status;
	bool final;
	int64_t job_id;       /* 0 when the job was deleted */
	int64_t resumed_from;
	int64_t resumed_by;
	int64_t retry_of;
	int64_t log_size;     /* -1 when engine_exec_log_size() must be asked */
	int64_t mtime_ms;     /* last change */
	int64_t started;
	bool has_resume_state;
};

enum exec_file {
	EXEC_FILE_STATUS,
	EXEC_FILE_STATE,
	EXEC_FILE_INFO,   /* execution.json */
	EXEC_FILE_RESUME_STATE,
};

int engine_exec_view(struct engine *eng, int64_t id, struct exec_view *out);
int engine_exec_list(struct engine *eng, int64_t after, int64_t *ids, size_t max, size_t *n);
int engine_exec_render(struct engine *eng, int64_t id, enum exec_file file,
		       struct strbuf *out);
int64_t engine_exec_log_size(struct engine *eng, int64_t id);
/* A new read-only descriptor on the execution's log. */
int engine_exec_open_log(struct engine *eng, int64_t id, int *fd);
/*
 * Lines of state changes from cursor on (one per change, the last being
 * the final status). *next is the cursor after them; *done is true once
 * the final line was returned.
 */
int engine_exec_events(struct engine *eng, int64_t id, size_t cursor, struct strbuf *out,
		       size_t *next, bool *done);

#endif
