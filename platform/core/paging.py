"""Page sizes: every list is paged, and no page is larger than MAX_PAGE."""

from datetime import date, datetime

from dealernet.core.errors import ValidationFailed

MAX_PAGE = 100


def check_page_size(first: int) -> None:
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(
            f"first must be between 1 and {MAX_PAGE}", fields={"first": f"must be between 1 and {MAX_PAGE}"}
        )


def cursor_time(value: str) -> datetime:
    """The timestamp part of a list cursor; a VALIDATION error for one this server did not make."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("after is not a valid cursor", fields={"after": "invalid cursor"}) from None


def cursor_date(value: str) -> date:
    """The date part of a list cursor; a VALIDATION error for one this server did not make."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("after is not a valid cursor", fields={"after": "invalid cursor"}) from None
