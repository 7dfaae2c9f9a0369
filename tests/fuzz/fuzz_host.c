/*
 * fuzz_host.c: ollama_host_parse (OLLAMA_HOST, backend.host), model-name
 * normalisation and the chat request body built from registry parameters.
 *
 * Input: NUL-separated fields.  Field 0 is the host text; fields 1 and 2
 * are model names compared with ollama_name_equal; field 3 is keep_alive;
 * the rest are PARAMETER name/value pairs.
 */
#include <ctype.h>
#include <math.h>

#include "config.h"
#include "fuzz.h"
#include "json.h"
#include "ollama.h"
#include "registry.h"

#define MAXFIELDS 16

static void
check_host(const char *text)
{
	struct error *err;
	char *url = NULL;
	size_t len;

	err = ollama_host_parse(text, &url);
	if (err != NULL) {
		FUZZ_CHECK(url == NULL);
		fuzz_error_free(err);
		return;
	}
	FUZZ_CHECK(url != NULL);
	len = strlen(url);
	FUZZ_CHECK(strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0);
	FUZZ_CHECK(url[len - 1] != '/');
	free(url);
}

static void
check_names(const char *a, const char *b)
{
	char *na = ollama_name_normalize(a);
	char *nb;
	const char *p;

	for (p = na; *p != '\0'; p++)
		FUZZ_CHECK(!isupper((unsigned char)*p));
	/* Normalising is idempotent, and a name equals itself. */
	nb = ollama_name_normalize(na);
	FUZZ_CHECK(strcmp(na, nb) == 0);
	FUZZ_CHECK(ollama_name_equal(a, a));
	FUZZ_CHECK(ollama_name_equal(a, b) == ollama_name_equal(b, a));
	free(na);
	free(nb);
}

static void
check_body(const char *keep_alive, char **f, size_t nf)
{
	struct chat_message msgs[2] = {
		{ .role = "system", .content = "You are terse." },
		{ .role = "user", .content = "What is 2+2?" }
	};
	struct param params[MAXFIELDS / 2];
	struct chat_request cr;
	struct json *root;
	char *body;
	size_t i, np = 0;

	for (i = 0; i + 1 < nf && np < ARRAY_SIZE(params); i += 2, np++) {
		params[np].name = f[i];
		params[np].value = f[i + 1];
		params[np].is_number = f[i + 1][0] != '\0' &&
		    strchr("+-.0123456789", f[i + 1][0]) != NULL;
	}
	memset(&cr, 0, sizeof(cr));
	cr.model = "qwen3:4b";
	cr.messages = msgs;
	cr.nmessages = 2;
	cr.stream = 1;
	cr.think = 0;
	cr.keep_alive = keep_alive;
	cr.params = params;
	cr.nparams = np;
	cr.num_ctx = 4096;
	cr.temperature = NAN;
	cr.seed = 42;
	cr.num_predict = CONFIG_UNSET_INT;
	body = ollama_chat_body(&cr);
	root = json_parse(body, strlen(body), NULL);
	FUZZ_CHECK(json_is_object(root));
	FUZZ_CHECK(json_is_object(json_get(root, "options")));
	json_free(root);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *f[MAXFIELDS], *end = s + size;
	size_t nf = 0;
	char *p = s;

	/* Split at NULs: fuzz_cstr added the last one. */
	while (nf < MAXFIELDS && p <= end) {
		f[nf++] = p;
		p += strlen(p) + 1;
	}
	check_host(f[0]);
	check_names(nf > 1 ? f[1] : "qwen3", nf > 2 ? f[2] : "Qwen3:latest");
	check_body(nf > 3 ? f[3] : NULL, f + (nf > 4 ? 4 : nf),
	    nf > 4 ? nf - 4 : 0);
	free(s);
	return 0;
}
