"""C4: recording that a person's name and e-mail are erased."""

from __future__ import annotations

from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller


class Privacy(Service):
    """The erasure command (the keys it follows are destroyed beside the store)."""

    @command
    def erase_personal_data(self, caller: Caller, login: str) -> Receipt[None]:  # noqa: ARG002
        """C4: record that a person's name and e-mail are erased (the keys that sealed them
        are destroyed beside the store): every process's cache and read model follows it.
        The caller is the operator who ran the erasure: `@command` names it in the event."""
        user = self.user(login)
        user.erase_personal_data()
        return Receipt(self._save(user), None)
