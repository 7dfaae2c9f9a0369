/*
 * cmd_completion.c: loco completion bash|zsh prints a completion script;
 * loco __complete, which the scripts call at each TAB, prints the
 * candidates (complete.h) for the words on the command line.  The scripts
 * hold no list of their own, so they never go stale, and completing reads
 * the registry the command would use (--registry, registry.path,
 * LOCO_HOME and the installed packages) but asks no server.
 *
 * What __complete prints: a line "words", "files" or "dirs", then for
 * words one candidate a line, with a tab and a description after it
 * when there is one.  For files and dirs the shell lists the names.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"
#include "fsutil.h"
#include "runs.h"
#include "strbuf.h"
#include "banned.h"

static const char bash_script[] =
	"# bash completion for loco(1), printed by 'loco completion bash'.\n"
	"# Load it from ~/.bashrc with\n"
	"#\tsource <(loco completion bash)\n"
	"# or install it as bash-completion/completions/loco, as make install does.\n"
	"#\n"
	"# The candidates come from 'loco __complete', which reads the command\n"
	"# table of the loco being completed and the registry it would use, and\n"
	"# asks no server: the script does not go stale when loco changes.\n"
	"_loco()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]} kind= line\n"
	"\tlocal -a args=(\"${COMP_WORDS[@]:1:COMP_CWORD}\")\n"
	"\n"
	"\tCOMPREPLY=()\n"
	"\t# bash splits --adapter=ma into --adapter = ma: after the = the text\n"
	"\t# to complete is empty.\n"
	"\t[[ $cur == = ]] && cur=\n"
	"\t[[ $prog == '~/'* ]] && prog=${HOME-}/${prog#'~/'}\n"
	"\twhile IFS= read -r line; do\n"
	"\t\tif [[ -z $kind ]]; then\n"
	"\t\t\tkind=$line\n"
	"\t\telif [[ $kind == words ]]; then\n"
	"\t\t\tCOMPREPLY+=(\"${line%%$'\\t'*}\")\n"
	"\t\tfi\n"
	"\tdone < <(\"$prog\" __complete -- \"${args[@]}\" 2>/dev/null)\n"
	"\tcase $kind in\n"
	"\tfiles)\n"
	"\t\tif declare -F _filedir >/dev/null; then\n"
	"\t\t\t_filedir\n"
	"\t\telse\n"
	"\t\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\t\tfi\n"
	"\t\t;;\n"
	"\tdirs)\n"
	"\t\tif declare -F _filedir >/dev/null; then\n"
	"\t\t\t_filedir -d\n"
	"\t\telse\n"
	"\t\t\tcompopt -o filenames 2>/dev/null\n"
	"\t\t\tmapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
	"\t\tfi\n"
	"\t\t;;\n"
	"\tesac\n"
	"\treturn 0\n"
	"}\n"
	"complete -F _loco loco\n";

static const char zsh_script[] =
	"#compdef loco\n"
	"# zsh completion for loco(1), printed by 'loco completion zsh'.\n"
	"# Load it from ~/.zshrc, after compinit, with\n"
	"#\tsource <(loco completion zsh)\n"
	"# or install it as _loco in a directory of $fpath, as make install does.\n"
	"#\n"
	"# The candidates come from 'loco __complete', which reads the command\n"
	"# table of the loco being completed and the registry it would use, and\n"
	"# asks no server: the script does not go stale when loco changes.\n"
	"_loco()\n"
	"{\n"
	"\tlocal prog=${words[1]} kind line\n"
	"\tlocal -a lines specs\n"
	"\n"
	"\t[[ $prog == '~/'* ]] && prog=$HOME/${prog#'~/'}\n"
	"\tlines=(\"${(@f)$(\"$prog\" __complete -- \"${(@)words[2,CURRENT-1]}\" \\\n"
	"\t    \"$PREFIX\" 2>/dev/null)}\")\n"
	"\tkind=${lines[1]}\n"
	"\tshift lines\n"
	"\t# --adapter=ma: complete the value after the =.\n"
	"\t[[ $PREFIX == --*=* ]] && compset -P '*='\n"
	"\tcase $kind in\n"
	"\tfiles)\n"
	"\t\t_files\n"
	"\t\t;;\n"
	"\tdirs)\n"
	"\t\t_files -/\n"
	"\t\t;;\n"
	"\twords)\n"
	"\t\tfor line in \"${lines[@]}\"; do\n"
	"\t\t\t[[ -n $line ]] || continue\n"
	"\t\t\tif [[ $line == *$'\\t'* ]]; then\n"
	"\t\t\t\tspecs+=(\"${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}\")\n"
	"\t\t\telse\n"
	"\t\t\t\tspecs+=(\"${line//:/\\\\:}\")\n"
	"\t\t\tfi\n"
	"\t\tdone\n"
	"\t\t_describe -t values 'loco argument' specs\n"
	"\t\t;;\n"
	"\t*)\n"
	"\t\treturn 1\n"
	"\t\t;;\n"
	"\tesac\n"
	"}\n"
	"\n"
	"if [[ ${funcstack[1]-} == _loco ]]; then\n"
	"\t_loco \"$@\"\n"
	"elif (( $+functions[compdef] )); then\n"
	"\tcompdef _loco loco\n"
	"else\n"
	"\tprint -u2 'loco: zsh completion needs compinit:' \\\n"
	"\t    'autoload -Uz compinit && compinit'\n"
	"fi\n";

static const struct {
	const char	*shell;
	const char	*script;
} scripts[] = {
	{ "bash", bash_script },
	{ "zsh", zsh_script },
};

static const char *const kinds[] = {
	[COMPLETE_WORDS] = "words",
	[COMPLETE_FILES] = "files",
	[COMPLETE_DIRS] = "dirs",
};

/* "bash or zsh"; free it. */
static char *
shell_list(void)
{
	struct strbuf sb;
	size_t i;

	strbuf_init(&sb, 0);
	for (i = 0; i < ARRAY_SIZE(scripts); i++)
		(void)strbuf_addf(&sb, "%s%s", i == 0 ? "" :
		    i + 1 == ARRAY_SIZE(scripts) ? " or " : ", ",
		    scripts[i].shell);
	return strbuf_detach(&sb, NULL);
}

static const struct opt_form completion_forms[] = {
	{ NULL, NULL, "bash | zsh" },
};
static const struct opt_operand completion_operands[] = {
	{ "bash | zsh", NULL, OC_WORDS, "bash zsh" },
};
const struct optspec completion_spec = {
	"completion", "print the shell completion script for bash or zsh",
	NULL, 0, completion_forms, OPT_NELEM(completion_forms),
	completion_operands, OPT_NELEM(completion_operands),
	"  bash     for bash: source <(loco completion bash)\n"
	"  zsh      for zsh, after compinit: source <(loco completion zsh)\n",
	0
};

enum { O_OPTIONS = 1 };

static const struct opt complete_opts[] = {
	{ "options", 0, O_OPTIONS, OPT_FLAG, NULL, "every option of every "
	  "command's table, a line each: the command, the option and its "
	  "value's name, separated by tabs (for the manual's test)" },
};
static const struct opt_form complete_forms[] = {
	{ NULL, "", "-- word ..." },
	{ "--options", "", NULL },
};
static const struct opt_operand complete_operands[] = {
	{ "word ...", "the command line after loco; the last word is the one "
	  "to complete" },
};
const struct optspec complete_spec = OPTSPEC("__complete", "the "
    "candidates for the last word, for the completion scripts",
    complete_opts, complete_forms, complete_operands);

struct error *
cmd_completion(struct loco *lc, int argc, char *argv[])
{
	struct optparse p;
	struct error *err;
	char *list, *clean;
	size_t i;
	int id;

	opt_init(&p, lc, &completion_spec, argc, argv);
	if ((id = opt_next(&p)) < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	list = shell_list();
	if (argc != 1) {
		err = opt_usage_error(&completion_spec, argc == 0 ? "no shell "
		    "given: choose %s" : "give one shell: %s", list);
		free(list);
		return err;
	}
	for (i = 0; i < ARRAY_SIZE(scripts); i++)
		if (strcmp(argv[0], scripts[i].shell) == 0) {
			free(list);
			loco_write(scripts[i].script,
			    strlen(scripts[i].script));
			return NULL;
		}
	clean = str_sanitize(argv[0], 40);
	err = opt_usage_error(&completion_spec, "unknown shell '%s': choose %s",
	    clean, list);
	free(clean);
	free(list);
	return err;
}

/*
 * A word as the shell will pass it: quotes removed and backslash escapes
 * resolved.  The word is typed so far only, so a quote may be open.
 */
static char *
dequote(const char *s)
{
	struct strbuf sb;
	char q = 0;

	strbuf_init(&sb, 0);
	for (; *s != '\0'; s++) {
		if (q == '\'') {
			if (*s == '\'')
				q = 0;
			else
				(void)strbuf_addch(&sb, *s);
		} else if (*s == '\\' && s[1] != '\0' &&
		    (q == 0 || strchr("\"\\$`", s[1]) != NULL))
			(void)strbuf_addch(&sb, *++s);
		else if (q == '"') {
			if (*s == '"')
				q = 0;
			else
				(void)strbuf_addch(&sb, *s);
		} else if (*s == '\'' || *s == '"')
			q = *s;
		else
			(void)strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb, NULL);
}

static int
str_cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The runs under runs_dir() by id (their directory's name), newest first. */
static void
run_ids(struct complete *c)
{
	struct dirent *de;
	char *dir = runs_dir(), *json, **ids = NULL;
	size_t i, n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !str_startswith(de->d_name,
		    c->prefix))
			continue;
		json = xasprintf("%s/%s/run.json", dir, de->d_name);
		if (fs_exists(json)) {
			ids = xreallocarray(ids, n + 1, sizeof(*ids));
			ids[n++] = xstrdup(de->d_name);
		}
		free(json);
	}
	closedir(d);
	free(dir);
	/* The ids begin with the date: the newest last in byte order. */
	qsort(ids, n, sizeof(*ids), str_cmp_desc);
	for (i = 0; i < n; i++)
		complete_add(c, ids[i], NULL);
	strv_free(ids, n);
}

/*
 * The adapters or domains of the registry that the command would use,
 * config.yaml's servers, or the runs.
 */
static void
registry_values(struct complete *c, enum complete_want want, void *arg)
{
	struct loco *lc = arg;
	const struct adapter *a;
	struct registry *reg;
	struct error *err;
	const char *home;
	char *path, *s;
	size_t i;

	if (want == COMPLETE_BACKENDS) {
		for (i = 0; i < lc->cfg.nbackends; i++)
			complete_add(c, lc->cfg.backends[i].name,
			    "a server of config.yaml");
		return;
	}
	if (want == COMPLETE_RUNS) {
		run_ids(c);
		return;
	}
	if (c->registry != NULL) {
		home = getenv("HOME");
		if (str_startswith(c->registry, "~/") && home != NULL)
			path = xasprintf("%s/%s", home, c->registry + 2);
		else
			path = xstrdup(c->registry);
		err = config_set(&lc->cfg, "registry.path", path,
		    CONFIG_SRC_FLAG);
		free(path);
		if (err != NULL) {
			error_free(err);
			return;
		}
	}
	/* A broken registry completes nothing; the command will say why. */
	if ((err = loco_registry(lc, &reg)) != NULL) {
		error_free(err);
		return;
	}
	if (want == COMPLETE_DOMAINS) {
		for (i = 0; i < reg->ndomains; i++)
			complete_add(c, reg->domains[i], NULL);
		return;
	}
	for (i = 0; i < reg->nadapters; i++) {
		a = &reg->adapters[i];
		if (strchr(c->prefix, '@') != NULL) {
			s = xasprintf("%s@%s", a->name, a->version);
			complete_add(c, s, a->description);
			free(s);
		} else
			complete_add(c, a->name, a->description ?
			    a->description : a->domain);
	}
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* "KEY\t--name\tmeta" for each option of s (KEY alone first). */
static void
print_options(const char *key, const struct optspec *s)
{
	const struct opt *o;
	size_t i;

	printf("%s\n", key);
	for (i = 0; i < s->nopts; i++) {
		o = &s->opts[i];
		if (o->name != NULL)
			printf("%s\t--%s\t%s\n", key, o->name,
			    o->value == OPT_FLAG ? "" : o->meta);
		if (o->letter != 0)
			printf("%s\t-%c\t%s\n", key, o->letter,
			    o->value == OPT_FLAG ? "" : o->meta);
	}
}

/* --options: loco's own, then each command's and subcommand's. */
static void
print_all_options(void)
{
	const struct subcmd *sc;
	const struct cmd *t;
	size_t i, k, n, ns;
	char *key;

	print_options("", &loco_spec);
	t = cmd_table(&n);
	for (i = 0; i < n; i++) {
		if (t[i].subcmds == NULL) {
			if (t[i].spec != NULL)
				print_options(t[i].name, t[i].spec);
			continue;
		}
		sc = t[i].subcmds(&ns);
		for (k = 0; k < ns; k++) {
			if (sc[k].spec == NULL)
				continue;
			key = xasprintf("%s %s", t[i].name, sc[k].name);
			print_options(key, sc[k].spec);
			free(key);
		}
	}
}

struct error *
cmd_complete(struct loco *lc, int argc, char *argv[])
{
	struct complete c;
	struct optparse p;
	char **words, *desc;
	size_t i, n;
	int id, dashes, options = 0;

	/* The words come after "--", which getopt would move. */
	dashes = argc >= 2 && strcmp(argv[1], "--") == 0;
	opt_init(&p, lc, &complete_spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_OPTIONS)
			options = 1;
	if (id < 0)
		return opt_end(&p);
	if (options && p.argc == 0) {
		print_all_options();
		return NULL;
	}
	if (options || !dashes)
		return opt_usage_error(&complete_spec, NULL);
	n = (size_t)p.argc;
	words = xcalloc(n + 1, sizeof(*words));
	for (i = 0; i < n; i++)
		words[i] = dequote(p.argv[i]);
	complete_line(&c, words, n, registry_values, lc);
	strv_free(words, n);
	printf("%s\n", kinds[c.kind]);
	for (i = 0; i < c.n; i++) {
		if (has_control(c.words[i]))
			continue;
		if (c.descs[i] == NULL) {
			printf("%s\n", c.words[i]);
			continue;
		}
		desc = str_sanitize(c.descs[i], 200);
		printf("%s\t%s\n", c.words[i], desc);
		free(desc);
	}
	complete_release(&c);
	return NULL;
}
