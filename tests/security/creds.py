"""Credentials for the security tests: bcrypt hashes (cheap cost) and nkey users."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import bcrypt
import nkeys

BCRYPT_COST = 4  # the minimum: the tests check the comparison, not the hardness


def bcrypt_hash(secret: str, prefix: bytes = b"2b") -> str:
    """A bcrypt hash of ``secret`` as nats-server's config takes it (``$2a$``/``$2b$``...)."""
    return bcrypt.hashpw(secret.encode(), bcrypt.gensalt(BCRYPT_COST, prefix)).decode()


@dataclass(frozen=True)
class NkeyUser:
    seed: str
    public: str

    def sign(self, nonce: str, *, urlsafe: bool = True) -> str:
        """The CONNECT ``sig``: Ed25519 over the nonce's bytes, base64 URL without padding
        (what the clients send) or standard base64 with padding (also accepted)."""
        raw = nkeys.from_seed(bytearray(self.seed.encode())).sign(nonce.encode())
        if urlsafe:
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return base64.b64encode(raw).decode()


def new_nkey_user() -> NkeyUser:
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    kp = nkeys.from_seed(bytearray(seed))
    return NkeyUser(seed.decode(), kp.public_key.decode())
