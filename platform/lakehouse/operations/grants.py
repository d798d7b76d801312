"""Unity Catalog GRANT statements from a profile's `access:` section, and applying them.

    python -m lakehouse.operations.grants --profile prod      # prints the statements; contacts nothing

The statements are a pure function of the declaration (`grant_statements`), so the dry run, the
`apply_access_grants` job and the tests all see the same text. Granting is additive: a principal removed
from the profile keeps what it was granted until someone runs REVOKE (docs/environments.md says how).
Revoking "everything not declared" would need SHOW GRANTS parsed against ownership, inherited and
hand-made grants of a workspace this repository cannot reach, so it is not attempted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from lakehouse.config.access import LAYERS, AccessSettings
from lakehouse.config.profile import Profile, load_profile
from lakehouse.resources.catalog import quote

READ_PRIVILEGES = ("USE SCHEMA", "SELECT")
# CREATE TABLE: the Delta IO manager creates a table on its first write; MODIFY: overwrite, replaceWhere,
# MERGE, DELETE and the maintenance job's OPTIMIZE / VACUUM / quarantine expiry.
WRITE_PRIVILEGES = ("USE SCHEMA", "SELECT", "MODIFY", "CREATE TABLE")


def quote_principal(name: str) -> str:
    """A principal as Databricks SQL names it: in backticks, a backtick inside doubled (a group name may
    hold `-`, `@` or spaces, which only a quoted name may)."""
    return "`" + name.replace("`", "``") + "`"


def _grant(privileges: tuple[str, ...], securable: str, principal: str) -> str:
    return f"GRANT {', '.join(privileges)} ON {securable} TO {quote_principal(principal)}"


def grant_statements(catalog: str, access: AccessSettings) -> list[str]:
    """USE CATALOG for every principal named, then per layer (in LAYERS order) the writers' and the
    readers' privileges on `<catalog>.<layer>`. Catalog and schema names are validated identifiers."""
    statements = [_grant(("USE CATALOG",), f"CATALOG {quote(catalog)}", p) for p in access.principals()]
    for layer in (name for name in LAYERS if name in access.layers):
        schema = f"SCHEMA {quote(catalog)}.{quote(layer)}"
        declared = access.layers[layer]
        statements += [_grant(WRITE_PRIVILEGES, schema, p) for p in declared.write]
        statements += [_grant(READ_PRIVILEGES, schema, p) for p in declared.read]
    return statements


def profile_grant_statements(profile: Profile) -> list[str]:
    """The statements for a profile; none when it declares no access (grants are not managed there)."""
    if profile.access is None or profile.storage.catalog_name is None:
        return []
    return grant_statements(profile.storage.catalog_name, profile.access)


def apply_statements(statements: list[str], sql: Callable[[str], Any] | None) -> int:
    """Run each statement through `sql` (a Spark session's `sql`) in order; `sql` None is the dry run and
    runs nothing. The first failure stops the rest: the run fails loudly with the statement it was on."""
    if sql is None:
        return 0
    for done, statement in enumerate(statements):
        try:
            sql(statement)
        except Exception as error:
            raise RuntimeError(f"Grant {done + 1}/{len(statements)} failed: {statement}") from error
    return len(statements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.operations.grants",
                                     description="Print the Unity Catalog GRANT statements a profile declares.")
    parser.add_argument("--profile", required=True, help="Profile name (config/profiles/<name>.yaml)")
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    if profile.access is None:
        print(f"-- profile {profile.name!r} declares no access: nothing to grant", file=sys.stderr)
        return 0
    print(f"-- {profile.name}: grants declared in config/profiles/{profile.name}.yaml (additive: no REVOKE)")
    for statement in profile_grant_statements(profile):
        print(f"{statement};")
    return 0


if __name__ == "__main__":
    sys.exit(main())
