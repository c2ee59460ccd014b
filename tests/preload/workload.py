# Allocation-heavy, deterministic CPython workload for the preload test.
# Run with PYTHONMALLOC=malloc (every object comes from malloc) and
# PYTHONHASHSEED=0. Prints counts and digests only, never addresses.
import collections
import hashlib
import json
import random

rng = random.Random(20240601)
h = hashlib.sha256()


def out(label, value):
    line = "%s: %s" % (label, value)
    h.update(line.encode())
    print(line)


# Many small strings and tuples, sorted several ways.
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 12)))
         for _ in range(60000)]
out("words", len(words))
out("distinct", len(set(words)))
rows = [(w, len(w), i % 97, str(i)) for i, w in enumerate(words)]
rows.sort(key=lambda r: (r[2], r[0], -r[1]))
out("first rows", rows[:3])
out("last row", rows[-1])
by_len = sorted(words, key=lambda w: (len(w), w))
out("shortest", by_len[:5])
out("longest", by_len[-2:])

# A big dict of lists, grown and shrunk.
index = collections.defaultdict(list)
for i, w in enumerate(words):
    index[w[:2]].append((i, w.upper()))
out("prefixes", len(index))
out("biggest bucket", max((len(v), k) for k, v in index.items()))
for k in list(index):
    if len(index[k]) % 3 == 0:
        del index[k]
out("prefixes left", len(index))
counts = collections.Counter(w[-1] for w in words)
out("last letters", sorted(counts.items())[:6])

# JSON round trips of nested structures.
doc = {"k%05d" % i: {"name": words[i], "tags": words[i:i + 5], "n": i * 7.25,
                     "sub": [[j, words[(i + j) % len(words)]] for j in range(4)]}
       for i in range(0, 25000)}
text = json.dumps(doc, sort_keys=True)
out("json bytes", len(text))
back = json.loads(text)
out("json round trip", back == doc)
text2 = json.dumps(back, indent=1, sort_keys=True)
out("indented json digest", hashlib.md5(text2.encode()).hexdigest())

# String building: joins, replaces, splits, formatting.
big = "\n".join("%d\t%s\t%s" % (i, w, w[::-1]) for i, w in enumerate(words))
out("joined bytes", len(big))
parts = big.replace("\t", ",").split("\n")
out("lines", len(parts))
out("palindromes", sum(1 for w in words if len(w) > 2 and w == w[::-1]))
chunks = [big[i:i + 4096] for i in range(0, len(big), 4096)]
out("chunks", len(chunks))
out("rebuilt", "".join(chunks) == big)

# Churn: lots of short-lived objects of mixed sizes.
total = 0
for rnd in range(25):
    tmp = [bytearray(rng.randint(1, 3000)) for _ in range(2000)]
    tmp = [bytes(b[: len(b) // 2]) for b in tmp if len(b) % 5]
    total += sum(map(len, tmp))
out("churn bytes", total)

print("digest:", h.hexdigest())
