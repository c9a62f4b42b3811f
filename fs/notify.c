/*
 * notify.c - the notifier thread: it turns the engine's change notices
 * into replies to parked wait reads, poll() wake-ups, and "pokes" through
 * the mount that make inotify fire.
 *
 * The kernel sends no inotify event for a change made inside a FUSE
 * daemon. A poke is an ordinary utimensat() and open()/close() on the
 * changed file, made by this thread through the mount, so inotifywait and
 * entr see IN_MODIFY and IN_CLOSE_WRITE. Handlers treat requests from the
 * daemon's own pid as no-ops. Pokes are throttled per execution.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"

enum { POKE_INTERVAL_MS = 250, MAX_POKED = 64 };

struct poke_slot {
	int64_t exec_id;
	int64_t last_ms;
	bool pending;
};

void fs_engine_notify(void *ctx, int64_t exec_id, unsigned what)
{
	struct fs *fs = ctx;

	if (!fs)
		return;
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->queue_len; i++) {
		if (fs->queue[i].exec_id == exec_id) {
			fs->queue[i].what |= what;
			pthread_mutex_unlock(&fs->lock);
			return;
		}
	}
	if (fs->queue_len == fs->queue_alloc) {
		fs->queue_alloc = fs->queue_alloc ? fs->queue_alloc * 2 : 64;
		fs->queue = xrealloc(fs->queue, fs->queue_alloc * sizeof(*fs->queue));
	}
	fs->queue[fs->queue_len++] = (struct notice){ exec_id, what };
	pthread_cond_signal(&fs->queue_cond);
	pthread_mutex_unlock(&fs->lock);
}

/*
 * Reply to the parked read of a wait file if the events text now reaches
 * past its offset, or has ended. The text only grows, so offsets stay
 * valid, and a reader that seeks back (bash's read does) reads it again.
 */
void wait_deliver(struct fs *fs, struct fh *fh)
{
	struct strbuf text = STRBUF_INIT;
	size_t next;
	bool done;

	for (;;) {
		fuse_req_t req;
		size_t size;
		off_t off;

		pthread_mutex_lock(&fs->lock);
		if (!fh->parked || fh->fetching) {
			pthread_mutex_unlock(&fs->lock);
			break;
		}
		fh->fetching = true;
		fh->changed = false;
		pthread_mutex_unlock(&fs->lock);
		sb_reset(&text);
		engine_exec_events(fs->eng, node_object(fh->ino), 0, &text, &next, &done);
		pthread_mutex_lock(&fs->lock);
		fh->fetching = false;
		fh->done = done;
		req = fh->parked;
		size = fh->parked_size;
		off = fh->parked_off;
		if (req && (off < (off_t)text.len || done)) {
			fh->parked = NULL;
			pthread_mutex_unlock(&fs->lock);
			if (off < (off_t)text.len)
				fuse_reply_buf(req, text.buf + off,
					       size < text.len - (size_t)off ? size
									: text.len - (size_t)off);
			else
				fuse_reply_buf(req, NULL, 0);
			break;
		}
		if (req && fh->changed) {
			pthread_mutex_unlock(&fs->lock);
			continue;
		}
		pthread_mutex_unlock(&fs->lock);
		break;
	}
	sb_release(&text);
}

static bool watches_exec(const struct fh *fh, int64_t exec_id)
{
	return node_kind_of(fh->ino) == NODE_EXEC && node_object(fh->ino) == exec_id;
}

/* Wake wait readers and pollers of one execution. */
static void wake_handles(struct fs *fs, int64_t exec_id)
{
	struct fh *waiters[64];
	size_t n = 0;

	pthread_mutex_lock(&fs->lock);
	for (struct fh *fh = fs->handles; fh; fh = fh->next) {
		if (!watches_exec(fh, exec_id))
			continue;
		fh->changed = true;
		if (fh->poll) {
			fuse_lowlevel_notify_poll(fh->poll);
			fuse_pollhandle_destroy(fh->poll);
			fh->poll = NULL;
		}
		if (fh->kind == FH_WAIT && fh->parked && n < 64) {
			fh->refs++;
			waiters[n++] = fh;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	for (size_t i = 0; i < n; i++) {
		wait_deliver(fs, waiters[i]);
		fh_put(fs, waiters[i]);
	}
}

static void poke_file(struct fs *fs, int64_t exec_id, const char *name)
{
	char path[4096];
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	int fd;

	snprintf(path, sizeof(path), "%s/executions/%lld/%s", fs->mountpoint, (long long)exec_id,
		 name);
	utimensat(AT_FDCWD, path, times, 0);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
}

static void poke_exec(struct fs *fs, int64_t exec_id)
{
	poke_file(fs, exec_id, "status");
	poke_file(fs, exec_id, "state");
}

static struct poke_slot *poke_slot_for(struct poke_slot *slots, int64_t exec_id)
{
	struct poke_slot *oldest = &slots[0];

	for (size_t i = 0; i < MAX_POKED; i++) {
		if (slots[i].exec_id == exec_id)
			return &slots[i];
		if (slots[i].last_ms < oldest->last_ms && !slots[i].pending)
			oldest = &slots[i];
	}
	*oldest = (struct poke_slot){ exec_id, 0, false };
	return oldest;
}

static void handle_notice(struct fs *fs, const struct notice *n, struct poke_slot *slots)
{
	struct poke_slot *slot;

	if (n->exec_id == 0)
		return;
	if (n->what & (NOTIFY_STATUS | NOTIFY_STATE | NOTIFY_FINISHED | NOTIFY_LOG))
		wake_handles(fs, n->exec_id);
	if (!(n->what & (NOTIFY_STATUS | NOTIFY_STATE | NOTIFY_FINISHED)))
		return;
	slot = poke_slot_for(slots, n->exec_id);
	if (mono_ms() - slot->last_ms >= POKE_INTERVAL_MS || (n->what & NOTIFY_FINISHED)) {
		poke_exec(fs, n->exec_id);
		slot->last_ms = mono_ms();
		slot->pending = false;
	} else {
		slot->pending = true;
	}
}

static void poke_due(struct fs *fs, struct poke_slot *slots)
{
	for (size_t i = 0; i < MAX_POKED; i++) {
		if (slots[i].pending && mono_ms() - slots[i].last_ms >= POKE_INTERVAL_MS) {
			poke_exec(fs, slots[i].exec_id);
			slots[i].last_ms = mono_ms();
			slots[i].pending = false;
		}
	}
}

static void *notifier_main(void *arg)
{
	struct fs *fs = arg;
	struct poke_slot slots[MAX_POKED];
	struct notice *batch = NULL;
	size_t n;

	memset(slots, 0, sizeof(slots));
	for (;;) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += POKE_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&fs->lock);
		if (fs->queue_len == 0 && !fs->notifier_stop)
			pthread_cond_timedwait(&fs->queue_cond, &fs->lock, &until);
		if (fs->notifier_stop) {
			pthread_mutex_unlock(&fs->lock);
			break;
		}
		n = fs->queue_len;
		batch = xrealloc(batch, (n ? n : 1) * sizeof(*batch));
		if (n)
			memcpy(batch, fs->queue, n * sizeof(*batch));
		fs->queue_len = 0;
		pthread_mutex_unlock(&fs->lock);
		for (size_t i = 0; i < n; i++)
			handle_notice(fs, &batch[i], slots);
		poke_due(fs, slots);
	}
	free(batch);
	return NULL;
}

void notifier_start(struct fs *fs)
{
	if (pthread_create(&fs->notifier, NULL, notifier_main, fs) == 0)
		fs->notifier_started = true;
}

void notifier_stop(struct fs *fs)
{
	if (!fs->notifier_started)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->notifier_stop = true;
	pthread_cond_signal(&fs->queue_cond);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->notifier, NULL);
	fs->notifier_started = false;
}
