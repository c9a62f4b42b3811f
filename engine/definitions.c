/*
 * definitions.c - job definitions in and out: imports of whole documents,
 * replacement of one job, deletion, and rendering in each format.
 *
 * An import is all or nothing: every job of the document is decoded and
 * validated first, then all are saved in one store transaction, and only
 * then does the catalog change.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"
#include "logging.h"

static char *new_uuid(void)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		int64_t t = now_ms();

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(t >> (i % 8 * 8)) ^ (unsigned char)(i * 37 + rand());
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
}

/* Prefix err's message with the file name and position. */
static void locate_error(struct jf_error *err, const char *file_name)
{
	struct strbuf message = STRBUF_INIT;

	if (!file_name)
		return;
	if (err->line && strncmp(err->message, "line ", 5) != 0)
		sb_addf(&message, "%s:%d:%d: %s", file_name, err->line,
			err->column ? err->column : 1, err->message);
	else
		sb_addf(&message, "%s: %s", file_name, err->message);
	snprintf(err->message, sizeof(err->message), "%s", sb_str(&message));
	sb_release(&message);
}

/* Decode a document into a list of normalized job maps. */
static int decode_jobs(const char *file_name, enum job_format format, const char *data,
		       size_t len, json_t **list, struct srcmap *src, struct jf_error *err)
{
	json_t *root;

	*list = NULL;
	if (str_is_blank(data, len))
		return jf_fail(err, JF_INVALID, "the file is empty: expected a list of jobs");
	{
		size_t i = 0;

		while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' ||
				   data[i] == '\t'))
			i++;
		if (format != FORMAT_XML && i < len && data[i] == '<')
			return jf_fail(err, JF_INVALID,
				       "this looks like XML, not %s: write it to job.xml or to a "
				       ".xml file",
				       format_name(format));
	}
	if (codec_decode(format, data, len, &root, src, err))
		return err->code;
	if (json_is_object(root)) {
		json_t *one = json_array();

		json_array_append_new(one, root);
		root = one;
	}
	if (!json_is_array(root) || json_array_size(root) == 0) {
		int line, column;

		srcmap_find(src, root, &line, &column);
		json_decref(root);
		return jf_fail_at(err, JF_INVALID, line, column,
				  "expected a list of jobs, each a map with name and sequence");
	}
	(void)file_name;
	*list = root;
	return 0;
}

struct staged {
	struct job *job;
	struct catalog_job *existing;
};

static void staged_free(struct staged *staged, size_t n)
{
	for (size_t i = 0; i < n; i++)
		job_unref(staged[i].job);
	free(staged);
}

/* Find the job a new definition updates: by uuid, then by group and name. */
static int match_job(struct engine *eng, struct job *job, struct catalog_job **out,
		     struct jf_error *err)
{
	struct catalog_job *by_uuid = catalog_find_uuid(eng, job->uuid);
	struct catalog_job *by_path = catalog_find_path(eng, job->group, job->name);
	char *path = job_path(job);
	int rc = 0;

	*out = by_uuid ? by_uuid : by_path;
	if (by_uuid && by_path && by_uuid != by_path)
		rc = jf_fail(err, JF_INVALID,
			     "job '%s' has the uuid of another job, '%s/%s'; change its uuid or "
			     "its name",
			     path, by_uuid->job->group, by_uuid->job->name);
	free(path);
	return rc;
}

/* Give job the uuid it keeps: the matched job's, its own, or a new one. */
static void settle_uuid(struct job *job, const struct catalog_job *existing)
{
	const char *uuid = existing ? existing->job->uuid : job->uuid;
	char *fresh = uuid ? NULL : new_uuid();

	json_object_set_new(job->def, "uuid", json_string(uuid ? uuid : fresh));
	job->uuid = json_string_value(json_object_get(job->def, "uuid"));
	free(fresh);
}

static int check_duplicates(struct staged *staged, size_t n, struct jf_error *err)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++) {
			const struct job *a = staged[i].job, *b = staged[k].job;

			if (!strcmp(a->uuid, b->uuid) ||
			    (!strcmp(a->group, b->group) && !strcmp(a->name, b->name))) {
				char *path = job_path(a);
				int rc = jf_fail(err, JF_INVALID,
						 "jobs %zu and %zu are the same job '%s'; give "
						 "each job its own name",
						 k + 1, i + 1, path);

				free(path);
				return rc;
			}
		}
	}
	return 0;
}

/* Parse every job of list; folder_group fills in a missing group. */
static int stage_jobs(struct engine *eng, json_t *list, const struct srcmap *src,
		      const char *folder_group, struct staged **out, struct jf_error *err)
{
	size_t n = json_array_size(list);
	struct staged *staged = xcalloc(n, sizeof(*staged));
	size_t i;
	json_t *map;

	json_array_foreach(list, i, map) {
		job_normalize(map);
		if (json_is_object(map) && !json_object_get(map, "group") && *folder_group)
			json_object_set_new(map, "group", json_string(folder_group));
		staged[i].job = job_parse(map, (int)i + 1, src, err);
		if (!staged[i].job || match_job(eng, staged[i].job, &staged[i].existing, err)) {
			staged_free(staged, n);
			return err->code;
		}
		settle_uuid(staged[i].job, staged[i].existing);
	}
	if (check_duplicates(staged, n, err)) {
		staged_free(staged, n);
		return err->code;
	}
	*out = staged;
	return 0;
}

static int save_staged(struct engine *eng, struct staged *staged, size_t n,
		       struct jf_error *err)
{
	if (store_begin(eng->store, err))
		return err->code;
	for (size_t i = 0; i < n; i++) {
		struct job *job = staged[i].job;
		char *text = json_dumps(job->def, JSON_COMPACT);
		int rc;

		job->id = staged[i].existing ? staged[i].existing->job->id : 0;
		rc = store_job_save(eng->store, &job->id, job->uuid, job->group, job->name, text,
				    err);
		free(text);
		if (rc) {
			store_rollback(eng->store);
			return rc;
		}
	}
	return store_commit(eng->store, err);
}

int engine_import(struct engine *eng, int64_t folder, const char *file_name, const char *data,
		  size_t len, size_t *count, struct jf_error *err)
{
	struct srcmap src = SRCMAP_INIT;
	struct staged *staged = NULL;
	enum job_format format;
	json_t *list = NULL;
	char *group = NULL;
	size_t n = 0;
	int rc;

	*count = 0;
	if (!format_from_name(file_name, &format))
		return jf_fail(err, JF_INVALID,
			       "'%s' is not a job file: name it .yaml, .yml, .json or .xml",
			       file_name);
	if (engine_folder_path(eng, folder, &group))
		return jf_fail(err, JF_NOT_FOUND, "the folder was removed");
	rc = decode_jobs(file_name, format, data, len, &list, &src, err);
	pthread_mutex_lock(&eng->lock);
	if (rc == 0) {
		n = json_array_size(list);
		rc = stage_jobs(eng, list, &src, group, &staged, err);
	}
	if (rc == 0 && (rc = save_staged(eng, staged, n, err)) == 0) {
		for (size_t i = 0; i < n; i++) {
			char *path = job_path(staged[i].job);

			log_notice("job '%s' (%s) %s from '%s'", path, staged[i].job->uuid,
				   staged[i].existing ? "updated" : "imported", file_name);
			free(path);
			job_ref(staged[i].job);
			catalog_put(eng, staged[i].job);
		}
		*count = n;
		engine_notify(eng, 0, NOTIFY_JOBS);
	}
	pthread_mutex_unlock(&eng->lock);
	if (rc)
		locate_error(err, file_name);
	if (staged)
		staged_free(staged, n);
	json_decref(list);
	srcmap_release(&src);
	free(group);
	return rc;
}

int engine_job_replace(struct engine *eng, int64_t job_id, enum job_format format,
		       const char *data, size_t len, struct jf_error *err)
{
	char file_name[32];
	struct srcmap src = SRCMAP_INIT;
	struct catalog_job *cj;
	struct job *job = NULL;
	json_t *list = NULL, *map;
	int rc;

	snprintf(file_name, sizeof(file_name), "job.%s", format == FORMAT_YAML ? "yaml"
							 : format == FORMAT_JSON ? "json"
										 : "xml");
	rc = decode_jobs(file_name, format, data, len, &list, &src, err);
	if (rc == 0 && json_array_size(list) != 1)
		rc = jf_fail(err, JF_INVALID,
			     "%s holds one job, and this document has %zu; import several jobs "
			     "by writing a file into jobs/",
			     file_name, json_array_size(list));
	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	if (rc == 0 && !cj)
		rc = jf_fail(err, JF_NOT_FOUND, "the job was deleted");
	if (rc == 0) {
		map = json_array_get(list, 0);
		job_normalize(map);
		if (json_is_object(map) && !json_object_get(map, "group") && *cj->job->group)
			json_object_set_new(map, "group", json_string(cj->job->group));
		if (json_is_object(map))
			json_object_set_new(map, "uuid", json_string(cj->job->uuid));
		job = job_parse(map, 1, &src, err);
		rc = job ? 0 : err->code;
	}
	if (rc == 0) {
		struct catalog_job *other = catalog_find_path(eng, job->group, job->name);

		if (other && other != cj)
			rc = jf_fail(err, JF_INVALID,
				     "another job is already named '%s' in group '%s'; choose "
				     "another name",
				     job->name, job->group);
	}
	if (rc == 0) {
		struct staged one = { job, cj };

		rc = save_staged(eng, &one, 1, err);
	}
	if (rc == 0) {
		char *path = job_path(job);

		log_notice("job '%s' (%s) replaced through %s", path, job->uuid, file_name);
		free(path);
		job_ref(job);
		catalog_put(eng, job);
		engine_notify(eng, 0, NOTIFY_JOBS);
	}
	pthread_mutex_unlock(&eng->lock);
	if (rc)
		locate_error(err, file_name);
	job_unref(job);
	json_decref(list);
	srcmap_release(&src);
	return rc;
}

int engine_job_delete(struct engine *eng, int64_t job_id, struct jf_error *err)
{
	struct catalog_job *cj;
	int rc;

	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	if (!cj) {
		pthread_mutex_unlock(&eng->lock);
		return jf_fail(err, JF_NOT_FOUND, "the job was deleted");
	}
	rc = store_job_delete(eng->store, job_id, err);
	if (rc == 0) {
		char *path = job_path(cj->job);

		log_notice("job '%s' (%s) deleted", path, cj->job->uuid);
		free(path);
		catalog_remove(eng, job_id);
		engine_notify(eng, 0, NOTIFY_JOBS);
	}
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

int engine_job_render(struct engine *eng, int64_t job_id, enum job_format format,
		      struct strbuf *out)
{
	struct catalog_job *cj;
	json_t *list, *copy;
	int rc;

	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	if (!cj) {
		pthread_mutex_unlock(&eng->lock);
		return JF_NOT_FOUND;
	}
	copy = json_deep_copy(cj->job->def);
	pthread_mutex_unlock(&eng->lock);
	/* Rundeck exports the uuid under both names. */
	json_object_set(copy, "id", json_object_get(copy, "uuid"));
	list = json_array();
	json_array_append_new(list, copy);
	rc = codec_encode(format, list, out, NULL);
	json_decref(list);
	return rc;
}
