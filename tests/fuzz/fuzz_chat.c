/*
 * fuzz_chat.c: the backends' reading of replies (backend_chat and
 * chat_batch with Ollama's NDJSON line handler, llama-server's or an OpenAI
 * server's event stream or whole reply, error bodies, /api/tags, /api/show, /api/version, /props,
 * /lora-adapters) with the network taken out.
 *
 * This target defines http_perform(), the http_multi_* calls and the
 * http_response helpers itself, so the linker takes them from here instead
 * of from http.o (the library is linked as an archive): backend.c,
 * ollama.c and llama.c run unchanged and the "server" replies with the
 * fuzz input.
 *
 * Input: byte 0 picks the HTTP status (most values 200, which is streamed
 * to the caller's on_data; otherwise 400, 404 or 500, buffered as an error
 * body); byte 1: bit 0 makes the piece callback fail on a piece holding
 * '!', bit 1 runs two chats at once with chat_batch instead of
 * backend_chat, bit 2 then cancels the second one, bit 3 makes it a plain
 * JSON request instead (the models, Ollama's /api/show or the version, by
 * bits 4-5), bit 6 asks llama-server instead of Ollama, bit 7 an OpenAI
 * server (both: the OpenAI one); bytes 2..5 are
 * chunk sizes (0: the rest); the rest is the body.
 */
#include "fuzz.h"
#include "config.h"
#include "http.h"
#include "backend.h"
#include "ollama.h"
#include "strbuf.h"

#define NSIZES 4

static const uint8_t	*body;
static size_t		 bodylen;
static long		 status;
static size_t		 sizes[NSIZES];

void
http_response_init(struct http_response *resp)
{
	resp->status = 0;
	strbuf_init(&resp->body, 0);
	resp->content_type = NULL;
	resp->retry_after = -1;
}

void
http_response_release(struct http_response *resp)
{
	strbuf_release(&resp->body);
	free(resp->content_type);
	resp->content_type = NULL;
	resp->status = 0;
}

/* One transfer as http.c does it, with the body from the fuzz input. */
static struct error *
fake_transfer(const struct http_request *req, struct http_response *resp)
{
	size_t off, n, i;

	http_response_release(resp);
	strbuf_init(&resp->body, req->max_body ? req->max_body :
	    64u * 1024 * 1024);
	resp->status = status;
	resp->content_type = xstrdup("application/x-ndjson");
	for (off = 0, i = 0; off < bodylen; off += n, i++) {
		n = sizes[i % NSIZES];
		if (n == 0 || n > bodylen - off)
			n = bodylen - off;
		if (req->on_data != NULL && status >= 200 && status < 300) {
			if (req->on_data((const char *)body + off, n,
			    req->arg) != 0)
				return error_new(EXIT_FAIL, "aborted");
		} else if (strbuf_add(&resp->body, body + off, n) == -1)
			return error_new(EXIT_FAIL, "response body larger "
			    "than %zu bytes", resp->body.cap);
	}
	return NULL;
}

struct error *
http_perform(const struct http_request *req, struct http_response *resp)
{
	return fake_transfer(req, resp);
}

/* Transfers run one after the other, in slot order, inside wait. */
struct http_multi {
	const struct http_request	**req;
	struct http_response		**resp;
	size_t				  n;
	size_t				  running;
};

struct http_multi *
http_multi_new(size_t nslots)
{
	struct http_multi *m = xcalloc(1, sizeof(*m));

	m->n = nslots;
	m->req = xcalloc(nslots + 1, sizeof(*m->req));
	m->resp = xcalloc(nslots + 1, sizeof(*m->resp));
	return m;
}

void
http_multi_add(struct http_multi *m, size_t id, const struct http_request *req,
    struct http_response *resp)
{
	FUZZ_CHECK(id < m->n && m->req[id] == NULL);
	m->req[id] = req;
	m->resp[id] = resp;
	m->running++;
}

int
http_multi_wait(struct http_multi *m, size_t *id, struct error **err)
{
	return http_multi_wait_until(m, 0, id, err);
}

int
http_multi_wait_until(struct http_multi *m, long long deadline, size_t *id,
    struct error **err)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->req[i] == NULL)
			continue;
		*id = i;
		*err = fake_transfer(m->req[i], m->resp[i]);
		m->req[i] = NULL;
		m->running--;
		return 1;
	}
	*err = NULL;
	return 0;
}

void
http_multi_cancel(struct http_multi *m, size_t id)
{
	if (id < m->n && m->req[id] != NULL) {
		m->req[id] = NULL;
		m->running--;
	}
}

size_t
http_multi_running(const struct http_multi *m)
{
	return m->running;
}

void
http_multi_free(struct http_multi *m)
{
	if (m == NULL)
		return;
	FUZZ_CHECK(m->running == 0);
	free(m->req);
	free(m->resp);
	free(m);
}

struct pieces {
	int		 fail;
	size_t		 clen;
	size_t		 tlen;
};

static struct error *
on_piece(const char *content, size_t clen, const char *thinking, size_t tlen,
    void *arg)
{
	struct pieces *p = arg;

	FUZZ_CHECK(strlen(content) == clen);
	FUZZ_CHECK(strlen(thinking) == tlen);
	FUZZ_CHECK(clen > 0 || tlen > 0);
	p->clen += clen;
	p->tlen += tlen;
	if (p->fail && memchr(content, '!', clen) != NULL)
		return error_new(EXIT_FAIL, "stopped by the caller");
	return NULL;
}

/* Two chats at once; the second may be cancelled once the first ends. */
static void
batch(struct backend *be, const struct chat_request *cr, int cancel)
{
	struct chat_batch *b = chat_batch_new(be, 2);
	struct chat_result res;
	struct error *err;
	size_t id, ended = 0;

	chat_result_init(&res);
	chat_batch_start(b, 0, cr);
	chat_batch_start(b, 1, cr);
	FUZZ_CHECK(chat_batch_running(b) == 2);
	while (chat_batch_next(b, &id, &res, &err)) {
		FUZZ_CHECK(id < 2);
		FUZZ_CHECK(res.content != NULL && res.thinking != NULL);
		fuzz_error_free(err);
		ended++;
		if (cancel)
			chat_batch_cancel(b, 1);
	}
	FUZZ_CHECK(ended == (cancel ? 1u : 2u));
	FUZZ_CHECK(chat_batch_running(b) == 0);
	chat_result_release(&res);
	chat_batch_free(b);
}

/* The JSON requests: the models, /api/show, the version. */
static void
plain(struct backend *be, unsigned which)
{
	struct backend_model *models;
	struct error *err;
	char *s = NULL;
	size_t n, i;

	switch (which % 3) {
	case 0:
		err = backend_models(be, &models, &n);
		if (err == NULL) {
			for (i = 0; i < n; i++)
				FUZZ_CHECK(models[i].name != NULL);
		} else
			FUZZ_CHECK(n == 0);
		backend_models_free(models, n);
		break;
	case 1:
		if (backend_ollama(be) != NULL)
			err = ollama_show_architecture(backend_ollama(be),
			    "qwen3:4b", &s);
		else
			err = backend_version(be, &s);
		break;
	default:
		err = backend_version(be, &s);
		break;
	}
	if (which % 3 != 0)
		FUZZ_CHECK((err == NULL) == (s != NULL));
	free(s);
	fuzz_error_free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 400, 404, 500 };
	struct fuzz_bytes fb = { data, size };
	struct chat_message msg = { .role = "user", .content = "What is 2+2?" };
	struct chat_request cr;
	struct chat_result res;
	struct pieces p = { 0, 0, 0 };
	struct backend *be;
	struct error *err;
	unsigned s, mode;
	size_t i;

	s = fuzz_byte(&fb);
	status = s < 0xf0 ? 200 : statuses[s % ARRAY_SIZE(statuses)];
	mode = fuzz_byte(&fb);
	p.fail = mode & 1;
	for (i = 0; i < NSIZES; i++)
		sizes[i] = fuzz_byte(&fb);
	body = fb.p;
	bodylen = fb.len;

	memset(&cr, 0, sizeof(cr));
	cr.model = "loco-math:1.0.0";
	cr.messages = &msg;
	cr.nmessages = 1;
	cr.stream = 1;
	cr.think = CHAT_THINK_OMIT;
	cr.temperature = 0.5;
	cr.seed = CONFIG_UNSET_INT;
	cr.num_predict = CONFIG_UNSET_INT;

	be = backend_new(mode & 0x80 ? BACKEND_OPENAI : mode & 0x40 ?
	    BACKEND_LLAMA_SERVER : BACKEND_OLLAMA, "http://127.0.0.1:1", 1, 1,
	    1);
	if (mode & 8) {
		plain(be, mode >> 4);
		backend_free(be);
		return 0;
	}
	if (mode & 2) {
		batch(be, &cr, mode & 4);
		backend_free(be);
		return 0;
	}
	chat_result_init(&res);
	err = backend_chat(be, &cr, on_piece, &p, &res);
	/* Whatever happened, the result holds strings to print. */
	FUZZ_CHECK(res.content != NULL && res.thinking != NULL);
	if (err == NULL) {
		FUZZ_CHECK(status == 200);
		FUZZ_CHECK(strlen(res.content) == p.clen);
		FUZZ_CHECK(strlen(res.thinking) == p.tlen);
	}
	fuzz_error_free(err);
	chat_result_release(&res);
	backend_free(be);
	return 0;
}
