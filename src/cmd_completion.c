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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"
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

struct error *
cmd_completion(struct loco *lc, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cmd *c = cmd_find("completion");
	struct error *err;
	char *list, *clean;
	size_t i;
	int ch;

	(void)lc;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_help_print(c);
			return NULL;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	list = shell_list();
	if (argc - optind != 1) {
		err = cmd_usage_error(c, argc == optind ? "no shell given: "
		    "choose %s" : "give one shell: %s", list);
		free(list);
		return err;
	}
	for (i = 0; i < ARRAY_SIZE(scripts); i++)
		if (strcmp(argv[optind], scripts[i].shell) == 0) {
			free(list);
			loco_write(scripts[i].script,
			    strlen(scripts[i].script));
			return NULL;
		}
	clean = str_sanitize(argv[optind], 40);
	err = cmd_usage_error(c, "unknown shell '%s': choose %s", clean, list);
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

/* The adapters or domains of the registry that the command would use. */
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

struct error *
cmd_complete(struct loco *lc, int argc, char *argv[])
{
	struct complete c;
	char **words, *desc;
	size_t i, n;

	if (argc < 2 || strcmp(argv[1], "--") != 0)
		return cmd_usage_error(cmd_find("__complete"), NULL);
	n = (size_t)argc - 2;
	words = xcalloc(n + 1, sizeof(*words));
	for (i = 0; i < n; i++)
		words[i] = dequote(argv[i + 2]);
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
