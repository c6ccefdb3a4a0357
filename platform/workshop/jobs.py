"""The workshop context's background work: its kinds of bulk file (the vehicle register, a station's repair
orders from its DMS), which the policy context's import job runs. `worker.py` registers what this module exports."""

from __future__ import annotations

from arq.cron import CronJob

from dealernet.policy.service.imports import ImportKindSpec
from dealernet.workshop.service.repair_order_imports import REPAIR_ORDER_IMPORT
from dealernet.workshop.service.vehicle_imports import VEHICLE_IMPORT

IMPORT_KINDS: list[ImportKindSpec] = [VEHICLE_IMPORT, REPAIR_ORDER_IMPORT]
CRONS: list[CronJob] = []
