/*
 * gguf.c: a bounded reader for GGUF headers.  It reads the file through a
 * small buffer and checks every length against the bytes the file still
 * has before reading or allocating anything, so a hostile or truncated
 * file costs at most its own size in time and a 64 KiB buffer of memory
 * beyond the strings kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gguf.h"
#include "banned.h"

#define GGUF_MAX_STRING		(1024 * 1024)
#define GGUF_MAX_KEY		(64 * 1024)
#define GGUF_MAX_ARRAY		(16 * 1024 * 1024)
#define GGUF_MAX_KV		(1024 * 1024)
#define GGUF_MAX_TENSORS	(1024 * 1024)
#define GGUF_MAX_DIMS		4
#define GGUF_DEFAULT_ALIGNMENT	32
/* Real files keep a few dozen general.* strings; a licence text is the
 * longest.  Past these the file is not one we want to keep in memory. */
#define GGUF_MAX_KEPT		1024
#define GGUF_MAX_KEPT_BYTES	(16 * 1024 * 1024)
/* Tensor names kept by gguf_read_tensors: a few thousand in real files. */
#define GGUF_MAX_NAME_BYTES	(64 * 1024 * 1024)
/* How much of a name from the file goes into a message. */
#define GGUF_MSG_MAX		80

enum gguf_type {
	T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STRING,
	T_ARRAY, T_U64, T_I64, T_F64, T_COUNT
};

static const char *const type_names[T_COUNT] = {
	"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string",
	"array", "u64", "i64", "f64"
};
/* 0: variable size. */
static const unsigned char type_sizes[T_COUNT] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8
};

/*
 * ggml tensor types: elements per block and bytes per block, as
 * ggml_blck_size()/ggml_type_size() give them (checked against the
 * libggml-base of node-llama-cpp 3.21).  Zero: removed or unknown, which
 * llama.cpp refuses as well.
 */
static const struct {
	unsigned short	blck;
	unsigned short	size;
} ggml_types[] = {
	[0] = { 1, 4 },	/* f32 */	[1] = { 1, 2 },	/* f16 */
	[2] = { 32, 18 },	/* q4_0 */	[3] = { 32, 20 },	/* q4_1 */
	[6] = { 32, 22 },	/* q5_0 */	[7] = { 32, 24 },	/* q5_1 */
	[8] = { 32, 34 },	/* q8_0 */	[9] = { 32, 36 },	/* q8_1 */
	[10] = { 256, 84 },	/* q2_K */	[11] = { 256, 110 },	/* q3_K */
	[12] = { 256, 144 },	/* q4_K */	[13] = { 256, 176 },	/* q5_K */
	[14] = { 256, 210 },	/* q6_K */	[15] = { 256, 292 },	/* q8_K */
	[16] = { 256, 66 },	/* iq2_xxs */	[17] = { 256, 74 },	/* iq2_xs */
	[18] = { 256, 98 },	/* iq3_xxs */	[19] = { 256, 50 },	/* iq1_s */
	[20] = { 32, 18 },	/* iq4_nl */	[21] = { 256, 110 },	/* iq3_s */
	[22] = { 256, 82 },	/* iq2_s */	[23] = { 256, 136 },	/* iq4_xs */
	[24] = { 1, 1 },	/* i8 */	[25] = { 1, 2 },	/* i16 */
	[26] = { 1, 4 },	/* i32 */	[27] = { 1, 8 },	/* i64 */
	[28] = { 1, 8 },	/* f64 */	[29] = { 256, 56 },	/* iq1_m */
	[30] = { 1, 2 },	/* bf16 */
	[34] = { 256, 54 },	/* tq1_0 */	[35] = { 256, 66 },	/* tq2_0 */
	[39] = { 32, 17 },	/* mxfp4 */	[40] = { 64, 36 },	/* nvfp4 */
	[41] = { 128, 18 },	/* q1_0 */	[42] = { 64, 18 },	/* q2_0 */
};

struct reader {
	const char	*path;
	int		 fd;
	uint64_t	 size;		/* of the file */
	uint64_t	 off;		/* offset of the next byte to consume */
	char		 what[48];	/* what is being read, for messages */
	int		 keep_tensors;
	size_t		 name_bytes;	/* tensor names kept */
	size_t		 pos, len;	/* buf[pos..len) are the next bytes */
	unsigned char	 buf[64 * 1024];
};

static struct error *
truncated(struct reader *r)
{
	return error_new(EXIT_INTEGRITY, "'%s': truncated at byte %" PRIu64
	    " (reading %s)", r->path, r->size, r->what);
}

static struct error *
read_failed(struct reader *r, int errnum)
{
	return error_new(EXIT_FAIL, "cannot read '%s': %s", r->path,
	    strerror(errnum));
}

/* Is there room for n more bytes in the file? */
static int
has_room(const struct reader *r, uint64_t n)
{
	return n <= r->size - r->off;
}

static struct error *
get(struct reader *r, void *dst, size_t n)
{
	unsigned char *p = dst;
	size_t k;
	ssize_t got;

	if (!has_room(r, n))
		return truncated(r);
	while (n > 0) {
		if (r->pos == r->len) {
			r->pos = r->len = 0;
			got = read(r->fd, r->buf, sizeof(r->buf));
			if (got == -1 && errno == EINTR) {
				if (loco_interrupted)
					return error_new(EXIT_INTERRUPT,
					    "interrupted");
				continue;
			}
			if (got == -1)
				return read_failed(r, errno);
			/* The file shrank under us. */
			if (got == 0) {
				r->size = r->off;
				return truncated(r);
			}
			r->len = (size_t)got;
		}
		k = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(p, r->buf + r->pos, k);
		r->pos += k;
		r->off += k;
		p += k;
		n -= k;
	}
	return NULL;
}

static struct error *
skip(struct reader *r, uint64_t n)
{
	if (!has_room(r, n))
		return truncated(r);
	if (n <= r->len - r->pos) {
		r->pos += (size_t)n;
		r->off += n;
		return NULL;
	}
	r->off += n;
	r->pos = r->len = 0;
	if (lseek(r->fd, (off_t)r->off, SEEK_SET) == -1)
		return read_failed(r, errno);
	return NULL;
}

static struct error *
get_u32(struct reader *r, uint32_t *v)
{
	unsigned char b[4];
	struct error *err;

	if ((err = get(r, b, sizeof(b))) != NULL)
		return err;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	return NULL;
}

static struct error *
get_u64(struct reader *r, uint64_t *v)
{
	unsigned char b[8];
	struct error *err;
	int i;

	if ((err = get(r, b, sizeof(b))) != NULL)
		return err;
	*v = 0;
	for (i = 7; i >= 0; i--)
		*v = *v << 8 | b[i];
	return NULL;
}

/*
 * A GGUF string: u64 length and bytes.  With out NULL it is skipped.
 * kind ("string", "key", "tensor name") names it in the message.
 */
static struct error *
get_string(struct reader *r, uint64_t max, const char *kind, char **out)
{
	struct error *err;
	uint64_t at = r->off, len;
	char *s;

	if ((err = get_u64(r, &len)) != NULL)
		return err;
	if (len > max)
		return error_new(EXIT_INTEGRITY, "'%s': %s of %" PRIu64
		    " bytes at byte %" PRIu64 " is too long (%s)", r->path,
		    kind, len, at, r->what);
	if (out == NULL)
		return skip(r, len);
	/* Before allocating: a truncated file must not cost 1 MiB. */
	if (!has_room(r, len))
		return truncated(r);
	s = xmalloc((size_t)len + 1);
	if ((err = get(r, s, (size_t)len)) != NULL) {
		free(s);
		return err;
	}
	s[len] = '\0';
	/* "qwen3\0x" must not read as "qwen3". */
	if (memchr(s, '\0', (size_t)len) != NULL) {
		free(s);
		return error_new(EXIT_INTEGRITY, "'%s': %s at byte %" PRIu64
		    " holds a NUL byte (%s)", r->path, kind, at, r->what);
	}
	*out = s;
	return NULL;
}

static int
is_number(uint32_t type)
{
	return type < T_COUNT && type != T_BOOL && type != T_STRING &&
	    type != T_ARRAY;
}

/* A value of a numeric type (is_number) as a double. */
static struct error *
get_number(struct reader *r, uint32_t type, double *v)
{
	struct error *err;
	unsigned char b[8];
	uint64_t u = 0;
	int i, n = type_sizes[type];

	if ((err = get(r, b, (size_t)n)) != NULL)
		return err;
	for (i = n - 1; i >= 0; i--)
		u = u << 8 | b[i];
	switch (type) {
	case T_U8: case T_U16: case T_U32: case T_U64:
		*v = (double)u;
		break;
	case T_I8:
		*v = (int8_t)u;
		break;
	case T_I16:
		*v = (int16_t)u;
		break;
	case T_I32:
		*v = (int32_t)u;
		break;
	case T_I64:
		*v = (double)(int64_t)u;
		break;
	case T_F32: {
		uint32_t u32 = (uint32_t)u;
		float f;

		memcpy(&f, &u32, sizeof(f));
		*v = f;
		break;
	}
	default: /* T_F64 */
		memcpy(v, &u, sizeof(*v));
		break;
	}
	return NULL;
}

static struct error *
wrong_type(struct reader *r, const char *key, uint32_t type, const char *want)
{
	return error_new(EXIT_INTEGRITY, "'%s': key '%s' has type %s, "
	    "expected %s", r->path, key, type_names[type], want);
}

/* Skip an array's contents, never storing them. */
static struct error *
skip_array(struct reader *r, const char *key)
{
	struct error *err;
	uint64_t at, count, i;
	uint32_t etype;
	char *safe;

	if ((err = get_u32(r, &etype)) != NULL)
		return err;
	if (etype >= T_COUNT || etype == T_ARRAY) {
		safe = str_sanitize(key, GGUF_MSG_MAX);
		if (etype == T_ARRAY)
			err = error_new(EXIT_INTEGRITY, "'%s': key '%s' is an "
			    "array of arrays, which llama.cpp does not read",
			    r->path, safe);
		else
			err = error_new(EXIT_INTEGRITY, "'%s': key '%s' is an "
			    "array of unknown type %" PRIu32, r->path, safe,
			    etype);
		free(safe);
		return err;
	}
	at = r->off;
	if ((err = get_u64(r, &count)) != NULL)
		return err;
	if (count > GGUF_MAX_ARRAY)
		return error_new(EXIT_INTEGRITY, "'%s': array of %" PRIu64
		    " elements at byte %" PRIu64 " is too long (%s)", r->path,
		    count, at, r->what);
	if (type_sizes[etype] != 0)
		return skip(r, count * type_sizes[etype]);
	/* Each string is at least 8 bytes, so the file's end bounds this. */
	for (i = 0; i < count; i++)
		if ((err = get_string(r, GGUF_MAX_STRING, "string", NULL)) != NULL)
			return err;
	return NULL;
}

static int
is_string_key(const char *key)
{
	return strcmp(key, "general.architecture") == 0 ||
	    strcmp(key, "general.type") == 0 ||
	    strcmp(key, "general.name") == 0 ||
	    strcmp(key, "adapter.type") == 0;
}

struct kvstate {
	size_t		 kept_bytes;
	int		 has_alignment;
};

/*
 * ARCH.block_count and the like: the model's shape, for a memory
 * estimate (ARCH is a word with no dot).
 */
static uint64_t *
shape_field(struct gguf_info *gi, const char *key)
{
	static const char *const names[] = { ".block_count",
	    ".embedding_length", ".attention.head_count",
	    ".attention.head_count_kv", ".feed_forward_length",
	    ".attention.key_length", ".attention.value_length" };
	const char *dot = strchr(key, '.');
	uint64_t *fields[ARRAY_SIZE(names)];
	size_t i;

	fields[0] = &gi->n_layer;
	fields[1] = &gi->n_embd;
	fields[2] = &gi->n_head;
	fields[3] = &gi->n_head_kv;
	fields[4] = &gi->n_ff;
	fields[5] = &gi->key_length;
	fields[6] = &gi->value_length;
	if (dot == NULL || dot == key || str_startswith(key, "general.") ||
	    str_startswith(key, "adapter."))
		return NULL;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(dot, names[i]) == 0)
			return fields[i];
	return NULL;
}

static struct error *
read_kv(struct reader *r, struct gguf_info *gi, struct kvstate *st)
{
	struct error *err = NULL;
	char *key = NULL, *value = NULL, *safe = NULL;
	uint64_t *shape;
	uint32_t type;
	double num;

	if ((err = get_string(r, GGUF_MAX_KEY, "key", &key)) != NULL)
		return err;
	if (key[0] == '\0') {
		err = error_new(EXIT_INTEGRITY, "'%s': %s has an empty key",
		    r->path, r->what);
		goto done;
	}
	if ((err = get_u32(r, &type)) != NULL)
		goto done;
	safe = str_sanitize(key, GGUF_MSG_MAX);
	if (type >= T_COUNT) {
		err = error_new(EXIT_INTEGRITY, "'%s': key '%s' has unknown "
		    "type %" PRIu32, r->path, safe, type);
		goto done;
	}
	if (is_string_key(key) && type != T_STRING) {
		err = wrong_type(r, safe, type, "string");
		goto done;
	}
	if (strcmp(key, "adapter.lora.alpha") == 0) {
		if (gi->has_alpha) {
			err = error_new(EXIT_INTEGRITY, "'%s': key '%s' "
			    "appears twice", r->path, safe);
			goto done;
		}
		if (!is_number(type))
			err = wrong_type(r, safe, type, "a number");
		else if ((err = get_number(r, type, &num)) == NULL) {
			gi->lora_alpha = num;
			gi->has_alpha = 1;
		}
		goto done;
	}
	if (strcmp(key, "general.alignment") == 0) {
		if (type != T_U32)
			err = wrong_type(r, safe, type, "u32");
		else if (st->has_alignment)
			err = error_new(EXIT_INTEGRITY, "'%s': key '%s' "
			    "appears twice", r->path, safe);
		else if ((err = get_u32(r, &gi->alignment)) == NULL) {
			st->has_alignment = 1;
			if (gi->alignment == 0 ||
			    (gi->alignment & (gi->alignment - 1)) != 0)
				err = error_new(EXIT_INTEGRITY, "'%s': "
				    "general.alignment %" PRIu32 " is not a "
				    "power of two", r->path, gi->alignment);
		}
		goto done;
	}
	if (is_number(type) && (shape = shape_field(gi, key)) != NULL) {
		if ((err = get_number(r, type, &num)) == NULL)
			*shape = num >= 0 && num < 1e12 ? (uint64_t)num : 0;
		goto done;
	}
	if (type == T_ARRAY) {
		err = skip_array(r, key);
		goto done;
	}
	if (type == T_STRING) {
		if (!str_startswith(key, "general.") &&
		    !str_startswith(key, "adapter.")) {
			err = get_string(r, GGUF_MAX_STRING, "string", NULL);
			goto done;
		}
		err = get_string(r, GGUF_MAX_STRING, "string", &value);
		if (err != NULL)
			goto done;
		if (gguf_get(gi, key) != NULL) {
			err = error_new(EXIT_INTEGRITY, "'%s': key '%s' "
			    "appears twice", r->path, safe);
			goto done;
		}
		st->kept_bytes += strlen(key) + strlen(value);
		if (gi->nkvs == GGUF_MAX_KEPT ||
		    st->kept_bytes > GGUF_MAX_KEPT_BYTES) {
			err = error_new(EXIT_INTEGRITY, "'%s': too many "
			    "general.* and adapter.* strings (%s)", r->path,
			    r->what);
			goto done;
		}
		gi->kvs = xreallocarray(gi->kvs, gi->nkvs + 1,
		    sizeof(*gi->kvs));
		gi->kvs[gi->nkvs].key = key;
		gi->kvs[gi->nkvs].value = value;
		gi->nkvs++;
		key = value = NULL;
		goto done;
	}
	err = skip(r, type_sizes[type]);
done:
	free(key);
	free(value);
	free(safe);
	return err;
}

static void
set_shortcuts(struct gguf_info *gi)
{
	gi->architecture = gguf_get(gi, "general.architecture");
	gi->type = gguf_get(gi, "general.type");
	gi->adapter_type = gguf_get(gi, "adapter.type");
	gi->name = gguf_get(gi, "general.name");
}

static struct error *
tensor_error(struct reader *r, const char *name, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static struct error *
tensor_error(struct reader *r, const char *name, const char *fmt, ...)
{
	struct error *err;
	va_list ap;
	char *safe = str_sanitize(name, GGUF_MSG_MAX), *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_INTEGRITY, "'%s': tensor '%s' %s", r->path, safe,
	    msg);
	free(msg);
	free(safe);
	return err;
}

/*
 * One tensor info.  *expected is where llama.cpp wants this tensor's data
 * (the previous ones, each padded to the alignment); it moves past it.
 */
static struct error *
read_tensor(struct reader *r, struct gguf_info *gi, uint64_t *expected)
{
	struct error *err;
	char *name = NULL;
	uint32_t ndims, type, i;
	uint64_t ne[GGUF_MAX_DIMS] = { 1, 1, 1, 1 }, nelem = 1, blocks, nbytes;
	uint64_t offset, padded, a = gi->alignment;

	if ((err = get_string(r, GGUF_MAX_KEY, "tensor name", &name)) != NULL)
		return err;
	if ((err = get_u32(r, &ndims)) != NULL)
		goto done;
	if (ndims > GGUF_MAX_DIMS) {
		err = tensor_error(r, name, "has %" PRIu32 " dimensions, more "
		    "than %d", ndims, GGUF_MAX_DIMS);
		goto done;
	}
	for (i = 0; i < ndims; i++) {
		if ((err = get_u64(r, &ne[i])) != NULL)
			goto done;
		if (ne[i] > INT64_MAX) {
			err = tensor_error(r, name, "has a negative "
			    "dimension");
			goto done;
		}
	}
	for (i = 0; i < GGUF_MAX_DIMS; i++) {
		if (ne[i] != 0 && nelem > INT64_MAX / ne[i]) {
			err = tensor_error(r, name, "has too many elements");
			goto done;
		}
		nelem *= ne[i];
	}
	if ((err = get_u32(r, &type)) != NULL)
		goto done;
	if (type >= ARRAY_SIZE(ggml_types) || ggml_types[type].blck == 0) {
		err = tensor_error(r, name, "has unknown ggml type %" PRIu32,
		    type);
		goto done;
	}
	if (ne[0] % ggml_types[type].blck != 0) {
		err = tensor_error(r, name, "has rows of %" PRIu64 " elements, "
		    "not a multiple of its type's block of %u", ne[0],
		    ggml_types[type].blck);
		goto done;
	}
	blocks = nelem / ggml_types[type].blck;
	if (blocks > UINT64_MAX / ggml_types[type].size) {
		err = tensor_error(r, name, "has too many elements");
		goto done;
	}
	nbytes = blocks * ggml_types[type].size;
	if ((err = get_u64(r, &offset)) != NULL)
		goto done;
	if (offset != *expected) {
		err = tensor_error(r, name, "has offset %" PRIu64 ", expected %"
		    PRIu64, offset, *expected);
		goto done;
	}
	/* Keeps the sums below in range; the end is checked after the infos. */
	if (nbytes > r->size) {
		err = tensor_error(r, name, "is %" PRIu64 " bytes, more than "
		    "the whole file", nbytes);
		goto done;
	}
	padded = (nbytes + a - 1) / a * a;
	gi->data_size = offset + nbytes;
	*expected = offset + padded;
	if (r->keep_tensors) {
		struct gguf_tensor *t;

		r->name_bytes += strlen(name) + 1;
		if (r->name_bytes > GGUF_MAX_NAME_BYTES) {
			err = error_new(EXIT_INTEGRITY, "'%s': tensor names "
			    "add up to more than %d bytes (%s)", r->path,
			    GGUF_MAX_NAME_BYTES, r->what);
			goto done;
		}
		gi->tensors = xreallocarray(gi->tensors, gi->ntensors + 1,
		    sizeof(*gi->tensors));
		t = &gi->tensors[gi->ntensors++];
		t->name = name;
		name = NULL;
		t->ndims = ndims;
		memcpy(t->ne, ne, sizeof(t->ne));
		t->type = type;
	}
done:
	free(name);
	return err;
}

void
gguf_info_release(struct gguf_info *gi)
{
	size_t i;

	for (i = 0; i < gi->nkvs; i++) {
		free(gi->kvs[i].key);
		free(gi->kvs[i].value);
	}
	free(gi->kvs);
	for (i = 0; i < gi->ntensors; i++)
		free(gi->tensors[i].name);
	free(gi->tensors);
	memset(gi, 0, sizeof(*gi));
}

const char *
gguf_get(const struct gguf_info *gi, const char *key)
{
	size_t i;

	for (i = 0; i < gi->nkvs; i++)
		if (strcmp(gi->kvs[i].key, key) == 0)
			return gi->kvs[i].value;
	return NULL;
}

static struct error *
read_header(struct reader *r, struct gguf_info *gi)
{
	static const unsigned char magic[4] = { 'G', 'G', 'U', 'F' };
	unsigned char m[4];
	uint64_t i, expected = 0;
	uint32_t version;
	struct kvstate st = { 0, 0 };
	struct error *err;

	snprintf(r->what, sizeof(r->what), "the header");
	/* A prefix of "GGUF" is a cut-off file, anything else another kind. */
	if (r->size < sizeof(m)) {
		if ((err = get(r, m, (size_t)r->size)) != NULL)
			return err;
		if (memcmp(m, magic, (size_t)r->size) == 0)
			return truncated(r);
		return error_new(EXIT_INTEGRITY, "'%s' is not a GGUF file "
		    "(bad magic)", r->path);
	}
	if ((err = get(r, m, sizeof(m))) != NULL)
		return err;
	if (memcmp(m, magic, sizeof(m)) != 0)
		return error_new(EXIT_INTEGRITY, "'%s' is not a GGUF file "
		    "(bad magic)", r->path);
	if ((err = get_u32(r, &version)) != NULL)
		return err;
	/* Version 1 had 32-bit counts; 2 and 3 differ only in what 3 allows
	 * (big-endian files), which the check below refuses. */
	if (version != 2 && version != 3)
		return error_new(EXIT_INTEGRITY, "'%s': unsupported GGUF "
		    "version %" PRIu32 "%s", r->path, version,
		    version != 0 && (version & 0xffff) == 0 ?
		    " (a big-endian file?)" : "");
	gi->version = (int)version;
	if ((err = get_u64(r, &gi->tensor_count)) != NULL ||
	    (err = get_u64(r, &gi->kv_count)) != NULL)
		return err;
	if (gi->tensor_count > GGUF_MAX_TENSORS)
		return error_new(EXIT_INTEGRITY, "'%s': too many tensors (%"
		    PRIu64 ", at most %d)", r->path, gi->tensor_count,
		    GGUF_MAX_TENSORS);
	if (gi->kv_count > GGUF_MAX_KV)
		return error_new(EXIT_INTEGRITY, "'%s': too many key/values (%"
		    PRIu64 ", at most %d)", r->path, gi->kv_count, GGUF_MAX_KV);

	gi->alignment = GGUF_DEFAULT_ALIGNMENT;
	for (i = 0; i < gi->kv_count; i++) {
		snprintf(r->what, sizeof(r->what), "key/value %" PRIu64, i + 1);
		if ((err = read_kv(r, gi, &st)) != NULL)
			return err;
		if (loco_interrupted)
			return error_new(EXIT_INTERRUPT, "interrupted");
	}
	set_shortcuts(gi);

	for (i = 0; i < gi->tensor_count; i++) {
		snprintf(r->what, sizeof(r->what), "tensor info %" PRIu64,
		    i + 1);
		if ((err = read_tensor(r, gi, &expected)) != NULL)
			return err;
		if (loco_interrupted)
			return error_new(EXIT_INTERRUPT, "interrupted");
	}
	/* llama.cpp starts the data at the next multiple of the alignment. */
	gi->data_offset = r->off;
	if (gi->tensor_count > 0) {
		gi->data_offset = (r->off + gi->alignment - 1) /
		    gi->alignment * gi->alignment;
		if (gi->data_offset > r->size ||
		    gi->data_size > r->size - gi->data_offset)
			return error_new(EXIT_INTEGRITY, "'%s': truncated at "
			    "byte %" PRIu64 " (the tensor data ends at byte %"
			    PRIu64 ")", r->path, r->size,
			    gi->data_offset + gi->data_size);
	}
	return NULL;
}

const struct gguf_tensor *
gguf_find_tensor(const struct gguf_info *gi, const char *name)
{
	size_t i;

	for (i = 0; i < gi->ntensors; i++)
		if (strcmp(gi->tensors[i].name, name) == 0)
			return &gi->tensors[i];
	return NULL;
}

static struct error *
read_file(const char *path, struct gguf_info *gi, int keep_tensors)
{
	struct reader *r;
	struct error *err;
	struct stat st;

	memset(gi, 0, sizeof(*gi));
	r = xmalloc(sizeof(*r));
	r->path = path;
	r->off = 0;
	r->pos = r->len = 0;
	r->keep_tensors = keep_tensors;
	r->name_bytes = 0;
	/* A FIFO or a device is refused before anything waits on it. */
	if ((err = fs_open_regular(path, NULL, UINT64_MAX, &r->fd,
	    NULL)) != NULL) {
		free(r);
		return err;
	}
	if (fstat(r->fd, &st) == -1)
		err = read_failed(r, errno);
	else {
		r->size = (uint64_t)st.st_size;
		gi->file_size = r->size;
		err = read_header(r, gi);
	}
	close(r->fd);
	free(r);
	if (err != NULL)
		gguf_info_release(gi);
	return err;
}

struct error *
gguf_read(const char *path, struct gguf_info *gi)
{
	return read_file(path, gi, 0);
}

struct error *
gguf_read_tensors(const char *path, struct gguf_info *gi)
{
	return read_file(path, gi, 1);
}

/* A string from the file (or the server) fit for a message. */
static char *
safe_str(const char *s)
{
	return str_sanitize(s, GGUF_MSG_MAX);
}

static struct error *
check_kind(const char *path, const struct gguf_info *gi, enum gguf_kind want)
{
	struct error *err = NULL;
	char *got;

	if (want == GGUF_MODEL) {
		if (gi->type == NULL || strcmp(gi->type, "model") == 0)
			return NULL;
		got = safe_str(gi->type);
		err = error_new(EXIT_INTEGRITY, "'%s' is not a model "
		    "(general.type is '%s', expected 'model')", path, got);
		free(got);
		return err;
	}
	if (gi->type == NULL)
		return error_new(EXIT_INTEGRITY, "'%s' is not a LoRA adapter "
		    "(general.type is missing, expected 'adapter')", path);
	if (strcmp(gi->type, "adapter") != 0) {
		got = safe_str(gi->type);
		err = error_new(EXIT_INTEGRITY, "'%s' is not a LoRA adapter "
		    "(general.type is '%s', expected 'adapter')", path, got);
		free(got);
		return err;
	}
	if (gi->adapter_type == NULL)
		return error_new(EXIT_INTEGRITY, "'%s' is not a LoRA adapter "
		    "(adapter.type is missing, expected 'lora')", path);
	if (strcmp(gi->adapter_type, "lora") != 0) {
		got = safe_str(gi->adapter_type);
		err = error_new(EXIT_INTEGRITY, "'%s' is not a LoRA adapter "
		    "(adapter.type is '%s', expected 'lora')", path, got);
		free(got);
	}
	return err;
}

struct error *
gguf_check(const char *path, const struct gguf_info *gi, enum gguf_kind want,
    const char *base_arch, const char *base_tag)
{
	struct error *err;
	char *arch, *base, *tag;

	if ((err = check_kind(path, gi, want)) != NULL)
		return err;
	/* llama.cpp cannot load a file without one, model or adapter. */
	if (gi->architecture == NULL)
		return error_new(EXIT_INTEGRITY, "'%s' has no "
		    "general.architecture", path);
	if (base_arch == NULL || strcmp(gi->architecture, base_arch) == 0)
		return NULL;
	arch = safe_str(gi->architecture);
	base = safe_str(base_arch);
	tag = base_tag != NULL ? safe_str(base_tag) : NULL;
	if (want == GGUF_LORA)
		err = error_new(EXIT_INTEGRITY, "'%s' is a LoRA for "
		    "architecture '%s' but the base model %s%s%sis '%s': train "
		    "or download an adapter for %s", path, arch,
		    tag ? "'" : "", tag ? tag : "", tag ? "' " : "", base, base);
	else
		err = error_new(EXIT_INTEGRITY, "'%s' is a model for "
		    "architecture '%s' but the base model %s%s%sis '%s'", path,
		    arch, tag ? "'" : "", tag ? tag : "", tag ? "' " : "", base);
	free(arch);
	free(base);
	free(tag);
	return err;
}
