/*
 * state.h: loco's own bookkeeping in $LOCO_HOME/state.json: what it has
 * registered on which server (so an unchanged adapter costs no upload and
 * no create), and file hashes keyed by size and modification time (so an
 * unchanged multi-gigabyte GGUF is not hashed again).  Machine-written
 * JSON, replaced atomically; a damaged file is set aside, not fatal.
 */
#ifndef LOCO_STATE_H
#define LOCO_STATE_H

#include "error.h"

struct state;

/* Load path (a missing file is an empty state). */
struct error	*state_load(const char *path, struct state **);
/* Write it back if anything changed. */
struct error	*state_save(struct state *);
void		 state_free(struct state *);

/* The registration of model on server, or NULL values when unknown. */
void		 state_get_model(const struct state *, const char *server,
		    const char *model, const char **request,
		    const char **digest);
void		 state_set_model(struct state *, const char *server,
		    const char *model, const char *request,
		    const char *digest);
void		 state_forget_model(struct state *, const char *server,
		    const char *model);
/* A cached hash for path with this size and mtime, or NULL. */
const char	*state_get_hash(const struct state *, const char *path,
		    long long size, long long mtime_ns);
void		 state_set_hash(struct state *, const char *path,
		    long long size, long long mtime_ns, const char *hex);

#endif
