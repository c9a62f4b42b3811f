/*
 * internal.h - what the engine's modules share: the engine, the in-memory
 * execution and the step that runs now. Not for front ends.
 *
 * Locking: every field here is protected by engine.lock, except where a
 * field's comment names another lock. The loop thread takes the lock at the
 * start of each libuv callback; API calls take it on entry. The store has its own mutex
 * and is always taken after engine.lock, never before.
 *
 * Execution states and who moves them:
 *
 *      engine_run / resume / retry
 *                 |
 *                 v                timer (retry delay)
 *   [scheduled] ----------------------------+
 *                 |                         v
 *                 +-- exec_begin() --> [running] --> exec_finish()
 *                                         |   ^          |
 *                            wf_next() steps  |          v
 *                                         +---+   succeeded | failed |
 *                                                 failed-with-retry |
 *                                                 aborted | timedout |
 *                                                 incomplete
 *
 * ex->stop is the desired state (kill, timeout or shutdown requested) and
 * ex->rec.status the observed one: a stop request takes effect when the
 * running step's process group has ended.
 */
#ifndef JOBFS_INTERNAL_H
#define JOBFS_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <uv.h>

#include "engine.h"
#include "job.h"
#include "logstore.h"
#include "proc.h"
#include "record.h"
#include "state.h"
#include "store.h"
#include "vars.h"

struct execution;

struct catalog_job {
	struct job *job;
	int64_t folder; /* the folder that lists it */
	int64_t mtime;
};

struct folder {
	int64_t id;
	char *path; /* group path, "" for jobs/ */
};

struct error_note {
	enum error_scope scope;
	int64_t id;
	char *text;
};

enum action_kind {
	ACTION_START, /* begin a new execution */
	ACTION_KILL,
	ACTION_STOP,  /* shut down: end everything as incomplete */
	ACTION_STEP_DONE,
};

/* The outcome of one step or handler. */
struct step_result {
	bool ok;
	int code;        /* exit status, -1 when none */
	char *reason;    /* NonZeroResultCode, JobFailed, ... */
	char *message;
};

struct action {
	enum action_kind kind;
	int64_t exec_id;
	struct step_run *run;      /* ACTION_STEP_DONE */
	struct step_result result; /* ACTION_STEP_DONE, owned */
	struct action *next;
};

struct engine {
	pthread_mutex_t lock;
	struct store *store;
	char *store_dir;
	char *log_dir;
	char *work_dir;
	char *tmp_dir;
	char *user;
	char boot_id[64];
	bool sync_full;
	unsigned kill_grace_ms;
	engine_notify_fn notify;
	void *notify_ctx;

	struct catalog_job *jobs;
	size_t n_jobs;
	struct folder *folders;
	size_t n_folders;
	int64_t next_folder_id;

	struct execution **execs; /* running, scheduled, and the recently finished */
	size_t n_execs;
	struct error_note *notes;
	size_t n_notes;

	uv_loop_t loop;           /* used by the loop thread only */
	uv_async_t wake;
	pthread_t thread;
	bool thread_started;
	bool stopping;
	struct action *actions;   /* queued for the loop thread */
	int leftovers_fd;         /* STORE/run/processes, -1 until first used */
	bool *slots_used;         /* its records in use (loop thread only) */
	size_t n_slots;
	char **program_names;     /* PATH lookups of direct commands (loop thread only) */
	char **program_paths;
	size_t n_programs;
	struct action **actions_tail;
};

struct step_run;
typedef void (*step_done_fn)(struct step_run *run, struct step_result *result);

/* A step or error handler that runs now. */
struct step_run {
	struct execution *ex;
	const struct step *step;
	size_t index;          /* 0-based top-level step */
	bool is_handler;
	char ctx[32];          /* step context: "2", or "2e" for a handler */
	char *meta;            /* rdlog metadata for its lines */
	struct proc *proc;
	size_t leftover_slot;  /* its record in STORE/run/processes while proc runs */
	char *script_path;
	struct execution *child;
	step_done_fn done;
	struct log_filter *filters; /* the workflow's, then the step's own */
	size_t n_filters;
	void *compiled_filters;
};

enum stop_request {
	STOP_NONE,
	STOP_KILL,
	STOP_TIMEOUT,
	STOP_SHUTDOWN,
};

struct execution {
	struct engine *eng;
	struct exec_record rec;
	struct job *job;           /* the definition it runs, a reference */
	int job_refs_taken;
	json_t *options;           /* every value, secure ones too; memory only */
	char **secrets;            /* secure values, masked in the log */
	size_t n_secrets;
	struct vars vars;
	struct wf_state *state;
	struct exec_log *log;
	bool finished;
	int64_t mtime;

	size_t step;               /* the top-level step that runs or runs next */
	size_t running;            /* steps running now (parallel runs several) */
	struct step_run **runs;    /* one per top-level step, NULL when idle */
	bool failed;
	bool halted;               /* a flow-control step ended the workflow */
	json_t *cp_base;           /* checkpoint parts fixed at the start (resume.c) */
	json_t *cp_data;           /* the data context at the last checkpoint */
	json_t *cp_failed;         /* steps that failed before the last checkpoint */
	size_t cp_step;            /* 1-based step of the last checkpoint, 0 for none */
	json_t *failed_checkpoint; /* the checkpoint before the first failed step */
	enum stop_request stop;

	uv_timer_t timeout_timer;
	uv_timer_t delay_timer;    /* retry delay */
	uv_timer_t state_timer;    /* throttles writes of ID.state.json */
	bool timers_ready;
	int timers_open;
	bool state_dirty;
	int64_t state_written;

	struct execution *parent;  /* job reference: the execution that runs us */
	struct step_run *parent_run;
	int depth;                 /* nesting of job references */

	struct strbuf events;      /* one line per state change */
	size_t n_events;
	size_t *event_offsets;     /* where each line starts in events */
	size_t events_alloc;
	json_t *resume_state;      /* loaded before a resumed execution begins */
};

/* engine.c */
void engine_notify(struct engine *eng, int64_t id, unsigned what);
void engine_queue_action(struct engine *eng, enum action_kind kind, int64_t exec_id);
/* Queue run->done with result (taken over) for the loop's next turn. */
void engine_queue_completion(struct engine *eng, struct step_run *run,
			     struct step_result *result);
struct execution *engine_find_exec(struct engine *eng, int64_t id);
/* Register ex (freed on failure) and queue its start; the lock is held. */
int engine_launch(struct engine *eng, struct execution *ex, int64_t *id, struct jf_error *err);
struct catalog_job *catalog_find_uuid(struct engine *eng, const char *uuid);
struct catalog_job *catalog_find_path(struct engine *eng, const char *group, const char *name);
struct catalog_job *catalog_find_id(struct engine *eng, int64_t id);
void job_ref(struct job *job);
void job_unref(struct job *job);

/* catalog.c */
int64_t catalog_folder_for(struct engine *eng, const char *path);
void catalog_put(struct engine *eng, struct job *job);
void catalog_remove(struct engine *eng, int64_t id);

/* execution.c */
struct execution *exec_new(struct engine *eng, struct job *job, json_t *options);
int exec_create(struct execution *ex, struct jf_error *err);
void exec_free(struct execution *ex);
void exec_begin(struct execution *ex);
void exec_finish(struct execution *ex, enum exec_status status);
void exec_event(struct execution *ex, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void exec_touch(struct execution *ex, unsigned what);
void exec_emit(struct execution *ex, const struct step_run *run, enum log_level level,
	       const char *text, size_t len);
void exec_note(struct execution *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void exec_request_stop(struct execution *ex, enum stop_request stop);
void exec_save_record(struct execution *ex);
void exec_state_changed(struct execution *ex);
int exec_write_state_file(struct execution *ex, bool sync);
void exec_set_vars(struct execution *ex);
void exec_close_timers(struct execution *ex);
/* A copy of text with every secure option value replaced by [SECURE]. */
char *exec_mask_copy(const struct execution *ex, const char *text);

/* workflow.c */
void wf_start(struct execution *ex);
void wf_step_done(struct step_run *run, struct step_result *result);

/* step_run.c */
void step_start(struct execution *ex, const struct step *step, size_t index, bool is_handler,
		step_done_fn done);
/* Hand a step's outcome to the workflow on the loop's next turn. */
void step_complete(struct step_run *run, bool ok, int code, const char *reason,
		   const char *message);
void step_start_exec(struct step_run *run, const char *command);
void step_start_inline_script(struct step_run *run, const char *source);

/* step_process.c */
/* Run line with /bin/sh -c, or directly when allow_direct and it is plain words. */
void step_spawn(struct step_run *run, const char *line, bool allow_direct);

/* step_plugins.c */
void step_run_plugin(struct step_run *run);
void step_start_jobref(struct step_run *run);

/* logfilter.c */
const char *step_config_text(const json_t *config, const char *key);
bool step_config_bool(const json_t *config, const char *key);
void *logfilter_compile(struct execution *ex, const struct step *step);
void logfilter_line(struct step_run *run, const char *text, size_t len);
/* Log the data the filters captured, for those with logData set. */
void logfilter_report(struct step_run *run);
void logfilter_free(void *filters);
void step_stop(struct step_run *run, unsigned grace_ms);
void step_run_free(struct step_run *run);
void step_result_release(struct step_result *result);
/* Start a job reference's child execution; returns it or NULL with err. */
struct execution *jobref_start(struct execution *parent, struct step_run *run,
			       struct jf_error *err);
/* Complete the job reference step run after its child ended. */
void jobref_finished(struct step_run *run, struct execution *child);

/* resume.c */
/* The option values without secure ones; secure_names (may be NULL) gets their names. */
json_t *exec_public_options(const struct execution *ex, json_t **secure_names);
json_t *resume_snapshot(const struct job *job);
/* Compare a snapshot with a job's sequence; fills why on a difference. */
bool resume_snapshot_matches(const json_t *snapshot, const struct job *job,
			     struct strbuf *why);
void resume_checkpoint(struct execution *ex);
/* Keep the last checkpoint as the one to resume from, at the first failure. */
void resume_note_failure(struct execution *ex);
int resume_write_state(struct execution *ex, const char *reason);
/* Rebuild the last checkpoint of execution rec from the store, or NULL. */
json_t *resume_compose_from_store(struct engine *eng, const struct exec_record *rec);
int resume_write_from_store(struct engine *eng, const struct exec_record *rec,
			    json_t *checkpoint, const char *reason);
int resume_load(struct engine *eng, int64_t id, json_t **state, struct jf_error *err);
int resume_check(struct engine *eng, const struct exec_record *rec, json_t **state,
		 struct catalog_job **cj, struct jf_error *err);
int resume_prepare(struct execution *ex, const json_t *state, struct jf_error *err);
/* Make next, a retry of failed, resume where failed stopped. */
int resume_prepare_retry(struct execution *next, struct execution *failed,
			 struct jf_error *err);

/* leftovers.c */
/* Record a step's process group; returns the record's slot. */
size_t leftovers_note(struct execution *ex, pid_t pgid);
void leftovers_clear(struct engine *eng, size_t slot);
/* End the process groups a previous daemon recorded, then forget them. */
void leftovers_end_all(struct engine *eng);

/* recovery.c */
void recovery_run(struct engine *eng);

#endif
