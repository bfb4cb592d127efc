"""A small NATS JWT (v2) generator for tests: operator, account and user JWTs and ``.creds``.

It writes what ``nsc`` and the Go library (nats-io/jwt v2) write: header
``{"typ":"JWT","alg":"ed25519-nkey"}``, claims with ``nats.type`` and ``nats.version: 2``,
``jti`` = base32 (no padding) of SHA-512/256 of the registered claims, and an Ed25519
signature by the issuer's nkey over ``base64url(header) + "." + base64url(claims)``, every
part base64 URL-safe without padding. ``test_jwtgen_reference.py`` proves the output against
the real nats-server.

Keys come from fixed seeds when given a label (:func:`key`), so the output is reproducible:
Ed25519 signatures are deterministic, and every time is passed in. ``python3 jwtgen.py``
prints :func:`fixtures`, the JWTs pasted into ``rust/server/src/jwt/tests.rs``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nkeys

# What nsc writes for an account with no limits set (-1 = unlimited). A v2 account JWT
# without ``limits`` has every limit 0 in nats-server's eyes: no connection is allowed.
UNLIMITED_ACCOUNT = {
    "subs": -1,
    "data": -1,
    "payload": -1,
    "imports": -1,
    "exports": -1,
    "wildcards": True,
    "conn": -1,
    "leaf": -1,
}
# What a user JWT made by nsc carries.
UNLIMITED_USER = {"subs": -1, "data": -1, "payload": -1}

FIXED_IAT = 1_700_000_000  # 2023-11-14T22:13:20Z
PAST = 1_600_000_000  # 2020-09-13: an expiry already gone


@dataclass(frozen=True)
class Key:
    """An nkey pair: ``public`` (``O...``/``A...``/``U...``) and ``seed`` (``S...``)."""

    seed: str
    public: str

    def sign(self, data: bytes) -> bytes:
        sig: bytes = nkeys.from_seed(bytearray(self.seed.encode())).sign(data)
        return sig


_PREFIXES = {
    "operator": nkeys.PREFIX_BYTE_OPERATOR,
    "account": nkeys.PREFIX_BYTE_ACCOUNT,
    "user": nkeys.PREFIX_BYTE_USER,
}


def key(kind: str, label: str | None = None) -> Key:
    """A key of ``kind`` (operator, account, user): from a fixed seed derived from ``label``,
    or random without one."""
    raw = hashlib.sha256(f"jwtgen:{kind}:{label}".encode()).digest() if label else os.urandom(32)
    seed = nkeys.encode_seed(raw, _PREFIXES[kind])
    kp = nkeys.from_seed(bytearray(seed))
    return Key(seed.decode(), kp.public_key.decode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _jti(claims: dict[str, Any]) -> str:
    """The Go library's ``ClaimsData.hash``: the registered claims in its field order,
    empty ones left out, ``jti`` empty."""
    order = ("aud", "exp", "jti", "iat", "iss", "name", "nbf", "sub")
    data = {k: claims[k] for k in order if claims.get(k) and k != "jti"}
    digest = hashlib.new("sha512_256", _json(data)).digest()
    return base64.b32encode(digest).decode().rstrip("=")


def encode(claims: dict[str, Any], signer: Key, *, iat: int = FIXED_IAT) -> str:
    """Signs ``claims`` (``sub``, ``nats`` ...) as a v2 JWT issued by ``signer`` at ``iat``."""
    claims = dict(claims)
    claims["iss"] = signer.public
    claims.setdefault("iat", iat)
    claims["jti"] = _jti(claims)
    header = _b64(_json({"typ": "JWT", "alg": "ed25519-nkey"}))
    payload = _b64(_json(claims))
    signed = f"{header}.{payload}"
    return f"{signed}.{_b64(signer.sign(signed.encode()))}"


def _claims(sub: str, name: str, nats: dict[str, Any], exp: int, nbf: int) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": sub, "name": name, "nats": {**nats}}
    if exp:
        claims["exp"] = exp
    if nbf:
        claims["nbf"] = nbf
    return claims


def operator_jwt(
    op: Key, name: str = "op", *, signer: Key | None = None, exp: int = 0, **nats: Any
) -> str:
    """An operator JWT, self-signed unless ``signer``; ``nats`` holds e.g. ``signing_keys``,
    ``system_account``, ``strict_signing_key_usage``."""
    body = {**nats, "type": "operator", "version": 2}
    return encode(_claims(op.public, name, body, exp, 0), signer or op)


def account_jwt(
    account: Key,
    signer: Key,
    name: str = "acc",
    *,
    limits: dict[str, Any] | None = None,
    exp: int = 0,
    **nats: Any,
) -> str:
    """An account JWT signed by the operator key ``signer``; ``limits`` defaults to
    :data:`UNLIMITED_ACCOUNT` (pass ``{}`` to leave it out); ``nats`` holds e.g.
    ``signing_keys`` (public keys, or ``{"kind": "user_scope", "key": ..., "template":
    {...}}``), ``revocations`` ({user public key or ``*``: unix seconds})."""
    body: dict[str, Any] = {**nats, "type": "account", "version": 2}
    lim = UNLIMITED_ACCOUNT if limits is None else limits
    if lim:
        body["limits"] = lim
    return encode(_claims(account.public, name, body, exp, 0), signer)


def user_jwt(
    user: Key,
    signer: Key,
    name: str = "user",
    *,
    issuer_account: str | None = None,
    exp: int = 0,
    nbf: int = 0,
    iat: int = FIXED_IAT,
    unlimited: bool = True,
    **nats: Any,
) -> str:
    """A user JWT signed by the account key ``signer`` (or a signing key of the account
    ``issuer_account``); ``nats`` holds ``pub``/``sub`` ({allow, deny}), ``resp``, ``src``,
    ``times``, ``times_location``, ``bearer_token``, ...; ``unlimited`` adds nsc's
    ``subs``/``data``/``payload`` of -1 (a scoped user must carry none)."""
    body: dict[str, Any] = {**(UNLIMITED_USER if unlimited else {}), **nats}
    if issuer_account:
        body["issuer_account"] = issuer_account
    body.update(type="user", version=2)
    return encode(_claims(user.public, name, body, exp, nbf), signer, iat=iat)


def decorate(token: str, kind: str) -> str:
    """The Go library's ``DecorateJWT`` framing."""
    kind = kind.upper()
    return f"-----BEGIN NATS {kind} JWT-----\n{token}\n------END NATS {kind} JWT------\n\n"


def creds(token: str, user: Key) -> str:
    """A ``.creds`` file as ``nsc`` writes it (``jwt.FormatUserConfig``)."""
    return (
        decorate(token, "user")
        + "************************* IMPORTANT *************************\n"
        + "NKEY Seed printed below can be used to sign and prove identity.\n"
        + "NKEYs are sensitive and should be treated as secrets.\n\n"
        + f"-----BEGIN USER NKEY SEED-----\n{user.seed}\n------END USER NKEY SEED------\n\n"
        + "*************************************************************\n"
    )


def fixtures() -> dict[str, str]:
    """Fixed keys and JWTs (fixed seeds and times): an operator, an account with a plain
    and a scoped signing key and a revocation, a user, an expired user, a scoped user, and a
    user of an account the server does not know."""
    op = key("operator", "op")
    acc = key("account", "acc")
    signing = key("account", "acc-signing")
    scoped = key("account", "acc-scoped")
    stranger = key("account", "stranger")
    user = key("user", "user")
    expired = key("user", "expired")
    scoped_user = key("user", "scoped")
    revoked = key("user", "revoked")
    template = {"pub": {"allow": ["scoped.>"]}, "sub": {"allow": ["_INBOX.>", "scoped.>"]}}
    return {
        "operator": operator_jwt(op, "fixture-op"),
        "account_pub": acc.public,
        "account": account_jwt(
            acc,
            op,
            "fixture-acc",
            signing_keys=[
                signing.public,
                {"kind": "user_scope", "key": scoped.public, "role": "svc", "template": template},
            ],
            revocations={revoked.public: FIXED_IAT},
        ),
        "user_seed": user.seed,
        "user": user_jwt(
            user,
            acc,
            "fixture-user",
            pub={"allow": ["fixture.>", "_INBOX.>"]},
            sub={"allow": ["fixture.>", "_INBOX.>"]},
            src=["127.0.0.0/8", "::1/128"],
        ),
        "expired_seed": expired.seed,
        "expired": user_jwt(expired, acc, "fixture-expired", exp=PAST),
        "scoped_seed": scoped_user.seed,
        "scoped": user_jwt(
            scoped_user, scoped, "fixture-scoped", issuer_account=acc.public, unlimited=False
        ),
        "revoked_seed": revoked.seed,
        "revoked": user_jwt(revoked, signing, "fixture-revoked", issuer_account=acc.public),
        "stranger_user": user_jwt(key("user", "stranger"), stranger, "fixture-stranger"),
        "stranger_seed": key("user", "stranger").seed,
    }


if __name__ == "__main__":
    for name, value in fixtures().items():
        sys.stdout.write(f"{name} = {value}\n")


def write_creds(directory: Path, token: str, seed: str) -> str:
    """A ``.creds`` file for the user JWT ``token`` and its ``seed``, numbered in
    ``directory``; returns its path."""
    path = directory / f"user-{len(list(directory.glob('*.creds')))}.creds"
    path.write_text(creds(token, Key(seed, "")))
    return str(path)
