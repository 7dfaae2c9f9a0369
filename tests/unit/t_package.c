/*
 * t_package.c: unpacking adapter packages safely, and packing them.
 * The archives are built here with libarchive's writer, so each hostile
 * entry is exactly what a test asks for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "error.h"
#include "hash.h"
#include "package.h"
#include "util.h"
#include "unit.h"

enum kind { T_FILE, T_ZEROS, T_DIR, T_SYMLINK, T_HARDLINK, T_CHR, T_FIFO };
enum fmt { F_TGZ, F_ZIP, F_TAR };

struct tent {
	const char	*name;
	const char	*data;		/* T_FILE; NULL = "" */
	size_t		 size;		/* T_FILE: 0 = strlen; T_ZEROS */
	enum kind	 kind;
	const char	*target;	/* links */
	int		 perm;		/* 0 = 0644 / 0755 */
};

static const char gguf[] = "GGUF\x03\0\0\0\x01\x02\x03\xff binary";

static const struct tent good[] = {
	{ "adapter.yaml", "name: math\nversion: 1.0.0\ntype: lora\n", 0,
	    T_FILE, NULL, 0 },
	{ "bench/", NULL, 0, T_DIR, NULL, 0777 },
	{ "bench/math.jsonl", "{\"input\": \"2+2\", \"expected\": \"4\"}\n", 0,
	    T_FILE, NULL, 0 },
	{ "math.gguf", gguf, sizeof(gguf) - 1, T_FILE, NULL, 04755 },
};

static size_t
tent_size(const struct tent *t)
{
	if (t->kind == T_ZEROS)
		return t->size;
	if (t->kind != T_FILE)
		return 0;
	return t->size ? t->size : t->data ? strlen(t->data) : 0;
}

static void
tent_hash(const struct tent *t, char hex[SHA256_HEX_LEN + 1])
{
	struct sha256 *h = sha256_new();
	static char zeros[65536];
	size_t left, n;

	if (t->kind == T_ZEROS) {
		for (left = t->size; left > 0; left -= n) {
			n = left < sizeof(zeros) ? left : sizeof(zeros);
			sha256_update(h, zeros, n);
		}
	} else if (t->data != NULL)
		sha256_update(h, t->data, tent_size(t));
	sha256_finish(h, hex);
}

/* SHA256SUMS text for the regular files of ents (names as written). */
static char *
sums_for(const struct tent *ents, size_t n)
{
	char hex[SHA256_HEX_LEN + 1], *s = xstrdup(""), *next;
	const char *name;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ents[i].kind != T_FILE && ents[i].kind != T_ZEROS)
			continue;
		tent_hash(&ents[i], hex);
		name = ents[i].name;
		if (str_startswith(name, "./"))
			name += 2;
		next = xasprintf("%s%s  %s\n", s, hex, name);
		free(s);
		s = next;
	}
	return s;
}

static void
write_entry(struct archive *a, const struct tent *t)
{
	struct archive_entry *e = archive_entry_new();
	static char zeros[65536];
	size_t size = tent_size(t), left, n;

	archive_entry_set_pathname(e, t->name);
	archive_entry_set_mtime(e, 1700000000, 0);
	switch (t->kind) {
	case T_FILE:
	case T_ZEROS:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, t->perm ? t->perm : 0644);
		archive_entry_set_size(e, (la_int64_t)size);
		break;
	case T_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, t->perm ? t->perm : 0755);
		break;
	case T_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, t->target);
		break;
	case T_HARDLINK:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_hardlink(e, t->target);
		archive_entry_set_size(e, 0);
		break;
	case T_CHR:
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_perm(e, 0666);
		archive_entry_set_rdevmajor(e, 1);
		archive_entry_set_rdevminor(e, 3);
		break;
	case T_FIFO:
		archive_entry_set_filetype(e, AE_IFIFO);
		archive_entry_set_perm(e, 0644);
		break;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK)
		unit_fail(__FILE__, __LINE__, "write_header '%s': %s", t->name,
		    archive_error_string(a));
	if (t->kind == T_FILE && size > 0)
		archive_write_data(a, t->data, size);
	if (t->kind == T_ZEROS)
		for (left = size; left > 0; left -= n) {
			n = left < sizeof(zeros) ? left : sizeof(zeros);
			archive_write_data(a, zeros, n);
		}
	archive_entry_free(e);
}

/*
 * Write unit_tmpdir()/name holding ents, then (if with_sums) a correct
 * SHA256SUMS for them.  Returns the path; the caller frees it.
 */
static char *
mkarchive(const char *name, enum fmt fmt, const struct tent *ents, size_t n,
    int with_sums)
{
	char *path = xasprintf("%s/%s", unit_tmpdir(), name);
	struct archive *a = archive_write_new();
	struct tent sums = { "SHA256SUMS", NULL, 0, T_FILE, NULL, 0 };
	char *text = NULL;
	size_t i;

	if (fmt == F_ZIP)
		archive_write_set_format_zip(a);
	else
		archive_write_set_format_pax_restricted(a);
	if (fmt == F_TGZ)
		archive_write_add_filter_gzip(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		unit_fail(__FILE__, __LINE__, "open '%s': %s", path,
		    archive_error_string(a));
	for (i = 0; i < n; i++)
		write_entry(a, &ents[i]);
	if (with_sums) {
		text = sums_for(ents, n);
		sums.data = text;
		write_entry(a, &sums);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(text);
	return path;
}

/* A fresh, empty destination directory. */
static char *
mkdest(void)
{
	static int count;
	char *path = xasprintf("%s/dest%d", unit_tmpdir(), ++count);

	if (mkdir(path, 0700) == -1)
		unit_fail(__FILE__, __LINE__, "mkdir '%s': %s", path,
		    strerror(errno));
	return path;
}

static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * Unpack archive into a fresh directory and expect failure with want,
 * where "P" stands for the archive's path; the directory must be left
 * empty.  want ending in '*' only compares up to there.
 */
static void
expect_fail_at(int line, const char *archive,
    const struct package_limits *lim, const char *want)
{
	struct package_manifest m = { (char **)1, 7, 7 };
	char *dest = mkdest(), *msg;
	struct error *err = package_unpack(archive, dest, lim, &m);
	const char *at;
	size_t wlen = strlen(want);

	if (err == NULL) {
		unit_fail(__FILE__, line, "unpack succeeded, expected \"%s\"",
		    want);
		package_manifest_release(&m);
	} else {
		CHECK(m.files == NULL && m.nfiles == 0);
		if (err->code != EXIT_INTEGRITY)
			unit_fail(__FILE__, line, "code %d for \"%s\"",
			    err->code, err->msg);
		at = strstr(err->msg, archive);
		if (at != NULL)
			msg = xasprintf("%.*sP%s", (int)(at - err->msg),
			    err->msg, at + strlen(archive));
		else
			msg = xstrdup(err->msg);
		if (wlen > 0 && want[wlen - 1] == '*' ?
		    strncmp(msg, want, wlen - 1) != 0 : strcmp(msg, want) != 0)
			unit_fail(__FILE__, line, "\"%s\", expected \"%s\"",
			    msg, want);
		free(msg);
		error_free(err);
	}
	if (dir_entries(dest) != 0)
		unit_fail(__FILE__, line, "'%s' not left empty (%d entries)",
		    dest, dir_entries(dest));
	free(dest);
}

#define expect_fail(a, l, w) expect_fail_at(__LINE__, a, l, w)

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static void
check_file(const char *dir, const char *rel, const char *data, size_t len,
    int mode)
{
	char *path = xasprintf("%s/%s", dir, rel), *got;
	struct stat st;
	size_t n = 0;

	if (lstat(path, &st) == -1) {
		unit_fail(__FILE__, __LINE__, "'%s' missing", path);
		free(path);
		return;
	}
	CHECK_INT(st.st_mode & 07777, mode);
	if (data != NULL) {
		got = slurp(path, &n);
		CHECK(got != NULL && n == len && memcmp(got, data, len) == 0);
		free(got);
	}
	free(path);
}

static void
check_good(const char *archive)
{
	struct package_manifest m;
	char *dest = mkdest();
	uint64_t total = 0;
	char *sums = sums_for(good, ARRAY_SIZE(good));
	size_t i;

	CHECK_OK(package_unpack(archive, dest, NULL, &m));
	CHECK_INT(m.nfiles, 4);
	if (m.nfiles == 4) {
		CHECK_STR(m.files[0], "SHA256SUMS");
		CHECK_STR(m.files[1], "adapter.yaml");
		CHECK_STR(m.files[2], "bench/math.jsonl");
		CHECK_STR(m.files[3], "math.gguf");
	}
	for (i = 0; i < ARRAY_SIZE(good); i++)
		total += tent_size(&good[i]);
	CHECK_INT(m.total_bytes, total + strlen(sums));
	check_file(dest, "math.gguf", gguf, sizeof(gguf) - 1, 0644);
	check_file(dest, "adapter.yaml", good[0].data, strlen(good[0].data),
	    0644);
	check_file(dest, "SHA256SUMS", sums, strlen(sums), 0644);
	check_file(dest, "bench", NULL, 0, 0755);
	package_manifest_release(&m);
	CHECK(m.files == NULL && m.nfiles == 0);
	free(sums);
	free(dest);
}

TEST(package_unpack_good)
{
	char *p;

	p = mkarchive("good.tar.gz", F_TGZ, good, ARRAY_SIZE(good), 1);
	check_good(p);
	free(p);
	/* Detected by content: the name says nothing. */
	p = mkarchive("good.dat", F_ZIP, good, ARRAY_SIZE(good), 1);
	check_good(p);
	free(p);
	p = mkarchive("good.zip", F_TAR, good, ARRAY_SIZE(good), 1);
	check_good(p);
	free(p);
}

/* What "tar -C dir -czf x.tgz ." makes: "./" and "./name" entries. */
TEST(package_unpack_dot_slash)
{
	static const struct tent ents[] = {
		{ "./", NULL, 0, T_DIR, NULL, 0 },
		{ "./adapter.yaml", "name: x\n", 0, T_FILE, NULL, 0 },
		{ "./lora//x.gguf", "GGUF", 0, T_FILE, NULL, 0 },
	};
	struct tent sums[] = {
		{ "./SHA256SUMS", NULL, 0, T_FILE, NULL, 0 },
	};
	struct tent all[4];
	struct package_manifest m;
	char hex1[SHA256_HEX_LEN + 1], hex2[SHA256_HEX_LEN + 1], *text, *p;
	char *dest = mkdest();

	/* "*" binary markers, CRLF, upper-case hex, "./" in the list. */
	tent_hash(&ents[1], hex1);
	tent_hash(&ents[2], hex2);
	hex2[0] = (char)(hex2[0] >= 'a' ? hex2[0] - 'a' + 'A' : hex2[0]);
	text = xasprintf("%s *./adapter.yaml\r\n\n%s  lora/x.gguf\r\n", hex1,
	    hex2);
	sums[0].data = text;
	memcpy(all, ents, sizeof(ents));
	all[3] = sums[0];
	p = mkarchive("dots.tgz", F_TGZ, all, 4, 0);
	CHECK_OK(package_unpack(p, dest, NULL, &m));
	CHECK_INT(m.nfiles, 3);
	if (m.nfiles == 3)
		CHECK_STR(m.files[1], "adapter.yaml");
	package_manifest_release(&m);
	check_file(dest, "lora/x.gguf", "GGUF", 4, 0644);
	free(text);
	free(p);
	free(dest);
}

/* A good package plus the given entries (before SHA256SUMS). */
static char *
good_plus(const char *name, enum fmt fmt, const struct tent *extra,
    size_t nextra, int with_sums)
{
	struct tent all[16];
	size_t n = ARRAY_SIZE(good);

	memcpy(all, good, sizeof(good));
	if (nextra > 0)
		memcpy(all + n, extra, nextra * sizeof(*extra));
	return mkarchive(name, fmt, all, n + nextra, with_sums);
}

TEST(package_unpack_checksums)
{
	struct tent bad[2];
	char *p, *text, hex[SHA256_HEX_LEN + 1], *sums;
	static const struct tent extra[] = {
		{ "extra.txt", "surprise", 0, T_FILE, NULL, 0 },
	};

	/* Wrong checksum: SHA256SUMS of a different math.gguf. */
	memset(bad, 0, sizeof(bad));
	bad[0] = good[3];
	bad[0].data = "GGUF but different";
	bad[0].size = 0;
	bad[1] = good[0];
	sums = sums_for(bad, 2);
	bad[0].name = "SHA256SUMS";
	bad[0].data = sums;
	bad[0].perm = 0;
	p = good_plus("badsum.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': checksum mismatch for 'math.gguf'");
	free(p);
	free(sums);

	p = good_plus("nosums.tgz", F_TGZ, NULL, 0, 0);
	expect_fail(p, NULL, "'P' has no SHA256SUMS");
	free(p);

	/* Over its limit: refused, and nothing read of it kept (or leaked). */
	bad[0] = (struct tent){ "SHA256SUMS", NULL, (size_t)17 << 20, T_ZEROS,
	    NULL, 0 };
	p = good_plus("bigsums.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': SHA256SUMS is larger than 16 MiB");
	free(p);

	/* An extra file, not listed: the list is made before it is added. */
	sums = sums_for(good, ARRAY_SIZE(good));
	bad[0] = (struct tent){ "SHA256SUMS", sums, 0, T_FILE, NULL, 0 };
	bad[1] = extra[0];
	p = good_plus("extra.zip", F_ZIP, bad, 2, 0);
	expect_fail(p, NULL, "'P': 'extra.txt' is not listed in SHA256SUMS");
	free(p);

	/* Listed but missing. */
	tent_hash(&extra[0], hex);
	text = xasprintf("%s%s  gone.bin\n", sums, hex);
	bad[0].data = text;
	p = good_plus("missing.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': SHA256SUMS lists 'gone.bin', which is not "
	    "in the package");
	free(p);
	free(text);

	/* Listed twice. */
	text = xasprintf("%s%.64s  math.gguf\n", sums,
	    strstr(sums, "  math.gguf") - 64);
	bad[0].data = text;
	p = good_plus("twice.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': SHA256SUMS line 4: 'math.gguf' is listed "
	    "twice");
	free(p);
	free(text);

	/* Malformed lines. */
	text = xasprintf("%sdeadbeef  adapter.yaml\n", sums);
	bad[0].data = text;
	p = good_plus("short.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': SHA256SUMS line 4: expected \"<sha256>  "
	    "<file>\"");
	free(p);
	free(text);
	text = xasprintf("%s%.64s  ../escape\n", sums, sums);
	bad[0].data = text;
	p = good_plus("sumsdots.tgz", F_TGZ, bad, 1, 0);
	expect_fail(p, NULL, "'P': SHA256SUMS line 4: '../escape': '..' is "
	    "not allowed in paths");
	free(p);
	free(text);
	free(sums);
}

TEST(package_unpack_paths)
{
	static const struct tent up[] = {
		{ "../evil", "x", 0, T_FILE, NULL, 0 },
	};
	static const struct tent up2[] = {
		{ "bench/../../evil", "x", 0, T_FILE, NULL, 0 },
	};
	static const struct tent abs[] = {
		{ "/tmp/loco-evil", "x", 0, T_FILE, NULL, 0 },
	};
	static const struct tent dup[] = {
		{ "adapter.yaml", "again", 0, T_FILE, NULL, 0 },
	};
	static const struct tent dup2[] = {
		{ "./bench//math.jsonl", "again", 0, T_FILE, NULL, 0 },
	};
	static const struct tent through[] = {
		{ "math.gguf/inside", "x", 0, T_FILE, NULL, 0 },
	};
	static const struct tent dirfile[] = {
		{ "math.gguf/", NULL, 0, T_DIR, NULL, 0 },
	};
	static const struct tent ctl[] = {
		{ "bad\nname", "x", 0, T_FILE, NULL, 0 },
	};
	char *p;

	p = good_plus("up.tgz", F_TGZ, up, 1, 1);
	expect_fail(p, NULL, "'P': entry '../evil': '..' is not allowed in "
	    "paths");
	free(p);
	p = good_plus("up2.zip", F_ZIP, up2, 1, 1);
	expect_fail(p, NULL, "'P': entry 'bench/../../evil': '..' is not "
	    "allowed in paths");
	free(p);
	p = good_plus("abs.tgz", F_TGZ, abs, 1, 1);
	expect_fail(p, NULL, "'P': entry '/tmp/loco-evil': absolute paths are "
	    "not allowed");
	CHECK(access("/tmp/loco-evil", F_OK) == -1);
	free(p);
	p = good_plus("dup.tgz", F_TGZ, dup, 1, 0);
	expect_fail(p, NULL, "'P': entry 'adapter.yaml': duplicate path");
	free(p);
	p = good_plus("dup2.tgz", F_TGZ, dup2, 1, 0);
	expect_fail(p, NULL, "'P': entry './bench//math.jsonl': duplicate "
	    "path");
	free(p);
	p = good_plus("through.tgz", F_TGZ, through, 1, 1);
	expect_fail(p, NULL, "'P': entry 'math.gguf/inside': conflicts with "
	    "an earlier entry");
	free(p);
	p = good_plus("dirfile.tgz", F_TGZ, dirfile, 1, 1);
	expect_fail(p, NULL, "'P': entry 'math.gguf/': duplicate path");
	free(p);
	p = good_plus("ctl.tgz", F_TGZ, ctl, 1, 1);
	expect_fail(p, NULL, "'P': entry 'bad?name': control characters in "
	    "file names are not allowed");
	free(p);
}

TEST(package_unpack_links_and_devices)
{
	/* The link comes first, then a file meant to land through it. */
	static const struct tent sym[] = {
		{ "escape", NULL, 0, T_SYMLINK, "/tmp", 0 },
		{ "escape/loco-evil", "x", 0, T_FILE, NULL, 0 },
	};
	static const struct tent inside[] = {
		{ "alias.gguf", NULL, 0, T_SYMLINK, "math.gguf", 0 },
	};
	static const struct tent hard[] = {
		{ "hard.gguf", NULL, 0, T_HARDLINK, "math.gguf", 0 },
	};
	static const struct tent hard_out[] = {
		{ "passwd", NULL, 0, T_HARDLINK, "/etc/passwd", 0 },
	};
	static const struct tent dev[] = {
		{ "null", NULL, 0, T_CHR, NULL, 0 },
	};
	static const struct tent fifo[] = {
		{ "pipe", NULL, 0, T_FIFO, NULL, 0 },
	};
	char *p;

	p = good_plus("sym.tgz", F_TGZ, sym, 2, 1);
	expect_fail(p, NULL, "'P': entry 'escape': links are not allowed in "
	    "adapter packages");
	free(p);
	p = good_plus("sym.zip", F_ZIP, sym, 2, 1);
	expect_fail(p, NULL, "'P': entry 'escape': links are not allowed in "
	    "adapter packages");
	free(p);
	CHECK(access("/tmp/loco-evil", F_OK) == -1);
	p = good_plus("inside.tgz", F_TGZ, inside, 1, 1);
	expect_fail(p, NULL, "'P': entry 'alias.gguf': links are not allowed "
	    "in adapter packages");
	free(p);
	p = good_plus("hard.tgz", F_TGZ, hard, 1, 1);
	expect_fail(p, NULL, "'P': entry 'hard.gguf': links are not allowed "
	    "in adapter packages");
	free(p);
	p = good_plus("hardout.tar", F_TAR, hard_out, 1, 1);
	expect_fail(p, NULL, "'P': entry 'passwd': links are not allowed in "
	    "adapter packages");
	free(p);
	p = good_plus("dev.tgz", F_TGZ, dev, 1, 1);
	expect_fail(p, NULL, "'P': entry 'null': devices, fifos and sockets "
	    "are not allowed in adapter packages");
	free(p);
	p = good_plus("fifo.tgz", F_TGZ, fifo, 1, 1);
	expect_fail(p, NULL, "'P': entry 'pipe': devices, fifos and sockets "
	    "are not allowed in adapter packages");
	free(p);
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || fwrite(data, 1, len, fp) != len)
		unit_fail(__FILE__, __LINE__, "cannot write '%s'", path);
	if (fp != NULL)
		fclose(fp);
}

TEST(package_unpack_truncated)
{
	static const struct tent big[] = {
		{ "weights.gguf", NULL, 300000, T_ZEROS, NULL, 0 },
		{ "notes.txt", "a little text after the weights\n", 0, T_FILE,
		    NULL, 0 },
	};
	char *p, *cut, *data;
	size_t len, cuts[8], i;
	enum fmt fmts[] = { F_TGZ, F_ZIP };
	size_t f;

	for (f = 0; f < ARRAY_SIZE(fmts); f++) {
		p = good_plus(fmts[f] == F_ZIP ? "full.zip" : "full.tgz",
		    fmts[f], big, 2, 1);
		data = slurp(p, &len);
		CHECK(data != NULL && len > 200);
		if (data == NULL)
			return;
		cuts[0] = 0;
		cuts[1] = 1;
		cuts[2] = 10;
		cuts[3] = 100;
		cuts[4] = len / 3;
		cuts[5] = len / 2;
		cuts[6] = len - 200;
		cuts[7] = len - 60;
		for (i = 0; i < ARRAY_SIZE(cuts); i++) {
			cut = xasprintf("%s.cut%zu", p, cuts[i]);
			write_bytes(cut, data, cuts[i]);
			expect_fail(cut, NULL, "'P': archive is truncated or "
			    "corrupt: *");
			free(cut);
		}
		/* Corrupt in the middle: flip bytes of the compressed data. */
		for (i = len / 2; i < len / 2 + 16; i++)
			data[i] ^= 0x55;
		cut = xasprintf("%s.flipped", p);
		write_bytes(cut, data, len);
		expect_fail(cut, NULL, fmts[f] == F_ZIP ? "'P': *" :
		    "'P': archive is truncated or corrupt: *");
		free(cut);
		free(data);
		free(p);
	}
	p = xstrdup(unit_write("notes.txt", "this is not an archive\n"));
	expect_fail(p, NULL, "'P': archive is truncated or corrupt: *");
	free(p);
}

TEST(package_unpack_limits)
{
	static const struct tent no_yaml[] = {
		{ "math.gguf", "GGUF", 0, T_FILE, NULL, 0 },
	};
	static const struct tent kilo[] = {
		{ "a.bin", NULL, 1000, T_ZEROS, NULL, 0 },
		{ "b.bin", NULL, 1000, T_ZEROS, NULL, 0 },
	};
	static const struct tent bomb[] = {
		{ "adapter.yaml", "name: bomb\n", 0, T_FILE, NULL, 0 },
		{ "bomb.gguf", NULL, 8 << 20, T_ZEROS, NULL, 0 },
	};
	struct package_limits lim;
	struct package_manifest m;
	char *p, *dest;

	p = mkarchive("noyaml.tgz", F_TGZ, no_yaml, 1, 1);
	expect_fail(p, NULL, "'P' has no adapter.yaml");
	free(p);

	p = good_plus("kilo.tgz", F_TGZ, kilo, 2, 1);
	memset(&lim, 0, sizeof(lim));
	lim.max_entry = 999;
	expect_fail(p, &lim, "'P': entry 'a.bin': larger than the limit of 999 "
	    "bytes");
	memset(&lim, 0, sizeof(lim));
	lim.max_total = 1500;
	expect_fail(p, &lim, "'P': unpacks to more than the limit of 1500 "
	    "bytes");
	memset(&lim, 0, sizeof(lim));
	lim.max_entries = 6;
	expect_fail(p, &lim, "'P': more than 6 entries");
	lim.max_entries = 7;
	lim.max_entry = 1000;
	dest = mkdest();
	CHECK_OK(package_unpack(p, dest, &lim, &m));
	package_manifest_release(&m);
	free(dest);
	free(p);

	/* 8 MiB of zeros is some 8 KiB compressed. */
	memset(&lim, 0, sizeof(lim));
	lim.ratio_floor = 1 << 20;
	p = mkarchive("bomb.tgz", F_TGZ, bomb, 2, 1);
	expect_fail(p, &lim, "'P': unpacks to more than 200 times its size (a "
	    "zip bomb?)");
	dest = mkdest();
	/* Under the default floor. */
	CHECK_OK(package_unpack(p, dest, NULL, &m));
	CHECK_INT(m.total_bytes, (8 << 20) + 11 + 2 * (SHA256_HEX_LEN + 2) +
	    strlen("adapter.yamlbomb.gguf") + 2);
	package_manifest_release(&m);
	free(dest);
	free(p);
	p = mkarchive("bomb.zip", F_ZIP, bomb, 2, 1);
	expect_fail(p, &lim, "'P': unpacks to more than 200 times its size (a "
	    "zip bomb?)");
	free(p);
	/* A higher max_ratio lets it through. */
	lim.max_ratio = 100000;
	p = mkarchive("bomb2.tgz", F_TGZ, bomb, 2, 1);
	dest = mkdest();
	CHECK_OK(package_unpack(p, dest, &lim, &m));
	package_manifest_release(&m);
	free(dest);
	free(p);
}

TEST(package_unpack_dest)
{
	struct package_manifest m;
	char *p, *dest, *keep, *want;

	p = mkarchive("good.tgz", F_TGZ, good, ARRAY_SIZE(good), 1);
	dest = mkdest();
	keep = xasprintf("%s/precious", dest);
	write_bytes(keep, "mine", 4);
	want = xasprintf("'%s' is not an empty directory", dest);
	CHECK_ERR(package_unpack(p, dest, NULL, &m), want);
	CHECK(access(keep, F_OK) == 0);
	free(want);
	free(keep);
	free(dest);
	dest = xasprintf("%s/nope/dest", unit_tmpdir());
	want = xasprintf("cannot open '%s': No such file or directory", dest);
	CHECK_ERR(package_unpack(p, dest, NULL, &m), want);
	free(want);
	free(dest);
	free(p);
	dest = mkdest();
	p = xasprintf("%s/absent.tgz", unit_tmpdir());
	want = xasprintf("cannot open '%s': No such file or directory", p);
	CHECK_ERR(package_unpack(p, dest, NULL, &m), want);
	free(want);
	free(p);
	free(dest);
}

static void
mkfile(const char *dir, const char *rel, const char *data)
{
	char *path = xasprintf("%s/%s", dir, rel);

	write_bytes(path, data, strlen(data));
	free(path);
}

TEST(package_create_round_trip)
{
	struct package_manifest m;
	char *src = xasprintf("%s/src", unit_tmpdir()), *out, *dest, *sums;
	char *tmp, *path, *want, hex[3][SHA256_HEX_LEN + 1];
	size_t len;

	mkdir(src, 0755);
	path = xasprintf("%s/train", src);
	mkdir(path, 0755);
	free(path);
	mkfile(src, "adapter.yaml", "name: math\n");
	mkfile(src, "math.gguf", "GGUF weights");
	mkfile(src, "train/data.jsonl", "{}\n");
	mkfile(src, "SHA256SUMS", "stale\n");	/* rewritten */
	sha256_hex("name: math\n", 11, hex[0]);
	sha256_hex("GGUF weights", 12, hex[1]);
	sha256_hex("{}\n", 3, hex[2]);

	out = xasprintf("%s/math.tar.gz", unit_tmpdir());
	CHECK_OK(package_create(src, out));
	tmp = xasprintf("%s.tmp", out);
	CHECK(access(tmp, F_OK) == -1);
	path = xasprintf("%s/SHA256SUMS", src);
	sums = slurp(path, &len);
	want = xasprintf("%s  adapter.yaml\n%s  math.gguf\n%s  "
	    "train/data.jsonl\n", hex[0], hex[1], hex[2]);
	CHECK_STR(sums, want);
	free(want);
	free(sums);
	free(path);

	dest = mkdest();
	CHECK_OK(package_unpack(out, dest, NULL, &m));
	CHECK_INT(m.nfiles, 4);
	if (m.nfiles == 4)
		CHECK_STR(m.files[3], "train/data.jsonl");
	package_manifest_release(&m);
	check_file(dest, "math.gguf", "GGUF weights", 12, 0644);
	check_file(dest, "train/data.jsonl", "{}\n", 3, 0644);
	free(dest);

	/* Links in the source are refused; so is a missing adapter.yaml. */
	path = xasprintf("%s/link", src);
	CHECK(symlink("/etc/passwd", path) == 0);
	want = xasprintf("'%s': links are not allowed in adapter packages",
	    path);
	CHECK_ERR(package_create(src, out), want);
	CHECK(access(tmp, F_OK) == -1);
	unlink(path);
	free(want);
	free(path);
	path = xasprintf("%s/adapter.yaml", src);
	unlink(path);
	free(path);
	want = xasprintf("'%s' has no adapter.yaml", src);
	CHECK_ERR(package_create(src, out), want);
	free(want);
	free(tmp);
	free(out);
	free(src);
}

TEST(package_read_file_empty)
{
	char *path = xasprintf("%s/empty.jsonl", unit_tmpdir()), *data;
	size_t len = 1;
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	if (fp != NULL)
		fclose(fp);
	/* Not "Unrecognized archive format": an empty file is empty. */
	CHECK_OK(package_read_file(path, 1024, &data, &len));
	CHECK_INT(len, 0);
	CHECK_STR(data, "");
	free(data);
	free(path);
}
