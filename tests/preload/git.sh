#!/bin/sh
# preload_git: Debian's git runs git-workload.sh: in a fresh temporary
# repository, a few hundred files are committed in three commits with fixed
# author, committer and dates (so all hashes are fixed), then log --stat,
# log -p, diff, blame, rev-parse, gc (single-threaded delta search, so the
# pack is fixed) and fsck are printed. The whole session, shell and git
# subprocesses included, runs under the preload. The output must be
# identical with and without LD_PRELOAD=libbonbon.so, both runs must exit
# 0, and git must have bound malloc and free to libbonbon.
. "$(dirname "$0")/common.sh"

[ -x /usr/bin/git ] || fail "/usr/bin/git not found (apt-get install git)"

compare git /bin/sh "$HERE/git-workload.sh"
require_bonbon git git
