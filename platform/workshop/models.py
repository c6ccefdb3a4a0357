"""The workshop's tables. Vehicles are the network's register (HQ keeps it, its stations read it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ForeignKey, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.db import Base, IdMixin


class Vehicle(IdMixin, Base):
    """A vehicle of the network's register, by VIN: built on its production date, its warranty starting on its
    sale date."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("network_id", "vin"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    vin: Mapped[str] = mapped_column(String(17))
    model: Mapped[str] = mapped_column(String(40))
    production_date: Mapped[date]
    sale_date: Mapped[date | None]
    selling_dealer: Mapped[str] = mapped_column(String(200), default="")
    first_registration: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Customer(Base):
    """A station's customer record (personal data): the station that serves them keeps it; HQ may read it,
    and each HQ read of a phone number is journaled. Keyed `(station_id, id)` like every station-owned
    table of the workshop."""

    __tablename__ = "customers"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StationCounter(Base):
    """A station's own number series (its repair orders and completion certificates per year)."""

    __tablename__ = "station_counters"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(40), primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    value: Mapped[int] = mapped_column(Integer)


class RepairOrder(Base):
    """A station's repair order (工单): the reception sheet's facts, then each step of the chain, timestamped."""

    __tablename__ = "repair_orders"
    __table_args__ = (UniqueConstraint("station_id", "number"),)

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[UUID] = mapped_column(ForeignKey("vehicles.id"))
    customer_id: Mapped[UUID]
    arrival: Mapped[str] = mapped_column(String(16))
    odometer_km: Mapped[int] = mapped_column(Integer)
    odometer_reason: Mapped[str] = mapped_column(String(300), default="")
    fuel_eighths: Mapped[int] = mapped_column(SmallInteger)
    visible_damage: Mapped[str] = mapped_column(Text, default="")
    belongings: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    concern: Mapped[str] = mapped_column(Text)
    repair_level: Mapped[str | None] = mapped_column(String(40))
    promised_at: Mapped[datetime]
    received_at: Mapped[datetime]
    received_by: Mapped[UUID | None]
    comeback_of: Mapped[UUID | None]
    work_started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    inspected_by: Mapped[UUID | None]
    certificate_number: Mapped[str | None] = mapped_column(String(20))
    settled_at: Mapped[datetime | None]
    handed_over_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    dms_reference: Mapped[str] = mapped_column(String(40), default="")  # the DMS's own number, once per station
    # When the customer is to hear the car is (nearly) ready (rules.customer_notice_at of the promise), when the
    # adviser was reminded of it, and when and by whom the customer was told.
    customer_notice_at: Mapped[datetime]
    customer_reminded_at: Mapped[datetime | None]
    customer_told_at: Mapped[datetime | None]
    customer_told_by: Mapped[UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RepairOrderLine(Base):
    """A line of a repair order: a labour operation, a part, sublet work or another cost, of one service type,
    with the customer's consent and (once worked) its technician and the 3C narrative."""

    __tablename__ = "repair_order_lines"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    repair_order_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(8))
    service_type: Mapped[str] = mapped_column(String(16))
    labour_operation_id: Mapped[UUID | None]
    part_id: Mapped[UUID | None]
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # hours for labour, units for parts
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    price_source: Mapped[UUID | None]  # the labour rate or part price row it was priced by
    consent: Mapped[str] = mapped_column(String(16))
    consent_recorded_by: Mapped[UUID | None]
    consent_recorded_at: Mapped[datetime | None]
    added_after_consent: Mapped[bool] = mapped_column(default=False)
    technician_id: Mapped[UUID | None]
    concern: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    correction: Mapped[str] = mapped_column(Text, default="")
    corrects: Mapped[UUID | None]  # the settled line this one reverses
    correction_reason: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(String(300), default="")  # a sublet or other cost: what it is
    reference: Mapped[str] = mapped_column(String(100), default="")  # and its invoice's number
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartsOrder(Base):
    """A station's parts order to HQ (stock, or emergency for a vehicle off the road) and what became of it:
    HQ's allocation and shipment, the station's receipt."""

    __tablename__ = "parts_orders"
    __table_args__ = (UniqueConstraint("station_id", "number"),)

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    vehicle_id: Mapped[UUID | None] = mapped_column(ForeignKey("vehicles.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime]
    submitted_by: Mapped[UUID | None]
    allocated_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    received_at: Mapped[datetime | None]
    received_by: Mapped[UUID | None]


class PartsOrderLine(Base):
    """A part and its quantities: ordered, allocated and shipped by HQ, received (with a discrepancy, a
    transit claim)."""

    __tablename__ = "parts_order_lines"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    parts_order_id: Mapped[UUID]
    position: Mapped[int] = mapped_column(SmallInteger)
    part_id: Mapped[UUID] = mapped_column(ForeignKey("parts.id"))
    ordered: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int | None] = mapped_column(Integer)
    shipped: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int | None] = mapped_column(Integer)
    discrepancy: Mapped[str] = mapped_column(String(16), default="none")
    discrepancy_note: Mapped[str] = mapped_column(String(500), default="")


class RepairOrderFile(Base):
    """A photo or document of a repair order (damage at reception, a part, a signed sheet), in the file store."""

    __tablename__ = "repair_order_files"

    station_id: Mapped[UUID] = mapped_column(primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    repair_order_id: Mapped[UUID]
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_by: Mapped[UUID | None]
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now())
