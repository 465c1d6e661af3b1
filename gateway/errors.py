"""The gateway's error tree. Every error a client can see carries a stable `extensions.code`.

    GatewayError                      code
    ├── BadRequest                    BAD_REQUEST
    │   ├── MalformedId               MALFORMED_ID
    │   ├── NotFound                  NOT_FOUND           (an id in a mutation names nothing)
    │   ├── LinkConflict              LINK_CONFLICT       (a review decision that cannot hold)
    │   ├── OfficerRequired           OFFICER_REQUIRED    (a decision without X-Officer)
    │   └── InterchangeInvalid        INTERCHANGE_INVALID (a linkage CSV we cannot read)
    ├── StoreNotReady                 STORE_NOT_MIGRATED
    └── AdapterError(partner)         PARTNER_ERROR
        ├── PartnerUnavailable        PARTNER_UNAVAILABLE   (refused, reset, 5xx)
        ├── PartnerTimeout            PARTNER_TIMEOUT
        ├── PartnerRejected           PARTNER_REJECTED      (4xx: we asked wrongly)
        └── PartnerDataInvalid        PARTNER_DATA_INVALID  (answer we cannot read)

Adapters translate foreign exceptions (httpx, asyncpg, file parsing) into this tree once, at
their edge; nothing above `gateway/adapters/` sees a foreign exception.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    code: ClassVar[str] = "GATEWAY_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class BadRequest(GatewayError):
    code = "BAD_REQUEST"


class MalformedId(BadRequest):
    code = "MALFORMED_ID"


class NotFound(BadRequest):
    code = "NOT_FOUND"


class LinkConflict(BadRequest):
    code = "LINK_CONFLICT"


class OfficerRequired(BadRequest):
    code = "OFFICER_REQUIRED"


class InterchangeInvalid(BadRequest):
    """A linkage interchange file (docs/linkage.md) that cannot be read; `extensions` names the
    file and, where one is to blame, the line and column."""

    code = "INTERCHANGE_INVALID"


class StoreNotReady(GatewayError):
    code = "STORE_NOT_MIGRATED"


class AdapterError(GatewayError):
    code = "PARTNER_ERROR"

    def __init__(self, partner: str, message: str, **extensions: Any) -> None:
        super().__init__(f"{partner}: {message}", partner=partner, **extensions)
        self.partner = partner


class PartnerUnavailable(AdapterError):
    code = "PARTNER_UNAVAILABLE"


class PartnerTimeout(AdapterError):
    code = "PARTNER_TIMEOUT"


class PartnerRejected(AdapterError):
    code = "PARTNER_REJECTED"


class PartnerDataInvalid(AdapterError):
    code = "PARTNER_DATA_INVALID"
