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
  tag: qwen3:4b
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
PULLABLE='"pullable":[{"name":"qwen3:4b","architecture":"qwen3"}]'

t "first setup: pull, upload, create, default config"
script "{\"models\":[],$PULLABLE}"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
config: wrote the defaults to $LOCO_HOME/config.yaml
base: qwen3:4b pulled
adapter solver: loco-solver:1.2.0-qwen3-4b created
adapter writer: loco-writer:1.0.0-qwen3-4b created
done: 1 uploaded, 2 created, 1 pulled"
expect_eq "$(req 'reqs.map(r => r.method + " " + r.path).join(",")')" "GET /api/version,GET /api/tags,POST /api/pull,GET /api/tags,POST /api/show,HEAD /api/blobs/sha256:$HEX,POST /api/blobs/sha256:$HEX,POST /api/create,GET /api/tags,POST /api/create,GET /api/tags" "requests"
expect_eq "$(req 'reqs.find(r => r.path.startsWith("/api/blobs") && r.method === "POST").raw_sha256')" "$HEX" "uploaded bytes"
expect_eq "$(req 'JSON.stringify(reqs.filter(r => r.path === "/api/create")[0].body)')" "{\"model\":\"loco-solver:1.2.0-qwen3-4b\",\"from\":\"qwen3:4b\",\"adapters\":{\"solver.gguf\":\"sha256:$HEX\"},\"system\":\"Solve it.\",\"parameters\":{\"temperature\":0.1,\"stop\":[\"</s>\",\"User:\"]},\"stream\":true}" "create body"
expect_eq "$(req 'JSON.stringify(reqs.filter(r => r.path === "/api/create")[1].body)')" '{"model":"loco-writer:1.0.0-qwen3-4b","from":"qwen3:4b","system":"Write well.","stream":true}' "prompt adapter body"
if grep -q '^  reread: true$' "$LOCO_HOME/config.yaml"; then pass; else fail "default config"; fi
run_loco config inference.reread
expect_out true

t "re-run: nothing uploaded, nothing created"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b present
adapter solver: loco-solver:1.2.0-qwen3-4b current
adapter writer: loco-writer:1.0.0-qwen3-4b current
everything is current: nothing to do"
expect_eq "$(req 'reqs.map(r => r.method + " " + r.path).join(",")')" "GET /api/version,GET /api/tags" "requests"

t "a changed adapter is created again; its blob is not sent twice"
sed -i 's/Write well\./Write very well./' "$A/registry.yaml"
: >"$B/requests.jsonl"
run_loco setup
expect_rc 0
expect_out_has "adapter writer: loco-writer:1.0.0-qwen3-4b updated"
expect_out_has "adapter solver: loco-solver:1.2.0-qwen3-4b current"
expect_eq "$(req 'reqs.filter(r => r.path.startsWith("/api/blobs")).length + " " + reqs.filter(r => r.path === "/api/create").length')" "0 1" "blobs and creates"

t "a fresh LOCO_HOME state: blob exists, so no upload"
rm "$LOCO_HOME/state.json"
: >"$B/requests.jsonl"
run_loco setup --quiet
expect_rc 0
expect_err_empty
expect_eq "$(req 'reqs.filter(r => r.method === "POST" && r.path.startsWith("/api/blobs")).length')" 0 "uploads"
expect_eq "$(req 'reqs.filter(r => r.method === "HEAD").length')" 1 "blob checked"

t "doctor: all well"
run_loco doctor
expect_rc 0
expect_out_has "OK      adapter solver       loco-solver:1.2.0-qwen3-4b registered and current"
expect_out_has "OK      adapter solver file  LoRA for qwen3, as the base"
run_loco doctor --json
expect_eq "$(json 'out.every(c => c.ok)')" true "all ok"
expect_eq "$(json 'out.map(c => c.check).join(",")')" "server,version,base model,adapter solver,adapter solver file,adapter writer,disk,memory" "checks"

t "doctor: problems and their fixes"
script '{"models":[{"name":"qwen3:4b","architecture":"qwen3"}]}'
run_loco doctor
expect_rc 1
expect_out_has "PROBLEM adapter writer       loco-writer:1.0.0-qwen3-4b not in Ollama"
expect_out_has "                             -> run 'loco setup'"
expect_err "loco: 2 problems found"
run_loco doctor --host 127.0.0.1:1
expect_rc 1
expect_out_has "PROBLEM server               cannot reach Ollama at http://127.0.0.1:1: is 'ollama serve' running?"

t "old server: the Modelfile body"
script "{\"models\":[{\"name\":\"qwen3:4b\",\"architecture\":\"qwen3\"}],\"legacy_create\":true}"
rm "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 0
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create").map(r => r.body.modelfile ? "modelfile" : "json").join(",")')" "json,modelfile,json,modelfile" "bodies"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create")[1].body.modelfile')" "FROM qwen3:4b
ADAPTER @sha256:$HEX
SYSTEM \"Solve it.\"
PARAMETER temperature 0.1
PARAMETER stop </s>
PARAMETER stop User:" "legacy Modelfile"

t "a server that refuses adapters"
script "{\"models\":[{\"name\":\"qwen3:4b\",\"architecture\":\"qwen3\"}],\"refuse_adapters\":\"adapters are not supported in Modelfiles\"}"
rm "$LOCO_HOME/state.json"
run_loco setup --quiet
expect_rc 8
expect_err "loco: Ollama 0.33.0 at $BASE_URL refused the LoRA adapter of 'loco-solver:1.2.0-qwen3-4b' (adapters are not supported in Modelfiles): adapter models made earlier still run, and prompt adapters are not affected; to serve LoRA adapters, use loco's llama-server backend (backend.type: llama-server, then 'loco serve'), or a merged GGUF (registry type merged)
loco: 1 of 2 adapters could not be registered"
expect_out_has "adapter solver: loco-solver:1.2.0-qwen3-4b failed"
expect_out_has "adapter writer: loco-writer:1.0.0-qwen3-4b created"

t "architecture mismatch: refused before anything is sent"
mkgguf "$A/solver.gguf" general.architecture=s:llama
HEX2=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
sed -i "s/$HEX/$HEX2/" "$A/registry.yaml"
script '{"models":[{"name":"qwen3:4b","architecture":"qwen3"}]}'
run_loco setup --quiet
expect_rc 5
expect_err "loco: adapter 'solver': '$A/solver.gguf' is a LoRA for architecture 'llama' but the base model 'qwen3:4b' is 'qwen3': train or download an adapter for qwen3
loco: 1 of 2 adapters could not be registered"
expect_eq "$(req 'reqs.filter(r => r.path.startsWith("/api/blobs") || (r.path === "/api/create" && r.body.model === "loco-solver:1.2.0-qwen3-4b")).length')" 0 "nothing sent"

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
expect_err "loco: cannot pull the base model 'qwen3:4b': pull model manifest: file does not exist"

t "a composition: skipped by setup, not missing for doctor or list, no Modelfile"
mkgguf "$A/solver.gguf" general.architecture=s:qwen3
HEX=$(sha256sum "$A/solver.gguf" | cut -d' ' -f1)
cat >"$A/registry.yaml" <<YAML
base_model:
  name: Qwen3-4B
  tag: qwen3:4b
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
script '{"models":[{"name":"qwen3:4b","architecture":"qwen3"}]}'
rm -f "$LOCO_HOME/state.json"
: >"$B/requests.jsonl"
run_loco setup --quiet
expect_rc 0
expect_out "server: Ollama 0.33.0 at $BASE_URL
base: qwen3:4b present
adapter solver: loco-solver:1.2.0-qwen3-4b created
adapter duo: loco-duo:1.0.0-qwen3-4b skipped (served only by llama-server: Ollama applies one adapter per model)
done: 0 uploaded, 1 created, 0 pulled"
expect_eq "$(req 'reqs.filter(r => r.path === "/api/create").map(r => r.body.model).join(",")')" "loco-solver:1.2.0-qwen3-4b" "created models"
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
expect_out_has "OK      adapter duo          loco-duo:1.0.0-qwen3-4b skipped (served only by llama-server: Ollama applies one adapter per model)"
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
