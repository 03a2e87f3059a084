"""The few errors the server raises, and the one table mapping them to HTTP.

Each becomes an RFC 9457 ``application/problem+json`` body naming what was
wrong and where.
"""

from __future__ import annotations

from typing import Any


class ConfigError(Exception):
    """Bad configuration: stops the server at startup."""


class ProblemError(Exception):
    """An error the client should see, with details for the problem body."""

    title = "请求有误 Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidParameter(ProblemError):
    title = "参数无效 Invalid parameter"


class NotFound(ProblemError):
    title = "未找到 Not found"


class NotAcceptable(ProblemError):
    title = "格式不支持 Not acceptable"


class Unauthorized(ProblemError):
    title = "未登录 Not authenticated"


class Forbidden(ProblemError):
    title = "无权操作 Forbidden"


class Conflict(ProblemError):
    title = "冲突 Conflict"


class PreconditionFailed(ProblemError):
    """A stale ``If-Match``: someone else saved first."""

    title = "版本已变化 Precondition failed"


class PayloadTooLarge(ProblemError):
    title = "请求体过大 Payload too large"


class UnsupportedMediaType(ProblemError):
    title = "内容类型不支持 Unsupported media type"


class Unprocessable(ProblemError):
    """Well-formed but refused: an invalid geometry, a rule of the layer."""

    title = "内容无法处理 Unprocessable content"


class PreconditionRequired(ProblemError):
    title = "缺少 If-Match Precondition required"


class TooManyRequests(ProblemError):
    title = "请求过于频繁 Too many requests"


class QueryTimeout(ProblemError):
    """A statement cancelled by ``statement_timeout``: a query too costly, or a busy server."""

    title = "查询超时 Query timed out"


class Busy(ProblemError):
    """Too many costly queries already running (mapserver.admission): try again shortly."""

    title = "服务繁忙 Busy"


STATUS: dict[type[ProblemError], int] = {
    ProblemError: 400,
    InvalidParameter: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    NotAcceptable: 406,
    Conflict: 409,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    Unprocessable: 422,
    PreconditionRequired: 428,
    TooManyRequests: 429,
    QueryTimeout: 503,
    Busy: 503,
}


def status_of(error: ProblemError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem(error: ProblemError) -> dict[str, Any]:
    """The problem+json body for an error."""
    status = status_of(error)
    body = {
        "type": "about:blank",
        "title": error.title,
        "status": status,
        "detail": error.detail,
    }
    body.update(error.extra)
    return body
