/*
 * files.c - the FUSE operations that look and read, and the operations
 * table; writes are in control.c. Each operation is a thin wrapper that
 * calls tree.c or the engine and replies.
 *
 * Caching: rendered files (status, state, JSON, .error, definitions) are
 * rendered once at open into the open file and served with direct_io, so
 * a reader never sees half a document. A running execution's log is
 * direct_io with attribute timeout 0, so tail -f follows it as it grows; a finished
 * log never changes and is served through the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_internal.h"

struct fs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* A request from the daemon itself: a poke that makes inotify fire. */
static bool from_self(struct fs *fs, fuse_req_t req)
{
	return fuse_req_ctx(req)->pid == fs->pid;
}

static void reply_entry(fuse_req_t req, struct fs *fs, fuse_ino_t ino)
{
	struct fuse_entry_param e;
	double timeout;
	int rc = tree_stat(fs, ino, &e.attr, &timeout);

	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	e.ino = ino;
	e.generation = 0;
	e.attr_timeout = timeout;
	e.entry_timeout = timeout;
	fuse_reply_entry(req, &e);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = req_fs(req);
	fuse_ino_t ino;
	int rc = tree_lookup(fs, parent, name, &ino);

	if (rc)
		fuse_reply_err(req, rc);
	else
		reply_entry(req, fs, ino);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	double timeout;
	int rc = tree_stat(req_fs(req), ino, &st, &timeout);

	(void)fi;
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_attr(req, &st, timeout);
}

/* Truncation and time changes on control and definition files do nothing. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct stat st;
	double timeout;
	int rc = tree_stat(fs, ino, &st, &timeout);

	(void)fi;
	(void)attr;
	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	if ((to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) &&
	    !from_self(fs, req)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && S_ISDIR(st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE)
		st.st_size = 0;
	fuse_reply_attr(req, &st, 0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct strbuf target = STRBUF_INIT;
	int rc = tree_readlink(req_fs(req), ino, &target);

	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_readlink(req, sb_str(&target));
	sb_release(&target);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	tree_readdir(req_fs(req), req, ino, size, off);
}

/* ---- open files --------------------------------------------------------------- */

struct fh *fh_new(enum fh_kind kind, fuse_ino_t ino)
{
	struct fh *fh = xcalloc(1, sizeof(*fh));

	fh->kind = kind;
	fh->ino = ino;
	fh->fd = -1;
	fh->refs = 1;
	return fh;
}

static void fh_free(struct fh *fh)
{
	if (fh->fd >= 0)
		close(fh->fd);
	sb_release(&fh->text);
	sb_release(&fh->response);
	sb_release(&fh->upload);
	free(fh->name);
	free(fh);
}

void fh_put(struct fs *fs, struct fh *fh)
{
	bool last;

	pthread_mutex_lock(&fs->lock);
	last = --fh->refs == 0;
	pthread_mutex_unlock(&fs->lock);
	if (last) {
		if (fh->poll)
			fuse_pollhandle_destroy(fh->poll);
		fh_free(fh);
	}
}

void fh_register(struct fs *fs, struct fh *fh)
{
	pthread_mutex_lock(&fs->lock);
	if (fh->registered) {
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	fh->registered = true;
	fh->next = fs->handles;
	fh->prev = NULL;
	if (fs->handles)
		fs->handles->prev = fh;
	fs->handles = fh;
	pthread_mutex_unlock(&fs->lock);
}

void fh_unregister(struct fs *fs, struct fh *fh)
{
	pthread_mutex_lock(&fs->lock);
	if (!fh->registered) {
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	fh->registered = false;
	if (fh->prev)
		fh->prev->next = fh->next;
	else if (fs->handles == fh)
		fs->handles = fh->next;
	if (fh->next)
		fh->next->prev = fh->prev;
	fh->next = fh->prev = NULL;
	pthread_mutex_unlock(&fs->lock);
}

struct fh *upload_find(struct fs *fs, int64_t upload_id)
{
	for (struct fh *fh = fs->handles; fh; fh = fh->next)
		if (fh->kind == FH_UPLOAD && fh->upload_id == upload_id)
			return fh;
	return NULL;
}

static bool is_control(fuse_ino_t ino)
{
	unsigned file = node_file(ino);

	if (node_kind_of(ino) == NODE_JOB)
		return file == JOB_RUN;
	return node_kind_of(ino) == NODE_EXEC && (file == EXEC_RESUME || file == EXEC_KILL);
}

static bool is_definition(fuse_ino_t ino)
{
	unsigned file = node_file(ino);

	return node_kind_of(ino) == NODE_JOB &&
	       (file == JOB_YAML || file == JOB_XML || file == JOB_JSON);
}

static bool is_final_file(struct fs *fs, fuse_ino_t ino)
{
	struct exec_view v;
	unsigned file = node_file(ino);

	return (file == EXEC_STATUS || file == EXEC_STATE) &&
	       engine_exec_view(fs->eng, node_object(ino), &v) == 0 && v.final;
}

static int open_log(struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi, struct fh *fh)
{
	struct exec_view v;

	if (engine_exec_view(fs->eng, node_object(ino), &v) ||
	    engine_exec_open_log(fs->eng, node_object(ino), &fh->fd))
		return ENOENT;
	fi->direct_io = !v.final;
	fi->keep_cache = v.final;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	enum node_kind kind = node_kind_of(ino);
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	struct fh *fh;
	int rc = 0;

	if (from_self(fs, req)) {
		fi->direct_io = 1;
		fi->fh = 0;
		fuse_reply_open(req, fi);
		return;
	}
	if (kind == NODE_EXEC && node_file(ino) == EXEC_LOG) {
		fh = fh_new(FH_LOG, ino);
		rc = writing ? EACCES : open_log(fs, ino, fi, fh);
	} else if (kind == NODE_EXEC && node_file(ino) == EXEC_WAIT) {
		fh = fh_new(FH_WAIT, ino);
		rc = writing ? EACCES : 0;
		fi->direct_io = 1;
		if (!rc)
			fh_register(fs, fh);
	} else if (is_control(ino)) {
		fh = fh_new(FH_CONTROL, ino);
		rc = tree_render(fs, ino, &fh->text);
		fi->direct_io = 1;
	} else if (is_definition(ino) && writing) {
		fh = fh_new(FH_UPLOAD, ino);
		if (!(fi->flags & O_TRUNC))
			rc = tree_render(fs, ino, &fh->text);
		fi->direct_io = 1;
	} else {
		fh = fh_new(FH_TEXT, ino);
		rc = writing ? EACCES : tree_render(fs, ino, &fh->text);
		fi->direct_io = 1;
		/* A finished execution's status and state never change again. */
		if (!rc && kind == NODE_EXEC && is_final_file(fs, ino)) {
			fi->direct_io = 0;
			fi->keep_cache = 1;
		}
	}
	if (rc) {
		fh_unregister(fs, fh);
		fh_free(fh);
		fuse_reply_err(req, rc);
		return;
	}
	/* Every open file is listed, so that a stop can free those never released. */
	fh_register(fs, fh);
	fi->fh = (uint64_t)(uintptr_t)fh;
	fuse_reply_open(req, fi);
}

void fh_free_all(struct fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	while (fs->handles) {
		struct fh *fh = fs->handles;

		fs->handles = fh->next;
		if (fh->poll)
			fuse_pollhandle_destroy(fh->poll);
		fh_free(fh);
	}
	pthread_mutex_unlock(&fs->lock);
}

struct fh *fi_fh(struct fuse_file_info *fi)
{
	return (struct fh *)(uintptr_t)fi->fh;
}

/*
 * Take a reference for the length of one request. The kernel can send
 * RELEASE while a request of a killed reader still runs here.
 */
struct fh *fh_hold(struct fs *fs, struct fuse_file_info *fi)
{
	struct fh *fh = fi_fh(fi);

	if (fh) {
		pthread_mutex_lock(&fs->lock);
		fh->refs++;
		pthread_mutex_unlock(&fs->lock);
	}
	return fh;
}

static void reply_slice(fuse_req_t req, const struct strbuf *sb, off_t off, size_t size)
{
	if (off < 0 || (size_t)off >= sb->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > sb->len - (size_t)off)
		size = sb->len - (size_t)off;
	fuse_reply_buf(req, sb->buf + off, size);
}

static void read_log(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	char *buf = xmalloc(size);
	ssize_t n;

	do
		n = pread(fh->fd, buf, size, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void on_wait_interrupt(fuse_req_t req, void *data)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = data;
	bool mine = false;

	pthread_mutex_lock(&fs->lock);
	if (fh->parked == req) {
		fh->parked = NULL;
		mine = true;
	}
	pthread_mutex_unlock(&fs->lock);
	if (mine)
		fuse_reply_err(req, EINTR);
}

/*
 * Park a read of a wait file until its text grows. The interrupt handler is
 * registered before the request is parked: once parked, another thread may
 * reply to, and so free, the request at any time.
 * TODO: a parked read has no time bound. Kernels with a FUSE request
 * timeout set (Linux 6.15 and later) would abort the connection, so such
 * reads need a heartbeat line before that timeout.
 */
static void read_wait(fuse_req_t req, struct fs *fs, struct fh *fh, size_t size, off_t off)
{
	bool interrupted = false;

	fuse_req_interrupt_func(req, on_wait_interrupt, fh);
	pthread_mutex_lock(&fs->lock);
	if (fh->parked) {
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_err(req, EBUSY);
		return;
	}
	/* An interrupt that came before the request was parked found nothing to reply to. */
	if (fuse_req_interrupted(req)) {
		interrupted = true;
	} else {
		fh->parked = req;
		fh->parked_size = size;
		fh->parked_off = off;
	}
	pthread_mutex_unlock(&fs->lock);
	if (interrupted) {
		fuse_reply_err(req, EINTR);
		return;
	}
	wait_deliver(fs, fh);
}

static void read_open_file(fuse_req_t req, struct fh *fh, size_t size, off_t off)
{
	switch (fh->kind) {
	case FH_LOG:
		read_log(req, fh, size, off);
		break;
	case FH_WAIT:
		read_wait(req, req_fs(req), fh, size, off);
		break;
	case FH_CONTROL:
		/* After a write, reads start at the response, wherever the offset is. */
		if (fh->responded)
			reply_slice(req, &fh->response,
				    off >= fh->response_base ? off - fh->response_base : off, size);
		else
			reply_slice(req, &fh->text, off, size);
		break;
	case FH_UPLOAD:
	case FH_TEXT:
		reply_slice(req, &fh->text, off, size);
		break;
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = fh_hold(fs, fi);

	(void)ino;
	if (!fh) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	read_open_file(req, fh, size, off);
	fh_put(fs, fh);
}

/* ---- control files -------------------------------------------------------------- */

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = fi_fh(fi);

	(void)ino;
	if (!fh) {
		fuse_reply_err(req, 0);
		return;
	}
	if (fh->kind == FH_UPLOAD && fh->dirty)
		upload_apply(fs, fh);
	fh_unregister(fs, fh);
	pthread_mutex_lock(&fs->lock);
	if (fh->parked) {
		fuse_reply_err(fh->parked, EINTR);
		fh->parked = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	fh_put(fs, fh);
	fuse_reply_err(req, 0);
}

/* ---- creating files: imports ----------------------------------------------------- */

/* POLLIN on status and wait means a change this open file has not read yet. */
static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct fs *fs = req_fs(req);
	struct fh *fh = fi_fh(fi);
	unsigned events = POLLOUT;
	bool needs_register;

	(void)ino;
	if (!fh) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	if (ph) {
		if (fh->poll)
			fuse_pollhandle_destroy(fh->poll);
		fh->poll = ph;
	}
	if (fh->kind == FH_WAIT || fh->kind == FH_TEXT)
		events |= fh->changed || fh->done ? POLLIN : 0;
	else
		events |= POLLIN;
	needs_register = ph && !fh->registered;
	pthread_mutex_unlock(&fs->lock);
	if (needs_register)
		fh_register(fs, fh);
	fuse_reply_poll(req, events);
}

/* TODO: no readdirplus, so "ls -l" of many executions costs a lookup each. */
const struct fuse_lowlevel_ops fs_ops = {
	.lookup = op_lookup,
	.forget = op_forget,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_refuse_name,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.readdir = op_readdir,
	.create = op_create,
	.poll = op_poll,
};
