"""The queue of VMs whose routers' metadata entries are due, published in batches by the job workers."""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "metadata_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metadata_queue"),
    )


def downgrade() -> None:
    op.drop_table("metadata_queue")
