"""Sending messages and reading what they used (`MessagingApi.push_message`, `reply_message`,
`multicast`, `broadcast`, `narrowcast`, `get_narrowcast_progress`, `get_message_quota`,
`get_message_quota_consumption`, `get_number_of_sent_*_messages`). Status codes choose the SDK's
deserializer: 200 everywhere, except narrowcast's 202."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, StringConstraints
from pydantic.alias_generators import to_camel

from openoa.api import deps
from openoa.api.direct import DirectRoute
from openoa.channels.schemas import BotContext
from openoa.messaging import service
from openoa.messaging.schemas import NarrowcastFilter, NarrowcastLimit, Recipient, UncheckedMessages

router = APIRouter(prefix="/v2/bot/message")
# Push, multicast and reply: the hottest endpoints, served without FastAPI's dependency solving.
sending = APIRouter(prefix="/v2/bot/message", route_class=DirectRoute)
TAGS: list[str | Enum] = ["messaging api: messages"]

Bot = Annotated[BotContext, Depends(deps.bot)]
RetryKey = Annotated[str | None, Header(alias="X-Line-Retry-Key")]
AggregationUnit = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_]{1,30}$")]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PushRequest(_Body):
    to: str
    messages: UncheckedMessages
    notification_disabled: bool = False
    custom_aggregation_units: list[AggregationUnit] | None = Field(None, max_length=1)


class MulticastRequest(_Body):
    to: list[str] = Field(min_length=1, max_length=500)
    messages: UncheckedMessages
    notification_disabled: bool = False
    custom_aggregation_units: list[AggregationUnit] | None = Field(None, max_length=1)


class BroadcastRequest(_Body):
    messages: UncheckedMessages
    notification_disabled: bool = False


class NarrowcastRequest(_Body):
    """SDK NarrowcastRequest; recipient, filter and limit are documented as LINE's objects but
    checked by the service, which reports LINE's property paths."""

    messages: UncheckedMessages
    recipient: SkipValidation[Recipient | None] = None
    filter: SkipValidation[NarrowcastFilter | None] = None
    limit: SkipValidation[NarrowcastLimit | None] = None
    notification_disabled: bool = False


class NarrowcastProgress(BaseModel):
    """SDK NarrowcastProgressResponse: counts absent while waiting, the reason only once failed."""

    phase: str
    acceptedTime: str  # noqa: N815 - LINE's name
    completedTime: str | None = None  # noqa: N815 - LINE's name
    successCount: int | None = None  # noqa: N815 - LINE's name
    failureCount: int | None = None  # noqa: N815 - LINE's name
    targetCount: int | None = None  # noqa: N815 - LINE's name
    failedDescription: str | None = None  # noqa: N815 - LINE's name
    errorCode: int | None = None  # noqa: N815 - LINE's name


class ReplyRequest(_Body):
    reply_token: str
    messages: UncheckedMessages
    notification_disabled: bool = False


class SentMessage(BaseModel):
    id: str
    quoteToken: str | None = None  # noqa: N815 - LINE's name


class SentMessages(BaseModel):
    """SDK PushMessageResponse / ReplyMessageResponse."""

    sentMessages: list[SentMessage]  # noqa: N815 - LINE's name


class MessageQuota(BaseModel):
    type: str
    value: int | None = None


class QuotaConsumption(BaseModel):
    totalUsage: int  # noqa: N815 - LINE's name


class NumberOfMessages(BaseModel):
    status: str
    success: int | None = None


def _already_accepted(exc: service.RetryKeyAccepted, *, with_sent: bool) -> JSONResponse:
    body: dict[str, Any] = {"message": exc.message}
    if with_sent:
        body["sentMessages"] = exc.sent_messages
    return JSONResponse(body, status_code=409, headers={"x-line-accepted-request-id": exc.accepted_request_id})


@sending.post("/push", tags=TAGS, response_model=SentMessages, response_model_exclude_none=True,
             summary="Send messages to one user (counted); 409 when the retry key was already accepted")
async def push(request: Request, body: PushRequest, bot: Bot, retry_key: RetryKey = None) -> Any:
    request_id = deps.request_id(request)
    try:
        accepted = await deps.in_unit_of_work(request, lambda s: service.push(
            s, bot, request_id=request_id, to=body.to, messages=body.messages,
            notification_disabled=body.notification_disabled, retry_key=retry_key))
    except service.RetryKeyAccepted as exc:
        return _already_accepted(exc, with_sent=True)
    return {"sentMessages": accepted.sent_messages}


@sending.post("/multicast", tags=TAGS, response_model=dict[str, object],
             summary="Send messages to up to 500 users (counted by those reached)")
async def multicast(request: Request, body: MulticastRequest, bot: Bot, retry_key: RetryKey = None) -> Any:
    request_id = deps.request_id(request)
    try:
        await deps.in_unit_of_work(request, lambda s: service.multicast(
            s, bot, request_id=request_id, to=body.to, messages=body.messages,
            notification_disabled=body.notification_disabled, retry_key=retry_key))
    except service.RetryKeyAccepted as exc:
        return _already_accepted(exc, with_sent=False)
    return {}


@router.post("/broadcast", tags=TAGS, response_model=dict[str, object],
             summary="Send messages to every friend (counted); delivered in the background")
def broadcast(request: Request, body: BroadcastRequest, bot: Bot, retry_key: RetryKey = None) -> Any:
    try:
        with deps.scope(request) as s:
            service.broadcast(s, bot, request_id=deps.request_id(request), messages=body.messages,
                              notification_disabled=body.notification_disabled, retry_key=retry_key)
    except service.RetryKeyAccepted as exc:
        return _already_accepted(exc, with_sent=False)
    return {}


@router.post("/narrowcast", tags=TAGS, status_code=202, response_model=dict[str, object],
             summary="Send messages to the friends a recipient tree and demographic filter choose (counted); "
                     "202, delivered in the background, followed by its progress")
def narrowcast(request: Request, body: NarrowcastRequest, bot: Bot, retry_key: RetryKey = None) -> Any:
    try:
        with deps.scope(request) as s:
            service.narrowcast(s, bot, request_id=deps.request_id(request), messages=body.messages,
                               recipient=body.recipient, filter=body.filter, limit=body.limit,
                               notification_disabled=body.notification_disabled, retry_key=retry_key)
    except service.RetryKeyAccepted as exc:
        return _already_accepted(exc, with_sent=False)
    return {}


@router.get("/progress/narrowcast", tags=TAGS, response_model=NarrowcastProgress, response_model_exclude_none=True,
            summary="Where a narrowcast stands (its request id); kept for 14 days")
def narrowcast_progress(request: Request, bot: Bot,
                        request_id: Annotated[str, Query(alias="requestId")]) -> NarrowcastProgress:
    with deps.scope(request) as s:
        progress = service.narrowcast_progress(s, bot, request_id)
    return NarrowcastProgress(
        phase=progress.phase, acceptedTime=progress.accepted_time, completedTime=progress.completed_time,
        successCount=progress.success_count, failureCount=progress.failure_count,
        targetCount=progress.target_count, failedDescription=progress.failed_description,
        errorCode=progress.error_code)


@sending.post("/reply", tags=TAGS, response_model=SentMessages, response_model_exclude_none=True,
             summary="Answer a webhook event with its reply token (single use, never counted)")
async def reply(request: Request, body: ReplyRequest, bot: Bot, retry_key: RetryKey = None) -> Any:
    request_id = deps.request_id(request)
    accepted = await deps.in_unit_of_work(request, lambda s: service.reply(
        s, bot, request_id=request_id, reply_token=body.reply_token, messages=body.messages,
        notification_disabled=body.notification_disabled, retry_key=retry_key))
    return {"sentMessages": accepted.sent_messages}


@router.get("/quota", tags=TAGS, response_model=MessageQuota, response_model_exclude_none=True,
            summary="The account's monthly limit of counted messages")
def quota(request: Request, bot: Bot) -> MessageQuota:
    with deps.scope(request) as s:
        return MessageQuota(type="limited", value=service.message_quota(s, bot))


@router.get("/quota/consumption", tags=TAGS, response_model=QuotaConsumption,
            summary="Counted messages used this month, in the account's timezone")
def quota_consumption(request: Request, bot: Bot) -> QuotaConsumption:
    with deps.scope(request) as s:
        return QuotaConsumption(totalUsage=service.quota_consumption(s, bot))


def _add_delivery_route(kind: str) -> None:
    def delivered(request: Request, bot: Bot, date: Annotated[str, Query()]) -> NumberOfMessages:
        with deps.scope(request) as s:
            return NumberOfMessages(status="ready", success=service.delivered_on(s, bot, kind, date))

    router.add_api_route(f"/delivery/{kind}", delivered, methods=["GET"], tags=TAGS, name=f"delivered_{kind}",
                         operation_id=f"get_number_of_sent_{kind}_messages", response_model=NumberOfMessages,
                         response_model_exclude_none=True,
                         summary=f"People reached by {kind} messages on a date (yyyyMMdd, account's timezone)")


for _kind in service.KINDS:
    _add_delivery_route(_kind)

router.routes[:0] = sending.routes  # tried first
