"""Resource tags (createTags, deleteTags, listTags and `tags` on the tagged resources)."""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "resource_tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_uuid", sa.String(length=40), nullable=False),
        sa.Column("customer", sa.String(length=255), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_resource_tags_account_id_accounts")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_resource_tags_domain_id_domains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_tags")),
        sa.UniqueConstraint("uuid", name=op.f("uq_resource_tags_uuid")),
        sa.UniqueConstraint("resource_type", "resource_uuid", "key",
                            name=op.f("uq_resource_tags_resource_type_resource_uuid_key")),
    )


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
