"""Routes of the Chat app surface (pages and their JSON endpoints), one module per area.

Every route joins this ``router`` so the CSRF check applies to all of them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from openoa.web import deps
from openoa.web.chatapp import auth, chats, friends, groups, profile

router = APIRouter(dependencies=[Depends(deps.csrf_protect)])
router.include_router(auth.router)
router.include_router(profile.router)
router.include_router(friends.router)
router.include_router(chats.router)
router.include_router(groups.router)
