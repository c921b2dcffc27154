"""The HTTP transport: `/api/v0/<method>` in the Abacus envelope, `/api/uploadPart`, `/healthz`.

Errors become `{"success": false, "error", "errorType"}` here and nowhere else; an unexpected exception is a
generic 500 with a request id, its traceback only in the server log.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from runtime import local_server
from runtime.api.params import Params, merge
from runtime.api.routes import ROUTES, RawJson, Route, Services
from runtime.context import Context
from runtime.errors import (
    DataNotFoundError,
    InvalidParameterError,
    MethodNotAllowed,
    PermissionDeniedError,
    RuntimeApiError,
)
from runtime.scheduler import TrainingScheduler
from runtime.serving import ServingPool

log = logging.getLogger("pymodel.api")

_MAX_PART_BYTES = 200 << 20  # the SDK sends parts of 20-100 MB
_MAX_BODY_BYTES = 64 << 20  # an API call's JSON: a 4 MB source, or a predictMultiple batch


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it is larger than any API call needs (the header may lie or be absent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        raise InvalidParameterError(f"the request body is {declared} bytes; the limit is {_MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY_BYTES:
            raise InvalidParameterError(f"the request body is over the limit of {_MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(raw: bytes) -> Any:
    """Strict JSON (RFC 8259): NaN and Infinity are refused, since nothing stored may be unreadable later."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise InvalidParameterError(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidParameterError("the request body is not valid JSON: it is nested too deeply") from exc


def _error(exc: RuntimeApiError) -> JSONResponse:
    return JSONResponse({"success": False, "error": exc.message, "errorType": exc.error_type}, status_code=exc.status)


def _ok(result: Any) -> Response:
    if isinstance(result, RawJson):
        return Response(f'{{"success": true, "result": {result}}}', media_type="application/json")
    return Response(json.dumps({"success": True, "result": result}, allow_nan=False), media_type="application/json")


def _internal_error(name: str, exc: BaseException) -> JSONResponse:
    request_id = secrets.token_hex(6)
    log.error("request %s (%s) failed", request_id, name, exc_info=exc)
    return JSONResponse(
        {
            "success": False,
            "error": f"internal error in pymodel; the server log has the details under request id {request_id}",
            "errorType": "InternalServerError",
            "requestId": request_id,
        },
        status_code=500,
    )


def create_app(ctx: Context, *, run_background: bool = True) -> FastAPI:
    services = Services(ctx)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_background:
            ctx.scheduler = TrainingScheduler(ctx)
            ctx.serving = ServingPool(ctx)
            ctx.scheduler.start()
            ctx.serving.start()
        try:
            yield
        finally:
            # here and not after uvicorn.run: uvicorn re-raises SIGTERM once it has shut down
            local_server.clear_server_info(ctx.settings.data_dir)
            if ctx.serving is not None:
                ctx.serving.shutdown()
            if ctx.scheduler is not None:
                ctx.scheduler.stop()
            ctx.validator.close()

    app = FastAPI(title="pymodel", lifespan=lifespan, docs_url=None, redoc_url=None)

    def has_valid_key(request: Request) -> bool:
        key = request.headers.get("apiKey")
        return bool(key) and services.keys.is_valid(key)

    def authorize_without_key(route: Route, params: Params) -> None:
        """A caller without a valid API key: only a predict route with a valid deployment token gets in."""
        if route.auth == "predict" and params["deploymentToken"]:
            services.deployments.check_token(params["deploymentId"], params["deploymentToken"])
            return
        raise PermissionDeniedError(
            "a valid API key is required in the apiKey header (create one with `pymodel keys create`)"
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.api_route("/api/v0/{name}", methods=["GET", "POST", "DELETE", "PATCH", "PUT"])
    async def dispatch(name: str, request: Request) -> Response:
        try:
            route = ROUTES.get(name)
            if name == "getApiEndpoint":
                route = Route(frozenset({"GET"}), lambda _s, _p: None, "key")
            if route is None:
                raise DataNotFoundError(f"pymodel does not implement the API method {name!r}")
            if request.method not in route.methods:
                raise MethodNotAllowed(f"{name} takes {', '.join(sorted(route.methods))}, not {request.method}")
            # The key is looked up once, before the body is read: a key route refuses a caller without one
            # unread; a predict token may need the body's ids.
            admitted = route.auth == "none" or await run_in_threadpool(has_valid_key, request)
            if not admitted and route.auth == "key":
                authorize_without_key(route, Params({}))
            params = Params(merge(request.query_params, _parse_json(await _read_body(request))))
            if not admitted:
                await run_in_threadpool(authorize_without_key, route, params)
            if name == "getApiEndpoint":
                base = str(request.base_url).rstrip("/")
                return _ok({"apiEndpoint": base, "predictEndpoint": base, "proxyEndpoint": base})
            result = await run_in_threadpool(route.handler, services, params)
            return _ok(result)
        except RuntimeApiError as exc:
            return _error(exc)
        except Exception as exc:
            return _internal_error(name, exc)

    @app.post("/api/uploadPart")
    async def upload_part(request: Request) -> Response:
        try:
            form = await request.form(max_part_size=_MAX_PART_BYTES)
            params = Params({k: v for k, v in form.items() if isinstance(v, str)})
            key = request.headers.get("apiKey") or ""
            if not await run_in_threadpool(services.keys.is_valid, key):
                raise PermissionDeniedError("a valid API key is required in the APIKEY header")
            part = form.get("partData")
            if part is None or isinstance(part, str):
                raise InvalidParameterError("partData must be a file part of the multipart body")
            data = await part.read()
            result = await run_in_threadpool(
                services.tables.upload_part, params["uploadId"], params["partNumber"], data
            )
            return _ok(result)
        except RuntimeApiError as exc:
            log.warning("uploadPart refused: %s", exc.message)  # the SDK ignores errors here, so log them
            return _error(exc)
        except Exception as exc:
            return _internal_error("uploadPart", exc)

    return app
