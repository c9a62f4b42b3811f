/*
 * leftovers.c - the process groups of running steps, recorded so that a
 * daemon started after a crash can end what the crashed one left running.
 *
 * One file, STORE/run/processes, contains a fixed-size record per running
 * step: execution id, process group id, its leader's start time (clock
 * ticks since boot) and the boot id. A step takes a free record when its
 * process starts and blanks it when the process ends. A pwrite() of one
 * record is cheaper than a database commit, a crash of jobfs cannot undo
 * a completed write, and no file is created or removed per execution.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "logging.h"

enum { RECORD_LEN = 100 };

static char *processes_path(const struct engine *eng)
{
	return xasprintf("%s/run/processes", eng->store_dir);
}

static int processes_fd(struct engine *eng)
{
	if (eng->leftovers_fd < 0) {
		char *path = processes_path(eng);

		eng->leftovers_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (eng->leftovers_fd < 0)
			log_error("unable to open '%s' to record step processes: %s", path,
				  strerror(errno));
		free(path);
	}
	return eng->leftovers_fd;
}

static void write_record(struct engine *eng, size_t slot, const char *record)
{
	int fd = processes_fd(eng);

	if (fd >= 0 && pwrite(fd, record, RECORD_LEN, (off_t)(slot * RECORD_LEN)) != RECORD_LEN)
		log_error("unable to record a step process in slot %zu: %s", slot, strerror(errno));
}

size_t leftovers_note(struct execution *ex, pid_t pgid)
{
	struct engine *eng = ex->eng;
	char record[RECORD_LEN + 1];
	size_t slot = 0;

	while (slot < eng->n_slots && eng->slots_used[slot])
		slot++;
	if (slot == eng->n_slots) {
		eng->slots_used = xrealloc(eng->slots_used, (eng->n_slots + 1) * sizeof(bool));
		eng->n_slots++;
	}
	eng->slots_used[slot] = true;
	snprintf(record, sizeof(record), "%-20lld %-20lld %-20lld %-36.36s\n",
		 (long long)ex->rec.id, (long long)pgid, (long long)proc_start_time(pgid),
		 eng->boot_id);
	write_record(eng, slot, record);
	return slot;
}

void leftovers_clear(struct engine *eng, size_t slot)
{
	char record[RECORD_LEN];

	memset(record, ' ', sizeof(record));
	record[RECORD_LEN - 1] = '\n';
	write_record(eng, slot, record);
	if (slot < eng->n_slots)
		eng->slots_used[slot] = false;
}

void leftovers_end_all(struct engine *eng)
{
	char *path = processes_path(eng);
	FILE *f = fopen(path, "re");
	char line[RECORD_LEN + 2];

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long long id = 0, pgid = 0, start = 0;
			char boot[64] = "";

			if (sscanf(line, "%lld %lld %lld %63s", &id, &pgid, &start, boot) == 4 &&
			    proc_kill_leftover(pgid, start, boot))
				log_notice("execution %lld: ended the processes left in group %lld",
					   id, pgid);
		}
		fclose(f);
	}
	if (truncate(path, 0) < 0 && errno != ENOENT)
		log_error("unable to clear '%s': %s", path, strerror(errno));
	free(path);
}
