#!/usr/bin/env bash
# Install the toolchains of the interoperability suite (tests/interop/) and of the benchmark's Java
# reference peer: PHP 8 SoapClient, Java JAX-WS RI (wsimport), Mono (wsdl, mcs) for the .NET
# client, node-soap and newman (the integrator's kit's Postman collection). suds-community comes
# with the Python test extras.
# Also systemd-analyze, which checks the service units of deploy/ (tests/test_deploy_units.py),
# PostgreSQL's server programs, for the tests of the store on its second engine, HAProxy, and
# valgrind (bench/instructions.py).
#
# Idempotent and quiet: installs only what is missing. Tolerant: never fails the build; it prints
# what it could not install, and the matching interop tests then skip naming the missing command.
set -u
cd "$(dirname "$0")"

missing=()
note() { printf 'interop toolchains: %s\n' "$*"; }

have_php_soap() { command -v php >/dev/null 2>&1 && php -r 'exit(class_exists("SoapClient") ? 0 : 1);' 2>/dev/null; }
have_wsimport() { command -v wsimport >/dev/null 2>&1; }
have_mono() { command -v wsdl >/dev/null 2>&1 && command -v mcs >/dev/null 2>&1 && command -v mono >/dev/null 2>&1; }
# The benchmark's reference peer (bench/peers/jaxws) stores through the JDBC SQLite driver.
have_sqlite_jdbc() { [ -f /usr/share/java/sqlite-jdbc.jar ]; }

apt_packages=()
have_php_soap || apt_packages+=(php-cli php-soap)
have_wsimport || apt_packages+=(jaxws libjaxws-java)
have_mono || apt_packages+=(mono-devel)
have_sqlite_jdbc || apt_packages+=(libxerial-sqlite-jdbc-java)
command -v systemd-analyze >/dev/null 2>&1 || apt_packages+=(systemd)
# The store's second engine: the tests start throwaway PostgreSQL servers of their own (initdb, pg_ctl).
have_postgres() { command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_postgres || apt_packages+=(postgresql)
# The cluster's load balancer: the tests start throwaway HAProxy instances in front of gateway nodes.
have_haproxy() { command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; }
have_haproxy || apt_packages+=(haproxy)
# The benchmark's count of the instructions a deposit costs (bench/instructions.py) runs under valgrind.
command -v valgrind >/dev/null 2>&1 || apt_packages+=(valgrind)

if ((${#apt_packages[@]})); then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        note "installing ${apt_packages[*]} with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        # Another apt-get may hold the lock (a shared machine): wait for it rather than fail.
        apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
        { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${apt_packages[@]}"; } \
            >/tmp/esav-interop-apt.log 2>&1 || note "apt-get failed (log: /tmp/esav-interop-apt.log)"
    else
        note "cannot install ${apt_packages[*]}: apt-get as root is not available"
    fi
fi
have_php_soap || missing+=("php with SoapClient (Debian php-cli php-soap)")
have_wsimport || missing+=("wsimport (Debian jaxws libjaxws-java)")
command -v javac >/dev/null 2>&1 || missing+=("javac (a JDK, e.g. Debian openjdk-17-jdk-headless)")
have_mono || missing+=("wsdl, mcs and mono (Debian mono-devel)")
command -v systemd-analyze >/dev/null 2>&1 || missing+=("systemd-analyze (Debian systemd)")
command -v valgrind >/dev/null 2>&1 || missing+=("valgrind (Debian valgrind)")

if command -v npm >/dev/null 2>&1; then
    if [ ! -f node_modules/soap/package.json ] || [ ! -f node_modules/newman/package.json ]; then
        npm ci --no-audit --no-fund --loglevel=error >/tmp/esav-interop-npm.log 2>&1 \
            || note "npm ci failed (log: /tmp/esav-interop-npm.log)"
    fi
    [ -f node_modules/soap/package.json ] || missing+=("node-soap (npm ci in tests/interop)")
    [ -f node_modules/newman/package.json ] || missing+=("newman (npm ci in tests/interop)")
else
    missing+=("node and npm")
fi

if ((${#missing[@]})); then
    for m in "${missing[@]}"; do note "not installed: $m (its interop tests will skip)"; done
fi
exit 0
