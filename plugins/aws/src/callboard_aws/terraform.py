"""Terraform state (format version 4, Terraform 0.12 and later) from S3 backends and local files: which
resources it manages, at which address, in which workspace, and which repository owns the state."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callboard_aws.responses import said
from callboard_aws.settings import TerraformState

#: Terraform resource types whose resources the inventory also finds in AWS, by the registry's type ids.
TYPES = {
    "aws_eks_cluster": "eks-cluster",
    "aws_db_instance": "rds-instance",
    "aws_rds_cluster": "rds-cluster",
    "aws_dynamodb_table": "dynamodb-table",
    "aws_sqs_queue": "sqs-queue",
    "aws_sns_topic": "sns-topic",
    "aws_lambda_function": "lambda-function",
    "aws_ecr_repository": "ecr-repository",
    "aws_s3_bucket": "s3-bucket",
}
#: The S3 backend's default workspace_key_prefix: other workspaces' states are at env:/<workspace>/<key>.
WORKSPACE_PREFIX = "env:/"
MAX_STATE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Managed:
    arn: str
    type_id: str
    name: str
    address: str
    workspace: str
    state: str
    repository: str

    def annotations(self) -> dict[str, str]:
        found = {
            "terraform.io/address": self.address,
            "terraform.io/workspace": self.workspace,
            "terraform.io/state": self.state,
        }
        if self.repository:
            found["terraform.io/repository"] = self.repository
        return found


@dataclass
class StateRead:
    managed: list[Managed]
    errors: list[str]
    files: int


def read_states(configured: list[TerraformState], s3_client: Callable[[str | None], Any]) -> StateRead:
    result = StateRead([], [], 0)
    for source in configured:
        try:
            for where, workspace, text in _documents(source, s3_client):
                result.files += 1
                try:
                    result.managed += parse_state(text, where, workspace, source.repository or "")
                except ValueError as error:
                    result.errors.append(str(error))
        except Exception as error:  # a missing bucket or folder is this source's problem, not the scan's
            result.errors.append(f"terraform state {source.s3 or source.path}: {said(error)}")
    return result


def parse_state(text: str, where: str, workspace: str, repository: str) -> list[Managed]:
    try:
        state = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", "?")
        raise ValueError(f"{where}: not JSON (line {line}: {error}); is this a .tfstate file?") from None
    if not isinstance(state, dict) or state.get("version") != 4:
        version = state.get("version") if isinstance(state, dict) else None
        raise ValueError(
            f"{where}: state format version {version!r}; only version 4 (Terraform 0.12 and later) is read "
            "(run `terraform state pull` with a current Terraform to upgrade it)"
        )
    found: list[Managed] = []
    for index, resource in enumerate(state.get("resources") or []):
        if not isinstance(resource, dict) or resource.get("mode") != "managed":
            continue
        type_id = TYPES.get(str(resource.get("type")))
        if type_id is None:
            continue
        base = f"{resource['type']}.{resource.get('name', f'resources[{index}]')}"
        module = resource.get("module")
        for instance in resource.get("instances") or []:
            attributes = (instance or {}).get("attributes") or {}
            arn = attributes.get("arn")
            if not isinstance(arn, str) or not arn.startswith("arn:"):
                continue
            key = instance.get("index_key")
            address = base + ("" if key is None else f"[{json.dumps(key)}]")
            name = str(attributes.get("name") or attributes.get("bucket") or attributes.get("function_name") or arn)
            found.append(
                Managed(arn, type_id, name, f"{module}.{address}" if module else address, workspace, where, repository)
            )
    return found


def _documents(source: TerraformState, s3_client: Callable[[str | None], Any]) -> Iterator[tuple[str, str, str]]:
    if source.path is not None:
        root = Path(source.path)
        files = sorted(root.rglob("*.tfstate")) if root.is_dir() else [root]
        for file in files:
            if file.stat().st_size > MAX_STATE_BYTES:
                raise ValueError(f"{file} is larger than {MAX_STATE_BYTES // 2**20} MiB")
            yield str(file), source.workspace or "default", file.read_text(encoding="utf-8")
        return
    assert source.s3 is not None
    bucket, _, key = source.s3.removeprefix("s3://").partition("/")
    client = s3_client(source.region)
    if key and not key.endswith("/"):
        keys = [key]
    else:
        keys = [
            item["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            for item in page.get("Contents") or []
            if item["Key"].endswith(".tfstate") or item["Key"].endswith("terraform.tfstate")
        ]
    for found_key in sorted(keys):
        body = client.get_object(Bucket=bucket, Key=found_key)["Body"]
        data = body.read(MAX_STATE_BYTES + 1)
        if len(data) > MAX_STATE_BYTES:
            raise ValueError(f"s3://{bucket}/{found_key} is larger than {MAX_STATE_BYTES // 2**20} MiB")
        yield f"s3://{bucket}/{found_key}", source.workspace or _workspace(found_key), data.decode("utf-8", "replace")


def _workspace(key: str) -> str:
    if key.startswith(WORKSPACE_PREFIX):
        return key[len(WORKSPACE_PREFIX) :].split("/", 1)[0] or "default"
    return "default"
