"""Public registration of prospective dealers: a registration waits for its e-mail to be verified; the
verification opens the applicant's own station tenant (status `applicant`) with a draft application and
the registrant as its station manager.

The login path (app_auth) does this before any tenant exists, so it gets exactly what it needs and no
more: registrations; INSERT of a station only in status `applicant` and of an application only as a draft;
and, in the outbox, only the registration mail.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
MAIL_JOB = "network.send_registration_mail"


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_registrations_network_id_networks"),
                  nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("verified_at", TS),
        sa.Column("station_id", UUID),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_registrations_network_id_station_id_stations"),
        sa.UniqueConstraint("token_hash", name="uq_registrations_token_hash"),
        sa.CheckConstraint("(verified_at IS NULL) = (station_id IS NULL)", name="verified"),
    )
    op.create_index("ix_registrations_network_created", "registrations", ["network_id", "created_at"])
    op.enable_rls("registrations")
    op.create_rls_policy("registrations", "app_auth", using="true")
    # HQ sees who registered and whether they verified; a station never sees registrations.
    op.create_rls_policy("registrations", "app_oem", using=f"network_id = {NETWORK_SETTING}", command="SELECT")
    op.grant_app("registrations", app_auth="SELECT, INSERT, UPDATE (verified_at, station_id)", app_oem="SELECT")

    op.create_rls_policy("stations", "app_auth", using="true", check="status = 'applicant'", command="INSERT",
                         name="stations_app_auth_register")
    op.grant_app("stations", app_auth="INSERT")
    op.create_rls_policy("applications", "app_auth", using="true", check="stage = 'draft' AND version = 1",
                         command="INSERT", name="applications_app_auth_register")
    op.grant_app("applications", app_auth="INSERT")
    op.create_rls_policy("outbox", "app_auth", using="true",
                         check=f"job = '{MAIL_JOB}' AND station_id IS NULL", command="INSERT",
                         name="outbox_app_auth_registration_mail")
    op.grant_app("outbox", app_auth="INSERT")


def downgrade() -> None:
    op.execute('DROP POLICY "outbox_app_auth_registration_mail" ON outbox')
    op.execute("REVOKE INSERT ON outbox FROM app_auth")
    op.execute('DROP POLICY "applications_app_auth_register" ON applications')
    op.execute("REVOKE INSERT ON applications FROM app_auth")
    op.execute('DROP POLICY "stations_app_auth_register" ON stations')
    op.execute("REVOKE INSERT ON stations FROM app_auth")
    op.drop_table("registrations")
