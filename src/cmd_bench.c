/*
 * cmd_bench.c: loco bench import|check: bring public benchmarks into
 * loco's format, and check a benchmark file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchfile.h"
#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "banned.h"

enum { O_FORMAT = 1, O_JSON, O_OUTPUT };

static const struct opt import_opts[] = {
	{ "format", 0, O_FORMAT, OPT_VALUE, "format", "gsm8k, humaneval or "
	  "jsonl",
	  OC_WORDS, "gsm8k humaneval jsonl", NULL, OPT_MUST },
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "with --output, print the count "
	  "as JSON" },
	{ "output", 0, O_OUTPUT, OPT_VALUE, "file", "write there (atomically) "
	  "instead of standard output", OC_FILE },
};
static const struct opt_form import_forms[] = { { NULL, NULL, "file" } };
static const struct opt_operand import_operands[] = {
	{ "file", "the public benchmark's file", OC_FILE },
};
static const struct optspec import_spec = OPTSPEC("bench import",
    "convert a public benchmark into loco's format", import_opts,
    import_forms, import_operands);

static const struct opt check_opts[] = {
	{ "json", 0, O_JSON, OPT_FLAG, NULL, "print the counts as JSON" },
};
static const struct opt_form check_forms[] = { { NULL, NULL, "file" } };
static const struct opt_operand check_operands[] = {
	{ "file", "a benchmark in loco's format", OC_FILE },
};
static const struct optspec check_spec = OPTSPEC("bench check",
    "validate a benchmark file and count its cases", check_opts,
    check_forms, check_operands);

static struct error *
bench_import_cmd(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	const char *format = NULL, *output = NULL;
	struct optparse p;
	struct error *err;
	char *text = NULL;
	size_t len = 0, n;
	FILE *mem;
	int id, json = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		switch (id) {
		case O_FORMAT:
			format = p.arg;
			break;
		case O_JSON:
			json = 1;
			break;
		case O_OUTPUT:
			output = p.arg;
			break;
		}
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc != 1)
		return sub_usage_error(sc, "give one file");
	if (json && output == NULL)
		return sub_usage_error(sc, "--json needs --output: without it "
		    "the benchmark itself goes to standard output");
	/* Build it whole in memory: the output file appears complete or not. */
	if ((mem = open_memstream(&text, &len)) == NULL)
		fatal("out of memory");
	err = bench_import(format, argv[0], mem, &n);
	fclose(mem);
	if (err == NULL) {
		if (output != NULL)
			err = fs_write_atomic(output, text, len);
		else
			loco_write(text, len);
	}
	if (err == NULL && json) {
		struct jout *j = jout_new();

		jout_str(j, "format", format);
		jout_str(j, "input", argv[0]);
		jout_str(j, "output", output);
		jout_int(j, "cases", (long long)n);
		loco_print_json(j);
	} else if (err == NULL)
		fprintf(stderr, "loco: %zu cases from '%s'%s%s\n", n,
		    argv[0], output ? " written to " : "",
		    output ? output : "");
	free(text);
	return err;
}

static void
check_print_json(const struct bench *b, const size_t *counts)
{
	struct jout *j = jout_new();
	char *sha = xasprintf("sha256:%s", b->sha256);
	int k;

	jout_str(j, "file", b->path);
	jout_int(j, "cases", (long long)b->n);
	jout_str(j, "sha256", sha);
	jout_obj(j, "types");
	for (k = 0; k <= EVAL_CUSTOM; k++)
		if (counts[k] > 0)
			jout_int(j, eval_type_name((enum eval_type)k),
			    (long long)counts[k]);
	jout_end(j);
	loco_print_json(j);
	free(sha);
}

static struct error *
bench_check_cmd(struct loco *lc, const struct subcmd *sc, int argc,
    char *argv[])
{
	struct bench *b;
	struct error *err;
	struct optparse p;
	size_t counts[EVAL_CUSTOM + 1], i;
	int id, k, json = 0;

	opt_init(&p, lc, sc->spec, argc, argv);
	while ((id = opt_next(&p)) > 0)
		if (id == O_JSON)
			json = 1;
	if (id < 0)
		return opt_end(&p);
	argc = p.argc;
	argv = p.argv;
	if (argc != 1)
		return sub_usage_error(sc, "give one benchmark file");
	if ((err = bench_load(argv[0], 0, &b)) != NULL)
		return err;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < b->n; i++)
		counts[b->cases[i].type]++;
	if (json)
		check_print_json(b, counts);
	else {
		printf("%s: %zu cases, sha256:%s\n", b->path, b->n,
		    b->sha256);
		for (k = 0; k <= EVAL_CUSTOM; k++)
			if (counts[k] > 0)
				printf("  %-16s %zu\n",
				    eval_type_name((enum eval_type)k), counts[k]);
	}
	bench_free(b);
	return NULL;
}

static const struct subcmd subcmds[] = {
	{ .name = "import", .fn = bench_import_cmd, .spec = &import_spec },
	{ .name = "check", .fn = bench_check_cmd, .spec = &check_spec },
};

const struct optspec bench_spec = { "bench", "import public benchmarks "
    "into loco's format, check a benchmark", NULL, 0, NULL, 0, NULL, 0,
    NULL };

const struct subcmd *
bench_subcmds(size_t *n)
{
	*n = ARRAY_SIZE(subcmds);
	return subcmds;
}

struct error *
cmd_bench(struct loco *lc, int argc, char *argv[])
{
	return cmd_subcommand(lc, cmd_find("bench"), argc, argv);
}
