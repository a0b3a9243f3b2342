"""Users and Groups from an LDAP directory (OpenLDAP, Active Directory), as Backstage's LDAP module makes them.

Every search is paged (RFC 2696), so a directory's size limit never cuts the list short. Relations come from
whichever side the directory keeps: a user's ``memberOf``, a group's ``member`` (users or nested groups) or a
group's ``memberOf``; a group with exactly one parent group gets ``spec.parent``, as in Backstage.
"""

from __future__ import annotations

import copy
import ssl
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ldap3 import BASE, DSA, LEVEL, SUBTREE, Connection, Server, Tls

from callboard.sdk import InputError, UpstreamError
from callboard_org.model import Org
from callboard_org.settings import Groups, LdapProvider, Users

DN_ANNOTATION = "backstage.io/ldap-dn"
RDN_ANNOTATION = "backstage.io/ldap-rdn"
UUID_ANNOTATION = "backstage.io/ldap-uuid"
SCOPES = {"base": BASE, "one": LEVEL, "sub": SUBTREE}


@dataclass(frozen=True)
class VendorAttributes:
    """Where a directory keeps an entry's DN and its unique id (Backstage's vendors)."""

    dn: str
    uuid: str
    #: Active Directory compares DNs without regard to case.
    case_insensitive: bool = False


OPENLDAP = VendorAttributes("entryDN", "entryUUID")
ACTIVE_DIRECTORY = VendorAttributes("distinguishedName", "objectGUID", case_insensitive=True)


def connect(provider: LdapProvider) -> Connection:
    tls = None
    if provider.tls is not None:
        tls = Tls(
            validate=ssl.CERT_REQUIRED if provider.tls.reject_unauthorized else ssl.CERT_NONE,
            ca_certs_file=provider.tls.certs,
        )
    secure = provider.target.startswith("ldaps://")
    server = Server(provider.target, use_ssl=secure, tls=tls, get_info=DSA, connect_timeout=10)
    bind = provider.bind
    connection = Connection(
        server,
        user=bind.dn if bind else None,
        password=bind.secret if bind else None,
        receive_timeout=60,
        read_only=True,
        raise_exceptions=True,
    )
    try:
        connection.open()
        connection.bind()
    except Exception as error:  # ldap3 raises its own exception tree, with the server's words in it
        # ldap3 leaves the socket of a refused connection or bind open: close it here.
        if connection.socket is not None:
            connection.socket.close()
        raise UpstreamError(f"LDAP {provider.target}: {_reason(error)}") from None
    return connection


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "invalidCredentials" in text:
        return "the directory refused the bind DN and secret (catalog.providers.ldapOrg.<id>.bind)"
    return text


def vendor_of(connection: Connection, provider: LdapProvider) -> VendorAttributes:
    """OpenLDAP's attribute names unless the server's root DSE says Active Directory; config overrides both."""
    info = connection.server.info
    is_ad = bool(info and info.other and "forestFunctionality" in info.other)
    found = ACTIVE_DIRECTORY if is_ad else OPENLDAP
    return VendorAttributes(
        provider.vendor.dn_attribute_name or found.dn,
        provider.vendor.uuid_attribute_name or found.uuid,
        found.case_insensitive,
    )


def search(connection: Connection, base: str, users_or_groups: Users | Groups, default: str) -> Iterator[Any]:
    options = users_or_groups.options
    try:
        yield from connection.extend.standard.paged_search(
            search_base=base,
            search_filter=options.ldap_filter(default),
            search_scope=SCOPES[options.scope],
            attributes=options.attributes,
            paged_size=options.page_size,
            generator=True,
        )
    except Exception as error:
        raise UpstreamError(f"LDAP search under {base}: {_reason(error)}") from None


def read_org(connection: Connection, provider: LdapProvider) -> Org:
    vendor = vendor_of(connection, provider)
    org = Org()
    user_member_of: dict[str, set[str]] = defaultdict(set)
    group_member_of: dict[str, set[str]] = defaultdict(set)
    group_members: dict[str, set[str]] = defaultdict(set)
    for config in provider.users:
        for entry in _entries(search(connection, config.dn, config, "(objectClass=*)")):
            user = _user(entry, config, vendor)
            if isinstance(user, str):
                org.skipped.append(user)
                continue
            user_member_of[_key(entry.dn, vendor)] |= {_key(v, vendor) for v in _values(entry, config.map.member_of)}
            org.users.append(user)
    for group_config in provider.groups:
        for entry in _entries(search(connection, group_config.dn, group_config, "(objectClass=*)")):
            group = _group(entry, group_config, vendor)
            if isinstance(group, str):
                org.skipped.append(group)
                continue
            key = _key(entry.dn, vendor)
            group_member_of[key] |= {_key(v, vendor) for v in _values(entry, group_config.map.member_of)}
            group_members[key] |= {_key(v, vendor) for v in _values(entry, group_config.map.members)}
            org.groups.append(group)
    _resolve(org, vendor, user_member_of, group_member_of, group_members)
    org.users.sort(key=lambda entity: str(entity["metadata"]["name"]))
    org.groups.sort(key=lambda entity: str(entity["metadata"]["name"]))
    return org


@dataclass(frozen=True)
class _Entry:
    dn: str
    attributes: Mapping[str, Any]


def _entries(results: Iterator[Any]) -> Iterator[_Entry]:
    for result in results:
        if result.get("type") == "searchResEntry":
            yield _Entry(str(result["dn"]), result.get("attributes") or {})


def _values(entry: _Entry, attribute: str | None) -> list[str]:
    if not attribute:
        return []
    if attribute.lower() in ("dn", "distinguishedname") and attribute not in entry.attributes:
        return [entry.dn]
    for name, value in entry.attributes.items():
        if name.lower() == attribute.lower():
            values = value if isinstance(value, list) else [value]
            return [_text(item) for item in values if item not in (None, b"", "")]
    return []


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # objectGUID and other binary ids: hex, as Backstage's AD vendor renders them
        return value.hex()
    return str(value)


def _first(entry: _Entry, attribute: str | None) -> str | None:
    values = _values(entry, attribute)
    return values[0] if values else None


def _key(dn: str, vendor: VendorAttributes) -> str:
    return dn.lower() if vendor.case_insensitive else dn


def _base(kind: str, entry: _Entry, vendor: VendorAttributes, settings: Mapping[str, Any]) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "apiVersion": "backstage.io/v1beta1",
        "kind": kind,
        "metadata": {"name": "", "annotations": {}},
        "spec": {"profile": {}, "memberOf": []}
        if kind == "User"
        else {"type": "unknown", "profile": {}, "children": []},
    }
    for path, value in settings.items():  # `set`: fixed values at dotted paths, applied first as in Backstage
        _set_path(entity, path, copy.deepcopy(value))
    annotations = entity["metadata"]["annotations"]
    annotations[DN_ANNOTATION] = _first(entry, vendor.dn) or entry.dn
    uuid = _first(entry, vendor.uuid)
    if uuid:
        annotations[UUID_ANNOTATION] = uuid
    return entity


def _user(entry: _Entry, config: Users, vendor: VendorAttributes) -> dict[str, Any] | str:
    entity = _base("User", entry, vendor, config.set)
    mapped = config.map
    return _fill(
        entity, entry, mapped.name, mapped.rdn, mapped.description, mapped.display_name, mapped.email, mapped.picture
    )


def _group(entry: _Entry, config: Groups, vendor: VendorAttributes) -> dict[str, Any] | str:
    entity = _base("Group", entry, vendor, config.set)
    mapped = config.map
    group_type = _first(entry, mapped.type)
    if group_type:
        entity["spec"]["type"] = group_type
    return _fill(
        entity, entry, mapped.name, mapped.rdn, mapped.description, mapped.display_name, mapped.email, mapped.picture
    )


def _fill(
    entity: dict[str, Any],
    entry: _Entry,
    name: str,
    rdn: str,
    description: str | None,
    display_name: str,
    email: str | None,
    picture: str | None,
) -> dict[str, Any] | str:
    found = _first(entry, name)
    if not found:
        return f"{entry.dn}: no {name} attribute to name the {entity['kind'].lower()} by (map.name)"
    entity["metadata"]["name"] = found
    rdn_value = _first(entry, rdn)
    if rdn_value:
        entity["metadata"]["annotations"][RDN_ANNOTATION] = rdn_value
    text = _first(entry, description)
    if text:
        entity["metadata"]["description"] = text
    profile = entity["spec"]["profile"]
    for key, attribute in (("displayName", display_name), ("email", email), ("picture", picture)):
        value = _first(entry, attribute)
        if value:
            profile[key] = value
    return entity


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise InputError(f"set.{path}: {part} is not an object in the entity")
    target[parts[-1]] = value


def _ref(entity: Mapping[str, Any]) -> str:
    return f"{str(entity['kind']).lower()}:default/{entity['metadata']['name']}"


def _resolve(
    org: Org,
    vendor: VendorAttributes,
    user_member_of: Mapping[str, set[str]],
    group_member_of: Mapping[str, set[str]],
    group_members: Mapping[str, set[str]],
) -> None:
    """Relations from DNs (or uuids, or rdns) to entity refs, from whichever side the directory keeps them."""
    users: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    for table, entities in ((users, org.users), (groups, org.groups)):
        for entity in entities:
            annotations = entity["metadata"]["annotations"]
            for key in (
                _ref(entity),
                annotations.get(DN_ANNOTATION),
                annotations.get(RDN_ANNOTATION),
                annotations.get(UUID_ANNOTATION),
            ):
                if key:
                    table[_key(str(key), vendor)] = entity
    member_of: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    for user_key, targets in user_member_of.items():
        user = users.get(user_key)
        for target in targets:
            if user is not None and target in groups:
                member_of[_ref(user)].add(_ref(groups[target]))
    for group_key, targets in group_member_of.items():
        group = groups.get(group_key)
        for target in targets:
            if group is not None and target in groups:
                parents[_ref(group)].add(_ref(groups[target]))
                children[_ref(groups[target])].add(_ref(group))
    for group_key, targets in group_members.items():
        group = groups.get(group_key)
        if group is None:
            continue
        for target in targets:
            if target in users:
                member_of[_ref(users[target])].add(_ref(group))
            elif target in groups:
                children[_ref(group)].add(_ref(groups[target]))
                parents[_ref(groups[target])].add(_ref(group))
    for user in org.users:
        user["spec"]["memberOf"] = sorted(member_of.get(_ref(user), ()))
    for group in org.groups:
        ref = _ref(group)
        if len(parents.get(ref, ())) == 1:
            group["spec"]["parent"] = next(iter(parents[ref]))
        group["spec"]["children"] = sorted(children.get(ref, ()))


def with_locations(provider_id: str, entity: dict[str, Any]) -> dict[str, Any]:
    """Where the entity came from, as Backstage's LDAP provider writes it: ``ldap://<provider id>/<its DN>``."""
    annotations = entity["metadata"]["annotations"]
    where = annotations.get(DN_ANNOTATION) or annotations.get(UUID_ANNOTATION) or entity["metadata"]["name"]
    location = f"ldap://{provider_id}/{quote(str(where), safe='')}"
    annotations["backstage.io/managed-by-location"] = location
    annotations["backstage.io/managed-by-origin-location"] = location
    return entity


def read(provider: LdapProvider) -> Org:
    connection = connect(provider)
    try:
        return read_org(connection, provider)
    finally:
        connection.unbind()
