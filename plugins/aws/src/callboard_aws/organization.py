"""The organisation's shape from AWS Organizations: units as a tree from the root, accounts with their tags."""

from __future__ import annotations

from typing import Any

from callboard_aws.model import Account, Organization, OrgUnit
from callboard_aws.responses import paginate


def read_organization(client: Any) -> Organization:
    described = client.describe_organization()["Organization"]
    root = next(iter(paginate(client, "list_roots", "Roots")))
    units: list[OrgUnit] = []
    accounts: list[Account] = []
    # Breadth first, so every unit's path is known before its children's.
    frontier: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [(root["Id"], (), ())]
    while frontier:
        parent_id, path, ids = frontier.pop(0)
        for account in paginate(client, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            tags = {
                str(tag["Key"]): str(tag.get("Value", ""))
                for tag in paginate(client, "list_tags_for_resource", "Tags", ResourceId=account["Id"])
            }
            joined = account.get("JoinedTimestamp")
            accounts.append(
                Account(
                    id=str(account["Id"]),
                    name=str(account.get("Name", "")),
                    email=str(account.get("Email", "")),
                    arn=str(account.get("Arn", "")),
                    status=str(account.get("Status", "")),
                    ou_path=path,
                    ou_ids=ids,
                    tags=tags,
                    joined=joined.strftime("%Y-%m-%d") if joined is not None else "",
                )
            )
        for unit in paginate(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id):
            child = OrgUnit(str(unit["Id"]), str(unit["Name"]), (*path, str(unit["Name"])), parent_id)
            units.append(child)
            frontier.append((child.id, child.path, (*ids, child.id)))
    accounts.sort(key=lambda account: account.id)
    return Organization(
        id=str(described["Id"]),
        management_account=str(described.get("MasterAccountId", "")),
        root_id=str(root["Id"]),
        units=units,
        accounts=accounts,
    )
