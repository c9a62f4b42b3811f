/*
 * proc.h - one child process of a step, on the engine's libuv loop.
 *
 * The child runs in a process group of its own, with stdin from /dev/null
 * and stdout and stderr on pipes that are read line by line. Its exit is
 * seen through a pidfd. Signals go to the whole group, so a kill or a
 * timeout also ends what the step started in the background.
 *
 * Calling sequence:
 *   1. proc_start() with callbacks; on_line runs for each output line.
 *   2. Optionally proc_terminate() (TERM now, KILL after the grace time).
 *   3. on_exit runs once, after the output was read; the proc is freed
 *      after on_exit returns.
 *
 * A line longer than PROC_MAX_LINE is passed in parts, so memory stays
 * bounded whatever the output.
 */
#ifndef JOBFS_PROC_H
#define JOBFS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "util.h"

enum { PROC_MAX_LINE = 64 * 1024 };

struct proc;

struct proc_callbacks {
	/* stream is 1 for stdout, 2 for stderr; text is not NUL-terminated. */
	void (*on_line)(void *ctx, int stream, const char *text, size_t len);
	/* Called after a batch of lines, so the caller can flush its files. */
	void (*on_batch)(void *ctx);
	/* exit_code is the status, or 128 + signal for a killed child. */
	void (*on_exit)(void *ctx, int exit_code, int signal);
};

struct proc_spec {
	const char *path;         /* program to run */
	char *const *argv;
	char *const *envp;
	const char *cwd;          /* NULL for the daemon's */
};

int proc_start(uv_loop_t *loop, const struct proc_spec *spec, const struct proc_callbacks *cb,
	       void *ctx, struct proc **out, struct jf_error *err);
/* Send SIGTERM to the group now and SIGKILL after grace_ms (0: at once). */
void proc_terminate(struct proc *proc, unsigned grace_ms);
pid_t proc_pid(const struct proc *proc);

/* The start time of pid in clock ticks since boot, 0 if unknown. */
int64_t proc_start_time(pid_t pid);
/* This boot's id (/proc/sys/kernel/random/boot_id) into out (>= 40 bytes). */
void proc_boot_id(char *out, size_t size);
/*
 * End what is left of a process group that a previous daemon recorded,
 * if it is safe to say it is the same group: same boot, and its leader is
 * either gone or still has the recorded start time. Returns true if a
 * signal was sent.
 */
bool proc_kill_leftover(int64_t pgid, int64_t leader_start, const char *boot_id);

#endif
