#!/bin/sh
# check_attack_seeds.sh REPLAY ROOT: every fuzz_attack seed whose program
# says "Expected: detected" must end in a detection (the fatal hook),
# like hardened_malloc's expected-abort tests; the others must pass.
set -eu
replay=$1 root=$2
fail=0
for src in "$root"/fuzz/seeds/fuzz_attack/*.fzs; do
  name=$(basename "$src" .fzs)
  seed="$root/corpus/fuzz_attack/seed-$name"
  out=$(FZ_STATS=1 "$replay" "$seed" 2>&1) || { echo "FAIL $name: $out"; fail=1; continue; }
  if grep -q "Expected: detected" "$src"; then
    if echo "$out" | grep -q " 1 detected"; then
      echo "ok   $name: $(FZ_TRACE=1 "$replay" "$seed" 2>&1 | sed -n 's/.*allocator detection: //p' | head -1)"
    else
      echo "FAIL $name: not detected"; fail=1
    fi
  else
    echo "ok   $name (no detection expected)"
  fi
done
exit $fail
