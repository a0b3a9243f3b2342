"""The demo's cloud: a moto server seeded with Northwind's organisation (units, accounts with owner tags, EKS
clusters named as the Deployments demo's, databases, queues, buckets and functions tagged with the demo
catalog's components) and a Terraform state in S3. Started by ``plugins.aws.demo: true``."""

from __future__ import annotations

import logging
import threading

from callboard_aws.clients import StandIn
from callboard_aws.settings import NamingRule, Settings, TerraformState
from callboard_aws.standins.moto import SECRET, MotoServer, Seeder

log = logging.getLogger(__name__)
REGIONS = ("eu-west-1", "us-east-1")
STATE_BUCKET = "northwind-terraform-state"
#: What the demo's app-config says (src/callboard/demo/__init__.py): tag values to the demo's groups.
OWNERS = {
    "platform": "group:default/platform-team",
    "billing": "group:default/billing-team",
    "shipping": "group:default/shipping-team",
    "customer": "group:default/customer-team",
    "sre": "group:default/sre-team",
}


def configure(settings: Settings) -> None:
    """What the demo's organisation needs read: its regions, its owner tags' groups, its naming rule and its
    Terraform state (so the portal's demo config says only ``demo: true``)."""
    settings.regions = list(REGIONS)
    settings.owners = dict(OWNERS)
    settings.naming_rules = [
        NamingRule.model_validate({"pattern": r"^(?P<component>[a-z0-9-]+)-(prod|staging|dev)$", "types": ["queue"]})
    ]
    settings.terraform = [
        TerraformState.model_validate(
            {"s3": f"s3://{STATE_BUCKET}/", "repository": "https://git.northwind.example/platform/infra"}
        )
    ]
    settings.every_minutes = 10.0


class DemoCloud:
    def __init__(self, server: MotoServer) -> None:
        self.server = server
        self.ready = threading.Event()

    @property
    def stand_in(self) -> StandIn:
        return StandIn(self.server.url, SECRET["aws_access_key_id"], SECRET["aws_secret_access_key"])

    def stop(self) -> None:
        self.server.stop()


def start() -> DemoCloud:
    """The server now; the organisation in the background (the portal serves meanwhile; scans wait for it)."""
    server = MotoServer().start()
    cloud = DemoCloud(server)

    def seed_then_say() -> None:
        try:
            seed(Seeder(server.url))
            log.info("aws demo: moto server on %s seeded with the Northwind organisation", server.url)
        except Exception:
            log.exception("aws demo: seeding the moto server on %s failed", server.url)
        finally:
            cloud.ready.set()

    threading.Thread(target=seed_then_say, name="aws-demo-seed", daemon=True).start()
    return cloud


def seed(seeder: Seeder) -> dict[str, str]:
    root = seeder.organization()
    organizations = seeder.management("organizations")
    management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    organizations.tag_resource(ResourceId=management, Tags=[{"Key": "owner", "Value": "sre"}])
    infrastructure = seeder.unit(root, "Infrastructure")
    workloads = seeder.unit(root, "Workloads")
    production = seeder.unit(workloads, "Production")
    nonproduction = seeder.unit(workloads, "Non-production")
    sandbox = seeder.unit(root, "Sandbox")
    ids = {
        "platform-prod": seeder.account("platform-prod", infrastructure, {"team": "platform"}),
        "platform-nonprod": seeder.account("platform-nonprod", infrastructure, {"team": "platform"}),
        "shared-services": seeder.account("shared-services", infrastructure, {"owner": "sre"}),
        "security-audit": seeder.account("security-audit", infrastructure, {"cost-center": "4410"}),
        "billing-prod": seeder.account("billing-prod", production, {"team": "billing"}),
        "shipping-prod": seeder.account("shipping-prod", production, {"team": "shipping"}),
        "customer-prod": seeder.account("customer-prod", production, {"team": "customer"}),
        "billing-staging": seeder.account("billing-staging", nonproduction, {"team": "billing"}),
        "sandbox-jdoe": seeder.account("sandbox-jdoe", sandbox, {"team": "data-science"}),
    }
    platform, nonprod = ids["platform-prod"], ids["platform-nonprod"]
    for region in REGIONS:
        seeder.cluster(platform, region, f"prod-{region}", {"environment": "production"})
        seeder.cluster(nonprod, region, f"stg-{region}", {"environment": "staging"}, version="1.32")
        seeder.cluster(nonprod, region, f"dev-{region}", {"environment": "dev"}, version="1.32")
    seeder.repository(platform, "eu-west-1", "booking-service", {"backstage.io/component": "booking-service"})
    seeder.repository(platform, "eu-west-1", "tracking-service", {"backstage.io/component": "tracking-service"})
    billing, shipping, customer = ids["billing-prod"], ids["shipping-prod"], ids["customer-prod"]
    component = "backstage.io/component"
    managed = [
        (
            "aws_db_instance",
            "invoices",
            "module.invoicing",
            seeder.database(
                billing, "eu-west-1", "invoice-db", {component: "invoice-service", "backstage.io/system": "invoicing"}
            ),
        ),
        (
            "aws_sqs_queue",
            "invoice_events",
            "module.invoicing",
            seeder.queue(billing, "eu-west-1", "invoice-events", {component: "invoice-service"}),
        ),
        (
            "aws_dynamodb_table",
            "ledger",
            "",
            seeder.table(
                billing,
                "eu-west-1",
                "payments-ledger",
                {component: "payment-service", "backstage.io/system": "payments"},
            ),
        ),
        (
            "aws_sns_topic",
            "payments",
            "",
            seeder.topic(billing, "eu-west-1", "payment-notifications", {component: "payment-service"}),
        ),
        # Managed by Terraform, but deleted by hand since: the state still names it.
        ("aws_sqs_queue", "old_invoices", "module.invoicing", f"arn:aws:sqs:eu-west-1:{billing}:invoice-events-legacy"),
    ]
    seeder.function(billing, "eu-west-1", "invoice-renderer", {component: "invoice-renderer"})
    seeder.bucket(billing, "eu-west-1", f"northwind-invoices-{billing}", {component: "invoice-service"})
    seeder.database(
        shipping, "us-east-1", "tracking-db", {component: "tracking-service", "backstage.io/system": "tracking"}
    )
    seeder.queue(shipping, "us-east-1", "scan-events", {component: "scan-ingestor"})
    seeder.table(shipping, "us-east-1", "eta-cache", {component: "eta-predictor"})
    seeder.queue(shipping, "us-east-1", "booking-service-prod", {})  # named after its component: a naming rule
    seeder.queue(shipping, "us-east-1", "legacy-export", {})  # nobody's: the account's owner, no component
    seeder.function(shipping, "us-east-1", "carrier-edi-poller", {component: "carrier-edi-gateway"})
    seeder.table(customer, "eu-west-1", "customer-preferences", {component: "preference-service"})
    seeder.bucket(customer, "eu-west-1", f"northwind-customer-uploads-{customer}", {component: "customer-service"})
    seeder.database(ids["billing-staging"], "eu-west-1", "invoice-db-staging", {component: "invoice-service"})
    seeder.bucket(ids["sandbox-jdoe"], "us-east-1", f"jdoe-experiments-{ids['sandbox-jdoe']}", {})
    seeder.put_state(STATE_BUCKET, "billing/terraform.tfstate", managed)
    return ids
