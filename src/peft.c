/*
 * peft.c: a PEFT LoRA folder to a GGUF LoRA (see peft.h): the
 * adapter_config.json reader, the name mapping, the checks against the
 * base model's GGUF header, and a streaming GGUF writer that holds one
 * tensor at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "fsutil.h"
#include "gguf.h"
#include "json.h"
#include "peft.h"
#include "safetensors.h"
#include "strbuf.h"
#include "banned.h"

#define PEFT_CONFIG_MAX	(1024 * 1024)
#define PEFT_MSG_MAX	120
#define GGUF_ALIGN	32
#define OUT_CHUNK	(1024 * 1024)

static char *
safe(const char *s)
{
	return str_sanitize(s, PEFT_MSG_MAX);
}

/* adapter_config.json */

static struct error *
config_type(const char *path, const char *key, const char *want)
{
	return error_new(EXIT_INTEGRITY, "'%s': \"%s\" is not %s", path, key,
	    want);
}

/* A boolean key; absent and null are false. */
static struct error *
get_bool(const char *path, const struct json *root, const char *key, int *out)
{
	const struct json *v = json_get(root, key);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_bool(v))
		return config_type(path, key, "true or false");
	*out = json_is_true(v);
	return NULL;
}

/* A string key; absent and null give NULL. */
static struct error *
get_str(const char *path, const struct json *root, const char *key, char **out)
{
	const struct json *v = json_get(root, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		return config_type(path, key, "a string");
	*out = xstrdup(json_string(v));
	return NULL;
}

/* A list of strings (or null or absent: none). */
static struct error *
get_strlist(const char *path, const struct json *v, const char *key,
    char ***out, size_t *n)
{
	const struct json *e;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_array(v))
		return config_type(path, key, "a list of strings");
	JSON_FOREACH(e, v) {
		if (!json_is_string(e))
			return config_type(path, key, "a list of strings");
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xstrdup(json_string(e));
	}
	return NULL;
}

static struct error *
get_patterns(const char *path, const struct json *root, const char *key,
    struct peft_pattern **out, size_t *n)
{
	const struct json *v = json_get(root, key), *e;
	double d;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_object(v))
		return config_type(path, key, "an object of module names and "
		    "numbers");
	JSON_FOREACH(e, v) {
		if (json_number(e, &d) == -1 || !(d > 0) || !isfinite(d))
			return config_type(path, key, "an object of module "
			    "names and positive numbers");
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[*n].key = xstrdup(json_key(e));
		(*out)[*n].value = d;
		(*n)++;
	}
	return NULL;
}

/* Modules that fuse several projections, and where they come from. */
static const struct {
	const char	*name;
	const char	*family;
} fused[] = {
	{ "qkv_proj", "phi3" }, { "gate_up_proj", "phi3" },
	{ "W_pack", "baichuan" }, { "c_attn", "gpt2" },
	{ "query_key_value", "falcon, bloom" }, { "Wqkv", "mpt" },
};

/* subject: "'PATH': target_modules" or "tensor 'NAME'". */
static struct error *
refuse_fused(const char *subject, const char *module, const char *family)
{
	return error_new(EXIT_FAIL, "%s is on the fused projection '%s' "
	    "(%s): loco converts LoRAs on separate q_proj, k_proj, v_proj, "
	    "o_proj, gate_proj, up_proj and down_proj (llama, mistral, "
	    "qwen2, qwen3, gemma2, gemma3)", subject, module, family);
}

static struct error *
check_targets(struct peft_config *pc)
{
	size_t i, j;
	struct error *err = NULL;
	char *m;

	for (i = 0; i < pc->ntargets; i++) {
		const char *t = pc->targets[i];

		for (j = 0; j < ARRAY_SIZE(fused); j++)
			if (strcmp(t, fused[j].name) == 0) {
				char *subj = xasprintf("'%s': target_modules",
				    pc->path);

				err = refuse_fused(subj, t, fused[j].family);
				free(subj);
				return err;
			}
		/* lm_head is converted (output.weight); the embeddings
		 * are not: llama.cpp wants their lora_a transposed and
		 * PEFT names them lora_embedding_A/B. */
		if (strcmp(t, "embed_tokens") == 0) {
			m = safe(t);
			err = error_new(EXIT_FAIL, "'%s': target_modules "
			    "holds '%s': a LoRA on the token embeddings is not "
			    "converted (loco converts the attention and MLP "
			    "projections and lm_head); train without it",
			    pc->path, m);
			free(m);
			return err;
		}
	}
	return NULL;
}

static struct error *
config_from_json(struct peft_config *pc, const struct json *root)
{
	const char *path = pc->path;
	const struct json *v;
	struct error *err;
	long long r;
	int lora_bias;

	if (!json_is_object(root))
		return error_new(EXIT_INTEGRITY, "'%s' is not a JSON object",
		    path);
	if ((err = get_str(path, root, "peft_type", &pc->peft_type)) != NULL)
		return err;
	if (pc->peft_type != NULL && strcmp(pc->peft_type, "LORA") != 0) {
		char *t = safe(pc->peft_type);

		err = error_new(EXIT_FAIL, "'%s': peft_type '%s' is not a "
		    "LoRA; loco converts LoRA adapters (peft_type LORA)",
		    path, t);
		free(t);
		return err;
	}
	v = json_get(root, "r");
	if (v == NULL)
		return error_new(EXIT_INTEGRITY, "'%s': no \"r\" (the LoRA "
		    "rank)", path);
	if (json_integer(v, 1, 65536, &r) == -1)
		return config_type(path, "r", "a whole number from 1 to 65536");
	pc->r = (long)r;
	v = json_get(root, "lora_alpha");
	if (v == NULL)
		return error_new(EXIT_INTEGRITY, "'%s': no \"lora_alpha\"",
		    path);
	if (json_number(v, &pc->alpha) == -1 || !isfinite(pc->alpha) ||
	    !(pc->alpha > 0) || pc->alpha > 1e6)
		return config_type(path, "lora_alpha", "a positive number");
	if ((err = get_str(path, root, "base_model_name_or_path",
	    &pc->base_model)) != NULL)
		return err;
	v = json_get(root, "target_modules");
	if (json_is_string(v))
		pc->target_regex = xstrdup(json_string(v));
	else if ((err = get_strlist(path, v, "target_modules", &pc->targets,
	    &pc->ntargets)) != NULL)
		return err;
	if ((err = get_bool(path, root, "use_dora", &pc->use_dora)) != NULL ||
	    (err = get_bool(path, root, "use_rslora", &pc->use_rslora)) != NULL ||
	    (err = get_bool(path, root, "fan_in_fan_out",
	    &pc->fan_in_fan_out)) != NULL ||
	    (err = get_bool(path, root, "lora_bias", &lora_bias)) != NULL ||
	    (err = get_str(path, root, "bias", &pc->bias)) != NULL ||
	    (err = get_strlist(path, json_get(root,
	    "modules_to_save"), "modules_to_save", &pc->modules_to_save,
	    &pc->nmodules_to_save)) != NULL ||
	    (err = get_patterns(path, root, "rank_pattern", &pc->rank_pattern,
	    &pc->nrank_pattern)) != NULL ||
	    (err = get_patterns(path, root, "alpha_pattern",
	    &pc->alpha_pattern, &pc->nalpha_pattern)) != NULL)
		return err;
	v = json_get(root, "layer_replication");
	pc->layer_replication = v != NULL && !json_is_null(v);

	if (pc->use_dora)
		return error_new(EXIT_FAIL, "'%s': a DoRA adapter (use_dora: "
		    "true) is not converted: llama.cpp's LoRA has no magnitude "
		    "vector; train with use_dora=False, or merge the adapter "
		    "into the model and convert that", path);
	if (pc->nmodules_to_save > 0) {
		char *m = safe(pc->modules_to_save[0]);

		err = error_new(EXIT_FAIL, "'%s': modules_to_save ('%s'%s) "
		    "keeps whole trained copies of modules, which a GGUF LoRA "
		    "cannot carry; train without modules_to_save, or merge the "
		    "adapter into the model", path, m,
		    pc->nmodules_to_save > 1 ? ", ..." : "");
		free(m);
		return err;
	}
	if (lora_bias || (pc->bias != NULL && strcmp(pc->bias, "none") != 0))
		return error_new(EXIT_FAIL, "'%s': trained biases (%s) are not "
		    "converted: a GGUF LoRA has none; train with bias=\"none\"",
		    path, lora_bias ? "lora_bias: true" : "bias not \"none\"");
	if (pc->layer_replication)
		return error_new(EXIT_FAIL, "'%s': layer_replication is not "
		    "converted: the GGUF base has its layers once", path);
	return check_targets(pc);
}

struct error *
peft_config_parse(const char *path, const char *text, size_t len,
    struct peft_config *pc)
{
	struct error *err;
	struct json *root;

	memset(pc, 0, sizeof(*pc));
	pc->path = xstrdup(path);
	if (json_has_nul(text, len) || memchr(text, '\0', len) != NULL) {
		err = error_new(EXIT_INTEGRITY, "'%s' holds a NUL character",
		    path);
		peft_config_release(pc);
		return err;
	}
	if ((root = json_parse(text, len, NULL)) == NULL) {
		err = error_new(EXIT_INTEGRITY, "'%s' is not valid JSON", path);
		peft_config_release(pc);
		return err;
	}
	err = config_from_json(pc, root);
	json_free(root);
	if (err != NULL) {
		char *p = xstrdup(path);

		peft_config_release(pc);
		pc->path = p;
	}
	return err;
}

struct error *
peft_config_read(const char *path, struct peft_config *pc)
{
	struct error *err;
	char *text;
	size_t len;

	memset(pc, 0, sizeof(*pc));
	if ((err = fs_read_file(path, PEFT_CONFIG_MAX, &text, &len)) != NULL)
		return err;
	err = peft_config_parse(path, text, len, pc);
	free(text);
	return err;
}

static void
patterns_free(struct peft_pattern *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].key);
	free(p);
}

void
peft_config_release(struct peft_config *pc)
{
	free(pc->path);
	free(pc->peft_type);
	free(pc->base_model);
	strv_free(pc->targets, pc->ntargets);
	free(pc->target_regex);
	free(pc->bias);
	strv_free(pc->modules_to_save, pc->nmodules_to_save);
	patterns_free(pc->rank_pattern, pc->nrank_pattern);
	patterns_free(pc->alpha_pattern, pc->nalpha_pattern);
	memset(pc, 0, sizeof(*pc));
}

/* Names */

static const struct {
	const char	*hf;		/* the projection */
	const char	*block;		/* its parent module */
	const char	*gguf;
} modules[] = {
	{ "q_proj", "self_attn", "attn_q" },
	{ "k_proj", "self_attn", "attn_k" },
	{ "v_proj", "self_attn", "attn_v" },
	{ "o_proj", "self_attn", "attn_output" },
	{ "gate_proj", "mlp", "ffn_gate" },
	{ "up_proj", "mlp", "ffn_up" },
	{ "down_proj", "mlp", "ffn_down" },
};

static struct error *
name_error(const char *name, const char *why)
{
	char *n = safe(name);
	struct error *err = error_new(EXIT_FAIL, "tensor '%s' %s", n, why);

	free(n);
	return err;
}

struct error *
peft_map_name(const char *name, char **gguf_name, long *layer,
    const char **module, int *is_b)
{
	char *copy, *tok[32], *p;
	size_t n = 0, i = 0, m;
	struct error *err = NULL;
	long l;

	*gguf_name = NULL;
	if (strstr(name, "lora_magnitude_vector") != NULL)
		return name_error(name, "is a DoRA magnitude vector: DoRA "
		    "adapters are not converted (llama.cpp's LoRA has none)");
	if (strstr(name, "lora_embedding_") != NULL ||
	    strstr(name, "embed_tokens") != NULL)
		return name_error(name, "is on the token embeddings: such "
		    "LoRAs are not converted; train without them");
	for (m = 0; m < ARRAY_SIZE(fused); m++) {
		char *dotted = xasprintf(".%s.", fused[m].name);
		int hit = strstr(name, dotted) != NULL;

		free(dotted);
		if (hit) {
			char *nm = safe(name), *subj;

			subj = xasprintf("tensor '%s'", nm);
			err = refuse_fused(subj, fused[m].name,
			    fused[m].family);
			free(subj);
			free(nm);
			return err;
		}
	}
	copy = xstrdup(name);
	for (p = copy; n < ARRAY_SIZE(tok); ) {
		tok[n++] = p;
		if ((p = strchr(p, '.')) == NULL)
			break;
		*p++ = '\0';
	}
	if (p != NULL)
		goto unknown;
	/* base_model.model.model.layers..., model.language_model.layers... */
	while (i < n && (strcmp(tok[i], "base_model") == 0 ||
	    strcmp(tok[i], "model") == 0 ||
	    strcmp(tok[i], "language_model") == 0))
		i++;
	if (n - i >= 2 && strcmp(tok[i], "lm_head") == 0) {
		/* base_model.model.lm_head: output.weight, no layer. */
		l = -1;
		m = ARRAY_SIZE(modules);
		i++;
	} else {
		if (n - i < 5 || strcmp(tok[i], "layers") != 0)
			goto unknown;
		if (parse_long(tok[i + 1], 0, 99999, &l) == -1 ||
		    (tok[i + 1][0] == '0' && tok[i + 1][1] != '\0'))
			goto unknown;
		for (m = 0; m < ARRAY_SIZE(modules); m++)
			if (strcmp(tok[i + 2], modules[m].block) == 0 &&
			    strcmp(tok[i + 3], modules[m].hf) == 0)
				break;
		if (m == ARRAY_SIZE(modules))
			goto unknown;
		i += 4;
	}
	if (strcmp(tok[i], "lora_A") == 0)
		*is_b = 0;
	else if (strcmp(tok[i], "lora_B") == 0)
		*is_b = 1;
	else
		goto unknown;
	i++;
	/* An adapter name ("default") when PEFT kept it. */
	if (i < n && strcmp(tok[i], "weight") != 0 &&
	    strcmp(tok[i], "bias") != 0)
		i++;
	if (i < n && strcmp(tok[i], "bias") == 0) {
		err = name_error(name, "is a LoRA bias (lora_bias): not "
		    "converted, a GGUF LoRA has none");
		goto done;
	}
	if (i < n && strcmp(tok[i], "weight") == 0)
		i++;
	if (i != n)
		goto unknown;
	*layer = l;
	if (l < 0) {
		*module = "lm_head";
		*gguf_name = xasprintf("output.weight.lora_%c", *is_b ? 'b' :
		    'a');
	} else {
		*module = modules[m].hf;
		*gguf_name = xasprintf("blk.%ld.%s.weight.lora_%c", l,
		    modules[m].gguf, *is_b ? 'b' : 'a');
	}
	goto done;
unknown:
	err = name_error(name, "is not a LoRA on a projection loco converts "
	    "(layers.N.self_attn.{q,k,v,o}_proj, "
	    "layers.N.mlp.{gate,up,down}_proj or lm_head, lora_A or lora_B)");
done:
	free(copy);
	return err;
}

/*
 * llama.cpp's LlamaModel.permute on rows:
 * reshape(n_head, 2, out/n_head/2, r).swapaxes(1, 2).reshape(out, r).
 */
static void
permute(float *b, size_t out, size_t r, size_t n_head, int inverse)
{
	size_t hd = out / n_head, half = hd / 2, h, i, j, from, to;
	float *tmp = xreallocarray(NULL, out * r, sizeof(*tmp));

	for (h = 0; h < n_head; h++)
		for (i = 0; i < half; i++)
			for (j = 0; j < 2; j++) {
				to = h * hd + 2 * i + j;
				from = h * hd + j * half + i;
				if (inverse)
					memcpy(tmp + from * r, b + to * r,
					    r * sizeof(*b));
				else
					memcpy(tmp + to * r, b + from * r,
					    r * sizeof(*b));
			}
	memcpy(b, tmp, out * r * sizeof(*b));
	free(tmp);
}

void
peft_permute_rows(float *b, size_t out, size_t r, size_t n_head)
{
	permute(b, out, r, n_head, 0);
}

void
peft_unpermute_rows(float *b, size_t out, size_t r, size_t n_head)
{
	permute(b, out, r, n_head, 1);
}

/* Conversion */

struct pair {
	char			*gguf;		/* blk.N.attn_q.weight */
	char			*module_path;	/* ...layers.N.self_attn.q_proj */
	long			 layer;
	const char		*module;	/* q_proj */
	const struct st_tensor	*a, *b;
	double			 bscale;	/* into lora_b; 1: none */
	size_t			 n_head;	/* permute with it; 0: none */
};

static const char *const archs[] = {
	"llama", "qwen2", "qwen3", "gemma2", "gemma3"
};

static int
module_order(const char *m)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modules); i++)
		if (strcmp(modules[i].hf, m) == 0)
			return (int)i;
	return 0;
}

static int
pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;
	/* lm_head (layer -1) last, where output.weight is in a model. */
	long la = a->layer < 0 ? LONG_MAX : a->layer;
	long lb = b->layer < 0 ? LONG_MAX : b->layer;

	if (la != lb)
		return la < lb ? -1 : 1;
	return module_order(a->module) - module_order(b->module);
}

/* "[16, 2560]" */
static char *
shape2(const struct st_tensor *t)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	strbuf_addch(&sb, '[');
	for (i = 0; i < t->ndims; i++)
		strbuf_addf(&sb, "%s%" PRIu64, i ? ", " : "", t->shape[i]);
	strbuf_addch(&sb, ']');
	return strbuf_detach(&sb, NULL);
}

/* Does a literal pattern key name module path (a dotted tail of it)? */
static int
pattern_matches(const char *key, const char *path)
{
	size_t kl = strlen(key), pl = strlen(path);

	if (kl > pl || strcmp(path + pl - kl, key) != 0)
		return 0;
	return kl == pl || path[pl - kl - 1] == '.';
}

static struct error *
pattern_value(const struct peft_config *pc, const char *which,
    const struct peft_pattern *p, size_t n, const char *path, double *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strpbrk(p[i].key, "\\^$*+?()[]{}|") != NULL) {
			char *k = safe(p[i].key);
			struct error *err = error_new(EXIT_FAIL, "'%s': %s key "
			    "'%s' is a regular expression; loco matches "
			    "module names literally (give each module's name)",
			    pc->path, which, k);

			free(k);
			return err;
		}
		if (pattern_matches(p[i].key, path)) {
			*out = p[i].value;
			return NULL;
		}
	}
	return NULL;
}

struct convert {
	const struct peft_convert *c;
	struct peft_result	*res;
	struct peft_config	 pc;
	struct safetensors	*st;
	struct gguf_info	 base;
	int			 have_base;
	const char		*arch;
	char			*st_path;
	struct pair		*pairs;
	size_t			 npairs;
	double			 alpha;		/* written */
	int			 fd;
	char			*tmp;
	unsigned char		*obuf;
	size_t			 olen;
	uint16_t		*half;		/* OUT_CHUNK / 4 of them */
	unsigned long long	 written;
	int			 head_unchecked;	/* lm_head, no base */
};

static struct error *
st_error(struct convert *cv, const char *tensor, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* "'DIR/adapter_model.safetensors': tensor 'NAME' MSG". */
static struct error *
st_error(struct convert *cv, const char *tensor, const char *fmt, ...)
{
	struct error *err;
	va_list ap;
	char *msg, *t = safe(tensor);

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_INTEGRITY, "'%s': tensor '%s' %s", cv->st_path, t,
	    msg);
	free(msg);
	free(t);
	return err;
}

static struct error *
collect(struct convert *cv)
{
	struct error *err;
	size_t i, j;

	if (cv->st->ntensors == 0)
		return error_new(EXIT_INTEGRITY, "'%s' holds no tensors",
		    cv->st_path);
	cv->pairs = xcalloc(cv->st->ntensors, sizeof(*cv->pairs));
	for (i = 0; i < cv->st->ntensors; i++) {
		const struct st_tensor *t = &cv->st->tensors[i];
		const char *module;
		char *g, *cut;
		long layer;
		int is_b;

		if ((err = peft_map_name(t->name, &g, &layer, &module,
		    &is_b)) != NULL)
			return error_prefix(err, "'%s'", cv->st_path);
		if (t->ndims != 2) {
			free(g);
			return st_error(cv, t->name, "has %d dimensions, not "
			    "the 2 of a LoRA matrix", t->ndims);
		}
		/* blk.N.attn_q.weight.lora_a -> blk.N.attn_q.weight */
		cut = strrchr(g, '.');
		*cut = '\0';
		for (j = 0; j < cv->npairs; j++)
			if (strcmp(cv->pairs[j].gguf, g) == 0)
				break;
		if (j == cv->npairs) {
			const char *lp = strstr(t->name, is_b ? ".lora_B" :
			    ".lora_A");

			cv->npairs++;
			cv->pairs[j].gguf = g;
			cv->pairs[j].layer = layer;
			cv->pairs[j].module = module;
			cv->pairs[j].bscale = 1;
			cv->pairs[j].module_path = xstrndup(t->name,
			    (size_t)(lp - t->name));
		} else
			free(g);
		if ((is_b ? cv->pairs[j].b : cv->pairs[j].a) != NULL)
			return st_error(cv, t->name, "and tensor '%s' are "
			    "both lora_%c of %s", (is_b ? cv->pairs[j].b :
			    cv->pairs[j].a)->name, is_b ? 'B' : 'A',
			    cv->pairs[j].gguf);
		if (is_b)
			cv->pairs[j].b = t;
		else
			cv->pairs[j].a = t;
	}
	for (j = 0; j < cv->npairs; j++) {
		struct pair *p = &cv->pairs[j];

		if (p->a == NULL || p->b == NULL)
			return st_error(cv, (p->a ? p->a : p->b)->name,
			    "has no lora_%c partner", p->a ? 'B' : 'A');
		if (p->a->shape[0] != p->b->shape[1]) {
			char *sa = shape2(p->a), *sb = shape2(p->b);

			err = st_error(cv, p->a->name, "has shape %s (rank %"
			    PRIu64 ") but its lora_B '%s' has shape %s (rank %"
			    PRIu64 ")", sa, p->a->shape[0], p->b->name, sb,
			    p->b->shape[1]);
			free(sa);
			free(sb);
			return err;
		}
		if (p->a->shape[0] == 0 || p->a->shape[1] == 0 ||
		    p->b->shape[0] == 0)
			return st_error(cv, p->a->name, "is empty");
	}
	qsort(cv->pairs, cv->npairs, sizeof(*cv->pairs), pair_cmp);
	return NULL;
}

static struct error *
find_arch(struct convert *cv)
{
	const struct peft_convert *c = cv->c;
	const char *want = c->arch;
	struct error *err;
	size_t i;

	if (want != NULL && strcmp(want, "mistral") == 0)
		want = "llama";	/* what convert_hf_to_gguf.py writes */
	if (c->base != NULL) {
		if ((err = gguf_read_tensors(c->base, &cv->base)) != NULL)
			return err;
		cv->have_base = 1;
		if ((err = gguf_check(c->base, &cv->base, GGUF_MODEL, NULL,
		    NULL)) != NULL)
			return err;
		cv->arch = cv->base.architecture;
		if (want != NULL && strcmp(want, cv->arch) != 0) {
			char *a = safe(cv->arch);

			err = error_new(EXIT_FAIL, "--arch %s does not match "
			    "the base '%s', which is '%s'", c->arch, c->base,
			    a);
			free(a);
			return err;
		}
	} else if (want != NULL)
		cv->arch = want;
	else
		return error_new(EXIT_USAGE, "no base model to check the "
		    "adapter against: give --base FILE.gguf (or set "
		    "base_model.file in the registry), or --arch ARCH to "
		    "convert without checking shapes");
	for (i = 0; i < ARRAY_SIZE(archs); i++)
		if (strcmp(cv->arch, archs[i]) == 0)
			return NULL;
	{
		char *a = safe(cv->arch);

		err = error_new(EXIT_FAIL, "architecture '%s' is not one loco "
		    "converts LoRAs for (llama, mistral, qwen2, qwen3, gemma2, "
		    "gemma3)", a);
		free(a);
		return err;
	}
}

static struct error *
refuse_tied(struct convert *cv, const char *tensor, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/*
 * A LoRA on lm_head is one on output.weight, which llama.cpp applies
 * only when the base has that tensor: a base that ties its output to
 * token_embd.weight has none (llama.cpp's convert_lora_to_gguf.py:
 * "lm_head is present in adapter, but is ignored in base model").
 */
static struct error *
refuse_tied(struct convert *cv, const char *tensor, const char *fmt, ...)
{
	struct error *err;
	va_list ap;
	char *why, *t = safe(tensor);

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	err = error_new(EXIT_FAIL, "'%s': tensor '%s' is a LoRA on lm_head, "
	    "but %s, so llama.cpp cannot apply it: train again without "
	    "lm_head in target_modules", cv->st_path, t, why);
	free(why);
	free(t);
	return err;
}

/* Each pair against the base's tensor: A's in, B's out, the layer. */
static struct error *
check_shapes(struct convert *cv)
{
	const struct gguf_info *b = &cv->base;
	const char *hint = cv->pc.base_model;
	struct error *err = NULL;
	size_t i;

	for (i = 0; i < cv->npairs; i++) {
		struct pair *p = &cv->pairs[i];
		const struct gguf_tensor *t;
		char *sa, *sb, *why;

		if (p->layer >= 0 && b->n_layer > 0 &&
		    (uint64_t)p->layer >= b->n_layer)
			return st_error(cv, p->a->name, "is for layer %ld but "
			    "the base '%s' has %" PRIu64 " layers: the adapter "
			    "was trained for another base model%s%s%s",
			    p->layer, cv->c->base, b->n_layer,
			    hint ? " ('" : "", hint ? hint : "",
			    hint ? "')" : "");
		if (p->layer < 0 && gguf_find_tensor(b, p->gguf) == NULL)
			return refuse_tied(cv, p->a->name, "the base '%s' "
			    "ties its output to the token embeddings (it has "
			    "no output.weight)", cv->c->base);
		if ((t = gguf_find_tensor(b, p->gguf)) == NULL)
			return st_error(cv, p->a->name, "has no base tensor: "
			    "the base '%s' has no '%s'", cv->c->base, p->gguf);
		if (t->ndims == 2 && t->ne[0] == p->a->shape[1] &&
		    t->ne[1] == p->b->shape[0])
			continue;
		sa = shape2(p->a);
		sb = shape2(p->b);
		why = xasprintf("%s%s%s", hint ? " ('" : "", hint ? hint : "",
		    hint ? "' in adapter_config.json)" : "");
		err = st_error(cv, t->ne[0] != p->a->shape[1] ? p->a->name :
		    p->b->name, "does not fit the base: lora_A %s and lora_B "
		    "%s make a [%" PRIu64 ", %" PRIu64 "] update, but '%s' in "
		    "'%s' is [%" PRIu64 ", %" PRIu64 "] (out, in): the adapter "
		    "was trained for another base model%s", sa, sb,
		    p->b->shape[0], p->a->shape[1], p->gguf, cv->c->base,
		    t->ne[1], t->ne[0], why);
		free(sa);
		free(sb);
		free(why);
		return err;
	}
	return NULL;
}

/* q/k rows for llama; the scale each pair needs baked into lora_b. */
static struct error *
plan(struct convert *cv)
{
	const struct peft_config *pc = &cv->pc;
	size_t i;
	struct error *err;

	cv->alpha = pc->use_rslora ? pc->alpha * sqrt((double)pc->r) :
	    pc->alpha;
	for (i = 0; i < cv->npairs; i++) {
		struct pair *p = &cv->pairs[i];
		double alpha = pc->alpha, rank = (double)pc->r, r, want;

		r = (double)p->a->shape[0];
		if ((err = pattern_value(pc, "rank_pattern", pc->rank_pattern,
		    pc->nrank_pattern, p->module_path, &rank)) != NULL ||
		    (err = pattern_value(pc, "alpha_pattern", pc->alpha_pattern,
		    pc->nalpha_pattern, p->module_path, &alpha)) != NULL)
			return err;
		if (rank != r)
			return st_error(cv, p->a->name, "has rank %.0f but "
			    "adapter_config.json gives that module rank %g",
			    r, rank);
		/* PEFT's scale, and what llama.cpp's alpha / r must give. */
		want = pc->use_rslora ? alpha / sqrt(r) : alpha / r;
		p->bscale = want * r / cv->alpha;
		if (fabs(p->bscale - 1) < 1e-6)
			p->bscale = 1;
		if (strcmp(cv->arch, "llama") == 0 &&
		    (strcmp(p->module, "q_proj") == 0 ||
		    strcmp(p->module, "k_proj") == 0)) {
			uint64_t nh;

			if (!cv->have_base)
				return st_error(cv, p->a->name, "needs the "
				    "base's head counts: llama's q_proj and "
				    "k_proj rows are reordered for llama.cpp; "
				    "give --base FILE.gguf");
			nh = strcmp(p->module, "q_proj") == 0 ?
			    cv->base.n_head : cv->base.n_head_kv ?
			    cv->base.n_head_kv : cv->base.n_head;
			if (nh == 0 || p->b->shape[0] % (2 * nh) != 0)
				return st_error(cv, p->b->name, "has %" PRIu64
				    " rows, which the base's %" PRIu64 " heads "
				    "do not divide into pairs", p->b->shape[0],
				    nh);
			p->n_head = (size_t)nh;
			cv->res->permuted = 1;
		}
		if (p->layer < 0 && strcmp(cv->arch, "gemma2") == 0)
			return refuse_tied(cv, p->a->name, "gemma2 always "
			    "ties its output to the token embeddings "
			    "(llama.cpp loads no output.weight for it)");
		if (p->layer < 0 && !cv->have_base)
			cv->head_unchecked = 1;
		if ((long)r > cv->res->rank)
			cv->res->rank = (long)r;
	}
	return NULL;
}

/* The GGUF writer: a 1 MiB buffer in front of the temporary file. */

static struct error *
out_flush(struct convert *cv)
{
	if (cv->olen == 0)
		return NULL;
	if (fs_write_all(cv->fd, cv->obuf, cv->olen) == -1)
		return error_new(EXIT_FAIL, "cannot write '%s': %s", cv->tmp,
		    strerror(errno));
	cv->olen = 0;
	return NULL;
}

static struct error *
out_add(struct convert *cv, const void *p, size_t n)
{
	const unsigned char *s = p;
	struct error *err;
	size_t k;

	while (n > 0) {
		if (cv->olen == OUT_CHUNK && (err = out_flush(cv)) != NULL)
			return err;
		k = OUT_CHUNK - cv->olen < n ? OUT_CHUNK - cv->olen : n;
		memcpy(cv->obuf + cv->olen, s, k);
		cv->olen += k;
		cv->written += k;
		s += k;
		n -= k;
	}
	return NULL;
}

/* Room for n <= OUT_CHUNK bytes at *p, counted as written. */
static struct error *
out_reserve(struct convert *cv, size_t n, unsigned char **p)
{
	struct error *err;

	if (OUT_CHUNK - cv->olen < n && (err = out_flush(cv)) != NULL)
		return err;
	*p = cv->obuf + cv->olen;
	cv->olen += n;
	cv->written += n;
	return NULL;
}

static struct error *
out_u32(struct convert *cv, uint32_t v)
{
	unsigned char b[4] = { v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff,
	    v >> 24 & 0xff };

	return out_add(cv, b, 4);
}

static struct error *
out_u64(struct convert *cv, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return out_add(cv, b, 8);
}

static struct error *
out_str(struct convert *cv, const char *s)
{
	struct error *err;

	if ((err = out_u64(cv, strlen(s))) != NULL)
		return err;
	return out_add(cv, s, strlen(s));
}

static struct error *
out_kv_str(struct convert *cv, const char *k, const char *v)
{
	struct error *err;

	if ((err = out_str(cv, k)) != NULL || (err = out_u32(cv, 8)) != NULL)
		return err;
	return out_str(cv, v);
}

static struct error *
out_pad(struct convert *cv)
{
	static const unsigned char zero[GGUF_ALIGN];

	return out_add(cv, zero, (GGUF_ALIGN - cv->written % GGUF_ALIGN) %
	    GGUF_ALIGN);
}

static uint64_t
tensor_bytes(const struct convert *cv, uint64_t nelem)
{
	uint64_t n = nelem * (cv->c->outtype == PEFT_F16 ? 2 : 4);

	return (n + GGUF_ALIGN - 1) / GGUF_ALIGN * GGUF_ALIGN;
}

static struct error *
write_header(struct convert *cv, const char *name)
{
	struct error *err;
	uint64_t off = 0;
	uint32_t type = cv->c->outtype == PEFT_F16 ? 1 : 0;
	float alpha = (float)cv->alpha;
	uint32_t abits;
	size_t i;
	int ab;

	memcpy(&abits, &alpha, sizeof(abits));
	if ((err = out_add(cv, "GGUF", 4)) != NULL ||
	    (err = out_u32(cv, 3)) != NULL ||
	    (err = out_u64(cv, 2 * cv->npairs)) != NULL ||
	    (err = out_u64(cv, 5)) != NULL ||
	    (err = out_kv_str(cv, "general.architecture", cv->arch)) != NULL ||
	    (err = out_kv_str(cv, "general.type", "adapter")) != NULL ||
	    (err = out_kv_str(cv, "general.name", name)) != NULL ||
	    (err = out_kv_str(cv, "adapter.type", "lora")) != NULL ||
	    (err = out_str(cv, "adapter.lora.alpha")) != NULL ||
	    (err = out_u32(cv, 6)) != NULL ||
	    (err = out_u32(cv, abits)) != NULL)
		return err;
	for (i = 0; i < cv->npairs; i++) {
		const struct pair *p = &cv->pairs[i];

		for (ab = 0; ab < 2; ab++) {
			const struct st_tensor *t = ab ? p->b : p->a;
			char *n = xasprintf("%s.lora_%c", p->gguf, ab ? 'b' :
			    'a');

			/* torch [rows, cols] is GGUF ne [cols, rows]. */
			err = out_str(cv, n);
			free(n);
			if (err != NULL ||
			    (err = out_u32(cv, 2)) != NULL ||
			    (err = out_u64(cv, t->shape[1])) != NULL ||
			    (err = out_u64(cv, t->shape[0])) != NULL ||
			    (err = out_u32(cv, type)) != NULL ||
			    (err = out_u64(cv, off)) != NULL)
				return err;
			off += tensor_bytes(cv, t->nelem);
		}
	}
	return out_pad(cv);
}

static int
little_endian(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1;
}

/* NaN and Inf: an all-ones exponent (integer ops, so it vectorizes). */
static unsigned long long
count_nonfinite(const float *f, size_t n)
{
	unsigned long long c = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &f[i], sizeof(u));
		c += (u & 0x7f800000u) == 0x7f800000u;
	}
	return c;
}

static void
warn_values(struct convert *cv, const char *tensor, unsigned long long n,
    const char *what)
{
	char *t;

	cv->res->nonfinite += n;
	if (n == 0 || cv->c->quiet)
		return;
	t = safe(tensor);
	fprintf(stderr, "loco: warning: '%s': tensor '%s' holds %llu %s\n",
	    cv->st_path, t, n, what);
	free(t);
}

static struct error *
write_tensor(struct convert *cv, const struct pair *p, int ab, float *buf)
{
	const struct st_tensor *t = ab ? p->b : p->a;
	struct error *err;
	unsigned long long nonfinite = 0, overflow, special = 0;
	int scaled = ab && p->bscale != 1;
	uint64_t i;
	size_t j, n, esize;
	unsigned char *o;
	uint16_t *half = cv->half;

	if ((err = safetensors_read_f32(cv->st, t, buf)) != NULL)
		return err;
	if (ab && p->n_head > 0)
		peft_permute_rows(buf, (size_t)t->shape[0],
		    (size_t)t->shape[1], p->n_head);
	/* Counted up front only when scaling may add to them. */
	if (scaled) {
		nonfinite = count_nonfinite(buf, (size_t)t->nelem);
		for (i = 0; i < t->nelem; i++)
			buf[i] = (float)(buf[i] * p->bscale);
	}
	esize = cv->c->outtype == PEFT_F16 ? 2 : 4;
	for (i = 0; i < t->nelem; i += n) {
		n = t->nelem - i < OUT_CHUNK / 4 ? (size_t)(t->nelem - i) :
		    OUT_CHUNK / 4;
		if ((err = out_reserve(cv, n * esize, &o)) != NULL)
			return err;
		if (esize == 2) {
			/* Little-endian: straight into the output (2-aligned:
			 * every tensor starts 32-aligned in the buffer). */
			if (little_endian())
				special += st_f32_to_f16_n(buf + i,
				    (uint16_t *)(void *)o, n);
			else {
				special += st_f32_to_f16_n(buf + i, half, n);
				for (j = 0; j < n; j++) {
					o[2 * j] = half[j] & 0xff;
					o[2 * j + 1] = half[j] >> 8;
				}
			}
		} else {
			special += count_nonfinite(buf + i, n);
			if (little_endian())
				memcpy(o, buf + i, 4 * n);
			else
				for (j = 0; j < n; j++) {
					uint32_t u;

					memcpy(&u, &buf[i + j], sizeof(u));
					o[4 * j] = u & 0xff;
					o[4 * j + 1] = u >> 8 & 0xff;
					o[4 * j + 2] = u >> 16 & 0xff;
					o[4 * j + 3] = u >> 24;
				}
		}
	}
	/* Rare: only then is the input looked at again. */
	if (special > 0 && !scaled)
		nonfinite = count_nonfinite(buf, (size_t)t->nelem);
	overflow = special - nonfinite;
	warn_values(cv, t->name, nonfinite, "NaN or infinite values");
	warn_values(cv, t->name, overflow, cv->c->outtype == PEFT_F16 ?
	    "values too large for F16 (written as infinity; try --outtype "
	    "f32)" : "values that overflow once scaled");
	return out_pad(cv);
}

static struct error *
write_all(struct convert *cv, const char *name)
{
	struct error *err;
	uint64_t largest = 0;
	float *buf;
	size_t i;

	for (i = 0; i < cv->npairs; i++) {
		if (cv->pairs[i].a->nelem > largest)
			largest = cv->pairs[i].a->nelem;
		if (cv->pairs[i].b->nelem > largest)
			largest = cv->pairs[i].b->nelem;
	}
	if (largest > SIZE_MAX / sizeof(float))
		return error_new(EXIT_FAIL, "'%s': a tensor is too large for "
		    "this machine", cv->st_path);
	if ((err = write_header(cv, name)) != NULL)
		return err;
	buf = xreallocarray(NULL, (size_t)largest, sizeof(*buf));
	for (i = 0; i < cv->npairs && err == NULL; i++)
		if ((err = write_tensor(cv, &cv->pairs[i], 0, buf)) == NULL)
			err = write_tensor(cv, &cv->pairs[i], 1, buf);
	free(buf);
	if (err == NULL)
		err = out_flush(cv);
	return err;
}

/* A temporary file beside out, written, fsynced and renamed. */
static struct error *
write_file(struct convert *cv, const char *name)
{
	const char *out = cv->c->out;
	char *dir = path_dirname(out), *slash = strrchr(out, '/');
	struct error *err;

	cv->tmp = xasprintf("%s/.%s.XXXXXX", dir, slash ? slash + 1 : out);
	if ((cv->fd = mkstemp(cv->tmp)) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", out,
		    strerror(errno));
		free(cv->tmp);
		cv->tmp = NULL;
		goto done;
	}
	cv->obuf = xmalloc(OUT_CHUNK);
	cv->half = xreallocarray(NULL, OUT_CHUNK / 4, sizeof(*cv->half));
	if ((err = write_all(cv, name)) != NULL)
		goto done;
	if (fchmod(cv->fd, 0644) == -1 || fsync(cv->fd) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", cv->tmp,
		    strerror(errno));
		goto done;
	}
	if (close(cv->fd) == -1) {
		cv->fd = -1;
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", cv->tmp,
		    strerror(errno));
		goto done;
	}
	cv->fd = -1;
	if (rename(cv->tmp, out) == -1) {
		err = error_new(EXIT_FAIL, "cannot write '%s': %s", out,
		    strerror(errno));
		goto done;
	}
	free(cv->tmp);
	cv->tmp = NULL;
	err = fs_sync_dir(dir);
done:
	if (cv->fd != -1)
		close(cv->fd);
	cv->fd = -1;
	if (cv->tmp != NULL)
		unlink(cv->tmp);
	free(dir);
	return err;
}

/* The folder's last component: "out/math/" -> "math". */
static char *
folder_name(const char *dir)
{
	char *d = xstrdup(dir), *s;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	s = strrchr(d, '/');
	s = xstrdup(s && s[1] ? s + 1 : d);
	free(d);
	return s;
}

struct error *
peft_convert(const struct peft_convert *c, struct peft_result *res)
{
	struct convert cv;
	struct error *err;
	char *cfg, *name = NULL;

	memset(res, 0, sizeof(*res));
	memset(&cv, 0, sizeof(cv));
	cv.c = c;
	cv.res = res;
	cv.fd = -1;
	cfg = xasprintf("%s/adapter_config.json", c->dir);
	cv.st_path = xasprintf("%s/adapter_model.safetensors", c->dir);
	if (!fs_exists(cfg)) {
		err = error_new(EXIT_FAIL, "'%s' is not a PEFT adapter folder: "
		    "it has no adapter_config.json", c->dir);
		goto done;
	}
	if ((err = peft_config_read(cfg, &cv.pc)) != NULL)
		goto done;
	if (!fs_exists(cv.st_path)) {
		char *bin = xasprintf("%s/adapter_model.bin", c->dir);

		err = error_new(EXIT_FAIL, "'%s' has no "
		    "adapter_model.safetensors%s", c->dir, fs_exists(bin) ?
		    " (adapter_model.bin is a pickle, which loco does not "
		    "read: save with safe_serialization=True)" : "");
		free(bin);
		goto done;
	}
	if ((err = safetensors_open(cv.st_path, &cv.st)) != NULL ||
	    (err = collect(&cv)) != NULL ||
	    (err = find_arch(&cv)) != NULL)
		goto done;
	if (cv.have_base && (err = check_shapes(&cv)) != NULL)
		goto done;
	if ((err = plan(&cv)) != NULL)
		goto done;
	name = c->name ? xstrdup(c->name) : folder_name(c->dir);
	if ((err = write_file(&cv, name)) != NULL)
		goto done;
	if (cv.head_unchecked && !c->quiet)
		fprintf(stderr, "loco: warning: '%s' holds a LoRA on lm_head "
		    "and no base was given to check it: llama.cpp rejects the "
		    "adapter if the base ties its output to the token "
		    "embeddings (no output.weight, as in Qwen3-4B); give "
		    "--base FILE.gguf to check\n", cv.st_path);
	res->architecture = xstrdup(cv.arch);
	res->alpha = cv.alpha;
	res->npairs = cv.npairs;
	res->ntensors = 2 * cv.npairs;
	res->bytes = cv.written;
	res->shapes_checked = cv.have_base;
done:
	if (err != NULL) {
		unsigned long long nf = res->nonfinite;

		peft_result_release(res);
		res->nonfinite = nf;
	}
	free(name);
	free(cv.obuf);
	free(cv.half);
	if (cv.pairs != NULL) {
		size_t i;

		for (i = 0; i < cv.npairs; i++) {
			free(cv.pairs[i].gguf);
			free(cv.pairs[i].module_path);
		}
		free(cv.pairs);
	}
	safetensors_close(cv.st);
	gguf_info_release(&cv.base);
	peft_config_release(&cv.pc);
	free(cfg);
	free(cv.st_path);
	return err;
}

void
peft_result_release(struct peft_result *res)
{
	free(res->architecture);
	memset(res, 0, sizeof(*res));
}
