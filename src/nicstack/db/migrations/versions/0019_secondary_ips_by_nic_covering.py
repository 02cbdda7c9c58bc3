"""A NIC's secondary addresses in the order they were added, read from the index alone.

The routers' metadata lists every address of a changed NIC; with the address columns in the
index, that read no longer visits the table once per address (a NIC may hold hundreds).
"""

from alembic import op

revision = "0019"
down_revision: str | None = "0018"
branch_labels: str | None = None
depends_on: str | None = None

_COVERING = "ix_nic_secondary_ips_nic_id_id_ip4_address_ip6_address"


def upgrade() -> None:
    # Created first: every query by nic_id has an index at every moment of the upgrade.
    op.create_index(_COVERING, "nic_secondary_ips", ["nic_id", "id", "ip4_address", "ip6_address"])
    op.drop_index("ix_nic_secondary_ips_nic_id", "nic_secondary_ips")


def downgrade() -> None:
    op.create_index("ix_nic_secondary_ips_nic_id", "nic_secondary_ips", ["nic_id"])
    op.drop_index(_COVERING, "nic_secondary_ips")
