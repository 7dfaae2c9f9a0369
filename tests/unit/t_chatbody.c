/* t_chatbody.c: the exact /api/chat body loco sends. */
#include <math.h>
#include <stdlib.h>

#include "config.h"
#include "ollama.h"
#include "unit.h"

TEST(chat_body_options)
{
	struct chat_message m[2] = { { .role = "system", .content = "S<&>" },
	    { .role = "user", .content = "Q\n\"x\"" } };
	struct param p[4] = {
		{ "temperature", "0.2", 1 }, { "stop", "a", 0 },
		{ "stop", "b", 0 }, { "mirostat_tau", "true", 0 } };
	struct chat_request cr;
	char *body;

	memset(&cr, 0, sizeof(cr));
	cr.model = "loco-math:1.0.0";
	cr.messages = m;
	cr.nmessages = 2;
	cr.stream = 1;
	cr.think = 0;
	cr.keep_alive = "5m";
	cr.params = p;
	cr.nparams = 4;
	cr.num_ctx = 4096;
	cr.temperature = NAN;
	cr.seed = 7;
	cr.num_predict = CONFIG_UNSET_INT;
	body = ollama_chat_body(&cr);
	CHECK_STR(body, "{\"model\":\"loco-math:1.0.0\",\"messages\":["
	    "{\"role\":\"system\",\"content\":\"S<&>\"},"
	    "{\"role\":\"user\",\"content\":\"Q\\n\\\"x\\\"\"}],"
	    "\"stream\":true,\"think\":false,\"keep_alive\":\"5m\","
	    "\"options\":{\"temperature\":0.2,\"stop\":[\"a\",\"b\"],"
	    "\"mirostat_tau\":true,\"num_ctx\":4096,\"seed\":7}}");
	free(body);

	/* Flags win over the adapter; keep_alive in seconds is a number. */
	cr.temperature = 0.9;
	cr.num_predict = -1;
	cr.keep_alive = "-1";
	cr.think = CHAT_THINK_OMIT;
	cr.nparams = 1;
	cr.nmessages = 1;
	cr.messages = &m[1];
	cr.seed = CONFIG_UNSET_INT;
	body = ollama_chat_body(&cr);
	CHECK_STR(body, "{\"model\":\"loco-math:1.0.0\",\"messages\":["
	    "{\"role\":\"user\",\"content\":\"Q\\n\\\"x\\\"\"}],"
	    "\"stream\":true,\"keep_alive\":-1,"
	    "\"options\":{\"temperature\":0.9,\"num_ctx\":4096,"
	    "\"num_predict\":-1}}");
	free(body);
}
