/*
 * t_history.c: the history file: ids, what a record keeps, feedback,
 * filters, clearing, torn and malformed lines, and concurrent appends.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "history.h"
#include "vote.h"
#include "unit.h"

static char *
hpath(void)
{
	return xasprintf("%s/home/history.jsonl", unit_tmpdir());
}

static void
record(struct history_record *r, const char *question, const char *adapter)
{
	memset(r, 0, sizeof(*r));
	r->kind = "query";
	r->question = question;
	r->adapter = adapter;
	r->model = adapter ? "loco-x:1.0.0" : "qwen3:4b";
	r->route = "router";
	r->confidence = NAN;
	r->answer = "an answer";
}

/* Append and check the id given. */
static void
append(const char *path, const struct history_record *r, const char *want)
{
	char *id = NULL;

	CHECK_OK(history_append_file(path, r, &id));
	CHECK_STR(id, want);
	free(id);
}

static char *
slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	CHECK_OK(fs_read_file(path, 1u << 26, &data, &len));
	return data;
}

static void
put(const char *path, const char *text)
{
	CHECK_OK(fs_write_atomic(path, text, strlen(text)));
}

TEST(history_append_keeps_everything)
{
	struct history_record r;
	struct vote_result vr;
	struct vote_group groups[2] = { { "51", 3, 0, 3 }, { "50", 1, 1, 1 } };
	struct history h;
	struct stat st;
	char *path = hpath();
	const struct history_entry *e;

	record(&r, "What is 2+2?\nReally?", "math");
	r.answer = "The answer is: 4\n\"caf\xc3\xa9\"\t\x01";
	r.confidence = 0.87654321;
	r.prompt_tokens = 30;
	r.answer_tokens = 10;
	r.wall_ns = 1500000000LL;
	r.load_ns = 250000000LL;
	r.eval_ns = 123456789LL;
	append(path, &r, "1");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	memset(&vr, 0, sizeof(vr));
	vr.method = VOTE_MAJORITY;
	vr.tally.groups = groups;
	vr.tally.ngroups = 2;
	vr.tally.invalid = 1;
	vr.completed = 5;
	vr.n = 5;
	vr.answer = "51";
	vr.confidence = 0.6;
	record(&r, "What is 25+26?", NULL);
	r.vote = &vr;
	r.interrupted = 1;
	r.session = "s1";
	r.kind = "chat";
	append(path, &r, "2");

	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 2);
	CHECK_INT(h.nrecords, 2);
	CHECK_INT(h.last_id, 2);
	CHECK_INT(h.nwarnings, 0);
	e = &h.v[0];
	CHECK_INT(e->id, 1);
	CHECK_STR(e->kind, "query");
	CHECK(e->time != NULL && strlen(e->time) == 20 && e->time[19] == 'Z');
	CHECK(e->session == NULL);
	CHECK_STR(e->question, "What is 2+2?\nReally?");
	CHECK_STR(e->answer, "The answer is: 4\n\"caf\xc3\xa9\"\t\x01");
	CHECK_STR(e->adapter, "math");
	CHECK_STR(e->model, "loco-x:1.0.0");
	CHECK_STR(e->route, "router");
	CHECK_DBL(e->confidence, 0.8765, 1e-12);
	CHECK_INT(e->prompt_tokens, 30);
	CHECK_INT(e->answer_tokens, 10);
	CHECK_INT(e->wall_ns, 1500000000LL);
	CHECK_INT(e->load_ns, 250000000LL);
	CHECK_INT(e->eval_ns, 123456789LL);
	CHECK_INT(e->interrupted, 0);
	CHECK(e->vote == NULL);
	CHECK(e->feedback == NULL);
	e = &h.v[1];
	CHECK_INT(e->id, 2);
	CHECK_STR(e->kind, "chat");
	CHECK_STR(e->session, "s1");
	CHECK(e->adapter == NULL);
	CHECK(isnan(e->confidence));
	CHECK_INT(e->interrupted, 1);
	CHECK(e->vote != NULL);
	if (e->vote != NULL) {
		CHECK_STR(e->vote->method, "majority");
		CHECK_STR(e->vote->answer, "51");
		CHECK_INT(e->vote->ngroups, 2);
		CHECK_STR(e->vote->groups[0].answer, "51");
		CHECK_INT(e->vote->groups[0].count, 3);
		CHECK_STR(e->vote->groups[1].answer, "50");
		CHECK_INT(e->vote->groups[1].count, 1);
		CHECK_INT(e->vote->invalid, 1);
		CHECK_INT(e->vote->samples, 5);
		CHECK_DBL(e->vote->confidence, 0.6, 1e-12);
	}
	history_release(&h);
	history_release(&h);	/* harmless twice */
	free(path);
}

TEST(history_missing_file_is_empty)
{
	struct history h;
	char *path = hpath();

	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 0);
	CHECK_INT(h.last_id, 0);
	history_release(&h);
	CHECK(!fs_exists(path));
	free(path);
}

TEST(history_off_writes_nothing)
{
	struct history_record r;
	struct config cfg;
	char *home = xasprintf("%s/home", unit_tmpdir()), *id = NULL;
	char *old = getenv("LOCO_HOME") ? xstrdup(getenv("LOCO_HOME")) : NULL;
	char *path = hpath(), *got;

	setenv("LOCO_HOME", home, 1);
	got = history_path();
	CHECK_STR(got, path);
	free(got);
	config_init(&cfg);
	CHECK_INT(cfg.history, 1);
	CHECK_OK(config_set(&cfg, "inference.history", "false",
	    CONFIG_SRC_FLAG));
	record(&r, "q", NULL);
	CHECK_OK(history_append(&cfg, &r, &id));
	CHECK(id == NULL);
	CHECK(!fs_exists(path));
	CHECK_OK(config_set(&cfg, "inference.history", "true",
	    CONFIG_SRC_FLAG));
	CHECK_OK(history_append(&cfg, &r, &id));
	CHECK_STR(id, "1");
	free(id);
	CHECK(fs_exists(path));
	config_free(&cfg);
	if (old != NULL)
		setenv("LOCO_HOME", old, 1);
	else
		unsetenv("LOCO_HOME");
	free(old);
	free(path);
	free(home);
}

TEST(history_feedback_last_verdict_wins)
{
	struct history_record r;
	struct history h;
	char *path = hpath();

	record(&r, "one", "math");
	append(path, &r, "1");
	record(&r, "two", "code");
	append(path, &r, "2");
	CHECK_OK(history_feedback(path, "1", "good"));
	CHECK_OK(history_feedback(path, "2", "good"));
	CHECK_OK(history_feedback(path, "1", "bad"));
	CHECK_ERR(history_feedback(path, "3", "good"),
	    "no entry '3' in the history; see 'loco history'");
	CHECK_ERR(history_feedback(path, "x\x1b", "good"),
	    "no entry 'x?' in the history; see 'loco history'");
	CHECK_ERR(history_feedback(path, "0", "good"),
	    "no entry '0' in the history; see 'loco history'");
	CHECK_ERR(history_feedback(path, "1", "meh"),
	    "the verdict must be good or bad, not 'meh'");
	/* A feedback line takes no id: the next record is 3. */
	record(&r, "three", NULL);
	append(path, &r, "3");
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 3);
	CHECK_STR(h.v[0].feedback, "bad");
	CHECK_STR(h.v[1].feedback, "good");
	CHECK(h.v[2].feedback == NULL);
	history_release(&h);
	free(path);
}

TEST(history_filters)
{
	struct history_record r;
	struct history_filter f;
	struct history h;
	char *path = hpath();

	record(&r, "What is the DERIVATIVE of x^2?", "math");
	append(path, &r, "1");
	record(&r, "Write a poem", "writing");
	r.answer = "Roses are red";
	append(path, &r, "2");
	record(&r, "hello", NULL);
	append(path, &r, "3");
	record(&r, "integral of x", "math");
	r.session = "abc";
	append(path, &r, "4");

	memset(&f, 0, sizeof(f));
	f.limit = 2;
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 2);
	CHECK_INT(h.v[0].id, 3);
	CHECK_INT(h.v[1].id, 4);
	CHECK_INT(h.nrecords, 4);
	history_release(&h);

	memset(&f, 0, sizeof(f));
	f.search = "derivative";
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	CHECK_INT(h.v[0].id, 1);
	history_release(&h);

	f.search = "ROSES";		/* in the answer */
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	CHECK_INT(h.v[0].id, 2);
	history_release(&h);

	f.search = "writ";		/* the adapter, and the question */
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	history_release(&h);

	f.search = "nothing like it";
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 0);
	history_release(&h);

	memset(&f, 0, sizeof(f));
	f.adapter = "math";
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 2);
	history_release(&h);
	f.adapter = "none";
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	CHECK_INT(h.n > 0 ? h.v[0].id : 0, 3);
	history_release(&h);

	memset(&f, 0, sizeof(f));
	f.session = "abc";
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	CHECK_INT(h.n > 0 ? h.v[0].id : 0, 4);
	history_release(&h);

	/* The limit applies after the filter, over a long file. */
	memset(&f, 0, sizeof(f));
	f.adapter = "math";
	f.limit = 1;
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 1);
	CHECK_INT(h.n > 0 ? h.v[0].id : 0, 4);
	history_release(&h);
	free(path);
}

TEST(history_limit_keeps_the_last)
{
	struct history_record r;
	struct history_filter f;
	struct history h;
	char *path = hpath(), want[16];
	int i;

	record(&r, "q", NULL);
	for (i = 1; i <= 50; i++) {
		snprintf(want, sizeof(want), "%d", i);
		append(path, &r, want);
	}
	memset(&f, 0, sizeof(f));
	f.limit = 7;
	CHECK_OK(history_read(path, &f, &h));
	CHECK_INT(h.n, 7);
	for (i = 0; i < 7 && (size_t)i < h.n; i++)
		CHECK_INT(h.v[i].id, 44 + i);
	history_release(&h);
	free(path);
}

TEST(history_bad_lines_are_skipped_with_warnings)
{
	struct history_record r;
	struct history h;
	char *path = hpath(), *w;
	const char *good = "{\"id\":1,\"kind\":\"query\",\"question\":\"q1\","
	    "\"answer\":\"a1\"}\n";

	record(&r, "q", NULL);
	append(path, &r, "1");	/* makes the directory */
	w = xasprintf("%s"
	    "garbage\n"
	    "\n"
	    "[1,2]\n"
	    "{\"kind\":\"query\",\"question\":\"no id\"}\n"
	    "{\"id\":2.5,\"kind\":\"query\"}\n"
	    "{\"id\":2}\n"
	    "{\"id\":3,\"kind\":\"from-the-future\"}\n"
	    "{\"kind\":\"feedback\",\"ref\":1,\"verdict\":\"great\"}\n"
	    "{\"id\":4,\"kind\":\"chat\",\"question\":\"q4\"} trailing\n"
	    "{\"id\":5,\"kind\":\"chat\",\"question\":\"q5\",\"answer\":7}\n"
	    "{\"id\":6,\"kind\":\"query\",\"question\":\"q6\",\"ans", good);
	put(path, w);
	free(w);
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 2);
	CHECK_INT(h.n > 1 ? h.v[1].id : 0, 5);
	CHECK_STR(h.n > 1 ? h.v[1].answer : NULL, "");
	CHECK_INT(h.nwarnings, 8);
	CHECK_INT(h.nbad, 8);
	if (h.nwarnings == 8) {
		w = xasprintf("%s:2: not a JSON object; skipped", path);
		CHECK_STR(h.warnings[0], w);
		free(w);
		w = xasprintf("%s:4: not a JSON object; skipped", path);
		CHECK_STR(h.warnings[1], w);
		free(w);
		w = xasprintf("%s:5: a record without a valid \"id\"; skipped",
		    path);
		CHECK_STR(h.warnings[2], w);
		free(w);
		w = xasprintf("%s:6: a record without a valid \"id\"; skipped",
		    path);
		CHECK_STR(h.warnings[3], w);
		free(w);
		w = xasprintf("%s:7: no \"kind\"; skipped", path);
		CHECK_STR(h.warnings[4], w);
		free(w);
		w = xasprintf("%s:9: feedback without a valid \"ref\" and "
		    "\"verdict\"; skipped", path);
		CHECK_STR(h.warnings[5], w);
		free(w);
		w = xasprintf("%s:10: not a JSON object; skipped", path);
		CHECK_STR(h.warnings[6], w);
		free(w);
		w = xasprintf("%s:12: the last record is cut short; skipped",
		    path);
		CHECK_STR(h.warnings[7], w);
		free(w);
	}
	history_release(&h);

	/*
	 * The next append ends the torn line first, so the new record is
	 * whole, and numbers on from the last good record.
	 */
	record(&r, "after the crash", NULL);
	append(path, &r, "6");
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 3);
	CHECK_STR(h.n > 2 ? h.v[2].question : NULL, "after the crash");
	CHECK_INT(h.nbad, 8);
	w = xasprintf("%s:12: not a JSON object; skipped", path);
	CHECK_STR(h.nwarnings == 8 ? h.warnings[7] : NULL, w);
	free(w);
	history_release(&h);
	free(path);
}

TEST(history_warnings_are_capped)
{
	struct history h;
	char *path = hpath(), *dir = path_dirname(path), *text, *more;
	int i;

	text = xstrdup("");
	for (i = 0; i < 25; i++) {
		more = xasprintf("%sbad line %d\n", text, i);
		free(text);
		text = more;
	}
	CHECK_OK(fs_mkdirs(dir, 0));
	put(path, text);
	free(text);
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 0);
	CHECK_INT(h.nwarnings, HISTORY_WARNINGS_MAX);
	CHECK_INT(h.nbad, 25);
	history_release(&h);
	free(dir);
	free(path);
}

TEST(history_ids_found_past_a_long_answer)
{
	struct history_record r;
	char *path = hpath(), *big;
	size_t n = 300000;

	/* The last record's line is longer than the first tail read. */
	big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	record(&r, "short", NULL);
	append(path, &r, "1");
	record(&r, "long", NULL);
	r.answer = big;
	append(path, &r, "2");
	CHECK_OK(history_feedback(path, "2", "good"));
	CHECK_OK(history_feedback(path, "1", "bad"));
	record(&r, "next", NULL);
	append(path, &r, "3");
	free(big);
	free(path);
}

TEST(history_ids_run_out)
{
	struct history_record r;
	char *path = hpath(), *dir = path_dirname(path), *want;

	CHECK_OK(fs_mkdirs(dir, 0));
	put(path, "{\"id\":999999999999998,\"kind\":\"query\"}\n");
	record(&r, "q", NULL);
	append(path, &r, "999999999999999");
	want = xasprintf("'%s' has run out of ids", path);
	CHECK_ERR(history_append_file(path, &r, NULL), want);
	free(want);
	free(dir);
	free(path);
}

TEST(history_clear_keeps_numbering)
{
	struct history_record r;
	struct history h;
	char *path = hpath(), *text;
	size_t removed = 99;
	struct stat st;

	CHECK_OK(history_clear(path, &removed));	/* nothing there */
	CHECK_INT(removed, 0);
	CHECK(!fs_exists(path));
	record(&r, "q", NULL);
	append(path, &r, "1");
	append(path, &r, "2");
	CHECK_OK(history_feedback(path, "2", "good"));
	CHECK_OK(history_clear(path, &removed));
	CHECK_INT(removed, 2);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	text = slurp(path);
	CHECK(text != NULL && strstr(text, "\"kind\":\"clear\"") != NULL &&
	    strstr(text, "\"last_id\":2") != NULL);
	CHECK(text != NULL && strchr(text, '\n') == text + strlen(text) - 1);
	free(text);
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 0);
	CHECK_INT(h.nwarnings, 0);
	CHECK_INT(h.last_id, 2);
	history_release(&h);
	CHECK_ERR(history_feedback(path, "2", "good"),
	    "no entry '2' in the history; see 'loco history'");
	append(path, &r, "3");
	free(path);
}

TEST(history_concurrent_appends)
{
	struct history_record r;
	struct history h;
	char *path = hpath();
	int i, k, status, ok = 1;
	pid_t pids[4];
	char *seen;

	record(&r, "concurrent", NULL);
	append(path, &r, "1");
	fflush(NULL);
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			for (k = 0; k < 10; k++)
				if (history_append_file(path, &r, NULL) !=
				    NULL)
					_exit(1);
			_exit(0);
		}
		CHECK(pids[i] > 0);
	}
	for (i = 0; i < 4; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0))
			ok = 0;
	CHECK(ok);
	CHECK_OK(history_read(path, NULL, &h));
	CHECK_INT(h.n, 41);
	CHECK_INT(h.nwarnings, 0);
	seen = xcalloc(42, 1);
	for (i = 0; (size_t)i < h.n; i++)
		if (h.v[i].id >= 1 && h.v[i].id <= 41)
			seen[h.v[i].id]++;
	for (i = 1; i <= 41; i++)
		CHECK_INT(seen[i], 1);
	/* In file order too. */
	for (i = 0; (size_t)i < h.n; i++)
		CHECK_INT(h.v[i].id, i + 1);
	free(seen);
	history_release(&h);
	free(path);
}
