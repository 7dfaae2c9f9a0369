/* t_host.c: OLLAMA_HOST parsing and model names, as Ollama does them. */
#include <stdlib.h>

#include "error.h"
#include "ollama.h"
#include "unit.h"

static void
host_is(const char *in, const char *want)
{
	char *url = NULL;
	struct error *err = ollama_host_parse(in, &url);

	if (err != NULL) {
		unit_fail(__FILE__, __LINE__, "'%s': %s", in, err->msg);
		error_free(err);
		return;
	}
	if (strcmp(url, want) != 0)
		unit_fail(__FILE__, __LINE__, "'%s' -> '%s', expected '%s'",
		    in, url, want);
	free(url);
}

TEST(host_defaults)
{
	host_is(NULL, "http://127.0.0.1:11434");
	host_is("", "http://127.0.0.1:11434");
	host_is("   ", "http://127.0.0.1:11434");
}

TEST(host_vectors)
{
	host_is("1.2.3.4", "http://1.2.3.4:11434");
	host_is("example.com", "http://example.com:11434");
	host_is("example.com:56789", "http://example.com:56789");
	host_is("http://example.com", "http://example.com:80");
	host_is("https://example.com", "https://example.com:443");
	host_is("https://example.com:8443", "https://example.com:8443");
	host_is("HTTP://Example.com:1", "http://Example.com:1");
	host_is("::1", "http://[::1]:11434");
	host_is("[::1]", "http://[::1]:11434");
	host_is("[::1]:1337", "http://[::1]:1337");
	host_is(":1234", "http://127.0.0.1:1234");
	host_is("0.0.0.0", "http://127.0.0.1:11434");
	host_is("0.0.0.0:8080", "http://127.0.0.1:8080");
	host_is("::", "http://[::1]:11434");
	host_is("[::]:9000", "http://[::1]:9000");
	host_is("localhost:99999", "http://localhost:11434");
	host_is("localhost:-1", "http://localhost:11434");
	host_is("localhost:abc", "http://localhost:11434");
	host_is("http://localhost:70000", "http://localhost:80");
	host_is("localhost:", "http://localhost:11434");
}

TEST(host_quotes_and_paths)
{
	host_is("\"1.2.3.4\"", "http://1.2.3.4:11434");
	host_is("'1.2.3.4:5'", "http://1.2.3.4:5");
	host_is("  \" example.com \"  ", "http://example.com:11434");
	host_is("https://example.com/ollama", "https://example.com:443/ollama");
	host_is("https://example.com/ollama/", "https://example.com:443/ollama");
	host_is("example.com:8080/a/b", "http://example.com:8080/a/b");
	host_is("http://127.0.0.1:5/", "http://127.0.0.1:5");
}

TEST(host_bad_scheme)
{
	char *url = NULL;

	CHECK_ERR(ollama_host_parse("ftp://x", &url), "unsupported scheme "
	    "'ftp' in Ollama host 'ftp://x': use http or https");
	CHECK(url == NULL);
}

TEST(model_names)
{
	char *n = ollama_name_normalize("qwen3");

	CHECK_STR(n, "qwen3:latest");
	free(n);
	n = ollama_name_normalize("Loco-Math:1.0.0");
	CHECK_STR(n, "loco-math:1.0.0");
	free(n);
	n = ollama_name_normalize("registry.local:5000/ns/m");
	CHECK_STR(n, "registry.local:5000/ns/m:latest");
	free(n);
	CHECK(ollama_name_equal("m", "m:latest"));
	CHECK(ollama_name_equal("M:Latest", "m"));
	CHECK(!ollama_name_equal("m:v2", "m"));
	CHECK(!ollama_name_equal("m2", "m"));
}
