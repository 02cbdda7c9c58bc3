"""Load balancer rules: a description and the source CIDRs allowed to reach them (CloudStack's cidrlist)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Both nullable: existing rules keep no description and stay reachable from anywhere, as before.
    op.add_column("load_balancing_rules", sa.Column("description", sa.String(length=4096), nullable=True))
    op.add_column("load_balancing_rules", sa.Column("cidr_list", sa.String(length=4096), nullable=True))


def downgrade() -> None:
    # Dropping cidr_list would silently open every restricted load balancer to the whole internet.
    raise NotImplementedError("nicstack migrations only go forward")
