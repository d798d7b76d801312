"""This folder runs only as make test's metastore suite: LAKEHOUSE_TEST_CATALOG=metastore, a process of its
own (a Spark session's catalog is fixed when its JVM starts). Elsewhere it is not collected."""

from platform_tests.metastore.database import wanted

collect_ignore_glob = [] if wanted() else ["test_*.py"]
