#!/usr/bin/env python3
"""check-ignored.py LOG EXPECTED: fail on an annotation E-ACSL ignored
that EXPECTED does not list.

E-ACSL reports each one as
    [e-acsl] FILE:LINE: Warning:
      E-ACSL construct `CONSTRUCT' is not yet supported.
      Ignoring annotation.
EXPECTED has one entry a line, `CONSTRUCT | LOCATION | reason`, where
LOCATION is FILE~TEXT (FILE's line that E-ACSL names contains TEXT, and
no other line of FILE does: the entry survives edits elsewhere in FILE),
FILE:LINE, or * for every location; FILE is relative to the repository. Prints the ignored annotations by construct, and the
unexpected ones; exits 1 if there is any, or if an entry with a location
matched nothing (a stale entry)."""
import os
import re
import sys
from collections import Counter


def main():
    log, expected = sys.argv[1], sys.argv[2]
    text = open(log, errors="replace").read()
    pat = re.compile(
        r"\[e-acsl\] (\S+?):(\d+): Warning: *\n\s*E-ACSL construct\s+`(.*?)'"
        r"\s+(?:is )?(?:not yet supported|is not yet supported)\.?\s*\n\s*Ignoring annotation\.",
        re.S)
    found = []
    for m in pat.finditer(text):
        f, line, construct = m.group(1), m.group(2), " ".join(m.group(3).split())
        f = re.sub(r"^.*?/(allocator|specs)/", r"\1/", f)
        found.append((construct, f"{f}:{line}"))
    total = text.count("Ignoring annotation")
    if total != len(found):
        print(f"check-ignored: {total} 'Ignoring annotation' messages, "
              f"{len(found)} understood: update check-ignored.py")
        return 1
    entries = []
    for raw in open(expected):
        raw = raw.split("#", 1)[0].strip() if raw.lstrip().startswith("#") else raw.strip()
        if not raw:
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) != 3 or not parts[2]:
            print(f"check-ignored: bad entry (CONSTRUCT | LOCATION | reason): {raw}")
            return 1
        if "~" in parts[1]:
            path, anchor = parts[1].split("~", 1)
            root = os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(expected))))
            lines = [i + 1 for i, l in enumerate(open(os.path.join(root, path)))
                     if anchor in l]
            if len(lines) != 1:
                print(f"check-ignored: {parts[1]}: {len(lines)} lines of "
                      f"{path} contain that text, not 1")
                return 1
            parts[1] = f"{path}:{lines[0]}"
        entries.append(parts)
    used = Counter()
    bad = []
    for construct, loc in found:
        hit = [i for i, (c, l, _) in enumerate(entries)
               if c == construct and l in ("*", loc)]
        if hit:
            used[hit[0]] += 1
        else:
            bad.append((construct, loc))
    by = Counter(c for c, _ in found)
    for c, n in sorted(by.items()):
        print(f"e-acsl ignored: {n:4d}  {c}")
    stale = [e for i, e in enumerate(entries) if e[1] != "*" and not used[i]]
    for c, l in bad:
        print(f"e-acsl ignored, NOT EXPECTED: {l}: {c}")
    for c, l, _ in stale:
        print(f"expected-ignored.txt: stale entry (nothing ignored there): {c} | {l}")
    print(f"e-acsl: {len(found)} annotations ignored, {len(bad)} unexpected, "
          f"{len(stale)} stale entries")
    return 1 if bad or stale else 0


if __name__ == "__main__":
    sys.exit(main())
