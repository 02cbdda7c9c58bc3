"""A queued metadata change may name the one NIC whose addresses changed (NULL: the whole VM)."""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision: str | None = "0017"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Rows queued before the upgrade keep NULL: their VMs are published whole, as they were meant to be.
    op.add_column("metadata_queue", sa.Column("nic_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by rebuilding the table.
    with op.batch_alter_table("metadata_queue") as batch:
        batch.drop_column("nic_id")
