/*
 * leftovers.c - the process groups of running steps, recorded so that a
 * daemon started after a crash can end what the crashed one left running.
 *
 * Each execution that runs a step has a file STORE/run/ID with one fixed
 * 80-byte line per top-level step slot: the group id, its leader's start
 * time (clock ticks since boot) and the boot id. A pwrite() of one line is
 * cheaper than a database commit per step, and a crash of jobfs cannot
 * undo a completed write. The file is removed when the execution ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "logging.h"

enum { LINE_LEN = 80 };

static char *run_path(const struct engine *eng, int64_t id)
{
	return xasprintf("%s/run/%lld", eng->store_dir, (long long)id);
}

void leftovers_note(struct execution *ex, size_t slot, pid_t pgid)
{
	char line[LINE_LEN + 1];

	if (ex->leftovers_fd < 0) {
		char *path = run_path(ex->eng, ex->rec.id);

		ex->leftovers_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (ex->leftovers_fd < 0)
			log_error("execution %lld: unable to record its process group in '%s': %s",
				  (long long)ex->rec.id, path, strerror(errno));
		free(path);
		if (ex->leftovers_fd < 0)
			return;
	}
	snprintf(line, sizeof(line), "%-20lld %-20lld %-37.37s\n", (long long)pgid,
		 (long long)proc_start_time(pgid), ex->eng->boot_id);
	if (pwrite(ex->leftovers_fd, line, LINE_LEN, (off_t)(slot * LINE_LEN)) != LINE_LEN)
		log_error("execution %lld: unable to record process group %d: %s",
			  (long long)ex->rec.id, (int)pgid, strerror(errno));
}

void leftovers_clear(struct execution *ex)
{
	char *path;

	if (ex->leftovers_fd < 0)
		return;
	close(ex->leftovers_fd);
	ex->leftovers_fd = -1;
	path = run_path(ex->eng, ex->rec.id);
	unlink(path);
	free(path);
}

int leftovers_end(struct engine *eng, int64_t id)
{
	char *path = run_path(eng, id);
	FILE *f = fopen(path, "re");
	char line[LINE_LEN + 2];
	int ended = 0;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long long pgid = 0, start = 0;
			char boot[64] = "";

			if (sscanf(line, "%lld %lld %63s", &pgid, &start, boot) == 3 &&
			    proc_kill_leftover(pgid, start, boot)) {
				log_notice("execution %lld: ended the processes left in group %lld",
					   (long long)id, pgid);
				ended++;
			}
		}
		fclose(f);
	}
	unlink(path);
	free(path);
	return ended;
}
