"""The job table becomes a queue any server runs: leases, attempts, backoff; routers' published documents.

Jobs no longer belong to the server that made them: `server` becomes `created_by`, and the
heartbeat table that let a server fail a dead one's jobs goes (an expired lease now returns a
job to the queue instead). Pending jobs of the old release carry a wire view as their
parameters, which the new worker cannot run: they are finished as failed, as the old release
did with the jobs of a stopped server.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_STOPPED = json.dumps({
    "uuidList": [], "errorcode": 530, "cserrorcode": 4250,
    "errortext": "The management server running this job stopped before the job finished; run the command again",
})


def upgrade() -> None:
    jobs = sa.table("async_jobs", sa.column("status", sa.SmallInteger), sa.column("result_code", sa.Integer),
                    sa.column("result", sa.Text), sa.column("completed", sa.DateTime))
    op.execute(jobs.update().where(jobs.c.status == 0)
               .values(status=2, result_code=530, result=_STOPPED, completed=sa.func.current_timestamp()))
    with op.batch_alter_table("async_jobs") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("server", new_column_name="created_by", existing_type=sa.String(length=255),
                           existing_nullable=False)
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("claimed_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("available_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.drop_index("ix_async_jobs_status_server")
    op.execute("UPDATE async_jobs SET available_at = created")
    with op.batch_alter_table("async_jobs") as batch:
        batch.alter_column("available_at", existing_type=sa.DateTime(), nullable=False)
        batch.create_index("ix_async_jobs_status_available_at", ["status", "available_at"])
    op.drop_table("management_servers")
    op.add_column("dataplane_generations", sa.Column("documents", sa.Text(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
