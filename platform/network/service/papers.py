"""The onboarding's papers as PDF: the letter of intent (意向书), later the authorisation certificate. Chinese
text uses reportlab's built-in CID font (STSong-Light), so no font file ships with the platform."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@dataclass(frozen=True)
class LetterOfIntent:
    number: str
    network: str
    company: str
    site_address: str
    region: str
    issued_on: date


def _page(title: str, heading: str, lines: Sequence[str]) -> bytes:
    """One A4 page: a centred heading and lines of text, Chinese or English."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)  # invariant: the same paper, the same bytes
    page.setTitle(title)
    width, height = A4
    page.setFont(FONT, 22)
    page.drawCentredString(width / 2, height - 90, heading)
    page.setFont(FONT, 11)
    y = height - 140
    for line in lines:
        page.drawString(60, y, line)
        y -= 20
    page.showPage()
    page.save()
    return buffer.getvalue()


def specimen_pdf(heading: str, company: str) -> bytes:
    """A marked specimen of a document an applicant hands in (the demo's licences)."""
    return _page(heading, heading, [company, "", "样本 SPECIMEN — demo data, not a real document"])


def letter_of_intent_pdf(letter: LetterOfIntent) -> bytes:
    """One A4 page: the number, the parties, what the applicant must do next, in Chinese and English."""
    lines = [
        f"编号 No.: {letter.number}",
        f"日期 Date: {letter.issued_on.isoformat()}",
        "",
        f"{letter.network} 服务网络发展委员会批准 {letter.company} 成为特约服务中心的意向。",
        f"The service network development committee of {letter.network} approves the intent to authorise",
        f"{letter.company} as a service centre at {letter.site_address} ({letter.region}).",
        "",
        "贵方须订购规定的工具设备、启动库存备件及VI用品, 全部到货后安排验收。",
        "You are to order the prescribed tools and equipment, the start-up parts stock and the VI kit;",
        "acceptance inspection is scheduled once all three are delivered. A contract follows a passed inspection;",
        "a second failed inspection cancels this intent.",
    ]
    return _page(f"意向书 Letter of intent {letter.number}", "意向书  Letter of Intent", lines)


@dataclass(frozen=True)
class Certificate:
    number: str
    network: str
    company: str
    site_address: str
    service_types: Sequence[str]
    term_start: date
    term_end: date


SERVICE_TYPE_LABELS = {"paid": "有偿服务", "contract": "合同服务", "warranty": "保修服务", "internal": "内部服务"}


def certificate_pdf(certificate: Certificate) -> bytes:
    """The authorisation certificate (授权证书): the station's number, services and term."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setTitle(f"授权证书 Authorisation certificate {certificate.number}")
    width, height = A4
    page.setFont(FONT, 24)
    page.drawCentredString(width / 2, height - 110, "特约服务中心授权证书")
    page.setFont(FONT, 14)
    page.drawCentredString(width / 2, height - 140, "Certificate of Authorised Service Centre")
    services = ", ".join(f"{SERVICE_TYPE_LABELS[t]} {t}" for t in certificate.service_types)
    lines = [
        f"授权编号 Authorisation No.: {certificate.number}",
        f"{certificate.company}",
        f"{certificate.site_address}",
        f"服务类型 Services: {services}",
        f"有效期 Valid: {certificate.term_start.isoformat()} to {certificate.term_end.isoformat()}",
        f"授权方 Issued by: {certificate.network}",
    ]
    y = height - 200
    page.setFont(FONT, 12)
    for line in lines:
        page.drawCentredString(width / 2, y, line)
        y -= 24
    page.showPage()
    page.save()
    return buffer.getvalue()
