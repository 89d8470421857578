"""Who a request is: the user as the token check described them, not necessarily a row in our database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SSOPrincipal:
    """The DRF `request.user` of a token-authenticated request; on a gateway, built from the auth service's answer."""

    username: str
    permissions: frozenset[str]
    expires_at: datetime
    user_id: int | None = field(default=None, compare=False)

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def has_perm(self, perm: str) -> bool:
        return perm in self.permissions

    def __str__(self) -> str:
        return self.username


@dataclass(frozen=True)
class ServiceCaller:
    """The DRF `request.user` of a service checking tokens: a registered client, or (client_id None) a FacePass
    gateway presenting the shared SSO_SERVICE_KEY."""

    name: str
    client_id: str | None = None

    is_authenticated = True
    is_anonymous = False

    def __str__(self) -> str:
        return self.name
