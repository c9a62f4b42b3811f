/*
 * fs.h - the FUSE front end: the jobs/ and executions/ trees over the
 * engine, served with libfuse's low-level API on its multi-threaded loop.
 *
 * Calling sequence:
 *   1. fs_new(): build the session; engine_open() with fs_engine_notify as
 *      the engine's notify callback and the fs as its context.
 *   2. fs_attach() the engine, fs_mount(), engine_start().
 *   3. fs_run(): serve until unmounted or signalled; returns 0 on a clean end.
 *   4. fs_unmount(), engine_stop(), fs_free().
 *
 * The front end keeps no state of its own beyond open files: every name,
 * size and text comes from the engine when the kernel requests it.
 */
#ifndef JOBFS_FS_H
#define JOBFS_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"

struct fs;

struct fs_config {
	const char *mountpoint;   /* absolute path */
	const char *mount_options; /* extra -o options, may be NULL */
	bool debug;
};

struct fs *fs_new(const struct fs_config *config, struct jf_error *err);
void fs_attach(struct fs *fs, struct engine *eng);
int fs_mount(struct fs *fs, struct jf_error *err);
void fs_unmount(struct fs *fs);
/* The engine's notify callback; ctx is the struct fs. */
void fs_engine_notify(void *ctx, int64_t exec_id, unsigned what);
int fs_run(struct fs *fs);
void fs_free(struct fs *fs);

#endif
