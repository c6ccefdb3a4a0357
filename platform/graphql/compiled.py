# ruff: noqa: S608 - the planner writes SQL from declared table and column names only; values are always bound
"""Compiled pages (issue 17): a query whose root fields are list pages of the API becomes one SQL statement that
builds the whole response JSON inside PostgreSQL, so no resolver, no object and no field completion runs.

A context declares the SQL form of its types next to the types themselves, by their Python field names:

    PART_ROWS = Rows("Part", {"id": NODE_ID, "part_number": column("part_number"), ...})
    PARTS_PAGE = Page("parts", PART_ROWS, table="parts", order=("{r}.part_number", "{r}.id"), where=...)

The planner walks a validated operation (fields, aliases, fragments, inline fragments, @skip/@include,
`__typename`) and answers a `Plan`, or None when anything is not covered — a field without an SQL form, a
field the principal may not read (the resolvers then answer the error, with its path), an argument on a nested
field, a type without a declaration. None means: the ordinary resolvers answer, so both paths always agree
(tests/equivalence). Permissions come from the fields' `needs` declarations and personal data masks from their
`pii` declarations, the same ones the resolvers use; both are decided here, once per plan, for the principal's
kind (its database role and permissions), which is part of the plan cache's key.

Values leave in their scalar's output format: a global id is base64 of `Type:uuid`, Money and Decimal are
text, a DateTime is ISO 8601 in UTC as Python writes it (microseconds only when there are some), an enum its
GraphQL name.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from strawberry import relay

from dealernet.core.paging import MAX_PAGE, cursor_date, cursor_time
from dealernet.core.scope import DbRole, Scope
from dealernet.graphql.masking import UNMASKED_ROLES, declared_pii, mask_sql
from dealernet.graphql.permissions import declared_permission
from dealernet.graphql.relay import keyset_after
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.values import VariableValues, get_argument_values

# json_build_object takes at most 100 arguments: 50 keys.
MAX_KEYS = 50


class Fallback(Exception):
    """The compiled path does not cover this request; the resolvers answer it."""


# --- declarations -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A scalar field's SQL: a template over the row's alias `{r}` (and the request's `{today}`); `gid_type`
    makes it a global id of that type."""

    template: str
    gid_type: str | None = None


@dataclass(frozen=True)
class Children:
    """A list field: the rows of `table` under this row (`join` over `{r}`, the child, and `{p}`, the parent),
    in `order`, each shaped by the declaration of `type_name`."""

    type_name: str
    table: str
    join: str
    order: str


@dataclass(frozen=True)
class ScopeValue:
    """A field whose value is the caller's, not a row's (the viewer's role, say): bound from the request's scope.
    `cast` is its SQL type."""

    read: Callable[[Scope], Any]
    cast: str


@dataclass(frozen=True)
class Rows:
    """The SQL form of one GraphQL object type, field by field (Python names)."""

    type_name: str
    fields: Mapping[str, Value | Children | ScopeValue]


Binder = Callable[[Any], str]
# A root's WHERE terms from the root field's coerced arguments and the caller's scope: `bind(value)` answers its
# placeholder. Raises Fallback (or a DomainError) for what only the resolver can answer, e.g. a cursor this server
# did not make.
Where = Callable[[Mapping[str, Any], Binder, Scope], Sequence[str]]


class KeyType(enum.Enum):
    """What a page's sort key is, for its cursor's text and for reading a cursor back: (SQL cast, parser)."""

    TEXT = ("text", str)
    TIME = ("timestamptz", cursor_time)
    DATE = ("date", cursor_date)


@dataclass(frozen=True)
class Page:
    """A Relay connection root field (`field`, its Python name) over `table`, keyset-ordered by its `key` column
    and then the id (newest first, or ascending), as the resolver's `connection(key=…)` is: the cursor encodes the
    same two values as text, and `after` reads them back (the same VALIDATION error for a cursor it did not make).
    `where` adds the page's filters."""

    field: str
    rows: Rows
    table: str
    key: str
    where: Where
    key_type: KeyType = KeyType.TEXT
    newest_first: bool = False

    @property
    def order(self) -> tuple[str, str]:
        direction = " DESC" if self.newest_first else ""
        return (f"{{r}}.{self.key}{direction}", f"{{r}}.id{direction}")

    @property
    def cursor(self) -> tuple[str, str]:
        column = f"{{r}}.{self.key}"
        return (iso_datetime(column) if self.key_type is KeyType.TIME else column, "{r}.id")

    def after(self, args: Mapping[str, Any], bind: Binder) -> list[str]:
        """The keyset term of the `after` argument: the rows past the cursor's."""
        found = keyset_after(args.get("after"))
        if found is None:
            return []
        cast, parse = self.key_type.value
        value, row_id = bind(parse(found[0])), bind(found[1])
        past = "<" if self.newest_first else ">"
        return [f"({{r}}.{self.key}, {{r}}.id) {past} ({value}::{cast}, {row_id}::uuid)"]


@dataclass(frozen=True)
class Single:
    """A root field answering one row of `table` (or null: no row matches), e.g. the viewer."""

    field: str
    rows: Rows
    table: str
    where: Where


@dataclass(frozen=True)
class Node:
    """A type `node(id:)` answers from one statement: its rows' declaration, its table and the permission its
    by-id service requires (the resolver's answer without it is that service's FORBIDDEN)."""

    rows: Rows
    table: str
    permission: str


def node_type(global_id: Any) -> str | None:
    """The type a global id names, as the `node` resolver reads it; None for anything else."""
    try:
        return str(relay.GlobalID.from_id(global_id).type_name)
    except Exception:  # strawberry raises several types for garbage input, as relay.resolve_node says
        return None


def _node_terms(args: Mapping[str, Any], bind: Binder, _scope: Scope) -> list[str]:
    try:
        found = UUID(relay.GlobalID.from_id(args["id"]).node_id)
    except Exception:  # a malformed id: the resolver answers null
        raise Fallback("not a node id") from None
    return [f"{{r}}.id = {bind(found)}::uuid"]


def column(name: str) -> Value:
    return Value("{r}." + name)


def expression(template: str) -> Value:
    return Value(template)


def gid_of(type_name: str, column_name: str) -> Value:
    return Value("{r}." + column_name, gid_type=type_name)


# The row's own global id; its type is the declaration's.
NODE_ID = Value("{r}.id", gid_type="")


# --- SQL of the output formats ----------------------------------------------------------------------------

_ISO_WHOLE = '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\''
_ISO_FRACTION = '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\''


def iso_datetime(expr: str) -> str:
    """Python's isoformat() of a UTC datetime: seconds, microseconds only when there are some, +00:00."""
    return (
        f"to_char(({expr}) AT TIME ZONE 'UTC', CASE WHEN extract(microseconds FROM {expr})::bigint % 1000000 = 0 "
        f"THEN {_ISO_WHOLE} ELSE {_ISO_FRACTION} END)"
    )


def base64_text(expr: str) -> str:
    """Python's base64.b64encode of UTF-8 text (PostgreSQL breaks lines every 76 characters)."""
    return f"translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'\\n', '')"


def gid_sql(type_name: str, expr: str) -> str:
    return base64_text(f"'{type_name}:' || ({expr})::text")


def cursor_sql(parts: Sequence[str]) -> str:
    """relay.encode_cursor in SQL: urlsafe base64 of the JSON list of the key's parts as text."""
    listed = " || ', ' || ".join(f"to_json(({part})::text)::text" for part in parts)
    return f"translate(encode(convert_to('[' || {listed} || ']', 'UTF8'), 'base64'), E'+/\\n', '-_')"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _enum_sql(graphql_type: GraphQLEnumType, expr: str) -> str:
    cases = " ".join(
        f"WHEN {_literal(str(v.value.value if isinstance(v.value, enum.Enum) else v.value))} THEN {_literal(name)}"
        for name, v in graphql_type.values.items()
    )
    return f"CASE ({expr})::text {cases} END"


# ID here: an expression that builds the global id itself (a declared gid_type is encoded by the planner).
_AS_IS = frozenset({"String", "Int", "Boolean", "Float", "Date", "JSON", "ID"})
_AS_TEXT = frozenset({"Money", "Decimal"})
_LISTABLE = frozenset({"String", "Int", "Boolean"})


def _scalar_sql(graphql_type: Any, value: Value, row: str, own_type: str, masked: Any) -> str:
    expr = value.template.format(r=row, today="{today}")
    if masked is not None:
        expr = mask_sql(masked, expr)
    if value.gid_type is not None:
        return gid_sql(value.gid_type or own_type, expr)
    if isinstance(graphql_type, GraphQLEnumType):
        return _enum_sql(graphql_type, expr)
    if not isinstance(graphql_type, GraphQLScalarType):
        raise Fallback(f"{graphql_type} is not a scalar")
    if graphql_type.name in _AS_IS:
        return expr
    if graphql_type.name in _AS_TEXT:
        return f"({expr})::text"
    if graphql_type.name == "DateTime":
        return iso_datetime(expr)
    raise Fallback(f"no SQL output format for {graphql_type.name}")


def _scope_sql(graphql_type: Any, is_list: bool, declared: ScopeValue, index: int) -> str:
    expected = {"text": "String", "boolean": "Boolean", "text[]": "String"}
    if expected.get(declared.cast) != getattr(graphql_type, "name", None) or is_list != declared.cast.endswith("[]"):
        raise Fallback(f"a scope value of {declared.cast} for {graphql_type}")
    return f"to_json({{s{index}}}::{declared.cast})"


def _unwrap(graphql_type: Any) -> tuple[Any, bool]:
    """The named type, and whether a list wraps it."""
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if isinstance(graphql_type, GraphQLList):
        inner = graphql_type.of_type
        return (inner.of_type if isinstance(inner, GraphQLNonNull) else inner), True
    return graphql_type, False


# --- the planner ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """What a plan depends on about the caller: its database role and what it may do."""

    db_role: DbRole
    permissions: frozenset[str]

    def may(self, permission: str) -> bool:
        return self.db_role is DbRole.seed or permission in self.permissions


@dataclass
class _Request:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues
    principal: Principal
    rows: Mapping[str, Rows]
    aliases: int = 0
    scope_values: list[ScopeValue] = field(default_factory=list)

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"


def _included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: VariableValues) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name in ("skip", "include"):
            definition = GraphQLSkipDirective if name == "skip" else GraphQLIncludeDirective
            flag = get_argument_values(definition, directive, variables).get("if")
            if flag is (name == "skip"):
                return False
        else:
            raise Fallback(f"directive @{name}")
    return True


def collect(
    request: _Request, parent: GraphQLObjectType, selection_set: SelectionSetNode | None
) -> dict[str, list[FieldNode]]:
    """The fields of a selection on `parent` by response key, in order, as GraphQL's CollectFields does."""
    grouped: dict[str, list[FieldNode]] = {}

    def visit(selections: SelectionSetNode | None, seen: frozenset[str]) -> None:
        for selection in selections.selections if selections else ():
            if not _included(selection, request.variables):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == parent.name:
                    visit(selection.selection_set, seen)
                elif not _abstract_match(request.schema, condition.name.value, parent):
                    continue
                else:
                    visit(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = request.fragments.get(name)
                if name in seen or fragment is None:
                    continue
                condition_name = fragment.type_condition.name.value
                if condition_name == parent.name or _abstract_match(request.schema, condition_name, parent):
                    visit(fragment.selection_set, seen | {name})

    visit(selection_set, frozenset())
    return grouped


def _abstract_match(schema: GraphQLSchema, condition: str, parent: GraphQLObjectType) -> bool:
    """An interface or union type condition the object type belongs to (e.g. `... on Node`)."""
    found = schema.get_type(condition)
    if found is None or isinstance(found, GraphQLObjectType):
        return False
    return schema.is_sub_type(found, parent)  # type: ignore[arg-type]


def _merged(nodes: list[FieldNode]) -> SelectionSetNode | None:
    """The sub-selections of fields merged under one response key."""
    sets = [node.selection_set for node in nodes if node.selection_set is not None]
    if not sets:
        return None
    if len(sets) == 1:
        return sets[0]
    return SelectionSetNode(selections=tuple(s for selection_set in sets for s in selection_set.selections))


def _strawberry_field(field_def: GraphQLField) -> Any:
    return (field_def.extensions or {}).get("strawberry-definition")


def _python_name(definition: Any) -> str:
    # A relay.Node's `id` is strawberry's own resolver, named `_id`.
    return "id" if definition.python_name == "_id" else str(definition.python_name)


def _check_permission(request: _Request, field_def: GraphQLField) -> Any:
    definition = _strawberry_field(field_def)
    if definition is None:
        raise Fallback("a field strawberry did not define")
    permission = declared_permission(definition.extensions)
    if permission is not None and not request.principal.may(permission.value):
        raise Fallback(f"{permission.value} is not granted: the resolver answers the error")
    return definition


def _json_object(pairs: list[tuple[str, str]]) -> str:
    if len(pairs) > MAX_KEYS:
        raise Fallback("more keys than json_build_object takes")
    if not pairs:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"{_literal(key)}, {sql}" for key, sql in pairs) + ")"


def object_sql(request: _Request, rows: Rows, graphql_type: GraphQLObjectType, selection: SelectionSetNode | None,
               row: str) -> str:  # fmt: skip
    """The JSON of one row of `rows`, selected by `selection`, the row's alias being `row`."""
    pairs: list[tuple[str, str]] = []
    masked = request.principal.db_role not in UNMASKED_ROLES
    for key, nodes in collect(request, graphql_type, selection).items():
        name = nodes[0].name.value
        if name == "__typename":
            pairs.append((key, _literal(graphql_type.name)))
            continue
        field_def = graphql_type.fields.get(name)
        if field_def is None:
            raise Fallback(f"no field {name}")
        if any(node.arguments for node in nodes):
            raise Fallback(f"arguments on {graphql_type.name}.{name}")
        definition = _check_permission(request, field_def)
        declared = rows.fields.get(_python_name(definition))
        if declared is None:
            raise Fallback(f"{graphql_type.name}.{name} has no SQL form")
        named, is_list = _unwrap(field_def.type)
        if isinstance(declared, ScopeValue):
            request.scope_values.append(declared)
            pairs.append((key, _scope_sql(named, is_list, declared, len(request.scope_values) - 1)))
        elif isinstance(declared, Children):
            if not is_list or not isinstance(named, GraphQLObjectType):
                raise Fallback(f"{graphql_type.name}.{name} is declared as a list")
            pairs.append((key, _children_sql(request, declared, named, _merged(nodes), row)))
        else:
            if isinstance(named, GraphQLObjectType) or (is_list and getattr(named, "name", None) not in _LISTABLE):
                raise Fallback(f"{graphql_type.name}.{name} is declared as a scalar")
            kind = declared_pii(definition.extensions) if masked else None
            if is_list:  # an array column of strings or numbers, e.g. a station's brands
                if kind is not None or declared.gid_type is not None:
                    raise Fallback(f"{graphql_type.name}.{name}: a list of masked values or ids")
                pairs.append((key, f"to_json({declared.template.format(r=row, today='{today}')})"))
            else:
                pairs.append((key, _scalar_sql(named, declared, row, graphql_type.name, kind)))
    return _json_object(pairs)


def _children_sql(request: _Request, declared: Children, graphql_type: GraphQLObjectType,
                  selection: SelectionSetNode | None, parent: str) -> str:  # fmt: skip
    rows = request.rows.get(declared.type_name)
    if rows is None or rows.type_name != graphql_type.name:
        raise Fallback(f"no SQL form for {graphql_type.name}")
    alias = request.alias()
    element = object_sql(request, rows, graphql_type, selection, alias)
    join = declared.join.format(r=alias, p=parent, today="{today}")
    order = declared.order.format(r=alias)
    return (
        f"(SELECT coalesce(json_agg({element} ORDER BY {order}), '[]'::json) "
        f"FROM {declared.table} AS {alias} WHERE {join})"
    )


@dataclass(frozen=True)
class RootPage:
    """One root field of a plan: its response key, its page, and the GraphQL nodes it binds arguments from."""

    key: str
    page: Page | Single | Node
    field_def: GraphQLField
    node: FieldNode
    # The connection's SQL around the WHERE terms and `first`, with `{where}` and `{first}` slots.
    template: str


@dataclass(frozen=True)
class Plan:
    """A compiled operation: the statement's parts; `bind` makes the statement of one request."""

    roots: Sequence[tuple[str, RootPage | None]]  # None: `__typename`
    typename: str
    scope_values: Sequence[ScopeValue] = ()
    sql_cache: dict[tuple[Any, ...], str] = field(default_factory=dict)

    @functools.cached_property
    def needs_today(self) -> bool:
        return any("{today}" in root.template for _, root in self.roots if root is not None)

    def bind(self, variables: VariableValues, scope: Scope) -> tuple[str, list[Any]]:
        """The statement and its parameters for these variables; Fallback (or a DomainError) when a value is
        one only the resolvers can answer (they then say why)."""
        params: list[Any] = []

        def bind(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        parts: list[tuple[str, ...]] = []
        for _key, root in self.roots:
            if root is None:
                continue
            args = get_argument_values(root.field_def, root.node, variables)
            first = args.get("first")
            if isinstance(root.page, Single | Node):
                first = 1
            elif not isinstance(first, int) or not 0 < first <= MAX_PAGE:
                raise Fallback("first out of range: the resolver says so")
            if isinstance(root.page, Node) and node_type(args.get("id")) != root.page.rows.type_name:
                raise Fallback("a node of another type than the plan's")
            where = _node_terms if isinstance(root.page, Node) else root.page.where
            terms = tuple(where(args, bind, scope))
            if isinstance(root.page, Page):
                terms += tuple(root.page.after(args, bind))
            parts.append((bind(first), *terms))
        # A list price "in force today" is today's in UTC, as the resolver's.
        today = bind(dt.datetime.now(dt.UTC).date()) if self.needs_today else ""
        scoped = tuple(bind(value.read(scope)) for value in self.scope_values)
        key = (tuple(parts), today, scoped)
        sql = self.sql_cache.get(key)
        if sql is None:
            sql = self.sql_cache[key] = self._statement(parts, today, scoped)
        return sql, params

    def _statement(self, parts: list[tuple[str, ...]], today: str, scoped: tuple[str, ...]) -> str:
        pairs: list[tuple[str, str]] = []
        bound = iter(parts)
        for key, root in self.roots:
            if root is None:
                pairs.append((key, _literal(self.typename)))
                continue
            first, *terms = next(bound)
            where = " AND ".join(f"({term.format(r='r')})" for term in terms) or "true"
            sql = root.template.replace("{where}", where).replace("{first}", first).replace("{today}", today)
            for index, placeholder in enumerate(scoped):
                sql = sql.replace(f"{{s{index}}}", placeholder)
            pairs.append((key, sql))
        return f"SELECT json_build_object('data', {_json_object(pairs)})::text"


def _connection_sql(request: _Request, page: Page, connection: GraphQLObjectType,
                    selection: SelectionSetNode | None) -> str:  # fmt: skip
    """The connection's JSON over up to first + 1 keyset-ordered rows (the extra one only says more follow), as
    a CTE: each row's edge JSON is built in it (naming only the columns it reads: a role may hold privileges on
    some columns of a table only), with the key columns; the page info reads the CTE, so a cursor is encoded
    for the edges that show one and for the first and last row only."""
    rows = page.rows
    order = ", ".join(term.format(r="r") for term in page.order)
    inner = [f"row_number() OVER (ORDER BY {order}) AS __n", f"r.{page.key}", "r.id"]
    pairs: list[tuple[str, str]] = []
    for key, nodes in collect(request, connection, selection).items():
        name = nodes[0].name.value
        if name == "__typename":
            pairs.append((key, _literal(connection.name)))
        elif name == "edges":
            edge_type, _ = _unwrap(connection.fields["edges"].type)
            cursor = cursor_sql([part.format(r="r") for part in page.cursor])
            inner.append(f"{_edge_sql(request, rows, edge_type, _merged(nodes), cursor)} AS e{len(inner)}")
            edges = f"json_agg(pg.e{len(inner) - 1} ORDER BY pg.__n)"
            pairs.append((key, f"(SELECT coalesce({edges}, '[]'::json) FROM pg WHERE pg.__n <= {{first}})"))
        elif name == "pageInfo":
            info_type, _ = _unwrap(connection.fields["pageInfo"].type)
            pairs.append((key, _page_info_sql(request, info_type, _merged(nodes), page)))
        else:
            raise Fallback(f"{connection.name}.{name}")
    return (
        f"(WITH pg AS (SELECT {', '.join(inner)} FROM {page.table} AS r WHERE {{where}} "
        f"ORDER BY {order} LIMIT {{first}} + 1) SELECT {_json_object(pairs)})"
    )


def _single_sql(request: _Request, single: Single, graphql_type: GraphQLObjectType,
                selection: SelectionSetNode | None) -> str:  # fmt: skip
    """One row's JSON, or null when none matches."""
    element = object_sql(request, single.rows, graphql_type, selection, "r")
    return f"(SELECT {element} FROM {single.table} AS r WHERE {{where}} LIMIT {{first}})"


def _edge_sql(request: _Request, rows: Rows, edge_type: GraphQLObjectType, selection: SelectionSetNode | None,
              cursor: str) -> str:  # fmt: skip
    pairs: list[tuple[str, str]] = []
    for key, nodes in collect(request, edge_type, selection).items():
        name = nodes[0].name.value
        if name == "__typename":
            pairs.append((key, _literal(edge_type.name)))
        elif name == "cursor":
            pairs.append((key, cursor))
        elif name == "node":
            node_type, _ = _unwrap(edge_type.fields["node"].type)
            pairs.append((key, object_sql(request, rows, node_type, _merged(nodes), "r")))
        else:
            raise Fallback(f"{edge_type.name}.{name}")
    return _json_object(pairs)


def _page_info_sql(request: _Request, info_type: GraphQLObjectType, selection: SelectionSetNode | None,
                   page: Page) -> str:  # fmt: skip
    cursor = cursor_sql([part.format(r="pg") for part in page.cursor])
    pairs: list[tuple[str, str]] = []
    for key, nodes in collect(request, info_type, selection).items():
        name = nodes[0].name.value
        if name == "__typename":
            pairs.append((key, _literal(info_type.name)))
        elif name == "hasNextPage":
            pairs.append((key, "(SELECT count(*) > {first} FROM pg)"))
        elif name == "hasPreviousPage":
            pairs.append((key, "false"))
        elif name == "startCursor":
            pairs.append((key, f"(SELECT {cursor} FROM pg WHERE pg.__n = 1)"))
        elif name == "endCursor":
            pairs.append((key, f"(SELECT {cursor} FROM pg WHERE pg.__n <= {{first}} ORDER BY pg.__n DESC LIMIT 1)"))
        else:
            raise Fallback(f"{info_type.name}.{name}")
    return _json_object(pairs)


class Planner:
    """Plans operations against one schema and the pages and types the contexts declared."""

    def __init__(
        self, schema: GraphQLSchema, pages: Sequence[Page | Single], rows: Sequence[Rows], nodes: Sequence[Node] = ()
    ) -> None:
        self.schema = schema
        self.nodes = {node.rows.type_name: node for node in nodes}
        self.pages = {page.field: page for page in pages}
        self.rows = {declared.type_name: declared for declared in rows}
        query = schema.query_type
        assert query is not None
        self.query = query
        self._check_declarations()

    def _check_declarations(self) -> None:
        """Every declared field names a field of its GraphQL type (a rename cannot leave a stale SQL form)."""
        for declared in self.rows.values():
            graphql_type = self.schema.get_type(declared.type_name)
            assert isinstance(graphql_type, GraphQLObjectType), declared.type_name
            python_names = {_python_name(_strawberry_field(f)) for f in graphql_type.fields.values()}
            unknown = set(declared.fields) - python_names
            assert not unknown, f"{declared.type_name} declares no such fields: {sorted(unknown)}"

    def plan(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        principal: Principal,
    ) -> Plan:
        """The plan of a validated query operation, or Fallback. `variables` decide @skip/@include only (the
        caller keys the plan by the values those directives read)."""
        if operation.operation is not OperationType.QUERY:
            raise Fallback("not a query")
        request = _Request(self.schema, fragments, variables, principal, self.rows)
        roots: list[tuple[str, RootPage | None]] = []
        for key, nodes in collect(request, self.query, operation.selection_set).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append((key, None))
                continue
            field_def = self.query.fields.get(name)
            if field_def is None or len(nodes) > 1:
                raise Fallback(f"root field {name}")
            definition = _check_permission(request, field_def)
            if _python_name(definition) == "node":
                found = self._node(request, field_def, nodes[0], variables)
                roots.append((key, RootPage(key, found[0], field_def, nodes[0], found[1])))
                continue
            page = self.pages.get(_python_name(definition))
            if page is None:
                raise Fallback(f"{name} is not a compiled page")
            returned, _ = _unwrap(field_def.type)
            if isinstance(page, Single):
                if nodes[0].arguments:
                    raise Fallback(f"arguments on {name}")
                template = _single_sql(request, page, returned, nodes[0].selection_set)
            else:
                template = _connection_sql(request, page, returned, nodes[0].selection_set)
            roots.append((key, RootPage(key, page, field_def, nodes[0], template)))
        return Plan(roots=roots, typename=self.query.name, scope_values=tuple(request.scope_values))

    def _node(
        self, request: _Request, field_def: GraphQLField, field: FieldNode, variables: VariableValues
    ) -> tuple[Node, str]:
        """`node(id:)` for a type declared as a Node: the plan is the one of the id's type (its key holds it)."""
        type_name = node_type(get_argument_values(field_def, field, variables).get("id"))
        found = self.nodes.get(type_name or "")
        graphql_type = self.schema.get_type(type_name or "")
        if found is None or not isinstance(graphql_type, GraphQLObjectType):
            raise Fallback(f"node of {type_name}")
        if not request.principal.may(found.permission):
            raise Fallback(f"{found.permission} is not granted: the by-id service answers the error")
        element = object_sql(request, found.rows, graphql_type, field.selection_set, "r")
        return found, f"(SELECT {element} FROM {found.table} AS r WHERE {{where}} LIMIT {{first}})"

    def node_types(self, operation: OperationDefinitionNode, variables: VariableValues) -> tuple[str | None, ...]:
        """The types the `node` root fields' ids name: part of a plan's key, as each type has its own plan."""
        found = []
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value == "node":
                field_def = self.query.fields["node"]
                found.append(node_type(get_argument_values(field_def, selection, variables).get("id")))
        return tuple(found)


def directive_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables @skip/@include read: their values are part of a plan's key."""
    names: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
            if isinstance(selection, FieldNode | InlineFragmentNode):
                visit(selection.selection_set)

    visit(operation.selection_set)
    for fragment in fragments.values():
        visit(fragment.selection_set)
    return tuple(sorted(names))
