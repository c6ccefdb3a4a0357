"""The one GraphQL schema: each context's queries composed, plus the shared `node` field and limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, ValidationRule, specified_rules
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from dealernet.audit.schema import AuditQuery
from dealernet.core.access import Permission
from dealernet.graphql.compiled import Node, Planner
from dealernet.graphql.context import Info
from dealernet.graphql.errors import ErrorCodes, log_unexpected
from dealernet.graphql.limits import LiteralLimits, QueryLimits
from dealernet.graphql.metrics import OperationMetrics
from dealernet.graphql.permissions import IsAuthenticated
from dealernet.graphql.relay import resolve_node
from dealernet.graphql.scalars import SCALARS
from dealernet.network.schema.acceptance import AcceptanceMutation, AcceptanceQuery
from dealernet.network.schema.applications import (
    APPLICATION_ROWS,
    APPLICATIONS_PAGE,
    ApplicationsMutation,
    ApplicationsQuery,
)
from dealernet.network.schema.pipeline import PipelineMutation, PipelineQuery
from dealernet.network.schema.profile import ProfileMutation, ProfileQuery
from dealernet.network.schema.registration import RegistrationMutation
from dealernet.network.schema.rubrics import RubricsMutation, RubricsQuery
from dealernet.policy.schema.as_of import AsOfQuery
from dealernet.policy.schema.catalogue import LIST_PRICE_ROWS, PART_ROWS, PARTS_PAGE, CatalogueMutation, CatalogueQuery
from dealernet.policy.schema.imports import ImportsQuery
from dealernet.policy.schema.labour import (
    LABOUR_OPERATION_ROWS,
    LABOUR_OPERATIONS_PAGE,
    LabourMutation,
    LabourQuery,
)
from dealernet.policy.schema.prices import PricesMutation
from dealernet.policy.schema.publications import (
    PUBLICATION_ROWS,
    PUBLICATIONS_PAGE,
    PublicationsMutation,
    PublicationsQuery,
)
from dealernet.policy.schema.stock import StockMutation, StockQuery
from dealernet.policy.schema.warranty import WarrantyMutation
from dealernet.tenants.schema.directory import (
    STATION_ROWS,
    STATIONS_PAGE,
    VIEWER,
    VIEWER_ROWS,
    DirectoryMutation,
    DirectoryQuery,
    User,
)
from dealernet.tenants.schema.notifications import (
    NOTIFICATION_ROWS,
    NOTIFICATIONS_PAGE,
    NotificationsMutation,
    NotificationsQuery,
)
from dealernet.tenants.schema.partners import Partner, PartnersMutation, PartnersQuery
from dealernet.tenants.schema.sign_in import SignInMutation, SignInQuery
from dealernet.tenants.schema.station_clients import StationClientsMutation, StationClientsQuery
from dealernet.warranty.schema.appeals import AppealsMutation
from dealernet.warranty.schema.claim_rates import ClaimRatesQuery
from dealernet.warranty.schema.claims import (
    CLAIM_LINE_ROWS,
    CLAIM_ROWS,
    CLAIMS_PAGE,
    REVIEW_QUEUE_PAGE,
    ClaimsMutation,
    ClaimsQuery,
)
from dealernet.warranty.schema.part_returns import PartReturnsMutation, PartReturnsQuery
from dealernet.warranty.schema.preauthorisations import PreauthorisationsMutation, PreauthorisationsQuery
from dealernet.warranty.schema.recovery import (
    RECOVERY_CLAIM_ROWS,
    RECOVERY_CLAIMS_PAGE,
    RECOVERY_LINE_ROWS,
    RecoveryMutation,
    RecoveryQuery,
)
from dealernet.warranty.schema.settlements import SettlementsMutation, SettlementsQuery
from dealernet.workshop.schema.customers import CustomersMutation, CustomersQuery
from dealernet.workshop.schema.parts_orders import PartsOrdersMutation, PartsOrdersQuery
from dealernet.workshop.schema.repair_orders import (
    REPAIR_ORDER_ROWS,
    REPAIR_ORDERS_PAGE,
    RepairOrdersMutation,
    RepairOrdersQuery,
)
from dealernet.workshop.schema.vehicles import VEHICLE_ROWS, VEHICLES_PAGE, VehiclesMutation, VehiclesQuery

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000
# The depth and alias limits as validation rules made once: the rules are part of the validation cache's key,
# so strawberry's limiter extensions — which make new rule classes for each request — kept it from ever hitting.
LIMIT_RULES = (depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES))


@strawberry.type
class NodeQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Any object by its global id; null when it does not exist or is not visible to you.",
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The global id of any object.")]
    ) -> relay.Node | None:
        return await resolve_node(info, id)


@strawberry.type(description="What can be read: each field says who may read it.")
class Query(
    DirectoryQuery,
    PartnersQuery,
    StationClientsQuery,
    SignInQuery,
    CatalogueQuery,
    LabourQuery,
    PublicationsQuery,
    AsOfQuery,
    StockQuery,
    ImportsQuery,
    NotificationsQuery,
    ApplicationsQuery,
    RubricsQuery,
    PipelineQuery,
    AcceptanceQuery,
    ProfileQuery,
    VehiclesQuery,
    CustomersQuery,
    RepairOrdersQuery,
    PartsOrdersQuery,
    ClaimsQuery,
    PreauthorisationsQuery,
    PartReturnsQuery,
    RecoveryQuery,
    SettlementsQuery,
    ClaimRatesQuery,
    AuditQuery,
    NodeQuery,
):
    pass


@strawberry.type(
    description=(
        "What can be changed: each mutation answers its result or a typed error, and changes nothing on an error."
    )
)
class Mutation(
    DirectoryMutation,
    PartnersMutation,
    StationClientsMutation,
    SignInMutation,
    CatalogueMutation,
    LabourMutation,
    PricesMutation,
    WarrantyMutation,
    PublicationsMutation,
    StockMutation,
    NotificationsMutation,
    RubricsMutation,
    ApplicationsMutation,
    PipelineMutation,
    AcceptanceMutation,
    RegistrationMutation,
    ProfileMutation,
    VehiclesMutation,
    CustomersMutation,
    RepairOrdersMutation,
    PartsOrdersMutation,
    ClaimsMutation,
    AppealsMutation,
    PartReturnsMutation,
    PreauthorisationsMutation,
    RecoveryMutation,
    SettlementsMutation,
):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # strawberry logs every error, expected ones included; only the unexpected deserve a log line.
        log_unexpected(errors)


def build_schema(*, production: bool) -> Schema:
    """Extensions are passed as classes or factories: each request gets its own instances."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        OperationMetrics,
        lambda: ErrorCodes(suggestions=not production),
        lambda: ParserCache(maxsize=1_000),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(list(LIMIT_RULES)),
        QueryLimits,
        lambda: ValidationCache(maxsize=1_000),
    ]
    if production:
        extensions.append(DisableIntrospection)
    config: Any = StrawberryConfig(disable_field_suggestions=production, scalar_map=SCALARS)
    return Schema(query=Query, mutation=Mutation, types=[User, Partner], extensions=extensions, config=config)


# The list pages compiled to one SQL statement each (graphql/compiled.py), and the types they are built of.
COMPILED_PAGES = (
    VIEWER, STATIONS_PAGE, NOTIFICATIONS_PAGE, PARTS_PAGE, PUBLICATIONS_PAGE, REPAIR_ORDERS_PAGE, CLAIMS_PAGE,
    RECOVERY_CLAIMS_PAGE, APPLICATIONS_PAGE, REVIEW_QUEUE_PAGE, VEHICLES_PAGE, LABOUR_OPERATIONS_PAGE,
)  # fmt: skip
COMPILED_ROWS = (
    VIEWER_ROWS, STATION_ROWS, NOTIFICATION_ROWS, PART_ROWS, LIST_PRICE_ROWS, REPAIR_ORDER_ROWS, CLAIM_ROWS,
    CLAIM_LINE_ROWS, RECOVERY_CLAIM_ROWS, RECOVERY_LINE_ROWS, PUBLICATION_ROWS, APPLICATION_ROWS, VEHICLE_ROWS,
    LABOUR_OPERATION_ROWS,
)  # fmt: skip


# What `node(id:)` answers from one statement: each type with the permission its by-id service requires.
COMPILED_NODES = (
    Node(PART_ROWS, "parts", Permission.parts_read.value),
    Node(CLAIM_ROWS, "claims", Permission.warranty_claims_read.value),
    Node(REPAIR_ORDER_ROWS, "repair_orders", Permission.repair_orders_read.value),
)


def build_planner(schema: Schema) -> Planner:
    return Planner(schema._schema, COMPILED_PAGES, COMPILED_ROWS, COMPILED_NODES)


def validation_rules(*, production: bool) -> list[type[ValidationRule]]:
    """The rules the schema's extensions validate with, for the compiled path's own validation."""
    rules = [*specified_rules, *LIMIT_RULES, LiteralLimits]
    return [*rules, NoSchemaIntrospectionCustomRule] if production else rules
