/*
 * fuzz_config.c: config_load_file on a file holding the input, then every
 * key's value as text; and config_set of every key to the input's first
 * line, as a flag or environment variable would.
 */
#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("config.yaml");
	return 0;
}

static void
check_values(const struct config *cfg)
{
	const struct config_key *keys;
	size_t n, i;
	char *text;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		text = config_value_text(cfg, &keys[i]);
		FUZZ_CHECK(text != NULL);
		FUZZ_CHECK(config_source_name(config_source_of(cfg, &keys[i]))
		    != NULL);
		free(text);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config_key *keys;
	struct config cfg;
	struct error *err;
	char *line;
	size_t n, i;

	fuzz_file_write(data, size);
	config_init(&cfg);
	err = config_load_file(&cfg, fuzz_path);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
	}
	check_values(&cfg);
	config_free(&cfg);

	line = fuzz_cstr(data, size);
	line[strcspn(line, "\n")] = '\0';
	config_init(&cfg);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		err = config_set(&cfg, keys[i].name, line, CONFIG_SRC_FLAG);
		fuzz_error_free(err);
	}
	err = config_set(&cfg, line, "1", CONFIG_SRC_ENV);
	fuzz_error_free(err);
	check_values(&cfg);
	config_free(&cfg);
	free(line);
	return 0;
}
