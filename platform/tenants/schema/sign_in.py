"""GraphQL for sign-in security: the network's single sign-on providers (HQ admins) and a person's own
second factor (TOTP)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, Role
from dealernet.core.scope import Scope
from dealernet.core.secrets import secret_box
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import IsAuthenticated, needs
from dealernet.tenants import models
from dealernet.tenants.service import factors, sso


@strawberry.type(description="One claim value and the role it grants.")
class RoleMappingPair:
    value: str = strawberry.field(description="A value of the role claim, e.g. a group name.")
    role: Role = strawberry.field(description="The HQ role it grants.")


@strawberry.type(description="An OpenID Connect identity provider the network's staff sign in with.")
class IdentityProvider:
    id: strawberry.ID = strawberry.field(description="The identity provider's global id.")
    name: str = strawberry.field(description="Its name in the sign-in URL: /auth/sso/<network code>/<name>.")
    issuer: str = strawberry.field(description="The provider's issuer URL (its discovery document lives below).")
    client_id: str = strawberry.field(description="Our client id at the provider. The secret is never shown.")
    scopes: str = strawberry.field(description="The OpenID scopes asked for, space separated.")
    role_claim: str = strawberry.field(description="The id-token claim that carries the role, e.g. groups.")
    role_mapping: list[RoleMappingPair] = strawberry.field(description="In order: the first match wins.")
    is_active: bool = strawberry.field(description="Whether sign-in through it is open.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: models.IdentityProvider) -> IdentityProvider:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            issuer=row.issuer,
            client_id=row.client_id,
            scopes=row.scopes,
            role_claim=row.role_claim,
            role_mapping=[RoleMappingPair(value=p["value"], role=p["role"]) for p in row.role_mapping],
            is_active=row.is_active,
            updated_at=row.updated_at,
        )


@strawberry.input(description="A claim value and the HQ role it grants.")
class RoleMappingInput:
    value: str = strawberry.field(description="The claim's value, e.g. a group name.")
    role: Role = strawberry.field(description="The HQ role it grants.")


@strawberry.input(description="A provider is created by name, or changed when the name exists.")
class ConfigureIdentityProviderInput:
    name: str = strawberry.field(description="Its name in the sign-in URL.")
    issuer: str = strawberry.field(description="The provider's issuer URL.")
    client_id: str = strawberry.field(description="Our client id at the provider.")
    client_secret: str | None = strawberry.field(default=None, description="Leave out to keep the stored one.")
    role_claim: str = strawberry.field(default="groups", description="The id-token claim that carries the role.")
    role_mapping: list[RoleMappingInput] = strawberry.field(
        default_factory=list, description="Claim values to HQ roles, in order: the first match wins."
    )
    scopes: str = strawberry.field(
        default="openid email profile", description="The OpenID scopes asked for, space separated."
    )
    is_active: bool = strawberry.field(default=True, description="Whether sign-in through it is open.")


@strawberry.type(description="What `configureIdentityProvider` answers when it worked.")
class IdentityProviderSuccess:
    identity_provider: IdentityProvider = strawberry.field(description="The identity provider as configured.")


@strawberry.type(description="Add the secret to an authenticator app, then confirm with its first code.")
class MfaEnrollment:
    secret: str = strawberry.field(description="The TOTP secret (base32); shown this once.")
    provisioning_uri: str = strawberry.field(description="An otpauth:// URI, for a QR code.")


@strawberry.type(description="The second factor is enrolled: sign-in now asks for a code.")
class MfaEnrollmentConfirmed:
    enrolled_at: datetime = strawberry.field(description="When it was enrolled.")


IdentityProviderResult = Annotated[
    IdentityProviderSuccess | ValidationError | ForbiddenError,
    strawberry.union(
        "IdentityProviderResult",
        description=(
            "IdentityProviderSuccess when it worked; otherwise ValidationError, ForbiddenError saying "
            "why nothing changed."
        ),
    ),
]
MfaEnrollmentResult = Annotated[
    MfaEnrollment | ConflictError | ForbiddenError,
    strawberry.union(
        "MfaEnrollmentResult",
        description=(
            "MfaEnrollment when it worked; otherwise ConflictError, ForbiddenError saying why nothing changed."
        ),
    ),
]
MfaConfirmResult = Annotated[
    MfaEnrollmentConfirmed | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union(
        "MfaConfirmResult",
        description=(
            "MfaEnrollmentConfirmed when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError, ForbiddenError saying why nothing changed."
        ),
    ),
]


@strawberry.type
class SignInQuery:
    @strawberry.field(extensions=needs(Permission.sso_manage), description="The network's single sign-on providers.")
    async def identity_providers(self, info: Info) -> list[IdentityProvider]:
        rows = await info.context.run(sso.list_providers)
        return [IdentityProvider.from_row(row) for row in rows]


@strawberry.type
class SignInMutation:
    @strawberry.mutation(
        extensions=needs(Permission.sso_manage),
        description="Create or change a single sign-on provider and the mapping of its role claim to HQ roles.",
    )
    async def configure_identity_provider(
        self,
        info: Info,
        input: Annotated[
            ConfigureIdentityProviderInput,
            strawberry.argument(description="The provider's settings (created or replaced by name)."),
        ],
    ) -> IdentityProviderResult:
        ctx = info.context

        async def configure(session: AsyncSession, scope: Scope) -> models.IdentityProvider:
            return await sso.configure_provider(
                session,
                scope,
                box=secret_box(ctx.settings, sso.BOX_PURPOSE),
                name=input.name.strip(),
                issuer=input.issuer,
                client_id=input.client_id,
                client_secret=input.client_secret,
                role_claim=input.role_claim,
                role_mapping=[(pair.value, pair.role) for pair in input.role_mapping],
                scopes=input.scopes,
                is_active=input.is_active,
            )

        return await attempt(
            ctx, configure, lambda row: IdentityProviderSuccess(identity_provider=IdentityProvider.from_row(row))
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Start enrolling a TOTP second factor for yourself (restarting replaces an unconfirmed one).",
    )
    async def start_mfa_enrollment(self, info: Info) -> MfaEnrollmentResult:
        box = secret_box(info.context.settings, factors.BOX_PURPOSE)

        async def start(session: AsyncSession, scope: Scope) -> factors.Enrollment:
            return await factors.start_enrollment(session, scope, box=box)

        return await attempt(
            info.context, start, lambda e: MfaEnrollment(secret=e.secret, provisioning_uri=e.provisioning_uri)
        )

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Confirm your second factor with a first code; logins then ask for a code (otp).",
    )
    async def confirm_mfa_enrollment(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="A current code from the authenticator app.")],
    ) -> MfaConfirmResult:
        box = secret_box(info.context.settings, factors.BOX_PURPOSE)

        async def confirm(session: AsyncSession, scope: Scope) -> datetime:
            return await factors.confirm_enrollment(session, scope, box=box, code=code)

        return await attempt(info.context, confirm, lambda at: MfaEnrollmentConfirmed(enrolled_at=at))
