/*
 * record.h - the persistent record of one execution, as the store keeps it
 * and the engine reports it.
 */
#ifndef JOBFS_RECORD_H
#define JOBFS_RECORD_H

#include <stdbool.h>
#include <stdint.h>

enum exec_status {
	ST_SCHEDULED,         /* a retry waiting for its delay */
	ST_RUNNING,
	ST_SUCCEEDED,
	ST_FAILED,
	ST_ABORTED,           /* killed */
	ST_TIMEDOUT,
	ST_FAILED_WITH_RETRY, /* failed, and a retry follows */
	ST_INCOMPLETE,        /* interrupted by a stop or crash of jobfs */
};

const char *exec_status_name(enum exec_status status);
bool exec_status_parse(const char *name, enum exec_status *status);
bool exec_status_final(enum exec_status status);

/* Strings are owned by the record; record_release() frees them. */
struct exec_record {
	int64_t id;
	char *job_uuid;
	char *job_group;
	char *job_name;
	enum exec_status status;
	char *argstring;    /* secure options left out */
	char *options_json; /* option values, secure options left out */
	char *user;
	int64_t started;    /* ms since the epoch, 0 when not started */
	int64_t ended;
	int64_t scheduled_at;
	int retry_attempt;
	int64_t retry_of;      /* the failed attempt this retry follows, 0 for none */
	int64_t retry_initial; /* the first attempt of the chain */
	int64_t resumed_from;  /* the execution this one resumes */
	int resume_step;       /* 1-based step it resumed at, 0 for none */
	int64_t resumed_by;    /* the execution that resumed this one */
	int64_t parent_id;     /* the execution whose job reference started this one */
	int step_count;
	int64_t pgid;          /* process group of the running step, 0 for none */
	int64_t leader_start;  /* its leader's start time, in clock ticks since boot */
	char *boot_id;
	char *error;           /* why it failed or was refused, for the log and .error */
	char *aborted_by;
	bool resumable;        /* a resume state was written to log storage */
};

void record_release(struct exec_record *rec);

#endif
