"""Reading every account: roles assumed and regions read concurrently, within a bound.

Each (account, region) is one unit of work in one thread pool; buckets, which belong to an account rather
than a region, are listed once per account. A failure in any unit fails its account (its last entities are
kept) and never the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from callboard_aws.clients import Clients, Credentials
from callboard_aws.model import Account, AccountScan, Found
from callboard_aws.responses import paginate, said
from callboard_aws.settings import Settings
from callboard_aws.types import S3Buckets, selected

#: (account, units done, units in all, error or None): called from the pool's threads.
Progress = Callable[[Account, int, int, str | None], None]


@dataclass
class _Unit:
    account: Account
    region: str | None  # None: the account's buckets


class Scanner:
    def __init__(self, settings: Settings, clients: Clients, bucket_regions: Mapping[str, str]) -> None:
        self.settings = settings
        self.clients = clients
        self.types = selected(settings.resource_types)
        self._bucket_regions = dict(bucket_regions)
        self._lock = threading.Lock()

    def scan(self, accounts: list[Account], progress: Progress | None = None) -> dict[str, AccountScan]:
        results = {account.id: AccountScan(account) for account in accounts}
        credentials: dict[str, Credentials] = {}
        regional = [kind for kind in self.types if not isinstance(kind, S3Buckets)]
        buckets = next((kind for kind in self.types if isinstance(kind, S3Buckets)), None)
        per_account = len(self.settings.regions) + (1 if buckets else 0)
        done = dict.fromkeys(results, 0)
        started = dict.fromkeys(results, time.monotonic())
        tag_maps: dict[str, dict[str, dict[str, str]]] = {account.id: {} for account in accounts}

        def report(account: Account, error: str | None) -> None:
            with self._lock:
                done[account.id] += 1
                results[account.id].seconds = time.monotonic() - started[account.id]
                count = done[account.id]
            if progress is not None:
                progress(account, count, per_account, error)

        def enter(account: Account) -> None:
            started[account.id] = time.monotonic()
            try:
                credentials[account.id] = self.clients.assume_member(account.id, _partition(account.arn))
            except Exception as error:
                results[
                    account.id
                ].error = f"could not assume {self.settings.accounts.role_name} in {account.id}: {said(error)}"

        def read_region(unit: _Unit) -> None:
            account, region = unit.account, unit.region
            assert region is not None
            try:
                with self.clients.acting_as(credentials[account.id]):
                    found, tags = self._read_region(account, region, regional)
                with self._lock:
                    results[account.id].resources += found
                    tag_maps[account.id].update(tags)
                report(account, None)
            except Exception as error:
                with self._lock:
                    results[account.id].region_errors[region] = said(error)
                report(account, f"{region}: {said(error)}")

        with ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="aws-scan") as pool:
            list(pool.map(enter, accounts))
            entered = [account for account in accounts if results[account.id].error is None]
            for account in accounts:
                if results[account.id].error is not None and progress is not None:
                    progress(account, per_account, per_account, results[account.id].error)
            futures: list[Future[None]] = [
                pool.submit(read_region, _Unit(account, region))
                for account in entered
                for region in self.settings.regions
            ]
            for future in futures:
                future.result()
            if buckets is not None:

                def read_buckets(account: Account) -> None:
                    try:
                        with self.clients.acting_as(credentials[account.id]):
                            found = list(self._read_buckets(buckets, tag_maps[account.id]))
                        with self._lock:
                            results[account.id].resources += found
                        report(account, None)
                    except Exception as error:
                        with self._lock:
                            results[account.id].region_errors["s3"] = said(error)
                        report(account, f"buckets: {said(error)}")

                list(pool.map(read_buckets, entered))
        for result in results.values():
            result.resources.sort(key=lambda found: found.arn)
            if result.region_errors and result.error is None:
                result.error = "; ".join(f"{where}: {error}" for where, error in sorted(result.region_errors.items()))
        return results

    def _read_region(
        self, account: Account, region: str, kinds: list[Any]
    ) -> tuple[list[Found], dict[str, dict[str, str]]]:
        def client(service: str) -> Any:
            return self.clients.member(service, region)

        filters = sorted({kind.tagging for kind in kinds if kind.tagging} | ({"s3"} if self._wants_buckets else set()))
        tags: dict[str, dict[str, str]] = {}
        if filters:
            for mapping in paginate(
                client("resourcegroupstaggingapi"),
                "get_resources",
                "ResourceTagMappingList",
                ResourceTypeFilters=filters,
            ):
                tags[mapping["ResourceARN"]] = {
                    str(t["Key"]): str(t.get("Value", "")) for t in mapping.get("Tags") or []
                }
        found: list[Found] = []
        for kind in kinds:
            for item in kind.read(client(kind.service), account.id, region):
                if item.tags is None:
                    item.tags, item.tags_call = tags.get(item.arn, {}), "tag:GetResources"
                found.append(item)
        return found, tags

    @property
    def _wants_buckets(self) -> bool:
        return any(isinstance(kind, S3Buckets) for kind in self.types)

    def _read_buckets(self, kind: S3Buckets, tags: Mapping[str, dict[str, str]]) -> Iterator[Found]:
        client = self.clients.member("s3", self.settings.regions[0])
        for bucket in kind.read_buckets(client, self._bucket_regions.get):
            if bucket.region in self.settings.regions:
                bucket.tags, bucket.tags_call = dict(tags.get(bucket.arn, {})), "tag:GetResources"
            else:  # a region the scan does not read: the bucket's own tags
                try:
                    tag_set = client.get_bucket_tagging(Bucket=bucket.name).get("TagSet") or []
                except Exception as error:
                    if "NoSuchTagSet" not in said(error):
                        raise
                    tag_set = []
                bucket.tags = {str(t["Key"]): str(t.get("Value", "")) for t in tag_set}
                bucket.tags_call = "s3:GetBucketTagging"
            yield bucket


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[1] else "aws"
