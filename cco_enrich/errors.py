"""Every exception cco_enrich raises on purpose.

* EnrichError
  x InvalidDOIError(ValueError)      input is not a DOI; never retried
  x InputError(ValueError)           an identifier list we cannot read; the API answers 4xx
    + InputTooLargeError             over CCO_MAX_UPLOAD_BYTES or CCO_MAX_IDENTIFIERS; 413
  x RegistryError                    Crossref/DataCite/doi.org answered badly
    + RegistryUnavailableError       429, 5xx, timeout, garbage: retried, then a failed outcome
    + BatchRejectedError             400/414 on a batch: split and retried
  x SessionNotFoundError             unknown session id; the API answers 404
  x SessionBusyError                 an enrichment is already queued or running; the API answers 409
  x LimitExceededError               a client limit (sessions per minute, queued sessions); 429
  x BodyTimeoutError                 the request body did not arrive in CCO_BODY_TIMEOUT_S; 408
"""

from __future__ import annotations


class EnrichError(Exception):
    """Base class of every error cco_enrich raises on purpose."""


class InvalidDOIError(EnrichError, ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not a DOI; expected something like '10.5555/12345678'.")
        self.raw = raw


class InputError(EnrichError, ValueError):
    """The identifier list could not be read."""


class InputTooLargeError(InputError):
    """The upload or the number of identifiers is over the configured limit."""


class RegistryError(EnrichError):
    """An upstream registry answered in a way we cannot use."""


class RegistryUnavailableError(RegistryError):
    """A transient upstream fault (429, 5xx, timeout, unparseable body); worth retrying."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BatchRejectedError(RegistryError):
    """The upstream refused a whole batch (400 validation failure, 414 URI too long)."""


class SessionNotFoundError(EnrichError):
    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"Session {session_id!r} does not exist or has expired; "
            "create one with POST /api/sessions."
        )
        self.session_id = session_id


class SessionBusyError(EnrichError):
    def __init__(self, session_id: str, state: str) -> None:
        super().__init__(
            f"Session {session_id!r} is {state}; wait for it to finish or cancel it first."
        )
        self.session_id = session_id
        self.state = state


class LimitExceededError(EnrichError):
    """A limit a client may not exceed; the API answers 429 with `Retry-After`."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BodyTimeoutError(EnrichError):
    """The request body arrived too slowly (a slow-loris client); the API answers 408."""
