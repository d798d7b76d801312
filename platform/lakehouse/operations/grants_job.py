"""The `apply_access_grants` job: the profile's `access:` applied to its Unity Catalog as code.

One op. `dry_run` (Launchpad default: true) records the statements as metadata and runs nothing, not
even a Spark session; with `dry_run: false` it runs them through `spark.sql` as the run's principal,
which must be allowed to grant (the catalog's owner or a holder of MANAGE). The job exists only in
profiles that declare `access:`; the deployment workflow (.github/workflows/deploy.yml) launches it.
"""

# No `from __future__ import annotations`: Dagster reads the op config class from the annotations.

from dagster import Config, JobDefinition, MetadataValue, Nothing, OpExecutionContext, Out, Output, job, op
from pydantic import Field

from lakehouse.config.profile import Profile
from lakehouse.operations.grants import apply_statements, profile_grant_statements
from lakehouse.resources.spark import SparkResource

GRANTS_JOB = "apply_access_grants"


class GrantsConfig(Config):
    dry_run: bool = Field(
        default=True, description="Record the GRANT statements the profile declares; run none of them."
    )


def build_grants_job(profile: Profile) -> JobDefinition | None:
    """The job for a profile that declares access, else None (nothing to register)."""
    statements = profile_grant_statements(profile)
    if not statements:
        return None
    catalog = profile.storage.catalog_name

    @op(out=Out(Nothing), description=f"GRANT the profile's per-layer read/write privileges on catalog {catalog}.")
    def apply_grants(context: OpExecutionContext, config: GrantsConfig, spark: SparkResource):
        for statement in statements:
            context.log.info("%s%s", "(dry run) " if config.dry_run else "", statement)
        # The session is only started when something is to run: a dry run needs no workspace.
        executed = apply_statements(statements, None if config.dry_run else spark.spark_session.sql)
        yield Output(None, metadata={
            "dry_run": config.dry_run,
            "catalog": catalog,
            "statements": MetadataValue.md("```sql\n" + ";\n".join(statements) + ";\n```"),
            "statements_declared": len(statements),
            "statements_executed": executed,
        })

    @job(
        name=GRANTS_JOB,
        description=f"Apply config/profiles/{profile.name}.yaml `access:` to Unity Catalog {catalog} "
        "(additive GRANTs; dry run by default).",
        tags={"lakehouse/kind": "access"},
    )
    def apply_access_grants() -> None:
        apply_grants()

    return apply_access_grants
