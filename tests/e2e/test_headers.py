"""Issue 14 item 7: security headers on every answer, /metrics closed in production, and uploaded files'
names cleaned before they are kept (docs/security.md HTTP-1..3)."""

from __future__ import annotations

import httpx
import pytest

from dealernet.core.settings import Settings, load_settings
from dealernet.core.storage import clean_filename
from tests.conftest import Serve

EXPECTED = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def _production(settings: Settings, **extra: str) -> Settings:
    return load_settings(
        env="production",
        database_url="postgresql://u@db:5432/d",
        redis_url="redis://r:6379/0",
        signing_key=settings.signing_key,
        **extra,
    )


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/graphql"), ("GET", "/health"), ("GET", "/nowhere"), ("POST", "/imports")]
)
async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path, json={"query": "{ __typename }"} if path == "/graphql" else None)
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED, (path, response.status_code)
    assert "strict-transport-security" not in response.headers  # served over plain http


async def test_the_development_ide_page_keeps_out_of_frames_only(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"  # its scripts still load


async def test_behind_tls_answers_ask_for_https_only(settings: Settings, serve: Serve) -> None:
    async with serve(_production(settings, public_url="https://dealernet.example.com")) as http:
        response = await http.get("/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_metrics_are_closed_in_production_without_the_scrapers_token(settings: Settings, serve: Serve) -> None:
    async with serve(_production(settings)) as http:
        assert (await http.get("/metrics")).status_code == 404
    async with serve(_production(settings, metrics_token="scrape-" + "x" * 24)) as http:
        assert (await http.get("/metrics")).status_code == 404
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        scraped = await http.get("/metrics", headers={"Authorization": "Bearer scrape-" + "x" * 24})
        assert scraped.status_code == 200
        assert "dealernet" in scraped.text


async def test_metrics_are_open_in_development(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\li\\营业执照.pdf", "营业执照.pdf"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override would show "exe.pdf"
        ("a\x00b.pdf", "ab.pdf"),
        ("\u200b photo  one.png ", "photo one.png"),
        ("   ", "file"),
    ],
)
def test_an_uploaded_files_name_is_cleaned(given: str, kept: str) -> None:
    assert clean_filename(given) == kept
