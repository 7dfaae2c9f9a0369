/*
 * strmap.h: a hash table from strings to indexes, for finding duplicates
 * and looking names up in linear time (a benchmark's case ids).  Open
 * addressing with linear probing, FNV-1a hashes, doubled at half full.
 *
 * Keys are not copied: each must stay unchanged and alive while the map
 * holds it (the strings of the array whose indexes are the values).
 */
#ifndef LOCO_STRMAP_H
#define LOCO_STRMAP_H

#include <stddef.h>

struct strmap;

/* A map sized for about hint keys (0: small); never NULL. */
struct strmap	*strmap_new(size_t hint);
void		 strmap_free(struct strmap *);
size_t		 strmap_count(const struct strmap *);
/*
 * Add key with value.  Return 1 if it was added; 0 if the key was there
 * already, its value then left as it was and stored in *old (if not NULL).
 */
int		 strmap_add(struct strmap *, const char *key, size_t value,
		    size_t *old);
/* 1 and the value in *value (if not NULL) when key is there, else 0. */
int		 strmap_get(const struct strmap *, const char *key,
		    size_t *value);

#endif
