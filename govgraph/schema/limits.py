"""Limits on the authenticated schema, with error codes a client can match, and production hardening.

Depth, aliases, tokens and root fields are checked before execution; page size is capped by every list
(``datasources.base.MAX_PAGE``); the execution timeout is applied by the HTTP view. In production (set in the
request context), introspection is refused, "Did you mean ...?" suggestions are removed from messages, and
unexpected errors are masked (no stack traces, no SQL).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension

MAX_DEPTH = int(os.environ.get("GOVGRAPH_MAX_DEPTH", "12"))
MAX_ALIASES = int(os.environ.get("GOVGRAPH_MAX_ALIASES", "150"))
MAX_TOKENS = int(os.environ.get("GOVGRAPH_MAX_TOKENS", "5000"))
MAX_ROOT_FIELDS = int(os.environ.get("GOVGRAPH_MAX_ROOT_FIELDS", "120"))
EXECUTION_TIMEOUT = float(os.environ.get("GOVGRAPH_EXECUTION_TIMEOUT", "10"))

_CODES = [
    (re.compile(r"exceeds maximum operation depth"), "MAX_DEPTH_LIMIT"),
    (re.compile(r"aliases found\. Allowed"), "MAX_ALIASES_LIMIT"),
    (re.compile(r"Document contains more than \d+ tokens"), "MAX_TOKENS_LIMIT"),
    (re.compile(r"root fields found\. Allowed"), "MAX_ROOT_FIELDS_LIMIT"),
    (re.compile(r"introspection is disabled", re.IGNORECASE), "INTROSPECTION_DISABLED"),
]
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def limit_code(message: str) -> str | None:
    for pattern, code in _CODES:
        if pattern.search(message):
            return code
    return None


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


class MaxRootFields(ValidationRule):
    """At most MAX_ROOT_FIELDS top-level fields per operation (fragments included)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        count = self._count(node.selection_set, set())
        if count > MAX_ROOT_FIELDS:
            self.report_error(GraphQLError(f"{count} root fields found. Allowed: {MAX_ROOT_FIELDS}", node))

    def _count(self, selection_set: SelectionSetNode, seen: set[str]) -> int:
        total = 0
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += 1
            elif isinstance(sel, InlineFragmentNode):
                total += self._count(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                seen.add(sel.name.value)
                fragment = self.context.get_fragment(sel.name.value)
                if fragment is not None:
                    total += self._count(fragment.selection_set, seen)
        return total


class ValidationRules(SchemaExtension):
    """Root-field limit always; introspection refused when the request context says production."""

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        rules: tuple[Any, ...] = (MaxRootFields,)
        settings = getattr(ec.context, "settings", None)
        if settings is not None and settings.env == "production":
            rules += (NoSchemaIntrospectionCustomRule,)
        ec.validation_rules = ec.validation_rules + rules
        yield


def limit_extensions() -> list[Any]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        ValidationRules,
    ]
