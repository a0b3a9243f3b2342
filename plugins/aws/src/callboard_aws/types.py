"""The resource-type registry: each kind of AWS resource the inventory reads is one small class.

A type lists its resources in one region of one account (``read``) with paginators, and says where its tags
come from: the region's Resource Groups Tagging API answer (``tagging`` names its resource type filter), or
its own describe call. Add a type by writing a class and listing it in ``TYPES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from callboard_aws.model import Fact, Found
from callboard_aws.responses import paginate


def _tags(pairs: list[dict[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(pair[key]): str(pair.get(value, "")) for pair in pairs or []}


class ResourceType:
    id: ClassVar[str]
    spec_type: ClassVar[str]
    service: ClassVar[str]
    #: The Resource Groups Tagging API filter for this type; None when ``read`` gives the tags itself.
    tagging: ClassVar[str | None] = None
    description: ClassVar[str]
    noun: ClassVar[str]
    #: The call that lists the resources (and gives, or lets us build, each one's ARN).
    listed_by: ClassVar[str]
    #: The call that says the region, when listing does not (buckets belong to an account, not a region).
    region_by: ClassVar[str] = ""

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        raise NotImplementedError

    def found(self, arn: str, name: str, region: str, **facts: Fact) -> Found:
        return Found(self.id, self.spec_type, arn, name, region, dict(facts))


class EksClusters(ResourceType):
    id = "eks-cluster"
    spec_type = "kubernetes-cluster"
    service = "eks"
    listed_by = "eks:DescribeCluster"
    noun = "EKS cluster"
    description = "EKS clusters, with their version, endpoint, status and node groups"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        for name in paginate(client, "list_clusters", "clusters"):
            cluster = client.describe_cluster(name=name)["cluster"]
            call = "eks:DescribeCluster"
            groups = []
            for group_name in paginate(client, "list_nodegroups", "nodegroups", clusterName=name):
                group = client.describe_nodegroup(clusterName=name, nodegroupName=group_name)["nodegroup"]
                scaling = group.get("scalingConfig") or {}
                types = ",".join(group.get("instanceTypes") or []) or "?"
                groups.append(f"{group_name} ({types} x{scaling.get('desiredSize', '?')}, {group.get('status', '?')})")
            found = self.found(
                cluster["arn"],
                name,
                region,
                version=Fact(cluster.get("version", ""), call, "cluster.version"),
                status=Fact(cluster.get("status", ""), call, "cluster.status"),
                endpoint=Fact(cluster.get("endpoint", ""), call, "cluster.endpoint"),
                certificate=Fact(
                    (cluster.get("certificateAuthority") or {}).get("data", ""),
                    call,
                    "cluster.certificateAuthority.data",
                ),
                nodegroups=Fact(
                    "; ".join(groups), "eks:DescribeNodegroup", "nodegroup.instanceTypes/scalingConfig/status"
                ),
            )
            found.tags, found.tags_call = dict(cluster.get("tags") or {}), call
            yield found


class RdsInstances(ResourceType):
    id = "rds-instance"
    spec_type = "database"
    service = "rds"
    listed_by = "rds:DescribeDBInstances"
    noun = "RDS instance"
    description = "RDS database instances"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        call = "rds:DescribeDBInstances"
        for db in paginate(client, "describe_db_instances", "DBInstances"):
            found = self.found(
                db["DBInstanceArn"],
                db["DBInstanceIdentifier"],
                region,
                engine=Fact(
                    f"{db.get('Engine', '')} {db.get('EngineVersion', '')}".strip(), call, "Engine, EngineVersion"
                ),
                instance_class=Fact(db.get("DBInstanceClass", ""), call, "DBInstanceClass"),
                status=Fact(db.get("DBInstanceStatus", ""), call, "DBInstanceStatus"),
                multi_az=Fact(str(bool(db.get("MultiAZ"))).lower(), call, "MultiAZ"),
            )
            found.tags, found.tags_call = _tags(db.get("TagList")), call
            yield found


class RdsClusters(ResourceType):
    id = "rds-cluster"
    spec_type = "database"
    service = "rds"
    listed_by = "rds:DescribeDBClusters"
    noun = "RDS cluster"
    description = "RDS and Aurora database clusters"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        call = "rds:DescribeDBClusters"
        for db in paginate(client, "describe_db_clusters", "DBClusters"):
            found = self.found(
                db["DBClusterArn"],
                db["DBClusterIdentifier"],
                region,
                engine=Fact(
                    f"{db.get('Engine', '')} {db.get('EngineVersion', '')}".strip(), call, "Engine, EngineVersion"
                ),
                status=Fact(db.get("Status", ""), call, "Status"),
            )
            found.tags, found.tags_call = _tags(db.get("TagList")), call
            yield found


class DynamoDbTables(ResourceType):
    id = "dynamodb-table"
    spec_type = "database"
    service = "dynamodb"
    tagging = "dynamodb:table"
    listed_by = "dynamodb:ListTables"
    noun = "DynamoDB table"
    description = "DynamoDB tables"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        for name in paginate(client, "list_tables", "TableNames"):
            yield self.found(
                f"arn:aws:dynamodb:{region}:{account_id}:table/{name}",
                name,
                region,
                engine=Fact("dynamodb", "dynamodb:ListTables", "TableNames"),
            )


class SqsQueues(ResourceType):
    id = "sqs-queue"
    spec_type = "queue"
    service = "sqs"
    tagging = "sqs"
    listed_by = "sqs:ListQueues"
    noun = "SQS queue"
    description = "SQS queues"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        for url in paginate(client, "list_queues", "QueueUrls", PaginationConfig={"PageSize": 1000}):
            name = url.rstrip("/").rsplit("/", 1)[-1]
            yield self.found(
                f"arn:aws:sqs:{region}:{account_id}:{name}",
                name,
                region,
                url=Fact(url, "sqs:ListQueues", "QueueUrls"),
                fifo=Fact(str(name.endswith(".fifo")).lower(), "sqs:ListQueues", "QueueUrls (.fifo suffix)"),
            )


class SnsTopics(ResourceType):
    id = "sns-topic"
    spec_type = "topic"
    service = "sns"
    tagging = "sns"
    listed_by = "sns:ListTopics"
    noun = "SNS topic"
    description = "SNS topics"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        for topic in paginate(client, "list_topics", "Topics"):
            arn = topic["TopicArn"]
            yield self.found(arn, arn.rsplit(":", 1)[-1], region)


class LambdaFunctions(ResourceType):
    id = "lambda-function"
    spec_type = "function"
    service = "lambda"
    tagging = "lambda:function"
    listed_by = "lambda:ListFunctions"
    noun = "Lambda function"
    description = "Lambda functions"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        call = "lambda:ListFunctions"
        for function in paginate(client, "list_functions", "Functions"):
            yield self.found(
                function["FunctionArn"],
                function["FunctionName"],
                region,
                runtime=Fact(function.get("Runtime", "") or function.get("PackageType", ""), call, "Runtime"),
                memory=Fact(str(function.get("MemorySize", "")), call, "MemorySize"),
                modified=Fact(str(function.get("LastModified", "")), call, "LastModified"),
            )


class EcrRepositories(ResourceType):
    id = "ecr-repository"
    spec_type = "container-registry"
    service = "ecr"
    listed_by = "ecr:DescribeRepositories"
    noun = "ECR repository"
    description = "ECR repositories"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        call = "ecr:DescribeRepositories"
        for repository in paginate(client, "describe_repositories", "repositories"):
            arn = repository["repositoryArn"]
            found = self.found(
                arn,
                repository["repositoryName"],
                region,
                uri=Fact(repository.get("repositoryUri", ""), call, "repositoryUri"),
                scan_on_push=Fact(
                    str(bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush"))).lower(),
                    call,
                    "imageScanningConfiguration.scanOnPush",
                ),
            )
            found.tags = _tags(client.list_tags_for_resource(resourceArn=arn).get("tags"))
            found.tags_call = "ecr:ListTagsForResource"
            yield found


class S3Buckets(ResourceType):
    """Buckets are global to an account: listed once, each placed in its region (which never changes)."""

    id = "s3-bucket"
    spec_type = "bucket"
    service = "s3"
    tagging = "s3"
    listed_by = "s3:ListBuckets"
    region_by = "s3:GetBucketLocation"
    noun = "S3 bucket"
    description = "S3 buckets"

    def read(self, client: Any, account_id: str, region: str) -> Iterator[Found]:
        raise NotImplementedError("buckets are read once per account: read_buckets")

    def read_buckets(self, client: Any, region_of: Callable[[str], str | None]) -> Iterator[Found]:
        for bucket in client.list_buckets().get("Buckets") or []:
            name = bucket["Name"]
            region = region_of(name)
            if region is None:  # known from an earlier scan otherwise: a bucket never moves
                region = client.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            yield self.found(
                f"arn:aws:s3:::{name}",
                name,
                region,
                created=Fact(str(bucket.get("CreationDate", "")), "s3:ListBuckets", "CreationDate"),
            )


TYPES: tuple[ResourceType, ...] = (
    EksClusters(),
    RdsInstances(),
    RdsClusters(),
    DynamoDbTables(),
    SqsQueues(),
    SnsTopics(),
    LambdaFunctions(),
    EcrRepositories(),
    S3Buckets(),
)
BY_ID = {kind.id: kind for kind in TYPES}
SPEC_TYPES = ("cloud-account", *dict.fromkeys(kind.spec_type for kind in TYPES))


def selected(ids: list[str]) -> list[ResourceType]:
    unknown = [name for name in ids if name not in BY_ID]
    if unknown:
        raise ValueError(f"unknown resource types {unknown}; known: {sorted(BY_ID)}")
    return [BY_ID[name] for name in ids] if ids else list(TYPES)
