/*
 * pindex.h: the adapter package index (loco-adapter(5)): a YAML or JSON
 * file, local or at a URL, listing packages with name, version, domain,
 * description, tags, url, size and sha256 (and optionally the base model
 * they were trained for).  Package URLs may be relative to the index.
 */
#ifndef LOCO_PINDEX_H
#define LOCO_PINDEX_H

#include <stddef.h>

#include "error.h"
#include "ollama.h"

struct index_entry {
	char		*name;
	char		*version;
	char		*domain;
	char		*description;
	char		**tags;
	size_t		 ntags;
	char		*url;		/* resolved: a URL or a local path */
	char		*sha256;
	long long	 size;
	char		*base_model;	/* or NULL: any */
	long long	 ceiling;	/* most bytes without a size, 0: 16 GiB */
};

struct pkg_index {
	char			*source;
	struct index_entry	*entries;
	size_t			 n;
};

/* Load an index from a path, file:// URL or http(s) URL. */
struct error		*index_load(const char *where, long connect_timeout,
			    struct pkg_index **);
void			 index_free(struct pkg_index *);
/*
 * The newest version of name (or exactly version) for base_tag: entries
 * made for another base model are skipped.  NULL when there is none.
 */
const struct index_entry *index_best(const struct pkg_index *,
			    const char *name, const char *version,
			    const char *base_tag);
/* Does the entry match a search term (name, domain, tags, description)? */
int			 index_match(const struct index_entry *,
			    const char *term);
/* The most a download of an entry without a size may take (bytes). */
void			 index_set_ceiling(struct pkg_index *,
			    long long bytes);
/*
 * Make the package available as a local file: a local entry is checked in
 * place; a URL is downloaded to $LOCO_HOME/tmp/downloads (resuming a
 * partial download, retrying up to three times), then its size and
 * SHA-256 are checked.  *path is allocated.
 *
 * A download stops at the index's size (EXIT_INTEGRITY) or, when the
 * index gives none, at the entry's ceiling; a known size is checked
 * against the free space first.  The partial file is kept for resuming
 * only when the size is known, and removed on any other failure or an
 * interrupt.
 */
struct error		*index_fetch(const struct index_entry *,
			    ollama_progress_fn, void *arg, char **path);

#endif
