"""The slow set of tests/conftest.py: a renamed test must fail collection, not drop silently
out of the slow set into the default run (issue 10)."""
from types import SimpleNamespace

from tests.conftest import SLOW_NODES, _slow_nodes_missing


def _items(*ids):
    return [SimpleNamespace(nodeid=i) for i in ids]


def test_a_renamed_slow_test_is_reported():
    name = min(SLOW_NODES)
    path = name.split("::")[0]
    config = SimpleNamespace(args=["tests"])
    renamed = _items(path + "::test_something_else")
    assert name in _slow_nodes_missing(config, renamed)
    assert name not in _slow_nodes_missing(config, _items(name))


def test_files_not_collected_or_narrowed_are_not_reported():
    name = min(SLOW_NODES)
    path = name.split("::")[0]
    # the file was not collected at all: nothing to say about it
    assert _slow_nodes_missing(SimpleNamespace(args=["tests"]), _items("tests/x.py::t")) == []
    # the file was narrowed to one test by a node id on the command line
    config = SimpleNamespace(args=[path + "::test_other"])
    assert name not in _slow_nodes_missing(config, _items(path + "::test_other"))
