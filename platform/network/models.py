"""Onboarding tables: applications (one per applicant station), versioned rubrics and the assessments
scored against them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base, IdMixin


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


class RegionQuota(IdMixin, Base):
    """The network development plan: how many stations a region needs."""

    __tablename__ = "region_quotas"

    network_id: Mapped[UUID]
    region_id: Mapped[UUID] = mapped_column(unique=True)
    stations_needed: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SiteVisit(IdMixin, Base):
    """A planned site visit (实地走访) and, once made, its interview score and site survey."""

    __tablename__ = "site_visits"

    network_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    planned_on: Mapped[date]
    visitor_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid))
    interview_assessment_id: Mapped[UUID | None] = mapped_column(ForeignKey("assessments.id"))
    survey: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    findings: Mapped[str] = mapped_column(Text, default="")
    planned_by: Mapped[UUID | None]
    visited_at: Mapped[datetime | None]
    recorded_by: Mapped[UUID | None]


class CommitteeVote(IdMixin, Base):
    """A development committee member's vote on an application (one each, changeable until decided)."""

    __tablename__ = "committee_votes"
    __table_args__ = (UniqueConstraint("application_id", "member_id"),)

    network_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    member_id: Mapped[UUID]
    vote: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    voted_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LetterOfIntent(IdMixin, Base):
    """The letter of intent (意向书) issued to an approved applicant: its number and PDF."""

    __tablename__ = "letters_of_intent"
    __table_args__ = (UniqueConstraint("network_id", "number"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    issued_by: Mapped[UUID | None]
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    cancelled_at: Mapped[datetime | None]


class StartupOrder(IdMixin, Base):
    """A start-up order the new station must place: tools and equipment, the start-up parts stock, the VI kit."""

    __tablename__ = "startup_orders"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    kind: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(60))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    ordered_at: Mapped[datetime] = mapped_column(server_default=func.now())
    due_on: Mapped[date]
    delivered_at: Mapped[datetime | None]
    delivery_note: Mapped[str] = mapped_column(String(300), default="")


class AcceptanceInspection(IdMixin, Base):
    __tablename__ = "acceptance_inspections"
    __table_args__ = (UniqueConstraint("application_id", "round"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    round: Mapped[int]
    assessment_id: Mapped[UUID] = mapped_column(ForeignKey("assessments.id"))
    passed: Mapped[bool]
    inspected_at: Mapped[datetime] = mapped_column(server_default=func.now())
    inspected_by: Mapped[UUID | None]


class RectificationItem(IdMixin, Base):
    """A failed acceptance item to put right by a deadline (限期整改); re-inspection closes it."""

    __tablename__ = "rectification_items"
    __table_args__ = (UniqueConstraint("inspection_id", "code"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"))
    inspection_id: Mapped[UUID] = mapped_column(ForeignKey("acceptance_inspections.id"))
    code: Mapped[str] = mapped_column(String(40))
    label_zh: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    closed_at: Mapped[datetime | None]
    closed_by_inspection_id: Mapped[UUID | None]
    reminded_at: Mapped[datetime | None]


class Contract(IdMixin, Base):
    """The authorised service agreement (授权服务协议): the station's authorisation number and certificate."""

    __tablename__ = "contracts"
    __table_args__ = (UniqueConstraint("network_id", "authorisation_number"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    authorisation_number: Mapped[str] = mapped_column(String(40))
    term_start: Mapped[date]
    term_end: Mapped[date]
    service_types: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    signed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    signed_by: Mapped[UUID | None]
    certificate_key: Mapped[str] = mapped_column(String(300), unique=True)
    certificate_sha256: Mapped[str] = mapped_column(String(64))


class StaffCertificate(IdMixin, Base):
    """A technician's or adviser's certificate (上岗证): the service types it qualifies for, until it expires."""

    __tablename__ = "staff_certificates"
    __table_args__ = (UniqueConstraint("network_id", "certificate_number"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    person_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    service_types: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    course: Mapped[str] = mapped_column(String(200))
    certificate_number: Mapped[str] = mapped_column(String(40))
    passed_on: Mapped[date]
    expires_on: Mapped[date]
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    reminded_at: Mapped[datetime | None]


class Registration(IdMixin, Base):
    """A prospective dealer's registration, waiting for its e-mail address to be confirmed; confirming
    opens the applicant's station tenant (`station_id`)."""

    __tablename__ = "registrations"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    email: Mapped[str] = mapped_column(String(320))
    company_name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
    station_id: Mapped[UUID | None]


class StationDocument(IdMixin, Base):
    """A document a station handed in (营业执照, 税务登记证, site photos); the bytes are under `storage_key`."""

    __tablename__ = "station_documents"

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    application_id: Mapped[UUID | None] = mapped_column(ForeignKey("applications.id"))
    profile_change_id: Mapped[UUID | None] = mapped_column(ForeignKey("profile_changes.id"))
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by: Mapped[UUID | None]
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SiteVisitPhoto(IdMixin, Base):
    """A photo HQ's visitors took on a site visit (HQ's alone)."""

    __tablename__ = "site_visit_photos"

    network_id: Mapped[UUID]
    site_visit_id: Mapped[UUID] = mapped_column(ForeignKey("site_visits.id"))
    caption: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by: Mapped[UUID | None]
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StationProfile(IdMixin, Base):
    """A station's registered data: what profile changes change."""

    __tablename__ = "station_profiles"

    network_id: Mapped[UUID]
    station_id: Mapped[UUID] = mapped_column(unique=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    service_area: Mapped[str] = mapped_column(String(500), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account: Mapped[str] = mapped_column(String(60), default="")
    legal_representative: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProfileChange(IdMixin, Base):
    """A change of a station's registered data (资料变更): recorded, filed (late after three days), and for key
    data approved by HQ before it takes effect."""

    __tablename__ = "profile_changes"

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    changed_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    after: Mapped[dict[str, str]] = mapped_column(JSONB)
    recorded_by: Mapped[UUID | None]
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    filed_at: Mapped[datetime | None]
    filed_late: Mapped[bool] = mapped_column(default=False)
    decided_by: Mapped[UUID | None]
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    reminded_at: Mapped[datetime | None]


class NetworkCounter(Base):
    """The last number a network issued in a series (letters of intent of a year, authorisation numbers)."""

    __tablename__ = "network_counters"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]


class TierRepairLevels(Base):
    """The repair levels a station of a tier may do (维修级别, set by the service agreement); a tier without a
    row is not restricted."""

    __tablename__ = "tier_repair_levels"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(8), primary_key=True)
    repair_levels: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CommitteeMember(Base):
    """A member of the network's development committee (发展委员会): one of HQ's staff HQ appointed. Only
    members vote, and the decision counts the votes of those still on the roster."""

    __tablename__ = "committee_members"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    appointed_by: Mapped[UUID | None]
    appointed_at: Mapped[datetime] = mapped_column(server_default=func.now())
