/*
 * fuzz_package.c: package_unpack of the input, as an archive file, into a
 * fresh directory, under small limits.  On error the directory is empty
 * again; on success it holds exactly the manifest's files; either way
 * nothing appears beside it or in the directories above it (the scratch
 * directory holds the archive and w/x/, the destinations are w/x/dest.*).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>

#include "fuzz.h"
#include "package.h"

static char	fuzz_top[160];	/* fuzz_dir/w */
static char	fuzz_mid[160];	/* fuzz_dir/w/x */

/* Remove path and everything below it, never following links. */
static void
rm_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	char *sub;
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			rm_tree(sub);
			free(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

static void
pkg_cleanup(void)
{
	if (fuzz_top[0] != '\0')
		rm_tree(fuzz_top);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("package.tar.gz");
	/* Registered after fuzz_cleanup, so it runs before it. */
	snprintf(fuzz_top, sizeof(fuzz_top), "%s/w", fuzz_dir);
	snprintf(fuzz_mid, sizeof(fuzz_mid), "%s/w/x", fuzz_dir);
	if (mkdir(fuzz_top, 0700) == -1 || mkdir(fuzz_mid, 0700) == -1) {
		perror("mkdir");
		exit(1);
	}
	atexit(pkg_cleanup);
	return 0;
}

/* The names in dir other than . and .., sorted and joined with '\n'. */
static char *
listing(const char *dir)
{
	struct dirent *de;
	char **names = NULL, *out;
	size_t n = 0, i, len = 1;
	DIR *d;

	FUZZ_CHECK((d = opendir(dir)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
		len += strlen(de->d_name) + 1;
	}
	closedir(d);
	out = xmalloc(len);
	out[0] = '\0';
	/* Few entries: a selection sort will do. */
	for (i = 0; i < n; i++) {
		size_t j, min = i;
		char *t;

		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[min]) < 0)
				min = j;
		t = names[i];
		names[i] = names[min];
		names[min] = t;
		strcat(out, names[i]);
		strcat(out, "\n");
		free(names[i]);
	}
	free(names);
	return out;
}

static void
check_only(const char *dir, const char *want)
{
	char *have = listing(dir);

	if (strcmp(have, want) != 0) {
		fprintf(stderr, "%s holds:\n%sexpected:\n%s", dir, have, want);
		FUZZ_CHECK(!"something was written outside the destination");
	}
	free(have);
}

/* Does the path have a ".." component? */
static int
has_dotdot(const char *p)
{
	size_t n;

	for (;;) {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static void
check_manifest(const char *dest, const struct package_manifest *m)
{
	struct stat st;
	uint64_t total = 0;
	char *path;
	size_t i;
	int has_meta = 0, has_sums = 0;

	FUZZ_CHECK(m->nfiles >= 2 && m->files != NULL);
	for (i = 0; i < m->nfiles; i++) {
		FUZZ_CHECK(m->files[i] != NULL && m->files[i][0] != '\0');
		FUZZ_CHECK(m->files[i][0] != '/');
		FUZZ_CHECK(!has_dotdot(m->files[i]));
		if (i > 0)
			FUZZ_CHECK(strcmp(m->files[i - 1], m->files[i]) < 0);
		has_meta |= strcmp(m->files[i], PACKAGE_META) == 0;
		has_sums |= strcmp(m->files[i], PACKAGE_SUMS) == 0;
		path = xasprintf("%s/%s", dest, m->files[i]);
		FUZZ_CHECK(lstat(path, &st) == 0);
		FUZZ_CHECK(S_ISREG(st.st_mode));
		FUZZ_CHECK((st.st_mode & 07777) == 0644);
		FUZZ_CHECK((uint64_t)st.st_size <= 1u << 20);
		total += (uint64_t)st.st_size;
		free(path);
	}
	FUZZ_CHECK(has_meta && has_sums);
	FUZZ_CHECK(total == m->total_bytes);
	FUZZ_CHECK(total <= 4u << 20);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct package_limits lim;
	struct package_manifest m;
	struct error *err;
	char dest[200], *mid_want, *have;

	fuzz_file_write(data, size);
	snprintf(dest, sizeof(dest), "%s/dest.XXXXXX", fuzz_mid);
	FUZZ_CHECK(mkdtemp(dest) != NULL);

	memset(&lim, 0, sizeof(lim));
	lim.max_entry = 1u << 20;
	lim.max_total = 4u << 20;
	lim.max_entries = 64;
	err = package_unpack(fuzz_path, dest, &lim, &m);
	if (err != NULL) {
		/* EXIT_FAIL: what the file system refuses (a long name). */
		FUZZ_CHECK(err->code == EXIT_INTEGRITY ||
		    err->code == EXIT_FAIL);
		fuzz_error_free(err);
		FUZZ_CHECK(m.files == NULL && m.nfiles == 0);
		/* Everything written was removed again. */
		have = listing(dest);
		FUZZ_CHECK(have[0] == '\0');
		free(have);
	} else {
		check_manifest(dest, &m);
		package_manifest_release(&m);
	}

	check_only(fuzz_dir, "package.tar.gz\nw\n");
	check_only(fuzz_top, "x\n");
	mid_want = xasprintf("%s\n", strrchr(dest, '/') + 1);
	check_only(fuzz_mid, mid_want);
	free(mid_want);
	rm_tree(dest);
	return 0;
}
