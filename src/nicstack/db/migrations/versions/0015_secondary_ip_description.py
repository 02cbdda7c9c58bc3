"""addIpToNic's description, stored with the secondary IP."""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("nic_secondary_ips") as batch:
        batch.add_column(sa.Column("description", sa.String(length=255), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
