/*
 * fuzz_state.c: state_load on a file holding the input (a damaged one is
 * set aside and the state starts empty), then a registration and a file
 * hash set and read back, state_save, and a second state_load of what was
 * saved, which must give the same values back.  The model name is the
 * input's first line, so names need no quoting to survive.
 */
#include <sys/stat.h>

#include <dirent.h>

#include "fuzz.h"
#include "state.h"

#define SERVER	"http://127.0.0.1:11434"
#define HEX	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

static char	fuzz_aside[160];

static void
state_cleanup(void)
{
	if (fuzz_aside[0] != '\0')
		unlink(fuzz_aside);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("state.json");
	snprintf(fuzz_aside, sizeof(fuzz_aside), "%s.damaged", fuzz_path);
	atexit(state_cleanup);
	return 0;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static struct state *
load(void)
{
	struct state *st = NULL;
	struct error *err;

	err = state_load(fuzz_path, &st);
	FUZZ_CHECK(st != NULL);
	if (err != NULL) {
		/* Only a file that cannot be read; not one here. */
		fprintf(stderr, "state_load: %s\n", err->msg);
		FUZZ_CHECK(err == NULL);
	}
	return st;
}

/* What this run set must read back as set. */
static void
check_set(const struct state *st, const char *model, const char *other,
    const char *path)
{
	const char *req, *dig;

	state_get_model(st, SERVER, model, &req, &dig);
	FUZZ_CHECK(str_same(req, "{\"model\":\"x\"}"));
	FUZZ_CHECK(str_same(dig, "sha256:" HEX));
	state_get_model(st, SERVER, other, &req, &dig);
	FUZZ_CHECK(str_same(req, "r2"));
	FUZZ_CHECK(str_same(dig, ""));
	FUZZ_CHECK(str_same(state_get_hash(st, path, 42, 1700000000123456789LL),
	    HEX));
	FUZZ_CHECK(state_get_hash(st, path, 42, 1700000000123456788LL) ==
	    NULL);
	FUZZ_CHECK(state_get_hash(st, path, 43, 1700000000123456789LL) ==
	    NULL);
}

/* The scratch directory holds the state file and nothing else. */
static void
check_dir(void)
{
	struct dirent *de;
	DIR *d;

	FUZZ_CHECK((d = opendir(fuzz_dir)) != NULL);
	while ((de = readdir(d)) != NULL)
		FUZZ_CHECK(strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "state.json") == 0);
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state *st;
	struct stat sb;
	const char *req, *dig, *hash;
	const char *other;
	char *model, *path;

	model = fuzz_cstr(data, size);
	model[strcspn(model, "\n")] = '\0';
	if (strlen(model) > 32)
		model[32] = '\0';
	path = xasprintf("/models/%s.gguf", model);
	other = strcmp(model, "other") == 0 ? "other2" : "other";

	fuzz_file_write(data, size);
	st = load();
	/* Whatever the file held, lookups give strings or NULL. */
	state_get_model(st, SERVER, model, &req, &dig);
	if (req != NULL)
		(void)strlen(req);
	if (dig != NULL)
		(void)strlen(dig);
	hash = state_get_hash(st, path, 42, 1700000000123456789LL);
	if (hash != NULL)
		(void)strlen(hash);

	state_set_model(st, SERVER, model, "{\"model\":\"x\"}", "sha256:" HEX);
	state_set_model(st, SERVER, other, "r2", NULL);
	state_set_hash(st, path, 42, 1700000000123456789LL, HEX);
	check_set(st, model, other, path);
	FUZZ_CHECK(state_save(st) == NULL);
	state_free(st);

	/* No temporary file is left behind; a damaged input was set aside. */
	FUZZ_CHECK(stat(fuzz_path, &sb) == 0 && S_ISREG(sb.st_mode));
	unlink(fuzz_aside);
	check_dir();

	st = load();
	check_set(st, model, other, path);
	state_forget_model(st, SERVER, model);
	state_get_model(st, SERVER, model, &req, &dig);
	FUZZ_CHECK(req == NULL && dig == NULL);
	state_get_model(st, SERVER, other, &req, &dig);
	FUZZ_CHECK(str_same(req, "r2"));
	FUZZ_CHECK(state_save(st) == NULL);
	state_free(st);
	check_dir();

	free(path);
	free(model);
	return 0;
}
