"""Routes of the Manager console: its pages and their JSON endpoints under /console/api/.

Each concern lives in its own module; this router gives them all the CSRF check.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from openoa.web import deps
from openoa.web.console import (
    accounts,
    auth,
    billing,
    broadcasts,
    channel_keys,
    members,
    messaging_api,
    webhook,
)

router = APIRouter(dependencies=[Depends(deps.csrf_protect)])
router.include_router(auth.router)
router.include_router(accounts.router)
router.include_router(members.router)
router.include_router(messaging_api.router)
router.include_router(webhook.router)
router.include_router(channel_keys.router)
router.include_router(billing.router)
router.include_router(broadcasts.router)
