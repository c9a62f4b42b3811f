/*
 * store.h - the embedded SQLite database: jobs, executions and the
 * checkpoint each running execution takes before every top-level step.
 *
 * One connection, used under the store's own mutex, so every function may
 * be called from any thread. The database runs in WAL mode. With
 * sync_full a commit survives power loss (synchronous=FULL); without it a
 * commit survives a crash of jobfs but not of the machine (NORMAL).
 *
 * Functions return 0 or JF_IO (JF_NOT_FOUND where stated) and fill err.
 */
#ifndef JOBFS_STORE_H
#define JOBFS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"
#include "util.h"

struct store;

int store_open(const char *path, bool sync_full, struct store **out, struct jf_error *err);
void store_close(struct store *store);

/* Group several writes into one transaction (imports are all or nothing). */
int store_begin(struct store *store, struct jf_error *err);
int store_commit(struct store *store, struct jf_error *err);
void store_rollback(struct store *store);

/* Insert a job (*id == 0, then set) or replace the job with row id *id. */
int store_job_save(struct store *store, int64_t *id, const char *uuid, const char *group,
		   const char *name, const char *definition, struct jf_error *err);
int store_job_delete(struct store *store, int64_t id, struct jf_error *err);
typedef void (*store_job_fn)(void *ctx, int64_t id, const char *definition);
int store_jobs_load(struct store *store, store_job_fn fn, void *ctx, struct jf_error *err);

/* Insert rec (its id is assigned and stored in rec->id). */
int store_exec_insert(struct store *store, struct exec_record *rec, struct jf_error *err);
/* Write every mutable field of rec. */
int store_exec_update(struct store *store, const struct exec_record *rec, struct jf_error *err);
/* Read execution id into rec; JF_NOT_FOUND when there is none. */
int store_exec_get(struct store *store, int64_t id, struct exec_record *rec,
		   struct jf_error *err);
/*
 * List up to max execution ids greater than after, ascending; only those
 * of job_uuid unless it is NULL.
 */
int store_exec_list(struct store *store, int64_t after, const char *job_uuid, int64_t *ids,
		    size_t max, size_t *n, struct jf_error *err);
/* The newest execution of a job, 0 for none. */
int store_exec_last(struct store *store, const char *job_uuid, int64_t *id,
		    struct jf_error *err);
/* The retry that follows execution id: its id (0 for none) and status. */
int store_exec_retry(struct store *store, int64_t id, int64_t *retry_id, char **status,
		     struct jf_error *err);
/* Ids of executions whose status is running or scheduled. */
int store_exec_unfinished(struct store *store, int64_t **ids, size_t *n, struct jf_error *err);

/* The checkpoint taken before the running step, and the sequence snapshot. */
int store_checkpoint_save(struct store *store, int64_t id, const char *checkpoint,
			  struct jf_error *err);
int store_checkpoint_load(struct store *store, int64_t id, char **checkpoint,
			  struct jf_error *err);
/*
 * Checkpoints are a base (store_checkpoint_save: options and what a resume
 * carried over) and one delta per step (the step about to start and what
 * changed since the previous one), so that a checkpoint costs the same at
 * step 1000 as at step 1.
 */
int store_checkpoint_add(struct store *store, int64_t id, int64_t step, const char *delta,
			 struct jf_error *err);
typedef void (*store_delta_fn)(void *ctx, int64_t step, const char *delta);
int store_checkpoint_deltas(struct store *store, int64_t id, store_delta_fn fn, void *ctx,
			    struct jf_error *err);
int store_checkpoint_clear(struct store *store, int64_t id, struct jf_error *err);
/* The sequence snapshot taken when the execution starts (resume.h). */
int store_snapshot_save(struct store *store, int64_t id, const char *snapshot,
			struct jf_error *err);
int store_snapshot_load(struct store *store, int64_t id, char **snapshot, struct jf_error *err);
/* The process group of the running step: pgid 0 clears it. */
int store_exec_set_process(struct store *store, int64_t id, int64_t pgid, int64_t leader_start,
			   const char *boot_id, struct jf_error *err);

#endif
