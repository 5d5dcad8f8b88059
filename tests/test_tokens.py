"""Token verification: HS256 for development, RS256/ES256 with a public key or a JWKS URL for production."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from govgraph.auth.identity import AuthError, Role, verify_token
from govgraph.config import Settings


def claims(**extra: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    exp = int((now + dt.timedelta(minutes=5)).timestamp())
    base = {"sub": "canbo-01", "role": "officer", "unit": "00082", "domains": ["population"],
            "aud": "govgraph", "iss": "govgraph-dev", "exp": exp}  # fmt: skip
    return {**base, **extra}


def pem(public_key: Any) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_rs256_and_es256_with_a_public_key(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> None:
    rs = verify_token(
        jwt.encode(claims(), rsa_key, algorithm="RS256"), Settings(jwt_public_key=pem(rsa_key.public_key()))
    )
    assert (rs.subject, rs.role, rs.unit, rs.domains) == ("canbo-01", Role.OFFICER, "00082", ("population",))
    es = verify_token(
        jwt.encode(claims(), ec_key, algorithm="ES256"), Settings(jwt_public_key=pem(ec_key.public_key()))
    )
    assert es.role == Role.OFFICER


def test_hs256_signed_with_the_public_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    """The algorithm-confusion attack: an HS256 token whose 'secret' is the (public) PEM."""
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    public = pem(rsa_key.public_key())
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims()).encode())
    signature = hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + b64(signature)
    with pytest.raises(AuthError):
        verify_token(forged, Settings(jwt_public_key=public))


def test_wrong_key_expired_and_wrong_audience(rsa_key: rsa.RSAPrivateKey) -> None:
    settings = Settings(jwt_public_key=pem(rsa_key.public_key()))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError, match="signature"):
        verify_token(jwt.encode(claims(), other, algorithm="RS256"), settings)
    with pytest.raises(AuthError, match="expired"):
        verify_token(jwt.encode(claims(exp=1_000_000), rsa_key, algorithm="RS256"), settings)
    with pytest.raises(AuthError, match="audience"):
        verify_token(jwt.encode(claims(aud="another-api"), rsa_key, algorithm="RS256"), settings)


def test_clock_skew_is_tolerated_up_to_30_seconds(rsa_key: rsa.RSAPrivateKey) -> None:
    settings = Settings(jwt_public_key=pem(rsa_key.public_key()))
    now = int(dt.datetime.now(dt.UTC).timestamp())
    assert verify_token(jwt.encode(claims(exp=now - 20), rsa_key, algorithm="RS256"), settings)
    with pytest.raises(AuthError, match="expired"):
        verify_token(jwt.encode(claims(exp=now - 45), rsa_key, algorithm="RS256"), settings)


@pytest.fixture(scope="module")
def jwks_server(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Iterator[str]:
    keys = []
    for kid, key in (("rsa-2026", rsa_key), ("ec-2026", ec_key)):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()["RS256" if kid.startswith("rsa") else "ES256"]
                         .to_jwk(key.public_key()))  # fmt: skip
        keys.append({**jwk, "kid": kid, "use": "sig"})
    body = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_jwks_picks_the_key_by_kid(
    jwks_server: str, rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    settings = Settings(jwks_url=jwks_server)
    rs = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-2026"})
    es = jwt.encode(claims(sub="canbo-02"), ec_key, algorithm="ES256", headers={"kid": "ec-2026"})
    assert verify_token(rs, settings).subject == "canbo-01"
    assert verify_token(es, settings).subject == "canbo-02"
    unknown = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "retired-2019"})
    with pytest.raises(AuthError, match="key set"):
        verify_token(unknown, settings)


def test_unreachable_jwks_is_a_clear_refusal(rsa_key: rsa.RSAPrivateKey) -> None:
    settings = Settings(jwks_url="http://127.0.0.1:9/jwks.json")
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-2026"})
    with pytest.raises(AuthError, match="could not be fetched"):
        verify_token(token, settings)


def test_production_needs_a_real_key() -> None:
    with pytest.raises(ValueError, match="production"):
        Settings.from_env({"GOVGRAPH_ENV": "production"})
    assert Settings.from_env({"GOVGRAPH_ENV": "production", "GOVGRAPH_JWKS_URL": "https://idp.example/jwks"}).jwks_url
