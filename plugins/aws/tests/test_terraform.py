"""Terraform state read from local files: addresses with modules and index keys, workspaces, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callboard_aws.settings import TerraformState
from callboard_aws.standins.moto import terraform_state
from callboard_aws.terraform import parse_state, read_states


def _no_s3(region: str | None) -> Any:
    raise AssertionError("a local state needs no S3 client")


def test_a_folder_of_states_gives_every_managed_aws_resource_with_its_address(tmp_path: Path) -> None:
    state = terraform_state(
        [("aws_sqs_queue", "events", "module.billing", "arn:aws:sqs:eu-west-1:111111111111:events")]
    )
    state["resources"].append(
        {
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": "logs",
            "instances": [
                {"index_key": "eu", "attributes": {"arn": "arn:aws:s3:::acme-logs-eu", "bucket": "acme-logs-eu"}},
                {"index_key": 1, "attributes": {"arn": "arn:aws:s3:::acme-logs-us", "bucket": "acme-logs-us"}},
            ],
        }
    )
    state["resources"].append({"mode": "data", "type": "aws_sqs_queue", "name": "read_only", "instances": []})
    state["resources"].append({"mode": "managed", "type": "aws_iam_role", "name": "not_inventoried", "instances": []})
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "terraform.tfstate").write_text(json.dumps(state))
    found = read_states([TerraformState(path=str(tmp_path), workspace="prod", repository="git@example:infra")], _no_s3)
    assert found.errors == [] and found.files == 1
    assert {(m.address, m.type_id, m.name) for m in found.managed} == {
        ("module.billing.aws_sqs_queue.events", "sqs-queue", "events"),
        ('aws_s3_bucket.logs["eu"]', "s3-bucket", "acme-logs-eu"),
        ("aws_s3_bucket.logs[1]", "s3-bucket", "acme-logs-us"),
    }
    assert all(m.workspace == "prod" and m.repository == "git@example:infra" for m in found.managed)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"version": 3, "modules": []}', "state format version 3; only version 4"),
        ('{\n  "version": 4,\n  "resources": [\n', "not JSON (line 4"),
        ("[]", "state format version None"),
    ],
)
def test_what_is_not_a_version_4_state_is_refused_naming_the_file(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"^states/x\.tfstate: ") as refused:
        parse_state(text, "states/x.tfstate", "default", "")
    assert said in str(refused.value)


def test_a_missing_path_is_an_error_of_that_source_only(tmp_path: Path) -> None:
    good = tmp_path / "good.tfstate"
    good.write_text(json.dumps(terraform_state([("aws_sns_topic", "t", "", "arn:aws:sns:us-east-1:1:t")])))
    found = read_states(
        [TerraformState(path=str(tmp_path / "missing.tfstate")), TerraformState(path=str(good))], _no_s3
    )
    assert len(found.managed) == 1
    assert len(found.errors) == 1 and "missing.tfstate" in found.errors[0]


def test_a_source_is_one_place_and_a_bucket_address_is_checked() -> None:
    with pytest.raises(ValueError, match="exactly one of s3"):
        TerraformState.model_validate({})
    with pytest.raises(ValueError, match="is not s3://<bucket>/<key or prefix>"):
        TerraformState.model_validate({"s3": "https://bucket/key"})
