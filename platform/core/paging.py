"""Page sizes: every list is paged, and no page is larger than MAX_PAGE."""

from dealernet.core.errors import ValidationFailed

MAX_PAGE = 100


def check_page_size(first: int) -> None:
    if not 0 < first <= MAX_PAGE:
        raise ValidationFailed(
            f"first must be between 1 and {MAX_PAGE}", fields={"first": f"must be between 1 and {MAX_PAGE}"}
        )
