"""Who is asking: a signed-in user, a service (script, CI), the local guest, or nobody."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrincipalType = Literal["user", "service", "none"]


@dataclass(frozen=True)
class Identity:
    """The caller of one request.

    ``subject`` is the user entity ref (``user:default/jdoe``) or the service's name (``service:ci``);
    ``ownership`` holds the refs the caller owns through: the user, their groups and those groups' parents.
    """

    type: PrincipalType
    subject: str
    ownership: tuple[str, ...] = field(default_factory=tuple)
    display_name: str = ""
    provider: str = ""

    @property
    def signed_in(self) -> bool:
        return self.type != "none"

    def claims(self) -> set[str]:
        """Every name a policy rule may use for this caller: its subject and its ownership refs."""
        return {self.subject, *self.ownership}


NOBODY = Identity("none", "")
