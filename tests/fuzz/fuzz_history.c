/*
 * fuzz_history.c: history_read on a history file holding the input, as
 * loco history reads one damaged by a crash or an editor; then a record
 * appended to it, which must read back whole whatever the file held (a
 * torn last line must not swallow it), a verdict on it, and a clear.
 */
#include "fuzz.h"
#include "history.h"

static char	fuzz_lock[160];

static void
history_cleanup(void)
{
	if (fuzz_lock[0] != '\0')
		unlink(fuzz_lock);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init("history.jsonl");
	snprintf(fuzz_lock, sizeof(fuzz_lock), "%s.lock", fuzz_path);
	atexit(history_cleanup);
	return 0;
}

/* What any read must give; returns the number of records. */
static size_t
check_read(const struct history_filter *f, struct history *h)
{
	const unsigned char *p;
	size_t i, n;

	FUZZ_CHECK(history_read(fuzz_path, f, h) == NULL);
	FUZZ_CHECK(h->n <= h->nrecords);
	FUZZ_CHECK(f == NULL || f->limit == 0 || h->n <= f->limit);
	FUZZ_CHECK(h->nwarnings <= HISTORY_WARNINGS_MAX);
	FUZZ_CHECK(h->nwarnings <= h->nbad);
	for (i = 0; i < h->nwarnings; i++)
		for (p = (const unsigned char *)h->warnings[i]; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
	for (i = 0; i < h->n; i++) {
		const struct history_entry *e = &h->v[i];

		FUZZ_CHECK(e->id >= 1 && e->id <= h->last_id);
		FUZZ_CHECK(e->question != NULL && e->answer != NULL);
		FUZZ_CHECK(e->kind != NULL);
		FUZZ_CHECK(e->feedback == NULL ||
		    strcmp(e->feedback, "good") == 0 ||
		    strcmp(e->feedback, "bad") == 0);
		if (e->vote != NULL && e->vote->ngroups > 0)
			FUZZ_CHECK(e->vote->groups[0].answer != NULL);
	}
	n = h->nrecords;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct history_record r;
	struct history_filter f;
	struct history h;
	struct error *err;
	size_t before, bad;
	char *id = NULL;

	fuzz_file_write(data, size);
	before = check_read(NULL, &h);
	bad = h.nbad;
	history_release(&h);
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	f.search = "A";
	f.adapter = "none";
	check_read(&f, &h);
	history_release(&h);

	memset(&r, 0, sizeof(r));
	r.kind = "query";
	r.question = "fuzz question\n";
	r.answer = "fuzz answer";
	r.confidence = 0.5;
	if ((err = history_append_file(fuzz_path, &r, &id)) != NULL) {
		/* Only when the last id is the largest there can be. */
		fuzz_error_free(err);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	FUZZ_CHECK(check_read(&f, &h) == before + 1);
	FUZZ_CHECK(h.nbad == bad);
	FUZZ_CHECK(h.n == 1 && strcmp(h.v[0].question, "fuzz question\n") == 0);
	history_release(&h);

	FUZZ_CHECK(history_feedback(fuzz_path, id, "good") == NULL);
	check_read(&f, &h);
	FUZZ_CHECK(h.n == 1 && h.v[0].feedback != NULL &&
	    strcmp(h.v[0].feedback, "good") == 0);
	history_release(&h);

	FUZZ_CHECK(history_clear(fuzz_path, NULL) == NULL);
	FUZZ_CHECK(check_read(NULL, &h) == 0);
	FUZZ_CHECK(h.n == 0 && h.nbad == 0 && h.last_id >= 1);
	history_release(&h);
	free(id);
	return 0;
}
