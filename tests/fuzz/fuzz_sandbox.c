/*
 * fuzz_sandbox.c: the sandbox's policy parser (sandbox.require and
 * LOCO_SANDBOX_TEST_DISABLE): sandbox_policy_parse on the input.  A
 * policy that parses names only known protections, reads back the same
 * from its own description, and sandbox_policy_missing agrees with it on
 * every mask the input's last bytes give.
 */
#include "fuzz.h"
#include "sandbox.h"
#include "strbuf.h"

#define KNOWN	((1u << 11) - 1)

static int
met(const struct sandbox_policy *p, unsigned mask)
{
	return (mask & p->all) == p->all && (p->any == 0 || (mask & p->any));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sandbox_policy p, q;
	struct strbuf sb = STRBUF_INIT, miss = STRBUF_INIT;
	struct error *err;
	char *text = fuzz_cstr(data, size);
	unsigned mask;
	size_t i;

	err = sandbox_policy_parse(text, &p);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_CONFIG);
		fuzz_error_free(err);
		free(text);
		return 0;
	}
	FUZZ_CHECK((p.all & ~KNOWN) == 0 && (p.any & ~KNOWN) == 0);
	FUZZ_CHECK(p.any == 0 || p.any == SANDBOX_ESSENTIAL_ANY);
	/* Its description, plus essential when it holds the either-or. */
	sandbox_protections_describe(p.all, &sb);
	if (p.any != 0)
		(void)strbuf_addstr(&sb, " essential");
	FUZZ_CHECK(sandbox_policy_parse(sb.buf, &q) == NULL);
	FUZZ_CHECK(q.all == p.all && q.any == p.any);
	for (i = 0; i + 1 < size && i < 16; i += 2) {
		mask = ((unsigned)data[size - 1 - i] << 8 |
		    data[size - 2 - i]) & KNOWN;
		strbuf_reset(&miss);
		FUZZ_CHECK(sandbox_policy_missing(&p, mask, &miss) ==
		    !met(&p, mask));
		FUZZ_CHECK((miss.len == 0) == met(&p, mask));
	}
	strbuf_release(&sb);
	strbuf_release(&miss);
	free(text);
	return 0;
}
