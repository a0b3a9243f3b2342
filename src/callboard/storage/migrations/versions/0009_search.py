"""The search index: one row per document (an entity, a docs section) plus the engine's full-text index.

On SQLite the full-text index is an FTS5 table over ``search_documents`` kept in step by triggers, so a crash
can never leave the two apart. On PostgreSQL it is a generated ``tsvector`` column with a GIN index.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SQLITE = [
    # porter stems English words; unicode61 splits names like booking-service into their words.
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, keywords, text, content='search_documents', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2', prefix='2 3 4')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, keywords, text) VALUES (new.id, new.title, new.keywords, new.text); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, text) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.text); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, text) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.text); "
    "INSERT INTO search_fts(rowid, title, keywords, text) VALUES (new.id, new.title, new.keywords, new.text); END",
]

_POSTGRES = [
    # Titles and keywords are names, so they are not stemmed ('simple'); prose is ('english').
    "ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(keywords, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(title, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'C')) STORED",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
]


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("resource_ref", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_words", sa.Text, nullable=False),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("kind", sa.Text),
        sa.Column("owner", sa.Text),
        sa.Column("lifecycle", sa.Text),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("type", "key", name="uq_search_documents_type_key"),
    )
    op.create_index("ix_search_documents_resource_ref", "search_documents", ["resource_ref"])
    op.create_index("ix_search_documents_updated_at", "search_documents", ["updated_at"])
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_search_documents_title_words", "search_documents", ["title_words"])
    else:
        # Byte order ("C"), whatever the database's collation: title-prefix ranges are read off this index.
        op.execute('CREATE INDEX ix_search_documents_title_words ON search_documents ((title_words COLLATE "C"))')
    op.create_table(
        "search_state",
        sa.Column("collator", sa.String(64), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
    )
    for statement in _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_state")
    op.drop_table("search_documents")
