"""A real OpenLDAP server (Debian's ``slapd``) on loopback with a seeded directory, for tests and trials.

The directory is a small company: people under ``ou=people``, teams as ``groupOfNames`` under ``ou=groups``
(nested: a department's members include its teams), the ``memberof`` overlay keeping each person's
``memberOf``, and a size limit of ``SIZE_LIMIT`` entries for searches that do not page, as production
directories have, so a reader that does not page gets a partial list.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ldap3 import Connection, Server

SUFFIX = "dc=northwind,dc=example"
ADMIN = f"cn=admin,{SUFFIX}"
ADMIN_SECRET = "admin-secret-0042"
READER = f"uid=portal-reader,ou=robots,{SUFFIX}"
READER_SECRET = "reader-secret-0042"
SIZE_LIMIT = 100
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    mail: str


@dataclass(frozen=True)
class Team:
    cn: str
    description: str
    members: Sequence[str]  # uids of people, or cns of other teams (nested groups)


class Slapd:
    def __init__(self, folder: Path, port: int) -> None:
        binary = shutil.which("slapd") or "/usr/sbin/slapd"
        if not Path(binary).exists():
            raise RuntimeError("Debian's slapd is expected (apt-get install slapd; .ci/run installs it)")
        self.port = port
        self.folder = folder
        (folder / "data").mkdir(parents=True, exist_ok=True)
        includes = "".join(f"include /etc/ldap/schema/{schema}.schema\n" for schema in SCHEMAS)
        (folder / "slapd.conf").write_text(
            f"{includes}"
            "modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload memberof\n"
            f"pidfile {folder / 'slapd.pid'}\n"
            f"sizelimit size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.prtotal=unlimited\n"
            f'database mdb\nmaxsize 104857600\nsuffix "{SUFFIX}"\nrootdn "{ADMIN}"\nrootpw {ADMIN_SECRET}\n'
            f"directory {folder / 'data'}\noverlay memberof\n",
            "utf-8",
        )
        self.log = (folder / "slapd.log").open("wb")
        self.process = subprocess.Popen(
            [binary, "-f", str(folder / "slapd.conf"), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _wait(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited with {self.process.returncode}: see {self.log.name}")
            try:  # the port first: a refused ldap3 connection leaves its socket open
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.1)
                continue
            with self.admin():
                return
        raise RuntimeError(f"slapd did not answer within {seconds:g} s: see {self.log.name}")

    @contextlib.contextmanager
    def admin(self) -> Iterator[Connection]:
        """The directory's administrator, bound, and unbound afterwards (ldap3's own ``with`` leaves a connection
        that was bound on creation open)."""
        connection = Connection(Server(self.url), ADMIN, ADMIN_SECRET, auto_bind=True, raise_exceptions=True)
        try:
            yield connection
        finally:
            connection.unbind()

    def seed(self, people: Iterable[Person], teams: Iterable[Team]) -> None:
        """The base entries, a read-only robot to bind as, the people, then the teams (so ``memberOf`` is set)."""
        with self.admin() as admin:
            admin.add(SUFFIX, ["top", "dcObject", "organization"], {"o": "Northwind", "dc": "northwind"})
            for unit in ("people", "groups", "robots"):
                admin.add(f"ou={unit},{SUFFIX}", ["top", "organizationalUnit"], {"ou": unit})
            admin.add(
                READER,
                ["top", "account", "simpleSecurityObject"],
                {"uid": "portal-reader", "userPassword": READER_SECRET},
            )
            for person in people:
                admin.add(
                    f"uid={person.uid},ou=people,{SUFFIX}",
                    ["top", "inetOrgPerson"],
                    {"uid": person.uid, "cn": person.name, "sn": person.name.split()[-1], "mail": person.mail},
                )
            pending = list(teams)
            added: set[str] = set()
            while pending:  # a team is added after the teams it contains, so the overlay sees them
                ready = [t for t in pending if all(m in added or not _is_team(m, pending) for m in t.members)]
                if not ready:
                    raise ValueError("teams contain each other in a cycle")
                for team in ready:
                    members = [_member_dn(member, added) for member in team.members]
                    admin.add(
                        f"cn={team.cn},ou=groups,{SUFFIX}",
                        ["top", "groupOfNames"],
                        {"cn": team.cn, "description": team.description, "member": members},
                    )
                    added.add(team.cn)
                    pending.remove(team)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


def _is_team(member: str, teams: Sequence[Team]) -> bool:
    return any(team.cn == member for team in teams)


def _member_dn(member: str, teams: set[str]) -> str:
    return f"cn={member},ou=groups,{SUFFIX}" if member in teams else f"uid={member},ou=people,{SUFFIX}"


def provider_config(url: str, **overrides: object) -> Mapping[str, object]:
    """``catalog.providers.ldapOrg.<id>`` for this directory, as an adopter would write it."""
    return {
        "target": url,
        "bind": {"dn": READER, "secret": READER_SECRET},
        "users": {"dn": f"ou=people,{SUFFIX}", "options": {"filter": "(objectClass=inetOrgPerson)"}},
        "groups": {"dn": f"ou=groups,{SUFFIX}", "options": {"filter": "(objectClass=groupOfNames)"}},
        **overrides,
    }
