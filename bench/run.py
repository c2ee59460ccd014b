#!/usr/bin/env python3
"""run.py: run every workload under every allocator and write the results.

    bench/run.py --bonbon build/libbonbon.so             # full run, 5 rounds
    bench/run.py --bonbon build/libbonbon.so --quick     # CI: 1 round, small
    bench/run.py --bonbon rung0=a/libbonbon.so --bonbon rung2=b/libbonbon.so
    bench/run.py --report bench/results/results.json   # redraw, run nothing

Each workload is a separate process; the allocator is chosen by LD_PRELOAD
alone (none for glibc), so every allocator runs the very same binaries.
Runs are interleaved: round 1 runs workload 1 under A, B, C, ..., then
workload 2 under A, B, C, ..., and round 2 does it all again with the
allocator order rotated. On a shared machine the load changes over minutes;
interleaving spreads that change over all allocators instead of charging
it to whichever ran last, and the median of the rounds discards the
outliers.

CPU time (user + sys) and peak RSS come from wait4(), that is from the
kernel's accounting of the child and of every descendant it waited for
(gcc's cc1, as and ld included), taken by a small launcher (launch.c) that
also measures the wall time.

A run counts only if the child exits 0 and prints `check ok <digest>`, and
the digest must equal glibc's for the same workload: a broken allocator
fails loudly instead of looking fast. Performance is reported, never
asserted: the exit status is 1 only when a run failed.

Outputs, in --out (default bench/results): NAME.md (the tables), NAME.png
(the chart, drawn by gnuplot) and NAME.json (every run). Only the Python
standard library is used.
"""
import argparse
import collections
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The peers, as Debian installs them (bench/install-peers.sh).
LIBDIR = "/usr/lib/x86_64-linux-gnu"
PEERS = collections.OrderedDict([
    ("glibc", None),
    ("jemalloc", LIBDIR + "/libjemalloc.so.2"),
    ("mimalloc", LIBDIR + "/libmimalloc.so.2"),
    ("tcmalloc", LIBDIR + "/libtcmalloc_minimal.so.4"),
    ("scudo", "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/"
              "libclang_rt.scudo_standalone-x86_64.so"),
])
PEER_PACKAGES = {"jemalloc": "libjemalloc2", "mimalloc": "libmimalloc2.0",
                 "tcmalloc": "libtcmalloc-minimal4",
                 "scudo": "libclang-rt-14-dev"}

C_WORKLOADS = ["churn", "mixed", "larson", "prodcons", "threadchurn",
               "large", "frag", "fastpath"]
C_FLAGS = ["-O2", "-g", "-std=c11", "-D_GNU_SOURCE", "-pthread",
           "-Wall", "-Wextra", "-fno-builtin-malloc", "-fno-builtin-free",
           "-fno-builtin-calloc", "-fno-builtin-realloc"]


class Workload:
    """One benchmark: argv (full and quick sizes), extra environment, an
    optional untimed setup command, and the program it needs."""

    def __init__(self, name, about, full, quick, env=None, setup=None,
                 needs=None):
        self.name, self.about = name, about
        self.full, self.quick = full, quick
        self.env = env or {}
        self.setup = setup or {}
        self.needs = needs


PYENV = {"PYTHONMALLOC": "malloc", "PYTHONHASHSEED": "0"}
SQLITE = ["sqlite3", "-batch", "-cmd", ".parameter set @n {n}", ":memory:",
          ".read {real}/sqlite.sql"]


def sqlite_argv(n):
    return [a.replace("{n}", str(n)) for a in SQLITE]


WORKLOADS = [
    Workload("churn-now", "1 thread, 16-512 B, free at once",
             ["{bin}/churn", "now", "40000000"], ["{bin}/churn", "now", "200000"]),
    Workload("churn-lifo", "1 thread, batches of 1000 freed LIFO",
             ["{bin}/churn", "lifo", "16000000"], ["{bin}/churn", "lifo", "100000"]),
    Workload("churn-fifo", "1 thread, batches of 1000 freed FIFO",
             ["{bin}/churn", "fifo", "16000000"], ["{bin}/churn", "fifo", "100000"]),
    Workload("mixed-realloc", "16 B-1 MiB, realloc growth",
             ["{bin}/mixed", "2500000"], ["{bin}/mixed", "20000"]),
    Workload("larson", "4 threads, remote frees through shared slots",
             ["{bin}/larson", "2500000", "4"], ["{bin}/larson", "20000", "4"]),
    Workload("prodcons", "2 producer/consumer pairs, batches of 64",
             ["{bin}/prodcons", "3000000", "2"], ["{bin}/prodcons", "20000", "2"]),
    Workload("thread-churn", "waves of 4 threads exiting with live blocks",
             ["{bin}/threadchurn", "3000", "4", "400"],
             ["{bin}/threadchurn", "30", "4", "100"]),
    Workload("large", "5-25 MiB blocks, 4 live",
             ["{bin}/large", "400"], ["{bin}/large", "8"]),
    Workload("frag", "small blocks freed at random, then reuse",
             ["{bin}/frag", "1000000"], ["{bin}/frag", "20000"]),
    Workload("fastpath", "malloc+free pairs, 32 B and 16-128 B",
             ["{bin}/fastpath", "40000000"], ["{bin}/fastpath", "2000000"]),
    Workload("python", "python3 alloc_heavy.py, PYTHONMALLOC=malloc",
             ["/usr/bin/python3", "-s", "{real}/alloc_heavy.py", "150000"],
             ["/usr/bin/python3", "-s", "{real}/alloc_heavy.py", "5000"],
             env=PYENV, needs="/usr/bin/python3"),
    Workload("sqlite", "sqlite3 :memory:, insert/index/update/sort",
             sqlite_argv(150000), sqlite_argv(2000), needs="sqlite3"),
    Workload("gcc", "gcc -O2 on a generated 200-function file",
             ["sh", "{real}/gcc.sh", "{work}/gcc"],
             ["sh", "{real}/gcc.sh", "{work}/gcc"],
             setup={"full": ["/usr/bin/python3", "{real}/gen_c.py", "200",
                             "{work}/gcc"],
                    "quick": ["/usr/bin/python3", "{real}/gen_c.py", "10",
                              "{work}/gcc"]},
             needs="gcc"),
]

# Environment variables that would change an allocator's behaviour.
SCRUB = ("LD_PRELOAD", "MALLOC_", "GLIBC_TUNABLES", "JE_MALLOC_CONF",
         "MALLOC_CONF", "MIMALLOC_", "TCMALLOC_", "SCUDO_", "PYTHONMALLOC",
         "BONBON_")


# ------------------------------------------------------------ one run

def run_once(launch, argv, env, lib, timeout):
    """Run argv to completion through the launcher (launch.c explains why).
    Returns a dict: cpu and wall seconds, peak RSS in KiB, the workload's
    metrics and digest, and an error or None."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as meas:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                   (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        # Its own session, so that a timeout kills gcc's children too.
        pid = os.posix_spawn(launch, [launch, meas.name, lib or ""] + argv,
                             env, file_actions=actions, setsid=True)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status = os.waitpid(pid, 0)
        timer.cancel()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        fields = meas.read().split()
    res = {"cpu": 0.0, "wall": 0.0, "rss_kib": 0, "metrics": {},
           "digest": None, "error": None}
    code = None
    if len(fields) == 5:
        code = os.waitstatus_to_exitcode(int(fields[0]))
        res["cpu"] = float(fields[1]) + float(fields[2])
        res["wall"] = float(fields[3])
        res["rss_kib"] = int(fields[4])
    for line in stdout.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] == "metric":
            res["metrics"][f[1]] = float(f[2])
        elif len(f) == 3 and f[:2] == ["check", "ok"]:
            res["digest"] = f[2]
    if killed:
        res["error"] = "timeout after %ds" % timeout
    elif code is None:
        res["error"] = "launcher failed (status %d)" % status
    elif code < 0:
        res["error"] = "killed by signal %d (%s)" % (
            -code, signal.Signals(-code).name)
    elif code != 0:
        res["error"] = "exit status %d" % code
    elif res["digest"] is None:
        res["error"] = "no 'check ok' line"
    if res["error"]:
        tail = (stderr.strip().splitlines() or [""])[-3:]
        res["error"] += ": " + " | ".join(tail)[:300]
    return res


# ------------------------------------------------------------- set-up

def parse_args():
    ap = argparse.ArgumentParser(
        description="Run the bonbon benchmarks against the peers.")
    ap.add_argument("--bonbon", action="append", default=[],
                    metavar="[LABEL=]PATH",
                    help="a libbonbon.so to measure; repeat for several "
                         "builds (e.g. security rungs), labelled LABEL")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated peers (default: %(default)s)")
    ap.add_argument("--workloads", default="",
                    help="comma-separated subset of the workloads")
    ap.add_argument("--runs", type=int, default=None,
                    help="rounds (default 5; 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes and one round: a smoke test")
    ap.add_argument("--out", default=os.path.join(HERE, "results"),
                    help="directory for NAME.md, NAME.png, NAME.json")
    ap.add_argument("--name", default=None,
                    help="base name of the outputs (default: results, or "
                         "quick with --quick)")
    ap.add_argument("--bin-dir", default=None,
                    help="prebuilt workload binaries (default: compile "
                         "bench/workloads/*.c with --cc)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--timeout", type=int, default=None,
                    help="seconds per run (default 600; 120 with --quick)")
    ap.add_argument("--list", action="store_true",
                    help="list the workloads and exit")
    ap.add_argument("--report", metavar="JSON",
                    help="run nothing: rewrite the tables and the chart "
                         "from an earlier run's NAME.json")
    a = ap.parse_args()
    a.runs = a.runs or (1 if a.quick else 5)
    a.timeout = a.timeout or (120 if a.quick else 600)
    if a.report and not a.name:
        a.name = os.path.splitext(os.path.basename(a.report))[0]
    a.name = a.name or ("quick" if a.quick else "results")
    return a


def allocators(args):
    """[(label, library path or None)], peers first, glibc first of all."""
    out = []
    for name in [p for p in args.peers.split(",") if p]:
        if name not in PEERS:
            sys.exit("run.py: unknown peer %r (known: %s)"
                     % (name, ", ".join(PEERS)))
        lib = PEERS[name]
        if lib and not os.path.exists(lib):
            print("run.py: skipping %s: %s not found (bench/install-peers.sh)"
                  % (name, lib), file=sys.stderr)
            continue
        out.append((name, lib))
    for i, spec in enumerate(args.bonbon):
        label, _, path = spec.rpartition("=")
        label = label or ("bonbon" if len(args.bonbon) == 1
                          else "bonbon%d" % (i + 1))
        path = os.path.abspath(path)
        if not os.path.exists(path):
            sys.exit("run.py: %s not found" % path)
        out.append((label, path))
    if "glibc" not in [label for label, _ in out]:
        sys.exit("run.py: glibc must be among the peers: it is the baseline")
    return sorted(out, key=lambda a: a[0] != "glibc")


def build_workloads(cc, bindir):
    """The same flags as bench/CMakeLists.txt."""
    for w in C_WORKLOADS + ["launch"]:
        src = os.path.join(HERE, "workloads" if w != "launch" else "", w + ".c")
        subprocess.run([cc] + C_FLAGS + ["-o", os.path.join(bindir, w), src],
                       check=True)


def expand(argv, ctx):
    return [a.format(**ctx) for a in argv]


def child_env(extra):
    """The runner's environment without allocator settings, plus extra.
    LD_PRELOAD is set by the launcher, for the workload only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
    env.update(extra)
    return env


# ------------------------------------------------------------ the runs

def run_all(args, allocs, workloads, ctx):
    """results[workload][allocator] = [run, ...]"""
    results = {w.name: {a: [] for a, _ in allocs} for w in workloads}
    total = args.runs * len(workloads) * len(allocs)
    done = 0
    for r in range(args.runs):
        order = allocs[r % len(allocs):] + allocs[:r % len(allocs)]
        for w in workloads:
            argv = expand(w.quick if args.quick else w.full, ctx)
            for label, lib in order:
                res = run_once(ctx["launch"], argv, child_env(w.env), lib,
                               args.timeout)
                results[w.name][label].append(res)
                done += 1
                print("[%d/%d] round %d %-14s %-10s cpu %7.3fs wall %7.3fs "
                      "rss %8.1f MiB  %s" % (
                          done, total, r + 1, w.name, label, res["cpu"],
                          res["wall"], res["rss_kib"] / 1024,
                          res["error"] or "ok " + res["digest"]),
                      file=sys.stderr, flush=True)
    return results


def cross_check(results):
    """A digest that differs from glibc's is a failure of that run."""
    for wname, per in results.items():
        ref = [r["digest"] for r in per["glibc"] if not r["error"]]
        if not ref:
            continue
        want = collections.Counter(ref).most_common(1)[0][0]
        for runs in per.values():
            for r in runs:
                if not r["error"] and r["digest"] != want:
                    r["error"] = "digest %s differs from glibc's %s" % (
                        r["digest"], want)


# -------------------------------------------------------------- report

def median_of(runs, key):
    """Median over the runs, or None when any run failed: a crash is never
    hidden behind the other rounds' numbers."""
    if not runs or any(r["error"] for r in runs):
        return None
    vals = [r[key] if key in r else r["metrics"].get(key) for r in runs]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def summarize(results, labels):
    """Medians, ratios to glibc and geometric means per allocator."""
    s = {"median": {}, "ratio": {}, "geomean": {}}
    for key in ("cpu", "wall", "rss_kib"):
        med = {w: {a: median_of(results[w][a], key) for a in labels}
               for w in results}
        ratio = {w: {a: (med[w][a] / med[w]["glibc"]
                         if med[w][a] and med[w]["glibc"] else None)
                     for a in labels} for w in results}
        s["median"][key], s["ratio"][key] = med, ratio
        s["geomean"][key] = {a: geomean([ratio[w][a] for w in results])
                             for a in labels}
    metrics = sorted({m for per in results.values() for runs in per.values()
                      for r in runs for m in r["metrics"]})
    s["metrics"] = {(w, m): {a: median_of(results[w][a], m) for a in labels}
                    for w in results for m in metrics
                    if any(m in r["metrics"] for r in results[w]["glibc"])}
    return s


def fmt_cell(v, ratio, unit):
    if v is None:
        return "FAIL"
    text = {"s": "%.3f" % v, "MiB": "%.1f" % (v / 1024)}[unit]
    return text if ratio is None else "%s (%.2f)" % (text, ratio)


def table(s, key, unit, labels):
    rows = ["| workload | " + " | ".join(labels) + " |",
            "|---|" + "---:|" * len(labels)]
    for w in s["median"][key]:
        cells = [fmt_cell(s["median"][key][w][a],
                          None if a == "glibc" else s["ratio"][key][w][a],
                          unit) for a in labels]
        rows.append("| %s | %s |" % (w, " | ".join(cells)))
    gm = ["%.2f" % g if g else "—" for g in
          (s["geomean"][key][a] for a in labels)]
    rows.append("| **geometric mean, ratio to glibc** | %s |"
                % " | ".join("**%s**" % g for g in gm))
    return "\n".join(rows)


def targets(s, label, labels):
    """The issue's targets for one bonbon build, as (target, value, met)."""
    cpu, rss = s["ratio"]["cpu"], s["geomean"]["rss_kib"][label]
    gm = s["geomean"]["cpu"][label]
    worst = max(((r[label], w) for w, r in cpu.items() if r[label]),
                default=(None, None))
    out = [("geometric-mean CPU time ≤ 0.90× glibc", gm, gm and gm <= 0.9),
           ("no workload above 1.25× glibc CPU time",
            worst[0], worst[0] and worst[0] <= 1.25, worst[1])]
    if "scudo" in labels and gm and s["geomean"]["cpu"]["scudo"]:
        speed = s["geomean"]["cpu"]["scudo"] / gm
        out.append(("≥ 1.8× faster than Scudo (geomean CPU)", speed,
                    speed >= 1.8))
    out.append(("peak RSS geometric mean ≤ 1.00× glibc", rss,
                rss and rss <= 1.0))
    ns = s["metrics"].get(("fastpath", "ns_per_pair"), {}).get(label)
    out.append(("fast path ≤ 5 ns per malloc+free pair", ns, ns and ns <= 5))
    return out


def machine_info(allocs):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "nproc": len(os.sched_getaffinity(0)), "cpu": cpu,
            "kernel": os.uname().release,
            "glibc": os.confstr("CS_GNU_LIBC_VERSION"),
            "loadavg_start": os.getloadavg(), "libs": {}}
    for label, lib in allocs:
        if not lib:
            continue
        pkg = next((p for n, p in PEER_PACKAGES.items() if PEERS[n] == lib),
                   None)
        if pkg:
            v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg],
                               capture_output=True, text=True).stdout
            info["libs"][label] = "%s (%s %s)" % (lib, pkg, v or "?")
        else:
            rev = subprocess.run(
                ["git", "-C", os.path.dirname(lib), "describe", "--always",
                 "--dirty"], capture_output=True, text=True).stdout.strip()
            info["libs"][label] = "%s (git %s)" % (lib, rev or "?")
    return info


def spread(results, label):
    """Run-to-run noise of one allocator: (max - min) / median of the CPU
    time, the median of that over the workloads."""
    xs = []
    for per in results.values():
        c = [r["cpu"] for r in per[label] if not r["error"]]
        if len(c) > 1 and statistics.median(c) > 0:
            xs.append((max(c) - min(c)) / statistics.median(c))
    return statistics.median(xs) if xs else None


def write_markdown(path, info, s, labels, results, chart):
    L = ["# bonbon benchmarks: %s run" % ("quick" if info["quick"] else "full"),
         "",
         "- date: %s; machine: %s, nproc = %d; Linux %s; %s" % (
             info["date"], info["cpu"], info["nproc"], info["kernel"],
             info["glibc"]),
         "- %d round(s), interleaved, medians shown; load average %.2f at "
         "start, %.2f at end" % (info["runs"], info["loadavg_start"][0],
                                 info["loadavg_end"][0]),
         "- command: `%s`" % info["command"]]
    L += ["- %s: %s" % (k, v) for k, v in info["libs"].items()]
    noise = [(a, spread(results, a)) for a in labels]
    if info["runs"] > 1:
        L.append("- run-to-run spread of CPU time, (max−min)/median, median "
                 "over workloads: " + ", ".join(
                     "%s %.0f%%" % (a, 100 * x) for a, x in noise if x is not None))
    L += ["", "Cells: median, and in parentheses the ratio to glibc (lower "
          "is better). FAIL: at least one run crashed or failed its "
          "self-check (see Failures).", ""]
    if chart:
        L += ["![CPU time and peak RSS relative to glibc](%s)" % chart, ""]
    for key, unit, title in (("cpu", "s", "CPU time (user+sys), seconds"),
                             ("wall", "s", "Wall time, seconds"),
                             ("rss_kib", "MiB", "Peak RSS, MiB")):
        L += ["## " + title, "", table(s, key, unit, labels), ""]
    if s["metrics"]:
        L += ["## Workload metrics (medians)", "",
              "| workload | metric | " + " | ".join(labels) + " |",
              "|---|---|" + "---:|" * len(labels)]
        for (w, m), per in s["metrics"].items():
            unit = "MiB" if m.endswith("_kib") else ""
            cells = ["FAIL" if per[a] is None else
                     ("%.1f" % (per[a] / 1024) if unit else "%.3g" % per[a])
                     for a in labels]
            L.append("| %s | %s | %s |" % (
                w, m.replace("_kib", " (MiB)"), " | ".join(cells)))
        L.append("")
    for label in info["bonbon"]:
        L += ["## Targets for %s (informational, never asserted)" % label,
              "", "| target | measured | met |", "|---|---:|---|"]
        for t in targets(s, label, labels):
            val = "—" if t[1] is None else "%.3f" % t[1]
            if len(t) > 3 and t[3]:
                val += " (%s)" % t[3]
            L.append("| %s | %s | %s |" % (t[0], val,
                                           "yes" if t[2] else "**no**"))
        L.append("")
    L += ["## Workloads", "", "| workload | what it does |", "|---|---|"]
    L += ["| %s | %s |" % tuple(w) for w in info["workloads"]]
    fails = [(w, a, i + 1, r["error"]) for w, per in results.items()
             for a, runs in per.items() for i, r in enumerate(runs)
             if r["error"]]
    L += ["", "## Failures", ""]
    L += ["- %s under %s, round %d: %s" % f for f in fails] or ["none"]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    return fails


# Bar colours: the peers in muted tones, bonbon builds in reds.
COLOURS = {"jemalloc": "#7b68ae", "mimalloc": "#4daf4a", "tcmalloc": "#377eb8",
           "scudo": "#ff7f00"}
BONBON_COLOURS = ["#d7191c", "#8b0000", "#f4a582", "#67001f"]


def write_chart(base, s, labels):
    """Two clustered bar charts (CPU time, peak RSS), ratio to glibc on a
    log scale, via gnuplot. Returns the PNG's file name, or None."""
    if not shutil.which("gnuplot"):
        print("run.py: gnuplot not found, no chart", file=sys.stderr)
        return None
    peers = labels[1:]
    reds = iter(BONBON_COLOURS * 4)
    colour = {a: COLOURS.get(a) or next(reds) for a in peers}
    plots = []
    for key, title in (("cpu", "CPU time (user+sys)"),
                       ("rss_kib", "Peak RSS")):
        ratios = [r for per in s["ratio"][key].values() for r in per.values()
                  if r]
        lo = 2 ** math.floor(math.log2(min(ratios + [1]) * 0.9))
        hi = 2 ** math.ceil(math.log2(max(ratios + [1]) * 1.1))
        with open("%s.%s.dat" % (base, key), "w") as f:
            f.write("workload " + " ".join(peers) + "\n")
            for w, per in s["ratio"][key].items():
                f.write(w + " " + " ".join(
                    "%.4f" % per[a] if per[a] else "NaN" for a in peers)
                    + "\n")
        plots.append(
            "set title '%s relative to glibc (median; lower is better)'\n"
            "set yrange [%g:%g]\n"
            "plot %s\n" % (title, lo, hi, ", ".join(
                "'%s.%s.dat' using %d:xtic(1) title columnheader(%d) "
                "lc rgb '%s'" % (base, key, i + 2, i + 2, colour[a])
                for i, a in enumerate(peers))))
    gp = """set terminal pngcairo size 1400,1000 font 'sans,10' background rgb 'white'
set output '{base}.png'
set datafile missing 'NaN'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set logscale y 2
set grid ytics
set xtics rotate by 30 right nomirror font ',10'
set bmargin 5
set key outside top center horizontal
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
set multiplot layout 2,1
{plots}unset multiplot
""".format(base=base, plots="".join(plots))
    with open(base + ".gp", "w") as f:
        f.write(gp)
    r = subprocess.run(["gnuplot", base + ".gp"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        print("run.py: gnuplot failed: " + r.stderr, file=sys.stderr)
        return None
    for ext in (".cpu.dat", ".rss_kib.dat", ".gp"):
        os.remove(base + ext)
    return os.path.basename(base) + ".png"


# ---------------------------------------------------------------- main

def measure(args, wanted):
    """Run everything; returns (info, results)."""
    allocs = allocators(args)
    work = tempfile.mkdtemp(prefix="bonbon-bench-")
    try:
        bindir = args.bin_dir or os.path.join(work, "bin")
        if not args.bin_dir:
            os.makedirs(bindir)
            build_workloads(args.cc, bindir)
        bindir = os.path.abspath(bindir)
        ctx = {"bin": bindir, "launch": os.path.join(bindir, "launch"),
               "real": os.path.join(HERE, "real"), "work": work}
        workloads = []
        for w in WORKLOADS:
            if wanted and w.name not in wanted:
                continue
            if w.needs and not shutil.which(w.needs):
                print("run.py: skipping %s: %s not found" % (w.name, w.needs),
                      file=sys.stderr)
                continue
            setup = w.setup.get("quick" if args.quick else "full")
            if setup:
                subprocess.run(expand(setup, ctx), check=True)
            workloads.append(w)
        info = machine_info(allocs)
        info.update({"command": " ".join(["bench/run.py"] + sys.argv[1:]),
                     "runs": args.runs, "quick": args.quick,
                     "allocators": [list(a) for a in allocs],
                     "bonbon": [a for a, _ in allocs][-len(args.bonbon):]
                               if args.bonbon else [],
                     "workloads": [(w.name, w.about) for w in workloads]})
        results = run_all(args, allocs, workloads, ctx)
        info["loadavg_end"] = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cross_check(results)
    return info, results


def main():
    args = parse_args()
    wanted = [w for w in args.workloads.split(",") if w]
    if args.list:
        for w in WORKLOADS:
            print("%-14s %s" % (w.name, w.about))
        return 0
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        info, results = saved["info"], saved["results"]
    else:
        info, results = measure(args, wanted)
    labels = [a for a, _ in info["allocators"]]
    s = summarize(results, labels)
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, args.name)
    if not args.report:
        with open(base + ".json", "w") as f:
            json.dump({"info": info, "results": results}, f, indent=1)
    chart = write_chart(base, s, labels)
    fails = write_markdown(base + ".md", info, s, labels, results, chart)
    with open(base + ".md") as f:
        sys.stdout.write(f.read())
    print("\nwrote %s.md%s%s" % (
        base, "" if args.report else ", %s.json" % base,
        ", %s.png" % base if chart else ""), file=sys.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
