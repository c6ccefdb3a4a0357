"""The per-request floor (issue 17): a document validated once is not validated again — the validation cache
hits for a repeated document (its key holds the validation rules, so the limits must be the same rule classes
on every request) — and the limits still refuse what they refused."""

from __future__ import annotations

from strawberry.extensions import ValidationCache

from dealernet.api import MAX_ALIASES, MAX_DEPTH, build_schema

CACHE = ValidationCache(maxsize=1_000).cached_validate_document  # the cache every request's extension shares


async def test_a_repeated_document_is_validated_once() -> None:
    schema = build_schema(production=False)
    document = "query Cached { __typename viewer { email } }"
    await schema.execute(document)
    before = CACHE.cache_info()
    for _ in range(3):
        await schema.execute(document)
    after = CACHE.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)


async def test_the_cached_limits_still_refuse_too_deep_and_too_many_aliases() -> None:
    schema = build_schema(production=False)
    deep = "{ " + 'node(id: "x") { ... on Station { network { ' * MAX_DEPTH + "id" + " } } }" * MAX_DEPTH + " }"
    aliases = "{ " + " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1)) + " }"
    for document, word in ((deep, "depth"), (aliases, "aliases"), (deep, "depth")):  # again: from the cache
        result = await schema.execute(document)
        assert result.data is None
        assert word in " ".join(e.message for e in result.errors or [])
