"""A moto server (AWS's APIs on loopback) and a way to seed it with an organisation and its resources.

Used by the demo, the tests and the benchmark; the plugin itself only ever talks to it through boto3.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx

SECRET = {
    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MotoServer:
    """``python -m moto.server`` in its own process, so it does not share this one's interpreter lock."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/moto-api/", timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not start on {self.url}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(2)
            except subprocess.TimeoutExpired:
                # On SIGTERM moto's server waits for its open keep-alive connections (the inventory's AWS clients
                # hold some) to end: 3-8 s of every stop of the demo. It holds nothing worth a graceful stop.
                # Waited for after the kill all the same: a process never waited for is left as a zombie.
                self._process.kill()
                self._process.wait()
            self._process = None

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset", timeout=120).raise_for_status()

    def environment(self, region: str = "us-east-1") -> dict[str, str]:
        """What boto3 needs to reach it: the standard variables, so the plugin runs unchanged."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": SECRET["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": SECRET["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": region,
        }


@dataclass
class Seeder:
    """Creates an organisation, units and accounts, and resources inside accounts (as their own role)."""

    endpoint: str
    role_name: str = "CallboardReadOnly"
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    def management(self, service: str, region: str = "us-east-1") -> Any:
        return self._client("", service, region)

    def organization(self) -> str:
        organizations = self.management("organizations")
        organizations.create_organization(FeatureSet="ALL")
        return str(organizations.list_roots()["Roots"][0]["Id"])

    def unit(self, parent_id: str, name: str) -> str:
        made = self.management("organizations").create_organizational_unit(ParentId=parent_id, Name=name)
        return str(made["OrganizationalUnit"]["Id"])

    def account(self, name: str, parent_id: str, tags: dict[str, str] | None = None) -> str:
        organizations = self.management("organizations")
        made = organizations.create_account(
            Email=f"{name}@aws.northwind.example",
            AccountName=name,
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )
        account_id = str(made["CreateAccountStatus"]["AccountId"])
        root = organizations.list_roots()["Roots"][0]["Id"]
        if parent_id != root:
            organizations.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent_id)
        return account_id

    def client(self, account_id: str, service: str, region: str) -> Any:
        return self._client(account_id, service, region)

    def _client(self, account_id: str, service: str, region: str) -> Any:
        key = (account_id, service, region)
        if key not in self._clients:
            keys = dict(SECRET) if not account_id else self._assumed(account_id)
            self._clients[key] = boto3.client(service, endpoint_url=self.endpoint, region_name=region, **keys)
        return self._clients[key]

    def _assumed(self, account_id: str) -> dict[str, str]:
        if account_id not in self._credentials:
            sts = self.management("sts")
            found = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{self.role_name}", RoleSessionName="seed")[
                "Credentials"
            ]
            self._credentials[account_id] = {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        return self._credentials[account_id]

    # -- resources, each tagged as given ---------------------------------------------------------------

    def cluster(self, account_id: str, region: str, name: str, tags: dict[str, str], version: str = "1.31") -> str:
        eks = self.client(account_id, "eks", region)
        role = f"arn:aws:iam::{account_id}:role/eks-cluster"
        arn = eks.create_cluster(
            name=name, version=version, roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]}, tags=tags
        )["cluster"]["arn"]
        eks.create_nodegroup(
            clusterName=name,
            nodegroupName=f"{name}-general",
            subnets=["subnet-1"],
            nodeRole=f"arn:aws:iam::{account_id}:role/eks-nodes",
            instanceTypes=["m6i.large"],
            scalingConfig={"minSize": 2, "maxSize": 6, "desiredSize": 3},
        )
        return str(arn)

    def database(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        made = self.client(account_id, "rds", region).create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.medium",
            Engine="postgres",
            EngineVersion="16.3",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-real-password",
            AllocatedStorage=20,
            Tags=_pairs(tags),
        )
        return str(made["DBInstance"]["DBInstanceArn"])

    def table(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        made = self.client(account_id, "dynamodb", region).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=_pairs(tags),
        )
        return str(made["TableDescription"]["TableArn"])

    def queue(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        self.client(account_id, "sqs", region).create_queue(QueueName=name, tags=tags)
        return f"arn:aws:sqs:{region}:{account_id}:{name}"

    def topic(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        made = self.client(account_id, "sns", region).create_topic(Name=name, Tags=_pairs(tags))
        return str(made["TopicArn"])

    def function(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        iam = self.client(account_id, "iam", "us-east-1")
        try:
            role = iam.get_role(RoleName="lambda-basic")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="lambda-basic", AssumeRolePolicyDocument=json.dumps({}))["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
        made = self.client(account_id, "lambda", region).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handle",
            Code={"ZipFile": code.getvalue()},
            Tags=tags,
        )
        return str(made["FunctionArn"])

    def repository(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        made = self.client(account_id, "ecr", region).create_repository(repositoryName=name, tags=_pairs(tags))
        return str(made["repository"]["repositoryArn"])

    def bucket(self, account_id: str, region: str, name: str, tags: dict[str, str]) -> str:
        s3 = self.client(account_id, "s3", region)
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **where)
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _pairs(tags)})
        return f"arn:aws:s3:::{name}"

    def put_state(
        self, bucket: str, key: str, resources: list[tuple[str, str, str, str]], region: str = "us-east-1"
    ) -> None:
        """A Terraform state v4 file in a management-account bucket: (type, name, module, arn) per resource."""
        s3 = self.management("s3", region)
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(terraform_state(resources)).encode())


def terraform_state(resources: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "version": 4,
        "terraform_version": "1.9.5",
        "serial": 12,
        "lineage": "b8f5c6a2-3f0e-4c57-9d0b-6d7e1e1c9a10",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": kind,
                "name": name,
                **({"module": module} if module else {}),
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [
                    {
                        "schema_version": 0,
                        "attributes": {"arn": arn, "id": arn.rsplit(":", 1)[-1], "name": arn.rsplit(":", 1)[-1]},
                    }
                ],
            }
            for kind, name, module, arn in resources
        ],
    }


def _pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
