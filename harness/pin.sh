# The pinned upstream release; sourced by the other harness scripts.
# shellcheck shell=bash
QEMU_VERSION=10.0.2
QEMU_ORIG=qemu_${QEMU_VERSION}+ds.orig.tar.xz
QEMU_ORIG_SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1
