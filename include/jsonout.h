/*
 * jsonout.h: build JSON output for --json without exposing cJSON to the
 * command files.  A builder keeps a stack of open objects and arrays; inside
 * an array, pass NULL as the key.
 */
#ifndef LOCO_JSONOUT_H
#define LOCO_JSONOUT_H

struct jout;

struct jout	*jout_new(void);		/* an open root object */
struct jout	*jout_new_array(void);		/* an open root array */
void		 jout_str(struct jout *, const char *key, const char *val);
void		 jout_num(struct jout *, const char *key, double val);
void		 jout_int(struct jout *, const char *key, long long val);
void		 jout_bool(struct jout *, const char *key, int val);
void		 jout_null(struct jout *, const char *key);
void		 jout_obj(struct jout *, const char *key);	/* open */
void		 jout_arr(struct jout *, const char *key);	/* open */
void		 jout_end(struct jout *);			/* close */
/* Render (pretty or one line, no trailing newline) and free the builder. */
char		*jout_finish(struct jout *, int pretty);
/* Discard a builder (NULL is fine). */
void		 jout_free(struct jout *);
/* A JSON string literal for s, with quotes; caller frees. */
char		*json_quote(const char *s);
const char	*json_library_version(void);

#endif
