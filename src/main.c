/*
 * main.c - the jobfs command: options, the store lock and pid file, the
 * move to the background, and the order of start and stop.
 *
 * Exit status: 0 after a clean stop (unmount or SIGTERM), 1 for a usage
 * error, 2 when jobfs cannot start (store locked, mount failed...).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/engine.h"
#include "../engine/logging.h"
#include "../fs/fs.h"

#ifndef JOBFS_VERSION
#define JOBFS_VERSION "0.0.0"
#endif

struct options {
	char *store;
	char *log_store;
	char *mountpoint;
	char *mount_options;
	bool foreground;
	bool debug;
	bool verbose;
	bool sync_full;
};

static const char usage_text[] =
	"usage: jobfs [OPTION]... [--store DIR] MOUNTPOINT\n"
	"\n"
	"Mount the jobfs job runner on MOUNTPOINT: import Rundeck job definitions into\n"
	"MOUNTPOINT/jobs/, start runs with 'echo 1 > jobs/GROUP/NAME/run', and read each\n"
	"execution under MOUNTPOINT/executions/ID/. jobfs returns once the mount is\n"
	"ready and keeps serving in the background; 'fusermount3 -u MOUNTPOINT' stops it.\n"
	"\n"
	"  --store DIR       where jobs and executions are kept (default\n"
	"                    $XDG_DATA_HOME/jobfs, or ~/.local/share/jobfs)\n"
	"  --log-store DIR   log storage: ID.log, ID.rdlog, ID.state.json and\n"
	"                    ID.resume.json (default STORE/logs); cluster members\n"
	"                    may share it\n"
	"  --sync-full       fsync every checkpoint, so that it survives power loss,\n"
	"                    not only a crash of jobfs (slower)\n"
	"  -o OPTIONS        extra FUSE mount options, such as allow_other\n"
	"  -f, --foreground  stay in the foreground and log to stderr (otherwise to\n"
	"                    syslog, or to STORE/jobfs.log where no syslog runs)\n"
	"  -v, --verbose     log debug messages too\n"
	"  -d, --debug       print every FUSE request (implies -f)\n"
	"  -h, --help        print this help and exit\n"
	"  -V, --version     print the version and exit\n";

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "jobfs: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'jobfs --help' for more information.\n");
	exit(1);
}

static char *default_store(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/jobfs", xdg);
	if (home && *home)
		return xasprintf("%s/.local/share/jobfs", home);
	return xstrdup("/var/lib/jobfs");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_STORE = 256, OPT_LOG_STORE, OPT_SYNC_FULL };
	static const struct option longs[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "log-store", required_argument, NULL, OPT_LOG_STORE },
		{ "sync-full", no_argument, NULL, OPT_SYNC_FULL },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fvdhVo:", longs, NULL)) != -1) {
		switch (c) {
		case OPT_STORE:
			o->store = optarg;
			break;
		case OPT_LOG_STORE:
			o->log_store = optarg;
			break;
		case OPT_SYNC_FULL:
			o->sync_full = true;
			break;
		case 'o':
			o->mount_options = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'd':
			o->debug = o->foreground = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			printf("jobfs %s\n", JOBFS_VERSION);
			exit(0);
		case ':':
			die_usage("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		die_usage("%s", "missing MOUNTPOINT: give the folder to mount on");
	if (optind + 1 < argc)
		die_usage("unexpected argument '%s': give one MOUNTPOINT", argv[optind + 1]);
	o->mountpoint = argv[optind];
}

/* A dead FUSE mount returns ENOTCONN: detach it so that jobfs can mount again. */
static void clear_stale_mount(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 || errno != ENOTCONN)
		return;
	if (umount2(path, MNT_DETACH) == 0)
		return;
	pid_t pid = fork();

	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-uz", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int resolve_paths(struct options *o, char **store, char **mountpoint,
			 struct jf_error *err)
{
	char buf[PATH_MAX];
	char *raw_store = o->store ? xstrdup(o->store) : default_store();
	int rc = mkdir_p(raw_store, 0700);

	if (rc) {
		jf_fail(err, JF_IO, "unable to create the store folder '%s': %s", raw_store,
			strerror(rc));
		free(raw_store);
		return -1;
	}
	*store = xstrdup(realpath(raw_store, buf) ? buf : raw_store);
	free(raw_store);
	clear_stale_mount(o->mountpoint);
	if (!realpath(o->mountpoint, buf)) {
		jf_fail(err, JF_IO, "unable to use the mount point '%s': %s", o->mountpoint,
			strerror(errno));
		return -1;
	}
	*mountpoint = xstrdup(buf);
	return 0;
}

/* Take the store's lock; its fd stays open (and locked) for the daemon's life. */
static int lock_store(const char *store, struct jf_error *err)
{
	char *path = xasprintf("%s/jobfs.lock", store);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	free(path);
	if (fd < 0)
		return jf_fail(err, JF_IO, "unable to open the lock file in '%s': %s", store,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		char *pid_path = xasprintf("%s/jobfs.pid", store);
		FILE *f = fopen(pid_path, "re");

		if (f && fgets(pid, sizeof(pid), f))
			pid[strcspn(pid, "\n")] = '\0';
		if (f)
			fclose(f);
		free(pid_path);
		close(fd);
		return jf_fail(err, JF_BUSY,
			       "the store '%s' is in use by another jobfs daemon%s%s%s; unmount "
			       "that one first, or give another --store",
			       store, *pid ? " (pid " : "", pid, *pid ? ")" : "");
	}
	return 0;
}

static void write_pid_file(const char *store)
{
	char *path = xasprintf("%s/jobfs.pid", store);
	char text[32];

	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	write_file_atomic(path, text, strlen(text), 0644, false, NULL);
	free(path);
}

static void remove_pid_file(const char *store)
{
	char *path = xasprintf("%s/jobfs.pid", store);

	unlink(path);
	free(path);
}

/*
 * Fork: the parent waits on a pipe until the child reports the mount ready
 * ("" on the pipe) or a failure (its message), then exits with 0 or 2.
 */
static int go_background(void)
{
	int fds[2];
	pid_t pid;
	char message[1200];
	ssize_t n, total = 0;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("jobfs: pipe");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		perror("jobfs: fork");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		setsid();
		return fds[1];
	}
	close(fds[1]);
	while ((n = read(fds[0], message + total, sizeof(message) - 1 - (size_t)total)) > 0)
		total += n;
	message[total] = '\0';
	if (total > 0 && message[0] == '+')
		exit(0);
	if (total > 0)
		fprintf(stderr, "jobfs: %s\n", message);
	else
		fprintf(stderr, "jobfs: the daemon exited before the mount was ready\n");
	exit(2);
}

static void report_ready(int fd, const struct jf_error *err)
{
	if (fd < 0) {
		if (err)
			fprintf(stderr, "jobfs: %s\n", err->message);
		return;
	}
	if (err) {
		if (write(fd, err->message, strlen(err->message)) < 0)
			perror("jobfs: write");
	} else if (write(fd, "+", 1) < 0) {
		perror("jobfs: write");
	}
	close(fd);
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

/* Keep SIGTERM, SIGINT and SIGHUP for the FUSE threads, whose handler stops the loop. */
static void block_stop_signals(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static int start(struct options *o, int ready_fd, const char *store, const char *mountpoint)
{
	struct jf_error err = JF_ERROR_INIT;
	struct fs_config fs_config = { mountpoint, o->mount_options, o->debug };
	struct engine_config config = { 0 };
	struct engine *eng = NULL;
	struct fs *fs = NULL;
	int rc;

	if (lock_store(store, &err))
		goto fail;
	fs = fs_new(&fs_config, &err);
	if (!fs)
		goto fail;
	config.store_dir = store;
	config.log_dir = o->log_store;
	config.sync_full = o->sync_full;
	config.notify = fs_engine_notify;
	config.notify_ctx = fs;
	if (engine_open(&config, &eng, &err))
		goto fail;
	fs_attach(fs, eng);
	if (fs_mount(fs, &err))
		goto fail;
	block_stop_signals(true);
	rc = engine_start(eng, &err);
	block_stop_signals(false);
	if (rc)
		goto fail;
	write_pid_file(store);
	log_notice("started: store '%s', log storage '%s', mounted on '%s'", store,
		   engine_log_dir(eng), mountpoint);
	report_ready(ready_fd, NULL);
	if (ready_fd >= 0)
		detach_stdio();
	rc = fs_run(fs);
	fs_unmount(fs);
	engine_stop(eng);
	engine_close(eng);
	fs_free(fs);
	remove_pid_file(store);
	log_notice("stopped");
	return rc == 0 ? 0 : 2;
fail:
	log_error("unable to start: %s", err.message);
	report_ready(ready_fd, &err);
	if (eng) {
		engine_stop(eng);
		engine_close(eng);
	}
	fs_free(fs);
	return 2;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct jf_error err = JF_ERROR_INIT;
	char *store = NULL, *mountpoint = NULL;
	int ready_fd = -1, rc;

	parse_options(argc, argv, &o);
	logging_init(false, o.verbose ? LOG_DEBUG : LOG_INFO);
	if (resolve_paths(&o, &store, &mountpoint, &err)) {
		fprintf(stderr, "jobfs: %s\n", err.message);
		return 2;
	}
	if (!o.foreground) {
		ready_fd = go_background();
		if (access("/dev/log", W_OK) == 0) {
			logging_init(true, o.verbose ? LOG_DEBUG : LOG_INFO);
		} else {
			char *path = xasprintf("%s/jobfs.log", store);

			logging_to_file(path, o.verbose ? LOG_DEBUG : LOG_INFO);
			free(path);
		}
	}
	rc = start(&o, ready_fd, store, mountpoint);
	free(store);
	free(mountpoint);
	return rc;
}
