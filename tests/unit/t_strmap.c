/* t_strmap.c: the string hash table, through growth and collisions. */
#include <stdio.h>
#include <stdlib.h>

#include "strmap.h"
#include "util.h"
#include "unit.h"

TEST(strmap_add_get)
{
	struct strmap *m = strmap_new(0);
	size_t v = 99;

	CHECK_INT(strmap_count(m), 0);
	CHECK_INT(strmap_get(m, "a", &v), 0);
	CHECK_INT(v, 99);
	CHECK_INT(strmap_add(m, "a", 1, NULL), 1);
	CHECK_INT(strmap_add(m, "", 2, NULL), 1);
	CHECK_INT(strmap_add(m, "a", 3, &v), 0);
	CHECK_INT(v, 1);			/* the first value stays */
	CHECK_INT(strmap_get(m, "a", &v), 1);
	CHECK_INT(v, 1);
	CHECK_INT(strmap_get(m, "", &v), 1);
	CHECK_INT(v, 2);
	CHECK_INT(strmap_get(m, "b", NULL), 0);
	CHECK_INT(strmap_count(m), 2);
	strmap_free(m);
	strmap_free(NULL);
}

TEST(strmap_grows)
{
	enum { N = 5000 };
	char **keys = xcalloc(N, sizeof(*keys));
	struct strmap *m = strmap_new(0);
	size_t i, v, bad = 0;

	for (i = 0; i < N; i++) {
		keys[i] = xasprintf("case-%zu", i);
		if (strmap_add(m, keys[i], i, NULL) != 1)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(strmap_count(m), N);
	for (i = 0; i < N; i++)
		if (strmap_get(m, keys[i], &v) != 1 || v != i ||
		    strmap_add(m, keys[i], 0, &v) != 0 || v != i)
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(strmap_get(m, "case-5000", NULL), 0);
	strmap_free(m);
	for (i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
}
