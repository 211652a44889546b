"""Key material for the lab: a CA and server certificate (the Azure SDKs insist on https),
and RS256 JSON Web Tokens signed and checked the way Kubernetes and Entra do.

Only the lab imports this module; it needs ``cryptography``, which azure-identity already
brings in (through msal).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID


class JWTError(Exception):
    """A token that is malformed or whose signature does not verify."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class SigningKey:
    """An RSA key that signs tokens; its kid is the hash of the public key, as kube-apiserver derives it."""

    private: rsa.RSAPrivateKey

    @property
    def kid(self) -> str:
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return b64url(hashlib.sha256(der).digest())

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "use": "sig",
            "kty": "RSA",
            "kid": self.kid,
            "alg": "RS256",
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
        }

    def sign(self, claims: Mapping[str, object]) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}".encode("ascii")
        signature = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def new_signing_key() -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def unverified_parts(token: str) -> tuple[dict, dict]:
    """The header and claims of a compact JWT, without checking anything."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("the token is not a compact JWT (three dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise JWTError(f"the token is not valid base64url JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTError("the token's header and payload must be JSON objects")
    return header, claims


def verify(token: str, jwks: Mapping[str, object]) -> dict:
    """The claims of an RS256 token whose signature verifies against a key of the JWKS (by kid)."""
    header, claims = unverified_parts(token)
    if header.get("alg") != "RS256":
        raise JWTError(f"unsupported signing algorithm {header.get('alg')!r}")
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kid") == header.get("kid")]
    if not keys:
        raise JWTError(f"no key with kid {header.get('kid')!r} in the issuer's JWKS")
    key = rsa.RSAPublicNumbers(
        int.from_bytes(b64url_decode(keys[0]["e"]), "big"), int.from_bytes(b64url_decode(keys[0]["n"]), "big")
    ).public_key()
    signing_input, _, signature = token.rpartition(".")
    try:
        key.verify(b64url_decode(signature), signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise JWTError("the token's signature does not verify") from None
    return claims


@dataclass(frozen=True)
class TLSMaterial:
    """PEM bytes of the lab CA, and of a server certificate for 127.0.0.1 / localhost it signed."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def new_tls_material(days: int = 30) -> TLSMaterial:
    """ECDSA keys: instant to generate, and accepted by requests, urllib3 and kubectl alike."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wimigrate lab CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return TLSMaterial(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


@dataclass(frozen=True)
class KeyMaterial:
    """Everything a lab signs with: TLS, the cluster's service-account issuer, and Entra."""

    tls: TLSMaterial
    issuer: SigningKey
    entra: SigningKey


def new_key_material() -> KeyMaterial:
    return KeyMaterial(tls=new_tls_material(), issuer=new_signing_key(), entra=new_signing_key())


@lru_cache(maxsize=1)
def shared_key_material() -> KeyMaterial:
    """One set per process, so that a test suite starting many labs pays for key generation once."""
    return new_key_material()
