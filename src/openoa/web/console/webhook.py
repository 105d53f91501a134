"""Console page of an account's webhook (Messaging API › Webhook): the URL, "Use webhook" and
"Webhook redelivery", a "Verify" button that sends a signed test event and shows what the
bot answered, and the latest failed deliveries with their reasons. Admins only; the
webhooks service refuses everyone else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.console.layout import form_status, page
from openoa.webhooks import service as webhooks
from openoa.webhooks.schemas import EndpointTestOut, WebhookSettingsIn, WebhookSettingsOut

router = APIRouter()
TAGS = ["console: webhook"]

Form_ = Annotated[str, Form()]
ON = "on"  # what a checked checkbox sends


def _page(request: Request, account_id: int, *, status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, object] | None = None, verified: EndpointTestOut | None = None) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = webhooks.webhook_settings(s, actor, account_id)
    shown: dict[str, object] = {"webhook_url": out.webhook_url or "", "use_webhook": out.use_webhook,
                                "webhook_redelivery": out.webhook_redelivery}
    shown.update(values or {})
    return page(request, "console/webhook.html", {
        "settings": out, "account": out.account, "errors": errors or {}, "values": shown, "verified": verified,
    }, status_code=status_code, section="messaging-api")


@router.get("/console/accounts/{account_id}/webhook", include_in_schema=False)
def webhook_page(request: Request, account_id: int) -> Response:
    return _page(request, account_id)


@router.post("/console/accounts/{account_id}/webhook", include_in_schema=False)
def save_webhook(request: Request, account_id: int, webhook_url: Form_ = "", use_webhook: Form_ = "",
                 webhook_redelivery: Form_ = "") -> Response:
    actor = deps.require_business(request)
    # The form always shows both switches, so an unchecked one (sent as nothing) means off.
    use, redeliver = use_webhook == ON, webhook_redelivery == ON
    try:
        with deps.scope(request) as s:
            webhooks.update_webhook_settings(s, actor, account_id, webhook_url=webhook_url, use_webhook=use,
                                             webhook_redelivery=redeliver)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field(),
                     values={"webhook_url": webhook_url, "use_webhook": use, "webhook_redelivery": redeliver})
    return RedirectResponse(f"/console/accounts/{account_id}/webhook?notice=saved", status_code=303)


@router.post("/console/accounts/{account_id}/webhook/verify", include_in_schema=False)
def verify_webhook(request: Request, account_id: int) -> Response:
    actor = deps.require_business(request)
    try:
        result = webhooks.verify_webhook(deps.db_of(request), actor, account_id)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field())
    # The answer is shown once, in this response: there is nothing to redirect to.
    return _page(request, account_id, verified=result)


@router.get("/console/api/accounts/{account_id}/webhook", tags=TAGS, response_model=WebhookSettingsOut,
            summary="The webhook settings, whether events go out now, and the latest failed deliveries")
def api_webhook(request: Request, account_id: int) -> WebhookSettingsOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return webhooks.webhook_settings(s, actor, account_id)


@router.patch("/console/api/accounts/{account_id}/webhook", tags=TAGS, response_model=WebhookSettingsOut,
              summary="Change the webhook URL (\"\" removes it), use webhook, or webhook redelivery")
def api_update_webhook(request: Request, account_id: int, body: WebhookSettingsIn) -> WebhookSettingsOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return webhooks.update_webhook_settings(s, actor, account_id, webhook_url=body.webhook_url,
                                                use_webhook=body.use_webhook,
                                                webhook_redelivery=body.webhook_redelivery)


@router.post("/console/api/accounts/{account_id}/webhook/verify", tags=TAGS, response_model=EndpointTestOut,
             summary="Send a signed webhook with no events to the saved URL; what the bot answered")
def api_verify_webhook(request: Request, account_id: int) -> EndpointTestOut:
    actor = deps.require_business(request)
    return webhooks.verify_webhook(deps.db_of(request), actor, account_id)
