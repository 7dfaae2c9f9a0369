/*
 * t_gguf.c: the GGUF header reader on files made by a tiny writer below:
 * valid adapters and models, then every way the tests could think of to
 * break one (cut short at each byte, lying lengths and counts, wrong
 * types, bad tensor layouts).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "strbuf.h"
#include "unit.h"

/* --- a test-only GGUF writer ------------------------------------------ */

enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL,
	GT_STRING, GT_ARRAY, GT_U64, GT_I64, GT_F64 };

struct gbuild {
	struct strbuf	kv;		/* encoded key/values */
	uint64_t	nkv;
	struct strbuf	ti;		/* encoded tensor infos */
	uint64_t	nt;
	uint64_t	next;		/* offset of the next tensor's data */
	uint64_t	data;		/* bytes of tensor data */
	uint32_t	align;
};

static void
put(struct strbuf *sb, const void *p, size_t n)
{
	strbuf_add(sb, p, n);
}

static void
put_u32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(sb, b, 4);
}

static void
put_u64(struct strbuf *sb, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put(sb, b, 8);
}

static void
put_str(struct strbuf *sb, const char *s)
{
	put_u64(sb, strlen(s));
	put(sb, s, strlen(s));
}

static void
gb_init(struct gbuild *gb)
{
	strbuf_init(&gb->kv, 0);
	strbuf_init(&gb->ti, 0);
	gb->nkv = gb->nt = gb->next = gb->data = 0;
	gb->align = 32;
}

static void
gb_release(struct gbuild *gb)
{
	strbuf_release(&gb->kv);
	strbuf_release(&gb->ti);
}

/* Start a key/value: the key and the type; the caller adds the value. */
static struct strbuf *
gb_key(struct gbuild *gb, const char *key, uint32_t type)
{
	gb->nkv++;
	put_str(&gb->kv, key);
	put_u32(&gb->kv, type);
	return &gb->kv;
}

static void
gb_str(struct gbuild *gb, const char *key, const char *val)
{
	put_str(gb_key(gb, key, GT_STRING), val);
}

static void
gb_u32(struct gbuild *gb, const char *key, uint32_t v)
{
	put_u32(gb_key(gb, key, GT_U32), v);
}

static void
gb_f32(struct gbuild *gb, const char *key, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	put_u32(gb_key(gb, key, GT_F32), u);
}

/* An F32 tensor of ne0 x ne1, contiguous after the previous ones. */
static void
gb_tensor(struct gbuild *gb, const char *name, uint64_t ne0, uint64_t ne1)
{
	uint64_t bytes = ne0 * ne1 * 4;

	gb->nt++;
	put_str(&gb->ti, name);
	put_u32(&gb->ti, 2);
	put_u64(&gb->ti, ne0);
	put_u64(&gb->ti, ne1);
	put_u32(&gb->ti, 0);
	put_u64(&gb->ti, gb->next);
	/* The last tensor is not padded, as llama.cpp's loader allows. */
	gb->data = gb->next + bytes;
	gb->next += (bytes + gb->align - 1) / gb->align * gb->align;
}

/* The whole file, version as given; *len gets its size. */
static char *
gb_bytes(struct gbuild *gb, uint32_t version, size_t *len)
{
	struct strbuf f;
	uint64_t i;

	strbuf_init(&f, 0);
	put(&f, "GGUF", 4);
	put_u32(&f, version);
	put_u64(&f, gb->nt);
	put_u64(&f, gb->nkv);
	put(&f, gb->kv.buf, gb->kv.len);
	put(&f, gb->ti.buf, gb->ti.len);
	if (gb->nt > 0) {
		while (f.len % gb->align != 0)
			strbuf_addch(&f, 0);
		/* Tensor data: a recognisable pattern, never read. */
		for (i = 0; i < gb->data; i++)
			strbuf_addch(&f, (int)(0x40 + i % 26));
	}
	return strbuf_detach(&f, len);
}

static const char *
write_bytes(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static const char *
gb_write(struct gbuild *gb, const char *name, uint32_t version)
{
	size_t len;
	char *b = gb_bytes(gb, version, &len);
	const char *path = write_bytes(name, b, len);

	free(b);
	gb_release(gb);
	return path;
}

/* The key/values every file here starts with, then the adapter's. */
static void
gb_lora(struct gbuild *gb)
{
	struct strbuf *sb;

	gb_init(gb);
	gb_str(gb, "general.architecture", "llama");
	gb_str(gb, "general.type", "adapter");
	gb_str(gb, "general.name", "tiny add-one");
	/* Skipped: an array of strings, one of numbers, other scalars. */
	sb = gb_key(gb, "general.tags", GT_ARRAY);
	put_u32(sb, GT_STRING);
	put_u64(sb, 2);
	put_str(sb, "lora");
	put_str(sb, "");
	sb = gb_key(gb, "tokenizer.ggml.token_type", GT_ARRAY);
	put_u32(sb, GT_I32);
	put_u64(sb, 3);
	put_u32(sb, 1);
	put_u32(sb, 2);
	put_u32(sb, 3);
	put_u64(gb_key(gb, "general.parameter_count", GT_U64), 256);
	put(gb_key(gb, "general.vocab_only", GT_BOOL), "\0", 1);
	gb_str(gb, "tokenizer.chat_template", "{{ prompt }}");
	gb_str(gb, "adapter.type", "lora");
	gb_f32(gb, "adapter.lora.alpha", 16);
	gb_tensor(gb, "blk.0.attn_q.weight.lora_a", 8, 4);
	gb_tensor(gb, "blk.0.attn_q.weight.lora_b", 4, 8);
}

static void
gb_model(struct gbuild *gb, const char *arch)
{
	gb_init(gb);
	gb_str(gb, "general.architecture", arch);
	gb_str(gb, "general.type", "model");
	gb_u32(gb, "llama.context_length", 128);
	gb_tensor(gb, "token_embd.weight", 16, 8);
	gb_tensor(gb, "output_norm.weight", 16, 1);
}

/* "'PATH': rest" for the last file written. */
static const char *
msg(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
msg(const char *path, const char *fmt, ...)
{
	static char buf[1024];
	char rest[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "'%s'%s", path, rest);
	return buf;
}

/* gguf_read must fail with EXIT_INTEGRITY and this message. */
#define CHECK_BAD(path, ...) do {					\
	struct gguf_info gi_;						\
	struct error *err_ = gguf_read((path), &gi_);			\
	CHECK(err_ != NULL && err_->code == EXIT_INTEGRITY);		\
	CHECK_ERR(err_, msg((path), __VA_ARGS__));			\
	CHECK(gi_.kvs == NULL && gi_.architecture == NULL);		\
	gguf_info_release(&gi_);					\
} while (0)

/* --- valid files -------------------------------------------------------- */

TEST(gguf_lora)
{
	struct gbuild gb;
	struct gguf_info gi;
	const char *path;
	uint32_t v;

	for (v = 2; v <= 3; v++) {
		gb_lora(&gb);
		path = gb_write(&gb, "lora.gguf", v);
		CHECK_OK(gguf_read(path, &gi));
		CHECK_INT(gi.version, v);
		CHECK_INT(gi.tensor_count, 2);
		CHECK_INT(gi.kv_count, 10);
		CHECK_STR(gi.architecture, "llama");
		CHECK_STR(gi.type, "adapter");
		CHECK_STR(gi.adapter_type, "lora");
		CHECK_STR(gi.name, "tiny add-one");
		CHECK_INT(gi.has_alpha, 1);
		CHECK_DBL(gi.lora_alpha, 16, 0);
		CHECK_INT(gi.alignment, 32);
		/* Kept: the general.* and adapter.* strings, in file order. */
		CHECK_INT(gi.nkvs, 4);
		CHECK_STR(gi.kvs[2].key, "general.name");
		CHECK_STR(gguf_get(&gi, "adapter.type"), "lora");
		CHECK_STR(gguf_get(&gi, "tokenizer.chat_template"), NULL);
		CHECK_STR(gguf_get(&gi, "general.tags"), NULL);
		CHECK_INT(gi.data_offset % 32, 0);
		CHECK_INT(gi.data_size, 128 + 128);
		CHECK_INT(gi.file_size, gi.data_offset + gi.data_size);
		CHECK_OK(gguf_check(path, &gi, GGUF_LORA, NULL, NULL));
		CHECK_OK(gguf_check(path, &gi, GGUF_LORA, "llama", "tiny"));
		gguf_info_release(&gi);
		CHECK(gi.kvs == NULL && gi.nkvs == 0);
	}
	/* Releasing twice, or after a failed read, is allowed. */
	gguf_info_release(&gi);
}

TEST(gguf_model)
{
	struct gbuild gb;
	struct gguf_info gi;
	const char *path;

	gb_model(&gb, "qwen3");
	path = gb_write(&gb, "model.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_STR(gi.type, "model");
	CHECK_STR(gi.adapter_type, NULL);
	CHECK_STR(gi.name, NULL);
	CHECK_INT(gi.has_alpha, 0);
	CHECK_INT(gi.data_size, 16 * 8 * 4 + 16 * 4);
	CHECK_OK(gguf_check(path, &gi, GGUF_MODEL, "qwen3", "qwen3:4b"));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, NULL, NULL),
	    msg(path, " is not a LoRA adapter (general.type is 'model', "
	    "expected 'adapter')"));
	CHECK_ERR(gguf_check(path, &gi, GGUF_MODEL, "llama", "tiny"),
	    msg(path, " is a model for architecture 'qwen3' but the base "
	    "model 'tiny' is 'llama'"));
	gguf_info_release(&gi);

	/* No general.type at all: a model, as older converters wrote. */
	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	path = gb_write(&gb, "old.gguf", 2);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_INT(gi.tensor_count, 0);
	CHECK_OK(gguf_check(path, &gi, GGUF_MODEL, NULL, NULL));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, NULL, NULL),
	    msg(path, " is not a LoRA adapter (general.type is missing, "
	    "expected 'adapter')"));
	gguf_info_release(&gi);
}

TEST(gguf_alignment)
{
	struct gbuild gb;
	struct gguf_info gi;
	const char *path;

	gb_init(&gb);
	gb.align = 64;
	gb_u32(&gb, "general.alignment", 64);
	gb_str(&gb, "general.architecture", "llama");
	gb_tensor(&gb, "a", 8, 3);
	gb_tensor(&gb, "b", 8, 1);
	path = gb_write(&gb, "align.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_INT(gi.alignment, 64);
	CHECK_INT(gi.data_offset % 64, 0);
	CHECK_INT(gi.data_size, 128 + 32);
	gguf_info_release(&gi);

	gb_init(&gb);
	gb_u32(&gb, "general.alignment", 24);
	path = gb_write(&gb, "align24.gguf", 3);
	CHECK_BAD(path, ": general.alignment 24 is not a power of two");

	gb_init(&gb);
	put_u64(gb_key(&gb, "general.alignment", GT_U64), 32);
	path = gb_write(&gb, "align64.gguf", 3);
	CHECK_BAD(path, ": key 'general.alignment' has type u64, expected u32");
}

/* --- gguf_check ---------------------------------------------------------- */

TEST(gguf_check_kind)
{
	struct gbuild gb;
	struct gguf_info gi;
	const char *path;

	gb_lora(&gb);
	path = gb_write(&gb, "lora.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_ERR(gguf_check(path, &gi, GGUF_MODEL, NULL, NULL),
	    msg(path, " is not a model (general.type is 'adapter', "
	    "expected 'model')"));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, "qwen3", "qwen3:4b"),
	    msg(path, " is a LoRA for architecture 'llama' but the base model "
	    "'qwen3:4b' is 'qwen3': train or download an adapter for qwen3"));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, "qwen3", NULL),
	    msg(path, " is a LoRA for architecture 'llama' but the base model "
	    "is 'qwen3': train or download an adapter for qwen3"));
	/* Text from the file or the server is made safe for a terminal. */
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, "qw\033en", "a\nb"),
	    msg(path, " is a LoRA for architecture 'llama' but the base model "
	    "'a?b' is 'qw?en': train or download an adapter for qw?en"));
	gguf_info_release(&gi);

	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	gb_str(&gb, "general.type", "adapter");
	path = gb_write(&gb, "noadtype.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, NULL, NULL),
	    msg(path, " is not a LoRA adapter (adapter.type is missing, "
	    "expected 'lora')"));
	gguf_info_release(&gi);

	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	gb_str(&gb, "general.type", "adapter");
	gb_str(&gb, "adapter.type", "control\tvector");
	path = gb_write(&gb, "cvec.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, NULL, NULL),
	    msg(path, " is not a LoRA adapter (adapter.type is "
	    "'control?vector', expected 'lora')"));
	gguf_info_release(&gi);

	gb_init(&gb);
	gb_str(&gb, "general.type", "adapter");
	gb_str(&gb, "adapter.type", "lora");
	path = gb_write(&gb, "noarch.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, "llama", NULL),
	    msg(path, " has no general.architecture"));
	CHECK_ERR(gguf_check(path, &gi, GGUF_LORA, NULL, NULL),
	    msg(path, " has no general.architecture"));
	gguf_info_release(&gi);
}

/* --- broken files ---------------------------------------------------------- */

TEST(gguf_magic_version)
{
	struct gbuild gb;
	size_t len;
	char *b;
	const char *path;

	path = write_bytes("text.gguf", "hello, world", 12);
	CHECK_BAD(path, " is not a GGUF file (bad magic)");
	path = write_bytes("ab.gguf", "ab", 2);
	CHECK_BAD(path, " is not a GGUF file (bad magic)");
	/* A prefix of the magic is a file cut short, not another format. */
	path = write_bytes("gg.gguf", "GG", 2);
	CHECK_BAD(path, ": truncated at byte 2 (reading the header)");
	path = write_bytes("empty.gguf", "", 0);
	CHECK_BAD(path, ": truncated at byte 0 (reading the header)");

	gb_lora(&gb);
	path = gb_write(&gb, "v1.gguf", 1);
	CHECK_BAD(path, ": unsupported GGUF version 1");
	gb_lora(&gb);
	path = gb_write(&gb, "v4.gguf", 4);
	CHECK_BAD(path, ": unsupported GGUF version 4");
	gb_lora(&gb);
	path = gb_write(&gb, "v0.gguf", 0);
	CHECK_BAD(path, ": unsupported GGUF version 0");
	gb_lora(&gb);
	path = gb_write(&gb, "be.gguf", 0x03000000);
	CHECK_BAD(path, ": unsupported GGUF version 50331648 (a big-endian "
	    "file?)");

	gb_lora(&gb);
	b = gb_bytes(&gb, 3, &len);
	gb_release(&gb);
	memcpy(b, "GGML", 4);
	path = write_bytes("ggml.gguf", b, len);
	CHECK_BAD(path, " is not a GGUF file (bad magic)");
	free(b);
}

/*
 * The valid adapter cut at every length short of its own: each must fail
 * with EXIT_INTEGRITY (and under ASan, without touching a wrong byte).
 */
TEST(gguf_truncated_everywhere)
{
	struct gbuild gb;
	struct gguf_info gi;
	struct error *err;
	size_t len, n, failed = 0;
	char *b;
	const char *path;

	gb_lora(&gb);
	b = gb_bytes(&gb, 3, &len);
	gb_release(&gb);
	for (n = 0; n < len; n++) {
		path = write_bytes("cut.gguf", b, n);
		err = gguf_read(path, &gi);
		if (err == NULL || err->code != EXIT_INTEGRITY ||
		    strstr(err->msg, "truncated at byte") == NULL) {
			unit_fail(__FILE__, __LINE__, "cut at %zu: %s", n,
			    err ? err->msg : "accepted");
			failed++;
		}
		error_free(err);
		CHECK(gi.kvs == NULL);
		gguf_info_release(&gi);
		if (failed > 5)
			break;
	}
	path = write_bytes("cut.gguf", b, len);
	CHECK_OK(gguf_read(path, &gi));
	gguf_info_release(&gi);

	/* Where the messages point: the header, a key/value, a tensor. */
	path = write_bytes("cut.gguf", b, 20);
	CHECK_BAD(path, ": truncated at byte 20 (reading the header)");
	path = write_bytes("cut.gguf", b, 30);
	CHECK_BAD(path, ": truncated at byte 30 (reading key/value 1)");
	/* Key/value 3 starts at 24 + (8 + 20 + 4 + 8 + 5) + (8 + 12 + 4 + 8 + 7). */
	path = write_bytes("cut.gguf", b, 107);
	CHECK_BAD(path, ": truncated at byte 107 (reading key/value 2)");
	path = write_bytes("cut.gguf", b, 110);
	CHECK_BAD(path, ": truncated at byte 110 (reading key/value 3)");
	path = write_bytes("cut.gguf", b, len - 256 - 40);
	CHECK_BAD(path, ": truncated at byte %zu (reading tensor info 2)",
	    len - 256 - 40);
	path = write_bytes("cut.gguf", b, len - 1);
	CHECK_BAD(path, ": truncated at byte %zu (the tensor data ends at "
	    "byte %zu)", len - 1, len);
	free(b);
}

TEST(gguf_hostile_lengths)
{
	struct gbuild gb;
	struct strbuf *sb;
	const char *path;

	/* A 2 MiB string in a file of 60 bytes: refused before any read. */
	gb_init(&gb);
	sb = gb_key(&gb, "general.name", GT_STRING);
	put_u64(sb, 2 * 1024 * 1024);
	put(sb, "tiny", 4);
	path = gb_write(&gb, "hugestr.gguf", 3);
	CHECK_BAD(path, ": string of 2097152 bytes at byte 48 is too long "
	    "(key/value 1)");

	/* "qwen3\0x" must not pass for "qwen3". */
	gb_init(&gb);
	sb = gb_key(&gb, "general.architecture", GT_STRING);
	put_u64(sb, 7);
	put(sb, "qwen3\0x", 7);
	path = gb_write(&gb, "nul.gguf", 3);
	CHECK_BAD(path, ": string at byte 56 holds a NUL byte (key/value 1)");

	/* Within the limit but past the end of the file. */
	gb_init(&gb);
	sb = gb_key(&gb, "general.name", GT_STRING);
	put_u64(sb, 1024 * 1024);
	path = gb_write(&gb, "longstr.gguf", 3);
	CHECK_BAD(path, ": truncated at byte 56 (reading key/value 1)");

	gb_init(&gb);
	sb = &gb.kv;
	gb.nkv = 1;
	put_u64(sb, 64 * 1024 + 1);
	path = gb_write(&gb, "hugekey.gguf", 3);
	CHECK_BAD(path, ": key of 65537 bytes at byte 24 is too long "
	    "(key/value 1)");

	gb_init(&gb);
	sb = gb_key(&gb, "tokenizer.ggml.tokens", GT_ARRAY);
	put_u32(sb, GT_STRING);
	put_u64(sb, 16 * 1024 * 1024 + 1);
	path = gb_write(&gb, "hugearr.gguf", 3);
	CHECK_BAD(path, ": array of 16777217 elements at byte 61 is too long "
	    "(key/value 1)");

	/* The largest array allowed, of strings and of numbers, in a tiny
	 * file: the end of the file stops the walk at once. */
	gb_init(&gb);
	sb = gb_key(&gb, "tokenizer.ggml.tokens", GT_ARRAY);
	put_u32(sb, GT_STRING);
	put_u64(sb, 16 * 1024 * 1024);
	put_str(sb, "a");
	path = gb_write(&gb, "bigarr.gguf", 3);
	CHECK_BAD(path, ": truncated at byte 78 (reading key/value 1)");
	gb_init(&gb);
	sb = gb_key(&gb, "tokenizer.ggml.scores", GT_ARRAY);
	put_u32(sb, GT_F64);
	put_u64(sb, 16 * 1024 * 1024);
	path = gb_write(&gb, "bigf64.gguf", 3);
	CHECK_BAD(path, ": truncated at byte 69 (reading key/value 1)");

	/* Counts: refused outright above the limits, cut short below. */
	gb_init(&gb);
	gb.nkv = (uint64_t)1 << 40;
	path = gb_write(&gb, "manykv.gguf", 3);
	CHECK_BAD(path, ": too many key/values (1099511627776, at most "
	    "1048576)");
	gb_init(&gb);
	gb.nt = 1024 * 1024 + 1;
	path = gb_write(&gb, "manyt.gguf", 3);
	CHECK_BAD(path, ": too many tensors (1048577, at most 1048576)");
	gb_init(&gb);
	gb.nkv = 1024 * 1024;
	path = gb_write(&gb, "somekv.gguf", 3);
	CHECK_BAD(path, ": truncated at byte 24 (reading key/value 1)");
}

TEST(gguf_bad_values)
{
	struct gbuild gb;
	struct gguf_info gi;
	struct strbuf *sb;
	const char *path;

	gb_init(&gb);
	gb_u32(&gb, "general.architecture", 7);
	path = gb_write(&gb, "archu32.gguf", 3);
	CHECK_BAD(path, ": key 'general.architecture' has type u32, "
	    "expected string");

	gb_init(&gb);
	sb = gb_key(&gb, "adapter.type", GT_ARRAY);
	put_u32(sb, GT_STRING);
	put_u64(sb, 0);
	path = gb_write(&gb, "adarr.gguf", 3);
	CHECK_BAD(path, ": key 'adapter.type' has type array, expected string");

	gb_init(&gb);
	gb_str(&gb, "adapter.lora.alpha", "16");
	path = gb_write(&gb, "alphastr.gguf", 3);
	CHECK_BAD(path, ": key 'adapter.lora.alpha' has type string, "
	    "expected a number");

	/* Any numeric type will do for alpha. */
	gb_init(&gb);
	gb_u32(&gb, "adapter.lora.alpha", 32);
	path = gb_write(&gb, "alphau32.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_INT(gi.has_alpha, 1);
	CHECK_DBL(gi.lora_alpha, 32, 0);
	gguf_info_release(&gi);
	gb_init(&gb);
	put_u32(gb_key(&gb, "adapter.lora.alpha", GT_I32), (uint32_t)-8);
	path = gb_write(&gb, "alphai32.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_DBL(gi.lora_alpha, -8, 0);
	gguf_info_release(&gi);

	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	gb_str(&gb, "general.architecture", "qwen3");
	path = gb_write(&gb, "dup.gguf", 3);
	CHECK_BAD(path, ": key 'general.architecture' appears twice");

	gb_init(&gb);
	gb_str(&gb, "", "x");
	path = gb_write(&gb, "emptykey.gguf", 3);
	CHECK_BAD(path, ": key/value 1 has an empty key");

	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	put_u32(gb_key(&gb, "x\033[2J", 13), 0);
	path = gb_write(&gb, "type13.gguf", 3);
	CHECK_BAD(path, ": key 'x?[2J' has unknown type 13");

	gb_init(&gb);
	sb = gb_key(&gb, "nested", GT_ARRAY);
	put_u32(sb, GT_ARRAY);
	put_u64(sb, 1);
	path = gb_write(&gb, "nested.gguf", 3);
	CHECK_BAD(path, ": key 'nested' is an array of arrays, which "
	    "llama.cpp does not read");

	gb_init(&gb);
	sb = gb_key(&gb, "arr", GT_ARRAY);
	put_u32(sb, 99);
	put_u64(sb, 1);
	path = gb_write(&gb, "arr99.gguf", 3);
	CHECK_BAD(path, ": key 'arr' is an array of unknown type 99");
}

/* What is kept in memory is bounded too, whatever the file's size. */
TEST(gguf_kept_limit)
{
	struct gbuild gb;
	struct gguf_info gi;
	const char *path;
	char key[32];
	int i;

	gb_init(&gb);
	for (i = 0; i < 1024; i++) {
		snprintf(key, sizeof(key), "general.k%d", i);
		gb_str(&gb, key, "v");
	}
	path = gb_write(&gb, "kept.gguf", 3);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_INT(gi.nkvs, 1024);
	CHECK_STR(gguf_get(&gi, "general.k1023"), "v");
	gguf_info_release(&gi);

	gb_init(&gb);
	for (i = 0; i < 1025; i++) {
		snprintf(key, sizeof(key), "adapter.k%d", i);
		gb_str(&gb, key, "v");
	}
	path = gb_write(&gb, "toomany.gguf", 3);
	CHECK_BAD(path, ": too many general.* and adapter.* strings "
	    "(key/value 1025)");
}

/* A tensor info with the given fields, after general.architecture. */
static const char *
write_tensor(const char *name, uint32_t ndims, const uint64_t *ne,
    uint32_t type, uint64_t offset, size_t data)
{
	struct gbuild gb;
	uint32_t i;

	gb_init(&gb);
	gb_str(&gb, "general.architecture", "llama");
	gb.nt = 1;
	put_str(&gb.ti, "t");
	put_u32(&gb.ti, ndims);
	for (i = 0; i < ndims; i++)
		put_u64(&gb.ti, ne[i]);
	put_u32(&gb.ti, type);
	put_u64(&gb.ti, offset);
	gb.data = data;
	return gb_write(&gb, name, 3);
}

TEST(gguf_bad_tensors)
{
	static const uint64_t ne[] = { 32, 2, 1, 1, 1 };
	static const uint64_t neg[] = { 32, (uint64_t)-1 };
	static const uint64_t huge[] = { (uint64_t)1 << 32, (uint64_t)1 << 32 };
	static const uint64_t big[] = { (uint64_t)1 << 30, (uint64_t)1 << 30 };
	static const uint64_t odd[] = { 8, 2 };
	struct gguf_info gi;
	const char *path;
	uint64_t size;

	/* q8_0 (type 8): 32 elements in 34 bytes; 2 rows. */
	path = write_tensor("q8.gguf", 2, ne, 8, 0, 68);
	CHECK_OK(gguf_read(path, &gi));
	CHECK_INT(gi.data_size, 68);
	size = gi.file_size;
	gguf_info_release(&gi);
	path = write_tensor("q8short.gguf", 2, ne, 8, 0, 67);
	CHECK_BAD(path, ": truncated at byte %zu (the tensor data ends at "
	    "byte %zu)", (size_t)size - 1, (size_t)size);

	path = write_tensor("dims.gguf", 5, ne, 0, 0, 256);
	CHECK_BAD(path, ": tensor 't' has 5 dimensions, more than 4");
	path = write_tensor("neg.gguf", 2, neg, 0, 0, 256);
	CHECK_BAD(path, ": tensor 't' has a negative dimension");
	path = write_tensor("huge.gguf", 2, huge, 0, 0, 256);
	CHECK_BAD(path, ": tensor 't' has too many elements");
	path = write_tensor("big.gguf", 2, big, 0, 0, 256);
	CHECK_BAD(path, ": tensor 't' is 4611686018427387904 bytes, more than "
	    "the whole file");
	path = write_tensor("type.gguf", 2, ne, 4, 0, 256);
	CHECK_BAD(path, ": tensor 't' has unknown ggml type 4");
	path = write_tensor("type99.gguf", 2, ne, 99, 0, 256);
	CHECK_BAD(path, ": tensor 't' has unknown ggml type 99");
	path = write_tensor("rows.gguf", 2, odd, 8, 0, 256);
	CHECK_BAD(path, ": tensor 't' has rows of 8 elements, not a multiple "
	    "of its type's block of 32");
	path = write_tensor("offset.gguf", 2, ne, 0, 32, 512);
	CHECK_BAD(path, ": tensor 't' has offset 32, expected 0");
}
