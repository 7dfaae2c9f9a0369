/*
 * gguf.h: read and check the header of a GGUF file (llama.cpp's model and
 * adapter format) without reading its tensor data.
 *
 * gguf_read() walks the header, the key/values and the tensor infos, and
 * checks the layout the way llama.cpp's loader does: version 2 or 3, known
 * value and tensor types, tensors contiguous from the aligned start of the
 * data section, and every byte accounted for inside the file, so a download
 * cut short is caught here and not as a 500 from Ollama.  Hard limits keep
 * a hostile file from exhausting memory or time: strings <= 1 MiB, keys
 * <= 64 KiB, arrays <= 16M elements (skipped, never stored), <= 1M
 * key/values and <= 1M tensors; nested arrays are refused (llama.cpp
 * refuses them too).  Memory use is a 64 KiB buffer plus the kept strings
 * (at most 1024 of them and 16 MiB).
 *
 * Errors: EXIT_INTEGRITY for anything wrong with the file's contents, e.g.
 *   'PATH' is not a GGUF file (bad magic)
 *   'PATH': unsupported GGUF version 1
 *   'PATH': truncated at byte N (reading key/value 3)
 *   'PATH': string of N bytes at byte M is too long (key/value 3)
 *   'PATH': key 'general.architecture' has type u32, expected string
 * and EXIT_FAIL when the file cannot be opened or read.  Key/values and
 * tensors are numbered from 1 in messages; N and M are byte offsets.
 * Text from the file is sanitized before it goes into a message.
 */
#ifndef LOCO_GGUF_H
#define LOCO_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A string-valued key/value whose key starts with "general." or "adapter.". */
struct gguf_kv {
	char	*key;
	char	*value;
};

struct gguf_info {
	int		 version;	/* 2 or 3 */
	uint64_t	 tensor_count;
	uint64_t	 kv_count;
	uint64_t	 file_size;
	uint32_t	 alignment;	/* general.alignment, default 32 */
	uint64_t	 data_offset;	/* start of tensor data */
	uint64_t	 data_size;	/* end of the last tensor, from data_offset */

	/* Shortcuts into kvs (NULL when absent); do not free them. */
	const char	*architecture;	/* general.architecture */
	const char	*type;		/* general.type: "model", "adapter" */
	const char	*adapter_type;	/* adapter.type: "lora" */
	const char	*name;		/* general.name */

	/* ARCH.block_count, .embedding_length, .attention.head_count(_kv) */
	uint64_t	 n_layer;
	uint64_t	 n_embd;
	uint64_t	 n_head;
	uint64_t	 n_head_kv;

	/* ARCH.feed_forward_length, .attention.key_length, .value_length */
	uint64_t	 n_ff;
	uint64_t	 key_length;
	uint64_t	 value_length;

	double		 lora_alpha;	/* adapter.lora.alpha, any numeric type */
	int		 has_alpha;

	struct gguf_kv	*kvs;		/* in file order */
	size_t		 nkvs;

	/* Only from gguf_read_tensors(): every tensor info, in file order. */
	struct gguf_tensor *tensors;
	size_t		 ntensors;
};

struct gguf_tensor {
	char		*name;
	uint32_t	 ndims;
	uint64_t	 ne[4];		/* fastest first; 1 past ndims */
	uint32_t	 type;		/* ggml type */
};

/*
 * Read path's header into *info (which need not be initialised).  On
 * error *info is left empty, and releasing it is still allowed.  The four
 * shortcut keys and general.alignment must have their GGUF type (string,
 * u32) if present, adapter.lora.alpha a numeric one, or the read fails.
 */
struct error	*gguf_read(const char *path, struct gguf_info *info);
/*
 * The same, also keeping every tensor's name and dimensions (at most 64
 * MiB of names), for checking an adapter's shapes against its base.
 */
struct error	*gguf_read_tensors(const char *path, struct gguf_info *info);
void		 gguf_info_release(struct gguf_info *info);

/* The tensor info called name (gguf_read_tensors), or NULL. */
const struct gguf_tensor *gguf_find_tensor(const struct gguf_info *,
		    const char *name);

/* The value of a kept key (see struct gguf_kv), or NULL. */
const char	*gguf_get(const struct gguf_info *, const char *key);

enum gguf_kind {
	GGUF_MODEL,	/* general.type absent or "model" */
	GGUF_LORA	/* general.type "adapter" and adapter.type "lora" */
};

/*
 * Check that a file read by gguf_read() is of the kind wanted and has a
 * general.architecture; when base_arch is not NULL, that it equals
 * base_arch, the architecture of the base model base_tag (a name for the
 * message, e.g. "qwen3:4b"; may be NULL).  EXIT_INTEGRITY on failure:
 *   'PATH' is not a LoRA adapter (general.type is 'model', expected 'adapter')
 *   'PATH' is a LoRA for architecture 'llama' but the base model 'qwen3:4b'
 *     is 'qwen3': train or download an adapter for qwen3
 */
struct error	*gguf_check(const char *path, const struct gguf_info *,
		    enum gguf_kind want, const char *base_arch,
		    const char *base_tag);

#endif
