"""Policy tables: the parts catalogue (parts, supersessions, the service BOM), publications with their
deliveries, and the effective-dated part prices."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base, IdMixin


class Part(IdMixin, Base):
    """A part of the network's catalogue, by part number, with the partner that supplies it."""

    __tablename__ = "parts"
    __table_args__ = (UniqueConstraint("network_id", "part_number"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    part_number: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    component_group: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(16), default="EA")
    supplier_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartSupersession(IdMixin, Base):
    """Old part replaced by a new one from a date; `interchangeable` says whether old stock may still be
    fitted."""

    __tablename__ = "part_supersessions"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    old_part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"), unique=True)
    new_part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    effective_on: Mapped[date]
    interchangeable: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ServiceBomLine(IdMixin, Base):
    """One part of a vehicle model's service BOM (SBOM) and how many the model has."""

    __tablename__ = "service_bom_lines"
    __table_args__ = (UniqueConstraint("network_id", "vehicle_model", "part_id"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    vehicle_model: Mapped[str] = mapped_column(String(40))
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class Publication(IdMixin, Base):
    """A policy document HQ drafts and publishes to all stations, some regions or a list of stations."""

    __tablename__ = "publications"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    effective_on: Mapped[date]
    region_id: Mapped[UUID | None]  # a regional document's region (a regional price list's prices)
    target_all: Mapped[bool]
    target_region_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    target_station_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    target_tiers: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    target_brands: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    acknowledge_within_days: Mapped[int] = mapped_column(default=14)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # Set when it was published effective before its publishing day: a correction of the past, and why.
    retroactive_reason: Mapped[str | None] = mapped_column(Text)


class PublicationDelivery(IdMixin, Base):
    """A publication delivered to one station, which acknowledges it by `acknowledge_by`."""

    __tablename__ = "publication_deliveries"
    __table_args__ = (UniqueConstraint("publication_id", "station_id"),)

    network_id: Mapped[UUID]
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    station_id: Mapped[UUID]
    delivered_at: Mapped[datetime] = mapped_column(server_default=func.now())
    acknowledge_by: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[UUID | None]
    reminded_at: Mapped[datetime | None]


class PartPrice(IdMixin, Base):
    """A part's list and dealer price in one price list, valid over [valid_from, valid_to). (The table also has
    `valid`, the same as a daterange, which the no-overlap constraint uses.)"""

    __tablename__ = "part_prices"
    __table_args__ = (UniqueConstraint("publication_id", "part_id", "currency"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("regions.id"))
    currency: Mapped[str] = mapped_column(String(3))
    list_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    dealer_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # the next version's valid_from; None: open-ended
    in_force: Mapped[bool] = mapped_column(default=False)


class LabourOperation(IdMixin, Base):
    """A labour operation code (工时代码) with its flat-rate hours (标准工时)."""

    __tablename__ = "labour_operations"
    __table_args__ = (UniqueConstraint("network_id", "code"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    code: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    flat_rate_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    component_group: Mapped[str] = mapped_column(String(40))
    # The operations the labour standard declares included in this one (claimed together: overlapping).
    includes: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Import(IdMixin, Base):
    """One uploaded bulk file (catalogue, prices, vehicle register, a station's repair orders) and what became
    of it: rows written, rows rejected with their
    line numbers and reasons (the first 1,000)."""

    __tablename__ = "imports"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    kind: Mapped[str] = mapped_column(String(16))  # an ImportKind
    station_id: Mapped[UUID | None] = mapped_column(ForeignKey("stations.id"))  # a station's own file (its DMS's)
    publication_id: Mapped[UUID | None] = mapped_column(ForeignKey("publications.id"))  # the draft price list
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    rows_total: Mapped[int | None]
    rows_written: Mapped[int | None]
    rows_rejected: Mapped[int | None]
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    created_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


class LabourRate(IdMixin, Base):
    """A region's labour rate per hour (地区差价; no region: the national rate) in one published rate card,
    valid over [valid_from, valid_to)."""

    __tablename__ = "labour_rates"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("regions.id"))
    currency: Mapped[str] = mapped_column(String(3))
    hourly_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    in_force: Mapped[bool] = mapped_column(default=False)


class WarrantyCoverage(IdMixin, Base):
    """How long a component group is covered: months or km, whichever comes first."""

    __tablename__ = "warranty_coverages"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    component_group: Mapped[str] = mapped_column(String(40))
    months: Mapped[int]
    km: Mapped[int]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    in_force: Mapped[bool] = mapped_column(default=False)


class WarrantyTerms(IdMixin, Base):
    """The rest of a warranty policy version: exclusions, repair-quality guarantees, the service types it
    knows and the three-guarantees (三包) parameters."""

    __tablename__ = "warranty_terms"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"), unique=True)
    exclusions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    repair_guarantees: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    service_types: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    three_guarantees: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    claim_rules: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # policy.rules.ClaimRules, as stored


class ServiceCommitments(IdMixin, Base):
    """Response times for ordinary and major issues, and the reports due, from the publication's date."""

    __tablename__ = "service_commitments"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"), unique=True)
    ordinary_response_hours: Mapped[int]
    major_response_hours: Mapped[int]
    reports: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class TechnicalBulletin(IdMixin, Base):
    """A technical service bulletin (技术通报): repair guidance for some models, VIN ranges and parts."""

    __tablename__ = "technical_bulletins"
    __table_args__ = (UniqueConstraint("network_id", "number"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    affected_models: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    vin_ranges: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    part_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)


class StockRuleRow(IdMixin, Base):
    """A component group's minimum-stock rule in a published set of rules (rules.StockRule is its value)."""

    __tablename__ = "stock_rules"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    component_group: Mapped[str] = mapped_column(String(40))
    per_thousand_vehicles: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    floor: Mapped[int] = mapped_column(default=0)
    ceiling: Mapped[int | None]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    in_force: Mapped[bool] = mapped_column(default=False)


class VehiclePopulation(IdMixin, Base):
    """Vehicles of one model in service in one region."""

    __tablename__ = "vehicle_populations"
    __table_args__ = (UniqueConstraint("region_id", "vehicle_model"),)

    network_id: Mapped[UUID]
    region_id: Mapped[UUID]
    vehicle_model: Mapped[str] = mapped_column(String(40))
    vehicles: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StockOverride(IdMixin, Base):
    """HQ's minimum stock of a part for one station, replacing the derived figure."""

    __tablename__ = "stock_overrides"
    __table_args__ = (UniqueConstraint("station_id", "part_id"),)

    network_id: Mapped[UUID]
    station_id: Mapped[UUID]
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    minimum: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    set_by: Mapped[UUID | None]
    set_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PriceCoefficient(IdMixin, Base):
    """A region's price coefficient (地区差价): its price is the national one times this, unless it has its own."""

    __tablename__ = "price_coefficients"

    network_id: Mapped[UUID]
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    region_id: Mapped[UUID]
    coefficient: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    in_force: Mapped[bool] = mapped_column(default=False)


class BulletinAttachment(IdMixin, Base):
    """A file attached to a technical bulletin; its bytes are in the object store under `storage_key`."""

    __tablename__ = "bulletin_attachments"

    network_id: Mapped[UUID]
    publication_id: Mapped[UUID] = mapped_column(ForeignKey("publications.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by: Mapped[UUID | None]
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())
