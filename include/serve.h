/*
 * serve.h: loco serve's llama-server, and how other commands find it.
 *
 * `loco serve` runs llama-server in the foreground with the base GGUF and
 * every active LoRA adapter resident, on a free loopback port, and writes
 * $LOCO_HOME/serve.json (atomically) with its address, its pid and the
 * adapters it loaded, in --lora order (their ids).  The file goes away
 * when it stops.  SIGHUP makes it read the registry again and restart the
 * server when the adapter set changed (loco setup sends it).
 */
#ifndef LOCO_SERVE_H
#define LOCO_SERVE_H

#include <stddef.h>

#include "error.h"

struct serve_lora {
	char	*adapter;	/* NAME@VERSION */
	char	*path;
	char	*sha256;	/* or NULL */
};

struct serve_state {
	char			*url;
	long			 pid;		/* loco serve */
	long			 server_pid;	/* llama-server */
	char			*binary;
	char			*base;		/* the base GGUF */
	struct serve_lora	*loras;
	size_t			 nloras;
	long			 restarts;	/* since loco serve started */
};

/* $LOCO_HOME/serve.json; free it. */
char		*serve_state_path(void);
struct error	*serve_state_write(const struct serve_state *);
/*
 * The state of a loco serve that is running: EXIT_UNREACHABLE when there
 * is none (no file, or its process is gone), saying to start one.
 */
struct error	*serve_state_read(struct serve_state *);
void		 serve_state_release(struct serve_state *);

/* "host:port", "http://host:port[/path]" -> a URL without a final '/'. */
struct error	*serve_url_parse(const char *text, char **url);
/* The URL of the running loco serve (serve_state_read). */
struct error	*serve_running_url(char **url);

#endif
