#!/usr/bin/env bash
# End to end: the real link-migration binary against the postgres store on
# the fixture's server (PGSERVICEFILE set by ctest), with two migrations
# that work through the store's libpq connection:
#   1 create_items   creates table items
#   2 create_prices  creates table prices, then fails half-way while
#                    params.fail_2 is true
# and, in CRASH_DIR,
#   3 create_stock   creates table stock, then its worker process dies
#                    (SIGKILL) while params.crash_3 is true
#
#   e2e_runner.sh RUNNER MIGRATIONS_DIR CRASH_DIR
#
# up (2 fails: its table and an applied record must both be absent, the
# version failed-rolled-back), status, up again (retried, applied), current,
# down (both reverted), each checked in the database itself. Then, in each
# lock mode, up with version 3 dying: the supervisor must get the lock the
# dead worker held (advisory: freed with its connection; lease: taken over
# under the same run id, long before the 300 s lease would expire) and
# record the death; the next up applies it.
set -euo pipefail

runner=$1
migrations=$2
crash=$3
[ -n "${PGSERVICEFILE:-}" ] || {
  echo "PGSERVICEFILE is not set: run through ctest (fixture postgres)" >&2
  exit 1
}
state=$(dirname "$PGSERVICEFILE")
bindir=""
# shellcheck disable=SC1091
. "$state/server.env"
psql=("$bindir/psql" -X -A -t -q -v ON_ERROR_STOP=1 "service=lm_test")

work=$(mktemp -d "${TMPDIR:-/tmp}/lm-pg-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
schema="e2e_$$_$RANDOM"
failures=0

check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    echo "ok: $1"
  else
    echo "FAILED: $1: expected [$2], got [$3]" >&2
    failures=$((failures + 1))
  fi
}
contains() {  # contains DESCRIPTION NEEDLE HAYSTACK
  if [[ "$3" == *"$2"* ]]; then
    echo "ok: $1"
  else
    echo "FAILED: $1: [$2] not in:" >&2
    echo "$3" >&2
    failures=$((failures + 1))
  fi
}
sql() { "${psql[@]}" -c "$1"; }
table_exists() { sql "SELECT count(*) FROM pg_tables WHERE schemaname = '$schema' AND tablename = '$1'"; }
state_of() { sql "SELECT coalesce((SELECT state FROM \"$schema\".link_migration_records WHERE version = $1), 'none')"; }

write_config() {  # write_config FAIL_2 [CRASH_3 LOCK]
  local folders="\"$migrations\"" params="\"fail_2\": $1" lock=${3:-advisory}
  if [ $# -gt 1 ]; then
    folders+=", \"$crash\""
    params+=", \"crash_3\": $2"
  fi
  cat >"$work/conf.json" <<EOF
{
  "migrations": [$folders],
  "store": {"plugin": "postgres",
            "options": {"conninfo": "service=lm_test", "schema": "$schema", "lock": "$lock", "lease_seconds": 300}},
  "params": {"schema": "$schema", $params},
  "lock_timeout_ms": 20000
}
EOF
}
run() {  # run ARGS...: sets $output and $code
  set +e
  output=$("$runner" -c "$work/conf.json" "$@" 2>&1)
  code=$?
  set -e
  echo "\$ link-migration $* -> exit $code"
  echo "$output" | sed 's/^/    /'
}

write_config true
run up
check "up with a failing version 2 exits 1" 1 "$code"
contains "the failure names version 2" "create_prices" "$output"
check "version 1 is applied" applied "$(state_of 1)"
check "table items exists" 1 "$(table_exists items)"
check "version 2 failed and was rolled back" failed-rolled-back "$(state_of 2)"
check "table prices, created before the failure, is gone" 0 "$(table_exists prices)"
check "no applied record of version 2" 0 \
  "$(sql "SELECT count(*) FROM \"$schema\".link_migration_records WHERE version = 2 AND state = 'applied'")"
check "history: apply 1, fail 2" "apply:1 fail:2" \
  "$(sql "SELECT string_agg(kind || ':' || version, ' ' ORDER BY id) FROM \"$schema\".link_migration_events")"

run status
check "status exits 0" 0 "$code"
contains "status names the store" "postgres" "$output"
contains "status shows version 2 failed-rolled-back" "failed-rolled-back" "$output"

write_config false
run up
check "up retries version 2 and exits 0" 0 "$code"
check "version 2 is applied" applied "$(state_of 2)"
check "table prices exists" 1 "$(table_exists prices)"
check "its row is there" 250 "$(sql "SELECT cents FROM \"$schema\".prices")"
check "version 2 was attempted twice" 2 \
  "$(sql "SELECT attempts FROM \"$schema\".link_migration_records WHERE version = 2")"

run current
check "current exits 0" 0 "$code"
check "current version is 2" 2 "$(echo "$output" | tail -n 1)"

run down
check "down exits 0" 0 "$code"
check "table prices is gone" 0 "$(table_exists prices)"
check "table items is gone" 0 "$(table_exists items)"
check "no records remain" 0 "$(sql "SELECT count(*) FROM \"$schema\".link_migration_records")"
check "history ends with the two reverts" "revert:2 revert:1" \
  "$(sql "SELECT string_agg(kind || ':' || version, ' ' ORDER BY id) FROM (SELECT * FROM \"$schema\".link_migration_events ORDER BY id DESC LIMIT 2) e")"

run current
check "current version is 0 after down" 0 "$(echo "$output" | tail -n 1)"

for lock in advisory lease; do
  schema="e2e_crash_${lock}_$$_$RANDOM"
  write_config false true "$lock"
  start=$SECONDS
  run up
  check "$lock: up whose worker dies exits 10" 10 "$code"
  contains "$lock: the death is reported" "died" "$output"
  [ $((SECONDS - start)) -lt 60 ] || check "$lock: the supervisor got the lock in time" "<60 s" "$((SECONDS - start)) s"
  check "$lock: versions 1 and 2 are applied" "applied applied" "$(state_of 1) $(state_of 2)"
  check "$lock: version 3 is recorded failed-rolled-back" failed-rolled-back "$(state_of 3)"
  check "$lock: its table is gone with the dead transaction" 0 "$(table_exists stock)"
  contains "$lock: the history has its failure" "fail:3" \
    "$(sql "SELECT string_agg(kind || ':' || version, ' ' ORDER BY id) FROM \"$schema\".link_migration_events")"
  check "$lock: the failure record carries the worker's run id" 1 \
    "$(sql "SELECT count(DISTINCT run_id) FROM \"$schema\".link_migration_records")"
  if [ "$lock" = lease ]; then
    check "lease: the supervisor released the lease" 0 "$(sql "SELECT count(*) FROM \"$schema\".link_migration_lock")"
  fi

  write_config false false "$lock"
  run up
  check "$lock: the next up applies version 3" "0 applied 1" "$code $(state_of 3) $(table_exists stock)"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
