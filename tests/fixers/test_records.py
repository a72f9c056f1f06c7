"""Records behave as dataclasses with the same declaration: each case is declared twice,
once with ``@dataclass`` and once with ``@record``, and both must answer alike."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from fixers import records
from fixers.records import field, record

Decorator = Callable[..., Any]
KINDS = [
    pytest.param(dataclasses.dataclass, dataclasses.field, dataclasses.replace, id="dataclass"),
    pytest.param(record, field, records.replace, id="record"),
]


def declare(decorate: Decorator, make_field: Callable[..., Any], **options: Any) -> dict[str, type]:
    """The same classes, declared with ``decorate``."""

    @decorate(**options)
    class Point:
        x: int
        y: int = 0
        tags: list[str] = make_field(default_factory=list)
        note: str = make_field(default="", compare=False, repr=False)
        cache: dict[str, int] = make_field(default_factory=dict, init=False, repr=False, compare=False)
        unit: ClassVar[str] = "px"

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

    @decorate(**options)
    class Empty:
        pass

    return {"Point": Point, "Empty": Empty}


VARIANTS = [{}, {"frozen": True}, {"frozen": True, "order": True}, {"slots": True}, {"frozen": True, "slots": True}]


def both(options: dict[str, Any]) -> tuple[dict[str, type], dict[str, type]]:
    return declare(dataclasses.dataclass, dataclasses.field, **options), declare(record, field, **options)


@pytest.fixture(autouse=True, params=["generic", "compiled"])
def tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: with the generic __init__ a record starts with, and with the one
    compiled once the class is made often (from its first instance here)."""
    if request.param == "compiled":
        monkeypatch.setattr(records, "HOT", 1)
    return str(request.param)


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except Exception as error:  # the kind of error and its message must match
        return type(error).__name__, str(error).replace("__create_fn__.<locals>.", "")


@pytest.mark.parametrize("options", VARIANTS, ids=str)
def test_construction_equality_hash_and_repr_match_dataclasses(options: dict[str, Any]) -> None:
    dc, rc = both(options)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}),
        ((1, 2), {}),
        ((1,), {"y": 2, "tags": ["a"], "note": "n"}),
        ((), {"x": 3}),
        ((), {}),
        ((1, 2, [], "n", 5), {}),
        ((1,), {"x": 2}),
        ((1,), {"nope": 2}),
        ((1,), {"cache": {}}),
    ]
    for args, kwargs in calls:
        want = outcome(lambda args=args, kwargs=kwargs: repr(dc["Point"](*args, **kwargs)))
        got = outcome(lambda args=args, kwargs=kwargs: repr(rc["Point"](*args, **kwargs)))
        assert (got[0], got[1].replace("test_records.", "")) == (want[0], want[1].replace("test_records.", ""))
    for kind in (dc, rc):
        point = kind["Point"]
        a, b, c = point(1, 2, note="a"), point(1, 2, note="b"), point(2, 1)
        assert a == b and a != c and a != (1, 2) and a.norm() == 3 and point.unit == "px"
        assert a.cache == {} and a.cache is not b.cache and a.tags is not b.tags
        if not options.get("slots"):  # the class attribute is the plain default only
            assert point.y == 0 and not hasattr(point, "tags")
        assert point.__match_args__ == ("x", "y", "tags", "note")
        assert kind["Empty"]() == kind["Empty"]() and repr(kind["Empty"]()).endswith("Empty()")
    assert (rc["Point"].__hash__ is None) == (dc["Point"].__hash__ is None)
    for make in (lambda p: p(1, 2, note="a"), lambda p: p(1, 2, note="b"), lambda p: p(1, tags=None)):
        assert outcome(lambda m=make: hash(m(rc["Point"])))[0] == outcome(lambda m=make: hash(m(dc["Point"])))[0]
    if rc["Point"].__hash__ is not None:
        assert hash(rc["Point"](1, 2, None, note="a")) == hash(rc["Point"](1, 2, None, note="b"))
        assert hash(rc["Point"](1, 2, None)) == hash(dc["Point"](1, 2, None))
    assert [f.name for f in dataclasses.fields(dc["Point"])] == [f.name for f in records.fields(rc["Point"])]


@pytest.mark.parametrize("options", [o for o in VARIANTS if o.get("frozen")], ids=str)
def test_frozen_refuses_assignment_and_deletion(options: dict[str, Any]) -> None:
    for kind, error in zip(both(options), (dataclasses.FrozenInstanceError, records.FrozenInstanceError), strict=True):
        point = kind["Point"](1)
        with pytest.raises(error, match="cannot assign to field 'x'"):
            point.x = 2
        with pytest.raises(error, match="cannot delete field 'x'"):
            del point.x
        if not options.get("slots"):  # (3.11's slotted frozen dataclass answers a TypeError here: gh-90562)
            with pytest.raises(AttributeError):
                point.other = 1


@pytest.mark.parametrize("options", VARIANTS, ids=str)
def test_copy_pickle_and_replace(options: dict[str, Any]) -> None:
    dc, rc = both(options)
    globals().update(DCPoint=dc["Point"])  # pickle finds classes by their module's name
    for name, (kind, replace) in {"DC": (dc, dataclasses.replace), "RC": (rc, records.replace)}.items():
        point = kind["Point"](1, 2, ["t"], "n")
        moved = replace(point, y=5)
        assert (moved.x, moved.y, moved.tags, moved.note, moved.cache) == (1, 5, ["t"], "n", {})
        with pytest.raises(ValueError, match="init=False"):
            replace(point, cache={})
        for clone in (copy.copy(point), copy.deepcopy(point)):
            assert clone == point and clone.note == "n"
        kind["Point"].__qualname__ = kind["Point"].__name__ = f"{name}Point"
        globals()[f"{name}Point"] = kind["Point"]
        assert pickle.loads(pickle.dumps(point)) == point
    assert hasattr(rc["Point"](1), "__dict__") == (not options.get("slots"))


def test_order_compares_fields_in_order() -> None:
    dc, rc = both({"order": True, "frozen": True})
    for kind in (dc, rc):
        point = kind["Point"]
        assert sorted([point(2, 1), point(1, 5), point(1, 2)]) == [point(1, 2), point(1, 5), point(2, 1)]
        with pytest.raises(TypeError):
            _ = point(1) < (1, 0)


def test_declaration_errors_match_dataclasses() -> None:
    def bad_order(decorate: Decorator) -> Callable[[], Any]:
        def declare() -> Any:
            @decorate
            class Bad:
                x: int = 0
                y: int

        return declare

    def mutable_default(decorate: Decorator) -> Callable[[], Any]:
        def declare() -> Any:
            @decorate
            class Bad:
                x: list[int] = []  # noqa: RUF012

        return declare

    for case in (bad_order, mutable_default):
        assert outcome(case(dataclasses.dataclass))[0] == outcome(case(record))[0] != "ok"


def test_methods_written_in_the_class_win() -> None:
    @record(frozen=True)
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and other.name.lower() == self.name.lower()

        def __hash__(self) -> int:
            return hash(self.name.lower())

    assert repr(Named("A")) == "<A>" and Named("A") == Named("a") and len({Named("A"), Named("a")}) == 1


def test_the_fix_path_defines_no_dataclass() -> None:
    """`dockmend fix` uses records throughout (see fixers/records.py): a dataclass there would
    bring back the start-up cost this module removes."""
    import subprocess
    import sys

    probe = (
        "import sys; from bot.cli import fix, fixentry; import fixers.registry, fixers.engine;"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
