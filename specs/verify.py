#!/usr/bin/env python3
"""verify: prove the ACSL contracts of bonbon's core with Frama-C WP.

usage: verify.py [--build DIR] [--timeout S] [--memlimit MB] [--jobs N]
                 [--cache replay|none|update|refresh] [--only f1,f2]

It runs WP with -wp-rte -warn-unsigned-overflow on the production sources
(the verification build, __FRAMAC__, see allocator/chunk.h), with z3 and
cvc4 through Why3, a pinned timeout and a pinned Why3 memory limit (its
own why3.conf in the build directory, so ~/.why3.conf plays no part).
It prints one line per function (goals proved / total), the lemmas, the
totals and the number of assumptions (specs/ASSUMPTIONS.md), and exits 1
if any goal is not proved, a listed function has no goal, or an
assumption marker in the sources has no entry in ASSUMPTIONS.md.

Prover results are cached in specs/wp-cache (committed): one file per
goal that a prover proved, named by the digest of the prover and of the
exact task it was given, so a goal whose text changed in any way misses.
  replay   (default) use the cache; a goal missing from it is proved by
           the provers; nothing is written to the cache
  none     no cache: every goal goes to the provers
  update   as replay, and new results are added to specs/wp-cache
  refresh  empty specs/wp-cache, then prove every goal and record it
           (after a change to the contracts; commit the result)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(HERE, "wp-cache")

# The files Frama-C parses (everything else they include comes along).
SOURCES = ["allocator/bins.c", "allocator/chunk.c", "allocator/arena.c"]
# The inline functions of the headers are proved once, in the copy of one
# file that includes them (each file has the same text of them): parsed
# with all three, Frama-C would prove three copies of each.
HEADERS = ("chunk.h", "internal.h")
HEADER_HOST = ["allocator/chunk.c"]

# The functions whose goals must all be proved, with the file that holds
# each definition. Order: the table's order.
FUNCTIONS = [
    # request size, header fields and check, links (chunk.h)
    ("bb_request2size", "chunk.h"),
    ("bb_h_state", "chunk.h"),
    ("bb_h_size", "chunk.h"),
    ("bb_h_slack", "chunk.h"),
    ("bb_h_low", "chunk.h"),
    ("bb_mac", "chunk.h"),
    ("bb_h_make", "chunk.h"),
    ("bb_h_check_remake", "chunk.h"),
    ("bb_h_ok", "chunk.h"),
    ("bb_set_head", "chunk.h"),
    ("bb_bury", "chunk.h"),
    ("bb_link_enc", "chunk.h"),
    ("bb_link_dec_word", "chunk.h"),
    ("bb_link_dec", "chunk.h"),
    # size classes and bins (bins.c)
    ("bb_bin_index", "bins.c"),
    ("bb_bin_at", "bins.c"),
    ("bin_state", "bins.c"),
    ("bin_node_ok", "bins.c"),
    ("set_link", "bins.c"),
    ("bin_step", "bins.c"),
    ("link_between", "bins.c"),
    ("bin_corrupt", "bins.c"),
    ("bb_bin_insert_front", "bins.c"),
    ("is_head", "bins.c"),
    ("ring_step", "bins.c"),
    ("ring_between", "bins.c"),
    ("csize", "bins.c"),
    ("link_is", "bins.c"),
    ("ring_unlink", "bins.c"),
    ("unlink_bridge", "bins.c"),
    ("unlink_checked", "bins.c"),
    ("ring_find", "bins.c"),
    ("sorted_alone", "bins.c"),
    ("sorted_join", "bins.c"),
    ("sorted_new_head", "bins.c"),
    ("clear_ring_words", "bins.c"),
    ("sorted_place", "bins.c"),
    ("bb_bin_insert_sorted", "bins.c"),
    ("bb_bin_unlink", "bins.c"),
    ("bb_bin_take_last", "bins.c"),
    ("bb_bin_next", "bins.c"),
    ("bb_bin_first", "bins.c"),
    # headers, split, coalescing, the top (chunk.c)
    ("bb_check_head", "chunk.c"),
    ("bb_make_free", "chunk.c"),
    ("bb_prev_free", "chunk.c"),
    ("unlink_merged", "chunk.c"),
    ("unbin", "chunk.c"),
    ("bb_top_check", "chunk.c"),
    ("merge_binned", "chunk.c"),
    ("coalesce_prev", "chunk.c"),
    ("coalesce_next", "chunk.c"),
    ("bb_coalesce", "chunk.c"),
    ("bb_split", "chunk.c"),
    ("bb_top_carve", "chunk.c"),
    # page rounding, thread cache (internal.h), fast bins and the top
    # (arena.c)
    ("bb_round_page", "internal.h"),
    ("bb_tc_class", "internal.h"),
    ("bb_list_next", "internal.h"),
    ("bb_tc_put", "internal.h"),
    ("bb_tc_corrupt", "internal.h"),
    ("bb_tc_pop", "internal.h"),
    ("zeroing", "arena.c"),
    ("fast_push", "arena.c"),
    ("fast_pop", "arena.c"),
    ("put_unsorted", "arena.c"),
    ("retire_top", "arena.c"),
    ("new_top", "arena.c"),
    ("grow_fence", "arena.c"),
    ("grow_top", "arena.c"),
    ("top_extend", "arena.c"),
]

# Functions whose contracts the proofs use without proving them: each is
# an assumption, listed in ASSUMPTIONS.md and marked TRUSTED in the source.
TRUSTED = ["bb_mac_index", "bb_mac_low", "bb_link_key", "bb_mem2chunk",
           "bb_chunk2mem", "bb_bin_at", "bb_segment_of", "bb_fatal",
           "bb_zero_check", "bb_segment_grow", "bb_segment_new"]

COMMON = [
    "-c11", "-pp-annot", "-machdep", "gcc_x86_64",
    "-cpp-extra-args=-D_GNU_SOURCE -I" + os.path.join(ROOT, "allocator"),
    "-warn-unsigned-overflow",
    "-wp", "-wp-rte", "-wp-check-memory-model",
    "-wp-no-init-const",
    "-wp-no-warn-memory-model",
    "-wp-prover", "z3,cvc4",
]


def fail(msg):
    print("verify: " + msg, file=sys.stderr)
    sys.exit(1)


def why3_config(build, memlimit):
    """A why3.conf of our own: detected provers, pinned memory limit."""
    conf = os.path.join(build, "why3.conf")
    if not os.path.exists(conf):
        r = subprocess.run(["why3", "-C", conf, "config", "detect"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("why3 config detect failed:\n" + r.stdout + r.stderr)
    text = open(conf).read()
    text = re.sub(r"(?m)^memlimit = \d+", "memlimit = %d" % memlimit, text)
    text = re.sub(r"(?m)^running_provers_max = \d+",
                  "running_provers_max = 2", text)
    open(conf, "w").write(text)
    for p in ("Z3", "CVC4"):
        if 'name = "%s"' % p not in text:
            fail("why3 did not detect %s (is it installed?)" % p)
    return conf


def start_wp(args, name, extra, sources=SOURCES):
    """Start one Frama-C run; its log is build/wp-<name>.log."""
    env = dict(os.environ)
    env["WHY3CONFIG"] = args.why3conf
    env["FRAMAC_WP_CACHE"] = {"refresh": "update"}.get(args.cache,
                                                       args.cache)
    env["FRAMAC_WP_CACHEDIR"] = CACHE
    log = os.path.join(args.build, "wp-%s.log" % name)
    cmd = (["frama-c"] + COMMON +
           ["-wp-par", str(args.jobs), "-wp-timeout", str(args.timeout),
            "-wp-cache-env", "-wp-session",
            os.path.join(args.build, "wp-session-" + name)] +
           extra + [os.path.join(ROOT, s) for s in sources])
    out = open(log, "w")
    out.write(" ".join(cmd) + "\n")
    out.flush()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                            env=env, cwd=ROOT)
    return name, proc, out, log


def wait_wp(run, cpu):
    """Wait for one run; cpu[name] = its CPU seconds, provers included."""
    name, proc, out, log = run
    _, status, use = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu[name] = use.ru_utime + use.ru_stime
    out.close()
    if proc.returncode != 0:
        fail("frama-c failed (exit %d), see %s" % (proc.returncode, log))
    return log


def counts(log, fns):
    """{function: [proved, total, copies]} from WP's log. A static inline
    function of a header is proved once per file that includes it: Frama-C
    names the copies f, f_0, f_1, ... and its goals typed_f_..., typed_f_0_..."""
    res = {f: [0, 0, set()] for f in fns}
    by_len = sorted(fns, key=len, reverse=True)
    for line in open(log):
        m = re.match(r"\[wp\] \[[^]]+\] Goal typed_(\S+)( : (\w+))?", line)
        if not m or m.group(1).startswith("lemma_"):
            continue
        goal = m.group(1)
        for f in by_len:
            if goal.startswith(f + "_"):
                rest = goal[len(f) + 1:]
                copy = re.match(r"(\d+)_", rest)
                c = res[f]
                c[0] += m.group(3) == "Valid"
                c[1] += 1
                c[2].add(copy.group(1) if copy else "")
                break
    return res


def lemma_counts(log):
    """Lemma goals from the log (the JSON report files them oddly)."""
    proved = total = 0
    for line in open(log):
        m = re.match(r"\[wp\] \[[^]]+\] Goal typed_\S*lemma_(\S+) : (\w+)",
                     line)
        if m:
            total += 1
            proved += m.group(2) == "Valid"
        elif re.match(r"\[wp\] \[Failed\] Goal typed_\S*lemma_", line):
            total += 1
    return proved, total


def cache_hits(logs):
    """Prover results WP took from the cache ("[wp] [Cache] found:N")."""
    n = 0
    for log in logs:
        for line in open(log):
            m = re.match(r"\[wp\] \[Cache\] .*found:(\d+)", line)
            if m:
                n += int(m.group(1))
    return n


def assumptions():
    """Entries of ASSUMPTIONS.md, checked against the TRUSTED markers."""
    text = open(os.path.join(HERE, "ASSUMPTIONS.md")).read()
    ids = re.findall(r"(?m)^\| *([AML]\d+) *\|", text)
    if len(ids) != len(set(ids)):
        fail("ASSUMPTIONS.md: duplicate IDs")
    markers = set()
    for d in ("allocator", "specs"):
        for f in os.listdir(os.path.join(ROOT, d)):
            if f.endswith((".c", ".h", ".acsl")):
                src = open(os.path.join(ROOT, d, f)).read()
                markers |= set(re.findall(
                    r"TRUSTED \(specs/ASSUMPTIONS\.md, ([AML]\d+)\)", src))
    missing = markers - set(ids)
    if missing:
        fail("TRUSTED markers without an entry in ASSUMPTIONS.md: " +
             ", ".join(sorted(missing)))
    admitted = [i for i in ids if i.startswith("L")]
    return ids, admitted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "specs"))
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--memlimit", type=int, default=4000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cache", default="replay",
                    choices=["replay", "none", "update", "refresh"])
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    for tool in ("frama-c", "why3"):
        if not shutil.which(tool):
            fail(tool + " not found (Debian: apt-get install frama-c-base "
                 "why3 z3 cvc4)")
    os.makedirs(args.build, exist_ok=True)
    if args.cache == "refresh":
        if args.only:
            fail("--cache refresh proves every function: drop --only")
        shutil.rmtree(CACHE, ignore_errors=True)
    os.makedirs(CACHE, exist_ok=True)
    args.why3conf = why3_config(args.build, args.memlimit)

    fns = [f for f, _ in FUNCTIONS]
    if args.only:
        fns = [f for f in args.only.split(",")]
    start = time.time()
    # One run per file (the headers' functions together), all started at
    # once: most of their time is Frama-C's own (RTE, VC generation, WP's
    # simplifier, and the task text that the cache is keyed by), one core
    # each.
    where = dict(FUNCTIONS)
    lemmas = start_wp(args, "lemmas", ["-wp-prop", "@lemma"])
    groups = {}
    for f in fns:
        name = ("headers" if where.get(f) in HEADERS
                else (where.get(f) or "other.c")[:-2])
        groups.setdefault(name, []).append(f)
    runs = [(group, start_wp(args, name, ["-wp-fct", ",".join(group)],
                             HEADER_HOST if name == "headers" else SOURCES))
            for name, group in groups.items()]
    cpu = {}
    lemma_log = wait_wp(lemmas, cpu)
    res = {}
    logs = []
    for group, run in runs:
        logs.append(wait_wp(run, cpu))
        res.update(counts(logs[-1], group))
    wall = time.time() - start

    print("%-24s %-9s %15s" % ("function", "file", "proved / goals"))
    bad = []
    tp = tt = 0
    for f in fns:
        p, t, copies = res[f]
        tp += p
        tt += t
        mark = "" if p == t and t > 0 else "   <-- NOT PROVED"
        if mark:
            bad.append(f)
        note = " (%d copies)" % len(copies) if len(copies) > 1 else ""
        print("%-24s %-9s %6d / %-6d%s%s" % (f, where.get(f, "?"), p, t,
                                            mark, note))
    lp, lt = lemma_counts(lemma_log)
    print("%-24s %-9s %6d / %-6d%s" % ("(lemmas)", "specs/", lp, lt,
                                       "" if lp == lt else "   <-- NOT PROVED"))
    ids, admitted = assumptions()
    full = sum(1 for f in fns if res[f][0] == res[f][1] > 0)
    print("TOTAL: %d / %d goals proved (%d functions at 100%%, %d/%d lemmas)"
          % (tp + lp, tt + lt, full, lp, lt))
    print("assumptions: %d (specs/ASSUMPTIONS.md: %s), admitted lemmas: %d"
          % (len(ids), " ".join(ids), len(admitted)))
    hits = cache_hits(logs + [lemma_log])
    print("wall time: %.0f s (cache: %s%s, timeout %d s, memlimit %d MB)"
          % (wall, args.cache,
             "" if args.cache == "none" else ", %d prover results found" % hits,
             args.timeout, args.memlimit))
    print("CPU time: %.0f s (%s)" % (sum(cpu.values()), ", ".join(
        "%s %.0f s" % (n, t) for n, t in cpu.items())))
    if bad or lp != lt:
        print("verify: FAILED (%s); logs: %s, %s" %
              (", ".join(bad) or "lemmas", ", ".join(logs), lemma_log))
        sys.exit(1)
    if len(admitted) > 3:
        fail("more than 3 admitted lemmas")


if __name__ == "__main__":
    main()
