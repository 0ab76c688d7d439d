# Build the pinned QEMU release (harness/build/pin.sh) with this project's migration estimate, test it, and
# export it as a patch series.  See README.md.

BUILD    ?= $(CURDIR)/build
# An unpacked tree of the pinned QEMU release or git checkout to use instead of Debian's
# source package.
QEMU_SRC ?=
# Signed-off-by line for the exported patches (see README.md).
SIGNOFF  ?=

TREE   := $(BUILD)/qemu
OBJ    := $(BUILD)/obj
H      := $(CURDIR)/harness/build
BENCH  := $(CURDIR)/harness/bench
QEMU_ORIG := $(shell . $(H)/pin.sh && echo $$QEMU_ORIG)
SOURCE := $(if $(QEMU_SRC),$(QEMU_SRC),$(BUILD)/dl/$(QEMU_ORIG))

# What `make build` compiles: the emulator and the tests `make check` runs.
TARGETS := qemu-system-x86_64 \
	$(shell awk '!/^[[:space:]]*(\#|$$)/ { print $$2 }' $(H)/tests.txt)

.PHONY: all build deps fetch assemble configure check check-sanitize check-libvirt check-master check-each demo bench bench-aids bench-pace bench-libvirt bench-oos bench-quick export refresh clean distclean
all: build

deps:
	@$(H)/deps.sh

fetch: deps
	@$(if $(QEMU_SRC),true,$(H)/fetch.sh $(BUILD)/dl)

assemble: fetch
	@$(H)/assemble.sh $(CURDIR) $(SOURCE) $(TREE)

configure: assemble
	@$(H)/configure.sh $(TREE) $(OBJ)

build: configure
	ninja -C $(OBJ) $(TARGETS)
	@$(H)/firmware.sh $(OBJ)

check: build
	@$(H)/check.sh $(CURDIR) $(SOURCE) $(TREE) $(OBJ)

# The QEMU tests of `check` again, in a second tree built with ASan and
# UBSan (build/obj-san).
check-sanitize: assemble
	@$(H)/sanitize.sh $(TREE) $(BUILD)/obj-san

# The estimate through libvirt, end to end: installs libvirt, starts two
# libvirt hosts on this machine, measures, estimates and migrates a Linux
# guest with virsh.  About 2 minutes once installed; needs root.
check-libvirt: build
	@$(CURDIR)/harness/libvirt/check-libvirt.sh $(TREE) $(OBJ)

demo: build
	@$(BENCH)/demo.sh $(TREE) $(OBJ)

# The accuracy benchmark: about 50 minutes, the report goes into
# docs/accuracy, with the runs of the previous base (10.0.2) beside it.  Runs already in build/bench/full are kept; remove it to
# start afresh.
bench: build
	@PREVIOUS=$(wildcard $(CURDIR)/docs/accuracy/results-10.0.2.jsonl) \
	$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/full $(CURDIR)/docs/accuracy

# The aids to convergence (auto-converge, post-copy, multifd): about 41
# minutes, the report goes into docs/accuracy/aids.md.
bench-aids: build
	@$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/aids $(CURDIR)/docs/accuracy --aids

# Where the sender's pace holds a migration back: stopped and large
# mostly idle guests, no rate limit over unix and TCP, multifd: about 8
# minutes, the report goes into docs/accuracy/pace.md.
bench-pace: build
	@$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/pace $(CURDIR)/docs/accuracy --pace

# The same guests migrated through libvirt, beside the direct path: about
# 11 minutes, the report goes into docs/accuracy/libvirt.md.
bench-libvirt: build
	@$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/libvirt $(CURDIR)/docs/accuracy --libvirt

# Applications the model was not corrected on (memcached, PostgreSQL),
# reported apart: about 20 minutes, the report goes into
# docs/accuracy/oos.md.
bench-oos: build
	@$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/oos $(CURDIR)/docs/accuracy --oos

# Its quick subset, under 10 minutes; the report stays in build/.
bench-quick: build
	@$(BENCH)/bench.sh $(TREE) $(OBJ) $(BUILD)/bench/quick $(BUILD)/bench/quick/report --quick

export: assemble
	@$(H)/export.sh $(CURDIR) $(SOURCE) $(TREE) $(BUILD)/export "$(SIGNOFF)"

# Does the series apply to upstream master, build and pass its unit tests
# there?  MASTER is a local git repository of upstream, COMMIT what to
# check (default: its master).
check-master: export
	@$(H)/check-master.sh $(BUILD)/export "$(MASTER)" $(or $(COMMIT),master) $(BUILD)/master

# Does every commit of the series build on its own, with -Werror, with
# migration-test and the unit tests it has?  About 25 minutes from an
# empty build/each, about 17 once built, for the 53 commits here.
check-each: assemble
	@$(H)/check-each.sh $(TREE) $(BUILD)/each

refresh:
	@$(H)/refresh.sh $(if $(REWRITE),--rewrite) $(CURDIR) $(TREE) "$(PATCH)"
	@$(H)/assemble.sh $(CURDIR) $(SOURCE) $(TREE)

clean:
	rm -rf $(OBJ) $(BUILD)/obj-san $(TREE) $(TREE).* $(BUILD)/export $(BUILD)/tmp $(BUILD)/fuzz $(BUILD)/each $(BUILD)/master

distclean:
	rm -rf $(BUILD)
