"""A route FastAPI documents but does not call: the Messaging API's hottest endpoints (push,
multicast, reply) are served by a handler that does what FastAPI's dependency solving would do
for their few kinds of parameter, at a fraction of its cost (B2).

The endpoint keeps its ordinary FastAPI signature — the OpenAPI document, the body model and the
response model come from it as usual. What the handler understands, read once when the route is
made (anything else is refused then, never misread per request):

- ``Request``;
- the bearer-checked bot (``Annotated[BotContext, Depends(deps.bot)]``) — checked first, so a
  wrong token answers 401 whatever the body holds, as LINE does;
- one body model (a pydantic ``BaseModel``), parsed straight from the bytes; its errors become a
  ``RequestValidationError`` located under ``body`` like FastAPI's, so the app's one handler
  writes LINE's error body;
- optional string headers (``Annotated[str | None, Header(alias=...)]``).

Errors raised by the endpoint reach the app's exception handlers unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from fastapi import params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openoa.api import deps


@dataclass(frozen=True)
class _Parameters:
    request: str | None
    bot: str | None
    body: tuple[str, type[BaseModel]]
    headers: tuple[tuple[str, str, Any], ...]  # (parameter, header name, default)


def _parameters_of(endpoint: Callable[..., Any]) -> _Parameters:
    """What the handler passes to ``endpoint``, read from its signature; TypeError for anything else."""
    if not inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{endpoint.__qualname__}: a direct route's endpoint must be async")
    request = bot = None
    body: tuple[str, type[BaseModel]] | None = None
    headers = []
    for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items():
        annotation = parameter.annotation
        if annotation is Request:
            request = name
        elif inspect.isclass(annotation) and issubclass(annotation, BaseModel) and body is None:
            body = (name, annotation)
        elif get_origin(annotation) is Annotated:
            marker = get_args(annotation)[-1]
            if isinstance(marker, params.Depends) and marker.dependency is deps.bot:
                bot = name
            elif isinstance(marker, params.Header) and get_args(annotation)[0] == str | None:
                headers.append((name, (marker.alias or name.replace("_", "-")).lower(), parameter.default))
            else:
                raise TypeError(f"{endpoint.__qualname__}: parameter {name!r} is not one a direct route reads")
        else:
            raise TypeError(f"{endpoint.__qualname__}: parameter {name!r} is not one a direct route reads")
    if body is None:
        raise TypeError(f"{endpoint.__qualname__}: a direct route's endpoint takes a body model")
    return _Parameters(request, bot, body, tuple(headers))


def _located_in_body(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError([{**error, "loc": ("body", *error["loc"])}
                                   for error in exc.errors(include_url=False)])


class DirectRoute(APIRoute):
    """An ``APIRoute`` whose requests skip FastAPI's per-request dependency solving (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.app = self._direct_app(_parameters_of(endpoint))

    def _direct_app(self, wanted: _Parameters) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        endpoint = self.endpoint
        body_name, model = wanted.body
        answer: TypeAdapter[Any] = TypeAdapter(Any if self.response_model is None else self.response_model)
        exclude_none = self.response_model_exclude_none
        status_code = self.status_code or 200

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive, send)
            arguments: dict[str, Any] = {}
            if wanted.bot is not None:
                arguments[wanted.bot] = await deps.bot(request)
            try:
                arguments[body_name] = model.model_validate_json(await request.body())
            except ValidationError as exc:
                raise _located_in_body(exc) from None
            if wanted.request is not None:
                arguments[wanted.request] = request
            for name, header, default in wanted.headers:
                arguments[name] = request.headers.get(header, default)
            result = await endpoint(**arguments)
            if not isinstance(result, Response):
                content = answer.dump_json(answer.validate_python(result), exclude_none=exclude_none, by_alias=True)
                result = Response(content, status_code=status_code, media_type="application/json")
            await result(scope, receive, send)

        return app
