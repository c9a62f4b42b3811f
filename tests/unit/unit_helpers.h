/*
 * unit_helpers.h - helpers shared by the engine's Check unit tests: jobs
 * built from YAML text, whole-file reads, and temporary folders.
 */
#ifndef JOBFS_UNIT_HELPERS_H
#define JOBFS_UNIT_HELPERS_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "job.h"

/*
 * Decode yaml, normalize and parse its first job. Fails the running test
 * with the engine's message when any stage fails.
 */
struct job *job_from_yaml(const char *yaml);

/* Read a whole file into a new string, failing the running test when unreadable. */
char *read_text(const char *path);

/*
 * Create a new folder inside the run's folder under /tmp, which the caller
 * removes with temp_dir_remove.
 */
char *temp_dir_create(void);
/* Remove path and everything under it, then free path. */
void temp_dir_remove(char *path);

/* Return true if text names a second in the form 2025-01-05T10:00:09Z. */
bool is_utc_second(const char *text, size_t len);

/*
 * Run every test of suite in a new folder under /tmp, remove that folder,
 * and return the process exit status.
 */
int run_suite(Suite *suite);

#endif
