"""What a reader who may not see a personal field gets instead: null, or a mask that keeps the shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mask = Callable[[Any], Any]


def null(value: Any) -> None:
    return None


def personal_id(value: Any) -> str | None:
    """'001087123456' -> '001*******56': the province of registration and two digits, nothing that identifies."""
    if not isinstance(value, str) or len(value) < 6:
        return None
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def phone(value: Any) -> str | None:
    """'0912345678' -> '09*****678'."""
    if not isinstance(value, str) or len(value) < 6:
        return None
    return value[:2] + "*" * (len(value) - 5) + value[-3:]


def name(value: Any) -> str | None:
    """'Nguyễn Văn An' -> 'Nguyễn V. A.': the family name and initials (the register's own abbreviation)."""
    if not isinstance(value, str) or not value.strip():
        return None
    family, *rest = value.split()
    return " ".join([family, *[f"{part[0]}." for part in rest]])


def initial(value: Any) -> str | None:
    """A single name part -> its initial."""
    if not isinstance(value, str) or not value:
        return None
    return value[0] + "."


def document_number(value: Any) -> str | None:
    """Any identity document number -> its last two characters."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    return "*" * (len(value) - 2) + value[-2:]


DESCRIBE: dict[Mask, str] = {
    null: "null",
    personal_id: "a masked personal ID such as 001*******56",
    phone: "a masked phone such as 09*****678",
    name: "the family name and initials",
    initial: "the initial",
    document_number: "the last two characters",
}
