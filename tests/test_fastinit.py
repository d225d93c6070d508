"""``fast_init``: a frozen slotted dataclass built faster, and built the same."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest

from pipeline.models import Finding, Location, Segment
from pipeline.models.fastinit import fast_init
from pipeline.models.readability import Counts, SentenceScore
from pipeline.po.model import Entry
from pipeline.text.messages import TextFacts
from pipeline.text.translations import Resolved


@dataclass(frozen=True, slots=True, order=True)
class Plain:
    """A class with every kind of field ``fast_init`` takes, as dataclass builds it."""

    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, compare=False)  # not hashed


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class Fast:
    """``Plain``, given ``fast_init``."""

    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, compare=False)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    (("a", 2), {}),
    (("a", 2, ("x",)), {}),
    (("a",), {"extra": {"k": 1}}),
    ((), {"name": "b", "tags": ("y",), "count": 3}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_an_instance_is_the_one_dataclass_builds(args: tuple[Any, ...],
                                                 kwargs: dict[str, Any]) -> None:
    plain, fast = Plain, Fast
    mine, theirs = fast(*args, **kwargs), plain(*args, **kwargs)
    assert dataclasses.astuple(mine) == dataclasses.astuple(theirs)
    assert mine == fast(*args, **kwargs) and hash(mine) == hash(fast(*args, **kwargs))
    assert repr(mine).split("(", 1)[1] == repr(theirs).split("(", 1)[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        mine.count = 9  # type: ignore[misc]
    assert dataclasses.replace(mine, count=7).count == 7
    assert pickle.loads(pickle.dumps(mine)) == mine
    assert str(inspect.signature(fast)) == str(inspect.signature(plain))


def test_a_factory_gives_each_instance_its_own_value() -> None:
    fast = Fast
    first, second = fast("a"), fast("b")
    assert first.extra == {} and first.extra is not second.extra


def test_the_arguments_are_checked_as_dataclass_checks_them() -> None:
    plain, fast = Plain, Fast
    cls: Any
    for cls in (plain, fast):
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls("a", 1, (), {}, "one too many")
        with pytest.raises(TypeError):
            cls("a", nope=1)


def test_a_class_it_cannot_build_the_same_is_refused() -> None:
    @dataclass(slots=True)
    class Mutable:
        name: str

    @dataclass(frozen=True)
    class NoSlots:
        name: str

    @dataclass(frozen=True, slots=True)
    class Later:
        name: str

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class KeywordOnly:
        name: str = field(kw_only=True)

    @dataclass(frozen=True, slots=True)
    class NotInInit:
        name: str = field(init=False, default="")

    for cls in (Mutable, NoSlots, Later, KeywordOnly, NotInInit):
        with pytest.raises(TypeError):
            fast_init(cls)


@pytest.mark.parametrize("cls", [Entry, Location, Segment, Finding, Counts, SentenceScore,
                                 Resolved, TextFacts])
def test_the_pipelines_classes_keep_their_parameters(cls: type[Any]) -> None:
    """Each class given ``fast_init`` takes what its dataclass ``__init__`` took: its
    fields, in order, with their defaults."""
    parameters = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for p, f in zip(parameters, fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default is f.default
        elif f.default_factory is not dataclasses.MISSING:
            assert repr(p.default) == "<factory>"
        else:
            assert p.default is inspect.Parameter.empty


def test_a_finding_moved_is_the_finding_replace_makes() -> None:
    """``Finding.moved_to`` copies every field but the location: a field added to
    ``Finding`` and not to it fails here."""
    values: dict[str, Any] = {f.name: f"value of {f.name}" for f in dataclasses.fields(Finding)}
    values["location"] = Location("locales/fr/LC_MESSAGES/messages.po", 12)
    finding = Finding(**values)
    there = Location("locales/fr/LC_MESSAGES/messages.po", 14)
    moved = finding.moved_to(there)
    assert moved == dataclasses.replace(finding, location=there)
    assert [getattr(moved, f.name) is getattr(finding, f.name)
            for f in dataclasses.fields(Finding) if f.name != "location"] == [True] * (
        len(values) - 1)
    assert moved.location is there and finding.moved_to(None).location is None
