"""alloc_heavy.py: an allocation-heavy Python program, for the python3 workload.

    PYTHONMALLOC=malloc PYTHONHASHSEED=0 /usr/bin/python3 alloc_heavy.py N

With PYTHONMALLOC=malloc every object, small or large, goes through malloc
and free instead of CPython's own pool allocator, so the interpreter
becomes a realistic stress of many small short-lived objects, dicts that
grow and shrink, strings built and dropped, and lists resized by realloc.
Every phase checks its result against one computed another way, and the
run ends with `check ok <digest>`: the digest is the same on every
allocator, which the runner verifies.
"""
import hashlib
import json
import random
import sys


class Node:
    __slots__ = ("key", "left", "right")

    def __init__(self, key):
        self.key = key
        self.left = None
        self.right = None


def tree_insert(root, key):
    """Unbalanced binary search tree: one small object per key."""
    if root is None:
        return Node(key)
    node = root
    while True:
        if key < node.key:
            if node.left is None:
                node.left = Node(key)
                return root
            node = node.left
        else:
            if node.right is None:
                node.right = Node(key)
                return root
            node = node.right


def tree_walk(root):
    out, stack, node = [], [], root
    while stack or node is not None:
        while node is not None:
            stack.append(node)
            node = node.left
        node = stack.pop()
        out.append(node.key)
        node = node.right
    return out


def fail(what):
    sys.stderr.write("CHECK FAILED: %s\n" % what)
    sys.exit(3)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    rng = random.Random(12345)
    digest = hashlib.sha256()

    # 1. A dict of string keys to lists, updated, then half deleted.
    table = {}
    for i in range(n):
        key = "k%x-%d" % (rng.getrandbits(32), i % 97)
        table.setdefault(key, []).append(i)
    total = sum(len(v) for v in table.values())
    if total != n:
        fail("dict lost entries: %d != %d" % (total, n))
    for key in list(table)[::2]:
        del table[key]
    kept = sorted(table.items())
    digest.update(repr(kept[:100]).encode())
    digest.update(str(sum(sum(v) for _, v in kept)).encode())

    # 2. Many small objects: a tree of random keys, walked in order.
    keys = [rng.randrange(1 << 30) for _ in range(n // 2)]
    root = None
    for k in keys:
        root = tree_insert(root, k)
    if tree_walk(root) != sorted(keys):
        fail("tree walk is not the sorted key list")
    del root
    digest.update(str(sum(keys[::7])).encode())

    # 3. Strings built piece by piece, split and joined again.
    parts = []
    for i in range(n // 4):
        parts.append("%d:%s" % (i, "x" * (i % 61)))
    text = ",".join(parts)
    if text.split(",") != parts:
        fail("split(join(parts)) != parts")
    words = {}
    for p in parts:
        words[len(p)] = words.get(len(p), 0) + 1
    digest.update(repr(sorted(words.items())).encode())

    # 4. JSON round trip of nested records.
    records = [{"id": i, "tags": ["t%d" % (i % 13), "u%d" % (i % 7)],
                "score": (i * 2654435761) % 1000003 / 7.0}
               for i in range(n // 4)]
    blob = json.dumps(records)
    if json.loads(blob) != records:
        fail("json round trip changed the records")
    digest.update(hashlib.sha256(blob.encode()).digest())

    # 5. Lists grown by append (realloc) and tuples sorted.
    rows = []
    for i in range(n):
        rows.append((rng.randrange(1000), -i, str(i)))
    rows.sort()
    for a, b in zip(rows, rows[1:]):
        if a > b:
            fail("sort order")
    digest.update(repr(rows[:: max(1, n // 50)]).encode())

    print("check ok %s" % digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
