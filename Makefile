# Family Safeguarding Services: build, test, lint and run locally.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= 2

# The scripts read the build directory and job count from FS_BUILD_DIR and FS_JOBS.
export FS_BUILD_DIR := $(BUILD_DIR)
export FS_JOBS := $(JOBS)
# ccache keys on paths relative to the checkout, so every clone of the repo shares one cache.
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps build test run lint clean

all: build

deps:
	scripts/install-deps.sh --with-helm

build: deps
	if [[ ! -f "$(BUILD_DIR)/build.ninja" ]]; then \
	  cmake -S . -B "$(BUILD_DIR)" -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi
	cmake --build "$(BUILD_DIR)" -j$(JOBS)

test: build
	scripts/test.sh

run: build
	scripts/run-local.sh

lint:
	scripts/install-deps.sh --with-buf
	scripts/lint.sh

clean:
	-FS_PG_DIR="$(BUILD_DIR)/pg" FS_PG_PORT=54329 scripts/pg.sh stop
	-FS_PG_DIR="$(BUILD_DIR)/pg-test" FS_PG_PORT=54339 scripts/pg.sh stop
	rm -rf "$(BUILD_DIR)"
