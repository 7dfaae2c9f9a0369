#!/bin/sh
# t_setup.sh: loco setup and loco doctor against the scripted backend:
# pulling the base, registering prompt and LoRA adapters (blob upload,
# create), idempotent re-runs counted from the request log, old servers,
# refusal of adapters, GGUF and checksum checks before anything is sent.
. "$TOP/tests/cmd/lib.sh"
area_begin setup

A="$LOCO_HOME/adapters"
mkgguf() {
	node "$TOP/tests/cmd/mkgguf.js" "$@"
}
mkgguf "$A/solver.gguf" general.architecture=s:qwen3
HEX=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
cat >"$A/registry.yaml" <<YAML
base_model:
  name: Qwen3-4B
  tag: qwen3:4b-instruct-2507-q4_K_M
  architecture: qwen3
adapters:
  - name: solver
    version: 1.2.0
    domain: math
    type: lora
    description: a LoRA adapter
    file: solver.gguf
    sha256: $HEX
    system: Solve it.
    parameters:
      temperature: 0.1
      stop: ["</s>", "User:"]
    router_keywords: [solve]
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write well.
YAML
# The base as Ollama shows it: model_info names the weights.
QWEN='{"name":"qwen3:4b-instruct-2507-q4_K_M","architecture":"qwen3","basename":"Qwen3","size_label":"4B"}'
PULLABLE="\"pullable\":[$QWEN]"

t "first setup: pull, upload, create, default config"
script "{\"models\":[],$PULLABLE}"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
config: wrote the defaults to $LOCO_HOME/config.yaml
base: qwen3:4b-instruct-2507-q4_K_M pulled
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M created
adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M created
done: 1 uploaded, 2 created, 1 pulled"
expect_eq "$(req 'reqs.map(r => r.method + " " + r.path).join(",")')" "GET /api/version,GET /api/tags,POST /api/pull,GET /api/tags,POST /api/show,HEAD /api/blobs/sha256:$HEX,POST /api/blobs/sha256:$HEX,POST /api/create,GET /api/tags,POST /api/create,GET /api/tags" "requests"
expect_eq "$(req 'reqs.find(r => r.path.startsWith("/api/blobs") && r.method === "POST").raw_sha256')" "$HEX" "uploaded bytes"
expect_eq "$(req 'JSON.stringify(reqs.filter(r => r.path === "/api/create")[0].body)')" "{\"model\":\"loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M\",\"from\":\"qwen3:4b-instruct-2507-q4_K_M\",\"adapters\":{\"solver.gguf\":\"sha256:$HEX\"},\"system\":\"Solve it.\",\"parameters\":{\"temperature\":0.1,\"stop\":[\"</s>\",\"User:\"]},\"stream\":true}" "create body"
expect_eq "$(req 'JSON.stringify(reqs.filter(r => r.path === "/api/create")[1].body)')" '{"model":"loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M","from":"qwen3:4b-instruct-2507-q4_K_M","system":"Write well.","stream":true}' "prompt adapter body"
if grep -q '^  reread: true$' "$LOCO_HOME/config.yaml"; then pass; else fail "default config"; fi
run_loco config inference.reread
expect_out true

t "re-run: nothing uploaded, nothing created"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b-instruct-2507-q4_K_M present
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M current
adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M current
everything is current: nothing to do"
# Each model is shown and its blobs checked: Ollama lists a model whose
# blob vanished, and a tag may come to name other weights.
QW=$(printf %s qwen3:4b-instruct-2507-q4_K_M | sha256sum | cut -d' ' -f1)
expect_eq "$(req 'reqs.map(r => r.method + " " + r.path + (r.body && r.body.model ? " " + r.body.model : "")).join(",")')" "GET /api/version,GET /api/tags,POST /api/show qwen3:4b-instruct-2507-q4_K_M,HEAD /api/blobs/sha256:$QW,POST /api/show loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M,HEAD /api/blobs/sha256:$HEX,POST /api/show loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "requests"

t "a changed adapter is created again; its blob is not sent twice"
sed -i 's/Write well\./Write very well./' "$A/registry.yaml"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out_has "adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M updated"
expect_out_has "adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M current"
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs")).length + " " + reqs.filter(r => r.path === "/api/create").length')" "0 1" "uploads and creates"

t "a fresh LOCO_HOME state: blob exists, so no upload"
rm "$LOCO_HOME/state.json"
: >"$B/requests.jsonl"
run_loco setup --quiet
expect_rc 0
expect_err_empty
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs")).length')" 0 "uploads"
expect_eq "$(req 'reqs.filter(r => r.method === "HEAD").map(r => r.path).join(",")')" "/api/blobs/sha256:$QW,/api/blobs/sha256:$HEX" "blobs checked"

t "doctor: all well"
run_loco doctor
expect_rc 0
expect_out_has "OK      adapter solver       loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M registered and current"
expect_out_has "OK      adapter solver file  LoRA for qwen3, as the base"
run_loco doctor --json
expect_eq "$(json 'out.every(c => c.ok)')" true "all ok"
expect_eq "$(json 'out.map(c => c.check).join(",")')" "server,version,base model,base identity,adapter solver,adapter solver file,adapter writer,disk,memory,sandbox,tools" "checks"

t "doctor: problems and their fixes"
script "{\"models\":[$QWEN]}"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM adapter writer       loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M not in Ollama"
expect_out_has "                             -> run 'loco setup'"
expect_err "loco: 2 problems found"
run_loco doctor --host 127.0.0.1:1
expect_rc 1
expect_out_has "PROBLEM server               cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"

t "doctor: a registry that does not load is one problem among the checks"
cp "$LOCO_HOME/adapters/registry.yaml" "$W/registry.saved"
printf 'bogus_key: 1\n' >>"$LOCO_HOME/adapters/registry.yaml"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM registry             $LOCO_HOME/adapters/registry.yaml:"
expect_out_has "unknown top-level key 'bogus_key'"
expect_out_has "OK      disk"
expect_out_has "sandbox"
expect_err "loco: 1 problem found"
run_loco doctor --json
expect_eq "$(json 'out.map(c => c.check).join(",")')" "registry,disk,memory,sandbox,tools" "the checks that do not need it"
cp "$W/registry.saved" "$LOCO_HOME/adapters/registry.yaml"

t "setup and doctor: option errors send nothing"
: >"$B/requests.jsonl"
run_loco setup --jsn
expect_rc 2
expect_out_empty
expect_err "loco: unknown option '--jsn'; did you mean '--json'?
usage: loco setup [--host url] [--json] [--quiet]"
run_loco setup --quiet=yes
expect_rc 2
expect_err "loco: option '--quiet' takes no value
usage: loco setup [--host url] [--json] [--quiet]"
run_loco setup extra
expect_rc 2
expect_err "loco: unexpected argument 'extra'
usage: loco setup [--host url] [--json] [--quiet]"
run_loco doctor --hots 127.0.0.1:1
expect_rc 2
expect_out_empty
expect_err "loco: unknown option '--hots'; did you mean '--host'?
usage: loco doctor [--host url] [--json]"
run_loco doctor --host
expect_rc 2
expect_err "loco: option '--host' needs a value
usage: loco doctor [--host url] [--json]"
run_loco doctor now
expect_rc 2
expect_err "loco: unexpected argument 'now'
usage: loco doctor [--host url] [--json]"
expect_eq "$(req 'reqs.length')" 0 "requests"

t "old server: the Modelfile body"
script "{\"models\":[$QWEN],\"legacy_create\":true}"
rm "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create").map(r => r.body.modelfile ? "modelfile" : "json").join(",")')" "json,modelfile,json,modelfile" "bodies"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create")[1].body.modelfile')" "FROM qwen3:4b-instruct-2507-q4_K_M
ADAPTER @sha256:$HEX
SYSTEM \"Solve it.\"
PARAMETER temperature 0.1
PARAMETER stop </s>
PARAMETER stop User:" "legacy Modelfile"

t "a server that refuses adapters"
script "{\"models\":[$QWEN],\"refuse_adapters\":\"adapters are not supported in Modelfiles\"}"
rm "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 8
expect_err "loco: Ollama 0.33.0 at $BASE_URL refused the LoRA adapter of 'loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M' (adapters are not supported in Modelfiles): adapter models made earlier still run, and prompt adapters are not affected; to serve LoRA adapters, use loco's llama-server backend (backend.type: llama-server, then 'loco serve'), or a merged GGUF (registry type merged)
loco: 1 of 2 adapters could not be registered"
expect_out_has "adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M failed"
expect_out_has "adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M created"

t "architecture mismatch: refused before anything is sent"
mkgguf "$A/solver.gguf" general.architecture=s:llama
HEX2=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
sed -i "s/$HEX/$HEX2/" "$A/registry.yaml"
script "{\"models\":[$QWEN]}"
run_loco setup --quiet
expect_rc 5
expect_err "loco: adapter 'solver': '$A/solver.gguf' is a LoRA for architecture 'llama' but the base model 'qwen3:4b-instruct-2507-q4_K_M' is 'qwen3': train or download an adapter for qwen3
loco: 1 of 2 adapters could not be registered"
expect_eq "$(req "reqs.filter(r => r.path === '/api/blobs/sha256:$HEX2' || (r.path === '/api/create' && r.body.model === 'loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M')).length")" 0 "nothing sent"

t "not a LoRA file"
mkgguf "$A/solver.gguf" general.architecture=s:qwen3 general.type=s:model
HEX3=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
sed -i "s/$HEX2/$HEX3/" "$A/registry.yaml"
run_loco setup --quiet
expect_rc 5
expect_err_has "loco: adapter 'solver': '$A/solver.gguf' is not a LoRA adapter (general.type is 'model', expected 'adapter')"

t "checksum mismatch"
mkgguf "$A/solver.gguf" general.architecture=s:qwen3 general.name=s:other
run_loco setup --quiet
expect_rc 5
expect_err_has "loco: adapter 'solver': '$A/solver.gguf' has SHA-256 $(sha256sum "$A/solver.gguf" | cut -d' ' -f1) but the registry says $HEX3: the file is damaged or not the one the registry names"

t "no server"
run_loco setup --host 127.0.0.1:1
expect_rc 3
expect_err "loco: cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"

t "base model that cannot be pulled"
script '{"models":[]}'
run_loco setup --quiet
expect_rc 4
expect_err "loco: cannot pull the base model 'qwen3:4b-instruct-2507-q4_K_M': pull model manifest: file does not exist"

# Identity: the registry names Qwen3-4B-Instruct-2507; model_info says
# which weights the tag is, in the words of whoever made the GGUF.
mkgguf "$A/solver.gguf" general.architecture=s:qwen3
HEX=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
cat >"$A/registry.yaml" <<YAML
base_model:
  name: Qwen3-4B-Instruct-2507
  tag: qwen3:4b-instruct-2507-q4_K_M
  quantization: Q4_K_M
  architecture: qwen3
adapters:
  - name: solver
    version: 1.2.0
    domain: math
    type: lora
    description: a LoRA adapter
    file: solver.gguf
    sha256: $HEX
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write well.
YAML
REG=$A/registry.yaml
LLAMACPP='"basename":"Qwen3","size_label":"4B","general_version":"2507"'

t "identity: the words of base_model.name are all found (llama.cpp's converter)"
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_err_empty
expect_out_has "adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M created"
run_loco doctor
expect_rc 0
expect_out_has "OK      base identity        Qwen3-4B-Instruct-2507: general.basename 'Qwen3', general.finetune 'Instruct', general.size_label '4B', general.version '2507'"

t "identity: an Unsloth GGUF says it in other words"
script '{"models":[{"name":"qwen3:4b-instruct-2507-q4_K_M","basename":"Qwen3-4B-Instruct-2507","finetune":"Instruct","size_label":"4B","general_version":"2507"}]}'
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_err_empty

t "identity: other weights under the same tag are refused for a LoRA"
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Thinking\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 5
expect_err "loco: base model 'qwen3:4b-instruct-2507-q4_K_M' is not the registry's base: found general.basename 'Qwen3', general.finetune 'Thinking', general.size_label '4B', general.version '2507', expected Qwen3-4B-Instruct-2507 ($REG:2), which says 'instruct'; prompt adapters run on it, but the registry's scores were not measured on it
loco: adapter 'solver': base model 'qwen3:4b-instruct-2507-q4_K_M' is not the registry's base: found general.basename 'Qwen3', general.finetune 'Thinking', general.size_label '4B', general.version '2507', expected Qwen3-4B-Instruct-2507 ($REG:2), which says 'instruct'; a LoRA trained on one does not fit the other: pull the base the registry names, or change base_model in the registry
loco: 1 of 2 adapters could not be registered"
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b-instruct-2507-q4_K_M present
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M failed
adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M created
done: 0 uploaded, 1 created, 0 pulled, 1 failed"
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs") || (r.path === "/api/create" && r.body.model.startsWith("loco-solver"))).length')" 0 "nothing sent for the LoRA"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM base identity        base model 'qwen3:4b-instruct-2507-q4_K_M' is not the registry's base: found general.basename 'Qwen3', general.finetune 'Thinking', general.size_label '4B', general.version '2507', expected Qwen3-4B-Instruct-2507 ($REG:2), which says 'instruct'"
expect_out_has "                             -> pull the base the registry names, or change base_model in the registry"

t "identity: control characters from the server are not printed"
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",\"basename\":\"Qwen3\\u001b[31m\",\"size_label\":\"4B\"}]}"
run_loco setup --quiet
expect_rc 5
expect_err_has "loco: adapter 'solver': base model 'qwen3:4b-instruct-2507-q4_K_M' is not the registry's base: found general.basename 'Qwen3?[31m', general.size_label '4B', expected Qwen3-4B-Instruct-2507 ($REG:2), which says 'qwen3', 'instruct', '2507'; a LoRA trained on one does not fit the other: pull the base the registry names, or change base_model in the registry"

t "identity: metadata that does not say is a warning, not a refusal"
script '{"models":["qwen3:4b-instruct-2507-q4_K_M"]}'
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_err "loco: base model 'qwen3:4b-instruct-2507-q4_K_M' does not say which weights it is (its metadata has no general.basename, finetune, size_label, version or name): loco cannot confirm that it is Qwen3-4B-Instruct-2507, the registry's base ($REG:2)"
run_loco doctor
expect_rc 0
expect_out_has "OK      base identity        base model 'qwen3:4b-instruct-2507-q4_K_M' does not say which weights it is (its metadata has no general.basename, finetune, size_label, version or name): loco cannot confirm that it is Qwen3-4B-Instruct-2507, the registry's base ($REG:2)"

t "identity: another quantization is a warning"
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\",\"quantization\":\"Q8_0\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_err "loco: base model 'qwen3:4b-instruct-2507-q4_K_M' is quantized as Q8_0, not Q4_K_M as the registry says ($REG:4): adapters run on it, but the registry's scores were measured on Q4_K_M"
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\",\"quantization\":\"q4_k_m\"}]}"
run_loco setup --quiet
expect_rc 0
expect_err_empty
# Ollama's name for a file type it does not know says nothing.
script "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\",\"quantization\":\"unknown\"}]}"
run_loco setup --quiet
expect_rc 0
expect_err_empty

INSTRUCT="{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\"}"
t "a model of the same name built from another base is replaced"
OTHER=$(printf %s other-weights | sha256sum | cut -d' ' -f1)
QW=$(printf %s qwen3:4b-instruct-2507-q4_K_M | sha256sum | cut -d' ' -f1)
script "{\"models\":[$INSTRUCT,{\"name\":\"loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M\",\"base_digest\":\"$OTHER\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup
expect_rc 0
expect_out_has "adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M replaced (built from other weights than the base model 'qwen3:4b-instruct-2507-q4_K_M' (sha256:${OTHER%"${OTHER#????????????}"}, not sha256:${QW%"${QW#????????????}"}))"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/delete" || r.path === "/api/create").map(r => r.method + " " + r.body.model).join(",")')" "POST loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M,DELETE loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M,POST loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M" "deleted, then created"
: >"$B/requests.jsonl"
run_loco setup
expect_out_has "everything is current: nothing to do"
run_loco setup --json
expect_eq "$(json 'out.adapters.map(a => a.outcome).join(",")')" "current,current" "outcomes"

t "doctor: a model built from another base"
script "{\"models\":[$INSTRUCT,{\"name\":\"loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M\",\"base_digest\":\"$OTHER\"}]}"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM adapter writer       loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M built from other weights than the base model 'qwen3:4b-instruct-2507-q4_K_M' (sha256:${OTHER%"${OTHER#????????????}"}, not sha256:${QW%"${QW#????????????}"})"

t "doctor: models an earlier loco named without the base"
script "{\"models\":[$INSTRUCT,\"loco-writer:1.0.0\",\"LOCO-SOLVER:1.2.0\",\"loco-other:1.0.0\"]}"
run_loco doctor
expect_out_has "OK      old models           2 models named without the base by an earlier loco, no longer used: loco-solver:1.2.0 loco-writer:1.0.0"
expect_out_has "                             -> remove them with 'ollama rm loco-solver:1.2.0 loco-writer:1.0.0'"

t "two registries on different bases share one server"
script "{\"models\":[$INSTRUCT,{\"name\":\"tiny-base:latest\",\"architecture\":\"llama\",\"basename\":\"tiny-base\"}],\"chat\":[{\"match\":{\"model\":\"loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M\"},\"reply\":\"qwen\"},{\"match\":{\"model\":\"loco-writer:1.0.0-tiny-base\"},\"reply\":\"tiny\"}]}"
mkdir -p "$W/tiny"
cat >"$W/tiny/registry.yaml" <<YAML
base_model:
  name: tiny-base
  tag: tiny-base:latest
adapters:
  - name: writer
    version: 1.0.0
    domain: writing
    type: prompt
    description: a prompt adapter
    system: Write small.
YAML
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
LOCO_REGISTRY_PATH="$W/tiny/registry.yaml" run_loco setup --quiet
expect_rc 0
expect_err_empty
expect_out_has "adapter writer: loco-writer:1.0.0-tiny-base created"
run_loco setup
expect_out_has "everything is current: nothing to do"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create").map(r => r.body.model + " from " + r.body.from).join(",")')" "loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M from qwen3:4b-instruct-2507-q4_K_M,loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M from qwen3:4b-instruct-2507-q4_K_M,loco-writer:1.0.0-tiny-base from tiny-base:latest" "one model per base"
run_loco query --adapter writer "write"
expect_out qwen
LOCO_REGISTRY_PATH="$W/tiny/registry.yaml" run_loco query --adapter writer "write"
expect_out tiny

t "a vanished adapter blob: the base answers meanwhile, setup repairs it"
rm "$B/blobs/sha256-$HEX"
script "{\"models\":[$INSTRUCT],\"chat\":[{\"match\":{\"model\":\"loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M\"},\"reply\":\"adapter\"},{\"reply\":\"base\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
rm "$B/blobs/sha256-$HEX"
run_loco query --adapter solver "solve"
expect_rc 0
expect_out base
expect_err_has "loco: model 'loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M' cannot run: a file of it is missing; answering with the base model 'qwen3:4b-instruct-2507-q4_K_M' and the adapter's prompt (run 'loco setup' to re-create it)"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM adapter solver       loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M its adapter blob sha256:${HEX%"${HEX#????????????}"} is missing from Ollama"
expect_out_has "                             -> run 'loco setup'"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b-instruct-2507-q4_K_M present
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M repaired (its adapter blob sha256:${HEX%"${HEX#????????????}"} is missing from Ollama)
adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M current
done: 1 uploaded, 1 created, 0 pulled"
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs")).map(r => r.raw_sha256).join(",")')" "$HEX" "uploaded again"
run_loco query --adapter solver "solve"
expect_rc 0
expect_out adapter
run_loco doctor
expect_rc 0

t "a vanished base blob: query says to run setup, setup pulls it again"
script "{\"models\":[$INSTRUCT],\"pullable\":[$INSTRUCT],\"chat\":[{\"reply\":\"base\"}]}"
rm -f "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
# The base's weights vanish under the adapter models built on them (the
# script changes, the server keeps what was created).
backend_script "$B" "{\"models\":[{\"name\":\"qwen3:4b-instruct-2507-q4_K_M\",$LLAMACPP,\"finetune\":\"Instruct\",\"blob_missing\":true}],\"pullable\":[$INSTRUCT],\"chat\":[{\"reply\":\"base\"}]}"
run_loco query --adapter none "hello"
expect_rc 4
expect_err "loco: model 'qwen3:4b-instruct-2507-q4_K_M' is listed by Ollama at $BASE_URL but a file of it is missing (model \"qwen3:4b-instruct-2507-q4_K_M\" not found, try pulling it first): run 'loco setup' to re-create it"
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM base model           base model 'qwen3:4b-instruct-2507-q4_K_M' is listed by Ollama at $BASE_URL but a file of it is missing: run 'loco setup' to pull it again"
expect_out_has "PROBLEM adapter writer       loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M listed by Ollama, but a file of it is missing"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b-instruct-2507-q4_K_M repaired (its weights blob was missing from Ollama: pulled again)
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M current
adapter writer: loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M current
done: 0 uploaded, 0 created, 1 pulled"
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path !== "/api/show").map(r => r.path + " " + r.body.model).join(",")')" "/api/pull qwen3:4b-instruct-2507-q4_K_M" "only the base pulled: the models built on it work again"
run_loco query --adapter none "hello"
expect_rc 0
expect_out base
run_loco query --adapter writer "hello"
expect_rc 0
expect_err_match "model loco-writer:1.0.0-qwen3-4b-instruct-2507-q4_K_M [|]"
run_loco setup --json
expect_eq "$(json 'out.base.outcome')" present "base outcome"

t "a composition: skipped by setup, not missing for doctor or list, no Modelfile"
mkgguf "$A/solver.gguf" general.architecture=s:qwen3
HEX=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
cat >"$A/registry.yaml" <<YAML
base_model:
  name: Qwen3-4B
  tag: qwen3:4b-instruct-2507-q4_K_M
adapters:
  - name: solver
    version: 1.2.0
    domain: math
    type: lora
    description: a LoRA adapter
    file: solver.gguf
    sha256: $HEX
  - name: duo
    version: 1.0.0
    domain: math
    description: a composition
    compose:
      - {adapter: solver, scale: 0.5}
YAML
script "{\"models\":[$QWEN]}"
rm -f "$LOCO_HOME/state.json"
: >"$B/requests.jsonl"
run_loco setup --quiet
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b-instruct-2507-q4_K_M present
adapter solver: loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M created
adapter duo: loco-duo:1.0.0-qwen3-4b-instruct-2507-q4_K_M skipped (served only by llama-server: Ollama applies one adapter per model)
done: 0 uploaded, 1 created, 0 pulled"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create").map(r => r.body.model).join(",")')" "loco-solver:1.2.0-qwen3-4b-instruct-2507-q4_K_M" "created models"
run_loco setup --json
expect_rc 0
if node "$TOP/tests/json/validate.js" "$TOP/tests/json/setup.json" "$W/out" 2>"$W/verr"; then pass; else
	fail "stdout does not fit setup.json: $(cat "$W/verr")"
fi
expect_eq "$(json 'out.adapters.map(a => a.name + " " + a.outcome + " " + a.reason).join(", ")')" "solver current null, duo skipped served only by llama-server: Ollama applies one adapter per model" "outcomes"
expect_eq "$(json 'out.changed')" false "changed"
run_loco setup
expect_out_has "everything is current: nothing to do"
run_loco doctor
expect_rc 0
expect_out_has "OK      adapter duo          loco-duo:1.0.0-qwen3-4b-instruct-2507-q4_K_M skipped (served only by llama-server: Ollama applies one adapter per model)"
run_loco adapters list
expect_rc 0
expect_out_has "$(printf '%-12s %-9s %-9s %-7s %-8s %s' duo 1.0.0 math compose - 'a composition')"
run_loco adapters list --json
if node "$TOP/tests/json/validate.js" "$TOP/tests/json/adapters-list.json" "$W/out" 2>"$W/verr"; then pass; else
	fail "stdout does not fit adapters-list.json: $(cat "$W/verr")"
fi
expect_eq "$(json 'out.map(a => a.name + " " + a.type + " " + a.present).join(", ")')" "solver lora true, duo compose null" "presence"
run_loco modelfile duo
expect_rc 7
expect_err "loco: adapter 'duo': a composition cannot be written in a Modelfile: it is served only by llama-server: Ollama applies one adapter per model"

area_end
