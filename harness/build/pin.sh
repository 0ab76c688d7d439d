# The pinned upstream release; sourced by the other harness scripts.
# shellcheck shell=bash
QEMU_VERSION=10.2.2
QEMU_ORIG=qemu_${QEMU_VERSION}+ds.orig.tar.xz
QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
