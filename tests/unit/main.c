/* main.c: the unit-test runner.  Usage: unit [SUBSTRING] */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static struct unit_test	*tests, **tail = &tests;
static int		 current_failed;
static char		 tmpdir[256];

void
unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_failed = 1;
}

const char *
unit_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/loco-unit.XXXXXX",
		    base && *base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tmpdir;
}

const char *
unit_write(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
rmtree(const char *path)
{
	DIR *d;
	struct dirent *de;
	char sub[1024];
	struct stat st;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rmtree(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

int
main(int argc, char *argv[])
{
	struct unit_test *t;
	int passed = 0, failed = 0;
	const char *filter = argc > 1 ? argv[1] : NULL;

	for (t = tests; t != NULL; t = t->next) {
		if (filter != NULL && strstr(t->name, filter) == NULL &&
		    strstr(t->file, filter) == NULL)
			continue;
		current_failed = 0;
		t->fn();
		if (tmpdir[0] != '\0') {
			rmtree(tmpdir);
			tmpdir[0] = '\0';
		}
		if (current_failed) {
			fprintf(stderr, "FAIL %s (%s)\n", t->name, t->file);
			failed++;
		} else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
