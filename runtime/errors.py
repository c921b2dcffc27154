"""The runtime's error types: each carries the HTTP status and the `errorType` the abacusai SDK maps to a class.

Services raise these; the HTTP layer turns them into the Abacus envelope in one place, the CLI prints them.
"""

from __future__ import annotations


class RuntimeApiError(Exception):
    """Root of every error a caller of the services may see. Catch this to catch everything."""

    status = 400
    error_type = "ApiException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameterError(RuntimeApiError):
    error_type = "InvalidParameterError"


class MissingParameterError(RuntimeApiError):
    error_type = "MissingParameterError"


class InvalidEnumParameterError(RuntimeApiError):
    error_type = "InvalidEnumParameterError"


class InvalidRequest(RuntimeApiError):
    error_type = "InvalidRequest"


class DataNotFoundError(RuntimeApiError):
    status = 404
    error_type = "DataNotFoundError"


class MethodNotAllowed(RuntimeApiError):
    status = 405
    error_type = "MethodNotAllowed"


class PermissionDeniedError(RuntimeApiError):
    status = 401
    error_type = "PermissionDeniedError"


class ConflictError(RuntimeApiError):
    status = 409
    error_type = "ConflictError"


class AlreadyExistsError(RuntimeApiError):
    status = 409
    error_type = "AlreadyExistsError"


class NotReadyError(RuntimeApiError):
    status = 409
    error_type = "NotReadyError"


class RequestTimeoutError(RuntimeApiError):
    status = 408
    error_type = "RequestTimeoutError"


class TooManyRequestsError(RuntimeApiError):
    status = 429
    error_type = "TooManyRequestsError"


class PredictionFailedError(RuntimeApiError):
    """The model's own code failed on this request (exception, unconvertible output): a per-request error."""

    status = 400
    error_type = "InvalidParameterError"


class WorkerCrashedError(RuntimeApiError):
    """The serving worker died during the request (signal, OOM); it is restarted for the next one."""

    status = 500
    error_type = "InternalServerError"


class ValidatorFailedError(RuntimeApiError):
    """The validator's own process could not check the source (not a finding about the source): nothing is
    stored, and the call may be retried."""

    status = 500
    error_type = "InternalServerError"
