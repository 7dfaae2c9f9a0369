/*
 * ensemble.h: who votes in a cross-adapter ensemble, and with what weight
 * (loco query --ensemble, loco eval --ensemble).
 *
 * The members are the active adapters of a domain, in registry order, or
 * a named set ("math,math-b@1.1.0").  Each member's weight is its
 * recorded accuracy: that of the latest result archived for its
 * DOMAIN/NAME@VERSION by loco eval (results.h), unless that result's
 * benchmark has changed since (stale).  A member with no such result
 * weighs 1, as an unweighted vote would.  The members are then ordered by
 * weight, highest first, registry order on a tie: the best is asked first
 * and wins a tie, and early stopping can skip the weakest.
 */
#ifndef LOCO_ENSEMBLE_H
#define LOCO_ENSEMBLE_H

#include <stddef.h>

#include "error.h"
#include "registry.h"

struct ensemble_member {
	const struct adapter	*adapter;
	double			 weight;
	double			 accuracy;	/* recorded; NAN: none */
	/*
	 * Where the weight came from: "recorded", "none", "stale", or
	 * "unweighted" (recorded, but another member has no record, so
	 * every member weighs 1).
	 */
	const char		*source;
	char			*result;	/* the results file, or NULL */
};

struct ensemble {
	struct ensemble_member	*m;
	size_t			 n;
};

/*
 * The members: names, comma-separated (NAME or NAME@VERSION), or NULL for
 * the active adapters of domain.  Errors (EXIT_USAGE): an unknown or
 * repeated name, an empty list, a domain with no active adapter.
 */
struct error	*ensemble_select(const struct registry *, const char *names,
		    const char *domain, struct ensemble *);
void		 ensemble_release(struct ensemble *);
/* "math@1.0.0" (allocated). */
char		*ensemble_member_name(const struct ensemble_member *);

#endif
