"""Routes of the Staff console: its pages and their JSON endpoints under /staff/api/.

Each concern lives in its own module; this router gives them all the CSRF check.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from openoa.web import deps
from openoa.web.staff import auth, billing, review

router = APIRouter(dependencies=[Depends(deps.csrf_protect)])
router.include_router(auth.router)
router.include_router(review.router)
router.include_router(billing.router)
