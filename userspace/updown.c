// SPDX-License-Identifier: GPL-2.0
/*
 * "ltunctl up|down FILE": bring a whole tunnel end up from a config file
 * (config.c) and take it down again, like wg-quick.
 *
 * up: create the device, set MTU and addresses, bring it up, then run the
 * equivalent "ltunctl server" or "ltunctl peer add ... persist" -- the
 * same functions the command line calls -- as a daemon (or in the
 * foreground for systemd), with its pid in RUNDIR/NAME.pid and its output
 * in RUNDIR/NAME.log. up returns once the server listens or the client's
 * first session is up, and fails with the daemon's own words otherwise,
 * leaving nothing behind.
 *
 * down: SIGTERM the daemon (SIGKILL after 5 s), delete the device, remove
 * the pidfile. Doing it twice is not an error (systemd's ExecStop may
 * run after the daemon took the device with it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmds.h"
#include "config.h"
#include "rtnl.h"
#include "util.h"

#define RUN_DIR_DEFAULT "/run/ltun"
#define ENV_RUN_DIR "LTUN_RUN_DIR"
#define CLIENT_READY_S 60	/* connect, TLS and WELCOME timeouts, with room */
#define SERVER_READY_S 15
#define STOP_WAIT_S 5

void usage_up(FILE *f)
{
	fprintf(f,
		"  ltunctl up [--foreground] FILE\n"
		"  ltunctl down FILE\n");
}

static const char *run_dir(void)
{
	const char *d = getenv(ENV_RUN_DIR);

	return d && d[0] ? d : RUN_DIR_DEFAULT;
}

static void run_path(char *buf, size_t len, const char *name, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", run_dir(), name, ext);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid in NAME.pid, 0 if none or garbage. */
static pid_t read_pidfile(const char *path)
{
	char buf[32] = "";
	uint32_t pid;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!parse_u32(buf, 2, (uint32_t)INT32_MAX, &pid))
		return 0;
	return (pid_t)pid;
}

static int write_pidfile(const char *path, pid_t pid)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -1;
	fprintf(f, "%d\n", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* pidfile only removed when it still names us (a new "up" may own it). */
static void remove_pidfile_of(const char *path, pid_t pid)
{
	if (read_pidfile(path) == pid)
		unlink(path);
}

/*
 * An ltunctl process that is not a zombie. The comm check keeps a stale
 * pidfile from making us signal whatever got the number since.
 */
static bool ltunctl_alive(pid_t pid)
{
	char path[64], buf[512];
	char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": comm may contain anything, so from the right */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return false;
	*p = '\0';
	p = strchr(buf, '(');
	return p && !strncmp(p + 1, "ltunctl", 7);
}

/* SIGTERM, wait, SIGKILL. Returns true if a process was there. */
static bool stop_process(pid_t pid, const char *name)
{
	int64_t end;

	if (!pid || !ltunctl_alive(pid))
		return false;
	kill(pid, SIGTERM);
	end = now_ms() + STOP_WAIT_S * 1000;
	while (ltunctl_alive(pid) && now_ms() < end)
		usleep(50000);
	if (ltunctl_alive(pid)) {
		errmsg("down", "%s: pid %d did not stop within %d s: killing it", name,
		       (int)pid, STOP_WAIT_S);
		kill(pid, SIGKILL);
		end = now_ms() + 2000;
		while (ltunctl_alive(pid) && now_ms() < end)
			usleep(50000);
	}
	return true;
}

static int delete_device(const char *name)
{
	unsigned int ifindex = if_nametoindex(name);
	int ret;

	if (!ifindex)
		return 0;
	ret = rtnl_link_delete(ifindex);
	if (ret < 0 && ret != -ENODEV) {
		errmsg("down", "deleting %s: %s", name, strerror(-ret));
		return -1;
	}
	return 1;
}

/* ---- up ------------------------------------------------------------ */

static int make_device(const struct config *cfg)
{
	char a[ADDR_STRLEN];
	unsigned int ifindex;
	int ret;

	ret = rtnl_link_create(cfg->name, "ltun");
	if (ret == -EEXIST) {
		errmsg("up", "device %s exists already (ltunctl down FILE, or ip link del %s)",
		       cfg->name, cfg->name);
		return -1;
	}
	if (ret < 0) {
		errmsg("up", "creating %s (type ltun): %s%s", cfg->name, strerror(-ret),
		       ret == -EOPNOTSUPP ? " (is the ltun module available?)" : "");
		return -1;
	}
	ifindex = if_nametoindex(cfg->name);
	if (!ifindex) {
		errmsg("up", "%s vanished after creation", cfg->name);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_addr; i++) {
		ret = rtnl_addr_add(ifindex, &cfg->addr[i]);
		if (ret < 0) {
			errmsg("up", "address %s on %s: %s",
			       prefix_str(&cfg->addr[i], true, a, sizeof(a)), cfg->name,
			       strerror(-ret));
			goto fail;
		}
	}
	ret = rtnl_link_set(ifindex, cfg->mtu, true);
	if (ret < 0) {
		errmsg("up", "setting %s %s: %s", cfg->name, cfg->mtu ? "MTU and up" : "up",
		       strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	rtnl_link_delete(ifindex);
	return -1;
}

/* The command the file stands for, in this process. */
static int run_command(struct config *cfg, int ready_fd)
{
	if (cfg->role == CONFIG_SERVER)
		return cmd_server(cfg->argc, cfg->argv);
	client_ready_fd = ready_fd;
	return cmd_peer_add(cfg->argc, cfg->argv);
}

static int port_of(const char *listen)
{
	const char *colon = strrchr(listen, ':');

	return colon ? atoi(colon + 1) : 0;
}

/* Whether pid has a socket with this inode open. */
static bool pid_has_socket(pid_t pid, unsigned long inode)
{
	char dir[64], path[320], link[64], want[48];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

/* Does pid listen on TCP port (v4 or v6) in our network namespace? */
static bool listening(pid_t pid, int port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];

	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "re");

		if (!fp)
			continue;
		while (fgets(line, sizeof(line), fp)) {
			char local[64], st[8];
			unsigned long inode;
			unsigned int lport;
			char *colon;

			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, " %*s %63s %*s %7s %*s %*s %*s %*s %*s %lu",
				   local, st, &inode) != 3 || strcmp(st, "0A"))
				continue;
			colon = strrchr(local, ':');
			if (!colon || sscanf(colon + 1, "%x", &lport) != 1 || (int)lport != port)
				continue;
			if (pid_has_socket(pid, inode)) {
				fclose(fp);
				return true;
			}
		}
		fclose(fp);
	}
	return false;
}

/* Copy what the daemon logged since offset to f (its own words). */
static void show_log(const char *log, off_t offset, FILE *f)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(log, "re");

	if (!in)
		return;
	if (fseeko(in, offset, SEEK_SET) == 0)
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, f);
	fclose(in);
	fflush(f);
}

/*
 * The daemon: second child of a double fork, in the session the first
 * one made, output to the log. Never returns.
 */
static void daemon_main(struct config *cfg, int ready_fd, const char *log, const char *pidfile)
{
	int fd, rc;

	if (chdir("/") < 0)
		_exit(1);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = run_command(cfg, ready_fd);
	fflush(stdout);
	remove_pidfile_of(pidfile, getpid());
	_exit(rc);
}

/* Wait until the daemon is ready, or gone, or too slow. */
static int wait_ready(const struct config *cfg, pid_t pid, int ready_fd)
{
	int timeout_s = cfg->role == CONFIG_CLIENT ? CLIENT_READY_S : SERVER_READY_S;
	int64_t end = now_ms() + timeout_s * 1000;
	int port = 0;

	for (int i = 0; i < cfg->argc - 1; i++)
		if (!strcmp(cfg->argv[i], "listen"))
			port = port_of(cfg->argv[i + 1]);
	while (now_ms() < end) {
		struct pollfd pfd = { .fd = ready_fd, .events = POLLIN };
		int r = poll(&pfd, 1, 100);
		char b;

		if (r > 0) {
			ssize_t n = read(ready_fd, &b, 1);

			if (n == 1 && cfg->role == CONFIG_CLIENT)
				return 0;
			if (n == 0)	/* every copy of the write end closed */
				return ltunctl_alive(pid) && cfg->role == CONFIG_SERVER &&
				       listening(pid, port) ? 0 : -1;
		}
		if (cfg->role == CONFIG_SERVER && listening(pid, port))
			return 0;
		if (!ltunctl_alive(pid))
			return -1;
	}
	errmsg("up", "%s: not ready after %d s", cfg->name, timeout_s);
	return -1;
}

static int up_background(struct config *cfg, const char *log, const char *pidfile)
{
	struct stat st;
	off_t offset = 0;
	pid_t child, pid;
	int pfd[2], status;

	if (stat(log, &st) == 0)
		offset = st.st_size;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		errmsg("up", "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0) {
		errmsg("up", "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (child == 0) {
		close(pfd[0]);
		/* a new session, and its child no session leader: no terminal ever */
		setsid();
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid == 0)
			daemon_main(cfg, pfd[1], log, pidfile);
		/* the pidfile exists before "up" looks for it */
		_exit(write_pidfile(pidfile, pid) < 0 ? 2 : 0);
	}
	close(pfd[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	pid = read_pidfile(pidfile);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !pid) {
		errmsg("up", "starting the daemon failed (pidfile %s)", pidfile);
		if (pid)
			stop_process(pid, cfg->name);
		close(pfd[0]);
		return -1;
	}
	if (wait_ready(cfg, pid, pfd[0]) < 0) {
		close(pfd[0]);
		stop_process(pid, cfg->name);
		show_log(log, offset, stderr);
		remove_pidfile_of(pidfile, pid);
		return -1;
	}
	close(pfd[0]);
	show_log(log, offset, stdout);
	return 0;
}

static int up_foreground(struct config *cfg, const char *pidfile)
{
	int rc;

	if (write_pidfile(pidfile, getpid()) < 0) {
		errmsg("up", "writing %s: %s", pidfile, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = run_command(cfg, -1);
	remove_pidfile_of(pidfile, getpid());
	/* what up made, up takes away: a restart finds a clean slate */
	delete_device(cfg->name);
	return rc;
}

int cmd_up(int argc, char **argv)
{
	char err[512], pidfile[PATH_MAX], log[PATH_MAX];
	bool foreground = false;
	struct config *cfg;
	pid_t pid;
	int rc = 1;

	if (argc >= 1 && is_help(argv[0])) {
		usage_up(stdout);
		return 0;
	}
	if (argc >= 1 && !strcmp(argv[0], "--foreground")) {
		foreground = true;
		argc--;
		argv++;
	}
	if (argc < 1)
		return usage_error("up", "missing FILE");
	if (argc > 1)
		return usage_error("up", "unexpected argument '%s'", argv[1]);
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return 1;
	if (config_load(argv[0], cfg, err, sizeof(err)) < 0) {
		errmsg("up", "%s", err);
		goto out;
	}
	if (mkdir(run_dir(), 0755) < 0 && errno != EEXIST) {
		errmsg("up", "creating %s: %s", run_dir(), strerror(errno));
		goto out;
	}
	run_path(pidfile, sizeof(pidfile), cfg->name, "pid");
	run_path(log, sizeof(log), cfg->name, "log");
	pid = read_pidfile(pidfile);
	if (pid && ltunctl_alive(pid)) {
		errmsg("up", "%s is up already (pid %d, %s)", cfg->name, (int)pid, pidfile);
		goto out;
	}
	if (make_device(cfg) < 0)
		goto out;
	if (foreground) {
		rc = up_foreground(cfg, pidfile);
		goto out;
	}
	if (up_background(cfg, log, pidfile) < 0) {
		delete_device(cfg->name);
		goto out;
	}
	rc = 0;
out:
	config_free(cfg);
	free(cfg);
	return rc;
}

int cmd_down(int argc, char **argv)
{
	char err[512], pidfile[PATH_MAX];
	struct config *cfg;
	bool stopped;
	int rc = 1, del;

	if (argc >= 1 && is_help(argv[0])) {
		usage_up(stdout);
		return 0;
	}
	if (argc < 1)
		return usage_error("down", "missing FILE");
	if (argc > 1)
		return usage_error("down", "unexpected argument '%s'", argv[1]);
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return 1;
	if (config_load(argv[0], cfg, err, sizeof(err)) < 0) {
		errmsg("down", "%s", err);
		goto out;
	}
	run_path(pidfile, sizeof(pidfile), cfg->name, "pid");
	stopped = stop_process(read_pidfile(pidfile), cfg->name);
	del = delete_device(cfg->name);
	if (del < 0)
		goto out;
	unlink(pidfile);
	if (!stopped && !del)
		fprintf(stderr, "ltunctl: down: %s was not up\n", cfg->name);
	rc = 0;
out:
	config_free(cfg);
	free(cfg);
	return rc;
}
