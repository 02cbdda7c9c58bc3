"""Routers' metadata entries per VM, so that a VM's change republishes its routers in O(1)."""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "router_metadata",
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("vm_uuid", sa.String(length=36), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("target", "vm_uuid", name="pk_router_metadata"),
    )


def downgrade() -> None:
    op.drop_table("router_metadata")
