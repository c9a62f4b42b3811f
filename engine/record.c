/* record.c - execution statuses and records. */
#include "record.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	"scheduled", "running", "succeeded", "failed", "aborted", "timedout",
	"failed-with-retry", "incomplete",
};

const char *exec_status_name(enum exec_status status)
{
	return status_names[status];
}

bool exec_status_parse(const char *name, enum exec_status *status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (!strcmp(status_names[i], name)) {
			*status = (enum exec_status)i;
			return true;
		}
	}
	return false;
}

bool exec_status_final(enum exec_status status)
{
	return status != ST_SCHEDULED && status != ST_RUNNING;
}

void record_release(struct exec_record *rec)
{
	free(rec->job_uuid);
	free(rec->job_group);
	free(rec->job_name);
	free(rec->argstring);
	free(rec->options_json);
	free(rec->user);
	free(rec->boot_id);
	free(rec->error);
	free(rec->aborted_by);
	memset(rec, 0, sizeof(*rec));
}
