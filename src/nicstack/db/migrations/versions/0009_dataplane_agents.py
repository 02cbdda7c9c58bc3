"""Data-plane agents: credentials bound to one router or host, and what each agent reports it applied."""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "dataplane_agents",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_dataplane_agents_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", name="pk_dataplane_agents"),
        sa.UniqueConstraint("target", name="uq_dataplane_agents_target"),
    )
    op.create_table(
        "dataplane_applied",
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("agent", sa.String(length=255), nullable=False),
        sa.Column("heartbeat", sa.DateTime(), nullable=False),
        sa.Column("ok_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("target", name="pk_dataplane_applied"),
    )


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
