/*
 * sandbox.c: run untrusted programs contained (see sandbox.h for what is
 * and is not contained).
 *
 * Everything the children need is prepared before fork(); after it they
 * only make system calls, so a fork from a threaded loco stays safe.  The
 * children talk back over one pipe in fixed-size records, each written
 * with a single write() of less than PIPE_BUF bytes, so they never
 * interleave.  A program run with a report channel gets a fourth pipe,
 * as SANDBOX_REPORT_FD, for what it has to tell loco apart from its output.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "strbuf.h"
#include "util.h"
#include "banned.h"

#define NOBODY		65534
#define STOP_NS		500000000LL	/* init's time to stop the program */
#define GRACE_NS	2000000000LL	/* after a kill, wait this for EOF */
#define MAX_DEPTH	256		/* directory levels removed */
#define SCRATCH		"/scratch"	/* the scratch dir in the minimal root */
#define TEST_DISABLE	"LOCO_SANDBOX_TEST_DISABLE"

/* The records the children send to loco. */
enum {
	REC_PROT = 1,	/* a: protection bits to add; b: init pid or 0 */
	REC_CHILD,	/* a: the program's pid (without a PID namespace) */
	REC_FAIL,	/* a: stage; b: errno */
	REC_STATUS	/* a: the program's wait status */
};

struct record {
	int	 tag;
	int	 a, b;
};

enum stage {
	STAGE_WRITE, STAGE_CHOWN, STAGE_FORK, STAGE_STDIO, STAGE_CHDIR,
	STAGE_SETUID, STAGE_RLIMIT, STAGE_EXEC, STAGE_PIVOT, STAGE_POLICY,
	STAGE_COUNT
};

static const char *const stage_names[STAGE_COUNT] = {
	[STAGE_WRITE] = "write the program's files",
	[STAGE_CHOWN] = "hand the scratch directory over",
	[STAGE_FORK] = "fork",
	[STAGE_STDIO] = "set up standard input and output",
	[STAGE_CHDIR] = "enter the scratch directory",
	[STAGE_SETUID] = "drop privileges",
	[STAGE_RLIMIT] = "set resource limits",
	[STAGE_EXEC] = "execute",
	[STAGE_PIVOT] = "enter the minimal root",
	[STAGE_POLICY] = "meet sandbox.require",
};

static const char *const prot_names[] = {
	"pid-namespace", "net-namespace", "mount-namespace", "read-only-fs",
	"tmpfs-dir", "private-proc", "user-namespace", "uid-nobody", "nproc",
	"ipc-namespace", "minimal-root",
};

/*
 * What the minimal root holds, in the order it is built: directories
 * before what goes in them.
 */
enum root_kind {
	ROOT_DIR,	/* an empty directory */
	ROOT_BIND,	/* a host directory, bound read-only */
	ROOT_FILE,	/* a host file, bound read-only */
	ROOT_DEV,	/* a host device node, bound nosuid and noexec */
	ROOT_LINK	/* a symbolic link to src */
};

struct root_entry {
	enum root_kind	 kind;
	char		*src;		/* host path, or the link's target */
	char		*dst;		/* below the new root, before pivot */
};

static struct sandbox_policy require = {
	SANDBOX_ESSENTIAL_ALL, SANDBOX_ESSENTIAL_ANY
};

static int
policy_met(const struct sandbox_policy *p, unsigned mask)
{
	return (mask & p->all) == p->all && (p->any == 0 || (mask & p->any));
}

/* Everything the children need, made before fork(). */
struct plan {
	char *const		*argv;
	char			*envp[8];
	char			*dir;
	char			*envp_root[8];	/* HOME in the minimal root */
	const struct sandbox_file *files;
	size_t			 nfiles;
	char			*tmpfs_opts;
	char			*uid_map, *gid_map;
	struct root_entry	*root;		/* the minimal root */
	size_t			 nroot;
	char			*root_scratch, *root_proc;
	struct sandbox_limits	 lim;
	unsigned		 disable;	/* TEST_DISABLE: not tried */
	unsigned		 fixed;		/* bits known before fork */
	struct sandbox_policy	 policy;
	int			 as_root;	/* loco runs as root */
	pid_t			 loco;
	int			 out, err, info;	/* write ends */
	int			 report;	/* write end, or -1 */
};

void
sandbox_limits_default(struct sandbox_limits *lim)
{
	lim->wall_seconds = 10;
	lim->cpu_seconds = 10;
	lim->memory_bytes = (size_t)512 << 20;
	lim->file_bytes = (size_t)16 << 20;
	lim->processes = 64;
	lim->output_bytes = (size_t)64 << 10;
}

static void
limits_resolve(const struct sandbox_limits *in, struct sandbox_limits *out)
{
	sandbox_limits_default(out);
	if (in == NULL)
		return;
	if (in->wall_seconds > 0)
		out->wall_seconds = in->wall_seconds;
	if (in->cpu_seconds > 0)
		out->cpu_seconds = in->cpu_seconds;
	if (in->memory_bytes > 0)
		out->memory_bytes = in->memory_bytes;
	if (in->file_bytes > 0)
		out->file_bytes = in->file_bytes;
	if (in->processes > 0)
		out->processes = in->processes;
	if (in->output_bytes > 0)
		out->output_bytes = in->output_bytes;
}

int
sandbox_passed(const struct sandbox_result *res)
{
	return res->exited && res->exit_status == 0 && !res->timed_out;
}

void
sandbox_result_release(struct sandbox_result *res)
{
	strbuf_release(&res->out);
	strbuf_release(&res->err);
	strbuf_release(&res->report);
}

void
sandbox_protections_describe(unsigned mask, struct strbuf *sb)
{
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(prot_names); i++)
		if (mask & (1u << i))
			(void)strbuf_addf(sb, "%s%s", n++ ? " " : "",
			    prot_names[i]);
	if (n == 0)
		(void)strbuf_addstr(sb, "none");
}

/* ---- in the children: system calls only ---- */

static void
send_record(int fd, int tag, int a, int b)
{
	struct record r = { tag, a, b };
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n == -1 && errno == EINTR);
}

NORETURN static void
fail_child(const struct plan *pl, enum stage stage)
{
	send_record(pl->info, REC_FAIL, (int)stage, errno);
	_exit(127);
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_proc_file(const char *path, const char *text)
{
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

/*
 * A user namespace in which we keep our own uid and gid: the only mapping
 * an unprivileged process may write, and enough to own the other
 * namespaces and mount things in them.
 */
static int
enter_user_namespace(const struct plan *pl)
{
	if (unshare(CLONE_NEWUSER) == -1)
		return -1;
	if (write_proc_file("/proc/self/setgroups", "deny") == -1 &&
	    errno != ENOENT)
		return -1;
	if (write_proc_file("/proc/self/uid_map", pl->uid_map) == -1 ||
	    write_proc_file("/proc/self/gid_map", pl->gid_map) == -1)
		return -1;
	return 0;
}

#define ATTR_RDONLY	0x1	/* MOUNT_ATTR_*, which old libcs lack */
#define ATTR_NOSUID	0x2
#define ATTR_NODEV	0x4
#define ATTR_NOEXEC	0x8

#ifdef SYS_mount_setattr
/* Same layout as the kernel's struct mount_attr. */
struct sandbox_mount_attr {
	unsigned long long	 attr_set, attr_clr, propagation, userns_fd;
};

static int
mount_attr(const char *path, int recursive, unsigned set, unsigned clr)
{
	struct sandbox_mount_attr ma;

	memset(&ma, 0, sizeof(ma));
	ma.attr_set = set;
	ma.attr_clr = clr;
	return (int)syscall(SYS_mount_setattr, AT_FDCWD, path,
	    recursive ? 0x8000 /* AT_RECURSIVE */ : 0, &ma, sizeof(ma));
}
#else
static int
mount_attr(const char *path, int recursive, unsigned set, unsigned clr)
{
	errno = ENOSYS;
	return -1;
}
#endif

static int
mount_setattr_rdonly(const char *path, int recursive, int rdonly)
{
	if (rdonly)
		return mount_attr(path, recursive, ATTR_RDONLY | ATTR_NOSUID,
		    0);
	return mount_attr(path, recursive, 0, ATTR_RDONLY);
}

/*
 * Add flags to one mount.  Without mount_setattr (before Linux 5.12), a
 * remount, which must repeat the flags a user namespace may not clear.
 */
static int
mount_restrict(const char *path, unsigned attr)
{
	unsigned long flags = MS_REMOUNT | MS_BIND;
	struct statvfs sv;

	if (mount_attr(path, 0, attr, 0) == 0)
		return 0;
	if (errno != ENOSYS || statvfs(path, &sv) == -1)
		return -1;
	flags |= (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0) |
	    (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) |
	    (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
	    (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
	    (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
	    (sv.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) |
	    (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
	flags |= (attr & ATTR_RDONLY ? MS_RDONLY : 0) |
	    (attr & ATTR_NOSUID ? MS_NOSUID : 0) |
	    (attr & ATTR_NODEV ? MS_NODEV : 0) |
	    (attr & ATTR_NOEXEC ? MS_NOEXEC : 0);
	return mount(NULL, path, NULL, flags, NULL);
}

static int
make_empty_file(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0444)) == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * The minimal root, on a tmpfs over the scratch directory's host path
 * (hidden from loco, which is in another mount namespace): the
 * interpreter's files bound read-only, a few devices, mount points for
 * /proc and the scratch tmpfs.  Then the root itself is made read-only.
 * init enters it (pivot_root) after mounting /proc, which a user
 * namespace may only do while a full /proc is still in view.
 */
static int
build_root(const struct plan *pl)
{
	const struct root_entry *e;
	size_t i;
	int rc;

	if (mount("tmpfs", pl->dir, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k,nr_inodes=64,mode=0755") == -1)
		return -1;
	for (i = 0; i < pl->nroot; i++) {
		e = &pl->root[i];
		switch (e->kind) {
		case ROOT_DIR:
			rc = mkdir(e->dst, 0755);
			break;
		case ROOT_BIND:
			rc = mkdir(e->dst, 0755) == -1 ||
			    mount(e->src, e->dst, NULL, MS_BIND | MS_REC,
			    NULL) == -1 ||
			    (mount_attr(e->dst, 1, ATTR_RDONLY | ATTR_NOSUID |
			    ATTR_NODEV, 0) == -1 &&
			    mount_restrict(e->dst, ATTR_RDONLY | ATTR_NOSUID |
			    ATTR_NODEV) == -1) ? -1 : 0;
			break;
		case ROOT_FILE:
		case ROOT_DEV:
			rc = make_empty_file(e->dst) == -1 ||
			    mount(e->src, e->dst, NULL, MS_BIND, NULL) == -1 ||
			    mount_restrict(e->dst, e->kind == ROOT_FILE ?
			    ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV :
			    ATTR_NOSUID | ATTR_NOEXEC) == -1 ? -1 : 0;
			break;
		case ROOT_LINK:
			rc = symlink(e->src, e->dst);
			break;
		default:
			rc = -1;
		}
		if (rc == -1)
			return -1;
	}
	if (mount("tmpfs", pl->root_scratch, "tmpfs", MS_NOSUID | MS_NODEV,
	    pl->tmpfs_opts) == -1 ||
	    mount_restrict(pl->dir, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV) ==
	    -1)
		return -1;
	return 0;
}

/*
 * In a fresh mount namespace: the minimal root, else the scratch
 * directory becomes a small tmpfs (or at least its own mount), then
 * every mount read-only but that one.
 */
static unsigned
setup_mounts(const struct plan *pl)
{
	unsigned prot = 0;

	/* Nothing done here may leak back into loco's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return 0;
	if (!(pl->disable & SANDBOX_PROT_MINROOT)) {
		if (build_root(pl) == 0)
			return SANDBOX_PROT_MINROOT | SANDBOX_PROT_TMPFS |
			    SANDBOX_PROT_RDONLY;
		/* Whatever was built goes, with its mounts. */
		(void)umount2(pl->dir, MNT_DETACH);
	}
	if (!(pl->disable & SANDBOX_PROT_TMPFS) &&
	    mount("tmpfs", pl->dir, "tmpfs", MS_NOSUID | MS_NODEV,
	    pl->tmpfs_opts) == 0)
		prot |= SANDBOX_PROT_TMPFS;
	else if (mount(pl->dir, pl->dir, NULL, MS_BIND, NULL) == -1)
		return prot;
	if (!(pl->disable & SANDBOX_PROT_RDONLY) &&
	    mount_setattr_rdonly("/", 1, 1) == 0 &&
	    mount_setattr_rdonly(pl->dir, 0, 0) == 0)
		prot |= SANDBOX_PROT_RDONLY;
	return prot;
}

static unsigned
setup_namespaces(const struct plan *pl)
{
	unsigned prot = 0;

	if (!pl->as_root && !(pl->disable & SANDBOX_PROT_USERNS) &&
	    enter_user_namespace(pl) == 0)
		prot |= SANDBOX_PROT_USERNS;
	/* One at a time, so each protection the kernel allows is kept. */
	if (!(pl->disable & SANDBOX_PROT_PIDNS) && unshare(CLONE_NEWPID) == 0)
		prot |= SANDBOX_PROT_PIDNS;
	if (!(pl->disable & SANDBOX_PROT_NETNS) && unshare(CLONE_NEWNET) == 0)
		prot |= SANDBOX_PROT_NETNS;
	if (!(pl->disable & SANDBOX_PROT_IPCNS) &&
	    unshare(CLONE_NEWIPC | CLONE_NEWUTS) == 0)
		prot |= SANDBOX_PROT_IPCNS;
	if (!(pl->disable & SANDBOX_PROT_MOUNTNS) && unshare(CLONE_NEWNS) == 0)
		prot |= SANDBOX_PROT_MOUNTNS | setup_mounts(pl);
	return prot;
}

/* Lower a limit; one that is already lower stays (raising needs root). */
static int
set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < hard)
		hard = rl.rlim_max;
	rl.rlim_cur = soft < hard ? soft : hard;
	rl.rlim_max = hard;
	return setrlimit(resource, &rl);
}

NORETURN static void
program_main(const struct plan *pl, int minroot)
{
	struct sigaction sa;
	sigset_t none;
	rlim_t cpu = (rlim_t)pl->lim.cpu_seconds;
	int sig, fd, cap;

	(void)setpgid(0, 0);
	/* Ignored signals survive exec; loco ignores SIGPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1 ||
	    dup2(pl->out, 1) == -1 || dup2(pl->err, 2) == -1)
		fail_child(pl, STAGE_STDIO);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) ==
	    -1)
#endif
		for (fd = 3; fd < 1024; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* The pipes are above it (pipe_high), so nothing is clobbered. */
	if (pl->report != -1 && dup2(pl->report, SANDBOX_REPORT_FD) == -1)
		fail_child(pl, STAGE_STDIO);

	if (chdir(minroot ? SCRATCH : pl->dir) == -1)
		fail_child(pl, STAGE_CHDIR);
	/*
	 * An empty bounding set means exec grants no capabilities, even to
	 * uid 0 (root in a user namespace, when nobody is not mapped).
	 * Refused without CAP_SETPCAP, when there is nothing to drop.
	 */
	for (cap = 0; cap < 64; cap++)
		(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (pl->as_root && (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
	    setuid(NOBODY) == -1))
		fail_child(pl, STAGE_SETUID);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* After setuid, which clears it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

	/* SIGXCPU at the soft limit, SIGKILL at the hard one. */
	if (set_limit(RLIMIT_CPU, cpu, cpu + 1) == -1 ||
	    set_limit(RLIMIT_FSIZE, pl->lim.file_bytes, pl->lim.file_bytes) ==
	    -1 ||
	    set_limit(RLIMIT_NPROC, (rlim_t)pl->lim.processes,
	    (rlim_t)pl->lim.processes) == -1 ||
	    set_limit(RLIMIT_CORE, 0, 0) == -1 ||
	    set_limit(RLIMIT_NOFILE, 64, 64) == -1 ||
	    set_limit(RLIMIT_AS, pl->lim.memory_bytes, pl->lim.memory_bytes) ==
	    -1)
		fail_child(pl, STAGE_RLIMIT);
	execve(pl->argv[0], pl->argv, minroot ? pl->envp_root : pl->envp);
	fail_child(pl, STAGE_EXEC);
}

/* Read /proc/self/task/<pid>/children into pids; returns the count. */
static size_t
read_children(pid_t self, pid_t *pids, size_t max)
{
	char path[64] = "/proc/self/task/", digits[16], buf[4096];
	size_t n = 0, i = 0, len = strlen(path);
	ssize_t got, k;
	long v = -1;
	int fd;

	/* No snprintf after fork: spell the number out by hand. */
	do
		digits[i++] = (char)('0' + self % 10);
	while ((self /= 10) > 0 && i < sizeof(digits));
	while (i > 0)
		path[len++] = digits[--i];
	memcpy(path + len, "/children", sizeof("/children"));

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	got = read(fd, buf, sizeof(buf));
	close(fd);
	for (k = 0; k < got && n < max; k++) {
		if (buf[k] >= '0' && buf[k] <= '9')
			v = (v < 0 ? 0 : v * 10) + (buf[k] - '0');
		else if (v >= 0) {
			pids[n++] = (pid_t)v;
			v = -1;
		}
	}
	return n;
}

/*
 * The program has exited, or loco asked us to stop it: kill everything in
 * the sandbox and reap it, keeping the program's status if it was still
 * running.  As process 1 of a PID namespace, kill(-1) reaches exactly the
 * sandbox.  Otherwise we are a child subreaper: orphans become our
 * children, so killing our children until none are left catches even
 * processes that left the process group.  Reaping here rather than
 * letting the kernel do it when init dies keeps their CPU time in the
 * rusage loco reads.
 */
static void
kill_leftovers(pid_t program, int pidns, int *status)
{
	pid_t kids[512], pid;
	size_t i, n;
	int st;

	if (pidns && getpid() == 1)
		(void)kill(-1, SIGKILL);
	else
		(void)kill(-program, SIGKILL);
	for (;;) {
		if (!pidns) {
			n = read_children(getpid(), kids, ARRAY_SIZE(kids));
			for (i = 0; i < n; i++)
				(void)kill(kids[i], SIGKILL);
		}
		pid = waitpid(-1, &st, 0);
		if (pid == program)
			*status = st;
		else if (pid == -1 && errno == ECHILD)
			break;
	}
}

static volatile sig_atomic_t init_stop;

static void
init_on_term(int sig)
{
	init_stop = 1;
}

NORETURN static void
init_main(const struct plan *pl, unsigned prot)
{
	int pidns = (prot & SANDBOX_PROT_PIDNS) != 0, status = 0;
	int minroot = (prot & SANDBOX_PROT_MINROOT) != 0;
	struct sigaction sa;
	siginfo_t si;
	pid_t program;

	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* loco's SIGTERM on timeout: no SA_RESTART, so waitpid returns. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = init_on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	if (pidns && (prot & SANDBOX_PROT_MOUNTNS) &&
	    !(pl->disable & SANDBOX_PROT_PROC) &&
	    mount("proc", minroot ? pl->root_proc : "/proc", "proc",
	    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) == 0) {
		prot |= SANDBOX_PROT_PROC;
		send_record(pl->info, REC_PROT, SANDBOX_PROT_PROC, 0);
	}
	if (!pidns)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/*
	 * Into the minimal root; the old one, stacked on it by pivot_root,
	 * is detached, so nothing of the host's file system stays reachable.
	 */
	if (minroot && (chdir(pl->dir) == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1))
		fail_child(pl, STAGE_PIVOT);
	if (!policy_met(&pl->policy, prot | pl->fixed)) {
		errno = 0;
		fail_child(pl, STAGE_POLICY);
	}

	if ((program = fork()) == -1)
		fail_child(pl, STAGE_FORK);
	if (program == 0)
		program_main(pl, minroot);
	if (!pidns)
		send_record(pl->info, REC_CHILD, program, 0);
	close(pl->out);
	close(pl->err);
	if (pl->report != -1)
		close(pl->report);

	/*
	 * Wait without reaping the program, so its pid, which names its
	 * process group, cannot be reused before kill_leftovers uses it.
	 */
	while (!init_stop) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == -1) {
			if (errno != EINTR)
				_exit(1);
			continue;
		}
		if (si.si_pid == program)
			break;
		(void)waitpid(si.si_pid, NULL, 0);
	}
	kill_leftovers(program, pidns, &status);
	send_record(pl->info, REC_STATUS, status, 0);
	_exit(0);
}

/* Into the scratch directory, which stays the working directory. */
static int
write_files(const struct plan *pl, unsigned prot)
{
	size_t i;
	int fd;

	if (pl->as_root && !(prot & SANDBOX_PROT_TMPFS) &&
	    chown(pl->dir, NOBODY, NOBODY) == -1) {
		send_record(pl->info, REC_FAIL, STAGE_CHOWN, errno);
		return -1;
	}
	if (chdir(prot & SANDBOX_PROT_MINROOT ? pl->root_scratch : pl->dir) ==
	    -1) {
		send_record(pl->info, REC_FAIL, STAGE_CHDIR, errno);
		return -1;
	}
	for (i = 0; i < pl->nfiles; i++) {
		fd = open(pl->files[i].name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd == -1 ||
		    write_all(fd, pl->files[i].data, pl->files[i].len) == -1 ||
		    (pl->as_root && fchown(fd, NOBODY, NOBODY) == -1)) {
			send_record(pl->info, REC_FAIL, STAGE_WRITE, errno);
			return -1;
		}
		close(fd);
	}
	return 0;
}

NORETURN static void
monitor_main(const struct plan *pl)
{
	unsigned prot;
	pid_t init;
	int status;

	(void)setpgid(0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != pl->loco)
		_exit(1);		/* loco died before the prctl */
	prot = setup_namespaces(pl);
	if (write_files(pl, prot) == -1)
		_exit(1);
	if ((init = fork()) == -1)
		fail_child(pl, STAGE_FORK);
	if (init == 0)
		init_main(pl, prot);
	close(pl->out);
	close(pl->err);
	if (pl->report != -1)
		close(pl->report);
	send_record(pl->info, REC_PROT, (int)prot, init);
	while (waitpid(init, &status, 0) == -1 && errno == EINTR)
		;
	_exit(0);
}

/* ---- in loco ---- */

/* rm -rf below dirfd, never following a symbolic link. */
static int
remove_entry(int dirfd, const char *name, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode) || depth > MAX_DEPTH)
		return -1;
	/* The program may have left a directory we cannot read. */
	if ((st.st_mode & 0700) != 0700)
		(void)fchmodat(dirfd, name, 0700, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    remove_entry(fd, de->d_name, depth + 1) == -1)
			rc = -1;
	closedir(d);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

static struct error *
remove_scratch(const char *dir)
{
	if (remove_entry(AT_FDCWD, dir, 0) == -1)
		return error_new(EXIT_FAIL, "cannot remove '%s': %s", dir,
		    errno ? strerror(errno) : "too deep");
	return NULL;
}

/*
 * Keep fds 0-2 and SANDBOX_REPORT_FD free, so dup2 in the program cannot
 * clobber a pipe.
 */
static int
pipe_high(int fds[2])
{
	int i, fd;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fds[i] <= SANDBOX_REPORT_FD) {
			if ((fd = fcntl(fds[i], F_DUPFD_CLOEXEC,
			    SANDBOX_REPORT_FD + 1)) == -1)
				return -1;
			close(fds[i]);
			fds[i] = fd;
		}
	return 0;
}

/*
 * Whether uid and gid 65534 exist in our user namespace: not in a rootless
 * container that maps only root, where the program then gets a user
 * namespace of its own like an ordinary user's would.
 */
static int
nobody_mapped(void)
{
	static const char *const maps[] = {
		"/proc/self/uid_map", "/proc/self/gid_map"
	};
	unsigned long inside, outside, count;
	size_t i;
	int found;
	FILE *fp;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		if ((fp = fopen(maps[i], "r")) == NULL)
			continue;	/* no user namespaces: all ids exist */
		found = 0;
		while (!found && fscanf(fp, "%lu %lu %lu", &inside, &outside,
		    &count) == 3)
			found = inside <= NOBODY && NOBODY - inside < count;
		fclose(fp);
		if (!found)
			return 0;
	}
	return 1;
}

static void
plan_release(struct plan *pl)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pl->envp); i++) {
		free(pl->envp[i]);
		free(pl->envp_root[i]);
	}
	for (i = 0; i < pl->nroot; i++) {
		free(pl->root[i].src);
		free(pl->root[i].dst);
	}
	free(pl->root);
	free(pl->root_scratch);
	free(pl->root_proc);
	free(pl->tmpfs_opts);
	free(pl->uid_map);
	free(pl->gid_map);
}

static void
root_add(struct plan *pl, enum root_kind kind, const char *src,
    const char *name)
{
	struct root_entry *e;

	pl->root = xreallocarray(pl->root, pl->nroot + 1, sizeof(*pl->root));
	e = &pl->root[pl->nroot++];
	e->kind = kind;
	e->src = src ? xstrdup(src) : NULL;
	e->dst = xasprintf("%s%s", pl->dir, name);
}

/*
 * What the minimal root holds, looked up now: after fork the children
 * only make system calls.  The top-level program directories are bound
 * or, where they are links (a merged /usr), linked the same way.
 */
static void
plan_root(struct plan *pl)
{
	static const char *const dirs[] = {
		"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"
	};
	static const char *const etc[] = {
		"/etc/ld.so.cache", "/etc/localtime"
	};
	static const char *const devs[] = {
		"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"
	};
	static const char *const fds[][2] = {
		{ "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },
		{ "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	char target[4096];
	struct stat st;
	ssize_t n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (lstat(dirs[i], &st) == -1)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(dirs[i], target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			root_add(pl, ROOT_LINK, target, dirs[i]);
		} else if (S_ISDIR(st.st_mode))
			root_add(pl, ROOT_BIND, dirs[i], dirs[i]);
	}
	root_add(pl, ROOT_DIR, NULL, "/etc");
	for (i = 0; i < ARRAY_SIZE(etc); i++)
		if (stat(etc[i], &st) == 0 && S_ISREG(st.st_mode))
			root_add(pl, ROOT_FILE, etc[i], etc[i]);
	root_add(pl, ROOT_DIR, NULL, "/dev");
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		if (stat(devs[i], &st) == 0 && S_ISCHR(st.st_mode))
			root_add(pl, ROOT_DEV, devs[i], devs[i]);
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		root_add(pl, ROOT_LINK, fds[i][1], fds[i][0]);
	root_add(pl, ROOT_DIR, NULL, "/proc");
	root_add(pl, ROOT_DIR, NULL, SCRATCH);
	pl->root_scratch = xasprintf("%s%s", pl->dir, SCRATCH);
	pl->root_proc = xasprintf("%s/proc", pl->dir);
}

static void
plan_init(struct plan *pl, char *const argv[], char *dir,
    const struct sandbox_file *files, size_t nfiles,
    const struct sandbox_limits *lim)
{
	unsigned uid = pl->as_root ? NOBODY : (unsigned)getuid();
	unsigned gid = pl->as_root ? NOBODY : (unsigned)getgid();
	size_t i;

	pl->argv = argv;
	pl->dir = dir;
	pl->files = files;
	pl->nfiles = nfiles;
	pl->lim = *lim;
	pl->envp[0] = xstrdup("PATH=/usr/bin:/bin");
	pl->envp[1] = xasprintf("HOME=%s", dir);
	pl->envp[2] = xasprintf("TMPDIR=%s", dir);
	pl->envp[3] = xstrdup("LANG=C.UTF-8");
	pl->envp[4] = xstrdup("PYTHONDONTWRITEBYTECODE=1");
	pl->envp[5] = xstrdup("PYTHONHASHSEED=0");
	for (i = 0; i < 6; i++)
		pl->envp_root[i] = xstrdup(pl->envp[i]);
	free(pl->envp_root[1]);
	free(pl->envp_root[2]);
	pl->envp_root[1] = xstrdup("HOME=" SCRATCH);
	pl->envp_root[2] = xstrdup("TMPDIR=" SCRATCH);
	plan_root(pl);
	pl->tmpfs_opts = xasprintf("size=%zu,nr_inodes=4096,mode=0700,"
	    "uid=%u,gid=%u", lim->file_bytes * 4, uid, gid);
	pl->uid_map = xasprintf("%u %u 1\n", uid, uid);
	pl->gid_map = xasprintf("%u %u 1\n", gid, gid);
}

/* Append to a capped capture buffer; what does not fit is dropped. */
static void
capture(struct strbuf *sb, int *truncated, const char *p, size_t n)
{
	size_t room = sb->cap > sb->len ? sb->cap - sb->len : 0;

	if (n > room) {
		*truncated = 1;
		n = room;
	}
	if (n > 0)
		(void)strbuf_add(sb, p, n);
}

struct run {
	pid_t		 monitor, init, program;
	unsigned	 prot;
	int		 have_status, status;
	int		 fail_stage, fail_errno;
	struct record	 partial;
	size_t		 partial_len;
};

static void
take_records(struct run *run, const char *p, size_t n)
{
	struct record *r = &run->partial;
	size_t k;

	while (n > 0) {
		k = sizeof(*r) - run->partial_len;
		if (k > n)
			k = n;
		memcpy((char *)r + run->partial_len, p, k);
		run->partial_len += k;
		p += k;
		n -= k;
		if (run->partial_len < sizeof(*r))
			break;
		run->partial_len = 0;
		switch (r->tag) {
		case REC_PROT:
			run->prot |= (unsigned)r->a;
			if (r->b > 0)
				run->init = r->b;
			break;
		case REC_CHILD:
			run->program = r->a;
			break;
		case REC_FAIL:
			if (run->fail_stage < 0) {
				run->fail_stage = r->a;
				run->fail_errno = r->b;
			}
			break;
		case REC_STATUS:
			run->have_status = 1;
			run->status = r->a;
			break;
		}
	}
}

/*
 * Kill the whole sandbox.  Killing init ends a PID namespace; without one
 * the program's and init's process groups are the best we can name.
 */
static void
kill_sandbox(const struct run *run)
{
	if (run->init > 0) {
		(void)kill(run->init, SIGKILL);
		(void)kill(-run->init, SIGKILL);
	}
	if (run->program > 0)
		(void)kill(-run->program, SIGKILL);
	if (run->init <= 0)
		(void)kill(-run->monitor, SIGKILL);
}

/*
 * Ask init to kill and reap everything (so the CPU time is counted), and
 * make sure of it with SIGKILL at *hard if init does not manage.
 */
static void
stop_sandbox(const struct run *run, long long now, long long *hard,
    long long *grace)
{
	if (run->init > 0) {
		(void)kill(run->init, SIGTERM);
		*hard = now + STOP_NS;
	} else
		kill_sandbox(run);
	*grace = now + GRACE_NS;
}

static void
set_reason(struct sandbox_result *res, const struct sandbox_limits *lim)
{
	char *r;

	/*
	 * A SIGKILL that loco did not send is RLIMIT_CPU's hard limit (the
	 * program caught SIGXCPU) or the OOM killer.  The kernel charges the
	 * limit by scheduler ticks, which overcharge a busy machine by a
	 * third or more, while rusage is exact: hence the generous factor.
	 */
	if (res->timed_out)
		r = xasprintf("timed out after %g s", lim->wall_seconds);
	else if (res->signal == SIGXCPU || (res->signal == SIGKILL &&
	    res->cpu_seconds >= 0.5 * (double)lim->cpu_seconds))
		r = xstrdup("cpu time limit");
	else if (res->signal == SIGXFSZ)
		r = xstrdup("file size limit");
	else if (res->signal == SIGKILL)
		r = xstrdup("killed by signal 9 (memory limit?)");
	else if (res->signal != 0)
		r = xasprintf("killed by signal %d", res->signal);
	else if (res->exit_status != 0)
		r = xasprintf("exit status %d", res->exit_status);
	else
		r = xstrdup("");
	snprintf(res->reason, sizeof(res->reason), "%s", r);
	free(r);
}

static struct error *
check_request(char *const argv[], const struct sandbox_file *files,
    size_t nfiles)
{
	size_t i;
	const char *name;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/')
		return error_new(EXIT_FAIL, "sandbox: the program must be "
		    "an absolute path");
	if (access(argv[0], X_OK) == -1)
		return error_new(EXIT_FAIL, "cannot run '%s': %s", argv[0],
		    strerror(errno));
	for (i = 0; i < nfiles; i++) {
		name = files[i].name;
		if (name == NULL || *name == '\0' || strchr(name, '/') ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return error_new(EXIT_FAIL, "sandbox: bad file name "
			    "'%s'", name ? name : "");
	}
	return NULL;
}

/*
 * Read the pipes (stdout, stderr, records, report; -1 for none) until
 * every writer is gone, enforcing the wall clock.
 */
static struct error *
supervise(struct run *run, int fds[4], const struct sandbox_limits *lim,
    struct sandbox_result *res, long long start)
{
	long long deadline = start + (long long)(lim->wall_seconds * 1e9);
	long long grace = 0, hard = 0, now, wait_ns;
	struct pollfd pfd[4];
	char buf[16384];
	ssize_t n;
	int i, np, interrupted = 0, rc;

	for (;;) {
		np = 0;
		for (i = 0; i < 4; i++)
			if (fds[i] != -1) {
				pfd[np].fd = fds[i];
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				np++;
			}
		if (np == 0)
			break;
		now = now_ns();
		if (loco_interrupted && !interrupted) {
			interrupted = 1;
			stop_sandbox(run, now, &hard, &grace);
		}
		if (grace == 0 && run->have_status)
			grace = now + GRACE_NS;	/* init is cleaning up */
		if (!res->timed_out && !run->have_status && now >= deadline) {
			res->timed_out = 1;
			stop_sandbox(run, now, &hard, &grace);
		}
		if (hard != 0 && now >= hard) {
			kill_sandbox(run);
			hard = 0;
		}
		if (grace != 0 && now >= grace) {
			/* Something still holds a pipe: give up on it. */
			kill_sandbox(run);
			(void)kill(-run->monitor, SIGKILL);
			break;
		}
		wait_ns = (hard != 0 ? hard : grace != 0 ? grace : deadline) -
		    now;
		if (wait_ns > 1000000000LL)
			wait_ns = 1000000000LL;
		rc = poll(pfd, (nfds_t)np, (int)(wait_ns / 1000000 + 1));
		if (rc == -1 && errno != EINTR)
			return error_new(EXIT_FAIL, "sandbox: poll: %s",
			    strerror(errno));
		for (np = 0, i = 0; i < 4 && rc > 0; i++) {
			if (fds[i] == -1)
				continue;
			if (pfd[np++].revents == 0)
				continue;
			n = read(fds[i], buf, sizeof(buf));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
			} else if (i == 0)
				capture(&res->out, &res->out_truncated, buf,
				    (size_t)n);
			else if (i == 1)
				capture(&res->err, &res->err_truncated, buf,
				    (size_t)n);
			else if (i == 2)
				take_records(run, buf, (size_t)n);
			else
				capture(&res->report, &res->report_truncated,
				    buf, (size_t)n);
		}
	}
	if (interrupted)
		return error_new(EXIT_INTERRUPT, "interrupted");
	return NULL;
}

/*
 * The refusal, naming what is missing and how to allow the run anyway.
 * A user namespace is what an ordinary user needs for nearly all of it.
 */
static struct error *
refusal(const struct sandbox_policy *p, unsigned mask)
{
	struct strbuf miss = STRBUF_INIT;
	struct error *err;
	const char *hint = "";

	(void)sandbox_policy_missing(p, mask, &miss);
	if (geteuid() != 0 && !(mask & SANDBOX_PROT_USERNS))
		hint = "; the kernel refused a user namespace (see sysctl "
		    "user.max_user_namespaces and "
		    "kernel.unprivileged_userns_clone)";
	err = error_new(EXIT_SANDBOX, "refusing to run model code: the "
	    "sandbox lacks %s, which sandbox.require asks for%s; to run it "
	    "with only what is available, set sandbox.require to none "
	    "(LOCO_SANDBOX_REQUIRE=none)", miss.buf, hint);
	strbuf_release(&miss);
	return err;
}

static struct error *
run_sandbox(char *const argv[], const struct sandbox_file *files,
    size_t nfiles, int with_report, const struct sandbox_policy *policy,
    const struct sandbox_limits *limits, struct sandbox_result *res)
{
	struct sandbox_policy off;
	struct sandbox_limits lim;
	struct plan pl;
	struct run run;
	struct rusage ru;
	struct error *err = NULL, *err2;
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, info[2] = { -1, -1 };
	int report[2] = { -1, -1 }, fds[4], status, i;
	long long start;

	limits_resolve(limits, &lim);
	memset(res, 0, sizeof(*res));
	strbuf_init(&res->out, lim.output_bytes);
	strbuf_init(&res->err, lim.output_bytes);
	strbuf_init(&res->report, SANDBOX_REPORT_MAX);
	memset(&run, 0, sizeof(run));
	run.fail_stage = -1;
	memset(&pl, 0, sizeof(pl));

	if ((err = check_request(argv, files, nfiles)) != NULL)
		return err;
	/* For tests: a kernel that refuses these protections. */
	if ((err = sandbox_policy_parse(getenv(TEST_DISABLE), &off)) != NULL)
		return error_prefix(err, "%s", TEST_DISABLE);
	if (getenv(TEST_DISABLE) == NULL)
		off.all = off.any = 0;
	dir = xasprintf("%s/loco-sandbox.XXXXXX", tmp && *tmp == '/' ? tmp :
	    "/tmp");
	if (mkdtemp(dir) == NULL) {
		err = error_new(EXIT_FAIL, "cannot create '%s': %s", dir,
		    strerror(errno));
		free(dir);
		return err;
	}
	pl.disable = off.all | off.any;
	pl.as_root = geteuid() == 0 && nobody_mapped() &&
	    !(pl.disable & SANDBOX_PROT_NOBODY);
	pl.loco = getpid();
	pl.policy = *policy;
	/* The kernel exempts uid 0 from RLIMIT_NPROC, even without caps. */
	if (pl.as_root)
		pl.fixed = SANDBOX_PROT_NOBODY | SANDBOX_PROT_NPROC;
	else if (geteuid() != 0)
		pl.fixed = SANDBOX_PROT_NPROC;
	plan_init(&pl, argv, dir, files, nfiles, &lim);
	if (pipe_high(out) == -1 || pipe_high(errp) == -1 ||
	    pipe_high(info) == -1 || (with_report && pipe_high(report) == -1)) {
		err = error_new(EXIT_FAIL, "sandbox: pipe: %s",
		    strerror(errno));
		goto done;
	}
	pl.out = out[1];
	pl.err = errp[1];
	pl.info = info[1];
	pl.report = report[1];

	start = now_ns();
	if ((run.monitor = fork()) == -1) {
		err = error_new(EXIT_FAIL, "sandbox: fork: %s",
		    strerror(errno));
		goto done;
	}
	if (run.monitor == 0)
		monitor_main(&pl);
	/* Also here, so kill(-monitor) is right before the child runs. */
	(void)setpgid(run.monitor, run.monitor);
	close(out[1]);
	close(errp[1]);
	close(info[1]);
	if (report[1] != -1)
		close(report[1]);
	out[1] = errp[1] = info[1] = report[1] = -1;

	fds[0] = out[0];
	fds[1] = errp[0];
	fds[2] = info[0];
	fds[3] = report[0];
	err = supervise(&run, fds, &lim, res, start);
	out[0] = fds[0];
	errp[0] = fds[1];
	info[0] = fds[2];
	report[0] = fds[3];
	res->wall_seconds = (double)(now_ns() - start) / 1e9;

	while (wait4(run.monitor, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			memset(&ru, 0, sizeof(ru));
			break;
		}
	}
	res->cpu_seconds = (double)ru.ru_utime.tv_sec +
	    (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	    (double)ru.ru_stime.tv_usec / 1e6;
	res->protections = run.prot | pl.fixed;
	if (err != NULL)
		goto done;

	if (run.fail_stage >= 0 && run.fail_stage < STAGE_COUNT) {
		if (run.fail_stage == STAGE_POLICY)
			err = refusal(policy, res->protections);
		else if (run.fail_stage == STAGE_EXEC)
			err = error_new(EXIT_FAIL, "cannot run '%s': %s",
			    argv[0], strerror(run.fail_errno));
		else
			err = error_new(EXIT_FAIL, "sandbox: cannot %s: %s",
			    stage_names[run.fail_stage],
			    strerror(run.fail_errno));
		goto done;
	}
	if (run.have_status && !res->timed_out) {
		if (WIFEXITED(run.status)) {
			res->exited = 1;
			res->exit_status = WEXITSTATUS(run.status);
		} else if (WIFSIGNALED(run.status))
			res->signal = WTERMSIG(run.status);
	} else if (res->timed_out)
		res->signal = SIGKILL;
	else {
		err = error_new(EXIT_FAIL, "sandbox: the supervising process "
		    "died unexpectedly");
		goto done;
	}
	set_reason(res, &lim);

done:
	for (i = 0; i < 2; i++) {
		if (out[i] != -1)
			close(out[i]);
		if (errp[i] != -1)
			close(errp[i]);
		if (info[i] != -1)
			close(info[i]);
		if (report[i] != -1)
			close(report[i]);
	}
	if ((err2 = remove_scratch(dir)) != NULL) {
		if (err == NULL)
			err = err2;
		else
			error_free(err2);
	}
	plan_release(&pl);
	free(dir);
	return err;
}

struct error *
sandbox_run(char *const argv[], const struct sandbox_file *files,
    size_t nfiles, const struct sandbox_limits *limits,
    struct sandbox_result *res)
{
	return run_sandbox(argv, files, nfiles, 0, &require, limits, res);
}

/* The last non-empty line of s starts with prefix. */
static int
last_line_starts(const struct strbuf *sb, const char *prefix)
{
	size_t end = sb->len, start;

	while (end > 0 && (sb->buf[end - 1] == '\n' || sb->buf[end - 1] ==
	    '\r'))
		end--;
	start = end;
	while (start > 0 && sb->buf[start - 1] != '\n')
		start--;
	return end - start >= strlen(prefix) &&
	    strncmp(sb->buf + start, prefix, strlen(prefix)) == 0;
}

/* Python's own words for a limit it hit, when it could still say them. */
static void
python_reason(struct sandbox_result *res)
{
	if (res->exited && res->exit_status != 0 && !res->err_truncated) {
		if (last_line_starts(&res->err, "MemoryError"))
			snprintf(res->reason, sizeof(res->reason),
			    "memory limit (MemoryError)");
		else if (last_line_starts(&res->err,
		    "OSError: [Errno 27] File too large"))
			snprintf(res->reason, sizeof(res->reason),
			    "file size limit");
	}
}

static char *const python_argv[] = {
	SANDBOX_PYTHON, "-I", "-S", "-B", "main.py", NULL
};

struct error *
sandbox_run_python(const char *code, const struct sandbox_limits *limits,
    struct sandbox_result *res)
{
	struct sandbox_file file = { "main.py", code, strlen(code) };
	struct error *err;

	if ((err = run_sandbox(python_argv, &file, 1, 0, &require, limits,
	    res)) != NULL)
		return err;
	python_reason(res);
	return NULL;
}

struct error *
sandbox_run_python_files(const struct sandbox_file *files, size_t nfiles,
    const struct sandbox_limits *limits, struct sandbox_result *res)
{
	struct error *err;

	if ((err = run_sandbox(python_argv, files, nfiles, 1, &require, limits,
	    res)) != NULL)
		return err;
	python_reason(res);
	return NULL;
}

struct error *
sandbox_probe(unsigned *mask)
{
	static char *const argv[] = { "/bin/true", NULL };
	static const struct sandbox_policy none = { 0, 0 };
	struct sandbox_result res;
	struct sandbox_limits lim = { 5, 5, 0, 0, 0, 0 };
	struct error *err;

	err = run_sandbox(argv, NULL, 0, 0, &none, &lim, &res);
	*mask = res.protections;
	sandbox_result_release(&res);
	return err;
}

struct error *
sandbox_check(void)
{
	struct error *err;
	unsigned mask;

	if ((err = sandbox_probe(&mask)) != NULL)
		return error_prefix(err, "cannot run model code");
	if (!policy_met(&require, mask))
		return refusal(&require, mask);
	return NULL;
}

static int
is_sep(char c)
{
	return c == ' ' || c == ',' || c == '\t';
}

struct error *
sandbox_policy_parse(const char *text, struct sandbox_policy *p)
{
	struct sandbox_policy out = { 0, 0 };
	const char *w, *end;
	char *word, *clean;
	size_t i, len, words = 0;
	int none = 0;
	struct error *err;

	p->all = SANDBOX_ESSENTIAL_ALL;
	p->any = SANDBOX_ESSENTIAL_ANY;
	if (text == NULL)
		return NULL;
	for (w = text; *w != '\0'; w = end) {
		while (is_sep(*w))
			w++;
		for (end = w; *end != '\0' && !is_sep(*end); end++)
			;
		if ((len = (size_t)(end - w)) == 0)
			continue;
		words++;
		if (len == 4 && strncmp(w, "none", 4) == 0) {
			none = 1;
			continue;
		}
		if (len == 9 && strncmp(w, "essential", 9) == 0) {
			out.all |= SANDBOX_ESSENTIAL_ALL;
			out.any |= SANDBOX_ESSENTIAL_ANY;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(prot_names); i++)
			if (strlen(prot_names[i]) == len &&
			    strncmp(w, prot_names[i], len) == 0)
				break;
		if (i == ARRAY_SIZE(prot_names)) {
			struct strbuf names = STRBUF_INIT;

			for (i = 0; i < ARRAY_SIZE(prot_names); i++)
				(void)strbuf_addf(&names, "%s%s", i ? ", " : "",
				    prot_names[i]);
			word = xstrndup(w, len);
			clean = str_sanitize(word, 40);
			err = error_new(EXIT_CONFIG, "'%s' is not a protection: "
			    "use essential, none or names from %s", clean,
			    names.buf);
			strbuf_release(&names);
			free(clean);
			free(word);
			return err;
		}
		out.all |= 1u << i;
	}
	if (none && words > 1)
		return error_new(EXIT_CONFIG, "'none' cannot be combined with "
		    "protections");
	if (words > 0)
		*p = out;
	return NULL;
}

struct error *
sandbox_set_require(const char *text)
{
	struct sandbox_policy p;
	struct error *err;

	if ((err = sandbox_policy_parse(text, &p)) != NULL)
		return error_prefix(err, "sandbox.require");
	require = p;
	return NULL;
}

const struct sandbox_policy *
sandbox_required(void)
{
	return &require;
}

int
sandbox_policy_missing(const struct sandbox_policy *p, unsigned mask,
    struct strbuf *sb)
{
	unsigned lack = p->all & ~mask;
	size_t i, n = 0, any = 0;

	for (i = 0; i < ARRAY_SIZE(prot_names); i++)
		if (lack & (1u << i))
			(void)strbuf_addf(sb, "%s%s", n++ ? ", " : "",
			    prot_names[i]);
	if (p->any != 0 && !(mask & p->any)) {
		for (i = 0; i < ARRAY_SIZE(prot_names); i++)
			if (p->any & (1u << i))
				(void)strbuf_addf(sb, "%s%s", any++ ? " or " :
				    n ? ", " : "", prot_names[i]);
		n++;
	}
	return n > 0;
}
