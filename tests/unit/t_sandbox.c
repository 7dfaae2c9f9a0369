/*
 * t_sandbox.c: the sandbox contains what it says it contains.  Each test
 * runs a small misbehaving Python program and checks both the result and,
 * from the outside, that nothing escaped.  Without /usr/bin/python3 the
 * tests say so and pass.  Where the kernel refuses a protection, the test
 * that needs it says which one is missing instead of pretending.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "sandbox.h"
#include "strbuf.h"
#include "unit.h"

static int
have_python(void)
{
	static int warned;

	if (access(SANDBOX_PYTHON, X_OK) == 0)
		return 1;
	if (!warned++)
		fprintf(stderr, "t_sandbox: no %s, sandbox tests skipped\n",
		    SANDBOX_PYTHON);
	return 0;
}

/* Say once per protection that a check could not be made here. */
static int
need(const struct sandbox_result *res, unsigned prot, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	if (res->protections & prot)
		return 1;
	sandbox_protections_describe(prot, &sb);
	fprintf(stderr, "t_sandbox: protection '%s' is not available here: "
	    "%s is NOT contained\n", sb.buf, what);
	strbuf_release(&sb);
	return 0;
}

static struct sandbox_limits
limits(double wall, long cpu)
{
	struct sandbox_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.wall_seconds = wall;
	lim.cpu_seconds = cpu;
	return lim;
}

TEST(sandbox_captures_output)
{
	struct sandbox_limits lim = limits(10, 5);
	struct sandbox_result res;
	struct strbuf sb = STRBUF_INIT;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python(
	    "import os\n"
	    "print('hello')\n"
	    "print(' '.join(sorted(os.environ)))\n"
	    "print(os.getcwd() == os.environ['HOME'] == os.environ['TMPDIR'])\n"
	    "print(os.environ['PATH'])\n",
	    &lim, &res));
	CHECK(sandbox_passed(&res));
	CHECK_INT(res.exited, 1);
	CHECK_INT(res.exit_status, 0);
	CHECK_INT(res.signal, 0);
	CHECK_INT(res.timed_out, 0);
	CHECK_STR(res.out.buf, "hello\n"
	    "HOME LANG PATH PYTHONDONTWRITEBYTECODE PYTHONHASHSEED TMPDIR\n"
	    "True\n/usr/bin:/bin\n");
	CHECK_STR(res.err.buf, "");
	CHECK_STR(res.reason, "");
	CHECK(res.wall_seconds > 0 && res.wall_seconds < 5);
	CHECK(res.cpu_seconds > 0);
	sandbox_protections_describe(res.protections, &sb);
	fprintf(stderr, "t_sandbox: protections here: %s\n", sb.buf);
	strbuf_release(&sb);
	sandbox_result_release(&res);
}

TEST(sandbox_exit_status_and_stderr)
{
	struct sandbox_result res;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python(
	    "import sys\nsys.stderr.write('bad input\\n')\nsys.exit(3)\n",
	    NULL, &res));
	CHECK(!sandbox_passed(&res));
	CHECK_INT(res.exited, 1);
	CHECK_INT(res.exit_status, 3);
	CHECK_STR(res.err.buf, "bad input\n");
	CHECK_STR(res.reason, "exit status 3");
	sandbox_result_release(&res);

	CHECK_OK(sandbox_run_python("raise ValueError('nope')\n", NULL,
	    &res));
	CHECK_INT(res.exit_status, 1);
	CHECK(strstr(res.err.buf, "ValueError: nope") != NULL);
	CHECK_STR(res.reason, "exit status 1");
	sandbox_result_release(&res);
}

TEST(sandbox_wall_timeout)
{
	struct sandbox_limits lim = limits(1, 30);
	struct sandbox_result res;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python("print('start', flush=True)\n"
	    "while True:\n    pass\n", &lim, &res));
	CHECK(!sandbox_passed(&res));
	CHECK_INT(res.timed_out, 1);
	CHECK_INT(res.exited, 0);
	CHECK_INT(res.signal, SIGKILL);
	CHECK_STR(res.reason, "timed out after 1 s");
	CHECK_STR(res.out.buf, "start\n");	/* output before the kill kept */
	CHECK(res.wall_seconds >= 1 && res.wall_seconds < 2);
	sandbox_result_release(&res);
}

TEST(sandbox_cpu_limit)
{
	struct sandbox_limits lim = limits(10, 1);
	struct sandbox_result res;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python("while True:\n    pass\n", &lim, &res));
	CHECK_INT(res.timed_out, 0);
	CHECK_INT(res.exited, 0);
	CHECK(res.signal == SIGXCPU || res.signal == SIGKILL);
	CHECK_STR(res.reason, "cpu time limit");
	/*
	 * RLIMIT_CPU is charged by scheduler ticks, which overcharge under
	 * load; rusage is exact.  The wall time depends on load too.
	 */
	if (!(res.cpu_seconds >= 0.5 && res.cpu_seconds < 2.5))
		unit_fail(__FILE__, __LINE__, "cpu time %.3f s for a 1 s "
		    "limit (wall %.3f s)", res.cpu_seconds, res.wall_seconds);
	sandbox_result_release(&res);
}

TEST(sandbox_memory_limit)
{
	struct sandbox_limits lim = limits(10, 10);
	struct sandbox_result res;

	if (!have_python())
		return;
	lim.memory_bytes = (size_t)256 << 20;
	CHECK_OK(sandbox_run_python("x = 'x' * 2**31\nprint(len(x))\n", &lim,
	    &res));
	CHECK(!sandbox_passed(&res));
	CHECK_STR(res.out.buf, "");
	CHECK_STR(res.reason, "memory limit (MemoryError)");
	sandbox_result_release(&res);
}

TEST(sandbox_file_size_and_output_caps)
{
	struct sandbox_limits lim = limits(10, 10);
	struct sandbox_result res;

	if (!have_python())
		return;
	lim.file_bytes = (size_t)1 << 20;
	lim.output_bytes = 1000;
	CHECK_OK(sandbox_run_python(
	    "import sys\n"
	    "sys.stdout.write('o' * 200000)\n"
	    "sys.stdout.flush()\n"
	    "with open('big', 'wb') as f:\n"
	    "    f.write(b'x' * (4 << 20))\n",
	    &lim, &res));
	CHECK_STR(res.reason, "file size limit");
	CHECK_INT(res.out.len, 1000);
	CHECK_INT(res.out_truncated, 1);
	CHECK_INT(res.err_truncated, 0);
	sandbox_result_release(&res);
}

/*
 * The report channel is fd 3 for sandbox_run_python_files only, apart from
 * stdout and capped, and reaches loco even when the program then dies.
 */
TEST(sandbox_report_channel)
{
	static const char prog[] =
	    "import os, sys\n"
	    "print(open('data').read(), flush=True)\n"
	    "os.write(3, b'first ')\n"
	    "os.write(3, b'x' * 1000)\n"
	    "os.kill(os.getpid(), 9)\n";
	static const char plain[] =
	    "import os\n"
	    "try:\n"
	    "    os.write(3, b'x')\n"
	    "except OSError as e:\n"
	    "    print(e.errno)\n";
	struct sandbox_file files[] = {
		{ "main.py", prog, sizeof(prog) - 1 },
		{ "data", "beside", 6 },
	};
	struct sandbox_result res;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python_files(files, ARRAY_SIZE(files), NULL,
	    &res));
	CHECK_STR(res.out.buf, "beside\n");
	CHECK_INT(res.signal, 9);
	CHECK_INT(res.report.len, SANDBOX_REPORT_MAX);
	CHECK_INT(res.report_truncated, 1);
	CHECK(strncmp(res.report.buf, "first xxx", 9) == 0);
	sandbox_result_release(&res);

	CHECK_OK(sandbox_run_python(plain, NULL, &res));
	CHECK_STR(res.out.buf, "9\n");		/* EBADF: no channel */
	CHECK_INT(res.report.len, 0);
	sandbox_result_release(&res);
}

/* Processes whose command line contains marker, or -1 without /proc. */
static int
count_marked(const char *marker)
{
	DIR *d;
	struct dirent *de;
	char path[300], buf[4096];
	size_t len = strlen(marker);
	ssize_t n, i;
	int fd, count = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		for (i = 0; i + (ssize_t)len <= n; i++)
			if (memcmp(buf + i, marker, len) == 0) {
				count++;
				break;
			}
	}
	closedir(d);
	return count;
}

TEST(sandbox_fork_bomb_contained)
{
	static const char bomb[] =
	    "import os, sys, time\n"
	    "print('bomb', flush=True)\n"
	    "while True:\n"
	    "    try:\n"
	    "        if os.fork() == 0:\n"
	    "            os.setsid()\n"	/* try to leave the group too */
	    "    except OSError:\n"
	    "        time.sleep(0.01)\n";
	struct sandbox_file file = { "main.py", bomb, sizeof(bomb) - 1 };
	struct sandbox_limits lim = limits(2, 10);
	struct sandbox_result res;
	char marker[64];
	char *argv[] = { SANDBOX_PYTHON, "-I", "-S", "-B", "main.py", marker,
	    NULL };

	if (!have_python())
		return;
	snprintf(marker, sizeof(marker), "loco-bomb-%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	lim.processes = 32;
	CHECK_OK(sandbox_run(argv, &file, 1, &lim, &res));
	CHECK_STR(res.out.buf, "bomb\n");
	CHECK_INT(res.timed_out, 1);
	CHECK_STR(res.reason, "timed out after 2 s");
	CHECK(res.wall_seconds < 4.5);
	need(&res, SANDBOX_PROT_PIDNS, "a descendant that calls setsid()");
	/* Checked regardless: nothing may be left running. */
	CHECK_INT(count_marked(marker), 0);
	sandbox_result_release(&res);
}

TEST(sandbox_sees_only_itself)
{
	struct sandbox_result res;

	if (!have_python())
		return;
	CHECK_OK(sandbox_run_python(
	    "import os\n"
	    "print(os.getpid(), sum(1 for p in os.listdir('/proc') "
	    "if p.isdigit()))\n",
	    NULL, &res));
	CHECK(sandbox_passed(&res));
	/* init is 1, the program 2: nothing else is visible. */
	if (need(&res, SANDBOX_PROT_PIDNS, "the view of other processes") &&
	    need(&res, SANDBOX_PROT_PROC, "the view of other processes"))
		CHECK_STR(res.out.buf, "2 2\n");
	sandbox_result_release(&res);
}

TEST(sandbox_cannot_write_outside)
{
	struct sandbox_result res;
	char *code, *outside[4];
	size_t i;
	int escaped = 0;

	if (!have_python())
		return;
	outside[0] = xasprintf("/tmp/loco-sandbox-escape-%ld", (long)getpid());
	outside[1] = xasprintf("/dev/shm/loco-sandbox-escape-%ld",
	    (long)getpid());
	outside[2] = xasprintf("%s/escape", unit_tmpdir());
	outside[3] = xasprintf("/var/tmp/loco-sandbox-escape-%ld",
	    (long)getpid());
	code = xasprintf(
	    "import os\n"
	    "for p in ['%s', '%s', '%s', '%s',\n"
	    "          os.path.expanduser('~/inside'), 'inside2']:\n"
	    "    try:\n"
	    "        with open(p, 'w') as f:\n"
	    "            f.write('x')\n"
	    "        print('wrote', os.path.basename(p))\n"
	    "    except OSError as e:\n"
	    "        print('denied', os.path.basename(p), e.errno)\n",
	    outside[0], outside[1], outside[2], outside[3]);
	CHECK_OK(sandbox_run_python(code, NULL, &res));
	CHECK(sandbox_passed(&res));
	/* Its own directory stays writable. */
	CHECK(strstr(res.out.buf, "wrote inside\n") != NULL);
	CHECK(strstr(res.out.buf, "wrote inside2\n") != NULL);
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		if (access(outside[i], F_OK) == 0) {
			escaped = 1;
			unlink(outside[i]);
			if (res.protections & SANDBOX_PROT_RDONLY)
				unit_fail(__FILE__, __LINE__, "the sandbox "
				    "wrote '%s'", outside[i]);
		}
		free(outside[i]);
	}
	if (!need(&res, SANDBOX_PROT_RDONLY, "writing outside its directory")
	    && escaped)
		fprintf(stderr, "t_sandbox: the program wrote outside its "
		    "directory:\n%s", res.out.buf);
	free(code);
	sandbox_result_release(&res);
}

TEST(sandbox_no_network)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct sandbox_result res;
	char *code;
	int s;

	if (!have_python())
		return;
	/* A listener on loopback that the program would reach without netns. */
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(listen(s, 1) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &slen) == 0);
	code = xasprintf(
	    "import errno, socket\n"
	    "s = socket.socket()\n"
	    "try:\n"
	    "    s.connect(('127.0.0.1', %d))\n"
	    "    print('connected')\n"
	    "except OSError as e:\n"
	    "    print(errno.errorcode.get(e.errno, e.errno))\n",
	    ntohs(sin.sin_port));
	CHECK_OK(sandbox_run_python(code, NULL, &res));
	CHECK(sandbox_passed(&res));
	if (need(&res, SANDBOX_PROT_NETNS, "the network"))
		CHECK_STR(res.out.buf, "ENETUNREACH\n");
	close(s);
	free(code);
	sandbox_result_release(&res);
}

/* Entries named loco-sandbox.* in dir. */
static int
count_scratch(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "loco-sandbox.", 13) == 0)
			n++;
	closedir(d);
	return n;
}

TEST(sandbox_removes_its_directory)
{
	struct sandbox_result res;
	char *keep, *code, *dir, *tmp, *old;

	if (!have_python())
		return;
	/* Its own TMPDIR, so another run's scratch cannot be counted. */
	old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	tmp = xasprintf("%s/tmp", unit_tmpdir());
	CHECK(mkdir(tmp, 0755) == 0);
	setenv("TMPDIR", tmp, 1);
	keep = xasprintf("%s/keep", unit_tmpdir());
	CHECK(mkdir(keep, 0755) == 0);
	unit_write("keep/file", "precious");
	code = xasprintf(
	    "import os\n"
	    "os.symlink('%s', 'link')\n"
	    "os.makedirs('a/b/c')\n"
	    "os.chmod('a/b', 0)\n"
	    "print(os.getcwd())\n", keep);
	CHECK_OK(sandbox_run_python(code, NULL, &res));
	CHECK(sandbox_passed(&res));
	/* In the minimal root the scratch directory is /scratch. */
	if (res.protections & SANDBOX_PROT_MINROOT)
		CHECK_STR(res.out.buf, "/scratch\n");
	else
		CHECK(strstr(res.out.buf, "/loco-sandbox.") != NULL);
	CHECK_INT(count_scratch(tmp), 0);
	/* The symlink was removed, not followed. */
	dir = xasprintf("%s/file", keep);
	CHECK_INT(access(dir, F_OK), 0);
	free(dir);
	if (old != NULL)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	free(tmp);
	free(code);
	free(keep);
	sandbox_result_release(&res);
}

TEST(sandbox_errors_are_loco_failures)
{
	char *argv[] = { "/nonexistent/prog", NULL };
	char *rel[] = { "python3", NULL };
	struct sandbox_file bad = { "a/b", "", 0 };
	char *ok[] = { "/bin/true", NULL };
	struct sandbox_result res;
	unsigned mask;

	CHECK_ERR(sandbox_run(argv, NULL, 0, NULL, &res),
	    "cannot run '/nonexistent/prog': No such file or directory");
	sandbox_result_release(&res);
	CHECK_ERR(sandbox_run(rel, NULL, 0, NULL, &res),
	    "sandbox: the program must be an absolute path");
	sandbox_result_release(&res);
	CHECK_ERR(sandbox_run(ok, &bad, 1, NULL, &res),
	    "sandbox: bad file name 'a/b'");
	sandbox_result_release(&res);
	CHECK_OK(sandbox_probe(&mask));
	if (geteuid() != 0)
		CHECK(mask & SANDBOX_PROT_NPROC);
}

TEST(sandbox_policy_parsing)
{
	struct sandbox_policy p;

	CHECK_OK(sandbox_policy_parse(NULL, &p));
	CHECK_INT(p.all, SANDBOX_ESSENTIAL_ALL);
	CHECK_INT(p.any, SANDBOX_ESSENTIAL_ANY);
	CHECK_OK(sandbox_policy_parse(" ,\t", &p));
	CHECK_INT(p.all, SANDBOX_ESSENTIAL_ALL);
	CHECK_OK(sandbox_policy_parse("none", &p));
	CHECK_INT(p.all, 0);
	CHECK_INT(p.any, 0);
	CHECK_OK(sandbox_policy_parse("net-namespace,tmpfs-dir  minimal-root",
	    &p));
	CHECK_INT(p.all, SANDBOX_PROT_NETNS | SANDBOX_PROT_TMPFS |
	    SANDBOX_PROT_MINROOT);
	CHECK_INT(p.any, 0);
	CHECK_OK(sandbox_policy_parse("essential ipc-namespace", &p));
	CHECK_INT(p.all, SANDBOX_ESSENTIAL_ALL | SANDBOX_PROT_IPCNS);
	CHECK_INT(p.any, SANDBOX_ESSENTIAL_ANY);
	CHECK_ERR(sandbox_policy_parse("none net-namespace", &p),
	    "'none' cannot be combined with protections");
	CHECK_ERR(sandbox_policy_parse("net-namespacex", &p),
	    "'net-namespacex' is not a protection: use essential, none or "
	    "names from pid-namespace, net-namespace, mount-namespace, "
	    "read-only-fs, tmpfs-dir, private-proc, user-namespace, "
	    "uid-nobody, nproc, ipc-namespace, minimal-root");
	CHECK_ERR(sandbox_policy_parse("\x1b[2J", &p),
	    "'?[2J' is not a protection: use essential, none or "
	    "names from pid-namespace, net-namespace, mount-namespace, "
	    "read-only-fs, tmpfs-dir, private-proc, user-namespace, "
	    "uid-nobody, nproc, ipc-namespace, minimal-root");
}

/*
 * A kernel that refuses a protection (simulated): the program never
 * starts, the error names what is missing; with sandbox.require none it
 * runs, and the result says what it lacked.
 */
TEST(sandbox_refuses_without_essentials)
{
	struct sandbox_result res;
	struct strbuf sb = STRBUF_INIT;
	char *marker = xasprintf("%s/ran", unit_tmpdir());
	char *code = xasprintf("open('%s', 'w').close()\n", marker);

	if (!have_python())
		return;
	setenv("LOCO_SANDBOX_TEST_DISABLE", "net-namespace", 1);
	CHECK_ERR(sandbox_run_python(code, NULL, &res), "refusing to run "
	    "model code: the sandbox lacks net-namespace, which "
	    "sandbox.require asks for; to run it with only what is "
	    "available, set sandbox.require to none "
	    "(LOCO_SANDBOX_REQUIRE=none)");
	sandbox_result_release(&res);
	{
		struct error *err = sandbox_check();

		CHECK(err != NULL && err->code == EXIT_SANDBOX);
		if (err != NULL)
			error_free(err);
	}
	CHECK_OK(sandbox_set_require("none"));
	CHECK_OK(sandbox_check());
	CHECK_OK(sandbox_run_python("print('ran')\n", NULL, &res));
	CHECK_STR(res.out.buf, "ran\n");
	CHECK(!(res.protections & SANDBOX_PROT_NETNS));
	sandbox_result_release(&res);
	CHECK_OK(sandbox_set_require("essential"));
	setenv("LOCO_SANDBOX_TEST_DISABLE", "bogus", 1);
	CHECK_ERR(sandbox_run_python(code, NULL, &res),
	    "LOCO_SANDBOX_TEST_DISABLE: 'bogus' is not a protection: use "
	    "essential, none or names from pid-namespace, net-namespace, "
	    "mount-namespace, read-only-fs, tmpfs-dir, private-proc, "
	    "user-namespace, uid-nobody, nproc, ipc-namespace, minimal-root");
	sandbox_result_release(&res);
	unsetenv("LOCO_SANDBOX_TEST_DISABLE");
	/* The program never ran. */
	CHECK(access(marker, F_OK) == -1);
	sandbox_protections_describe(SANDBOX_PROT_MINROOT, &sb);
	CHECK_STR(sb.buf, "minimal-root");
	strbuf_release(&sb);
	free(code);
	free(marker);
}

/*
 * The minimal root: no /tmp, /run, /home or /root; host sockets, an
 * abstract one included, out of reach; the listeners accept nothing.
 */
TEST(sandbox_minimal_root)
{
	struct sockaddr_un sun;
	struct sandbox_result res;
	char *code, *path;
	int s, a, c;

	if (!have_python())
		return;
	path = xasprintf("/tmp/loco-unit-%ld.sock", (long)getpid());
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	a = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(s != -1 && a != -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	(void)unlink(path);
	CHECK(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK(chmod(path, 0777) == 0);
	CHECK(listen(s, 4) == 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "loco-unit-%ld", (long)getpid());
	CHECK(bind(a, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK(listen(a, 4) == 0);
	code = xasprintf(
	    "import errno, os, socket\n"
	    "for p in ['%s', '\\0loco-unit-%ld']:\n"
	    "    s = socket.socket(socket.AF_UNIX)\n"
	    "    try:\n"
	    "        s.connect(p)\n"
	    "        print('connected')\n"
	    "    except OSError as e:\n"
	    "        print(errno.errorcode.get(e.errno, e.errno))\n"
	    "print(' '.join(d for d in ['tmp', 'run', 'home', 'root', 'var',"
	    " 'srv', 'mnt', 'media', 'opt'] if os.path.lexists('/' + d)))\n"
	    "print(sorted(os.listdir('/dev')))\n"
	    "print(len(open('/dev/urandom', 'rb').read(4)),"
	    " open('/dev/null', 'w').write('x'))\n",
	    path, (long)getpid());
	CHECK_OK(sandbox_run_python(code, NULL, &res));
	CHECK(sandbox_passed(&res));
	if (need(&res, SANDBOX_PROT_MINROOT, "host sockets and files"))
		CHECK_STR(res.out.buf, "ENOENT\nECONNREFUSED\n\n"
		    "['fd', 'null', 'random', 'stderr', 'stdin', 'stdout', "
		    "'urandom', 'zero']\n4 1\n");
	/* Checked regardless: nothing got through. */
	CHECK((c = accept(s, NULL, NULL)) == -1);
	if (c != -1)
		close(c);
	if (need(&res, SANDBOX_PROT_NETNS, "abstract sockets"))
		CHECK((c = accept(a, NULL, NULL)) == -1);
	close(s);
	close(a);
	unlink(path);
	free(path);
	free(code);
	sandbox_result_release(&res);
}
