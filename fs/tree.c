/*
 * tree.c - names, attributes, links and listings of the tree: what a node
 * is, computed from its inode number and what the engine returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_internal.h"

/* Seconds the kernel may cache a finished execution's names and attributes. */
#define FINISHED_TIMEOUT 3600.0

const char *const job_file_names[JOB_FILE_COUNT] = {
	"", "job.yaml", "job.xml", "job.json", "run", "executions", "last", ".error",
};

const char *const exec_file_names[EXEC_FILE_COUNT] = {
	"", "status", "log", "state", "execution.json", ".resume.json", "resume", "kill",
	"wait", ".error", "job", "resumed-from", "retry-of", "resumed-by",
};

int fs_errno(int code)
{
	switch (code) {
	case JF_OK:
		return 0;
	case JF_INVALID:
		return EINVAL;
	case JF_NOT_FOUND:
		return ENOENT;
	case JF_REFUSED:
		return EPERM;
	case JF_BUSY:
		return EBUSY;
	default:
		return EIO;
	}
}

static bool parse_id(const char *name, int64_t *id)
{
	if (!*name || *name == '0' || *name == '-' || *name == '+')
		return false;
	return parse_int64(name, id) && *id > 0;
}

/* Whether an execution's optional file or link exists. */
static bool exec_has(const struct exec_view *v, unsigned file)
{
	switch (file) {
	case EXEC_RESUME_STATE:
		return v->has_resume_state;
	case EXEC_JOB_LINK:
		return v->job_id != 0;
	case EXEC_RESUMED_FROM:
		return v->resumed_from != 0;
	case EXEC_RETRY_OF:
		return v->retry_of != 0;
	case EXEC_RESUMED_BY:
		return v->resumed_by != 0;
	default:
		return true;
	}
}

static int lookup_in_job(struct fs *fs, int64_t job_id, const char *name, fuse_ino_t *ino)
{
	struct job_view v;
	struct folder_entry e;
	int rc;

	if (engine_job_view(fs->eng, job_id, &v))
		return ENOENT;
	for (unsigned i = 1; i < JOB_FILE_COUNT; i++) {
		if (strcmp(name, job_file_names[i]) != 0)
			continue;
		rc = i == JOB_LAST && !v.last_exec ? ENOENT : 0;
		*ino = node_ino(NODE_JOB, job_id, i);
		job_view_release(&v);
		return rc;
	}
	/* A job folder also lists the group of the same path, if there is one. */
	rc = v.own_folder ? engine_folder_lookup(fs->eng, v.own_folder, name, &e) : JF_NOT_FOUND;
	job_view_release(&v);
	if (rc)
		return ENOENT;
	*ino = e.is_job ? node_ino(NODE_JOB, e.id, JOB_DIR) : node_ino(NODE_FOLDER, e.id, FOLDER_DIR);
	free(e.name);
	return 0;
}

static int lookup_in_exec(struct fs *fs, int64_t id, const char *name, fuse_ino_t *ino)
{
	struct exec_view v;

	if (engine_exec_view(fs->eng, id, &v))
		return ENOENT;
	for (unsigned i = 1; i < EXEC_FILE_COUNT; i++) {
		if (strcmp(name, exec_file_names[i]) == 0) {
			*ino = node_ino(NODE_EXEC, id, i);
			return exec_has(&v, i) ? 0 : ENOENT;
		}
	}
	return ENOENT;
}

static int lookup_in_job_execs(struct fs *fs, int64_t job_id, const char *name, fuse_ino_t *ino)
{
	struct exec_view v;
	int64_t id;

	if (!parse_id(name, &id) || engine_exec_view(fs->eng, id, &v) || v.job_id != job_id)
		return ENOENT;
	*ino = node_ino(NODE_JOB_EXEC, id, 0);
	return 0;
}

int tree_lookup(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t *ino)
{
	int64_t obj = node_object(parent);
	struct folder_entry e;
	struct exec_view v;
	int64_t id;

	switch (node_kind_of(parent)) {
	case NODE_ROOT:
		if (!strcmp(name, "jobs"))
			*ino = node_ino(NODE_FOLDER, FOLDER_ROOT, FOLDER_DIR);
		else if (!strcmp(name, "executions"))
			*ino = node_ino(NODE_EXECS, 0, 0);
		else
			return ENOENT;
		return 0;
	case NODE_FOLDER:
		if (!strcmp(name, ".error")) {
			*ino = node_ino(NODE_FOLDER, obj, FOLDER_ERROR);
			return 0;
		}
		if (engine_folder_lookup(fs->eng, obj, name, &e))
			return ENOENT;
		*ino = e.is_job ? node_ino(NODE_JOB, e.id, JOB_DIR)
				: node_ino(NODE_FOLDER, e.id, FOLDER_DIR);
		free(e.name);
		return 0;
	case NODE_JOB:
		if (node_file(parent) == JOB_EXECUTIONS)
			return lookup_in_job_execs(fs, obj, name, ino);
		return lookup_in_job(fs, obj, name, ino);
	case NODE_EXECS:
		if (!parse_id(name, &id) || engine_exec_view(fs->eng, id, &v))
			return ENOENT;
		*ino = node_ino(NODE_EXEC, id, EXEC_DIR);
		return 0;
	case NODE_EXEC:
		return lookup_in_exec(fs, obj, name, ino);
	default:
		return ENOTDIR;
	}
}

/* ---- attributes --------------------------------------------------------------- */

static void set_times(struct stat *st, int64_t ms)
{
	st->st_mtim.tv_sec = ms / 1000;
	st->st_mtim.tv_nsec = (ms % 1000) * 1000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

static void make_dir(struct stat *st, mode_t mode)
{
	st->st_mode = S_IFDIR | mode;
	st->st_nlink = 2;
}

static void make_file(struct stat *st, mode_t mode, off_t size)
{
	st->st_mode = S_IFREG | mode;
	st->st_nlink = 1;
	st->st_size = size;
}

static off_t rendered_size(struct fs *fs, fuse_ino_t ino)
{
	struct strbuf text = STRBUF_INIT;
	off_t size = tree_render(fs, ino, &text) == 0 ? (off_t)text.len : 0;

	sb_release(&text);
	return size;
}

static int stat_link(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	struct strbuf target = STRBUF_INIT;
	int rc = tree_readlink(fs, ino, &target);

	st->st_mode = S_IFLNK | 0777;
	st->st_nlink = 1;
	st->st_size = (off_t)target.len;
	sb_release(&target);
	return rc;
}

static int stat_job(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	unsigned file = node_file(ino);
	struct job_view v;

	if (engine_job_view(fs->eng, node_object(ino), &v))
		return ENOENT;
	set_times(st, v.mtime_ms);
	job_view_release(&v);
	switch (file) {
	case JOB_DIR:
	case JOB_EXECUTIONS:
		make_dir(st, 0755);
		return 0;
	case JOB_RUN:
		make_file(st, 0600, 0);
		return 0;
	case JOB_LAST:
		return stat_link(fs, ino, st);
	case JOB_ERROR:
		make_file(st, 0444, rendered_size(fs, ino));
		return 0;
	default:
		make_file(st, 0600, rendered_size(fs, ino));
		return 0;
	}
}

static int stat_exec(struct fs *fs, fuse_ino_t ino, struct stat *st, double *timeout)
{
	unsigned file = node_file(ino);
	struct exec_view v;

	if (engine_exec_view(fs->eng, node_object(ino), &v) || !exec_has(&v, file))
		return ENOENT;
	set_times(st, v.mtime_ms);
	if (v.final && (file == EXEC_STATUS || file == EXEC_LOG || file == EXEC_STATE))
		*timeout = FINISHED_TIMEOUT;
	switch (file) {
	case EXEC_DIR:
		/* An execution's folder is never removed, whatever happens in it. */
		make_dir(st, 0755);
		*timeout = FINISHED_TIMEOUT;
		return 0;
	case EXEC_LOG:
		make_file(st, 0444,
			  v.log_size >= 0 ? v.log_size : engine_exec_log_size(fs->eng, v.id));
		return 0;
	case EXEC_RESUME:
	case EXEC_KILL:
		make_file(st, 0600, file == EXEC_RESUME ? rendered_size(fs, ino) : 0);
		return 0;
	case EXEC_WAIT:
		make_file(st, 0444, 0);
		return 0;
	case EXEC_RESUME_STATE:
		make_file(st, 0400, rendered_size(fs, ino));
		return 0;
	case EXEC_STATE:
		/* A running state is rendered at open; rendering it per stat costs too much. */
		make_file(st, 0444, v.final ? rendered_size(fs, ino) : 0);
		return 0;
	case EXEC_JOB_LINK:
	case EXEC_RESUMED_FROM:
	case EXEC_RETRY_OF:
	case EXEC_RESUMED_BY:
		return stat_link(fs, ino, st);
	default:
		make_file(st, 0444, rendered_size(fs, ino));
		return 0;
	}
}

int tree_stat(struct fs *fs, fuse_ino_t ino, struct stat *st, double *timeout)
{
	struct exec_view v;
	struct fh *up;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	*timeout = 0;
	st->st_ino = ino;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	set_times(st, fs->start_ms);
	switch (node_kind_of(ino)) {
	case NODE_ROOT:
	case NODE_EXECS:
		/* jobs/ and executions/ are always there. */
		make_dir(st, 0755);
		*timeout = FINISHED_TIMEOUT;
		break;
	case NODE_FOLDER:
		if (node_file(ino) == FOLDER_ERROR) {
			make_file(st, 0444, rendered_size(fs, ino));
		} else {
			make_dir(st, 0755);
			if (node_object(ino) == FOLDER_ROOT)
				*timeout = FINISHED_TIMEOUT;
		}
		break;
	case NODE_JOB:
		rc = stat_job(fs, ino, st);
		break;
	case NODE_JOB_EXEC:
		if (engine_exec_view(fs->eng, node_object(ino), &v))
			return ENOENT;
		rc = stat_link(fs, ino, st);
		break;
	case NODE_EXEC:
		rc = stat_exec(fs, ino, st, timeout);
		break;
	case NODE_UPLOAD:
		pthread_mutex_lock(&fs->lock);
		up = upload_find(fs, node_object(ino));
		make_file(st, 0600, up ? (off_t)up->upload.len : 0);
		pthread_mutex_unlock(&fs->lock);
		if (!up)
			return ENOENT;
		break;
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return rc;
}

/* ---- links ------------------------------------------------------------------ */

static void add_ups(struct strbuf *out, int n)
{
	for (int i = 0; i < n; i++)
		sb_adds(out, "../");
}

static int job_link(struct fs *fs, int64_t job_id, int ups, int64_t exec_id, struct strbuf *out)
{
	struct job_view v;

	if (engine_job_view(fs->eng, job_id, &v))
		return ENOENT;
	if (!exec_id)
		exec_id = v.last_exec;
	/* The job folder is jobs/GROUP.../NAME: one up per part, plus jobs/. */
	add_ups(out, ups + v.depth + 2);
	sb_addf(out, "executions/%lld", (long long)exec_id);
	job_view_release(&v);
	return exec_id ? 0 : ENOENT;
}

int tree_readlink(struct fs *fs, fuse_ino_t ino, struct strbuf *out)
{
	int64_t obj = node_object(ino);
	struct exec_view v;
	struct job_view jv;

	switch (node_kind_of(ino)) {
	case NODE_JOB:
		if (node_file(ino) != JOB_LAST)
			return EINVAL;
		return job_link(fs, obj, 0, 0, out);
	case NODE_JOB_EXEC:
		if (engine_exec_view(fs->eng, obj, &v) || !v.job_id)
			return ENOENT;
		return job_link(fs, v.job_id, 1, obj, out);
	case NODE_EXEC:
		if (engine_exec_view(fs->eng, obj, &v))
			return ENOENT;
		switch (node_file(ino)) {
		case EXEC_JOB_LINK:
			if (!v.job_id || engine_job_view(fs->eng, v.job_id, &jv))
				return ENOENT;
			sb_addf(out, "../../jobs/%s%s%s", jv.group, *jv.group ? "/" : "", jv.name);
			job_view_release(&jv);
			return 0;
		case EXEC_RESUMED_FROM:
			sb_addf(out, "../%lld", (long long)v.resumed_from);
			return v.resumed_from ? 0 : ENOENT;
		case EXEC_RETRY_OF:
			sb_addf(out, "../%lld", (long long)v.retry_of);
			return v.retry_of ? 0 : ENOENT;
		case EXEC_RESUMED_BY:
			sb_addf(out, "../%lld", (long long)v.resumed_by);
			return v.resumed_by ? 0 : ENOENT;
		default:
			return EINVAL;
		}
	default:
		return EINVAL;
	}
}

/* ---- text files ------------------------------------------------------------- */

static int render_job_file(struct fs *fs, int64_t job_id, unsigned file, struct strbuf *out)
{
	switch (file) {
	case JOB_YAML:
		return fs_errno(engine_job_render(fs->eng, job_id, FORMAT_YAML, out));
	case JOB_XML:
		return fs_errno(engine_job_render(fs->eng, job_id, FORMAT_XML, out));
	case JOB_JSON:
		return fs_errno(engine_job_render(fs->eng, job_id, FORMAT_JSON, out));
	case JOB_ERROR: {
		char *text = engine_last_error(fs->eng, SCOPE_JOB, job_id);

		sb_adds(out, text);
		free(text);
		return 0;
	}
	default:
		return 0;
	}
}

static int render_exec_file(struct fs *fs, int64_t id, unsigned file, struct strbuf *out)
{
	char *text;

	switch (file) {
	case EXEC_STATUS:
		return fs_errno(engine_exec_render(fs->eng, id, EXEC_FILE_STATUS, out));
	case EXEC_STATE:
		return fs_errno(engine_exec_render(fs->eng, id, EXEC_FILE_STATE, out));
	case EXEC_INFO:
		return fs_errno(engine_exec_render(fs->eng, id, EXEC_FILE_INFO, out));
	case EXEC_RESUME_STATE:
		return fs_errno(engine_exec_render(fs->eng, id, EXEC_FILE_RESUME_STATE, out));
	case EXEC_RESUME:
		return fs_errno(engine_resume_describe(fs->eng, id, out));
	case EXEC_ERROR:
		text = engine_last_error(fs->eng, SCOPE_EXEC, id);
		sb_adds(out, text);
		free(text);
		return 0;
	default:
		return 0;
	}
}

int tree_render(struct fs *fs, fuse_ino_t ino, struct strbuf *out)
{
	int64_t obj = node_object(ino);

	switch (node_kind_of(ino)) {
	case NODE_FOLDER:
		if (node_file(ino) == FOLDER_ERROR) {
			char *text = engine_last_error(fs->eng, SCOPE_FOLDER, obj);

			sb_adds(out, text);
			free(text);
		}
		return 0;
	case NODE_JOB:
		return render_job_file(fs, obj, node_file(ino), out);
	case NODE_EXEC:
		return render_exec_file(fs, obj, node_file(ino), out);
	default:
		return 0;
	}
}

/* ---- listings ----------------------------------------------------------------- */

struct listing {
	char *buf;
	size_t len;
	size_t size;
	fuse_req_t req;
	bool full;
};

/* Add one entry; off is the offset of the entry after it. */
static void list_add(struct listing *l, const char *name, fuse_ino_t ino, mode_t mode, off_t off)
{
	struct stat st = { .st_ino = ino, .st_mode = mode };
	size_t need = fuse_add_direntry(l->req, NULL, 0, name, NULL, 0);

	if (l->full || l->len + need > l->size) {
		l->full = true;
		return;
	}
	fuse_add_direntry(l->req, l->buf + l->len, l->size - l->len, name, &st, off);
	l->len += need;
}

/* A small folder: every entry, numbered from 1. */
struct small_dir {
	char **names;
	fuse_ino_t *inos;
	mode_t *modes;
	size_t len;
};

static void small_add(struct small_dir *d, const char *name, fuse_ino_t ino, mode_t mode)
{
	d->names = xrealloc(d->names, (d->len + 1) * sizeof(char *));
	d->inos = xrealloc(d->inos, (d->len + 1) * sizeof(fuse_ino_t));
	d->modes = xrealloc(d->modes, (d->len + 1) * sizeof(mode_t));
	d->names[d->len] = xstrdup(name);
	d->inos[d->len] = ino;
	d->modes[d->len] = mode;
	d->len++;
}

static void small_free(struct small_dir *d)
{
	for (size_t i = 0; i < d->len; i++)
		free(d->names[i]);
	free(d->names);
	free(d->inos);
	free(d->modes);
}

static void add_folder_entries(struct fs *fs, int64_t folder, struct small_dir *d)
{
	struct folder_entry *entries;
	size_t n;

	if (engine_folder_list(fs->eng, folder, &entries, &n))
		return;
	for (size_t i = 0; i < n; i++)
		small_add(d, entries[i].name,
			  entries[i].is_job ? node_ino(NODE_JOB, entries[i].id, JOB_DIR)
					    : node_ino(NODE_FOLDER, entries[i].id, FOLDER_DIR),
			  S_IFDIR);
	folder_entries_free(entries, n);
}

static int build_small_dir(struct fs *fs, fuse_ino_t ino, struct small_dir *d)
{
	int64_t obj = node_object(ino);
	struct job_view jv;
	struct exec_view ev;

	small_add(d, ".", ino, S_IFDIR);
	small_add(d, "..", FUSE_ROOT_ID, S_IFDIR);
	switch (node_kind_of(ino)) {
	case NODE_ROOT:
		small_add(d, "jobs", node_ino(NODE_FOLDER, FOLDER_ROOT, 0), S_IFDIR);
		small_add(d, "executions", node_ino(NODE_EXECS, 0, 0), S_IFDIR);
		return 0;
	case NODE_FOLDER:
		small_add(d, ".error", node_ino(NODE_FOLDER, obj, FOLDER_ERROR), S_IFREG);
		add_folder_entries(fs, obj, d);
		return 0;
	case NODE_JOB:
		if (engine_job_view(fs->eng, obj, &jv))
			return ENOENT;
		for (unsigned i = 1; i < JOB_FILE_COUNT; i++)
			if (i != JOB_LAST || jv.last_exec)
				small_add(d, job_file_names[i], node_ino(NODE_JOB, obj, i),
					  i == JOB_EXECUTIONS ? S_IFDIR : i == JOB_LAST ? S_IFLNK
											: S_IFREG);
		if (jv.own_folder)
			add_folder_entries(fs, jv.own_folder, d);
		job_view_release(&jv);
		return 0;
	case NODE_EXEC:
		if (engine_exec_view(fs->eng, obj, &ev))
			return ENOENT;
		for (unsigned i = 1; i < EXEC_FILE_COUNT; i++)
			if (exec_has(&ev, i))
				small_add(d, exec_file_names[i], node_ino(NODE_EXEC, obj, i),
					  i >= EXEC_JOB_LINK ? S_IFLNK : S_IFREG);
		return 0;
	default:
		return ENOTDIR;
	}
}

/* executions/ or a job's executions/: ids in order, offset = id + 2. */
static void list_executions(struct fs *fs, fuse_ino_t ino, struct listing *l, off_t off)
{
	bool per_job = node_kind_of(ino) == NODE_JOB;
	int64_t ids[256];
	size_t n = 0;
	char name[24];

	if (off < 1)
		list_add(l, ".", ino, S_IFDIR, 1);
	if (off < 2)
		list_add(l, "..", FUSE_ROOT_ID, S_IFDIR, 2);
	while (!l->full) {
		int64_t after = off < 2 ? 0 : off - 2;

		if (per_job)
			engine_job_executions(fs->eng, node_object(ino), after, ids, 256, &n);
		else
			engine_exec_list(fs->eng, after, ids, 256, &n);
		if (n == 0)
			break;
		for (size_t i = 0; i < n && !l->full; i++) {
			snprintf(name, sizeof(name), "%lld", (long long)ids[i]);
			list_add(l, name,
				 per_job ? node_ino(NODE_JOB_EXEC, ids[i], 0)
					 : node_ino(NODE_EXEC, ids[i], EXEC_DIR),
				 per_job ? S_IFLNK : S_IFDIR, ids[i] + 2);
			if (!l->full)
				off = ids[i] + 2;
		}
		if (n < 256)
			break;
	}
}

void tree_readdir(struct fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off)
{
	struct listing l = { xmalloc(size), 0, size, req, false };
	enum node_kind kind = node_kind_of(ino);

	if (kind == NODE_EXECS || (kind == NODE_JOB && node_file(ino) == JOB_EXECUTIONS)) {
		list_executions(fs, ino, &l, off);
	} else {
		struct small_dir d = { 0 };
		int rc = build_small_dir(fs, ino, &d);

		if (rc) {
			small_free(&d);
			free(l.buf);
			fuse_reply_err(req, rc);
			return;
		}
		for (size_t i = (size_t)off; i < d.len && !l.full; i++)
			list_add(&l, d.names[i], d.inos[i], d.modes[i], (off_t)i + 1);
		small_free(&d);
	}
	fuse_reply_buf(req, l.buf, l.len);
	free(l.buf);
}
