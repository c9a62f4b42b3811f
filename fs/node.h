/*
 * node.h - inode numbers of the tree. A number encodes what a node is and
 * the id of its object, so it is stable for the daemon's life and needs no
 * table: kind in the top 8 bits, object id in the middle 48, and a file
 * index within the object's folder in the low 8.
 */
#ifndef JOBFS_NODE_H
#define JOBFS_NODE_H

#include <fuse_lowlevel.h>
#include <stdint.h>

enum node_kind {
	NODE_ROOT = 0,    /* ino 1 */
	NODE_FOLDER = 1,  /* jobs/ and its group folders: object = folder id */
	NODE_JOB = 2,     /* a job folder and its files: object = job id */
	NODE_JOB_EXEC = 3, /* jobs/.../NAME/executions/ID links: object = execution id */
	NODE_EXECS = 4,   /* executions/ */
	NODE_EXEC = 5,    /* executions/ID and its files: object = execution id */
	NODE_UPLOAD = 6,  /* a job file being written into a folder: object = upload id */
};

enum folder_file { FOLDER_DIR = 0, FOLDER_ERROR };

enum job_file {
	JOB_DIR = 0,
	JOB_YAML,
	JOB_XML,
	JOB_JSON,
	JOB_RUN,
	JOB_EXECUTIONS,
	JOB_LAST,
	JOB_ERROR,
	JOB_FILE_COUNT,
};

enum exec_node_file {
	EXEC_DIR = 0,
	EXEC_STATUS,
	EXEC_LOG,
	EXEC_STATE,
	EXEC_INFO,
	EXEC_RESUME_STATE,
	EXEC_RESUME,
	EXEC_KILL,
	EXEC_WAIT,
	EXEC_ERROR,
	EXEC_JOB_LINK,
	EXEC_RESUMED_FROM,
	EXEC_RETRY_OF,
	EXEC_RESUMED_BY,
	EXEC_FILE_COUNT,
};

extern const char *const job_file_names[JOB_FILE_COUNT];
extern const char *const exec_file_names[EXEC_FILE_COUNT];

static inline fuse_ino_t node_ino(enum node_kind kind, int64_t object, unsigned file)
{
	if (kind == NODE_ROOT)
		return FUSE_ROOT_ID;
	return ((fuse_ino_t)kind << 56) | ((fuse_ino_t)object << 8) | (file & 0xff);
}

static inline enum node_kind node_kind_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? NODE_ROOT : (enum node_kind)(ino >> 56);
}

static inline int64_t node_object(fuse_ino_t ino)
{
	return (int64_t)((ino >> 8) & ((1ULL << 48) - 1));
}

static inline unsigned node_file(fuse_ino_t ino)
{
	return (unsigned)(ino & 0xff);
}

#endif
