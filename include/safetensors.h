/*
 * safetensors.h: a bounded reader for Hugging Face's safetensors files
 * (what PEFT saves a LoRA in: adapter_model.safetensors).
 *
 * The format: an 8-byte little-endian header length N, N bytes of JSON
 * ({"NAME": {"dtype": "F32", "shape": [r, c], "data_offsets": [b, e]},
 * ..., "__metadata__": {"k": "v"}}), then the tensors' bytes, offsets
 * counted from the end of the header.  safetensors_open() reads and checks
 * the header only, as the reference implementation does and more: a
 * header of at most 100,000,000 bytes (its limit) and 4M JSON values,
 * every tensor's dtype known and one of F32, F16 or BF16 (the others are
 * refused naming the tensor and the dtype), at most 8 dimensions, sizes
 * computed with overflow checks, data_offsets begin <= end and end -
 * begin == product(shape) * dtype size, no two tensors overlapping, no
 * byte of the data belonging to no tensor, and the data ending exactly
 * at the end of the file (so a cut-off download is caught before any
 * tensor is read).  Tensor data is then read one tensor at a time with
 * pread through a 1 MiB buffer: memory is the caller's buffer plus 1 MiB.
 *
 * Errors: EXIT_INTEGRITY for anything wrong with the contents, naming the
 * file and, where there is one, the tensor, e.g.
 *   'PATH': truncated: the header says it is 4096 bytes, the file has 100
 *   'PATH': tensor 'x.lora_A.weight': data_offsets [0, 64] hold 64 bytes
 *     but shape [16, 2] of F32 needs 128
 *   'PATH': tensor 'x' has dtype F64; loco converts F32, F16 and BF16
 * EXIT_FAIL when the file cannot be opened or read; EXIT_INTERRUPT on
 * Ctrl-C.  Text from the file is sanitized before it goes into a message.
 */
#ifndef LOCO_SAFETENSORS_H
#define LOCO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define ST_MAX_HEADER	100000000ULL	/* bytes, as the reference */
#define ST_MAX_DIMS	8

enum st_dtype {
	ST_F32,
	ST_F16,
	ST_BF16
};

struct st_tensor {
	char		*name;
	enum st_dtype	 dtype;
	int		 ndims;
	uint64_t	 shape[ST_MAX_DIMS];	/* slowest first, as torch */
	uint64_t	 nelem;
	uint64_t	 begin, end;	/* from the start of the data */
};

struct st_meta {
	char	*key;
	char	*value;
};

struct safetensors {
	char		*path;
	int		 fd;
	uint64_t	 file_size;
	uint64_t	 data_start;	/* 8 + header length */
	struct st_tensor *tensors;	/* in header order */
	size_t		 ntensors;
	struct st_meta	*meta;		/* __metadata__, string values */
	size_t		 nmeta;
};

/* Open path and check its header; *out is NULL on error. */
struct error	*safetensors_open(const char *path, struct safetensors **out);
void		 safetensors_close(struct safetensors *);

/* The tensor called name, or NULL. */
const struct st_tensor *safetensors_find(const struct safetensors *,
		    const char *name);
/* The value of a __metadata__ key, or NULL. */
const char	*safetensors_meta(const struct safetensors *, const char *key);

/*
 * Read tensor t converted to F32 into dst (t->nelem floats).  F16 and
 * BF16 convert exactly.
 */
struct error	*safetensors_read_f32(struct safetensors *,
		    const struct st_tensor *t, float *dst);

const char	*st_dtype_name(enum st_dtype);
size_t		 st_dtype_size(enum st_dtype);

/*
 * Half-precision conversions (round to nearest even), for the writers.
 * st_f32_to_f16_n converts n floats (with the CPU's F16C instructions
 * where there are) and returns how many came out Inf or NaN.
 */
float		 st_f16_to_f32(uint16_t);
float		 st_bf16_to_f32(uint16_t);
uint16_t	 st_f32_to_f16(float);
size_t		 st_f32_to_f16_n(const float *, uint16_t *, size_t n);

#endif
