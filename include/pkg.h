/*
 * pkg.h: installing, removing and promoting adapter packages.
 *
 * Installed packages live in $LOCO_HOME/adapters/NAME/VERSION/ (the
 * unpacked package: adapter.yaml, the GGUF, SHA256SUMS, ...), and
 * $LOCO_HOME/adapters/installed.yaml lists them with the promotions
 * (loco-registry(5)).  Every change takes the lock
 * $LOCO_HOME/adapters/.lock, unpacks and checks in a temporary directory
 * under $LOCO_HOME, renames into place, and only then replaces
 * installed.yaml atomically: a crash or Ctrl-C at any point leaves the
 * installed state as it was (at worst an unreferenced directory, which
 * the next install of that version clears).  --force swaps the new copy
 * with the old in one step (fs_exchange); where it cannot, a kill
 * between its two renames leaves a dangling entry, which the registry
 * skips with a warning and install or remove repairs.
 */
#ifndef LOCO_PKG_H
#define LOCO_PKG_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

struct pkg_promotion {
	char	*domain;
	char	*pick;		/* NAME@VERSION */
};

/* The last standard evaluation of an adapter (installed.yaml "scores"). */
struct pkg_score {
	char	*pick;		/* NAME@VERSION */
	double	 accuracy;
	double	 base_accuracy;
	double	 p;
	long	 n;
	char	*benchmark_sha256;
	char	*date;
};

struct installed {
	char			*path;		/* installed.yaml */
	char			*dir;		/* its directory */
	char			*base;		/* base_model tag, or NULL */
	char			**packages;	/* "NAME/VERSION" */
	size_t			 npackages;
	struct pkg_promotion	*active;
	size_t			 nactive;
	struct pkg_score	*scores;
	size_t			 nscores;
};

/* Read installed.yaml (missing: empty). */
struct error	*installed_load(struct installed *);
/* Write it atomically. */
struct error	*installed_save(const struct installed *);
void		 installed_release(struct installed *);
int		 installed_find(const struct installed *, const char *name,
		    const char *version);
/*
 * Is package i of the list on disk?  0 when its adapter.yaml is missing:
 * a dangling entry a crash or a hand left behind.
 */
int		 installed_present(const struct installed *, size_t i);
void		 installed_promote(struct installed *, const char *domain,
		    const char *pick);
void		 installed_set_score(struct installed *,
		    const struct pkg_score *);

/* Take the adapters lock ($LOCO_HOME/adapters/.lock). */
struct error	*pkg_lock(int *fd);

/*
 * Install the package archive at path into $LOCO_HOME for registry r.
 * *name and *version (allocated) say what was installed.  force: replace
 * an installed copy of the same version.  want_name and want_version (may
 * be NULL) are what an index promised: a package holding something else
 * is refused.
 */
struct error	*pkg_install(const struct registry *r, const char *path,
		    int force, const char *want_name, const char *want_version,
		    char **name, char **version);
/*
 * Install an adapter made from its parts (loco adapters add): writes
 * adapter.yaml from the given entry (file, if any, is copied in).
 */
struct error	*pkg_install_parts(const struct registry *r, const struct adapter *a,
		    int force);
/* Remove NAME@VERSION from installed.yaml, then its directory. */
struct error	*pkg_remove(const char *name, const char *version);
/* Record an adapter's standard evaluation (replacing the last one). */
struct error	*pkg_record_score(const struct adapter *a, const char *base_tag,
		    const struct pkg_score *score);
/* Make NAME@VERSION the active adapter of its domain. */
struct error	*pkg_promote(const struct adapter *a, const char *base_tag);

/* An adapter entry as adapter.yaml text (for pkg_install_parts); free it. */
char		*pkg_adapter_yaml(const struct adapter *a, const char *file);

#endif
