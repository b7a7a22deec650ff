"""The export key (C3, I8) as every way in signs with it: the audit export, the store's
checkpoints and the receipts. Made on first use in development; a missing key file is an
error in production (`store.keys`)."""

from __future__ import annotations

from api.settings import Settings
from projections.audit.chain import Signer, new_private_pem
from store.keys import load_or_create_export_key


def export_signer(settings: Settings) -> Signer:
    """The service's Ed25519 export key."""
    pem = load_or_create_export_key(
        settings.export_key, create=settings.is_development, make=new_private_pem
    )
    return Signer(pem)
