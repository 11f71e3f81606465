#!/usr/bin/env bash
# `make run`: a local maracd on its embedded default (SQLite under ./var, or STATE=DIR).
# On first run: a vault with a fresh root key, the six demo agencies (each with a recipient
# key in <state>-recipient-keys/), the current uid mapped to the coordinator, chair and key
# custodian, and a configuration file; then the daemon runs in
# the foreground (Ctrl-C stops it cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MARACD_BIN:-.build/release}   # the tests point this at their own build
state=${1:-./var}
mkdir -p "$state" && chmod 700 "$state"
state=$(cd "$state" && pwd)

if [ ! -f "$state/vault.db" ]; then
    "$bin/maracctl" init --state "$state" --name "maracd local" >/dev/null
    # Each demo agency gets a recipient key beside the state directory (never in it), so
    # agenda and meeting packs can be sent and opened: maracctl open PACK --key ... --cert ...
    keys="$state-recipient-keys"
    mkdir -p "$keys" && chmod 700 "$keys"
    while read -r id kind name; do
        "$bin/maracctl" agency keygen --out "$keys/$id" --name "$name recipient" >/dev/null
        "$bin/maracctl" agency add "$id" --kind "$kind" --name "$name" --cert "$keys/$id/recipient.pem" --state "$state" >/dev/null
    done <<'AGENCIES'
police police Demo police
health health Demo health
children childrens-services Demo children's services
housing housing Demo housing
probation probation Demo probation
idva idva Demo Idva service
AGENCIES
    cat > "$state/principals.json" <<JSON
{ "version": 1, "principals": [ { "uid": $(id -u), "name": "Local coordinator", "agency": "idva", "roles": ["coordinator", "chair", "key-custodian", "ig-officer"], "scope": "marac" } ] }
JSON
    cat > "$state/maracd.json" <<JSON
{
  "stateDirectory": "$state",
  "legalBasesFile": "$PWD/config/legal-bases.json",
  "principalsFile": "principals.json",
  "marac": { "name": "Local demo Marac" },
  "inbox": { "rescanIntervalSeconds": 5 }
}
JSON
    chmod 600 "$state/principals.json" "$state/maracd.json"
    echo "run: a new state directory in $state (root key: $state/master.key; agencies' recipient keys: $keys)" >&2
fi

echo "run: drop a form into $state/inbox/<agency>/ (write it elsewhere, then mv it in);" >&2
echo "run: receipts appear in $state/outbox/<agency>/receipts/, reports in .../rejected/" >&2
extra=()
if [ "$(id -u)" -eq 0 ]; then extra+=(--allow-root); echo "run: running as root for this local demo (--allow-root)" >&2; fi
exec "$bin/maracd" --config "$state/maracd.json" "${extra[@]}"
