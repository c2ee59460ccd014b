"""gen_c.py: write a large C program for the gcc workload, and its output.

    python3 gen_c.py N DIR    ->  DIR/big.c, DIR/expected

big.c defines N functions of 32-bit arithmetic, loops, switches and small
constant tables, and a main that chains them and prints the result. The
same arithmetic is evaluated here, so `expected` holds what a correctly
compiled big.c prints: if the allocator corrupted the compiler's data, the
program would likely not build, or print something else. The functions
have external linkage, so gcc -O2 optimizes each of them and inlines none.
"""
import os
import random
import sys

M = 0xFFFFFFFF


def make(i, rng):
    f = {"a": rng.randrange(1, M) | 1, "b": rng.randrange(M),
         "c": rng.randrange(M), "d": rng.randrange(M),
         "s": rng.randrange(1, 14), "k": rng.randrange(1, 5),
         "t": [rng.randrange(M) for _ in range(16)]}
    src = """
static const unsigned t_{i}[16] = {{{tab}}};
unsigned f_{i}(unsigned x) {{
  unsigned y = x * {a}u + {b}u;
  for (int k = 0; k < {k}; k++) {{
    y ^= y << {s};
    switch ((y >> 3) % 4) {{
    case 0: y += {c}u; break;
    case 1: y ^= {d}u; break;
    case 2: y = (y >> 5) | (y << 27); break;
    default: y -= x; break;
    }}
    y += t_{i}[y % 16];
  }}
  return y ^ (y >> 16);
}}
""".format(i=i, tab=", ".join("%du" % v for v in f["t"]), **f)
    return f, src


def run(f, x):
    y = (x * f["a"] + f["b"]) & M
    for _ in range(f["k"]):
        y ^= (y << f["s"]) & M
        sel = (y >> 3) % 4
        if sel == 0:
            y = (y + f["c"]) & M
        elif sel == 1:
            y ^= f["d"]
        elif sel == 2:
            y = ((y >> 5) | (y << 27)) & M
        else:
            y = (y - x) & M
        y = (y + f["t"][y % 16]) & M
    return y ^ (y >> 16)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(n)
    funcs, parts = [], ["#include <stdio.h>\n"]
    for i in range(n):
        f, src = make(i, rng)
        funcs.append(f)
        parts.append(src)
    parts.append("int main(void) {\n  unsigned h = 1;\n")
    parts.extend("  h = f_%d(h);\n" % i for i in range(n))
    parts.append('  printf("%08x\\n", h);\n  return 0;\n}\n')
    h = 1
    for f in funcs:
        h = run(f, h)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "big.c"), "w") as fh:
        fh.write("".join(parts))
    with open(os.path.join(out, "expected"), "w") as fh:
        fh.write("%08x\n" % h)


if __name__ == "__main__":
    main()
