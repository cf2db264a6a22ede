#!/bin/sh
# Builds the consumer's two migrations (C++ and C) with a plain compiler
# command and pkg-config, as docs/packaging.md shows for builds without CMake.
#   pkgconfig_build.sh <source folder> <output folder>   (CC, CXX: compilers)
set -eu
src=$1
out=$2

# What link_migration_add_migration() defines: "sha256:<hex>" of the text
# with CRLF folded to LF.
checksum() {
  printf '"sha256:%s"' "$(sed 's/\r$//' "$1" | sha256sum | cut -d' ' -f1)"
}

# Code-generation flags for a plugin: not in Cflags (docs/packaging.md).
plugin_cflags=$(pkg-config --variable=plugin_cflags link-migration)

mkdir -p "$out"
${CXX:-c++} -std=c++20 -O2 $plugin_cflags -DLM_SOURCE_CHECKSUM="$(checksum "$src/001_create_notes.cpp")" \
  -o "$out/notes_001_create_notes.so" "$src/001_create_notes.cpp" \
  $(pkg-config --cflags --libs link-migration sqlite3)
${CC:-cc} -std=c11 -O2 $plugin_cflags -DLM_SOURCE_CHECKSUM="$(checksum "$src/002_tag_notes.c")" \
  -o "$out/notes_002_tag_notes.so" "$src/002_tag_notes.c" \
  $(pkg-config --cflags --libs link-migration sqlite3)
