"""JWT identity: verify bearer tokens, mint development tokens. Claims: DESIGN.md section 3."""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import jwt

from govgraph.config import Settings

CLOCK_SKEW = dt.timedelta(seconds=30)


class Role(StrEnum):
    CITIZEN = "citizen"
    OFFICER = "officer"
    TEACHER = "teacher"
    INSPECTOR = "inspector"
    OPERATOR = "operator"
    DEVICE = "device"
    ADMIN = "admin"


class AuthError(Exception):
    """A request's credentials were missing or refused. The message says why, without secrets."""


@dataclass(frozen=True)
class Principal:
    """Who is asking, from a verified token."""

    subject: str
    role: Role
    unit: str | None = None
    school: str | None = None
    domains: tuple[str, ...] = ()
    purpose: str | None = None
    expires_at: dt.datetime | None = None
    authenticated: bool = True

    @classmethod
    def anonymous(cls) -> Principal:
        """Nobody: the principal of a WebSocket before its connection_init was accepted."""
        return cls(subject="", role=Role.CITIZEN, authenticated=False)

    def expired(self, now: dt.datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (now or dt.datetime.now(dt.UTC)) > self.expires_at + CLOCK_SKEW


ASYMMETRIC = ["RS256", "ES256"]


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Keys are cached (and refetched for an unknown `kid`) by PyJWKClient.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def _key_and_algorithms(token: str, settings: Settings) -> tuple[Any, list[str]]:
    """JWKS (production identity provider), else a configured public key, else the HS256 secret."""
    if settings.jwks_url:
        try:
            return _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key, ASYMMETRIC
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthError("The identity provider's keys could not be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError("The token's signing key is not in the identity provider's key set") from exc
        except jwt.DecodeError as exc:
            raise AuthError("The token is malformed") from exc
    if settings.jwt_public_key:
        return settings.jwt_public_key, ASYMMETRIC
    return settings.jwt_secret, ["HS256"]


def verify_token(token: str, settings: Settings) -> Principal:
    """Verify signature, expiry (with clock skew), audience and issuer; return the principal."""
    return _verify(token, settings)[0]


class VerifiedTokens:
    """Tokens already verified, so that a client sending the same token on every request pays for one check.

    A token is the same string signed once: its claims cannot change, so its principal is kept until the
    token expires (with the same clock skew as the check), and at most ``recheck`` seconds, after which the
    signature is checked again (a key withdrawn from the identity provider's key set stops working within
    that time, as PyJWKClient's own key cache allows). A token not yet valid (``nbf``) or refused is never
    kept. Bounded: the least recently used tokens go first.
    """

    def __init__(self, settings: Settings, maxsize: int = 4096, recheck: float = 60.0) -> None:
        self.settings = settings
        self.maxsize = maxsize
        self.recheck = recheck
        self.entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def verify(self, token: str) -> Principal:
        now = time.time()
        found = self.entries.get(token)
        if found is not None:
            principal, until = found
            if now < until:
                self.entries.move_to_end(token)
                return principal
            del self.entries[token]
        principal, not_before = _verify(token, self.settings)
        if not_before is None or not_before <= now:
            expires = principal.expires_at.timestamp() + CLOCK_SKEW.total_seconds() if principal.expires_at else now
            self.entries[token] = (principal, min(expires, now + self.recheck))
            if len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)
        return principal


def _verify(token: str, settings: Settings) -> tuple[Principal, float | None]:
    """The principal of a valid token, and its `nbf` claim (None: none)."""
    key, algorithms = _key_and_algorithms(token, settings)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=CLOCK_SKEW,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("The token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise AuthError("The token is for another audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise AuthError("The token was issued by an unknown issuer") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise AuthError(f"The token lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidSignatureError as exc:
        raise AuthError("The token's signature is not valid") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise AuthError("The token's signing algorithm is not accepted") from exc
    except jwt.PyJWTError as exc:
        raise AuthError("The token is malformed") from exc
    try:
        role = Role(claims["role"])
    except ValueError as exc:
        raise AuthError(f"Unknown role {claims['role']!r}") from exc
    domains = claims.get("domains") or ()
    nbf = claims.get("nbf")
    principal = Principal(
        subject=str(claims["sub"]),
        role=role,
        unit=claims.get("unit"),
        school=claims.get("school"),
        domains=tuple(str(d) for d in domains),
        purpose=claims.get("purpose"),
        expires_at=dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC),
    )
    return principal, float(nbf) if isinstance(nbf, int | float) else None


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        raise AuthError(
            "Authentication required: send 'Authorization: Bearer <token>'. "
            "Anonymous readers can use the public schema at /public/graphql."
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("The Authorization header must be 'Bearer <token>'")
    return token.strip()


def mint_token(
    settings: Settings,
    role: Role,
    subject: str | None = None,
    unit: str | None = None,
    school: str | None = None,
    domains: tuple[str, ...] = (),
    ttl: int = 3600,
    now: dt.datetime | None = None,
    purpose: str | None = None,
) -> str:
    """A signed HS256 token for development and tests."""
    now = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject or f"{role.value}-dev",
        "role": role.value,
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(seconds=ttl)).timestamp()),
    }
    if unit:
        claims["unit"] = unit
    if school:
        claims["school"] = school
    if domains:
        claims["domains"] = list(domains)
    if purpose:
        claims["purpose"] = purpose
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
