"""Users: the count of failed logins in a row, which disables a user at incorrect.login.attempts.allowed."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing users start with no failed attempt, as CloudStack's own upgrade did.
    op.add_column("users", sa.Column("login_attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
