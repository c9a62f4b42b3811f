/*
 * control.c - writes: requests to the control files run, resume and kill,
 * and job files written into a folder (imports) or over a job's
 * definition. Also the namespace changes a user may try: only rmdir of a
 * job folder is accepted, and it deletes the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs_internal.h"

static int control_write(struct fs *fs, fuse_ino_t ino, const char *buf, size_t size,
			 struct strbuf *response)
{
	struct jf_error err = JF_ERROR_INIT;
	int64_t obj = node_object(ino), id = 0;
	enum error_scope scope = node_kind_of(ino) == NODE_JOB ? SCOPE_JOB : SCOPE_EXEC;
	const char *action;
	int rc;

	switch (node_file(ino) | (node_kind_of(ino) == NODE_JOB ? 0x100 : 0)) {
	case JOB_RUN | 0x100:
		action = "run";
		rc = engine_run(fs->eng, obj, buf, size, &id, &err);
		break;
	case EXEC_RESUME:
		action = "resume";
		rc = engine_resume(fs->eng, obj, buf, size, &id, &err);
		break;
	default:
		action = "kill";
		if (!str_is_blank(buf, size) && !(size >= 1 && buf[0] == '1' &&
						  str_is_blank(buf + 1, size - 1)))
			rc = jf_fail(&err, JF_INVALID, "'%.*s' is not a kill request: write 1 (or an "
							"empty line) to kill",
				     (int)(size > 64 ? 64 : size), buf);
		else
			rc = engine_kill(fs->eng, obj, &err);
		break;
	}
	sb_reset(response);
	if (rc) {
		engine_note_error(fs->eng, scope, obj, action, &err);
		sb_addf(response, "error: %s\n", err.message);
		return fs_errno(rc);
	}
	if (id)
		sb_addf(response, "%lld\n", (long long)id);
	return 0;
}

static void upload_write(struct fh *fh, const char *buf, size_t size, off_t off)
{
	size_t end = (size_t)off + size;

	if (end > fh->upload.len) {
		sb_grow(&fh->upload, end - fh->upload.len);
		memset(fh->upload.buf + fh->upload.len, 0, end - fh->upload.len);
		fh->upload.len = end;
		fh->upload.buf[end] = '\0';
	}
	memcpy(fh->upload.buf + off, buf, size);
	fh->dirty = true;
}

static void write_open_file(fuse_req_t req, struct fs *fs, struct fh *fh, fuse_ino_t ino,
			    const char *buf, size_t size, off_t off)
{
	int rc;

	if (fh->kind == FH_UPLOAD) {
		if (off < 0 || (size_t)off + size > 16 * 1024 * 1024) {
			fuse_reply_err(req, EFBIG);
			return;
		}
		pthread_mutex_lock(&fs->lock);
		upload_write(fh, buf, size, off);
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_write(req, size);
		return;
	}
	if (fh->kind != FH_CONTROL) {
		fuse_reply_err(req, EACCES);
		return;
	}
	rc = control_write(fs, ino, buf, size, &fh->response);
	fh->responded = true;
	fh->response_base = off + (off_t)size;
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_write(req, size);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = fh_hold(fs, fi);

	if (!fh) {
		fuse_reply_write(req, size);
		return;
	}
	write_open_file(req, fs, fh, ino, buf, size, off);
	fh_put(fs, fh);
}

/* Import or apply what was written; the result is what close() returns. */
int upload_apply(struct fs *fs, struct fh *fh)
{
	struct jf_error err = JF_ERROR_INIT;
	enum job_format format = FORMAT_YAML;
	size_t count = 0;
	int rc;

	if (node_kind_of(fh->ino) == NODE_UPLOAD) {
		rc = engine_import(fs->eng, fh->folder, fh->name, fh->upload.buf ? fh->upload.buf : "",
				   fh->upload.len, &count, &err);
		if (rc) {
			engine_note_error(fs->eng, SCOPE_FOLDER, fh->folder, "import", &err);
			if (fh->folder != FOLDER_ROOT)
				engine_note_error(fs->eng, SCOPE_FOLDER, FOLDER_ROOT, "import", &err);
		}
		return fs_errno(rc);
	}
	format = node_file(fh->ino) == JOB_XML ? FORMAT_XML
		 : node_file(fh->ino) == JOB_JSON ? FORMAT_JSON
						  : FORMAT_YAML;
	rc = engine_job_replace(fs->eng, node_object(fh->ino), format,
				fh->upload.buf ? fh->upload.buf : "", fh->upload.len, &err);
	if (rc)
		engine_note_error(fs->eng, SCOPE_JOB, node_object(fh->ino), "definition", &err);
	return fs_errno(rc);
}

void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = fh_hold(fs, fi);
	bool apply = false;

	(void)ino;
	if (fh && fh->kind == FH_UPLOAD) {
		pthread_mutex_lock(&fs->lock);
		apply = fh->dirty || (node_kind_of(fh->ino) == NODE_UPLOAD && fh->last_error < 0);
		fh->dirty = false;
		pthread_mutex_unlock(&fs->lock);
		if (apply)
			fh->last_error = upload_apply(fs, fh);
		fuse_reply_err(req, fh->last_error > 0 ? fh->last_error : 0);
	} else {
		fuse_reply_err(req, 0);
	}
	if (fh)
		fh_put(fs, fh);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fuse_entry_param e;
	enum job_format format;
	struct fh *fh;
	double timeout;

	(void)mode;
	if (node_kind_of(parent) != NODE_FOLDER || node_file(parent) != FOLDER_DIR) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if (!format_from_name(name, &format)) {
		struct jf_error err = JF_ERROR_INIT;

		jf_fail(&err, JF_INVALID,
			"'%s' is not a job file: name it .yaml, .yml, .json or .xml to import it",
			name);
		engine_note_error(fs->eng, SCOPE_FOLDER, node_object(parent), "import", &err);
		fuse_reply_err(req, EINVAL);
		return;
	}
	fh = fh_new(FH_UPLOAD, 0);
	fh->folder = node_object(parent);
	fh->name = xstrdup(name);
	fh->last_error = -1;
	pthread_mutex_lock(&fs->lock);
	fh->upload_id = ++fs->next_upload;
	pthread_mutex_unlock(&fs->lock);
	fh->ino = node_ino(NODE_UPLOAD, fh->upload_id, 0);
	fh_register(fs, fh);
	tree_stat(fs, fh->ino, &e.attr, &timeout);
	e.ino = fh->ino;
	e.generation = 0;
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	fi->direct_io = 1;
	fi->fh = (uint64_t)(uintptr_t)fh;
	fuse_reply_create(req, &e, fi);
}

/* ---- namespace changes ----------------------------------------------------------- */

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = req_fs(req);
	struct jf_error err = JF_ERROR_INIT;
	fuse_ino_t ino;
	int rc = tree_lookup(fs, parent, name, &ino);

	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	/* A group folder lives as long as it has jobs: it is never empty. */
	if (node_kind_of(ino) == NODE_FOLDER) {
		fuse_reply_err(req, ENOTEMPTY);
		return;
	}
	if (node_kind_of(ino) != NODE_JOB || node_file(ino) != JOB_DIR) {
		fuse_reply_err(req, EACCES);
		return;
	}
	rc = engine_job_delete(fs->eng, node_object(ino), &err);
	fuse_reply_err(req, fs_errno(rc));
}

void op_refuse_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EACCES);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)mode;
	op_refuse_name(req, parent, name);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	(void)mode;
	(void)rdev;
	op_refuse_name(req, parent, name);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	op_refuse_name(req, parent, name);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)newparent;
	(void)newname;
	(void)flags;
	op_refuse_name(req, parent, name);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	op_refuse_name(req, newparent, newname);
}
