"""User data of VMs (deployVirtualMachine/updateVirtualMachine `userdata`), served to guests by the metadata."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "vm_user_data",
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.Column("user_data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["vm_id"], ["vm_instances.id"], name="fk_vm_user_data_vm_id_vm_instances"),
        sa.PrimaryKeyConstraint("vm_id", name="pk_vm_user_data"),
    )


def downgrade() -> None:
    op.drop_table("vm_user_data")
