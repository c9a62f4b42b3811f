/*
 * fs_internal.h - what the FUSE modules share: the session object and the
 * per-open file handle.
 *
 * Locking: fs.lock protects the list of open handles that other threads
 * reach (uploads, wait readers, poll handles) and the notifier queue. It
 * is never held while calling the engine or the kernel, so a handler, the
 * engine thread and the notifier cannot deadlock on it.
 */
#ifndef JOBFS_FS_INTERNAL_H
#define JOBFS_FS_INTERNAL_H

#include <pthread.h>
#include <sys/stat.h>

#include "fs.h"
#include "node.h"

/* The purpose of an open file. */
enum fh_kind {
	FH_TEXT,    /* a text rendered at open: status, state, json, .error */
	FH_LOG,     /* an execution's log, read from log storage */
	FH_CONTROL, /* run, resume, kill: each write is one request */
	FH_UPLOAD,  /* a job file being written: imported or applied on flush */
	FH_WAIT,    /* executions/ID/wait: a blocking read per state change */
};

struct fh {
	enum fh_kind kind;
	fuse_ino_t ino;
	struct strbuf text;     /* FH_TEXT, FH_CONTROL before a write */
	int fd;                 /* FH_LOG */
	struct strbuf response; /* FH_CONTROL: what a read returns after a write */
	off_t response_base;    /* file offset where the response starts */
	bool responded;
	struct strbuf upload;   /* FH_UPLOAD */
	bool dirty;
	int last_error;         /* FH_UPLOAD: result of the last flush */
	int64_t folder;         /* FH_UPLOAD into a folder */
	char *name;
	int64_t upload_id;
	bool done;              /* FH_WAIT: the final event is in the text */
	fuse_req_t parked;      /* FH_WAIT: a read waiting for the next change */
	size_t parked_size;
	off_t parked_off;
	struct fuse_pollhandle *poll;
	bool changed;           /* a change not yet read, for poll() */
	bool registered;        /* in fs.handles */
	bool fetching;          /* FH_WAIT: a thread is reading events for it */
	int refs;               /* the open file, plus the notifier while it delivers */
	struct fh *next;        /* in fs.handles */
	struct fh *prev;
};

struct notice {
	int64_t exec_id;
	unsigned what;
};

struct fs {
	struct fuse_session *se;
	struct engine *eng;
	char *mountpoint;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int64_t start_ms;
	bool debug;
	bool mounted;

	pthread_mutex_t lock;
	struct fh *handles;       /* uploads, waiters and pollers */
	int64_t next_upload;
	struct notice *queue;
	size_t queue_len;
	size_t queue_alloc;
	pthread_cond_t queue_cond;
	bool notifier_stop;
	pthread_t notifier;
	bool notifier_started;
};

/* tree.c */
int tree_lookup(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t *ino);
int tree_stat(struct fs *fs, fuse_ino_t ino, struct stat *st, double *timeout);
int tree_readlink(struct fs *fs, fuse_ino_t ino, struct strbuf *out);
void tree_readdir(struct fs *fs, fuse_req_t req, fuse_ino_t ino, size_t size, off_t off);
int tree_render(struct fs *fs, fuse_ino_t ino, struct strbuf *out);
int fs_errno(int code);

/* files.c: open files, reads and the operations table */
struct fs *req_fs(fuse_req_t req);
struct fh *fh_new(enum fh_kind kind, fuse_ino_t ino);
struct fh *fi_fh(struct fuse_file_info *fi);
/* Take a reference on the open file for the length of one request. */
struct fh *fh_hold(struct fs *fs, struct fuse_file_info *fi);
void fh_register(struct fs *fs, struct fh *fh);
void fh_unregister(struct fs *fs, struct fh *fh);
struct fh *upload_find(struct fs *fs, int64_t upload_id);
/* Free the open files the kernel never released (at unmount). */
void fh_free_all(struct fs *fs);
/* Drop a reference taken under fs.lock; the last one frees the handle. */
void fh_put(struct fs *fs, struct fh *fh);
extern const struct fuse_lowlevel_ops fs_ops;

/* control.c: writes and namespace changes */
/* Import or apply what was written; returns the errno for close(). */
int upload_apply(struct fs *fs, struct fh *fh);
void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi);
void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_refuse_name(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags);
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);

/* notify.c */
void notifier_start(struct fs *fs);
void notifier_stop(struct fs *fs);
void wait_deliver(struct fs *fs, struct fh *fh);

#endif
