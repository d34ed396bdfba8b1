"""Fuzz tests of `interplay explain`'s item reader (JSONL and Parquet).

Whatever the file holds (malformed lines, non-objects, wrong types, missing or extra fields,
unicode, blank lines, empty files, huge strings, huge numbers, deep nesting), every item is read
as written or reported as an error record with a one-line reason; nothing else escapes. Bounded
and seeded (derandomize=True) so that a failure reproduces.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from interplay import _sets  # noqa: E402
from interplay.models.batch import (  # noqa: E402
    ItemError,
    explain_items,
    item_input,
    output_path,
    read_items,
    read_result,
)
from interplay.results import InteractionResult  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
FIELDS = ["id", "query", "passage", "text_a", "text_b", "image", "text", "modalities", "extra"]

texts = st.text(max_size=30) | st.sampled_from(["", " ", "\u200b", "None", "null", "\U0001F600",
                                                "ḉåţš ßłéëp", "猫が寝る", "a\u0000b", "\ud7ff"])
scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | texts
           | st.floats(allow_nan=True, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(texts, inner, max_size=3), max_leaves=6)
objects = st.dictionaries(st.sampled_from(FIELDS) | texts, values, max_size=5)
pairs = st.builds(lambda q, p, extra: {"query": q, "passage": p, **extra},
                  texts, texts, st.dictionaries(texts, scalars, max_size=2))
malformed = st.sampled_from([
    "{oops", "{\"id\": }", "[1, 2", "nul", "'single'", "{\"a\": 1}}", "\x00",
    "9" * 5000,  # more digits than Python converts
    "[" * 5000 + "]" * 5000,  # deeper than the JSON decoder goes
]) | st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s)
lines = st.lists(
    pairs.map(json.dumps) | objects.map(json.dumps) | values.map(json.dumps) | malformed
    | st.sampled_from(["", "   ", "\t"])
    | st.integers(10**4, 3 * 10**5).map(lambda n: json.dumps({"query": "q", "passage": "w" * n})),
    max_size=12)


def check_records(errors, items, n_records):
    assert len(items) + len(errors) == n_records
    ids = [it["id"] for it in items]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) and i for i in ids)
    for rec in errors:
        assert set(rec) >= {"id", "error", "argument", "fix", "where"}
        assert isinstance(rec["error"], str) and rec["error"]
        assert "\n" not in rec["error"] and len(rec["error"]) <= 400
        json.dumps(rec)  # the errors file can hold it


def check_item_inputs(items, originals):
    """item_input gives back the very texts written, or one-line ItemErrors; never "None"."""
    for it in items:
        try:
            kind, x = item_input(it)
        except ItemError as exc:
            assert "\n" not in str(exc) and str(exc)
            continue
        if kind == "text-pair":
            orig = originals.get(it["id"])
            assert all(isinstance(t, str) and t.strip() for t in x)
            if orig is not None:
                assert x in ((orig.get("query"), orig.get("passage")),
                             (orig.get("text_a"), orig.get("text_b")))


@FUZZ
@given(lines)
def test_jsonl_reader_reads_or_reports_every_line(tmp_path_factory, raw_lines):
    path = tmp_path_factory.mktemp("fuzz") / "items.jsonl"
    path.write_text("\n".join(raw_lines) + ("\n" if raw_lines else ""), encoding="utf-8",
                    errors="surrogatepass")
    errors = []
    items = read_items(path, errors=errors)
    expected = {}  # id -> the object of its first line, as the reader should give it
    n_records = 0
    for line in path.read_bytes().split(b"\n"):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            n_records += 1
            continue
        if not text.strip():
            continue
        n_records += 1
        if _is_obj(text):
            obj = json.loads(text)
            raw = obj.get("id")
            if raw is None:
                expected.setdefault(f"{n_records - 1:08d}", obj)
            elif isinstance(raw, (str, int)) and not isinstance(raw, bool) and str(raw).strip():
                expected.setdefault(str(raw), obj)
    check_records(errors, items, n_records)
    for rec in errors:
        assert rec["where"].startswith(str(path) + ":")
    for it in items:  # every item read is the object of its line, unchanged but for the id
        obj = dict(expected[it["id"]], id=it["id"])
        assert json.dumps(it, sort_keys=True) == json.dumps(obj, sort_keys=True)
    check_item_inputs(items, expected)
    if not errors:  # the reader without an errors list accepts exactly the same file
        assert json.dumps(read_items(path)) == json.dumps(items)


def _is_obj(line):
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


column_types = st.sampled_from(["string", "int", "float", "null", "list", "struct"])


def column(kind, n):
    if kind == "string":
        return st.lists(st.none() | texts, min_size=n, max_size=n)
    if kind == "int":
        return st.lists(st.none() | st.integers(-2**62, 2**62), min_size=n, max_size=n)
    if kind == "float":
        return st.lists(st.none() | st.floats(allow_nan=True), min_size=n, max_size=n)
    if kind == "null":
        return st.just([None] * n)
    if kind == "list":
        return st.lists(st.none() | st.lists(st.integers(0, 9), max_size=3), min_size=n,
                        max_size=n)
    return st.lists(st.none() | st.fixed_dictionaries({"a": st.integers(0, 3)}), min_size=n,
                    max_size=n)


@st.composite
def tables(draw):
    n = draw(st.integers(0, 8))
    names = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=5))
    return {name: draw(column(draw(column_types), n)) for name in names}, n


@FUZZ
@given(tables())
def test_parquet_reader_reads_or_reports_every_row(tmp_path_factory, spec):
    cols, n = spec
    path = tmp_path_factory.mktemp("fuzz") / "items.parquet"
    table = pa.table(cols) if cols else pa.table({"_": pa.nulls(n)}).drop_columns(["_"])
    pq.write_table(table, path)
    errors = []
    items = read_items(path, errors=errors)
    back = pq.read_table(path)  # a table without columns keeps no rows in the file
    rows = back.to_pylist() if back.num_columns else [{}] * back.num_rows
    check_records(errors, items, len(rows))
    originals = {}
    if "id" not in cols:  # every row is an item named by its position
        assert [it["id"] for it in items] == [f"{k:08d}" for k in range(len(rows))]
    by_id = {it["id"]: it for it in items}
    for k, row in enumerate(rows):  # an item is the first row of its id, as it was written
        rid = f"{k:08d}" if row.get("id") is None else str(row.get("id"))
        if rid in by_id and rid not in originals:
            originals[rid] = row
            assert json.dumps({**row, "id": rid}, sort_keys=True) == json.dumps(
                by_id[rid], sort_keys=True)
    check_item_inputs(items, originals)


@pytest.mark.parametrize("content", [b"", b"PAR1", b"not parquet at all", b"PAR1\x00\x00PAR1"])
def test_unreadable_parquet_and_empty_files(tmp_path, content):
    (tmp_path / "x.parquet").write_bytes(content)
    with pytest.raises(ValueError, match="not a readable Parquet file") as exc:
        read_items(tmp_path / "x.parquet", errors=[])
    assert "\n" not in str(exc.value)
    (tmp_path / "x.jsonl").write_bytes(content.replace(b"PAR1", b""))
    errors = []
    assert read_items(tmp_path / "x.jsonl", errors=errors) == [] or errors
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert read_items(tmp_path / "empty.jsonl", errors=[]) == []
    (tmp_path / "latin1.jsonl").write_bytes('{"query": "caf\xe9", "passage": "x"}\n'.encode(
        "latin-1") + b'{"query": "ok", "passage": "fine"}\n')
    errors = []
    items = read_items(tmp_path / "latin1.jsonl", errors=errors)
    assert [it["id"] for it in items] == ["00000001"]
    assert "UTF-8" in errors[0]["error"] and errors[0]["id"] == "00000000"


class OneRow:
    """A phase-split estimator that asks for the full coalition only (one model row per item)
    and spreads its value over the players: the plumbing under test, not the estimate."""

    def __init__(self, n, index, budget, *, max_order=2, method="auto", p=0.5, seed=None,
                 player_groups=None):
        self.n, self.v = n, None

    def next_coalitions(self):
        return None if self.v is not None else np.ones((1, self.n), bool)

    def tell(self, values):
        self.v = float(np.asarray(values).reshape(-1)[0])

    def result(self):
        sets = _sets.enumerate_sets(self.n, 1, 1)
        return InteractionResult(np.full(len(sets), self.v / self.n), sets, n_players=self.n,
                                 index="BV", max_order=1, min_order=1, baseline_value=0.0)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.lists(pairs | objects, max_size=6))
def test_explain_items_writes_or_reports_every_item(minilm, tmp_path_factory, objs):
    """End to end with the real tokenizer and model: each item read is written (its players the
    tokens of the very texts given) or has one line in errors.jsonl; no exception escapes."""
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "items.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    read_errors = []
    items = read_items(path, errors=read_errors)
    out = tmp / "out"
    summary = explain_items(items, out, model=minilm, budget=8, items_per_call=3,
                            progress=False, make_estimator=OneRow, kind="text-pair",
                            errors=read_errors)
    assert summary["written"] + summary["failed"] == len(objs)
    recs = []
    if summary["failed"]:
        recs = [json.loads(x) for x in (out / "errors.jsonl").read_text(
            encoding="utf-8").splitlines()]
        assert len(recs) == summary["failed"]
        assert all("\n" not in r["error"] for r in recs)
    failed = {str(r["id"]) for r in recs}
    tok = minilm.tokenizer
    for it in items:
        if it["id"] in failed:
            continue
        res = read_result(output_path(out, it["id"]))
        q, p = item_input(it)[1]
        n_q = len(tok(q, verbose=False)["input_ids"]) - 2
        n_p = len(tok(p, verbose=False)["input_ids"]) - 2
        assert res.n_players == n_q + n_p
        assert all(name.startswith("query:") for name in res.player_names[:n_q])
