/*
 * report_cases.h: the per-case view of loco report --format html.
 */
#ifndef LOCO_REPORT_CASES_H
#define LOCO_REPORT_CASES_H

#include "results.h"
#include "strbuf.h"

/*
 * Every case of a result's run, from its log.jsonl: a <details> with the
 * case id, the question (a long one shortened, whole in its title), the
 * expected answer, and the adapter's and the base's answers, each marked
 * right or wrong; the cases the adapter got wrong first, then those only
 * the base got wrong, then the rest, each group by id.  The run is the
 * directory the results.json is in, else the one it names; when it cannot
 * be read the section says why.
 */
void	report_cases_html(struct strbuf *, const struct result *);

#endif
