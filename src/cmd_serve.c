/*
 * cmd_serve.c: loco serve, llama-server in the foreground with the base
 * model and every active LoRA adapter resident (serve.h).  It picks a
 * free loopback port, waits until the server answers /health, records
 * where it is in $LOCO_HOME/serve.json, restarts the server if it dies
 * or when SIGHUP says the adapter set may have changed, and stops it on
 * SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "cmd.h"
#include "fsutil.h"
#include "gguf.h"
#include "pindex.h"
#include "progress.h"
#include "serve.h"
#include "strbuf.h"
#include "banned.h"

/* Seconds for llama-server to load the model and answer /health. */
#define READY_WAIT 300
/* Deaths within this many seconds of a start count towards giving up. */
#define EARLY_DEATH 10
#define MAX_EARLY_DEATHS 3

enum { O_DRY_RUN = 1 };

static const struct opt serve_opts[] = {
	{ "dry-run", 0, O_DRY_RUN, OPT_FLAG, NULL, "print the llama-server "
	  "command line and stop" },
	{ "llama-server", 0, 0, OPT_VALUE, "path", "the binary (default: "
	  "backend.llama_server, else llama-server on PATH)", OC_FILE, NULL,
	  "backend.llama_server" },
	{ "port", 0, 0, OPT_VALUE, "n", "loopback port (default serve.port; 0: "
	  "a free one)", OC_NONE, NULL, "serve.port" },
	{ "slots", 0, 0, OPT_VALUE, "n", "requests answered at once (default "
	  "serve.slots)", OC_NONE, NULL, "serve.slots" },
	{ "threads", 0, 0, OPT_VALUE, "n", "CPU threads (default "
	  "serve.threads; 0: its own)", OC_NONE, NULL, "serve.threads" },
};
static const struct opt_form serve_forms[] = {
	{ NULL, NULL, NULL },
};
const struct optspec serve_spec = {
	"serve", "run llama-server with the base model and every adapter "
	"resident", serve_opts, OPT_NELEM(serve_opts), serve_forms,
	OPT_NELEM(serve_forms), NULL, 0, NULL
};

static volatile sig_atomic_t got_stop, got_hup;

static void
on_stop(int sig)
{
	got_stop = sig;
}

static void
on_hup(int sig)
{
	got_hup = 1;
}

struct serve {
	struct loco	*lc;
	char		*binary;
	char		*base;
	char		*log;
	struct strbuf	 names;		/* "math, code" */
	struct serve_state st;
	pid_t		 child;
	long long	 log_from;	/* the log's size when it started */
	int		 dry_run;
	int		 quiet;		/* setup --quiet: no progress */
};

/* A program on PATH, or NULL. */
static char *
which(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;
	char *cand;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	for (p = path ? path : "/usr/bin:/bin"; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(e - p), *p == ':' ? "." : p,
		    name);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

static struct error *
find_binary(struct serve *sv)
{
	const char *want = sv->lc->cfg.llama_server;

	if ((sv->binary = which(want ? want : "llama-server")) != NULL)
		return NULL;
	if (want != NULL)
		return error_new(EXIT_CONFIG, "backend.llama_server: '%s' is "
		    "not an executable program", want);
	return error_new(EXIT_FAIL, "no llama-server on PATH: build it from "
	    "llama.cpp (cmake -B build && cmake --build build --target "
	    "llama-server) and put it on PATH, or set backend.llama_server "
	    "to its path");
}

/*
 * The model file Ollama keeps for a tag, from its manifest on disk
 * ($OLLAMA_MODELS, else ~/.ollama/models): what a student already pulled.
 */
char *
ollama_blob(const char *tag)
{
	char *dir, *name, *ver, *mpath, *data = NULL, *p, *blob = NULL;
	const char *env = getenv("OLLAMA_MODELS"), *home = getenv("HOME");
	size_t len;
	struct error *err;

	if (env != NULL && *env != '\0')
		dir = xstrdup(env);
	else if (home != NULL)
		dir = xasprintf("%s/.ollama/models", home);
	else
		return NULL;
	name = xstrdup(tag);
	if ((ver = strchr(name, ':')) != NULL)
		*ver++ = '\0';
	mpath = xasprintf("%s/manifests/registry.ollama.ai/%s%s/%s", dir,
	    strchr(name, '/') ? "" : "library/", name, ver ? ver : "latest");
	if ((err = fs_read_file(mpath, 1024 * 1024, &data, &len)) == NULL &&
	    (p = strstr(data, "application/vnd.ollama.image.model")) != NULL &&
	    (p = strstr(p, "sha256:")) != NULL && strlen(p) >= 7 + 64) {
		blob = xasprintf("%s/blobs/sha256-%.64s", dir, p + 7);
		if (!fs_exists(blob)) {
			free(blob);
			blob = NULL;
		}
	}
	error_free(err);
	free(data);
	free(mpath);
	free(name);
	free(dir);
	return blob;
}

/*
 * base_model.url: downloaded once (resumable, its SHA-256 checked) to
 * $LOCO_HOME/models/SHA256.gguf, which later starts use as it is.
 */
static struct error *
download_base(struct serve *sv, const struct registry *reg)
{
	struct index_entry e;
	struct progress pg;
	struct error *err;
	char *home = loco_home(), *dir, *dest, *got = NULL;

	dir = xasprintf("%s/models", home);
	dest = xasprintf("%s/%s.gguf", dir, reg->base.sha256);
	free(home);
	if (fs_exists(dest)) {
		sv->base = dest;
		free(dir);
		return NULL;
	}
	memset(&e, 0, sizeof(e));
	e.name = reg->base.tag;
	e.version = "(base_model.url)";
	e.url = reg->base.url;
	e.sha256 = reg->base.sha256;
	e.size = -1;
	if (!sv->quiet)
		fprintf(stderr, "loco serve: downloading the base model from "
		    "%s\n", reg->base.url);
	progress_init(&pg, sv->lc->stderr_progress, sv->quiet);
	progress_begin(&pg, PROGRESS_PULL, reg->base.tag != NULL ?
	    reg->base.tag : "the base model");
	err = index_fetch(&e, progress_update, &pg, &got);
	progress_end(&pg, err);
	progress_done(&pg);
	if (err == NULL && (err = fs_mkdirs(dir, 1)) == NULL &&
	    rename(got, dest) == -1)
		err = error_new(EXIT_FAIL, "cannot move '%s' to '%s': %s", got,
		    dest, strerror(errno));
	if (err == NULL) {
		sv->base = dest;
		dest = NULL;
	}
	free(got);
	free(dest);
	free(dir);
	return err;
}

static struct error *
find_base(struct serve *sv, const struct registry *reg)
{
	if (reg->base.file != NULL) {
		if (!fs_exists(reg->base.file))
			return error_new(EXIT_CONFIG, "%s: base_model.file "
			    "'%s' does not exist", reg->path, reg->base.file);
		sv->base = xstrdup(reg->base.file);
		return NULL;
	}
	if ((sv->base = ollama_blob(reg->base.tag)) != NULL)
		return NULL;
	if (reg->base.url != NULL)
		return download_base(sv, reg);
	return error_new(EXIT_CONFIG, "no GGUF file for the base model '%s': "
	    "set base_model.file (or url and sha256) in '%s', or 'ollama "
	    "pull %s' first (loco reuses Ollama's copy)", reg->base.tag,
	    reg->path, reg->base.tag);
}

/* The registry as it is now on disk (setup may have changed it). */
static struct error *
load_registry(struct serve *sv, struct registry **reg)
{
	struct loco *lc = sv->lc;

	if (lc->reg != NULL) {
		registry_free(lc->reg);
		lc->reg = NULL;
	}
	return loco_registry(lc, reg);
}

/*
 * A LoRA fits only the weights it was trained on: the base GGUF's general.*
 * keys must name the registry's base (as register.c checks Ollama's).
 * Metadata that does not say passes.
 */
static struct error *
base_fits(const struct registry *reg, const char *path,
    const struct gguf_info *base, const struct adapter *a)
{
	struct weights_id wid = { gguf_get(base, "general.basename"),
	    gguf_get(base, "general.finetune"),
	    gguf_get(base, "general.size_label"),
	    gguf_get(base, "general.version"), base->name };
	struct error *err = NULL;
	char *found, *missing, *name;

	if (registry_base_identity(&reg->base, &wid, &found, &missing) ==
	    BASE_OTHER) {
		name = str_sanitize(reg->base.name, 200);
		err = error_new(EXIT_INTEGRITY, "adapter '%s': base model '%s' "
		    "is not the registry's base: found %s, expected %s (%s:%d), "
		    "which says %s; a LoRA trained on one does not fit the "
		    "other: use the base GGUF the registry names, or change "
		    "base_model in the registry", a->name, path, found, name,
		    reg->path, reg->base.name_line, missing);
		free(name);
	}
	free(found);
	free(missing);
	return err;
}

/* The LoRA files to load: every active lora adapter's, checked. */
static struct error *
plan(struct serve *sv, struct serve_state *st)
{
	struct registry *reg;
	struct gguf_info base, gi;
	struct error *err;
	size_t i;

	memset(st, 0, sizeof(*st));
	if ((err = load_registry(sv, &reg)) != NULL)
		return err;
	if (sv->base == NULL && (err = find_base(sv, reg)) != NULL)
		return err;
	if ((err = gguf_read(sv->base, &base)) != NULL ||
	    (err = gguf_check(sv->base, &base, GGUF_MODEL, NULL, NULL))) {
		gguf_info_release(&base);
		return err;
	}
	st->loras = xcalloc(reg->nadapters + 1, sizeof(*st->loras));
	strbuf_reset(&sv->names);
	for (i = 0; i < reg->nadapters && err == NULL; i++) {
		const struct adapter *a = &reg->adapters[i];
		struct serve_lora *l;

		if (!a->active || a->type != ADAPTER_LORA)
			continue;
		if ((err = base_fits(reg, sv->base, &base, a)) != NULL)
			break;
		if ((err = gguf_read(a->file, &gi)) == NULL)
			err = gguf_check(a->file, &gi, GGUF_LORA,
			    base.architecture, reg->base.tag);
		gguf_info_release(&gi);
		if (err != NULL)
			break;
		l = &st->loras[st->nloras++];
		l->adapter = xasprintf("%s@%s", a->name, a->version);
		l->path = xstrdup(a->file);
		l->sha256 = a->sha256 ? xstrdup(a->sha256) : NULL;
		strbuf_addf(&sv->names, "%s%s", sv->names.len ? ", " : "",
		    a->name);
	}
	gguf_info_release(&base);
	st->base = xstrdup(sv->base);
	st->binary = xstrdup(sv->binary);
	return err;
}

/* The state of a running loco serve: 1, or 0 when there is none. */
static int
running_state(struct serve_state *st)
{
	struct error *err = serve_state_read(st);
	int ok = err == NULL;

	error_free(err);
	return ok;
}

static int
same_loras(const struct serve_state *a, const struct serve_state *b)
{
	size_t i;

	if (a->nloras != b->nloras)
		return 0;
	for (i = 0; i < a->nloras; i++)
		if (strcmp(a->loras[i].path, b->loras[i].path) != 0 ||
		    strcmp(a->loras[i].adapter, b->loras[i].adapter) != 0)
			return 0;
	return 1;
}

/* A port no one listens on now (the server binds it a moment later). */
static long
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	long port = -1;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static char **
server_argv(struct serve *sv, const struct serve_state *st, long port)
{
	const struct config *cfg = &sv->lc->cfg;
	char **av = xcalloc(2 * st->nloras + 24, sizeof(*av));
	size_t n = 0, i;

	av[n++] = xstrdup(sv->binary);
	av[n++] = xstrdup("-m");
	av[n++] = xstrdup(st->base);
	/*
	 * One --lora with the files separated by commas: llama-server now
	 * warns that a repeated --lora keeps only the last one.  A path with
	 * a comma in it can only go the old way.
	 */
	for (i = 0; i < st->nloras; i++)
		if (strchr(st->loras[i].path, ',') != NULL)
			break;
	if (i < st->nloras) {
		for (i = 0; i < st->nloras; i++) {
			av[n++] = xstrdup("--lora");
			av[n++] = xstrdup(st->loras[i].path);
		}
	} else if (st->nloras > 0) {
		struct strbuf sb = STRBUF_INIT;

		for (i = 0; i < st->nloras; i++)
			strbuf_addf(&sb, "%s%s", i ? "," : "",
			    st->loras[i].path);
		av[n++] = xstrdup("--lora");
		av[n++] = strbuf_detach(&sb, NULL);
	}
	av[n++] = xstrdup("--lora-init-without-apply");
	av[n++] = xstrdup("--host");
	av[n++] = xstrdup("127.0.0.1");
	av[n++] = xstrdup("--port");
	av[n++] = xasprintf("%ld", port);
	/* Each slot gets num_ctx tokens, as each Ollama request does. */
	av[n++] = xstrdup("-np");
	av[n++] = xasprintf("%ld", cfg->serve_slots);
	av[n++] = xstrdup("-c");
	av[n++] = xasprintf("%ld", config_context(cfg) * cfg->serve_slots);
	if (cfg->serve_threads > 0) {
		av[n++] = xstrdup("-t");
		av[n++] = xasprintf("%ld", cfg->serve_threads);
	}
	return av;
}

static void
argv_free(char **av)
{
	size_t i;

	for (i = 0; av[i] != NULL; i++)
		free(av[i]);
	free(av);
}

static void
argv_print(char **av, FILE *fp)
{
	size_t i;

	for (i = 0; av[i] != NULL; i++)
		fprintf(fp, "%s%s", i ? " " : "", av[i]);
	fputc('\n', fp);
}

/*
 * The last lines this start of the server wrote to its log (from byte
 * from on), joined with " | ", for an error message.
 */
static char *
log_tail(const char *path, long long from)
{
	struct strbuf sb = STRBUF_INIT;
	char *data = NULL, *p, *end, *line;
	size_t len;
	int lines = 0;
	struct error *err;

	if ((err = fs_read_file(path, 64u * 1024 * 1024, &data, &len))) {
		error_free(err);
		return xstrdup("");
	}
	if (from < 0 || (size_t)from > len)
		from = 0;
	while (len > (size_t)from && data[len - 1] == '\n')
		data[--len] = '\0';
	for (p = data + len; p > data + from; p--)
		if (p[-1] == '\n' && ++lines == 5)
			break;
	for (; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(end - p));
		{
			char *clean = str_sanitize(line, 300);

			strbuf_addf(&sb, "%s%s", sb.len ? " | " : "", clean);
			free(clean);
		}
		free(line);
	}
	free(data);
	return strbuf_detach(&sb, NULL);
}

/* Wait for /health; the child must stay alive meanwhile. */
static struct error *
wait_ready(struct serve *sv, const char *url)
{
	struct backend *be = backend_new(BACKEND_LLAMA_SERVER, url, 2, 5, 5);
	struct error *err = NULL;
	long long until = now_ns() + (long long)READY_WAIT * 1000000000LL;
	char *v;
	int status;

	for (;;) {
		if (waitpid(sv->child, &status, WNOHANG) == sv->child) {
			char *tail = log_tail(sv->log, sv->log_from);

			sv->child = -1;
			err = error_new(EXIT_FAIL, "llama-server exited before "
			    "it was ready (see '%s'): %s", sv->log, tail);
			free(tail);
			break;
		}
		if (got_stop) {
			err = error_new(EXIT_INTERRUPT, "interrupted");
			break;
		}
		if ((err = backend_version(be, &v)) == NULL) {
			free(v);
			break;
		}
		if (now_ns() > until) {
			err = error_prefix(err, "llama-server was not ready after "
			    "%d s", READY_WAIT);
			break;
		}
		error_free(err);
		err = NULL;
		usleep(100000);
	}
	backend_free(be);
	return err;
}

static struct error *
start(struct serve *sv)
{
	const struct config *cfg = &sv->lc->cfg;
	struct error *err = NULL;
	char **av;
	long port;
	int fd, tries;

	for (tries = 0; tries < 3; tries++) {
		port = cfg->serve_port > 0 ? cfg->serve_port : free_port();
		if (port <= 0)
			return error_new(EXIT_FAIL, "cannot find a free "
			    "loopback port: %s", strerror(errno));
		av = server_argv(sv, &sv->st, port);
		if (sv->dry_run) {
			argv_print(av, stdout);
			argv_free(av);
			return NULL;
		}
		if ((fd = open(sv->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600)) == -1) {
			argv_free(av);
			return error_new(EXIT_FAIL, "cannot write '%s': %s",
			    sv->log, strerror(errno));
		}
		{
			struct stat lst;

			sv->log_from = fstat(fd, &lst) == 0 ?
			    (long long)lst.st_size : 0;
		}
		dprintf(fd, "# loco serve: ");
		{
			size_t i;

			for (i = 0; av[i] != NULL; i++)
				dprintf(fd, "%s%s", i ? " " : "", av[i]);
			dprintf(fd, "\n");
		}
		if ((sv->child = fork()) == -1) {
			close(fd);
			argv_free(av);
			return error_new(EXIT_FAIL, "fork: %s", strerror(errno));
		}
		if (sv->child == 0) {
			int nul = open("/dev/null", O_RDONLY);

			dup2(nul, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			/* Its own process group: Ctrl-C reaches loco first. */
			setpgid(0, 0);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGPIPE, SIG_DFL);
			execv(av[0], av);
			dprintf(2, "loco serve: cannot run '%s': %s\n", av[0],
			    strerror(errno));
			_exit(127);
		}
		close(fd);
		argv_free(av);
		free(sv->st.url);
		sv->st.url = xasprintf("http://127.0.0.1:%ld", port);
		if ((err = wait_ready(sv, sv->st.url)) == NULL)
			break;
		/* A port taken between our look and its bind: another. */
		if (sv->child != -1 || cfg->serve_port > 0 ||
		    strstr(err->msg, "bind") == NULL)
			break;
		error_free(err);
		err = NULL;
	}
	if (err != NULL)
		return err;
	sv->st.pid = (long)getpid();
	sv->st.server_pid = (long)sv->child;
	return serve_state_write(&sv->st);
}

static void
stop_child(struct serve *sv)
{
	int status, i;

	if (sv->child <= 0)
		return;
	kill(sv->child, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(sv->child, &status, WNOHANG) == sv->child) {
			sv->child = -1;
			return;
		}
		usleep(100000);
	}
	kill(sv->child, SIGKILL);
	waitpid(sv->child, &status, 0);
	sv->child = -1;
}

static void
announce(struct serve *sv, const char *what)
{
	fprintf(stderr, "loco serve: %s llama-server at %s: base %s, %zu "
	    "adapter%s%s%s%s, %ld slots\n", what, sv->st.url, sv->st.base,
	    sv->st.nloras, sv->st.nloras == 1 ? "" : "s",
	    sv->st.nloras ? " (" : "", sv->names.buf,
	    sv->st.nloras ? ")" : "", sv->lc->cfg.serve_slots);
}

/* SIGHUP: start again if the adapters to load changed. */
static struct error *
reload(struct serve *sv)
{
	struct serve_state next;
	struct error *err;

	if ((err = plan(sv, &next)) != NULL) {
		serve_state_release(&next);
		return error_prefix(err, "reload (the server keeps its "
		    "adapters)");
	}
	if (same_loras(&next, &sv->st)) {
		serve_state_release(&next);
		fprintf(stderr, "loco serve: adapters unchanged; no restart\n");
		return NULL;
	}
	stop_child(sv);
	next.restarts = sv->st.restarts + 1;
	serve_state_release(&sv->st);
	sv->st = next;
	if ((err = start(sv)) != NULL)
		return err;
	announce(sv, "restarted");
	return NULL;
}

static struct error *
supervise(struct serve *sv)
{
	struct error *err;
	time_t started = time(NULL);
	int early = 0, status;

	for (;;) {
		if (got_stop)
			return NULL;
		if (got_hup) {
			got_hup = 0;
			if ((err = reload(sv)) != NULL) {
				if (sv->child <= 0)
					return err;
				fprintf(stderr, "loco serve: %s\n", err->msg);
				error_free(err);
			}
			started = time(NULL);
		}
		if (waitpid(sv->child, &status, WNOHANG) == sv->child) {
			char *tail = log_tail(sv->log, sv->log_from);

			sv->child = -1;
			fprintf(stderr, "loco serve: llama-server stopped (%s "
			    "%d): %s\n", WIFSIGNALED(status) ? "signal" :
			    "exit status", WIFSIGNALED(status) ?
			    WTERMSIG(status) : WEXITSTATUS(status), tail);
			free(tail);
			if (time(NULL) - started < EARLY_DEATH &&
			    ++early >= MAX_EARLY_DEATHS)
				return error_new(EXIT_FAIL, "llama-server keeps "
				    "stopping; giving up (see '%s')", sv->log);
			sv->st.restarts++;
			if ((err = start(sv)) != NULL)
				return err;
			started = time(NULL);
			announce(sv, "restarted");
		}
		usleep(200000);
	}
}

/* The options; an EXIT_OK error after -h. */
static struct error *
parse_options(struct serve *sv, const struct cmd *c, int argc, char *argv[])
{
	struct optparse p;
	struct error *err;
	int id;

	opt_init(&p, sv->lc, &serve_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_DRY_RUN)
			sv->dry_run = 1;
	if (id < 0) {
		err = opt_end(&p);
		return err != NULL ? err : error_new(EXIT_OK, "%s", "");
	}
	if (p.argc > 0)
		return cmd_usage_error(c, "unexpected argument '%s'",
		    p.argv[0]);
	return NULL;
}

struct error *
serve_plan(struct loco *lc, struct serve_state *st)
{
	struct serve sv;
	struct error *err;

	memset(&sv, 0, sizeof(sv));
	memset(st, 0, sizeof(*st));
	sv.lc = lc;
	strbuf_init(&sv.names, 0);
	if ((err = find_binary(&sv)) == NULL)
		err = plan(&sv, st);
	strbuf_release(&sv.names);
	free(sv.binary);
	free(sv.base);
	return err;
}

struct error *
serve_binary_version(const char *binary, char **version)
{
	char buf[4096], *p, *nl;
	size_t len = 0;
	ssize_t k;
	pid_t pid;
	int fd[2], status;

	*version = NULL;
	if (pipe(fd) == -1)
		return error_new(EXIT_FAIL, "pipe: %s", strerror(errno));
	if ((pid = fork()) == -1) {
		close(fd[0]);
		close(fd[1]);
		return error_new(EXIT_FAIL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		execl(binary, binary, "--version", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (len < sizeof(buf) - 1 &&
	    (k = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_new(EXIT_FAIL, "'%s --version' failed", binary);
	/* "version: 0.4.0-dev (build 1, commit 80fb11a)" */
	p = strstr(buf, "version: ");
	p = p ? p + 9 : buf;
	if ((nl = strchr(p, '\n')) != NULL)
		*nl = '\0';
	*version = str_sanitize(p, 120);
	return NULL;
}

/*
 * loco setup on the llama-server backend: check every GGUF loco serve
 * would load (a model for the base, LoRAs of its architecture), and have
 * a running loco serve restart with the adapter set when it changed.
 */
struct error *
serve_setup(struct loco *lc, int quiet)
{
	struct serve sv;
	struct serve_state running;
	struct error *err;
	size_t i;
	long before;
	int k;

	memset(&sv, 0, sizeof(sv));
	sv.lc = lc;
	sv.quiet = quiet;
	strbuf_init(&sv.names, 0);
	if ((err = find_binary(&sv)) != NULL || (err = plan(&sv, &sv.st)))
		goto done;
	printf("server: llama-server %s\n", sv.binary);
	printf("base: %s checked\n", sv.base);
	for (i = 0; i < sv.st.nloras; i++)
		printf("adapter %s: %s checked\n", sv.st.loras[i].adapter,
		    sv.st.loras[i].path);
	if (!running_state(&running)) {
		printf("serve: not running; start it with 'loco serve'\n");
		goto done;
	}
	if (same_loras(&running, &sv.st)) {
		printf("serve: llama-server at %s has these adapters\n",
		    running.url);
		serve_state_release(&running);
		goto done;
	}
	before = running.restarts;
	if (kill((pid_t)running.pid, SIGHUP) == -1) {
		err = error_new(EXIT_FAIL, "cannot signal loco serve (process "
		    "%ld): %s", running.pid, strerror(errno));
		serve_state_release(&running);
		goto done;
	}
	serve_state_release(&running);
	if (!quiet)
		fprintf(stderr, "serve: restarting llama-server with the new "
		    "adapters...\n");
	for (k = 0; k < READY_WAIT * 10; k++) {
		if (running_state(&running)) {
			int done = running.restarts > before;

			if (done)
				printf("serve: restarted llama-server at %s with "
				    "%zu adapters\n", running.url,
				    running.nloras);
			serve_state_release(&running);
			if (done)
				goto done;
		}
		usleep(100000);
	}
	err = error_new(EXIT_FAIL, "loco serve did not restart llama-server "
	    "within %d s: see its output", READY_WAIT);
done:
	serve_state_release(&sv.st);
	strbuf_release(&sv.names);
	free(sv.binary);
	free(sv.base);
	return err;
}

struct error *
cmd_serve(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("serve");
	struct serve_state running;
	struct sigaction sa;
	struct serve sv;
	struct error *err;
	char *home = NULL, *logdir = NULL, *state = NULL;

	memset(&sv, 0, sizeof(sv));
	sv.lc = lc;
	sv.child = -1;
	strbuf_init(&sv.names, 0);
	if ((err = parse_options(&sv, c, argc, argv)) != NULL) {
		if (err->code == EXIT_OK) {
			error_free(err);
			err = NULL;
		}
		goto done;
	}
	if (!sv.dry_run && running_state(&running)) {
		err = error_new(EXIT_FAIL, "loco serve is already running "
		    "(process %ld, llama-server at %s)", running.pid,
		    running.url);
		serve_state_release(&running);
		goto done;
	}
	if ((err = find_binary(&sv)) != NULL || (err = plan(&sv, &sv.st)))
		goto done;
	home = loco_home();
	logdir = xasprintf("%s/logs", home);
	if ((err = fs_mkdirs(logdir, 1)) != NULL)
		goto done;
	sv.log = xasprintf("%s/llama-server.log", logdir);

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);

	if ((err = start(&sv)) != NULL || sv.dry_run)
		goto done;
	announce(&sv, "serving with");
	err = supervise(&sv);
done:
	stop_child(&sv);
	if (!sv.dry_run && sv.st.pid == (long)getpid()) {
		state = serve_state_path();
		unlink(state);
		fprintf(stderr, "loco serve: stopped\n");
	}
	if (err == NULL && got_stop)
		loco_interrupted = 0;
	serve_state_release(&sv.st);
	strbuf_release(&sv.names);
	free(sv.binary);
	free(sv.base);
	free(sv.log);
	free(state);
	free(logdir);
	free(home);
	return err;
}
