/* proc.c - child processes of steps: spawn, output lines, exit, kill. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct out_stream {
	uv_pipe_t pipe;
	struct proc *proc;
	int number;    /* 1 stdout, 2 stderr */
	bool open;
	char *partial; /* the start of a line not yet ended */
	size_t partial_len;
};

struct proc {
	uv_loop_t *loop;
	pid_t pid;
	int pidfd;             /* -1 where the kernel (or valgrind) has no pidfd_open */
	uv_poll_t exit_poll;   /* readable when the child exits, with a pidfd */
	uv_timer_t exit_timer; /* polls waitid() every 10 ms, without a pidfd */
	uv_timer_t kill_timer;
	struct out_stream out[2];
	struct proc_callbacks cb;
	void *ctx;
	int exit_code;
	int signal;
	bool exited;        /* the child exited; it may still be a zombie */
	bool pidfd_poll;    /* exit_poll is in use, else exit_timer */
	bool reaped;
	bool terminating;   /* SIGTERM was sent, SIGKILL follows */
	bool reported;
	int open_handles;
};

static void emit_line(struct out_stream *s, const char *text, size_t len)
{
	s->proc->cb.on_line(s->proc->ctx, s->number, text, len);
}

/* Split data into lines; keep the unfinished tail in s->partial. */
static void consume(struct out_stream *s, const char *data, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		if (s->partial_len + take >= PROC_MAX_LINE && !nl) {
			size_t room = PROC_MAX_LINE - s->partial_len;

			memcpy(s->partial + s->partial_len, data, room);
			emit_line(s, s->partial, PROC_MAX_LINE);
			s->partial_len = 0;
			data += room;
			len -= room;
			continue;
		}
		if (!nl) {
			memcpy(s->partial + s->partial_len, data, len);
			s->partial_len += len;
			return;
		}
		if (s->partial_len == 0) {
			emit_line(s, data, take);
		} else if (s->partial_len + take <= PROC_MAX_LINE) {
			memcpy(s->partial + s->partial_len, data, take);
			emit_line(s, s->partial, s->partial_len + take);
			s->partial_len = 0;
		} else {
			emit_line(s, s->partial, s->partial_len);
			s->partial_len = 0;
			emit_line(s, data, take);
		}
		data += take + 1;
		len -= take + 1;
	}
}

static void flush_partial(struct out_stream *s)
{
	if (s->partial_len) {
		emit_line(s, s->partial, s->partial_len);
		s->partial_len = 0;
	}
}

static void on_handle_closed(uv_handle_t *handle)
{
	struct proc *p = handle->data;

	if (--p->open_handles == 0) {
		free(p->out[0].partial);
		free(p->out[1].partial);
		free(p);
	}
}

static void close_handle(struct proc *p, uv_handle_t *h)
{
	if (uv_is_closing(h))
		return;
	h->data = p;
	uv_close(h, on_handle_closed);
}

static void reap(struct proc *p)
{
	siginfo_t info;

	if (p->reaped)
		return;
	while (waitid(P_PID, (id_t)p->pid, &info, WEXITED) < 0 && errno == EINTR)
		;
	p->reaped = true;
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

static void close_stream(struct out_stream *s)
{
	if (!s->open)
		return;
	s->open = false;
	uv_read_stop((uv_stream_t *)&s->pipe);
	flush_partial(s);
	close_handle(s->proc, (uv_handle_t *)&s->pipe);
}

/* Report the exit once the child is gone and its output is read. */
static void maybe_finish(struct proc *p)
{
	if (!p->exited || p->reported || p->out[0].open || p->out[1].open)
		return;
	reap(p);
	p->reported = true;
	if (p->cb.on_batch)
		p->cb.on_batch(p->ctx);
	p->cb.on_exit(p->ctx, p->exit_code, p->signal);
	if (p->pidfd_poll)
		close_handle(p, (uv_handle_t *)&p->exit_poll);
	else
		close_handle(p, (uv_handle_t *)&p->exit_timer);
	close_handle(p, (uv_handle_t *)&p->kill_timer);
}

static void alloc_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	static __thread char buffer[64 * 1024];

	(void)handle;
	(void)suggested;
	buf->base = buffer;
	buf->len = sizeof(buffer);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct out_stream *s = stream->data;
	struct proc *p = s->proc;

	if (n > 0) {
		consume(s, buf->base, (size_t)n);
		if (p->cb.on_batch)
			p->cb.on_batch(p->ctx);
		return;
	}
	if (n == 0)
		return;
	close_stream(s);
	maybe_finish(p);
}

/* Read what the exited child left in the pipe, without waiting for EOF. */
static void drain(struct out_stream *s)
{
	static __thread char buffer[64 * 1024];
	uv_os_fd_t fd;

	if (!s->open || uv_fileno((uv_handle_t *)&s->pipe, &fd) != 0)
		return;
	for (;;) {
		ssize_t n = read(fd, buffer, sizeof(buffer));

		if (n > 0) {
			consume(s, buffer, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	close_stream(s);
}

static void check_exit(struct proc *p)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (p->exited || waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    info.si_pid == 0)
		return;
	if (p->pidfd_poll)
		uv_poll_stop(&p->exit_poll);
	else
		uv_timer_stop(&p->exit_timer);
	p->exited = true;
	if (info.si_code == CLD_EXITED) {
		p->exit_code = info.si_status;
	} else {
		p->signal = info.si_status;
		p->exit_code = 128 + info.si_status;
	}
	/*
	 * After a TERM, what the leader leaves in its group gets KILL at once:
	 * the grace time was for the leader. The unreaped leader keeps the
	 * group id from being reused until this signal is sent.
	 */
	if (p->terminating)
		kill(-p->pid, SIGKILL);
	drain(&p->out[0]);
	drain(&p->out[1]);
	reap(p);
	maybe_finish(p);
}

static void on_exit_ready(uv_poll_t *poll, int status, int events)
{
	(void)status;
	(void)events;
	check_exit(poll->data);
}

static void on_exit_timer(uv_timer_t *timer)
{
	check_exit(timer->data);
}

static void on_kill_timer(uv_timer_t *timer)
{
	struct proc *p = timer->data;

	if (!p->exited)
		kill(-p->pid, SIGKILL);
}

void proc_terminate(struct proc *proc, unsigned grace_ms)
{
	if (proc->reported || proc->terminating)
		return;
	proc->terminating = true;
	kill(-proc->pid, grace_ms ? SIGTERM : SIGKILL);
	uv_timer_start(&proc->kill_timer, on_kill_timer, grace_ms, 0);
}

pid_t proc_pid(const struct proc *proc)
{
	return proc->pid;
}

static int spawn_child(const struct proc_spec *spec, int out_fd, int err_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (spec->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_USEVFORK);
	rc = posix_spawn(pid, spec->path, &fa, &attr, spec->argv, spec->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

static int open_stream(struct proc *p, int i, int fd)
{
	struct out_stream *s = &p->out[i];

	s->proc = p;
	s->number = i + 1;
	s->partial = xmalloc(PROC_MAX_LINE);
	uv_pipe_init(p->loop, &s->pipe, 0);
	s->pipe.data = s;
	p->open_handles++;
	if (uv_pipe_open(&s->pipe, fd) != 0)
		return -1;
	s->open = true;
	return uv_read_start((uv_stream_t *)&s->pipe, alloc_buffer, on_read);
}

int proc_start(uv_loop_t *loop, const struct proc_spec *spec, const struct proc_callbacks *cb,
	       void *ctx, struct proc **out, struct jf_error *err)
{
	int out_pipe[2], err_pipe[2], rc;
	struct proc *p;

	*out = NULL;
	if (pipe2(out_pipe, O_CLOEXEC) < 0)
		return jf_fail(err, JF_IO, "unable to create a pipe: %s", strerror(errno));
	if (pipe2(err_pipe, O_CLOEXEC) < 0) {
		rc = errno;
		close(out_pipe[0]);
		close(out_pipe[1]);
		return jf_fail(err, JF_IO, "unable to create a pipe: %s", strerror(rc));
	}
	p = xcalloc(1, sizeof(*p));
	p->loop = loop;
	p->cb = *cb;
	p->ctx = ctx;
	p->pidfd = -1;
	rc = spawn_child(spec, out_pipe[1], err_pipe[1], &p->pid);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (rc == 0) {
		p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
		if (p->pidfd < 0 && errno != ENOSYS)
			rc = errno;
	}
	if (rc != 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		free(p);
		return jf_fail(err, JF_IO, "unable to start '%s': %s", spec->path, strerror(rc));
	}
	p->pidfd_poll = p->pidfd >= 0;
	if (p->pidfd_poll) {
		uv_poll_init(loop, &p->exit_poll, p->pidfd);
		p->exit_poll.data = p;
	} else {
		uv_timer_init(loop, &p->exit_timer);
		p->exit_timer.data = p;
	}
	uv_timer_init(loop, &p->kill_timer);
	p->kill_timer.data = p;
	p->open_handles = 2;
	open_stream(p, 0, out_pipe[0]);
	open_stream(p, 1, err_pipe[0]);
	if (p->pidfd_poll)
		uv_poll_start(&p->exit_poll, UV_READABLE, on_exit_ready);
	else
		uv_timer_start(&p->exit_timer, on_exit_timer, 10, 10);
	*out = p;
	return 0;
}

int64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	FILE *f;
	char *p;
	long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* The command name may hold blanks and parentheses: skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* Field 22 is starttime; after ") " comes field 3. */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoll(p + 1, NULL, 10);
	return start;
}

void proc_boot_id(char *out, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

bool proc_kill_leftover(int64_t pgid, int64_t leader_start, const char *boot_id)
{
	char current[64];
	int64_t start;

	if (pgid <= 1 || !boot_id)
		return false;
	proc_boot_id(current, sizeof(current));
	if (strcmp(current, boot_id) != 0)
		return false;
	/*
	 * While any member of the group lives, Linux does not hand out its id
	 * again. So a live leader with another start time means the id was
	 * reused, and a dead leader means the members left are ours.
	 */
	start = proc_start_time((pid_t)pgid);
	if (start != 0 && start != leader_start)
		return false;
	return kill(-(pid_t)pgid, SIGKILL) == 0;
}
