/*
 * cmd_bench.c: loco bench import|check: bring public benchmarks into
 * loco's format, and check a benchmark file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchfile.h"
#include "cmd.h"
#include "fsutil.h"
#include "jsonout.h"
#include "banned.h"

static struct error *
bench_import_cmd(const struct cmd *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = NULL, *output = NULL;
	struct error *err;
	char *text = NULL;
	size_t len = 0, n;
	FILE *mem;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			cmd_help_print(c);
			return NULL;
		case 'j':
			json = 1;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	if (format == NULL || argc - optind != 1)
		return cmd_usage_error(c, "give --format and one file");
	if (json && output == NULL)
		return cmd_usage_error(c, "--json needs --output: without it "
		    "the benchmark itself goes to standard output");
	/* Build it whole in memory: the output file appears complete or not. */
	if ((mem = open_memstream(&text, &len)) == NULL)
		fatal("out of memory");
	err = bench_import(format, argv[optind], mem, &n);
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
		jout_str(j, "input", argv[optind]);
		jout_str(j, "output", output);
		jout_int(j, "cases", (long long)n);
		loco_print_json(j);
	} else if (err == NULL)
		fprintf(stderr, "loco: %zu cases from '%s'%s%s\n", n,
		    argv[optind], output ? " written to " : "",
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
bench_check_cmd(const struct cmd *c, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench *b;
	struct error *err;
	size_t counts[EVAL_CUSTOM + 1], i;
	int ch, k, json = 0;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_help_print(c);
			return NULL;
		case 'j':
			json = 1;
			break;
		default:
			return cmd_option_error(c, ch, argv);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(c, "give one benchmark file");
	if ((err = bench_load(argv[optind], 0, &b)) != NULL)
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

struct error *
cmd_bench(struct loco *lc, int argc, char *argv[])
{
	const struct cmd *c = cmd_find("bench");

	(void)lc;
	if (argc < 2)
		return cmd_usage_error(c, "no subcommand given");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_help_print(c);
		return NULL;
	}
	if (strcmp(argv[1], "import") == 0)
		return bench_import_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return bench_check_cmd(c, argc - 1, argv + 1);
	return cmd_usage_error(c, "unknown subcommand '%s'", argv[1]);
}
