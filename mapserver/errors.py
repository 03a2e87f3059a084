"""The few errors the server raises, and the one table mapping them to HTTP.

Each becomes an RFC 9457 ``application/problem+json`` body naming what was
wrong and where.
"""

from __future__ import annotations

from typing import Any

import psycopg
import psycopg.errors
from sqlalchemy import exc as sa_exc


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
    """Too many costly queries already running (mapserver.features.admission): try again shortly."""

    title = "服务繁忙 Busy"


class DatabaseUnavailable(ProblemError):
    """The database cannot be reached (down, restarting, failing over): nothing was done."""

    title = "数据库暂不可用 Database unavailable"


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
    DatabaseUnavailable: 503,
}

# The driver's and SQLAlchemy's ways of saying "no connection": refused, reset, admin
# shutdown (57P01), cannot connect now (57P03, starting up or shutting down), a pool
# connection found dead. QueryCanceled and the rollback errors are OperationalErrors too,
# so they are told apart first.
UNREACHABLE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
)


def database_problem(error: BaseException, statement_timeout_ms: int) -> ProblemError | None:
    """The problem a database error means for the client; None for a bug (a 500)."""
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    if isinstance(cause, psycopg.errors.QueryCanceled):
        return QueryTimeout(
            f"a database statement ran longer than {statement_timeout_ms} ms and was "
            "cancelled; narrow the filter (fewer vertices or spatial operators) or try "
            "again later",
            limit={"name": "statement_timeout_ms", "value": statement_timeout_ms},
        )
    if isinstance(cause, psycopg.errors.TransactionRollback):
        return Busy("the database rolled the transaction back (a conflict); nothing was saved")
    if isinstance(error, sa_exc.TimeoutError):  # the pool had no free connection in time
        return Busy("every database connection of this process is in use; try again")
    if isinstance(error, UNREACHABLE) or isinstance(cause, UNREACHABLE):
        return DatabaseUnavailable(
            "the database cannot be reached (restarting or down); nothing was saved by "
            "this request, try again shortly"
        )
    return None


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
