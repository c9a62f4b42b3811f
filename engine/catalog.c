/*
 * catalog.c - the jobs in memory, and the folders of jobs/ that their
 * groups make. Folder ids live as long as the daemon, so a front end can
 * use them as stable inode numbers; a folder with no job beneath it is not
 * listed.
 */
#include <string.h>

#include "internal.h"

void job_ref(struct job *job)
{
	job->refs++;
}

void job_unref(struct job *job)
{
	if (job && --job->refs == 0)
		job_free(job);
}

struct catalog_job *catalog_find_uuid(struct engine *eng, const char *uuid)
{
	for (size_t i = 0; uuid && i < eng->n_jobs; i++)
		if (!strcmp(eng->jobs[i].job->uuid, uuid))
			return &eng->jobs[i];
	return NULL;
}

struct catalog_job *catalog_find_path(struct engine *eng, const char *group, const char *name)
{
	for (size_t i = 0; i < eng->n_jobs; i++)
		if (!strcmp(eng->jobs[i].job->group, group) && !strcmp(eng->jobs[i].job->name, name))
			return &eng->jobs[i];
	return NULL;
}

struct catalog_job *catalog_find_id(struct engine *eng, int64_t id)
{
	for (size_t i = 0; i < eng->n_jobs; i++)
		if (eng->jobs[i].job->id == id)
			return &eng->jobs[i];
	return NULL;
}

static struct folder *folder_by_id(struct engine *eng, int64_t id)
{
	for (size_t i = 0; i < eng->n_folders; i++)
		if (eng->folders[i].id == id)
			return &eng->folders[i];
	return NULL;
}

static struct folder *folder_by_path(struct engine *eng, const char *path)
{
	for (size_t i = 0; i < eng->n_folders; i++)
		if (!strcmp(eng->folders[i].path, path))
			return &eng->folders[i];
	return NULL;
}

/* The folder id of a group path, registering it and its parents. */
int64_t catalog_folder_for(struct engine *eng, const char *path)
{
	struct folder *f = folder_by_path(eng, path);
	const char *slash;

	if (f)
		return f->id;
	slash = strrchr(path, '/');
	if (slash) {
		char *parent = xstrndup(path, (size_t)(slash - path));

		catalog_folder_for(eng, parent);
		free(parent);
	} else if (*path) {
		catalog_folder_for(eng, "");
	}
	eng->folders = xrealloc(eng->folders, (eng->n_folders + 1) * sizeof(*eng->folders));
	eng->folders[eng->n_folders].id = eng->next_folder_id++;
	eng->folders[eng->n_folders].path = xstrdup(path);
	return eng->folders[eng->n_folders++].id;
}

/* Return true if some job's group is path or lies beneath it. */
static bool folder_in_use(struct engine *eng, const char *path)
{
	size_t n = strlen(path);

	if (n == 0)
		return true;
	for (size_t i = 0; i < eng->n_jobs; i++) {
		const char *g = eng->jobs[i].job->group;

		if (!strncmp(g, path, n) && (g[n] == '\0' || g[n] == '/'))
			return true;
	}
	return false;
}

/* The name of path within parent, if path is a direct child of parent. */
static const char *child_name(const char *parent, const char *path)
{
	size_t n = strlen(parent);

	if (!*path)
		return NULL;
	if (n == 0)
		return strchr(path, '/') ? NULL : path;
	if (strncmp(path, parent, n) != 0 || path[n] != '/' || strchr(path + n + 1, '/'))
		return NULL;
	return path + n + 1;
}

static void add_entry(struct folder_entry **entries, size_t *n, const char *name, bool is_job,
		      int64_t id)
{
	*entries = xrealloc(*entries, (*n + 1) * sizeof(**entries));
	(*entries)[*n].name = xstrdup(name);
	(*entries)[*n].is_job = is_job;
	(*entries)[*n].id = id;
	(*n)++;
}

int engine_folder_list(struct engine *eng, int64_t folder, struct folder_entry **entries,
		       size_t *n)
{
	struct folder *f;

	*entries = NULL;
	*n = 0;
	pthread_mutex_lock(&eng->lock);
	f = folder_by_id(eng, folder);
	if (!f) {
		pthread_mutex_unlock(&eng->lock);
		return JF_NOT_FOUND;
	}
	for (size_t i = 0; i < eng->n_folders; i++) {
		const char *name = child_name(f->path, eng->folders[i].path);

		if (name && folder_in_use(eng, eng->folders[i].path) &&
		    !catalog_find_path(eng, f->path, name))
			add_entry(entries, n, name, false, eng->folders[i].id);
	}
	for (size_t i = 0; i < eng->n_jobs; i++)
		if (!strcmp(eng->jobs[i].job->group, f->path))
			add_entry(entries, n, eng->jobs[i].job->name, true, eng->jobs[i].job->id);
	pthread_mutex_unlock(&eng->lock);
	return 0;
}

int engine_folder_lookup(struct engine *eng, int64_t folder, const char *name,
			 struct folder_entry *out)
{
	struct folder *f;
	struct catalog_job *cj;
	int rc = JF_NOT_FOUND;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&eng->lock);
	f = folder_by_id(eng, folder);
	if (f && (cj = catalog_find_path(eng, f->path, name))) {
		out->is_job = true;
		out->id = cj->job->id;
		rc = 0;
	} else if (f) {
		char *path = *f->path ? xasprintf("%s/%s", f->path, name) : xstrdup(name);
		struct folder *child = folder_by_path(eng, path);

		if (child && folder_in_use(eng, path)) {
			out->id = child->id;
			rc = 0;
		}
		free(path);
	}
	if (rc == 0)
		out->name = xstrdup(name);
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

void folder_entries_free(struct folder_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].name);
	free(entries);
}

int engine_folder_path(struct engine *eng, int64_t folder, char **path)
{
	struct folder *f;

	pthread_mutex_lock(&eng->lock);
	f = folder_by_id(eng, folder);
	*path = f ? xstrdup(f->path) : NULL;
	pthread_mutex_unlock(&eng->lock);
	return f ? 0 : JF_NOT_FOUND;
}

int engine_job_view(struct engine *eng, int64_t job_id, struct job_view *out)
{
	struct catalog_job *cj;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&eng->lock);
	cj = catalog_find_id(eng, job_id);
	if (!cj) {
		pthread_mutex_unlock(&eng->lock);
		return JF_NOT_FOUND;
	}
	out->id = job_id;
	out->parent_folder = cj->folder;
	out->uuid = xstrdup(cj->job->uuid);
	out->group = xstrdup(cj->job->group);
	out->name = xstrdup(cj->job->name);
	out->mtime_ms = cj->mtime;
	out->depth = 0;
	for (const char *p = cj->job->group; *p; p++)
		out->depth += *p == '/';
	if (*cj->job->group)
		out->depth++;
	{
		char *own = job_path(cj->job);
		struct folder *f = folder_by_path(eng, own);

		if (f && folder_in_use(eng, own))
			out->own_folder = f->id;
		free(own);
	}
	pthread_mutex_unlock(&eng->lock);
	store_exec_last(eng->store, out->uuid, &out->last_exec, NULL);
	return 0;
}

void job_view_release(struct job_view *view)
{
	free(view->uuid);
	free(view->group);
	free(view->name);
	memset(view, 0, sizeof(*view));
}

/* Put job into the catalog, replacing the entry with the same store id. */
void catalog_put(struct engine *eng, struct job *job)
{
	struct catalog_job *cj = catalog_find_id(eng, job->id);

	if (cj) {
		job_unref(cj->job);
	} else {
		eng->jobs = xrealloc(eng->jobs, (eng->n_jobs + 1) * sizeof(*eng->jobs));
		cj = &eng->jobs[eng->n_jobs++];
	}
	cj->job = job;
	cj->folder = catalog_folder_for(eng, job->group);
	cj->mtime = now_ms();
}

void catalog_remove(struct engine *eng, int64_t id)
{
	struct catalog_job *cj = catalog_find_id(eng, id);
	size_t index;

	if (!cj)
		return;
	index = (size_t)(cj - eng->jobs);
	job_unref(cj->job);
	memmove(cj, cj + 1, (eng->n_jobs - index - 1) * sizeof(*cj));
	eng->n_jobs--;
}
