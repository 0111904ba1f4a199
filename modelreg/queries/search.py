"""Search a registry's versions: ``list --where EXPR --sort KEYS --limit N --model GLOB``.

The expression is parsed once (``modelreg.domain.expression``), its field names resolved
against the versions searched, and turned into a predicate of closures (no ``eval``); the
predicate then runs over the versions' cached summaries (no manifest is built).

Fields: name (or model), version (compared as semver), stage, owner, tag/tags (the version's
tags and its model's: ``tag == 'x'`` means it has tag x), framework, algorithm, created
(compared with dates: ``created >= '2026-06-01'``), created_by, any metric or param, by
bare name (a metric first, then a param) or as ``metrics.NAME`` / ``params.NAME``, and any
custom value as ``custom.KEY`` (a dotted path into a version's ``custom:``; typed like a param).

A missing value (no owner, no such metric on this version) matches no comparison, except the
negative ones (``!=``, ``not in``), which say "not this", and ``is null``.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import operator
import re
from collections.abc import Callable, Sequence
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg.documents.summary import ListedVersion, VersionSummary
from modelreg.documents.tree import WorkTree
from modelreg.domain import expression as ex
from modelreg.domain import refs, semver
from modelreg.domain.dates import DATE_FORMS, parse_date
from modelreg.domain.errors import ExpressionError, InvalidInputError, NotFoundError
from modelreg.queries.listing import documents_key
from modelreg.store import store_for

if TYPE_CHECKING:
    from modelreg.queries.catalog import Catalog

GLOB_CHARACTERS = frozenset("*?[")
VIEW_KIND = "search-view"  # the store's kinds of value: a Source, by the documents' state,
PARAMS_KIND = "search-params"  # and its versions' params
VIEWS_KEPT = 2


# A version in a source: (version, stage, summary), the summary a VersionSummary or, read
# back from the store, its first eight values as a list (a search builds the VersionSummary
# of the versions it returns only).
Entry = Sequence[Any]
_CREATED_AT, _CREATED_BY, _TAGS, _METRICS, _FRAMEWORK, _ALGORITHM, _CUSTOM, _PARAMS = 0, 2, 3, 4, 5, 6, 7, 8


class Row:
    """One version as the search sees it, with its model's owner and tags; ``at``: where it
    stands in its source (model, version), ``params``: its params once they are read."""

    __slots__ = ("_created", "at", "data", "model_tags", "name", "owner", "params", "stage", "version")

    def __init__(
        self, name: str, entry: Entry, owner: str | None, model_tags: list[str], at: tuple[int, int]
    ) -> None:
        self.name = name
        self.version, self.stage, self.data = entry
        self.owner = owner
        self.model_tags = model_tags
        self.at = at
        self.params: dict[str, Any] = self.data[_PARAMS] if len(self.data) > _PARAMS else {}
        self._created: datetime | None = None

    @property
    def created(self) -> datetime:
        if self._created is None:
            moment = datetime.fromisoformat(self.data[_CREATED_AT])
            self._created = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return self._created

    @property
    def tags(self) -> set[str]:
        return {*self.data[_TAGS], *self.model_tags}

    def listed(self) -> ListedVersion:
        data = self.data
        if not (isinstance(data, VersionSummary) and data.params is self.params):
            data = VersionSummary._make((*data[:_PARAMS], self.params))
        return ListedVersion(self.name, self.version, self.stage, data)


Params = list[list[dict[str, Any]]]  # of each version, by model, in a source's order


class Source(NamedTuple):
    """What a search reads: the stages registry.yaml defines and, for each model (by name),
    its owner, its tags and its versions newest first (``Entry``). ``params``, when given,
    reads the versions' params, which their summaries then lack: a search that names none
    (most) does not read them."""

    stages: list[str]
    models: list[tuple[str, str | None, list[str], list[Entry]]]
    params: Callable[[], Params] | None = None
    param_names: list[str] | None = None  # with ``params``: every name they hold

    def to_text(self) -> tuple[str, str]:
        """The source as two JSON texts: without the params, and the params (those of its
        summaries: of a source that reads them apart, only the first text is whole)."""
        models = [
            [name, owner, tags, [[v, stage, list(d[:_PARAMS])] for v, stage, d in held]]
            for name, owner, tags, held in self.models
        ]
        params = [[d[_PARAMS] if len(d) > _PARAMS else {} for _, _, d in held] for *_, held in self.models]
        names = self.param_names
        if names is None:
            names = sorted({name for held in params for found in held for name in found})
        table = json.dumps({"stages": self.stages, "models": models, "params": names}, separators=(",", ":"))
        return table, json.dumps(params, separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str, params: Callable[[], Params]) -> Source | None:
        """The source ``to_text`` wrote (its params read by ``params``); None when ``text`` is
        not one. The store's checksum says it is what ``to_text`` wrote: only its outline is
        checked here, not each version (that would cost as much as the search)."""
        try:
            data = json.loads(text)
            models = data["models"]
            stages, names = data["stages"], data["params"]
        except (ValueError, TypeError, KeyError, RecursionError):
            return None
        if not (isinstance(models, list) and isinstance(stages, list) and isinstance(names, list)):
            return None
        for model in models:
            if not (isinstance(model, list) and len(model) == 4 and isinstance(model[3], list)):
                return None
        return cls(stages, [tuple(m) for m in models], params, names)


def source_of(catalog: Catalog, names: list[str] | None = None) -> Source:
    """The source of a catalog: every model, or those ``names``."""
    facts = catalog.snapshot.facts
    models = []
    for name in catalog.model_names() if names is None else names:
        found = facts.get(name)
        owner, tags = (found.owner, list(found.tags)) if found else (None, [])
        entries: list[Entry] = [(v.version, v.stage, v.summary) for v in reversed(catalog.listing(name))]
        models.append((name, owner, tags, entries))
    return Source(list(catalog.config.stages), models)


def cached_source(tree: WorkTree) -> Source:
    """The source of the work tree's registry: from the store when it keeps one for the
    documents' state (a warm search reads no document), else read and kept there."""
    key = documents_key(tree)
    kept = store_for(tree.top)
    text = kept.get(VIEW_KIND, key) if key is not None else None
    found = Source.from_text(text, lambda: _kept_params(tree, key)) if text is not None else None
    if found is not None:
        return found
    found = _read_source(tree)
    if key is not None:
        core, params = found.to_text()
        kept.put(VIEW_KIND, key, core, keep=VIEWS_KEPT)
        kept.put(PARAMS_KIND, key, params, keep=VIEWS_KEPT)
        kept.save()
    return found


def _read_source(tree: WorkTree) -> Source:
    from modelreg.queries.catalog import Catalog  # the registry itself: only when nothing is kept

    return source_of(Catalog(tree.top, tree=tree))


def _kept_params(tree: WorkTree, key: str | None) -> Params:
    """The params kept beside a source, else read from the registry."""
    text = store_for(tree.top).get(PARAMS_KIND, key) if key is not None else None
    try:
        found = json.loads(text) if text is not None else None
    except (ValueError, RecursionError):
        found = None
    if isinstance(found, list):
        return found
    return [[d[_PARAMS] for _, _, d in held] for *_, held in _read_source(tree).models]


# -- fields ---------------------------------------------------------------------------------

Getter = Callable[[Row], Any]


class FieldKind:
    TEXT = "text"
    VERSION = "version"
    DATE = "date"
    NUMBER = "number"
    TAGS = "tags"
    PARAM = "param"
    CUSTOM = "custom"  # untyped, as a param is


_FIXED: dict[str, tuple[str, Getter]] = {
    "name": (FieldKind.TEXT, lambda r: r.name),
    "version": (FieldKind.VERSION, lambda r: r.version),
    "stage": (FieldKind.TEXT, lambda r: r.stage),
    "owner": (FieldKind.TEXT, lambda r: r.owner),
    "tag": (FieldKind.TAGS, lambda r: r.tags),
    "framework": (FieldKind.TEXT, lambda r: r.data[_FRAMEWORK]),
    "algorithm": (FieldKind.TEXT, lambda r: r.data[_ALGORITHM]),
    "created": (FieldKind.DATE, lambda r: r.created),
    "created_by": (FieldKind.TEXT, lambda r: r.data[_CREATED_BY]),
}
_ALIASES = {"model": "name", "tags": "tag", "created_at": "created"}
FIELDS = [*_FIXED, *_ALIASES]


class Resolved:
    """A field name resolved: what kind of value it holds and how to read it of a row."""

    def __init__(self, label: str, kind: str, get: Getter) -> None:
        self.label = label
        self.kind = kind
        self.get = get


class Fields:
    """The fields of the versions searched: the fixed ones and every metric and param name
    (of the versions of a whole source, so that a name known elsewhere is no error)."""

    def __init__(self, source: Source, rows: list[Row]) -> None:
        self.metrics: set[str] = set()
        self.custom: set[str] = set()
        self.versions = 0
        for *_, held in source.models:
            for _, _, data in held:
                self.versions += 1
                self.metrics.update(data[_METRICS])
                self.custom.update(data[_CUSTOM])
        if source.param_names is not None:
            self.params = set(source.param_names)
        else:
            self.params = {name for *_, held in source.models for _, _, d in held for name in d[_PARAMS]}
        self._source = source
        self._rows = rows
        self._params_read = source.params is None

    def read_params(self) -> None:
        """Give each row its params, when the source reads them apart (once)."""
        if self._params_read:
            return
        self._params_read = True
        assert self._source.params is not None
        every = self._source.params()
        for row in self._rows:
            model, version = row.at
            row.params = every[model][version]

    def resolve(self, name: str, text: str, column: int, *, label: str = "where") -> Resolved:
        """The field ``name`` (written at ``column`` of ``text``); ExpressionError when it is
        unknown or ambiguous."""
        fixed = _ALIASES.get(name, name)
        if fixed in _FIXED:
            kind, get = _FIXED[fixed]
            return Resolved(fixed, kind, get)
        space, _, rest = name.partition(".")
        if space in ("metrics", "params", "custom") and rest:
            known = {"metrics": self.metrics, "params": self.params, "custom": self.custom}[space]
            if rest not in known:
                raise self._unknown(name, text, column, label, [f"{space}.{k}" for k in known])
            if space == "custom":
                return _custom(rest)
            return _metric(rest) if space == "metrics" else self._param(rest)
        if name in self.metrics:
            if name in self.params:
                detail = f"{name!r} is both a metric and a param: write metrics.{name} or params.{name}"
                raise ExpressionError(detail, text, column, label=label)
            return _metric(name)
        if name in self.params:
            return self._param(name)
        if not self.versions:  # nothing to know names from, and nothing to match: no error
            return _metric(name)
        raise self._unknown(name, text, column, label, [*FIELDS, *self.metrics, *self.params])

    def _param(self, name: str) -> Resolved:
        self.read_params()
        return _param(name)

    @staticmethod
    def _unknown(name: str, text: str, column: int, label: str, known: list[str]) -> ExpressionError:
        close = difflib.get_close_matches(name, known, n=4, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"fields: {', '.join(_FIXED)}, or a metric or param"
        )
        return ExpressionError(f"unknown field {name!r} ({hint})", text, column, label=label)


def _metric(name: str) -> Resolved:
    return Resolved(f"metrics.{name}", FieldKind.NUMBER, lambda r: r.data[_METRICS].get(name))


def _custom(key: str) -> Resolved:
    return Resolved(f"custom.{key}", FieldKind.CUSTOM, lambda r: r.data[_CUSTOM].get(key))


def _param(name: str) -> Resolved:
    """A param; its values are read with ``Fields.read_params`` (``Fields._param``)."""
    return Resolved(f"params.{name}", FieldKind.PARAM, lambda r: r.params.get(name))


# -- compiling ------------------------------------------------------------------------------

Predicate = Callable[[Row], bool]
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_HOLDS = {FieldKind.VERSION: "a version", FieldKind.DATE: "a date", FieldKind.TAGS: "a set of tags"}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class Compiler:
    """Turns a parsed expression into a predicate, checking that each comparison makes sense."""

    def __init__(self, text: str, fields: Fields) -> None:
        self.text = text
        self.fields = fields

    def fail(self, detail: str, column: int) -> ExpressionError:
        return ExpressionError(detail, self.text, column)

    def compile(self, node: ex.Node) -> Predicate:
        if isinstance(node, ex.And):
            return functools.reduce(_both, [self.compile(item) for item in node.items])
        if isinstance(node, ex.Or):
            return functools.reduce(_either, [self.compile(item) for item in node.items])
        if isinstance(node, ex.Not):
            inner = self.compile(node.item)
            return lambda row: not inner(row)
        if isinstance(node, ex.IsNull):
            return self.null_test(node)
        return self.comparison(node)

    def resolve(self, field: ex.Field) -> Resolved:
        return self.fields.resolve(field.name, self.text, field.column)

    def null_test(self, node: ex.IsNull) -> Predicate:
        get = self.resolve(node.field).get
        if node.negated:
            return lambda row: get(row) not in (None, set())
        return lambda row: get(row) in (None, set())

    def comparison(self, node: ex.Compare) -> Predicate:
        left, right = node.left, node.right
        op: str = node.op
        if isinstance(left, ex.Value) and isinstance(right, ex.Field):
            if op in ("in", "not in"):  # 'fraud' in tags
                return self.membership(right, left, negated=op == "not in", column=node.column)
            if op == "~":
                raise self.fail("write the field before ~: name ~ 'fraud-*'", node.column)
            left, right, op = right, left, _FLIPPED[op]
        if not isinstance(left, ex.Field):
            raise self.fail("compares two values: one side must be a field", node.column)
        if isinstance(right, ex.Field):
            raise self.fail(
                f"compares two fields ({left.name}, {right.name}): compare a field with a value", node.column
            )
        field = self.resolve(left)
        if op in ("in", "not in"):
            items = right.items if isinstance(right, ex.ValueList) else (right,)
            tests = [self.test(field, "==", item) for item in items]
            if op == "in":
                return lambda row: any(test(row) for test in tests)
            return lambda row: not any(test(row) for test in tests)
        assert isinstance(right, ex.Value)
        if op == "!=":  # the negation of ==: true for a missing value
            equal = self.test(field, "==", right)
            return lambda row: not equal(row)
        return self.test(field, op, right)

    def membership(self, field: ex.Field, value: ex.Value, *, negated: bool, column: int) -> Predicate:
        resolved = self.resolve(field)
        if resolved.kind != FieldKind.TAGS:
            raise self.fail(f"'in {field.name}' needs tags: write {field.name} == value", column)
        has = self.test(resolved, "==", value)
        return (lambda row: not has(row)) if negated else has

    def test(self, field: Resolved, op: str, value: ex.Value) -> Predicate:
        """``field op value`` for an op other than != and in, type-checked; false when the
        row has no value."""
        kind = field.kind
        if kind in (FieldKind.PARAM, FieldKind.CUSTOM):
            return self.param_test(field, op, value)
        if kind == FieldKind.NUMBER:
            if op not in _ORDER:
                raise self.fail(f"{field.label} is a number: ~ matches text only", value.column)
            number = self.number(field, value)
            compare, get = _ORDER[op], field.get
            return lambda row: (found := get(row)) is not None and compare(found, number)
        text = self.string(field, value)
        if op == "~":
            if kind == FieldKind.DATE:
                raise self.fail(f"{field.label} is a date: compare it with <, >=... ", value.column)
            match = re.compile(fnmatch.translate(text), re.DOTALL).match
            if kind == FieldKind.TAGS:
                return lambda row: any(match(tag) for tag in field.get(row))
            return lambda row: (found := field.get(row)) is not None and match(found) is not None
        if kind == FieldKind.TAGS:
            if op != "==":
                raise self.fail(f"{field.label} is a set of tags: use ==, !=, in or ~", value.column)
            return lambda row: text in field.get(row)
        if kind == FieldKind.DATE:
            return self.date_test(field, op, text, value.column)
        compare = _ORDER[op]
        get = field.get
        if kind == FieldKind.VERSION:
            key = semver.sort_key(text)
            if op != "==" and semver.parse(text) is None:
                raise self.fail(f"{text!r} is not a semantic version such as 1.2.0", value.column)
            return lambda row: compare(semver.sort_key(get(row)), key)
        return lambda row: (found := get(row)) is not None and compare(found, text)

    def number(self, field: Resolved, value: ex.Value) -> float:
        if isinstance(value.value, bool) or not isinstance(value.value, int | float):
            raise self.fail(
                f"{field.label} is a number: compare it with a number, not {_kind_of(value)}", value.column
            )
        return value.value

    def string(self, field: Resolved, value: ex.Value) -> str:
        if not isinstance(value.value, str):
            hint = "a date in quotes" if field.kind == FieldKind.DATE else "text in quotes"
            holds = _HOLDS.get(field.kind, field.kind)
            raise self.fail(
                f"{field.label} is {holds}: compare it with {hint}, not {_kind_of(value)}", value.column
            )
        return value.value

    def date_test(self, field: Resolved, op: str, text: str, column: int) -> Predicate:
        """A date alone stands for its whole day: ``created == '2026-06-01'`` is that day,
        ``created <= '2026-06-01'`` includes it, ``created > '2026-06-01'`` starts after it."""
        try:
            start = parse_date(text)
        except InvalidInputError as e:
            raise self.fail(f"invalid date {text!r}: use {DATE_FORMS}", column) from e
        if start is None:
            raise self.fail(f"{text!r} is not a date: use YYYY-MM-DD or ISO 8601", column)
        end = start
        if len(text.strip()) <= 10:
            end = datetime.combine(start.date(), time.max, tzinfo=start.tzinfo)
        get = field.get
        tests: dict[str, Predicate] = {
            "==": lambda row: start <= get(row) <= end,
            "<": lambda row: get(row) < start,
            "<=": lambda row: get(row) <= end,
            ">": lambda row: get(row) > end,
            ">=": lambda row: get(row) >= start,
        }
        return tests[op]

    def param_test(self, field: Resolved, op: str, value: ex.Value) -> Predicate:
        """Params have no declared type: a param matches only a value of its own kind (a
        number, text or true/false)."""
        wanted = value.value
        get = field.get
        if op == "~":
            if not isinstance(wanted, str):
                raise self.fail("~ matches text: write the pattern in quotes", value.column)
            match = re.compile(fnmatch.translate(wanted), re.DOTALL).match
            return lambda row: isinstance(found := get(row), str) and match(found) is not None
        if isinstance(wanted, bool) and op != "==":
            raise self.fail("true and false compare with == or != only", value.column)
        compare = _ORDER[op]
        same = _same_kind(wanted)
        return lambda row: same(found := get(row)) and compare(found, wanted)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) and second(row)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) or second(row)


def _same_kind(value: ex.Scalar) -> Callable[[Any], bool]:
    if isinstance(value, bool):
        return lambda found: isinstance(found, bool)
    if isinstance(value, int | float):
        return lambda found: isinstance(found, int | float) and not isinstance(found, bool)
    return lambda found: isinstance(found, str)


def _kind_of(value: ex.Value) -> str:
    if isinstance(value.value, bool):
        return "true/false"
    return "a number" if isinstance(value.value, int | float) else "text"


# -- sorting --------------------------------------------------------------------------------


def sorter(text: str, fields: Fields) -> Callable[[list[Row]], list[Row]]:
    """The sort ``text`` asks for: comma-separated fields, ``-`` before one for descending;
    rows without a value for a key come after those with one, whichever the direction."""
    keys: list[tuple[Resolved, bool]] = []
    offset = 0
    for part in text.split(","):
        column = offset + len(part) - len(part.lstrip()) + 1
        offset += len(part) + 1
        name = part.strip()
        descending = name.startswith("-")
        if name[:1] in ("+", "-"):
            name, column = name[1:], column + 1
        if not name or name != name.strip():
            raise ExpressionError("expected a field name", text, column, label="sort")
        field = fields.resolve(name, text, column, label="sort")
        if field.kind == FieldKind.TAGS:
            raise ExpressionError("cannot sort by tags", text, column, label="sort")
        keys.append((field, descending))

    def apply(rows: list[Row]) -> list[Row]:
        for field, descending in reversed(keys):
            key = _sort_key(field)
            values = [(key(row), row) for row in rows]
            present = [pair for pair in values if pair[0] is not None]
            present.sort(key=lambda pair: pair[0], reverse=descending)
            rows = [row for _, row in present] + [row for found, row in values if found is None]
        return rows

    return apply


def _sort_key(field: Resolved) -> Callable[[Row], Any]:
    get = field.get
    if field.kind == FieldKind.VERSION:
        return lambda row: semver.sort_key(get(row))
    if field.kind in (FieldKind.PARAM, FieldKind.CUSTOM):  # numbers, then text, then true/false

        def param_key(row: Row) -> Any:
            found = get(row)
            if found is None:
                return None
            if isinstance(found, bool):
                return (2, int(found), "")
            if isinstance(found, int | float):
                return (0, found, "")
            return (1, 0, str(found))

        return param_key
    return get


# -- the search -----------------------------------------------------------------------------


def is_glob(text: str) -> bool:
    """Whether a ``--model`` value is a pattern (``fraud-*``) rather than a name."""
    return any(c in GLOB_CHARACTERS for c in text)


def model_names(known: list[str], model: str | None) -> list[str]:
    """The models searched of those ``known``: all, the one named (NotFoundError when absent),
    or those whose names match a glob (``fraud-*``; none is an empty answer)."""
    if model is None:
        return known
    if is_glob(model):
        return [name for name in known if fnmatch.fnmatchcase(name, model)]
    if refs.check_name(model) not in known:
        raise NotFoundError(f"no model {model!r} in the registry; `modelreg list` shows the models")
    return [model]


def named_metrics(where: str | None, sort: str | None) -> list[str]:
    """The metric-like names ``where`` and ``sort`` mention, in order (to show those first)."""
    found: list[str] = []
    words = [t.text for t in ex.tokenize(where) if t.kind == "field"] if where else []
    words += [part.strip().lstrip("+-").strip() for part in (sort or "").split(",")]
    for word in words:
        name = word.removeprefix("metrics.")
        if word.startswith("custom."):
            continue
        if word and name not in found and name not in _FIXED and name not in _ALIASES:
            found.append(name)
    return found


def search(
    catalog: Catalog,
    *,
    where: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    model: str | None = None,
    stage: str | None = None,
    tag: str | None = None,
) -> list[ListedVersion]:
    """The versions ``where`` selects (all when None), in ``list``'s order (by model, newest
    version first) or by ``sort``, at most ``limit`` of them; ``stage`` and ``tag`` filter
    as ``list --stage/--tag`` do (a stage registry.yaml defines; a tag of the version)."""
    node = ex.parse(where) if where is not None else None  # a bad expression reads nothing
    source = source_of(catalog, model_names(catalog.model_names(), model))
    return search_source(source, where=where, node=node, sort=sort, limit=limit, stage=stage, tag=tag)


def search_work_tree(top: Path, **given: Any) -> list[ListedVersion]:
    """``search`` (``given``: its arguments) of the registry in the work tree at ``top``, over the
    source kept for its documents' state: what ``Registry(path).search`` and `modelreg list
    --where` read, so that both give one answer by one path."""
    return search_source(cached_source(WorkTree(top)), **given)


def search_source(
    source: Source,
    *,
    where: str | None = None,
    node: ex.Node | None = None,
    sort: str | None = None,
    limit: int | None = None,
    model: str | None = None,
    stage: str | None = None,
    tag: str | None = None,
) -> list[ListedVersion]:
    """``search`` over a source (``node``: ``where`` parsed already, if it was)."""
    if limit is not None and limit < 0:
        raise ExpressionError("must be a number of versions, 0 or more", str(limit), 1, label="limit")
    if node is None and where is not None:
        node = ex.parse(where)
    if stage is not None and stage not in source.stages:
        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(source.stages)}")
    wanted = set(model_names([name for name, *_ in source.models], model))
    rows = [
        Row(name, entry, owner, tags, (i, j))
        for i, (name, owner, tags, held) in enumerate(source.models)
        if name in wanted
        for j, entry in enumerate(held)
        if (stage is None or entry[1] == stage) and (tag is None or tag in entry[2][_TAGS])
    ]
    fields = Fields(source, rows)
    if node is not None:
        assert where is not None
        keep = Compiler(where, fields).compile(node)
        rows = [row for row in rows if keep(row)]
    if sort:
        rows = sorter(sort, fields)(rows)
    if limit is not None:
        rows = rows[:limit]
    return [row.listed() for row in rows]
