#!/usr/bin/env bash
# Spark 4.2 needs Java 17 or newer. Fail early with a clear message rather than deep inside py4j.
set -euo pipefail
if ! command -v java >/dev/null 2>&1; then
  echo "ERROR: Java is not installed. Spark 4.2 needs Java 17 or newer." >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless   (or set JAVA_HOME)" >&2
  exit 1
fi
version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
major=${version%%.*}
if [ "$major" = "1" ]; then major=$(echo "$version" | cut -d. -f2); fi
if ! [ "$major" -ge 17 ] 2>/dev/null; then
  echo "ERROR: Java $version found; Spark 4.2 needs Java 17 or newer (set JAVA_HOME to a JDK 17+)." >&2
  exit 1
fi
echo "Java $version OK"
