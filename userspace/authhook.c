// SPDX-License-Identifier: GPL-2.0
/*
 * The hook runs in its own process group so that a timeout can kill
 * everything the shell started, not just the shell. It runs in the
 * server's child for one client, so waiting for it blocks only that
 * client (and, because admissions are serialised, the ones behind it).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "authhook.h"

static void hook_child(const char *cmd, const struct authhook_req *r)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setpgid(0, 0);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(126);
	/* Its output goes to the server's log: keep it off stdout's lines. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	signal(SIGPIPE, SIG_DFL);
	if (setenv("LTUN_IDENTITY", r->identity, 1) || setenv("LTUN_REMOTE", r->remote, 1) ||
	    setenv("LTUN_ADDRESSES", r->addresses, 1) ||
	    setenv("LTUN_PREFIXES", r->prefixes, 1) || setenv("LTUN_DEVICE", r->device, 1) ||
	    setenv("LTUN_RENEW", r->renew ? "1" : "0", 1))
		_exit(126);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int authhook_run(const char *cmd, const struct authhook_req *r, char *why, size_t whylen)
{
	struct timespec start, now, nap = { .tv_nsec = 10 * 1000 * 1000 };
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		hook_child(cmd, r);
	setpgid(pid, pid);	/* also here: no race with the kill below */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= AUTHHOOK_TIMEOUT_S) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "timed out after %d s", AUTHHOOK_TIMEOUT_S);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0)
			return 0;
		snprintf(why, whylen, "exit %d", WEXITSTATUS(status));
	} else {
		snprintf(why, whylen, "killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	return -1;
}
