"""Write Callboard's bundled demo catalog (src/callboard/demo/catalog/): a fictional freight company.

Run once and commit the output; the demo serves the committed files. Re-run after changing the organisation
below: ``.venv/bin/python scripts/generate_demo_catalog.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parent.parent / "src" / "callboard" / "demo" / "catalog"

GROUPS = {
    # name: (display name, parent, type)
    "northwind": ("Northwind Freight", None, "organization"),
    "engineering": ("Engineering", "northwind", "department"),
    "shipping-team": ("Shipping", "engineering", "team"),
    "billing-team": ("Billing", "engineering", "team"),
    "customer-team": ("Customer Experience", "engineering", "team"),
    "platform-team": ("Platform", "engineering", "team"),
    "data-team": ("Data & Insights", "engineering", "team"),
    "sre-team": ("Site Reliability", "platform-team", "team"),
}

FIRST = [
    "ada",
    "grace",
    "linus",
    "margaret",
    "ken",
    "barbara",
    "dennis",
    "radia",
    "edsger",
    "frances",
    "john",
    "katherine",
    "alan",
    "hedy",
    "tim",
    "sophie",
    "guido",
    "anita",
    "bjarne",
    "yukihiro",
    "james",
    "shafi",
    "donald",
    "leslie",
    "niklaus",
    "carol",
    "brian",
    "joan",
    "vint",
    "mary",
]
LAST = [
    "lovelace",
    "hopper",
    "torvalds",
    "hamilton",
    "thompson",
    "liskov",
    "ritchie",
    "perlman",
    "dijkstra",
    "allen",
    "backus",
    "johnson",
    "turing",
    "lamarr",
    "berners-lee",
    "wilson",
    "van-rossum",
    "borg",
    "stroustrup",
    "matsumoto",
    "gosling",
    "goldwasser",
    "knuth",
    "lamport",
    "wirth",
    "shaw",
    "kernighan",
    "clarke",
    "cerf",
    "shelley",
]
TEAMS = ["shipping-team", "billing-team", "customer-team", "platform-team", "data-team", "sre-team"]

DOMAINS = {
    "logistics": ("Logistics", "shipping-team", "Moving freight: bookings, routes, tracking and carriers."),
    "finance": ("Finance", "billing-team", "Quotes, invoices, payments and settlements."),
    "customer": ("Customer", "customer-team", "Everything a shipper sees and touches."),
    "platform": ("Platform", "platform-team", "Shared infrastructure every team builds on."),
    "insights": ("Insights", "data-team", "Data products, reporting and forecasting."),
}

SYSTEMS = {
    # name: (domain, owner, description)
    "booking": ("logistics", "shipping-team", "Takes and confirms freight bookings."),
    "tracking": ("logistics", "shipping-team", "Follows every consignment from pickup to delivery."),
    "carrier-network": ("logistics", "shipping-team", "Connects to partner carriers and their rates."),
    "invoicing": ("finance", "billing-team", "Turns delivered consignments into invoices."),
    "payments": ("finance", "billing-team", "Collects payments and pays carriers."),
    "customer-portal": ("customer", "customer-team", "The web and mobile experience for shippers."),
    "notifications": ("customer", "customer-team", "Email, SMS and push messages to customers."),
    "identity": ("platform", "platform-team", "Sign-in, accounts and permissions."),
    "observability": ("platform", "sre-team", "Metrics, logs and traces for every service."),
    "analytics": ("insights", "data-team", "The warehouse, reports and forecasts."),
}

# API name: (system, owner, noun, description)
APIS = {
    "booking-api": ("booking", "shipping-team", "booking", "Create, quote and confirm freight bookings."),
    "booking-events": ("booking", "shipping-team", "booking-event", "Booking lifecycle events."),
    "tracking-api": ("tracking", "shipping-team", "consignment", "Consignment status and scan history."),
    "tracking-webhooks": ("tracking", "shipping-team", "subscription", "Webhook subscriptions for status changes."),
    "carrier-rates-api": ("carrier-network", "shipping-team", "rate", "Carrier rate cards and lane pricing."),
    "carrier-onboarding-api": ("carrier-network", "shipping-team", "carrier", "Onboard and verify partner carriers."),
    "invoice-api": ("invoicing", "billing-team", "invoice", "Issue, correct and query invoices."),
    "credit-note-api": ("invoicing", "billing-team", "credit-note", "Credit notes against invoices."),
    "payment-api": ("payments", "billing-team", "payment", "Take card and bank payments."),
    "payout-api": ("payments", "billing-team", "payout", "Pay carriers for completed legs."),
    "customer-api": ("customer-portal", "customer-team", "customer", "Shipper accounts and addresses."),
    "quote-api": ("customer-portal", "customer-team", "quote", "Instant quotes for the portal."),
    "document-api": ("customer-portal", "customer-team", "document", "Labels, waybills and customs documents."),
    "notification-api": ("notifications", "customer-team", "notification", "Send a message to a customer."),
    "preference-api": ("notifications", "customer-team", "preference", "Customers' contact preferences."),
    "identity-api": ("identity", "platform-team", "user", "Users, sessions and tokens."),
    "permission-api": ("identity", "platform-team", "grant", "Check and manage permissions."),
    "metrics-api": ("observability", "sre-team", "metric", "Query service metrics."),
    "report-api": ("analytics", "data-team", "report", "Scheduled and ad-hoc reports."),
    "forecast-api": ("analytics", "data-team", "forecast", "Volume forecasts per lane."),
}

# Component name: (system, owner, type, lifecycle, provides, consumes, depends-on resources, language)
COMPONENTS: dict[str, tuple[str, str, str, str, list[str], list[str], list[str], str]] = {
    "booking-service": (
        "booking",
        "shipping-team",
        "service",
        "production",
        ["booking-api"],
        ["quote-api", "customer-api"],
        ["bookings-db", "events-bus"],
        "kotlin",
    ),
    "booking-event-relay": (
        "booking",
        "shipping-team",
        "service",
        "production",
        ["booking-events"],
        [],
        ["events-bus"],
        "go",
    ),
    "booking-admin": ("booking", "shipping-team", "website", "production", [], ["booking-api"], [], "typescript"),
    "booking-sdk": ("booking", "shipping-team", "library", "production", [], ["booking-api"], [], "typescript"),
    "tracking-service": (
        "tracking",
        "shipping-team",
        "service",
        "production",
        ["tracking-api"],
        ["booking-events"],
        ["tracking-db", "events-bus"],
        "go",
    ),
    "scan-ingestor": (
        "tracking",
        "shipping-team",
        "service",
        "production",
        [],
        ["tracking-api"],
        ["scans-queue"],
        "go",
    ),
    "tracking-webhook-dispatcher": (
        "tracking",
        "shipping-team",
        "service",
        "production",
        ["tracking-webhooks"],
        ["tracking-api"],
        ["scans-queue"],
        "python",
    ),
    "eta-predictor": (
        "tracking",
        "data-team",
        "service",
        "experimental",
        [],
        ["tracking-api", "forecast-api"],
        [],
        "python",
    ),
    "carrier-rates-service": (
        "carrier-network",
        "shipping-team",
        "service",
        "production",
        ["carrier-rates-api"],
        [],
        ["rates-cache"],
        "java",
    ),
    "carrier-onboarding": (
        "carrier-network",
        "shipping-team",
        "service",
        "production",
        ["carrier-onboarding-api"],
        ["identity-api"],
        ["carriers-db"],
        "java",
    ),
    "carrier-edi-gateway": (
        "carrier-network",
        "shipping-team",
        "service",
        "deprecated",
        [],
        ["carrier-rates-api"],
        [],
        "java",
    ),
    "invoice-service": (
        "invoicing",
        "billing-team",
        "service",
        "production",
        ["invoice-api"],
        ["tracking-api", "customer-api"],
        ["billing-db"],
        "kotlin",
    ),
    "credit-note-service": (
        "invoicing",
        "billing-team",
        "service",
        "production",
        ["credit-note-api"],
        ["invoice-api"],
        ["billing-db"],
        "kotlin",
    ),
    "invoice-renderer": (
        "invoicing",
        "billing-team",
        "service",
        "production",
        [],
        ["invoice-api", "document-api"],
        ["documents-bucket"],
        "typescript",
    ),
    "payment-service": (
        "payments",
        "billing-team",
        "service",
        "production",
        ["payment-api"],
        ["invoice-api"],
        ["billing-db", "events-bus"],
        "java",
    ),
    "payout-service": (
        "payments",
        "billing-team",
        "service",
        "production",
        ["payout-api"],
        ["carrier-onboarding-api"],
        ["billing-db"],
        "java",
    ),
    "fraud-checks": ("payments", "billing-team", "library", "experimental", [], ["payment-api"], [], "python"),
    "customer-web": (
        "customer-portal",
        "customer-team",
        "website",
        "production",
        [],
        ["booking-api", "tracking-api", "quote-api", "customer-api", "document-api"],
        [],
        "typescript",
    ),
    "customer-mobile": (
        "customer-portal",
        "customer-team",
        "website",
        "production",
        [],
        ["booking-api", "tracking-api", "customer-api"],
        [],
        "kotlin",
    ),
    "customer-service": (
        "customer-portal",
        "customer-team",
        "service",
        "production",
        ["customer-api"],
        ["identity-api"],
        ["customers-db"],
        "python",
    ),
    "quote-service": (
        "customer-portal",
        "customer-team",
        "service",
        "production",
        ["quote-api"],
        ["carrier-rates-api"],
        ["rates-cache"],
        "python",
    ),
    "document-service": (
        "customer-portal",
        "customer-team",
        "service",
        "production",
        ["document-api"],
        ["booking-api"],
        ["documents-bucket"],
        "go",
    ),
    "design-system": ("customer-portal", "customer-team", "library", "production", [], [], [], "typescript"),
    "notification-service": (
        "notifications",
        "customer-team",
        "service",
        "production",
        ["notification-api"],
        ["preference-api"],
        ["notifications-queue"],
        "go",
    ),
    "preference-service": (
        "notifications",
        "customer-team",
        "service",
        "production",
        ["preference-api"],
        ["customer-api"],
        ["customers-db"],
        "python",
    ),
    "email-sender": (
        "notifications",
        "customer-team",
        "service",
        "production",
        [],
        ["notification-api"],
        ["notifications-queue"],
        "go",
    ),
    "sms-sender": (
        "notifications",
        "customer-team",
        "service",
        "experimental",
        [],
        ["notification-api"],
        ["notifications-queue"],
        "go",
    ),
    "identity-service": (
        "identity",
        "platform-team",
        "service",
        "production",
        ["identity-api"],
        [],
        ["identity-db"],
        "go",
    ),
    "permission-service": (
        "identity",
        "platform-team",
        "service",
        "production",
        ["permission-api"],
        ["identity-api"],
        ["identity-db"],
        "go",
    ),
    "auth-proxy": (
        "identity",
        "platform-team",
        "service",
        "production",
        [],
        ["identity-api", "permission-api"],
        [],
        "go",
    ),
    "service-template-kit": ("identity", "platform-team", "library", "production", [], [], [], "python"),
    "metrics-gateway": (
        "observability",
        "sre-team",
        "service",
        "production",
        ["metrics-api"],
        [],
        ["metrics-store"],
        "go",
    ),
    "log-shipper": ("observability", "sre-team", "service", "production", [], [], ["metrics-store"], "rust"),
    "alert-router": (
        "observability",
        "sre-team",
        "service",
        "production",
        [],
        ["metrics-api", "notification-api"],
        [],
        "go",
    ),
    "status-page": ("observability", "sre-team", "website", "production", [], ["metrics-api"], [], "typescript"),
    "warehouse-loader": (
        "analytics",
        "data-team",
        "service",
        "production",
        [],
        ["booking-events", "tracking-api", "invoice-api"],
        ["warehouse"],
        "python",
    ),
    "report-service": ("analytics", "data-team", "service", "production", ["report-api"], [], ["warehouse"], "python"),
    "forecast-service": (
        "analytics",
        "data-team",
        "service",
        "experimental",
        ["forecast-api"],
        ["report-api"],
        ["warehouse"],
        "python",
    ),
    "analytics-dashboards": (
        "analytics",
        "data-team",
        "website",
        "production",
        [],
        ["report-api", "forecast-api"],
        [],
        "typescript",
    ),
    "data-quality-checks": ("analytics", "data-team", "library", "production", [], [], ["warehouse"], "python"),
}

RESOURCES = {
    "bookings-db": ("booking", "shipping-team", "database", "PostgreSQL cluster for bookings."),
    "tracking-db": ("tracking", "shipping-team", "database", "PostgreSQL cluster for scans and statuses."),
    "carriers-db": ("carrier-network", "shipping-team", "database", "Carrier master data."),
    "billing-db": ("invoicing", "billing-team", "database", "Ledger, invoices and payments."),
    "customers-db": ("customer-portal", "customer-team", "database", "Customer accounts and preferences."),
    "identity-db": ("identity", "platform-team", "database", "Users, sessions and grants."),
    "events-bus": ("booking", "platform-team", "kafka-topic", "The company event bus."),
    "scans-queue": ("tracking", "shipping-team", "queue", "Raw scan events from handhelds."),
    "notifications-queue": ("notifications", "customer-team", "queue", "Outgoing messages."),
    "rates-cache": ("carrier-network", "shipping-team", "cache", "Redis cache of rate cards."),
    "documents-bucket": ("customer-portal", "customer-team", "s3-bucket", "Generated labels and documents."),
    "metrics-store": ("observability", "sre-team", "database", "Time-series store for metrics."),
    "warehouse": ("analytics", "data-team", "database", "The analytics warehouse."),
}


def openapi(name: str, noun: str, description: str) -> str:
    title = name.replace("-", " ").title()
    plural = f"{noun}s"
    schema = noun.replace("-", " ").title().replace(" ", "")
    document = {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.4.0", "description": description},
        "servers": [{"url": f"https://api.northwind.example/{name.removesuffix('-api')}/v1"}],
        "paths": {
            f"/{plural}": {
                "get": {
                    "summary": f"List {plural}",
                    "operationId": f"list{schema}s",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 200}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": f"A page of {plural}",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": f"#/components/schemas/{schema}"},
                                            },
                                            "nextCursor": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        }
                    },
                },
                "post": {
                    "summary": f"Create a {noun}",
                    "operationId": f"create{schema}",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    },
                    "responses": {"201": {"description": "Created"}, "400": {"description": "Invalid input"}},
                },
            },
            f"/{plural}/{{id}}": {
                "get": {
                    "summary": f"Get a {noun}",
                    "operationId": f"get{schema}",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": f"The {noun}",
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                        },
                        "404": {"description": "Not found"},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                schema: {
                    "type": "object",
                    "required": ["id", "createdAt"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "createdAt": {"type": "string", "format": "date-time"},
                        "status": {"type": "string", "enum": ["active", "pending", "closed"]},
                        "reference": {"type": "string", "example": "NW-2026-000123"},
                    },
                }
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
    return yaml.safe_dump(document, sort_keys=False)


def write(path: Path, documents: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False, width=110), "utf-8")


#: Components with TechDocs in the demo: title, introduction, and (slug, heading, text) pages.
DOCS: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "booking-service": (
        "Booking service",
        "Takes freight bookings from customers and carriers, quotes them and confirms them.",
        [
            (
                "architecture",
                "Architecture",
                "## Components\n\nThe service keeps bookings in `bookings-db` and "
                "publishes lifecycle events to `events-bus`.\n\n## Flow\n\n1. A quote is requested.\n"
                "2. The customer confirms.\n3. A booking event is published.",
            ),
            (
                "runbook",
                "Runbook",
                "## Alerts\n\n- **High quote latency**: check `rates-cache` hit ratio.\n"
                "- **Booking errors**: look at the last deploy.\n\n## Escalation\n\nPage the shipping team.",
            ),
        ],
    ),
    "tracking-service": (
        "Tracking service",
        "Follows shipments from pickup to delivery and tells customers where their parcels are.",
        [("events", "Tracking events", "Scans arrive from `scan-ingestor` and become tracking events.")],
    ),
    "payment-service": (
        "Payment service",
        "Charges customers for confirmed bookings through the card acquirer and records every payment.",
        [
            (
                "payment-flows",
                "Payment flows",
                "## Card payments\n\nA card payment is authorised when the booking is confirmed and captured "
                "when the shipment is picked up.\n\n## Refunds\n\nRefunds go back to the original card; partial "
                "refunds are allowed up to the captured amount.\n\n## Idempotency keys\n\nEvery request to the "
                "acquirer carries an idempotency key derived from the booking id, so retries never charge twice.",
            ),
            (
                "runbook",
                "Payments runbook",
                "## Acquirer outage\n\nWhen the acquirer times out, payments queue in `events-bus` and are retried "
                "every five minutes. Tell the billing team in #billing.\n\n## Chargebacks\n\nA chargeback "
                "notice arrives by webhook; the dispute evidence is the signed delivery receipt from "
                "`document-service`.",
            ),
        ],
    ),
    "identity-service": (
        "Identity service",
        "Signs customers and staff in and issues the tokens every other service checks.",
        [
            (
                "tokens",
                "Tokens",
                "## Access tokens\n\nAccess tokens are JWTs signed with ES256 and live fifteen minutes. Services "
                "verify them against the JWKS endpoint.\n\n## Key rotation\n\nSigning keys rotate every thirty "
                "days; the previous key stays published for a day so no token is rejected early.",
            ),
            (
                "single-sign-on",
                "Single sign-on",
                "## Staff sign-in\n\nStaff sign in through the company OIDC provider with multi-factor "
                "authentication.\n\n## Customer accounts\n\nCustomers sign in with email and password or a "
                "magic link; passwords are hashed with Argon2.",
            ),
        ],
    ),
    "alert-router": (
        "Alert router",
        "Routes alerts from monitoring to the on-call engineer of the owning team.",
        [
            (
                "routing-rules",
                "Routing rules",
                "## Severity levels\n\nCritical alerts page the primary on-call at once; warnings open a ticket "
                "and wait for office hours.\n\n## Escalation policies\n\nAn unacknowledged page escalates to "
                "the secondary after ten minutes and to the engineering manager after thirty.",
            ),
            (
                "on-call",
                "On-call",
                "## Schedules\n\nEach team keeps a weekly rotation; handover is on Monday at ten.\n\n"
                "## Silencing\n\nSilence an alert during a planned maintenance window from the status page, "
                "never by deleting the rule.",
            ),
        ],
    ),
    "notification-service": (
        "Notification service",
        "Sends emails, text messages and push notifications to customers when their shipments move.",
        [
            (
                "templates",
                "Message templates",
                "## Email templates\n\nEmail templates are MJML files rendered per locale; previews are in the "
                "design system.\n\n## SMS templates\n\nText messages stay under 160 characters and never carry "
                "tracking links without the short domain.",
            ),
            (
                "delivery",
                "Delivery",
                "## Retries\n\nA failed send is retried with exponential backoff for up to a day.\n\n"
                "## Rate limits\n\nEach customer gets at most five notifications an hour; the rest are merged "
                "into a digest.",
            ),
        ],
    ),
}


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    users = []
    for index in range(30):
        name = f"{FIRST[index]}.{LAST[index]}"
        team = TEAMS[index % len(TEAMS)]
        users.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "User",
                "metadata": {"name": name},
                "spec": {
                    "profile": {
                        "displayName": f"{FIRST[index].title()} {LAST[index].replace('-', ' ').title()}",
                        "email": f"{name}@northwind.example",
                    },
                    "memberOf": [team],
                },
            }
        )
    groups = []
    for name, (display, parent, group_type) in GROUPS.items():
        spec: dict[str, Any] = {
            "type": group_type,
            "profile": {"displayName": display, "email": f"{name}@northwind.example"},
            "children": [child for child, (_, p, _) in GROUPS.items() if p == name],
        }
        if parent:
            spec["parent"] = parent
        groups.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": {"name": name, "description": f"The {display} group."},
                "spec": spec,
            }
        )
    write(OUT / "org.yaml", groups + users)

    domains = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Domain",
            "metadata": {"name": name, "title": title, "description": description},
            "spec": {"owner": owner, "type": "product-area"},
        }
        for name, (title, owner, description) in DOMAINS.items()
    ]
    systems = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "System",
            "metadata": {"name": name, "description": description, "tags": [domain]},
            "spec": {"owner": owner, "domain": domain, "type": "product"},
        }
        for name, (domain, owner, description) in SYSTEMS.items()
    ]
    write(OUT / "domains-and-systems.yaml", domains + systems)

    apis = []
    for name, (system, owner, noun, description) in APIS.items():
        (OUT / "apis" / f"{name}.openapi.yaml").parent.mkdir(parents=True, exist_ok=True)
        (OUT / "apis" / f"{name}.openapi.yaml").write_text(openapi(name, noun, description), "utf-8")
        apis.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "API",
                "metadata": {"name": name, "description": description, "tags": ["rest", system]},
                "spec": {
                    "type": "openapi",
                    "lifecycle": "production",
                    "owner": owner,
                    "system": system,
                    "definition": {"$text": f"./{name}.openapi.yaml"},
                },
            }
        )
    write(OUT / "apis" / "apis.yaml", apis)

    resources = [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Resource",
            "metadata": {"name": name, "description": description, "tags": [kind]},
            "spec": {"type": kind, "owner": owner, "system": system},
        }
        for name, (system, owner, kind, description) in RESOURCES.items()
    ]
    write(OUT / "resources.yaml", resources)

    components = []
    for name, (system, owner, ctype, lifecycle, provides, consumes, depends, language) in COMPONENTS.items():
        spec: dict[str, Any] = {"type": ctype, "lifecycle": lifecycle, "owner": owner, "system": system}
        if provides:
            spec["providesApis"] = provides
        if consumes:
            spec["consumesApis"] = consumes
        if depends:
            spec["dependsOn"] = [f"resource:{resource}" for resource in depends]
        components.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": name,
                    "description": f"{name.replace('-', ' ').capitalize()} of the {system.replace('-', ' ')} system.",
                    "tags": [language, ctype],
                    "annotations": {
                        "github.com/project-slug": f"northwind/{name}",
                        **({"backstage.io/techdocs-ref": f"dir:./docs/{name}"} if name in DOCS else {}),
                    },
                    "links": [
                        {
                            "url": f"https://grafana.northwind.example/d/{name}",
                            "title": "Dashboard",
                            "icon": "dashboard",
                        }
                    ],
                },
                "spec": spec,
            }
        )
    write(OUT / "components.yaml", components)
    for name, (title, intro, sections) in DOCS.items():
        folder = OUT / "docs" / name
        (folder / "docs").mkdir(parents=True, exist_ok=True)
        nav = ["  - Home: index.md", *[f"  - {heading}: {slug}.md" for slug, heading, _ in sections]]
        (folder / "mkdocs.yml").write_text(f"site_name: {title}\nnav:\n" + "\n".join(nav) + "\n", "utf-8")
        index = f"# {title}\n\n{intro}\n\n## Pages\n\n" + "".join(
            f"- [{heading}]({slug}.md)\n" for slug, heading, _ in sections
        )
        (folder / "docs" / "index.md").write_text(index, "utf-8")
        for slug, heading, body in sections:
            (folder / "docs" / f"{slug}.md").write_text(f"# {heading}\n\n{body}\n", "utf-8")

    write(
        OUT / "all.yaml",
        [
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Location",
                "metadata": {"name": "northwind", "description": "Everything in the Northwind Freight demo catalog."},
                "spec": {
                    "targets": [
                        "./org.yaml",
                        "./domains-and-systems.yaml",
                        "./apis/apis.yaml",
                        "./resources.yaml",
                        "./components.yaml",
                    ]
                },
            }
        ],
    )
    print(
        f"wrote {len(groups)} groups, {len(users)} users, {len(domains)} domains, {len(systems)} systems, "
        f"{len(apis)} APIs, {len(resources)} resources, {len(components)} components to {OUT}"
    )


if __name__ == "__main__":
    main()
