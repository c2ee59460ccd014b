#!/bin/sh
# install-peers.sh: install the allocators bonbon is measured against, from
# Debian (bookworm): jemalloc, mimalloc, tcmalloc (minimal) and LLVM Scudo.
# glibc's malloc needs nothing. run.py looks for the libraries at the paths
# these packages install and skips (with a note) any that is missing.
set -eu
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends \
  libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 libclang-rt-14-dev \
  gnuplot-nox sqlite3 python3 gcc
