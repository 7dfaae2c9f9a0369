/*
 * package.h: adapter packages, unpacked safely and packed.
 *
 * An adapter package is a gzip-compressed tar or a zip archive (told apart
 * by content, not by name) holding adapter.yaml at the top level, usually a
 * GGUF, a benchmark and training files, and SHA256SUMS in sha256sum(1)
 * format ("<64 hex>  <path>" or "<64 hex> *<path>" per line, either case
 * of hex, CRLF allowed) covering every other regular file.  Only package.c
 * sees libarchive.
 *
 * Only the gzip filter is enabled (no external decompressors), and a zip
 * is read through its central directory, so it must be a regular file.
 */
#ifndef LOCO_PACKAGE_H
#define LOCO_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define PACKAGE_SUMS		"SHA256SUMS"
#define PACKAGE_META		"adapter.yaml"

/*
 * Limits on what a package may unpack to.  A zero field takes its default
 * (in brackets), so { .max_entry = 1 << 20 } changes one limit only.
 * The compression-ratio guard applies once the bytes written pass
 * ratio_floor: more than max_ratio bytes written per byte read from the
 * archive file is taken for a zip bomb.
 */
struct package_limits {
	uint64_t	 max_entry;	/* bytes in one file [8 GiB] */
	uint64_t	 max_total;	/* bytes in all files [16 GiB] */
	size_t		 max_entries;	/* entries of any kind [10000] */
	uint64_t	 ratio_floor;	/* [100 MiB] */
	unsigned	 max_ratio;	/* [200] */
};

/* What a package unpacked to. */
struct package_manifest {
	char		**files;	/* regular files, sorted, "a/b" */
	size_t		  nfiles;	/* (SHA256SUMS included) */
	uint64_t	  total_bytes;	/* their sizes added up */
};

/*
 * Unpack archive_path into dest_dir, which must exist and be empty, and
 * verify it.  Files are written 0644 and directories 0755 whatever the
 * archive says, with O_NOFOLLOW|O_EXCL relative to dest_dir's descriptor,
 * one path component at a time, so nothing is written outside it.
 *
 * Refused with EXIT_INTEGRITY, naming the archive (and the entry):
 * absolute paths, ".." components, symbolic and hard links of any kind,
 * device, fifo and socket entries, duplicate paths, an entry over
 * max_entry, a total over max_total or max_entries, the zip-bomb ratio,
 * a truncated or corrupt archive, no adapter.yaml at the top level, no
 * SHA256SUMS, a file SHA256SUMS does not list, a listed file that is not
 * there, and a checksum that does not match (hashed as it is unpacked).
 *
 * On any error everything written into dest_dir is removed again (dest_dir
 * itself is left for the caller), so a caller that renames dest_dir into
 * place only on success never installs half a package.  *out is filled
 * only on success; release it with package_manifest_release().
 */
struct error	*package_unpack(const char *archive_path,
		    const char *dest_dir, const struct package_limits *,
		    struct package_manifest *out);
void		 package_manifest_release(struct package_manifest *);

/*
 * Pack the regular files under dir into a gzip-compressed tar at out_path:
 * first (re)write dir/SHA256SUMS for every other file, sorted by path,
 * then archive them all with mode 0644.  Symbolic links and special files
 * in dir are errors, and so is a dir without adapter.yaml.  The archive is
 * written to out_path.tmp, synced and renamed, so out_path is either the
 * old file or the complete new one; it must not be inside dir.
 */
struct error	*package_create(const char *dir, const char *out_path);

/*
 * A package may carry a Hugging Face PEFT LoRA folder instead of its
 * GGUF: peft/adapter_config.json and peft/adapter_model.safetensors, with
 * adapter.yaml's file naming adapter.gguf.  package_convert_peft() turns
 * DIR/peft into DIR/adapter.gguf (peft.h) after unpacking and before the
 * package is checked; *converted says whether there was a folder.  base
 * is the base model's GGUF to check shapes against, or NULL to convert
 * unchecked for arch.  A package holding both peft/ and adapter.gguf is
 * refused (EXIT_INTEGRITY): which one would run?
 */
#define PACKAGE_PEFT		"peft"
#define PACKAGE_PEFT_GGUF	"adapter.gguf"
struct error	*package_convert_peft(const char *dir, const char *base,
		    const char *arch, int *converted);
/*
 * Read a whole file that may be gzip-compressed (by content, not name),
 * at most max bytes once uncompressed.  *data is NUL-terminated.
 */
struct error	*package_read_file(const char *path, size_t max, char **data,
		    size_t *len);

#endif
