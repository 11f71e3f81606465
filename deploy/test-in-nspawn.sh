#!/usr/bin/env bash
# Boots deploy/maracd.service under a real systemd (PID 1 in a systemd-nspawn container
# made with debootstrap) with its encrypted credential, and checks that it reaches
# READY=1, takes a form (a signed receipt that openssl verifies), and stops cleanly.
#
#   sudo deploy/test-in-nspawn.sh [ROOTFS]     (default /var/tmp/maracd-nspawn/rootfs)
#
# Needs root, debootstrap, systemd-container and network access to deb.debian.org for
# the first run (the root filesystem is kept and reused). Not run in CI: it boots an
# operating system. The result is printed and left in ROOTFS/var/tmp/maracd-e2e.result.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rootfs=${1:-/var/tmp/maracd-nspawn/rootfs}
suite=${SUITE:-bookworm}

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 77; }
command -v debootstrap >/dev/null && command -v systemd-nspawn >/dev/null || {
    apt-get install -y debootstrap systemd-container
}

# 1. The operating system, once.
if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
    mkdir -p "$(dirname "$rootfs")"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libssl3,libsqlite3-0,openssl,procps \
        "$suite" "$rootfs" http://deb.debian.org/debian
fi

# 2. maracd with the Swift runtime linked in (the container has no toolchain).
swift build -c release --static-swift-stdlib --scratch-path .build-static
install -m 0755 .build-static/release/maracd .build-static/release/maracctl "$rootfs/usr/local/bin/"

# 3. The unit, users and directories exactly as deploy/README.md installs them.
install -m 0644 deploy/maracd.service "$rootfs/etc/systemd/system/maracd.service"
install -D -m 0644 deploy/maracd.sysusers.conf "$rootfs/etc/sysusers.d/maracd.conf"
install -D -m 0644 deploy/maracd.tmpfiles.conf "$rootfs/etc/tmpfiles.d/maracd.conf"
install -d -m 0750 "$rootfs/etc/maracd"
cat > "$rootfs/etc/maracd/maracd.json" <<'JSON'
{"stateDirectory": "/var/lib/maracd", "principalsFile": "/etc/maracd/principals.json",
 "control": {"socketPath": "/run/maracd/maracd.sock"},
 "audit": {"checkpointOrigin": "nspawn.example/maracd", "checkpointIntervalSeconds": 1}}
JSON
cat > "$rootfs/etc/maracd/principals.json" <<'JSON'
{"version": 1, "principals": [{"uid": 0, "name": "IG officer", "agency": "idva", "roles": ["ig-officer"]},
                              {"uid": 1001, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]}]}
JSON
install -m 0644 Tests/ExchangeTests/Fixtures/forms/valid/referral-police.json "$rootfs/var/tmp/referral.json"

# 4. The test, run by the container's own systemd once it has booted: set up the vault
#    and credential as deploy/README.md says, start the unit, drop a form, stop.
cat > "$rootfs/usr/local/bin/maracd-e2e" <<'SH'
#!/bin/bash
exec > /var/tmp/maracd-e2e.result 2>&1
set -x
fail() { journalctl -u maracd --no-pager | tail -n 15; echo "RESULT: FAIL ($1)"; systemctl poweroff; exit 1; }
systemd-sysusers /etc/sysusers.d/maracd.conf
systemd-tmpfiles --create /etc/tmpfiles.d/maracd.conf || true
rm -rf /var/lib/maracd /etc/maracd/master.key.cred
install -d -m 0700 -o maracd -g maracd /var/lib/maracd /run/maracd-setup
runuser -u maracd -- maracctl init --state /var/lib/maracd --key /run/maracd-setup/master.key --name "nspawn Marac"
for a in police:police health:health idva:idva; do
    runuser -u maracd -- maracctl agency add "${a%%:*}" --kind "${a##*:}" --name "Test ${a%%:*}" \
        --state /var/lib/maracd --key /run/maracd-setup/master.key
done
systemd-creds encrypt --with-key=host --name=master.key /run/maracd-setup/master.key /etc/maracd/master.key.cred
shred -u /run/maracd-setup/master.key
chgrp maracd /etc/maracd/*.json && chmod 0640 /etc/maracd/*.json
systemctl daemon-reload
id -u coord >/dev/null 2>&1 || useradd -u 1001 -M -s /usr/sbin/nologin coord
usermod -aG maracd coord  # as deploy/README.md says
id -u stranger >/dev/null 2>&1 || useradd -u 1002 -M -s /usr/sbin/nologin stranger
systemctl start maracd || fail "start"
runuser -u coord -- maracctl status | grep -q "you: Coordinator (idva): coordinator" || fail "status as a principal"
rc=0; runuser -u stranger -- maracctl status || rc=$?
[ $rc = 77 ] || fail "a user outside the control group got exit $rc, not 77"
[ "$(systemctl show -p ActiveState --value maracd)" = active ] || fail "not active"
[ "$(systemctl show -p SubState --value maracd)" = running ] || fail "not running"
journalctl -u maracd --no-pager | grep -q daemon.started || fail "no daemon.started (READY=1) in the journal"
# Helper threads run 10 below the daemon's priority: the unit lets them lower it.
pid=$(systemctl show -p MainPID --value maracd)
ps -L -o ni=,comm= -p "$pid"
[ "$(ps -L -o ni=,comm= -p "$pid" | awk '$2 == "maracd-wal" || $2 == "maracd-receipts" { print $1 }' | sort -u)" = 10 ] \
    || fail "helper threads are not at nice 10"
[ "$(ps -L -o ni=,comm= -p "$pid" | awk '$2 == "maracd" { print $1 }' | sort -u)" = 0 ] || fail "the main thread is not at nice 0"
cp /var/tmp/referral.json /var/lib/maracd/inbox/police/.incoming
chown maracd:maracd /var/lib/maracd/inbox/police/.incoming
mv /var/lib/maracd/inbox/police/.incoming /var/lib/maracd/inbox/police/referral.json
id=$(sha256sum /var/tmp/referral.json | cut -c1-32)
for i in $(seq 50); do [ -f /var/lib/maracd/outbox/police/receipts/$id.receipt ] && break; sleep 0.2; done
[ -f /var/lib/maracd/outbox/police/receipts/$id.receipt ] || fail "no receipt"
openssl cms -verify -inform DER -in /var/lib/maracd/outbox/police/receipts/$id.receipt \
    -CAfile /var/lib/maracd/outbox/police/signing-certificates.pem -out /dev/null || fail "receipt does not verify"
systemctl stop maracd
[ "$(systemctl show -p Result --value maracd)" = success ] || fail "stop result $(systemctl show -p Result --value maracd)"
journalctl -u maracd --no-pager | grep -q daemon.stopped || fail "no daemon.stopped"
ls /var/lib/maracd/witness/ | grep -q checkpoint- || fail "no published checkpoint"
# The root-key rotation of deploy/README.md ("Rotating the root key"), command for command:
# refused while the daemon runs, then done against a decrypted copy and re-encrypted.
old=$(sha256sum /etc/maracd/master.key.cred)
install -d -m 0700 -o maracd -g maracd /run/maracd-rotate
systemd-creds decrypt --name=master.key /etc/maracd/master.key.cred /run/maracd-rotate/master.key || fail "decrypt"
chown maracd:maracd /run/maracd-rotate/master.key && chmod 0600 /run/maracd-rotate/master.key
systemctl start maracd
rc=0; runuser -u maracd -- maracctl key rotate --root --state /var/lib/maracd --key /run/maracd-rotate/master.key || rc=$?
[ $rc = 75 ] || fail "a root rotation beside the running daemon exited $rc, not 75"
systemctl stop maracd
runuser -u maracd -- maracctl key rotate --root --state /var/lib/maracd --key /run/maracd-rotate/master.key || fail "rotate"
systemd-creds encrypt --with-key=host --name=master.key /run/maracd-rotate/master.key /etc/maracd/master.key.cred.new || fail "encrypt"
mv /etc/maracd/master.key.cred.new /etc/maracd/master.key.cred
shred -u /run/maracd-rotate/master.key
[ "$(sha256sum /etc/maracd/master.key.cred)" != "$old" ] || fail "credential not replaced"
systemctl start maracd || fail "start after the rotation"
sed 's/Tamsin Quinn/Second Person/' /var/tmp/referral.json > /var/tmp/second.json
install -o maracd -g maracd -m 0600 /var/tmp/second.json /var/lib/maracd/inbox/police/.incoming
mv /var/lib/maracd/inbox/police/.incoming /var/lib/maracd/inbox/police/second.json
id=$(sha256sum /var/tmp/second.json | cut -c1-32)
for i in $(seq 50); do [ -f /var/lib/maracd/outbox/police/receipts/$id.receipt ] && break; sleep 0.2; done
[ -f /var/lib/maracd/outbox/police/receipts/$id.receipt ] || fail "no receipt after the root rotation"
systemctl stop maracd
[ "$(systemctl show -p Result --value maracd)" = success ] || fail "stop after the rotation"
journalctl -u maracd --no-pager | grep -q tampered && fail "tampered after the rotation"
# The sandbox must not refuse the runtime anything it asks for (libdispatch's worker priority).
journalctl -b -u maracd --no-pager | grep -q "Failed to set thread priority" && fail "the sandbox refused a worker thread's priority"
systemd-analyze security maracd --no-pager | tail -1
journalctl -u maracd --no-pager | tail -n 20
echo "RESULT: PASS"
systemctl poweroff
SH
chmod 0755 "$rootfs/usr/local/bin/maracd-e2e"
cat > "$rootfs/etc/systemd/system/maracd-e2e.service" <<'UNIT'
[Unit]
Description=maracd end-to-end test under systemd
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/bin/maracd-e2e
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/maracd-e2e.service "$rootfs/etc/systemd/system/multi-user.target.wants/maracd-e2e.service"
rm -f "$rootfs/var/tmp/maracd-e2e.result"

# 5. Boot; the container powers itself off when the test ends. On a host whose /run is
#    not a tmpfs (a container or VM without systemd as PID 1), nspawn refuses to clean its
#    propagation directory: give it one. --keep-unit: no host bus to register a scope with.
if ! mountpoint -q /run/systemd/nspawn 2>/dev/null && [ "$(stat -f -c %T /run)" != tmpfs ]; then
    mkdir -p /run/systemd/nspawn && mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
fi
timeout 300 systemd-nspawn --quiet --boot --directory="$rootfs" --machine=maracd-e2e --register=no --keep-unit \
    --private-network > /var/tmp/maracd-nspawn.console 2>&1 || true
cat "$rootfs/var/tmp/maracd-e2e.result" 2>/dev/null | grep -v '^+' | tail -n 30 || true
grep -q "RESULT: PASS" "$rootfs/var/tmp/maracd-e2e.result" 2>/dev/null || {
    echo "deploy/test-in-nspawn.sh: FAILED (console: /var/tmp/maracd-nspawn.console)" >&2
    tail -n 30 /var/tmp/maracd-nspawn.console >&2
    exit 1
}
echo "deploy/test-in-nspawn.sh: maracd.service started (READY=1), took a form, stopped cleanly under systemd;"
echo "  the root rotation was refused while it ran, then done with systemd-creds as deploy/README.md says"
