"""Onboarding tables: applications (one per applicant station), versioned rubrics and the assessments
scored against them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.db import Base, IdMixin


class Rubric(IdMixin, Base):
    """A version of a rubric of weighted criteria (评分标准): the application's, the interview's or the
    acceptance checklist. Never changed once made: a new version is a new row."""

    __tablename__ = "rubrics"
    __table_args__ = (UniqueConstraint("network_id", "kind", "version"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RubricCriterion(IdMixin, Base):
    __tablename__ = "rubric_criteria"
    __table_args__ = (UniqueConstraint("rubric_id", "code"),)

    network_id: Mapped[UUID]
    rubric_id: Mapped[UUID] = mapped_column(ForeignKey("rubrics.id"))
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    label_zh: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    max_points: Mapped[int]


class Application(IdMixin, Base):
    """An applicant's application form (特约服务中心申请表) and where it stands in the pipeline."""

    __tablename__ = "applications"

    network_id: Mapped[UUID]
    station_id: Mapped[UUID] = mapped_column(unique=True)
    stage: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    company_name: Mapped[str] = mapped_column(String(200))
    legal_representative: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    registered_address: Mapped[str] = mapped_column(String(300), default="")
    site_address: Mapped[str] = mapped_column(String(300), default="")
    region_id: Mapped[UUID | None]
    workshop_area_m2: Mapped[int | None]
    bays: Mapped[int | None]
    staff: Mapped[int | None]
    certified_technicians: Mapped[int | None]
    equipment: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    brands: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Assessment(IdMixin, Base):
    """A scoring of an application (or interview, acceptance) against one rubric version, item by item."""

    __tablename__ = "assessments"

    network_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    rubric_id: Mapped[UUID] = mapped_column(ForeignKey("rubrics.id"))
    kind: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    note: Mapped[str] = mapped_column(Text, default="")
    assessed_by: Mapped[UUID | None]
    assessed_at: Mapped[datetime] = mapped_column(server_default=func.now())
