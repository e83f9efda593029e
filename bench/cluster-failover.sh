#!/usr/bin/env bash
# Repeats the Redis Cluster failover test (Runner.Tests/Cluster/ClusterFailoverTests.cs) and tabulates what happened
# to the jobs: three masters with one replica each on loopback, two workers, a producer adding 1,500 jobs, and a
# SIGKILL of the master holding {runner}:jobs after 400 of them. Every run starts a fresh cluster.
#
#   bash bench/cluster-failover.sh [runs] [--wait]      (default 5 runs)
# --wait: the producer sends WAIT 1 1000 after each XADD and re-adds the job until one replica has it; every master
# then has two replicas (with one, the promoted replica has none left and WAIT 1 never succeeds).
set -uo pipefail
cd "$(dirname "$0")/.."

runs=5
wait=0
for argument in "$@"; do
  case "$argument" in
    --wait) wait=1 ;;
    *) runs="$argument" ;;
  esac
done

dotnet build Runner.Tests -v q -nologo >/dev/null || { echo "cluster-failover: build failed"; exit 1; }
echo "| run | acknowledged before kill | run before kill | failover (s) | ran once | ran twice | lost | test |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
total_twice=0; total_lost=0; total_jobs=0
logs=$(mktemp -d -t cluster-failover-XXXXXX)
for run in $(seq 1 "$runs"); do
  output=$(RUNNER_FAILOVER_WAIT_REPLICAS=$wait dotnet test Runner.Tests --no-build --filter "TestCategory=ClusterFailover" \
    --logger "console;verbosity=normal" 2>&1)
  printf '%s\n' "$output" > "$logs/run-$run.log"
  line=$(grep -o 'failover: .*' <<<"$output" | head -n 1)
  verdict=$(grep -qE 'Test Run Successful|Passed!' <<<"$output" && echo passed || echo FAILED)
  if [ -z "$line" ]; then
    echo "| $run | - | - | - | - | - | - | $verdict (no report) |"
    continue
  fi
  before=$(sed -n 's/.*(\([0-9]*\) before the kill, \([0-9]*\) run by then).*/\1/p' <<<"$line")
  ran_before=$(sed -n 's/.*(\([0-9]*\) before the kill, \([0-9]*\) run by then).*/\2/p' <<<"$line")
  seconds=$(sed -n 's/.*took over in \([0-9.]*\) s.*/\1/p' <<<"$line")
  once=$(sed -n 's/.*ran once \([0-9]*\),.*/\1/p' <<<"$line")
  twice=$(sed -n 's/.*ran twice \([0-9]*\),.*/\1/p' <<<"$line")
  lost=$(sed -n 's/.*lost \([0-9]*\).*/\1/p' <<<"$line")
  jobs=$(sed -n 's/^failover: \([0-9]*\) jobs.*/\1/p' <<<"$line")
  total_twice=$((total_twice + twice)); total_lost=$((total_lost + lost)); total_jobs=$((total_jobs + jobs))
  echo "| $run | $before | $ran_before | $seconds | $once | $twice | $lost | $verdict |"
done
echo
echo "total over $runs runs (producer WAIT replicas: $wait): $total_jobs jobs acknowledged, $total_twice ran twice, $total_lost lost"
echo "test output of each run: $logs"
