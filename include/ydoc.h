/*
 * ydoc.h: a YAML document as a small tree that remembers where each node
 * came from, so config and registry errors can name file:line:column.
 * Only ydoc.c sees libyaml.  Aliases are resolved by libyaml; duplicate
 * mapping keys and multi-document files are errors.
 */
#ifndef LOCO_YDOC_H
#define LOCO_YDOC_H

#include <stddef.h>

#include "error.h"

enum ynode_type { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode;
struct yarena;

struct ymapent {
	struct ynode	*key;		/* always a scalar */
	struct ynode	*value;
};

struct ynode {
	enum ynode_type	 type;
	int		 line;		/* 1-based */
	int		 col;		/* 1-based */
	/* YNODE_SCALAR (plain first: four ints, then no padding) */
	int		 plain;		/* unquoted, not a block scalar */
	char		*value;
	/* YNODE_SEQ */
	struct ynode	**items;
	size_t		 nitems;
	/* YNODE_MAP, in document order */
	struct ymapent	*ents;
	size_t		 nents;
	/* The root only: the memory every node of the tree lives in. */
	struct yarena	*arena;
};

/*
 * Parse a file.  An empty file gives *root == NULL and no error.
 * Errors read "PATH:LINE:COL: what" with code EXIT_CONFIG; a missing file
 * has code EXIT_FAIL and says "cannot open 'PATH': <strerror>".
 */
struct error	*ydoc_parse_file(const char *path, struct ynode **root);
/* Parse a buffer; name is used in error messages in place of a path. */
struct error	*ydoc_parse_string(const char *name, const char *buf,
		    size_t len, struct ynode **root);
/*
 * Free a tree ydoc_parse_file or ydoc_parse_string returned, all of it at
 * once: its nodes are allocated together, so only the root can be freed.
 */
void		 ydoc_free(struct ynode *root);
/*
 * Keep the trees of files ydoc_parse_file parses in dir (created when
 * needed), and read a file's tree from there while it holds the same
 * bytes (NULL: no cache, the default).  Only successful parses are kept.
 */
void		 ydoc_set_cache(const char *dir);
/*
 * The linear pre-scan ydoc_parse_string runs before libyaml (which is slow
 * on deep nesting): an EXIT_CONFIG error "NAME:LINE:COL: lists and
 * mappings nested more than MAX levels deep; nest them less" for text
 * nesting block or flow collections deeper than max (64 when parsing).
 * Brackets in quoted and block scalars, plain scalars and comments do not
 * count; where it is unsure it counts.  UTF-16 text is refused.
 */
struct error	*ydoc_check_nesting(const char *name, const char *buf,
		    size_t len, int max);

/* Value for key in a map node, or NULL. */
struct ynode	*ydoc_get(const struct ynode *map, const char *key);
/* A plain scalar that YAML 1.2 core schema reads as null (~, null, empty). */
int		 ydoc_is_null(const struct ynode *);
const char	*ydoc_type_name(const struct ynode *);

/* An EXIT_CONFIG error "PATH:LINE:COL: message" positioned at node n. */
struct error	*ydoc_error(const char *path, const struct ynode *n,
		    const char *fmt, ...) PRINTFLIKE(3, 4);

/* libyaml's version, for loco version. */
const char	*ydoc_library_version(void);

#endif
