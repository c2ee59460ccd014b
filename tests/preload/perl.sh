#!/bin/sh
# preload_perl: Debian's perl runs workload.pl: big hashes and arrays,
# sorts, joins, regex matches and substitutions, splits, and an MD5 digest
# (core Digest::MD5) of the result. The output must be identical with and
# without LD_PRELOAD=libbonbon.so, both runs must exit 0, and the preloaded
# perl binary (Debian links the interpreter into it) must have bound malloc
# and free to libbonbon.
. "$(dirname "$0")/common.sh"

PERL=/usr/bin/perl
[ -x "$PERL" ] || fail "$PERL not found (apt-get install perl)"

compare perl PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 "$PERL" "$HERE/workload.pl"
require_bonbon perl "$PERL"
