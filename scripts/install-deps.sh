#!/usr/bin/env bash
# Installs the system packages maracd needs to build, test and run, if any is missing.
# Debian/Ubuntu: libssl-dev (libcrypto), libsqlite3-dev, the openssl and sqlite3
# command-line tools the interoperability tests drive, and Python's jsonschema, the
# standard validator the form schemas are cross-checked with, and Chromium, the browser
# the IG report's HTML is opened in by a test, with chromedriver and Selenium (from PyPI),
# which drive the form pages agencies fill in. Idempotent; silent when all are present.
set -euo pipefail

packages=(libssl-dev libsqlite3-dev openssl sqlite3 chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Any python3 with jsonschema will do (a distribution's or a local one).
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
    missing+=(python3 python3-jsonschema)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A python3 on PATH that is not the distribution's will not see python3-jsonschema.
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
    echo "install-deps: python3 on PATH lacks jsonschema; installing it with pip for this user" >&2
    python3 -m pip install --user --quiet jsonschema 2>/dev/null \
        || python3 -m pip install --user --quiet --break-system-packages jsonschema \
        || { echo "install-deps: cannot install Python's jsonschema (needed by the schema cross-check test)" >&2; exit 69; }
fi

# Selenium, from PyPI (a test dependency: Debian's python3-selenium is older than the
# chromium it would drive).
if ! python3 -c 'import selenium' >/dev/null 2>&1; then
    echo "install-deps: installing Selenium from PyPI for the form pages' browser test" >&2
    python3 -m pip install --user --quiet selenium 2>/dev/null \
        || python3 -m pip install --user --quiet --break-system-packages selenium \
        || { echo "install-deps: cannot install Selenium (needed by the form pages' browser test)" >&2; exit 69; }
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (6.0 or later) is not on PATH; install it from swift.org" >&2
    exit 69
fi
