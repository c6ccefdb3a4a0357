"""Secrets at rest: each purpose (signing keys, TOTP secrets, identity-provider client secrets, outbox
payloads) is encrypted with its own Fernet key derived from DEALERNET_SIGNING_KEY."""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from dealernet.core.settings import Settings


def secret_box(settings: Settings, purpose: str = "signing keys") -> Fernet:
    """The Fernet key secrets of one purpose are encrypted with at rest (signing keys, TOTP secrets,
    identity-provider client secrets), derived from DEALERNET_SIGNING_KEY."""
    secret = settings.signing_key or development_secret(settings.data_dir)
    derived = hashlib.sha256(f"dealernet {purpose}\x00".encode() + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def development_secret(data_dir: Path) -> str:
    """A random secret kept under the data directory, so development keys survive a restart."""
    path = data_dir / "signing.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
