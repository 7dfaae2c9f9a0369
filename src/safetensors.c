/*
 * safetensors.c: read a safetensors file's header with every check the
 * reference implementation makes (and a bound on the JSON's size), then
 * its tensors one at a time, converted to F32.  See safetensors.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "fsutil.h"
#include "json.h"
#include "safetensors.h"
#include "banned.h"

/* A tree of more values than this is not a LoRA's header. */
#define ST_MAX_VALUES	(4 * 1024 * 1024)
#define ST_CHUNK	(1024 * 1024)
/* How much of a name from the file goes into a message. */
#define ST_MSG_MAX	120
/* Integers a double holds exactly. */
#define ST_MAX_INT	9007199254740992.0

static const struct {
	const char	*name;
	size_t		 size;
	int		 known;	/* 1: converted; 0: known but refused */
} dtypes[] = {
	{ "F32", 4, 1 }, { "F16", 2, 1 }, { "BF16", 2, 1 },
	{ "F64", 8, 0 }, { "I64", 8, 0 }, { "U64", 8, 0 }, { "I32", 4, 0 },
	{ "U32", 4, 0 }, { "I16", 2, 0 }, { "U16", 2, 0 }, { "I8", 1, 0 },
	{ "U8", 1, 0 }, { "BOOL", 1, 0 }, { "F8_E4M3", 1, 0 },
	{ "F8_E5M2", 1, 0 }, { "F8_E8M0", 1, 0 }, { "C64", 8, 0 },
};

const char *
st_dtype_name(enum st_dtype d)
{
	return dtypes[d].name;
}

size_t
st_dtype_size(enum st_dtype d)
{
	return dtypes[d].size;
}

float
st_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
	float f;

	if (exp == 0) {
		/* Zero or subnormal: mant * 2^-24, exact in a float. */
		f = ldexpf((float)mant, -24);
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7f800000 | mant << 13;
	else
		bits = sign | (exp + 112) << 23 | mant << 13;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

float
st_bf16_to_f32(uint16_t h)
{
	uint32_t bits = (uint32_t)h << 16;
	float f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

/*
 * Round to nearest even without a branch per bit (Fabian Giesen's
 * float_to_half_fast3_rtne): the FPU's own rounding does the work for
 * subnormals, an integer bias for the rest.  t_peft.c checks it on every
 * half and at the halfway points.
 */
uint16_t
st_f32_to_f16(float in)
{
	const uint32_t f32infty = 255u << 23, f16max = (127u + 16) << 23;
	const uint32_t magic_u = ((127u - 15) + (23 - 10) + 1) << 23;
	uint32_t u, sign, o;
	float f, magic;

	memcpy(&u, &in, sizeof(u));
	memcpy(&magic, &magic_u, sizeof(magic));
	sign = u & 0x80000000u;
	u ^= sign;
	if (u >= f16max)
		o = u > f32infty ? 0x7e00 : 0x7c00;
	else if (u < (113u << 23)) {
		memcpy(&f, &u, sizeof(f));
		f += magic;
		memcpy(&o, &f, sizeof(o));
		o -= magic_u;
	} else {
		uint32_t odd = (u >> 13) & 1;

		u += ((uint32_t)(15 - 127) << 23) + 0xfff;
		u += odd;
		o = u >> 13;
	}
	return (uint16_t)(o | sign >> 16);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_F16C 1

/* F16C and AVX, with the OS saving the YMM registers (XGETBV). */
static int
cpu_has_f16c(void)
{
	unsigned a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_F16C) || !(c & bit_AVX) || !(c & bit_OSXSAVE) ||
	    !(c & bit_POPCNT))
		return 0;
	__asm__ volatile ("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* The CPU's own conversion (F16C, round to nearest even): 8 at a time. */
__attribute__((target("avx,f16c,popcnt")))
static size_t
f16c_n(const float *in, uint16_t *out, size_t n)
{
	/* |x| >= 65520 rounds to Inf; NaN compares unordered: both true. */
	const __m256 big = _mm256_set1_ps(65520.0f);
	const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	size_t i = 0, special = 0;

	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_loadu_ps(in + i);
		__m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT |
		    _MM_FROUND_NO_EXC);
		__m256 m = _mm256_cmp_ps(_mm256_and_ps(v, abs), big,
		    _CMP_NLT_UQ);

		special += (size_t)__builtin_popcount((unsigned)
		    _mm256_movemask_ps(m));
		_mm_storeu_si128((__m128i *)(void *)(out + i), h);
	}
	for (; i < n; i++) {
		out[i] = st_f32_to_f16(in[i]);
		special += (out[i] & 0x7c00) == 0x7c00;
	}
	return special;
}
#endif

size_t
st_f32_to_f16_n(const float *in, uint16_t *out, size_t n)
{
	size_t i, special = 0;

#ifdef HAVE_F16C
	static int f16c = -1;

	if (f16c == -1)
		f16c = cpu_has_f16c();
	if (f16c)
		return f16c_n(in, out, n);
#endif
	for (i = 0; i < n; i++) {
		out[i] = st_f32_to_f16(in[i]);
		special += (out[i] & 0x7c00) == 0x7c00;
	}
	return special;
}

static char *
safe(const char *s)
{
	return str_sanitize(s, ST_MSG_MAX);
}

static struct error *
bad(const struct safetensors *st, const char *tensor, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* "'PATH': MSG" or "'PATH': tensor 'NAME': MSG". */
static struct error *
bad(const struct safetensors *st, const char *tensor, const char *fmt, ...)
{
	struct error *err;
	va_list ap;
	char *msg, *name;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (tensor != NULL) {
		name = safe(tensor);
		err = error_new(EXIT_INTEGRITY, "'%s': tensor '%s': %s",
		    st->path, name, msg);
		free(name);
	} else
		err = error_new(EXIT_INTEGRITY, "'%s': %s", st->path, msg);
	free(msg);
	return err;
}

static struct error *
read_at(struct safetensors *st, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(st->fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR) {
			if (loco_interrupted)
				return error_new(EXIT_INTERRUPT, "interrupted");
			continue;
		}
		if (n == -1)
			return error_new(EXIT_FAIL, "cannot read '%s': %s",
			    st->path, strerror(errno));
		if (n == 0)	/* the file shrank under us */
			return bad(st, NULL, "truncated at byte %" PRIu64, off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

/* An upper bound on the values a parse would make of the text. */
static size_t
count_values(const char *s, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '[' || s[i] == '{' || s[i] == ':')
			n++;
	return n;
}

/* A JSON number that is a whole number a double holds exactly. */
static int
get_uint(const struct json *v, uint64_t *out)
{
	long long n;

	if (json_integer(v, 0, (long long)ST_MAX_INT, &n) == -1)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static void
shape_str(const struct st_tensor *t, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	off += (size_t)snprintf(buf, len, "[");
	for (i = 0; i < t->ndims && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu64,
		    i ? ", " : "", t->shape[i]);
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

static struct error *
parse_tensor(struct safetensors *st, const struct json *obj,
    struct st_tensor *t)
{
	const struct json *dtype, *shape, *offs, *v;
	uint64_t nbytes, size, b, e;
	char shp[256];
	size_t i;
	int n;

	if (!json_is_object(obj))
		return bad(st, t->name, "expected an object with dtype, shape "
		    "and data_offsets");
	dtype = json_get(obj, "dtype");
	shape = json_get(obj, "shape");
	offs = json_get(obj, "data_offsets");
	if (!json_is_string(dtype))
		return bad(st, t->name, "no dtype string");
	if (!json_is_array(shape))
		return bad(st, t->name, "no shape array");
	if (!json_is_array(offs) || json_count(offs) != 2)
		return bad(st, t->name, "data_offsets is not [begin, end]");
	for (i = 0; i < ARRAY_SIZE(dtypes); i++)
		if (strcmp(json_string(dtype), dtypes[i].name) == 0)
			break;
	if (i == ARRAY_SIZE(dtypes)) {
		char *d = safe(json_string(dtype));
		struct error *err = bad(st, t->name, "unknown dtype '%s'", d);

		free(d);
		return err;
	}
	if (!dtypes[i].known)
		return bad(st, t->name, "dtype %s is not converted (F32, F16 "
		    "and BF16 are)", dtypes[i].name);
	t->dtype = (enum st_dtype)i;
	size = dtypes[i].size;
	n = json_count(shape);
	if (n > ST_MAX_DIMS)
		return bad(st, t->name, "%d dimensions, more than %d", n,
		    ST_MAX_DIMS);
	t->ndims = n;
	t->nelem = 1;
	i = 0;
	JSON_FOREACH(v, shape) {
		if (get_uint(v, &t->shape[i]) == -1)
			return bad(st, t->name, "shape holds something other "
			    "than a size");
		if (t->shape[i] != 0 && t->nelem > UINT64_MAX / t->shape[i])
			return bad(st, t->name, "shape has too many elements");
		t->nelem *= t->shape[i];
		i++;
	}
	if (t->nelem > UINT64_MAX / size)
		return bad(st, t->name, "shape has too many elements");
	nbytes = t->nelem * size;
	if (get_uint(json_at(offs, 0), &b) == -1 ||
	    get_uint(json_at(offs, 1), &e) == -1)
		return bad(st, t->name, "data_offsets holds something other "
		    "than an offset");
	shape_str(t, shp, sizeof(shp));
	if (b > e)
		return bad(st, t->name, "data_offsets [%" PRIu64 ", %" PRIu64
		    "] end before they begin", b, e);
	if (e - b != nbytes)
		return bad(st, t->name, "data_offsets [%" PRIu64 ", %" PRIu64
		    "] hold %" PRIu64 " bytes but shape %s of %s needs %" PRIu64,
		    b, e, e - b, shp, dtypes[t->dtype].name, nbytes);
	if (e > st->file_size - st->data_start)
		return bad(st, t->name, "data_offsets [%" PRIu64 ", %" PRIu64
		    "] go past the end of the file (%" PRIu64 " bytes of "
		    "data): truncated?", b, e, st->file_size - st->data_start);
	t->begin = b;
	t->end = e;
	return NULL;
}

static struct error *
parse_meta(struct safetensors *st, const struct json *obj)
{
	const struct json *v;

	if (!json_is_object(obj))
		return bad(st, NULL, "__metadata__ is not an object");
	JSON_FOREACH(v, obj) {
		if (!json_is_string(v)) {
			char *k = safe(json_key(v));
			struct error *err = bad(st, NULL, "__metadata__ key "
			    "'%s' is not a string", k);

			free(k);
			return err;
		}
		st->meta = xreallocarray(st->meta, st->nmeta + 1,
		    sizeof(*st->meta));
		st->meta[st->nmeta].key = xstrdup(json_key(v));
		st->meta[st->nmeta].value = xstrdup(json_string(v));
		st->nmeta++;
	}
	return NULL;
}

static int
by_offset(const void *a, const void *b)
{
	const struct st_tensor *x = *(struct st_tensor *const *)a;
	const struct st_tensor *y = *(struct st_tensor *const *)b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp((*(struct st_tensor *const *)a)->name,
	    (*(struct st_tensor *const *)b)->name);
}

/* No two tensors share a name or a byte; no byte is left over. */
static struct error *
check_layout(struct safetensors *st)
{
	struct st_tensor **v;
	struct error *err = NULL;
	uint64_t at = 0, data = st->file_size - st->data_start;
	size_t i;

	if (st->ntensors == 0)
		return data == 0 ? NULL : bad(st, NULL, "%" PRIu64 " bytes of "
		    "data after a header that lists no tensor", data);
	v = xreallocarray(NULL, st->ntensors, sizeof(*v));
	for (i = 0; i < st->ntensors; i++)
		v[i] = &st->tensors[i];
	qsort(v, st->ntensors, sizeof(*v), by_name);
	for (i = 1; i < st->ntensors; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
			err = bad(st, v[i]->name, "listed twice");
			goto done;
		}
	qsort(v, st->ntensors, sizeof(*v), by_offset);
	for (i = 0; i < st->ntensors; i++) {
		if (v[i]->begin < at) {
			char *other = safe(v[i - 1]->name);

			err = bad(st, v[i]->name, "data_offsets [%" PRIu64
			    ", %" PRIu64 "] overlap those of tensor '%s'",
			    v[i]->begin, v[i]->end, other);
			free(other);
			goto done;
		}
		if (v[i]->begin > at) {
			err = bad(st, NULL, "data bytes %" PRIu64 " to %" PRIu64
			    " belong to no tensor", at, v[i]->begin);
			goto done;
		}
		at = v[i]->end;
	}
	if (at != data)
		err = bad(st, NULL, "%" PRIu64 " bytes after the last tensor's "
		    "data", data - at);
done:
	free(v);
	return err;
}

static struct error *
read_header(struct safetensors *st)
{
	unsigned char b[8];
	uint64_t hlen = 0;
	char *text = NULL;
	struct json *root = NULL, *v;
	struct error *err = NULL;
	size_t n;
	int i;

	if (st->file_size < 8)
		return bad(st, NULL, "truncated: %" PRIu64 " bytes, less than "
		    "the 8 of the header's length", st->file_size);
	if ((err = read_at(st, b, 8, 0)) != NULL)
		return err;
	for (i = 7; i >= 0; i--)
		hlen = hlen << 8 | b[i];
	if (hlen > ST_MAX_HEADER)
		return bad(st, NULL, "header of %" PRIu64 " bytes is larger "
		    "than the limit of %llu bytes (not a safetensors file?)",
		    hlen, ST_MAX_HEADER);
	if (hlen > st->file_size - 8)
		return bad(st, NULL, "truncated: the header says it is %"
		    PRIu64 " bytes, the file has %" PRIu64 " after the "
		    "length", hlen, st->file_size - 8);
	if (hlen < 2)
		return bad(st, NULL, "header of %" PRIu64 " bytes is not a "
		    "JSON object", hlen);
	st->data_start = 8 + hlen;
	text = xmalloc((size_t)hlen + 1);
	if ((err = read_at(st, text, (size_t)hlen, 8)) != NULL)
		goto done;
	text[hlen] = '\0';
	if (text[0] != '{' || strlen(text) != hlen) {
		err = bad(st, NULL, "header is not a JSON object (not a "
		    "safetensors file?)");
		goto done;
	}
	if (json_has_nul(text, (size_t)hlen)) {
		err = bad(st, NULL, "header holds \\u0000");
		goto done;
	}
	if (count_values(text, (size_t)hlen) > ST_MAX_VALUES) {
		err = bad(st, NULL, "header has more than %d JSON values",
		    ST_MAX_VALUES);
		goto done;
	}
	/* The reference pads the header with spaces. */
	if ((root = json_parse_object(text, (size_t)hlen)) == NULL) {
		err = bad(st, NULL, "header is not valid JSON");
		goto done;
	}
	n = json_count(root);
	st->tensors = xcalloc(n ? n : 1, sizeof(*st->tensors));
	JSON_FOREACH(v, root) {
		struct st_tensor *t;

		if (strcmp(json_key(v), "__metadata__") == 0) {
			if (st->nmeta > 0) {
				err = bad(st, NULL, "__metadata__ twice");
				goto done;
			}
			if ((err = parse_meta(st, v)) != NULL)
				goto done;
			continue;
		}
		t = &st->tensors[st->ntensors++];
		t->name = xstrdup(json_key(v));
		if ((err = parse_tensor(st, v, t)) != NULL)
			goto done;
	}
	err = check_layout(st);
done:
	json_free(root);
	free(text);
	return err;
}

struct error *
safetensors_open(const char *path, struct safetensors **out)
{
	struct safetensors *st;
	struct error *err;
	unsigned long long size;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->fd = -1;
	if ((err = fs_open_regular(path, NULL, UINT64_MAX, &st->fd,
	    &size)) != NULL) {
		safetensors_close(st);
		return err;
	}
	st->file_size = size;
	if ((err = read_header(st)) != NULL) {
		safetensors_close(st);
		return err;
	}
	*out = st;
	return NULL;
}

void
safetensors_close(struct safetensors *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->fd != -1)
		close(st->fd);
	for (i = 0; i < st->ntensors; i++)
		free(st->tensors[i].name);
	free(st->tensors);
	for (i = 0; i < st->nmeta; i++) {
		free(st->meta[i].key);
		free(st->meta[i].value);
	}
	free(st->meta);
	free(st->path);
	free(st);
}

const struct st_tensor *
safetensors_find(const struct safetensors *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->ntensors; i++)
		if (strcmp(st->tensors[i].name, name) == 0)
			return &st->tensors[i];
	return NULL;
}

const char *
safetensors_meta(const struct safetensors *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta[i].key, key) == 0)
			return st->meta[i].value;
	return NULL;
}

static int
host_little_endian(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1;
}

struct error *
safetensors_read_f32(struct safetensors *st, const struct st_tensor *t,
    float *dst)
{
	unsigned char *buf;
	struct error *err = NULL;
	uint64_t off = t->begin, left = t->end - t->begin;
	size_t esize = dtypes[t->dtype].size, n, i;

	/* F32 on a little-endian machine: the bytes are the floats. */
	if (t->dtype == ST_F32 && host_little_endian()) {
		err = read_at(st, dst, (size_t)left, st->data_start + off);
		if (err == NULL && loco_interrupted)
			err = error_new(EXIT_INTERRUPT, "interrupted");
		return err;
	}
	buf = xmalloc(ST_CHUNK);
	while (left > 0) {
		n = left < ST_CHUNK ? (size_t)left : ST_CHUNK;
		if ((err = read_at(st, buf, n, st->data_start + off)) != NULL)
			break;
		/* Little-endian on disk; composed byte by byte. */
		for (i = 0; i < n / esize; i++) {
			const unsigned char *p = buf + i * esize;

			if (t->dtype == ST_F32) {
				uint32_t u = (uint32_t)p[0] |
				    (uint32_t)p[1] << 8 |
				    (uint32_t)p[2] << 16 |
				    (uint32_t)p[3] << 24;

				memcpy(dst, &u, sizeof(*dst));
			} else if (t->dtype == ST_F16)
				*dst = st_f16_to_f32((uint16_t)(p[0] |
				    p[1] << 8));
			else
				*dst = st_bf16_to_f32((uint16_t)(p[0] |
				    p[1] << 8));
			dst++;
		}
		off += n;
		left -= n;
		if (loco_interrupted) {
			err = error_new(EXIT_INTERRUPT, "interrupted");
			break;
		}
	}
	free(buf);
	return err;
}
