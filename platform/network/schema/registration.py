"""GraphQL for public registration: a prospective dealer registers (no token, rate-limited) and confirms
the mailed link, which opens its applicant tenant; then it logs in and fills in its application."""

from __future__ import annotations

from typing import Annotated

import strawberry
from redis.exceptions import RedisError

from dealernet.core.errors import DomainError, RateLimited, Unauthenticated, Unavailable
from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import NotFoundError, RateLimitedError, ValidationError, problem
from dealernet.network.service import registration
from dealernet.tenants.service.throttle import spend


@strawberry.input(description="Who is applying to join the network.")
class RegisterApplicantInput:
    network_code: str = strawberry.field(description="The code of the OEM's service network.")
    company_name: str = strawberry.field(description="The applying company's registered name.")
    email: str = strawberry.field(description="The address the confirmation link is sent to; your login.")


@strawberry.type(description="The confirmation link is on its way; it is valid for 48 hours.")
class RegisterApplicantSuccess:
    email: str = strawberry.field(description="Where the verification link was sent.")


@strawberry.input(description="The confirmation link's token and the password to log in with.")
class VerifyRegistrationInput:
    token: str = strawberry.field(description="The token from the e-mail link.")
    password: str = strawberry.field(description="At least 10 characters; an existing user's own password.")
    display_name: str = strawberry.field(default="", description="Your name, as colleagues will see it.")


@strawberry.type(description="The applicant's tenant is open: log in at /auth/token and fill in the application.")
class VerifyRegistrationSuccess:
    email: str = strawberry.field(description="The verified address; sign in with it.")


RegisterApplicantResult = Annotated[
    RegisterApplicantSuccess | ValidationError | NotFoundError | RateLimitedError,
    strawberry.union(
        "RegisterApplicantResult",
        description=(
            "RegisterApplicantSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "RateLimitedError saying why nothing changed."
        ),
    ),
]
VerifyRegistrationResult = Annotated[
    VerifyRegistrationSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "VerifyRegistrationResult",
        description=(
            "VerifyRegistrationSuccess when it worked; otherwise ValidationError, NotFoundError "
            "saying why nothing changed."
        ),
    ),
]


async def _within_limits(info: Info, email: str) -> None:
    """Captcha-free, so counted: registrations per client address and per e-mail address."""
    ctx = info.context
    if ctx.redis is None:
        return
    settings, window = ctx.settings, ctx.settings.registration_window_seconds
    limits = (
        (f"dealernet:register:address:{ctx.client_address}", settings.registrations_per_address),
        (f"dealernet:register:email:{registration.email_key(email)}", settings.registrations_per_email),
    )
    for key, limit in limits:
        try:
            wait = await spend(ctx.redis, key, limit=limit, window_seconds=window)
        except RedisError as exc:  # the public form is limited or closed, never unlimited
            raise Unavailable("registration is unavailable for a moment; try again in a few seconds") from exc
        if wait:
            raise RateLimited("too many registrations: try again later", retry_after=wait)


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(
        description="Register to apply as an authorised service station (no token needed). A confirmation "
        "link is mailed to the address; nothing else exists until it is confirmed. The answer does not say "
        "whether the network code exists (no mail is sent for an unknown one: check the code with the OEM)."
    )
    async def register_applicant(
        self,
        info: Info,
        input: Annotated[
            RegisterApplicantInput, strawberry.argument(description="The company and the first user's sign-in.")
        ],
    ) -> RegisterApplicantResult:
        ctx = info.context
        try:
            _, email = registration.check_registration(input.company_name, input.email)
            await _within_limits(info, email)
            async with new_unit_of_work(ctx.sessionmaker, AUTH_SCOPE, queue=ctx.redis) as session:
                await registration.register(
                    session, ctx.settings, network_code=input.network_code, email=email, company_name=input.company_name
                )
        except DomainError as exc:
            return problem(exc)
        return RegisterApplicantSuccess(email=email)

    @strawberry.mutation(
        description="Confirm a registration with the mailed token (no token needed): opens the applicant's "
        "station tenant with a draft application, you as its manager."
    )
    async def verify_registration(
        self,
        info: Info,
        input: Annotated[
            VerifyRegistrationInput, strawberry.argument(description="The token from the verification e-mail.")
        ],
    ) -> VerifyRegistrationResult:
        ctx = info.context
        try:
            async with new_unit_of_work(ctx.sessionmaker, AUTH_SCOPE, queue=ctx.redis) as session:
                registered = await registration.verify(
                    session, token=input.token, password=input.password, display_name=input.display_name
                )
        except Unauthenticated:
            raise
        except DomainError as exc:
            return problem(exc)
        return VerifyRegistrationSuccess(email=registered.email)
