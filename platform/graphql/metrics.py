"""Prometheus metrics per GraphQL operation (HTTP-level metrics come from Litestar's plugin)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

OPERATIONS = Counter(
    "dealernet_graphql_operations_total",
    "GraphQL operations by name, type and outcome",
    ["operation", "type", "outcome"],
)
LATENCY = Histogram(
    "dealernet_graphql_operation_seconds",
    "GraphQL operation latency by name and type",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_NAMES = 500
_seen: set[str] = set()


def _label(name: str | None) -> str:
    """Operation names come from clients: keep the label set bounded."""
    if not name:
        return "anonymous"
    if name in _seen:
        return name
    if _NAME.match(name) and len(_seen) < _MAX_NAMES:
        _seen.add(name)
        return name
    return "other"


def record(name: str | None, kind: str, outcome: str, seconds: float) -> None:
    """One operation's count and latency (the compiled path records its own, as the extension does)."""
    label = _label(name)
    OPERATIONS.labels(label, kind, outcome).inc()
    LATENCY.labels(label, kind).observe(seconds)


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            kind = ctx.operation_type.value
        except RuntimeError:  # the document did not parse
            kind = "invalid"
        outcome = "error" if ctx.result is not None and getattr(ctx.result, "errors", None) else "ok"
        record(ctx.operation_name, kind, outcome, time.perf_counter() - started)
