#!/bin/sh
# preload_sqlite3: Debian's sqlite3 shell runs workload.sql on an in-memory
# database: recursive CTEs insert 200k rows, indexes are built, and GROUP
# BY, ORDER BY, joins, window functions, string aggregation, updates and
# deletes are printed or checked (PRAGMA integrity_check). The output must
# be identical with and without LD_PRELOAD=libbonbon.so, both runs must exit
# 0, and the preloaded sqlite3 and libsqlite3 must have bound malloc and
# free to libbonbon.
. "$(dirname "$0")/common.sh"

SQLITE=/usr/bin/sqlite3
[ -x "$SQLITE" ] || fail "$SQLITE not found (apt-get install sqlite3)"

compare sqlite3 "$SQLITE" -batch -init "$HERE/workload.sql" :memory: .quit
require_bonbon sqlite3 "$SQLITE" libsqlite3.so.0
