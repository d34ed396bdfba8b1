"""Runs shapiq's own approximators in a Python that has shapiq (INTERPLAY_SHAPIQ_PYTHON), for
interplay.benchmark; started by interplay.benchmark.runner.ShapiqRunner. Imports no interplay.

The game stays in the parent: every game call of an approximator is sent back over the pipes.
Protocol on the child's stdin/stdout (shapiq's own prints go to stderr):
  parent -> child : one JSON line per run: {"cls", "n", "index", "order", "budget", "seed",
                    "sets": [[players], ...], "trace_memory": bool}, or "quit"
  child -> parent : "E <m>\\n" + m*n bytes (uint8 coalitions) ; the parent answers m*8 bytes
                    (float64 values, native order) ; ... ; "R <json>\\n" with the result:
                    values on "sets", baseline, min_order, seconds/cpu total and in the game,
                    peak_bytes (tracemalloc, when asked), or {"error": "..."}.

``_shapiq_child.py game <json spec>`` serves one shapiq_games setup instead
(interplay.benchmark.model_games.shapiq_game): it answers "R {n_players, shapiq}" (or
{"error"}), then for each "E <m>\n" + m*n uint8 bytes on stdin m*8 float64 bytes of the game's
values (``Game.__call__``), until "quit".
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
import traceback


def build(A, cls_name, n, index, order, seed):
    """shapiq_benchmark.runner.build_approximator's rule: index, max_order and random_state
    passed when the constructor takes them; no max_order means order 1 only."""
    cls = getattr(A, cls_name)
    if index not in getattr(cls, "valid_indices", ()):
        raise ValueError(f"{cls_name} does not estimate {index}")
    params = inspect.signature(cls.__init__).parameters
    kw = {"n": n}
    if "max_order" in params:
        kw["max_order"] = order
    elif order != 1:
        raise ValueError(f"{cls_name} estimates order 1 only")
    if "index" in params:
        kw["index"] = index
    if "random_state" in params:
        kw["random_state"] = seed
    return cls(**kw)


def sklearn_setup(recipe):
    """A model and its data for the shapiq_games setups that take them (scikit-learn data)."""
    from sklearn import datasets, ensemble, linear_model
    from sklearn.model_selection import train_test_split

    loaders = {"breast_cancer": ("load_breast_cancer", True), "wine": ("load_wine", True),
               "iris": ("load_iris", True), "diabetes": ("load_diabetes", False),
               "digits": ("load_digits", True)}
    loader, classify = loaders[recipe["dataset"]]
    X, y = getattr(datasets, loader)(return_X_y=True)
    X = X[:, : recipe.get("n_features", X.shape[1])]
    seed = recipe.get("seed", 0)
    if classify:
        y = (y == y[0]).astype(int)
    kind = recipe.get("model", "random_forest")
    if kind == "random_forest":
        cls = ensemble.RandomForestClassifier if classify else ensemble.RandomForestRegressor
        model = cls(n_estimators=20, max_depth=6, random_state=seed)
    else:
        model = (linear_model.LogisticRegression(max_iter=2000) if classify
                 else linear_model.Ridge())
    xtr, xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed)
    return model, X, y, xtr, xte, ytr, yte


def commands(readline):
    """The parent's command lines until "quit" or the end of its pipe."""
    while True:
        try:
            line = readline().decode().strip()
        except EOFError:
            return
        if line == "quit":
            return
        yield line


def serve_game(spec, proto_out, read_exact, readline):
    import numpy as np
    import shapiq
    import shapiq_games

    try:
        cls = getattr(shapiq_games, spec["cls"])
        kw = dict(spec.get("kwargs") or {})
        if spec.get("sklearn"):
            model, X, y, xtr, xte, ytr, yte = sklearn_setup(spec["sklearn"])
            params = inspect.signature(cls.__init__).parameters
            if "data" in params:
                model.fit(X, y)
                kw.update(model=model, data=X)
            else:
                kw.update(model=model, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
        game = cls(**kw)
        n = int(game.n_players)
    except Exception as exc:  # noqa: BLE001  (reported to the parent as one line)
        proto_out.write(("R " + json.dumps({"error": f"{type(exc).__name__}: {exc}"[:400]})
                         + "\n").encode())
        return
    proto_out.write(("R " + json.dumps({"n_players": n, "shapiq": shapiq.__version__}) + "\n")
                    .encode())
    for line in commands(readline):
        m = int(line.split()[1])
        C = np.frombuffer(read_exact(m * n), dtype=np.uint8).reshape(m, n).astype(bool)
        proto_out.write(np.ascontiguousarray(game(C), dtype=np.float64).tobytes())


def main() -> None:
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    sys.stdout = sys.stderr  # anything shapiq prints must not reach the protocol
    import numpy as np
    import shapiq
    from shapiq import approximator as A

    def readline() -> bytes:
        buf = bytearray()
        while not buf.endswith(b"\n"):
            ch = proto_in.read(1)
            if not ch:
                raise EOFError
            buf += ch
        return bytes(buf)

    def read_exact(size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            chunk = proto_in.read(size - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    if len(sys.argv) > 2 and sys.argv[1] == "game":
        return serve_game(json.loads(sys.argv[2]), proto_out, read_exact, readline)
    proto_out.write(("R " + json.dumps({"ready": shapiq.__version__}) + "\n").encode())
    for line in commands(readline):
        run = json.loads(line)
        n = run["n"]
        spent = [0.0, 0.0]

        def game(C, spent=spent):
            t, c = time.perf_counter(), time.process_time()
            C = np.ascontiguousarray(np.atleast_2d(np.asarray(C, dtype=bool)), dtype=np.uint8)
            proto_out.write(f"E {C.shape[0]}\n".encode() + C.tobytes())
            v = np.frombuffer(read_exact(8 * C.shape[0]), dtype=np.float64).copy()
            spent[0] += time.perf_counter() - t
            spent[1] += time.process_time() - c
            return v

        try:
            approx = build(A, run["cls"], n, run["index"], run["order"], run["seed"])
            if run.get("trace_memory"):
                import tracemalloc
                tracemalloc.start()
            t0, c0 = time.perf_counter(), time.process_time()
            iv = approx.approximate(run["budget"], game)
            total, cpu = time.perf_counter() - t0, time.process_time() - c0
            peak = None
            if run.get("trace_memory"):
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            values = [float(iv[tuple(s)]) for s in run["sets"]]
            out = {"values": values, "baseline": float(iv.baseline_value),
                   "min_order": int(iv.min_order), "seconds_total": total,
                   "seconds_in_game": spent[0], "cpu_total": cpu, "cpu_in_game": spent[1],
                   "peak_bytes": peak, "shapiq": shapiq.__version__}
        except Exception as exc:  # noqa: BLE001  (a failed run is a result row)
            tb = traceback.format_exc(limit=2).strip().splitlines()[-1]
            out = {"error": f"{type(exc).__name__}: {exc}"[:500], "where": tb[:300]}
        proto_out.write(("R " + json.dumps(out) + "\n").encode())


if __name__ == "__main__":
    main()
