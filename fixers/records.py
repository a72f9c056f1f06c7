"""Records: the fix path's dataclasses, without compiling a method at start-up.

``dockmend fix`` is started once per file by pre-commit hooks, editors and CI, so its
start-up is most of its cost. CPython 3.11's ``dataclasses`` compiles every generated method
(``__init__``, ``__repr__``, ``__eq__``, and for a frozen class ``__hash__``,
``__setattr__`` and ``__delattr__``) with ``exec`` when the class is defined: about 0.8 ms
for a frozen class, 40 ms for the 54 classes the fix path loads (two thirds of hadolint's
whole run on one file), and ``import dataclasses`` brings ``inspect`` with ``ast``, ``dis``
and ``tokenize``. A record is declared exactly like a dataclass and behaves like one for
the options used here; its methods are closures over the class's field table, defined
once in this module (compiled into its bytecode like any other code), so defining a
record costs microseconds. Only ``__init__`` runs often enough to matter: a record starts
with a generic one and, once :data:`HOT` instances of its class have been made (a corpus
run, the service; never the check of one small file), compiles the ``__init__`` dataclasses
would give it. ``tests/fixers/test_records.py`` holds both tiers to ``dataclasses`` side by
side.

Over 300 lines: one mechanism, and the parity with ``dataclasses`` it keeps (Python's own
error messages included); split, the parts would share every private helper.

Options: ``frozen``, ``order``, ``slots`` (``init``, ``repr`` and ``eq`` are always on, as
dataclasses' defaults). Fields: annotations with a default, or :func:`field` with
``default``/``default_factory``, ``init``, ``repr``, ``compare``. Not supported (no record
needs them): ``__post_init__``, ``InitVar``, ``KW_ONLY``, ``unsafe_hash``. Type checkers read
the decorator through PEP 681 (``dataclass_transform``). The service side (``bot/``'s
engine, settings and state), which starts once, keeps ``dataclasses``.
"""

from __future__ import annotations

import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_C = TypeVar("_C", bound=type)
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()
_FIELDS = "__record_fields__"
HOT = 256  # instances of a record after which its __init__ is compiled (see _init)


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting a field of a frozen record (as dataclasses')."""


class Field:
    """One field of a record: its name, default or default factory, and options."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(
        self,
        default: Any = _MISSING,
        default_factory: Any = _MISSING,
        init: bool = True,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


@overload
def field(*, default: _T, init: bool = True, repr: bool = True, compare: bool = True) -> _T: ...
@overload
def field(*, default_factory: Callable[[], _T], init: bool = True, repr: bool = True, compare: bool = True) -> _T: ...
@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...
def field(
    *,
    default: Any = _MISSING,
    default_factory: Any = _MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with options, as ``dataclasses.field``."""
    return Field(default, default_factory, init, repr, compare)


@overload
def record(cls: _C, /) -> _C: ...
@overload
def record(*, frozen: bool = False, order: bool = False, slots: bool = False) -> Callable[[_C], _C]: ...
@dataclass_transform(field_specifiers=(field, Field))
def record(cls: type | None = None, /, *, frozen: bool = False, order: bool = False, slots: bool = False) -> Any:
    """Make ``cls`` a record, as ``@dataclasses.dataclass`` (with the same options) would."""

    def wrap(cls: type) -> type:
        return _process(cls, frozen=frozen, order=order, slots=slots)

    return wrap if cls is None else wrap(cls)


def is_record(obj: object) -> bool:
    """Whether ``obj`` is a record or a record class."""
    return hasattr(obj, _FIELDS)


def fields(obj: object) -> tuple[Field, ...]:
    """The fields of a record or record class, in order (as ``dataclasses.fields``)."""
    table: dict[str, Field] | None = getattr(obj, _FIELDS, None)
    if table is None:
        raise TypeError("must be called with a record type or instance")
    return tuple(table.values())


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record ``obj`` with ``changes`` (as ``dataclasses.replace``): fields
    with ``init=False`` are made anew, and cannot be changed."""
    for f in fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with replace()")
        elif f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def _is_classvar(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return isinstance(text, str) and text.replace("typing.", "").startswith("ClassVar")


def _process(cls: type, *, frozen: bool, order: bool, slots: bool) -> type:
    table = _table(cls)
    specs = tuple(table.values())
    methods: dict[str, object] = {
        _FIELDS: table,
        "__match_args__": tuple(s.name for s in specs if s.init),
        "__init__": _init(cls.__qualname__, specs, slots),
        "__repr__": _repr(tuple(s.name for s in specs if s.repr)),
    }
    key = _key(tuple(s.name for s in specs if s.compare))
    methods["__eq__"] = _compare(key, operator.eq)
    own = cls.__dict__
    for name, method in methods.items():
        if name not in own or name == _FIELDS:  # a method written in the class wins, as in dataclasses
            setattr(cls, name, method)
    tests = {"__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt, "__ge__": operator.ge}
    forced: dict[str, object] = {name: _compare(key, test) for name, test in tests.items()} if order else {}
    if not ("__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)):  # no __hash__ of its own
        forced["__hash__"] = (lambda self: hash(key(self))) if frozen else None
    if frozen:
        forced.update(_frozen(cls, table))
    for name, method in forced.items():
        if name in own and name != "__hash__":
            raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
        setattr(cls, name, method)
    return _with_slots(cls, specs, frozen) if slots else cls


def _table(cls: type) -> dict[str, Field]:
    """The fields of ``cls``: its bases' records' first, then its own annotations, in order."""
    table: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        table.update(base.__dict__.get(_FIELDS, {}))
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 (inspect is what records avoid importing)
    for name, annotation in annotations.items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        if spec.default is not _MISSING and type(spec.default).__hash__ is None:
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: use a factory")
        spec.name = name
        table[name] = spec
        if isinstance(value, Field):  # the class attribute is the plain default, or none
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
    seen_default = False
    for spec in table.values():
        if spec.init and (spec.default is not _MISSING or spec.default_factory is not _MISSING):
            seen_default = True
        elif spec.init and seen_default:
            raise TypeError(f"non-default argument {spec.name!r} follows default argument")
    return table


def _init(qualname: str, specs: tuple[Field, ...], slots: bool) -> Callable[..., None]:
    names = tuple(s.name for s in specs if s.init)
    count, known = len(names), frozenset(names)
    made = {s.name for s in specs if s.default is not _MISSING or s.default_factory is not _MISSING}
    required = tuple(n for n in names if n not in made)
    fill = tuple((s.name, s.default, s.default_factory) for s in specs if s.init and s.name in made)
    late = tuple((s.name, s.default, s.default_factory) for s in specs if not s.init and s.name in made)
    store = object.__setattr__

    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == HOT:  # a class made often: from now on, the compiled __init__ dataclasses would give it
            compiled = _compiled_init(qualname, specs, slots)
            for owner in type(self).__mro__:
                if owner.__dict__.get("__init__") is __init__:
                    owner.__init__ = compiled  # type: ignore[misc]
        if not kwargs and not late and len(args) == count:  # every field given in order: the usual call
            if slots:
                for name, value in zip(names, args, strict=False):  # (as long: strict would cost a third)
                    store(self, name, value)
            else:
                state = self.__dict__
                for name, value in zip(names, args, strict=False):
                    state[name] = value
            return
        if len(args) > count:
            raise TypeError(f"{qualname}.__init__() {_too_many(len(required) + 1, count + 1, len(args) + 1)}")
        values = dict(zip(names, args, strict=False))
        if kwargs:
            if not known.issuperset(kwargs) or not values.keys().isdisjoint(kwargs):
                for key in kwargs:
                    if key not in known:
                        raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {key!r}")
                    if key in values:
                        raise TypeError(f"{qualname}.__init__() got multiple values for argument {key!r}")
            values.update(kwargs)
        if len(values) < count:
            for name, default, factory in fill:
                if name not in values:
                    values[name] = default if factory is _MISSING else factory()
            if len(values) < count:
                raise TypeError(f"{qualname}.__init__() {_missing([n for n in required if n not in values])}")
        for name, default, factory in late:  # init=False: from its default (one without stays unset)
            values[name] = default if factory is _MISSING else factory()
        if slots:
            for name, value in values.items():
                store(self, name, value)
        else:  # (the instance's dict lists keyword arguments as given, the rest after)
            self.__dict__.update(values)

    return __init__


def _compiled_init(qualname: str, specs: tuple[Field, ...], slots: bool) -> Callable[..., None]:
    """The ``__init__`` dataclasses would compile for these fields (it stores with
    ``object.__setattr__`` or in the instance's dict, so frozen records take it too)."""
    env: dict[str, Any] = {"_record_missing": _MISSING, "_record_store": object.__setattr__}
    params, body = ["_record_self"], []
    for index, spec in enumerate(specs):
        factory, default = f"_record_factory_{index}", f"_record_default_{index}"
        env[factory], env[default] = spec.default_factory, spec.default
        if spec.init:
            made = spec.default_factory is not _MISSING
            given = f"={'_record_missing' if made else default}" if made or spec.default is not _MISSING else ""
            params.append(f"{spec.name}{given}")
            value = f"{factory}() if {spec.name} is _record_missing else {spec.name}" if made else spec.name
        elif spec.default_factory is not _MISSING or spec.default is not _MISSING:
            value = f"{factory}()" if spec.default_factory is not _MISSING else default
        else:
            continue
        store = f"_record_store(_record_self, {spec.name!r}, {{}})" if slots else f"_record_state[{spec.name!r}] = {{}}"
        body.append(store.format(value))
    lines = [f"def __init__({', '.join(params)}):", "    _record_state = _record_self.__dict__" * (not slots)]
    source = "\n".join([*filter(None, lines), *(f"    {line}" for line in body or ["pass"])])
    exec(source, env)  # the names are the class's own field names (identifiers)
    made_init: Callable[..., None] = env["__init__"]
    made_init.__qualname__ = f"{qualname}.__init__"
    return made_init


def _too_many(least: int, most: int, given: int) -> str:
    """Python's own words for too many positional arguments."""
    takes = f"from {least} to {most}" if least < most else f"{most}"
    plural = "s" if most > 1 else ""
    return f"takes {takes} positional argument{plural} but {given} {'were' if given > 1 else 'was'} given"


def _missing(names: list[str]) -> str:
    """Python's own words for missing arguments."""
    *first, last = [repr(name) for name in names]
    listed = f"{', '.join(first)}{',' if len(first) > 1 else ''} and {last}" if first else last
    return f"missing {len(names)} required positional argument{'s' if first else ''}: {listed}"


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"

    return __repr__


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda self: ()
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda self: (get(self),)
    many: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
    return many


def _compare(key: Callable[[Any], tuple[Any, ...]], test: Callable[[Any, Any], Any]) -> Callable[[Any, object], Any]:
    def method(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return test(key(self), key(other))
        return NotImplemented

    return method


def _frozen(cls: type[Any], table: dict[str, Field]) -> dict[str, Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in table:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in table:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _with_slots(cls: type, specs: tuple[Field, ...], frozen: bool) -> type:
    """``cls`` made again with ``__slots__`` for its own fields (as dataclasses does)."""
    namespace = dict(cls.__dict__)
    inherited = {name for base in cls.__mro__[1:-1] for name in base.__dict__.get("__slots__", ())}
    own = tuple(s.name for s in specs if s.name not in inherited)
    namespace["__slots__"] = own
    for name in (*own, "__dict__", "__weakref__"):
        namespace.pop(name, None)
    if frozen:  # pickle and copy restore a slotted object with setattr, which frozen refuses

        def __getstate__(self: Any) -> list[Any]:
            return [getattr(self, s.name) for s in specs]

        def __setstate__(self: Any, state: list[Any]) -> None:
            for spec, value in zip(specs, state, strict=True):
                object.__setattr__(self, spec.name, value)

        namespace.setdefault("__getstate__", __getstate__)
        namespace.setdefault("__setstate__", __setstate__)
    made = type(cls)(cls.__name__, cls.__bases__, namespace)
    made.__qualname__ = cls.__qualname__
    if frozen:  # the closures name the class: give them the new one
        for name, method in _frozen(made, namespace[_FIELDS]).items():
            setattr(made, name, method)
    return made
