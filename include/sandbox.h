/*
 * sandbox.h: run untrusted code (a model's answer to a code_execution case)
 * in a child process that cannot hang loco, exhaust the machine, touch the
 * network or write outside its own scratch directory, as far as the kernel
 * lets an unprivileged or root process arrange that.
 *
 * Process tree:
 *
 *	loco ── monitor ── init ── program
 *
 * The monitor unshares namespaces, prepares the mounts and writes the
 * files; init is process 1 of the new PID namespace, reaps orphans and,
 * when the program exits, kills everything left; the program gets the
 * limits and runs.  At the wall-clock limit loco sends init SIGTERM, and
 * init kills and reaps everything (so its CPU time is counted); half a
 * second later loco kills init itself, which makes the kernel kill every
 * process left in the namespace.
 *
 * Contained, when the protection is active (see the SANDBOX_PROT bits in
 * the result; each is attempted separately and skipped if refused):
 *   - time:	wall clock (loco kills on expiry), RLIMIT_CPU per process
 *		(SIGXCPU at the limit, SIGKILL one second later; the kernel
 *		charges it by scheduler ticks, so on a loaded machine a
 *		program may be stopped after 0.7 s of measured CPU time for
 *		a 1 s limit);
 *   - memory:	RLIMIT_AS per process;
 *   - disk:	RLIMIT_FSIZE per file; with a mount namespace the scratch
 *		directory is a tmpfs of 4 x file_bytes in total;
 *   - files:	RLIMIT_NOFILE 64; with a mount namespace the program gets
 *		a minimal root of its own (a tmpfs; pivot_root, the old root
 *		detached) holding only what an interpreter needs, read-only,
 *		nosuid and nodev: /usr, the /bin, /sbin and /lib* links or
 *		directories, /etc/ld.so.cache and /etc/localtime, a /dev
 *		with null, zero, random and urandom, a private /proc, and the
 *		scratch directory as /scratch.  Home directories, /root,
 *		/tmp, /run, /var, /srv, /mnt, /media and every socket on the
 *		host file system are not there at all (a read-only mount
 *		would still let connect() reach a socket).  If that root
 *		cannot be built, every mount is made read-only and nosuid
 *		(recursively) instead, except the scratch directory;
 *   - processes: PID namespace (nothing survives the run, nothing outside
 *		is visible or signalable); RLIMIT_NPROC, which the kernel
 *		only enforces for a non-root user: as root the program runs
 *		as nobody (65534), so concurrent sandboxes share that
 *		user's count; otherwise a user namespace is used, whose
 *		count is per namespace;
 *   - network:	a network namespace with only a loopback that is down,
 *		so every connect fails; abstract Unix sockets belong to the
 *		network namespace, so the host's are out of reach too;
 *   - privilege: no_new_privs (setuid binaries do not elevate), an
 *		empty capability bounding set (no capabilities after exec,
 *		even as uid 0 in a user namespace), new IPC and UTS
 *		namespaces;
 *   - environment: only PATH, HOME, TMPDIR (the scratch directory),
 *		LANG, PYTHONDONTWRITEBYTECODE and PYTHONHASHSEED; stdin is
 *		/dev/null; fds other than 0-2 are closed, but for the report
 *		channel of sandbox_run_python_files.
 * Not contained: CPU time spread over many processes (each has its
 * own RLIMIT_CPU; the wall clock bounds the total), memory spread over
 * many processes (RLIMIT_AS is per process: processes x memory_bytes at
 * worst), kernel bugs.  No seccomp filter and no cgroup are used.
 * Without the minimal root, world-readable files are readable and host
 * sockets connectable.
 * Before the program starts, init holds the protections in force to the
 * policy (sandbox.require, sandbox_set_require): when one is missing the
 * program never runs and the run fails with EXIT_SANDBOX, naming it.
 * For tests, LOCO_SANDBOX_TEST_DISABLE names protections (as the policy
 * does) that are not even tried, as if the kernel refused them.
 * Without a PID namespace, init is a child subreaper and kills every
 * descendant it can find when the program ends, but a descendant may
 * outlive the run if init itself is killed (by loco's last-resort SIGKILL,
 * or by the program when they share a uid); without a mount namespace the
 * program can write wherever its user may.
 */
#ifndef LOCO_SANDBOX_H
#define LOCO_SANDBOX_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

#define SANDBOX_PYTHON		"/usr/bin/python3"

/*
 * The report channel: a pipe apart from the program's output, whose write
 * end the program finds open as this descriptor.  loco keeps the first
 * SANDBOX_REPORT_MAX bytes written to it.  It tells loco something only
 * the program's own first code can say (a harness that runs other code
 * after it): it is no secret from the code that runs later.
 */
#define SANDBOX_REPORT_FD	3
#define SANDBOX_REPORT_MAX	256

/* Zero fields take the defaults below. */
struct sandbox_limits {
	double	 wall_seconds;		/* 10 */
	long	 cpu_seconds;		/* 10 */
	size_t	 memory_bytes;		/* 512 MiB (address space) */
	size_t	 file_bytes;		/* 16 MiB per file */
	long	 processes;		/* 64 */
	size_t	 output_bytes;		/* 64 KiB for each of stdout, stderr */
};

/* Protections that were in force for a run. */
enum {
	SANDBOX_PROT_PIDNS	= 1 << 0,	/* PID namespace */
	SANDBOX_PROT_NETNS	= 1 << 1,	/* no network */
	SANDBOX_PROT_MOUNTNS	= 1 << 2,	/* private mount namespace */
	SANDBOX_PROT_RDONLY	= 1 << 3,	/* all mounts read-only */
	SANDBOX_PROT_TMPFS	= 1 << 4,	/* size-limited scratch dir */
	SANDBOX_PROT_PROC	= 1 << 5,	/* private /proc */
	SANDBOX_PROT_USERNS	= 1 << 6,	/* user namespace */
	SANDBOX_PROT_NOBODY	= 1 << 7,	/* root dropped to 65534 */
	SANDBOX_PROT_NPROC	= 1 << 8,	/* RLIMIT_NPROC is enforced */
	SANDBOX_PROT_IPCNS	= 1 << 9,	/* IPC and UTS namespaces */
	SANDBOX_PROT_MINROOT	= 1 << 10	/* only the interpreter's files */
};

/*
 * What loco requires before it runs model code (sandbox.require): every
 * bit of all, and at least one bit of any when any is not 0.  The
 * essential protections are no network, a PID namespace (nothing outside
 * can be signalled or traced), the minimal root (the user's files are not
 * there) and another uid (nobody) or a user namespace.
 */
struct sandbox_policy {
	unsigned	 all;
	unsigned	 any;
};

#define SANDBOX_ESSENTIAL_ALL	(SANDBOX_PROT_NETNS | SANDBOX_PROT_PIDNS | \
				 SANDBOX_PROT_MINROOT)
#define SANDBOX_ESSENTIAL_ANY	(SANDBOX_PROT_NOBODY | SANDBOX_PROT_USERNS)

struct sandbox_result {
	int	 exited;		/* exit_status is valid */
	int	 exit_status;
	int	 signal;		/* killed by this signal, or 0 */
	int	 timed_out;		/* loco killed it at the wall limit */
	double	 wall_seconds;
	double	 cpu_seconds;		/* user + system, all processes */
	struct strbuf out, err;		/* captured, at most output_bytes */
	int	 out_truncated, err_truncated;
	struct strbuf report;		/* the report channel's bytes */
	int	 report_truncated;
	unsigned protections;		/* SANDBOX_PROT_* */
	char	 reason[96];		/* "" on success, else why it failed */
};

/* A file to create in the scratch directory before the program starts. */
struct sandbox_file {
	const char	*name;		/* a plain name: no '/' */
	const char	*data;
	size_t		 len;
};

void	sandbox_limits_default(struct sandbox_limits *);
/* 1 when the program exited with status 0 in time. */
int	sandbox_passed(const struct sandbox_result *);
void	sandbox_result_release(struct sandbox_result *);

/*
 * Run argv (argv[0] an absolute path) in a fresh scratch directory holding
 * files[0..nfiles-1], under limits (NULL for the defaults).  The result is
 * always initialised; release it even after an error.  An error means loco
 * could not run the program at all (no fork, no directory, no such
 * program); a program that fails, crashes or times out is a result, with
 * reason saying why: "exit status 1", "timed out after 2 s",
 * "killed by signal 9 (memory limit?)", "cpu time limit",
 * "file size limit".
 */
struct error	*sandbox_run(char *const argv[], const struct sandbox_file *files,
		    size_t nfiles, const struct sandbox_limits *limits,
		    struct sandbox_result *);

/*
 * Run Python 3 code as main.py with "python3 -I -S -B main.py" (isolated,
 * no site, no bytecode).  Adds the Python reasons "memory limit
 * (MemoryError)" and "file size limit" when the traceback says so.
 */
struct error	*sandbox_run_python(const char *code,
		    const struct sandbox_limits *, struct sandbox_result *);
/*
 * The same, for a program of several files (one of them main.py), which
 * gets the report channel as SANDBOX_REPORT_FD: res->report holds what it
 * wrote there.
 */
struct error	*sandbox_run_python_files(const struct sandbox_file *,
		    size_t nfiles, const struct sandbox_limits *,
		    struct sandbox_result *);

/* Append the names of the protections in mask, space separated. */
void	sandbox_protections_describe(unsigned mask, struct strbuf *);
/* The protections that a run would get here, by running /bin/true. */
struct error	*sandbox_probe(unsigned *mask);

/*
 * Parse a policy: "essential", "none", or protection names (as
 * sandbox_protections_describe writes them, "essential" among them)
 * separated by spaces or commas.  NULL or "" is "essential".  Errors
 * (EXIT_CONFIG) name the word that is not a protection.
 */
struct error	*sandbox_policy_parse(const char *, struct sandbox_policy *);
/* The policy every later run is held to; "essential" until set. */
struct error	*sandbox_set_require(const char *text);
const struct sandbox_policy *sandbox_required(void);
/*
 * Append what mask lacks of the policy ("net-namespace, user-namespace
 * or uid-nobody"); returns 0 when nothing is missing.
 */
int	sandbox_policy_missing(const struct sandbox_policy *, unsigned mask,
	    struct strbuf *);
/*
 * Whether model code may run here: a probe, held to the policy.  The
 * error (EXIT_SANDBOX) names what is missing and how to allow it anyway.
 */
struct error	*sandbox_check(void);

#endif
