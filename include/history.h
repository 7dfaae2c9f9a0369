/* TEMPORARY STUB: replaced by the history branch */
#ifndef LOCO_HISTORY_H
#define LOCO_HISTORY_H
#include "config.h"
#include "error.h"
struct vote_result;
struct history_record {
	const char *kind; const char *session; const char *question;
	const char *adapter; const char *model; const char *route;
	double confidence; const char *answer;
	long long prompt_tokens, answer_tokens; long long wall_ns, load_ns, eval_ns;
	const struct vote_result *vote; int interrupted;
};
struct error *history_append(const struct config *cfg, const struct history_record *r, char **id);
#endif
