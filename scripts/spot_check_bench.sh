#!/usr/bin/env bash
# Spot-check queue of the demo township: recomputed (the organisation version bumped, so no kept
# verdict holds) against kept, in one run on the release build.
set -euo pipefail
BIN=${BIN:-target/release/zhucun-server}
D=/tmp/spotbench; rm -rf $D; mkdir -p $D
export ZHUCUN_DATA_DIR=$D ZHUCUN_LOG=warn
$BIN demo --no-serve > $D/demo.txt 2>&1
DB=$D/demo/zhucun.sqlite
export ZHUCUN_DATA_DIR=$D/demo
t0=$(date +%s.%N); $BIN verdicts rebuild > /dev/null 2>&1; t1=$(date +%s.%N)
echo "rebuild: $(echo "$t1 - $t0" | bc) s"
$BIN serve --bind 127.0.0.1:18080 > $D/serve.log 2>&1 &
PID=$!
for i in $(seq 1 50); do curl -s 127.0.0.1:18080/health >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s 127.0.0.1:18080/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"jiancha","password":"zhucun2026"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
q() { curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "127.0.0.1:18080/api/v1/spot-checks"; }
for round in 1 2 3; do
  python3 -c "import sqlite3; c=sqlite3.connect('$DB'); c.execute(\"UPDATE settings SET value = CAST(CAST(value AS INTEGER)+1 AS TEXT) WHERE key='org_version'\"); c.commit()"
  echo "round $round: recomputed $(q) s, kept $(q) s, kept $(q) s"
done
kill $PID; wait $PID 2>/dev/null || true
