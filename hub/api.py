"""The hub's HTTP interface (FastAPI): protocol version 1 of app.sync.protocol.

Every handler is a thin shell over HubService; blocking work (database, fsync, hashing of
the last chunk) runs on the thread pool so a slow 2G upload never holds up the others.
The OpenAPI description is served at /v1/openapi.json and kept in hub/openapi.json.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.sync import protocol
from hub.blobstore import BlobTooLarge, DigestMismatch
from hub.config import Hub
from hub.schemas import ERROR, SCHEMAS, json_body
from hub.service import AuthDevice, HubError
from hub.verify_page import VERIFY_SCHEMA, verify_html

MAX_JSON_BYTES = 256 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
TITLE = "Học bạ số — máy chủ tiếp nhận của Sở (hub)"


def _invalid(message: str) -> HubError:
    return HubError(422, protocol.ERR_INVALID, message)


def _check_digest(digest: str) -> str:
    if not _HEX64.match(digest):
        raise _invalid("Địa chỉ tệp phải là sha256: và 64 chữ số hệ 16 viết thường.")
    return digest


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise HubError(413, protocol.ERR_TOO_LARGE, "Yêu cầu quá lớn.")
    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise HubError(413, protocol.ERR_TOO_LARGE, "Yêu cầu quá lớn.")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid("Nội dung yêu cầu không phải JSON.") from None


def create_app(hub: Hub, *, run_verifier: bool = True) -> FastAPI:
    service = hub.service

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_verifier:
            hub.verifier.start()
        try:
            yield
        finally:
            hub.verifier.stop()

    app = FastAPI(
        title=TITLE,
        version=f"{protocol.PROTOCOL_VERSION}",
        description=__doc__,
        openapi_url=f"{protocol.API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )

    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_invalid("Yêu cầu không đúng giao thức.").to_json(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": "http", "message": str(exc.detail)}, status_code=exc.status_code)

    def device(
        authorization: Annotated[str | None, Header()] = None,
        hocba_protocol: Annotated[str | None, Header()] = None,
    ) -> AuthDevice:
        if hocba_protocol is not None and hocba_protocol.strip() not in {
            str(v) for v in protocol.SUPPORTED_VERSIONS
        }:
            raise HubError(
                400, protocol.ERR_UNSUPPORTED,
                "Phiên bản phần mềm ở trường không còn được máy chủ hỗ trợ: hãy cập nhật Học bạ số.",
            )  # fmt: skip
        return service.authenticate(authorization)

    Device = Annotated[AuthDevice, Depends(device)]

    @app.get(
        f"{protocol.API}/info",
        summary="Who this hub is: protocol versions and the key its receipts are signed with",
        responses={200: json_body("Info", "the hub's identity")},
    )
    def info() -> JSONResponse:
        return JSONResponse(service.info().to_json())

    @app.get(
        f"{protocol.API}/devices/me",
        summary="The device and school a credential belongs to",
        responses={200: json_body("Device", "the device"), 401: ERROR},
    )
    def me(dev: Device) -> JSONResponse:
        return JSONResponse(
            {"device_id": dev.device_id, "school_code": dev.school_code, "hub_id": service.identity.hub_id}
        )

    @app.head(
        f"{protocol.API}/blobs/sha256:{{digest}}",
        summary="Whether the hub holds these bytes (X-Blob-Size gives their size)",
        responses={200: {"description": "present"}, 404: {"description": "absent"}, 401: ERROR},
    )
    def head_blob(digest: str, dev: Device) -> Response:
        size = service.blob_size(_check_digest(digest))
        if size is None:
            return Response(status_code=404)
        return Response(status_code=200, headers={"X-Blob-Size": str(size)})

    @app.put(
        f"{protocol.API}/blobs/sha256:{{digest}}",
        summary="Upload a document's bytes to the address of their SHA-256 (idempotent)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        responses={
            200: json_body("Blob", "already held"),
            201: json_body("Blob", "stored (fsynced, then recorded)"),
            401: ERROR,
            413: ERROR,
            422: ERROR,
        },
    )
    async def put_blob(digest: str, request: Request, dev: Device) -> JSONResponse:
        _check_digest(digest)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > service.max_blob_bytes:
            raise HubError(413, protocol.ERR_TOO_LARGE, "Tệp quá lớn.")
        pending = await run_in_threadpool(service.begin_blob)
        try:
            async for chunk in request.stream():
                pending.write(chunk)
        except BlobTooLarge:
            pending.abort()
            raise HubError(413, protocol.ERR_TOO_LARGE, "Tệp quá lớn.") from None
        except ClientDisconnect:
            pending.abort()
            return JSONResponse({"error": "disconnected", "message": ""}, status_code=400)
        except BaseException:
            pending.abort()
            raise
        try:
            created = await run_in_threadpool(service.finish_blob, pending, digest)
        except DigestMismatch:
            raise HubError(
                422,
                protocol.ERR_DIGEST,
                "Tệp nhận được không khớp mã SHA-256 của nó (hỏng trên đường truyền).",
            ) from None
        size = service.blob_size(digest)
        return JSONResponse(
            {"sha256": digest, "size": size, "created": created}, status_code=201 if created else 200
        )

    @app.put(
        f"{protocol.API}/submissions/{{submission_id}}",
        summary="Submit one document version with its manifest; answered with a signed receipt",
        openapi_extra={"requestBody": {"required": True, **json_body("SubmissionRequest", "the manifest")}},
        responses={
            200: json_body("SubmissionAnswer", "an identical replay: the stored receipt"),
            201: json_body("SubmissionAnswer", "stored; verification of its signatures follows"),
            401: ERROR,
            403: ERROR,
            409: json_body("Error", "another manifest holds this id, or the document's bytes are missing"),
            422: ERROR,
        },
    )
    async def put_submission(submission_id: str, request: Request, dev: Device) -> JSONResponse:
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) != {"manifest"}:
            raise _invalid('Yêu cầu phải là {"manifest": …}.')
        try:
            manifest = protocol.Manifest.from_json(body["manifest"])
        except protocol.ProtocolError as exc:
            raise _invalid(f"Hồ sơ kèm theo không đúng giao thức ({exc}).") from None
        if manifest.submission_id != submission_id:
            raise _invalid("Mã hồ sơ trong đường dẫn và trong nội dung khác nhau.")
        created, answer = await run_in_threadpool(
            lambda: service.submit(
                manifest, school_code=dev.school_code, device_id=dev.device_id, channel="http"
            )
        )
        return JSONResponse(answer.to_json(), status_code=201 if created else 200)

    @app.get(
        f"{protocol.API}/submissions/{{submission_id}}",
        summary="The receipt and signature verification of one submission of this school",
        responses={200: json_body("SubmissionAnswer", "held"), 401: ERROR, 404: ERROR},
    )
    def get_submission(submission_id: str, dev: Device) -> JSONResponse:
        return JSONResponse(service.status(dev.school_code, submission_id).to_json())

    @app.post(
        f"{protocol.API}/reconcile",
        summary="Receipts of submissions the hub holds (answers the client lost) and their verification",
        openapi_extra={"requestBody": {"required": True, **json_body("ReconcileRequest", "submission ids")}},
        responses={200: json_body("ReconcileAnswer", "what the hub holds"), 401: ERROR, 422: ERROR},
    )
    async def reconcile(request: Request, dev: Device) -> JSONResponse:
        body = await _json_body(request)
        ids = body.get("submission_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(protocol.is_uuid(i) for i in ids):
            raise _invalid("submission_ids phải là danh sách mã UUID.")
        items, unknown = await run_in_threadpool(service.reconcile, dev.school_code, ids)
        return JSONResponse(
            {
                "items": [
                    {
                        "submission_id": i.submission_id,
                        "receipt": i.receipt,
                        "verification": i.verification.to_json(),
                    }
                    for i in items
                ],
                "unknown": unknown,
            }
        )

    @app.get(
        f"{protocol.API}/verify/{{sha256}}",
        summary="Whether the hub holds a document with this SHA-256, whether it was superseded, its receipt",
        description="No credential: a phone scanning the QR code of a printed record opens this address. "
        "With `Accept: text/html` the answer is a short page in Vietnamese instead of JSON.",
        responses={
            200: {
                "description": "what the hub knows (held false when it does not hold the document)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/VerifyAnswer"}},
                    "text/html": {"schema": {"type": "string"}},
                },
            },
            422: ERROR,
        },
    )
    def verify(sha256: str, accept: Annotated[str | None, Header()] = None) -> Response:
        answer = service.verify(_check_digest(sha256.lower()))
        if accept is not None and "text/html" in accept.lower():
            return HTMLResponse(verify_html(answer), status_code=200)
        return JSONResponse(answer)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            spec.setdefault("components", {}).setdefault("schemas", {}).update(SCHEMAS)
            spec["components"]["securitySchemes"] = {
                "device": {"type": "http", "scheme": "bearer", "description": "hbd1.<device id>.<secret>"}
            }
            spec["security"] = [{"device": []}]
            spec["paths"][f"{protocol.API}/info"]["get"]["security"] = []
            spec["components"]["schemas"]["VerifyAnswer"] = VERIFY_SCHEMA
            spec["paths"][f"{protocol.API}/verify/{{sha256}}"]["get"]["security"] = []
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
