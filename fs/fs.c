/* fs.c - the FUSE session: creation, mount, the serving loop, teardown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/logging.h"
#include "fs_internal.h"

enum { MAX_THREADS = 16 };

struct fs *fs_new(const struct fs_config *config, struct jf_error *err)
{
	struct fs *fs = xcalloc(1, sizeof(*fs));
	char *options = xasprintf("fsname=jobfs,subtype=jobfs,default_permissions%s%s",
				  config->mount_options ? "," : "",
				  config->mount_options ? config->mount_options : "");
	char *argv[] = { (char *)"jobfs", (char *)"-o", options, (char *)"-d", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(config->debug ? 4 : 3, argv);

	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->queue_cond, NULL);
	fs->mountpoint = xstrdup(config->mountpoint);
	fs->uid = getuid();
	fs->gid = getgid();
	fs->pid = getpid();
	fs->start_ms = now_ms();
	fs->debug = config->debug;
	fs->se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), fs);
	fuse_opt_free_args(&args);
	free(options);
	if (!fs->se) {
		jf_fail(err, JF_INVALID, "unable to start a FUSE session; check the -o options");
		fs_free(fs);
		return NULL;
	}
	return fs;
}

void fs_attach(struct fs *fs, struct engine *eng)
{
	fs->eng = eng;
	fs->pid = getpid();
}

int fs_mount(struct fs *fs, struct jf_error *err)
{
	if (fuse_session_mount(fs->se, fs->mountpoint) != 0)
		return jf_fail(err, JF_IO,
			       "unable to mount on '%s': check that it is an empty folder, that "
			       "/dev/fuse exists and that fusermount3 is installed",
			       fs->mountpoint);
	fs->mounted = true;
	return 0;
}

/* Reply to reads still parked, so that no reader hangs on a dead mount. */
static void release_parked(struct fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	for (struct fh *fh = fs->handles; fh; fh = fh->next) {
		if (fh->parked) {
			fuse_reply_err(fh->parked, EINTR);
			fh->parked = NULL;
		}
	}
	pthread_mutex_unlock(&fs->lock);
}

int fs_run(struct fs *fs)
{
	struct fuse_loop_config *config = fuse_loop_cfg_create();
	int rc;

	fuse_set_signal_handlers(fs->se);
	fs->pid = getpid();
	notifier_start(fs);
	fuse_loop_cfg_set_max_threads(config, MAX_THREADS);
	fuse_loop_cfg_set_clone_fd(config, 0);
	rc = fuse_session_loop_mt(fs->se, config);
	fuse_loop_cfg_destroy(config);
	notifier_stop(fs);
	release_parked(fs);
	fuse_remove_signal_handlers(fs->se);
	/* A positive result is the signal that ended the loop: a clean stop. */
	if (rc > 0) {
		log_notice("stopping on signal %d", rc);
		rc = 0;
	}
	return rc;
}

void fs_unmount(struct fs *fs)
{
	if (fs->mounted) {
		fuse_session_unmount(fs->se);
		fs->mounted = false;
	}
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	notifier_stop(fs);
	if (fs->se) {
		fs_unmount(fs);
		fuse_session_destroy(fs->se);
	}
	fh_free_all(fs);
	free(fs->queue);
	free(fs->mountpoint);
	pthread_cond_destroy(&fs->queue_cond);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}
