/*
 * fuzz_safetensors.c: safetensors_open on a file holding the input.  A
 * header that is accepted must describe tensors that tile the data
 * exactly, each read back whole; what fails is EXIT_INTEGRITY with a
 * clean message.
 */
#include "fuzz.h"
#include "safetensors.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_file_init("adapter_model.safetensors");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct safetensors *st;
	struct error *err;
	uint64_t total = 0;
	size_t i;
	int d;

	fuzz_file_write(data, size);
	err = safetensors_open(fuzz_path, &st);
	if (err != NULL) {
		FUZZ_CHECK(err->code == EXIT_INTEGRITY);
		FUZZ_CHECK(st == NULL);
		fuzz_error_free(err);
		return 0;
	}
	FUZZ_CHECK(st->data_start >= 8 && st->data_start <= size);
	for (i = 0; i < st->ntensors; i++) {
		const struct st_tensor *t = &st->tensors[i];
		uint64_t n = 1;
		float *buf;

		FUZZ_CHECK(t->begin <= t->end);
		FUZZ_CHECK(t->end <= size - st->data_start);
		FUZZ_CHECK(t->ndims >= 0 && t->ndims <= ST_MAX_DIMS);
		for (d = 0; d < t->ndims; d++)
			n *= t->shape[d];
		FUZZ_CHECK(n == t->nelem);
		FUZZ_CHECK(t->end - t->begin == n * st_dtype_size(t->dtype));
		FUZZ_CHECK(safetensors_find(st, t->name) == t);
		total += t->end - t->begin;
		/* Small ones are read back: a fuzz input is small anyway. */
		if (n <= 1 << 16) {
			buf = xmalloc((size_t)n * sizeof(*buf) + 1);
			err = safetensors_read_f32(st, t, buf);
			FUZZ_CHECK(err == NULL);
			free(buf);
		}
	}
	/* No overlaps and no holes: the sizes add up to the data. */
	FUZZ_CHECK(total == size - st->data_start);
	for (i = 0; i < st->nmeta; i++)
		FUZZ_CHECK(safetensors_meta(st, st->meta[i].key) != NULL);
	safetensors_close(st);
	return 0;
}
