# loco: plain Makefile.  make, make check, make bench, make install.
#   make check SANITIZE=address,undefined   build and test with sanitizers
#   make WERROR=1                           warnings are errors (CI)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/loco
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
PKGS	= libcurl libcjson yaml-0.1 libarchive libcrypto libpcre2-8 libedit

VERSION	= 0.1.0

CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wpointer-arith -Wformat=2 -Wno-unused-parameter \
	  -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

# libcurl, libcjson, libarchive, libcrypto and libedit are loaded when
# first needed (src/http.c, src/json.c, src/package.c, src/hash.c,
# src/lineedit.c), which keeps them out of every process's start-up,
# unless CURL_DLOPEN=0, CJSON_DLOPEN=0, ARCHIVE_DLOPEN=0, CRYPTO_DLOPEN=0
# or EDIT_DLOPEN=0.
CURL_DLOPEN ?= 1
ARCHIVE_DLOPEN ?= 1
CRYPTO_DLOPEN ?= 1
EDIT_DLOPEN ?= 1
CJSON_DLOPEN ?= 1
DLOPEN_PKGS = $(if $(filter 1,$(CURL_DLOPEN)),libcurl) \
	$(if $(filter 1,$(CJSON_DLOPEN)),libcjson) \
	$(if $(filter 1,$(ARCHIVE_DLOPEN)),libarchive) \
	$(if $(filter 1,$(CRYPTO_DLOPEN)),libcrypto) \
	$(if $(filter 1,$(EDIT_DLOPEN)),libedit)
# libyaml and PCRE2 are linked into loco when their archives are
# installed (Debian's libyaml-dev and libpcre2-dev ship them): the dynamic
# loader then maps and binds two objects fewer at every start, about 6%
# of a 'loco route'.  The price: a fixed libyaml or PCRE2 reaches loco
# when it is built again.  STATIC_PKGS= links them as shared libraries.
STATIC_PKGS ?= yaml-0.1 libpcre2-8
comma	:= ,
static_archive = $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a 2>/dev/null))
STATIC_FOUND := $(foreach p,$(STATIC_PKGS),$(if $(strip $(foreach l,$(patsubst -l%,%,$(shell $(PKG_CONFIG) --libs-only-l $(p) 2>/dev/null)),$(call static_archive,$(l)))),$(p)))
# Quiet when a library is missing: the deps check says which (below).
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
STATIC_LIBS := $(if $(STATIC_FOUND),$(shell $(PKG_CONFIG) --libs-only-l $(STATIC_FOUND) 2>/dev/null))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out $(DLOPEN_PKGS) $(STATIC_FOUND),$(PKGS)) 2>/dev/null) \
	$(if $(STATIC_LIBS),-Wl$(comma)-Bstatic $(STATIC_LIBS) -Wl$(comma)-Bdynamic) -ldl
DLOPEN_FLAGS = $(if $(filter 1,$(CURL_DLOPEN)),-DLOCO_CURL_DLOPEN) \
	$(if $(filter 1,$(CJSON_DLOPEN)),-DLOCO_CJSON_DLOPEN) \
	$(if $(filter 1,$(ARCHIVE_DLOPEN)),-DLOCO_ARCHIVE_DLOPEN) \
	$(if $(filter 1,$(CRYPTO_DLOPEN)),-DLOCO_CRYPTO_DLOPEN) \
	$(if $(filter 1,$(EDIT_DLOPEN)),-DLOCO_EDIT_DLOPEN)

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Iinclude $(PKG_CFLAGS) $(WARN) $(CFLAGS) \
	-DLOCO_VERSION='"$(VERSION)"' -DLOCO_DATADIR='"$(DATADIR)"' \
	$(DLOPEN_FLAGS)

# Objects go under a directory per build flavour so a sanitizer build
# never mixes with a plain one.
BUILD	= build/$(if $(SANITIZE),san,plain)
SRCS	= $(wildcard src/*.c)
OBJS	= $(SRCS:src/%.c=$(BUILD)/%.o)
LIBOBJS	= $(filter-out $(BUILD)/main.o,$(OBJS))
TSRCS	= $(wildcard tests/unit/*.c)
TOBJS	= $(TSRCS:tests/unit/%.c=$(BUILD)/unit/%.o)

PROG	= loco

.PHONY: all check check-all modelfiles train-tiny tiny-results llama-server test-engine unit test-cmd test-man test-backend bench demo install \
	uninstall clean lint deps-build deps-demo deps-check

all: $(PROG)

# What each goal needs, checked in well under a second (.ci/deps): when
# something is missing, installed as root, else the one command to run is
# printed and make stops before compiling anything.
deps-build deps-demo deps-check:
	@sh .ci/deps --ensure $(@:deps-%=%)

# The binary is relinked whenever the flavour changes (build/flavour).
$(PROG): $(OBJS) $(BUILD)/.flavour $(FLAGS_STAMP)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS) -lm

$(OBJS): | deps-build

$(BUILD)/.flavour:
	@mkdir -p $(BUILD)
	@rm -f build/plain/.flavour build/san/.flavour
	@touch $@

# Rebuild when the compiler or a flag changes (make CC=clang,
# CURL_DLOPEN=0, WERROR=1, another DATADIR...), as git's GIT-CFLAGS: the
# command lines are written to $(BUILD)/flags when they differ from the
# last build's, and everything built depends on that file.
FLAGS_STAMP = $(BUILD)/flags
BUILD_FLAGS = $(CC) $(ALL_CFLAGS) | $(CC) $(LDFLAGS) $(PKG_LIBS)
$(shell mkdir -p $(BUILD) && { printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' | \
	cmp -s - $(FLAGS_STAMP) || \
	printf '%s\n' '$(subst ','\'',$(BUILD_FLAGS))' >$(FLAGS_STAMP); })

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) Makefile $(FLAGS_STAMP)
	@mkdir -p $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: tests/unit/%.c $(wildcard include/*.h) tests/unit/unit.h Makefile $(FLAGS_STAMP)
	@mkdir -p $(BUILD)/unit
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

# The unit tests write hostile archives with libarchive themselves.
$(BUILD)/unit-tests: $(LIBOBJS) $(TOBJS)
	$(CC) $(LDFLAGS) -o $@ $(TOBJS) $(LIBOBJS) $(PKG_LIBS) \
		$(shell $(PKG_CONFIG) --libs libarchive) -lm

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

check: $(PROG) $(BUILD)/unit-tests
	sh tests/run.sh $(BUILD)/unit-tests

# What CI runs: the dependencies, then the tests with warnings as errors,
# again under ASan and UBSan, the fuzz targets' smoke runs, and a build
# with clang (warnings as errors; its own directory and binary).
check-all: deps-check
	$(MAKE) WERROR=1 check
	$(MAKE) WERROR=1 SANITIZE=address,undefined check
	$(MAKE) fuzz-smoke
	$(MAKE) WERROR=1 CC=clang BUILD=build/clang PROG=build/clang/loco \
		build/clang/loco
	@echo "check-all: passed (plain, ASan/UBSan, fuzz smoke, clang build)"

# The tiny trained world (adapters/tiny): one to a few hours of CPU, needs
# Debian's python3-torch and libopenblas0-pthread; loco converts the
# adapters' PEFT folders to GGUF.  Not run by CI.
train-tiny: $(PROG)
	LOCO=$(CURDIR)/$(PROG) sh adapters/tiny/train/train_all.sh

# The tiny world's numbers measured by loco eval and loco router eval on
# the real engine (adapters/tiny/logs/loco_results.md).  Minutes; not CI.
tiny-results: $(PROG)
	sh adapters/tiny/train/measure.sh

# The real llama-server for the tests, built once per machine from the
# llama.cpp source node-llama-cpp ships (minutes; cached by its hash).
llama-server:
	sh tests/llama/build.sh

test-engine:
	cd tests/engine && npm ci --omit=optional --no-audit --no-fund
	node --test tests/engine/

bench: $(PROG)
	sh tests/bench.sh

demo: deps-demo
	$(MAKE) $(PROG)
	sh tests/demo.sh

# The completion scripts are printed by the loco just built, away from the
# environment and configuration of whoever installs it.
COMPLETION = env -i LOCO_HOME=/nonexistent $(abspath $(PROG)) completion

install: $(PROG)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)/adapters \
		$(DESTDIR)$(DATADIR)/benchmarks $(DESTDIR)$(DATADIR)/modelfiles
	install -m 755 $(PROG) $(DESTDIR)$(BINDIR)/loco
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	cp -R adapters/. $(DESTDIR)$(DATADIR)/adapters/
	cp -R benchmarks/. $(DESTDIR)$(DATADIR)/benchmarks/
	cp -R modelfiles/. $(DESTDIR)$(DATADIR)/modelfiles/
	rm -f $(DESTDIR)$(DATADIR)/benchmarks/README.md \
		$(DESTDIR)$(DATADIR)/modelfiles/README.md
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	$(COMPLETION) bash >$(DESTDIR)$(BASHCOMPDIR)/loco
	$(COMPLETION) zsh >$(DESTDIR)$(ZSHCOMPDIR)/_loco
	chmod 644 $(DESTDIR)$(BASHCOMPDIR)/loco $(DESTDIR)$(ZSHCOMPDIR)/_loco

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/loco
	rm -f $(DESTDIR)$(MANDIR)/man1/loco.1
	rm -f $(DESTDIR)$(MANDIR)/man5/loco.yaml.5 \
		$(DESTDIR)$(MANDIR)/man5/loco-registry.5 \
		$(DESTDIR)$(MANDIR)/man5/loco-adapter.5 \
		$(DESTDIR)$(MANDIR)/man5/loco-benchmark.5
	rm -f $(DESTDIR)$(MANDIR)/man7/loco-json.7
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/loco $(DESTDIR)$(ZSHCOMPDIR)/_loco

# The shipped adapters' Modelfiles, from the registry (t_modelfiles.sh
# fails when they are out of date).
modelfiles: $(PROG)
	for a in $$(LOCO_HOME=/nonexistent ./$(PROG) --registry adapters/registry.yaml adapters list \
	    --json 2>/dev/null | sed -n 's/^[[:space:]]*"name":[[:space:]]*"\(.*\)",$$/\1/p'); do \
		LOCO_HOME=/nonexistent ./$(PROG) --registry adapters/registry.yaml modelfile $$a \
		    >modelfiles/$$a.Modelfile || exit 1; \
	done

# mandoc resolves .Xr through a manpath and its mandoc.db: lint against a
# scratch manpath that holds our own pages, so cross-references between
# them are checked too.  Any output at all is a failure.
lint:
	@d=$$(mktemp -d "$${TMPDIR:-/tmp}/loco-lint.XXXXXX") || exit 1; \
	trap 'rm -rf "$$d"' EXIT; \
	mkdir "$$d/man1" "$$d/man5" "$$d/man7" && cp man/*.1 "$$d/man1/" && \
	cp man/*.5 "$$d/man5/" && cp man/*.7 "$$d/man7/" || exit 1; \
	PATH="$$PATH:/usr/sbin:/usr/local/sbin" makewhatis "$$d" || \
		{ echo "lint: makewhatis (from mandoc) failed"; exit 1; }; \
	out=$$(MANPATH="$$d" mandoc -Tlint -Wstyle man/*.1 man/*.5 man/*.7 2>&1); \
	rc=$$?; \
	if [ -n "$$out" ]; then printf '%s\n' "$$out"; exit 1; fi; \
	exit $$rc

clean:
	rm -rf build $(PROG)

# libFuzzer targets for the parsers of outside input (tests/fuzz/README).
# Built with clang into build/fuzz/, away from the other flavours.
#   make fuzz [FUZZ_SECONDS=60]   build, then fuzz each target; 1 on a crash
#   make fuzz-long [FUZZ_LONG_SECONDS=300]  the same, for longer (not CI)
#   make fuzz-smoke               seed corpora plus 2000 runs each (for CI)
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_LONG_SECONDS ?= 300
FUZZ_BUILD	= build/fuzz
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS	= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-Iinclude $(PKG_CFLAGS) $(WARN) -Wno-format-nonliteral -g -O1 \
	-fno-omit-frame-pointer $(DLOPEN_FLAGS) \
	-DLOCO_VERSION='"$(VERSION)"' -DLOCO_DATADIR='"$(DATADIR)"'
FUZZ_OBJS	= $(filter-out $(FUZZ_BUILD)/obj/main.o, \
	$(SRCS:src/%.c=$(FUZZ_BUILD)/obj/%.o))
FUZZ_PROGS	= $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%, \
	$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/obj/%.o: src/%.c $(wildcard include/*.h) Makefile
	@mkdir -p $(FUZZ_BUILD)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		-c -o $@ $<

# An archive, so a target may stand in for a module (fuzz_chat: http.o).
$(FUZZ_BUILD)/libloco.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_OBJS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(FUZZ_BUILD)/libloco.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libloco.a $(PKG_LIBS) -lm

.PHONY: fuzz fuzz-long fuzz-smoke
fuzz: $(FUZZ_PROGS)
	sh tests/fuzz/run.sh -t $(FUZZ_SECONDS) $(FUZZ_PROGS)

fuzz-long: $(FUZZ_PROGS)
	sh tests/fuzz/run.sh -t $(FUZZ_LONG_SECONDS) $(FUZZ_PROGS)

fuzz-smoke: $(FUZZ_PROGS)
	sh tests/fuzz/run.sh -s $(FUZZ_PROGS)
