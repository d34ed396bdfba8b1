"""Attribute the growth of the Python layer (python/interplay) since a base commit to issues.

    python3 tools/layer_accounting.py [BASE] [HEAD] [--commits]

For every commit in BASE..HEAD (first parent, oldest first) that touches python/interplay, the
line counts of each changed file are taken before and after the commit, as /work/loc.py counts
them (total; docstring, comment and blank lines; code = total minus those three), and the
difference is credited to one issue:

1. the issue the commit message names ("issue N", "(issue N)"), if exactly one;
2. otherwise OVERRIDES below (commits whose message names no issue but whose subject is
   unambiguous; each with the reason);
3. otherwise the issue of FEATURE_DIRS when every changed file lies in that subpackage;
4. otherwise the KEYWORDS rules (first match on the subject);
5. otherwise issue 10 (consolidation, speed work and clean-up without a feature).

compat/ (issue 13's drop-in subpackage) is counted in its own column whatever the commit says.
--commits prints every commit with its issue and deltas, so the classification can be audited.
The totals are exact (the per-commit deltas sum to HEAD minus BASE); only the attribution of an
untagged commit is a judgement, and --commits shows each one.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict

LAYER = "python/interplay/"
COMPAT = "python/interplay/compat/"

#: untagged commits whose subject decides the issue (hash prefix -> (issue, why))
OVERRIDES: dict[str, tuple[int, str]] = {
    "fa2bcde": (11, "refuse complex outputs instead of casting them (a silent wrong answer)"),
    "03f0e83": (10, ("one index model: estimators, exact and explain ask the index object "
                     "(removes estimators/_index.py and _exact_small.py); mentions shapiq")),
    "ce9d9b6": (10, "one index model: indices declare data instead of methods; mentions shapiq"),
    "1e61a66": (10, "a consolidation move (SplitMix64 reference to interplay/_rng.py)"),
    "10f9105": (10, ("models: one Adapter base, shared masker setup (-54 lines); mentions "
                     "explain_items")),
    "83ce242": (10, "explain_items: one settings check (inlining, -7 lines)"),
    "68aa028": (10, "models: the joint path as a Scheduler of its own (-16 lines)"),
}

#: feature subpackages: a commit whose layer files all lie in one of them is that issue's
FEATURE_DIRS = {"python/interplay/benchmark/": 16, "python/interplay/plot/": 14,
                "python/interplay/compat/": 13}

#: (regular expression on the subject, issue): first match wins
KEYWORDS: list[tuple[str, int]] = [
    ((r"shapiq|\bshap\b|captum|compat|nine missing indices|issue 13 indices|ELC|"
     r"Index\.marginal_weights|TabularMasker: the scheduler's first auto batch"), 13),
    ((r"Standard errors?|stderr|coverage|[Ii]dentifiab|Grid mode|grid mode|under-determined|"
     r"Full budget is exact|Word players|Word-level|interplay explain|explain_items|"
     r"read_items|Fuzz tests of the item reader|SVARM-IQ: stratify|SVARM-IQ with complement|"
     r"SHAP-IQ with complement|Permutation S[IT]+I? stderr|Regression stderr|HC2|"
     r"inf, never NaN|refine bit for bit|refine: keep|PID: joints with light"), 11),
    ((r"Ctrl-C|Paper-scale|Thread policy|OpenMP waits|Start-up|BLAS on one thread|"
     r"Numba tier|blas_limit|EvaluationInterrupted"), 12),
]


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def count(src: str) -> tuple[int, int]:
    """(total, code) lines of a Python source, as /work/loc.py counts them."""
    lines = src.splitlines()
    blank = sum(1 for ln in lines if not ln.strip())
    com = sum(1 for ln in lines if ln.strip().startswith("#"))
    doc = 0
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
                and node.body and isinstance(node.body[0], ast.Expr)
                and isinstance(getattr(node.body[0], "value", None), ast.Constant)
                and isinstance(node.body[0].value.value, str)):
            doc += node.body[0].end_lineno - node.body[0].lineno + 1
    return len(lines), len(lines) - doc - com - blank


def blob(commit: str, path: str) -> tuple[int, int]:
    try:
        return count(git("show", f"{commit}:{path}"))
    except subprocess.CalledProcessError:  # absent at this commit
        return 0, 0


def layer_total(commit: str) -> tuple[int, int]:
    tot = code = 0
    for path in git("ls-tree", "-r", "--name-only", commit, "--", LAYER).split():
        if path.endswith(".py"):
            t, c = blob(commit, path)
            tot, code = tot + t, code + c
    return tot, code


def issue_of(sha: str, subject: str, paths: list[str]) -> tuple[int, str]:
    tags = set(re.findall(r"[Ii]ssue (\d+)", subject))
    if len(tags) == 1:
        return int(tags.pop()), "tag"
    for prefix, (issue, _why) in OVERRIDES.items():
        if sha.startswith(prefix):
            return issue, "override"
    for folder, issue in FEATURE_DIRS.items():
        if paths and all(p.startswith(folder) for p in paths):
            return issue, "folder"
    for pattern, issue in KEYWORDS:
        if re.search(pattern, subject):
            return issue, "keyword"
    return 10, "default"


def main(argv: list[str]) -> None:
    pos = [a for a in argv if not a.startswith("--")]
    base, head = (pos + ["f4f4039", "HEAD"][len(pos):])[:2]
    rows = git("log", "--first-parent", "--reverse", "--format=%H%x09%s",
               f"{base}..{head}", "--", LAYER).splitlines()
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # total, code, commits
    for row in rows:
        sha, subject = row.split("\t", 1)
        changed = git("diff", "--no-renames", "--name-only", f"{sha}^", sha, "--", LAYER).split()
        issue, how = issue_of(sha, subject, [p for p in changed if p.endswith(".py")])
        delta = {"layer": [0, 0], "compat": [0, 0]}
        for path in changed:
            if not path.endswith(".py"):
                continue
            (t0, c0), (t1, c1) = blob(f"{sha}^", path), blob(sha, path)
            part = delta["compat" if path.startswith(COMPAT) else "layer"]
            part[0] += t1 - t0
            part[1] += c1 - c0
        for part, (dt, dc) in delta.items():
            key = "compat/ (issue 13)" if part == "compat" else f"issue {issue}"
            if dt or dc or part == "layer":
                sums[key][0] += dt
                sums[key][1] += dc
                sums[key][2] += part == "layer"
        if "--commits" in argv:
            print(f"{sha[:7]} issue {issue:<2} ({how:8}) total {delta['layer'][0]:+6d} "
                  f"code {delta['layer'][1]:+6d} compat {delta['compat'][0]:+5d}  "
                  f"{subject[:90]}")
    (t0, c0), (t1, c1) = layer_total(base), layer_total(head)
    print(f"\npython/interplay at {base}: total {t0}, code {c0}; at {head}: total {t1}, "
          f"code {c1}; change {t1 - t0:+d} / {c1 - c0:+d}")
    print("| attributed to | commits | total lines | code lines |\n|---|---|---|---|")
    for key in sorted(sums, key=lambda k: (k.startswith("compat"), k)):
        t, c, n = sums[key]
        print(f"| {key} | {n or '-'} | {t:+d} | {c:+d} |")
    print(f"| sum | {len(rows)} | {sum(v[0] for v in sums.values()):+d} | "
          f"{sum(v[1] for v in sums.values()):+d} |")


if __name__ == "__main__":
    main(sys.argv[1:])
