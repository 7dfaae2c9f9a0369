/* strmap.c: a string-keyed hash table (see strmap.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"
#include "banned.h"

struct slot {
	const char	*key;		/* NULL: empty */
	uint64_t	 hash;
	size_t		 value;
};

struct strmap {
	struct slot	*slots;
	size_t		 size;		/* a power of two */
	size_t		 count;
};

struct strmap *
strmap_new(size_t hint)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->size = 16;
	while (m->size / 2 < hint) {
		if (m->size > SIZE_MAX / 4 / sizeof(*m->slots))
			fatal("strmap: %zu keys is too many", hint);
		m->size *= 2;
	}
	m->slots = xcalloc(m->size, sizeof(*m->slots));
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

/* The slot of key: the one holding it, else the empty one it would take. */
static struct slot *
find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->size - 1);
	struct slot *s;

	for (;; i = (i + 1) & (m->size - 1)) {
		s = &m->slots[i];
		if (s->key == NULL ||
		    (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

static void
grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t n = m->size, i;

	if (m->size > SIZE_MAX / 4 / sizeof(*m->slots))
		fatal("strmap: too many keys");
	m->size *= 2;
	m->slots = xcalloc(m->size, sizeof(*m->slots));
	for (i = 0; i < n; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
}

int
strmap_add(struct strmap *m, const char *key, size_t value, size_t *old)
{
	uint64_t h = str_hash(key);
	struct slot *s = find(m, key, h);

	if (s->key != NULL) {
		if (old != NULL)
			*old = s->value;
		return 0;
	}
	s->key = key;
	s->hash = h;
	s->value = value;
	/* At most half full, so probes stay short and an empty slot exists. */
	if (++m->count > m->size / 2)
		grow(m);
	return 1;
}

int
strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	const struct slot *s = find(m, key, str_hash(key));

	if (s->key == NULL)
		return 0;
	if (value != NULL)
		*value = s->value;
	return 1;
}
