#!/bin/sh
# git-workload.sh: deterministic git session for the preload test. In a
# fresh temporary repository it commits a few hundred generated files in
# three commits (fixed names, emails and dates, so every hash is fixed),
# then prints logs with stats and patches, object listings, blame, and the
# result of gc and fsck. Only content that does not depend on the run's
# directory or timing is printed.
set -eu

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="Ada Author" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Cy Committer" GIT_COMMITTER_EMAIL=cy@example.org
commit() { # commit DATE MESSAGE
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
cd "$repo"
git init -q -b main .
git config pack.threads 1 # single-threaded delta search: packs are deterministic
git config gc.auto 0      # no automatic gc in the background

# gen V: write 320 files in 16 directories, 60 to 379 lines each (one
# awk process, not hundreds). Version 2 edits every third file.
gen() {
  awk -v v="$1" 'BEGIN {
    for (d = 0; d < 16; d++) {
      if (v == 1) system("mkdir dir" d)
      for (f = 0; f < 20; f++) {
        n = d * 20 + f; path = "dir" d "/file" f ".txt"
        edit = (v == 2 && f % 3 == 0)
        for (i = 1; i <= 60 + n; i++) {
          if (edit && i >= 7 && i <= 9) continue
          line = "line " i " of file " n ": the quick brown fox jumps over the lazy dog"
          if (edit && i == 1) sub(/quick/, "slow", line)
          print line > path
        }
        if (edit) print "appended to dir" d "/file" f > path
        close(path)
      }
    }
  }'
}
gen 1
git add .
commit "2024-01-01T10:00:00Z" "Add 320 generated files"

# Edit a third of the files, delete some, add new ones.
gen 2
git rm -qf dir15/file1*.txt
seq -f "new %g" 1 5000 >big-new.txt
git add -A
commit "2024-01-02T11:30:00Z" "Edit every third file, drop dir15/file1*, add big-new.txt"

git mv dir14 renamed14
sed -i 's/lazy/sleepy/' dir0/file0.txt
git add -A
commit "2024-01-03T12:45:00Z" "Rename dir14 and touch dir0/file0.txt"

echo "== rev-parse"
git rev-parse HEAD HEAD~1 HEAD~2 HEAD^{tree}
echo "== log --stat"
git log --stat --format='%H %an <%ae> %ad %cn%n%s' --date=iso-strict
echo "== log -p (summary)"
git log -p -M --format='commit %h' | cksum
git log -p -M --format='commit %h' | grep -c '^[-+]'
echo "== diff --stat HEAD~2"
git diff --stat -M HEAD~2 HEAD | tail -n 3
echo "== blame"
git blame -s --abbrev=12 dir0/file0.txt | sed -n '1,3p;$p'
echo "== gc"
git gc -q
git count-objects -v | grep -E '^(count|in-pack|packs|prune-packable|garbage)'
git cat-file --batch-all-objects --batch-check | sort | cksum
echo "== fsck"
git fsck --full --strict --no-progress --no-dangling
echo "== status"
git status --porcelain=v2 --branch
