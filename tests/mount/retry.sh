#!/usr/bin/env bash
# Job retries: a failed attempt ends failed-with-retry, the retry waits
# for its delay (scheduled), links back with retry-of, reads
# ${job.retryAttempt} and the same option values, and the chain ends after
# the last attempt. A killed execution is not retried, but a timed-out one is.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

write_input retry.yaml << 'EOF'
- name: flaky
  group: rt
  description: Fail on the first attempt, succeed on the retry
  retry:
    retry: '2'
    delay: 2s
  options:
  - name: who
    value: nobody
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: 'echo attempt=${job.retryAttempt} who=${option.who}'
    - exec: 'test ${job.retryAttempt} -ge 1'
- name: always
  group: rt
  description: Fail on every attempt
  retry: {retry: '2', delay: 0s}
  sequence:
    commands:
    - exec: 'echo try=${job.retryAttempt}'
    - exec: 'false'
- name: hold
  group: rt
  description: Sleep until killed; a kill must not be retried
  retry: {retry: '2', delay: 0s}
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - exec: echo holding
    - exec: '${option.sleeper} 60'
- name: slow
  group: rt
  description: Time out on the first attempt only
  timeout: 1s
  retry: {retry: '1', delay: 0s}
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - exec: 'echo attempt=${job.retryAttempt}'
    - script: |
        #!/bin/sh
        [ "$RD_JOB_RETRYATTEMPT" -ge 1 ] || "$RD_OPTION_SLEEPER" 30
EOF
import_file "$FILES/retry.yaml" "$MNT/jobs" ||
  bail_out "cp retry.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"

# Print the ids of the executions of JOBPATH other than FIRST.
others_of() {
  local id
  for id in $(job_exec_ids "$1"); do
    [[ $id != "$2" ]] && printf '%s ' "$id"
  done
  return 0
}

has_other_execution() {
  [[ -n $(others_of "$1" "$2") ]]
}

# Print the time in ms when execution ID started (KEY date-started) or
# ended (date-ended), from its execution.json.
exec_time_ms() {
  read_file "$MNT/executions/$1/execution.json" | jq -r ".[\"$2\"].unixtime" 2>&1
}

# ---- a retry after a failure ------------------------------------------------------------

start_run rt/flaky "-who ops-team"
first=$RUN_ID
expect_status "$first" failed-with-retry 15
expect_stored_status "$first" failed-with-retry
expect_json "execution.json: status failed-with-retry" "$MNT/executions/$first/execution.json" \
  .status failed-with-retry

if wait_until 5 has_other_execution rt/flaky "$first"; then
  retry=$(others_of rt/flaky "$first")
  retry=${retry%% *}
  pass "a retry of execution $first appears (execution $retry)"
else
  bail_out "a retry of execution $first appears within 5 s; jobs/rt/flaky/executions holds $(job_exec_ids rt/flaky)"
fi
status=$(status_of "$retry")
expect_true "the retry waits for its delay as scheduled" "status '$status'" \
  test "$status" = scheduled -o "$status" = running
expect_link "retry-of points to the failed attempt" "$MNT/executions/$retry/retry-of" \
  "$MNT/executions/$first"
expect_status "$retry" succeeded 15
expect_equal "the retry sees job.retryAttempt 1 and the same option values" \
  "attempt=1 who=ops-team" "$(step_output "$MNT/executions/$retry/log")"
expect_contains "the first attempt saw job.retryAttempt 0" "$MNT/executions/$first/log" "attempt=0 who=ops-team"
retry_started=$(exec_time_ms "$retry" date-started)
first_ended=$(exec_time_ms "$first" date-ended)
if [[ $retry_started =~ ^[0-9]+$ && $first_ended =~ ^[0-9]+$ ]]; then
  delay=$((retry_started - first_ended))
  expect_true "the retry starts after the 2 s delay" "it started ${delay} ms after the failure" \
    test "$delay" -ge 1900
  expect_true "the retry starts within 6 s of the failure" "it started ${delay} ms after the failure" \
    test "$delay" -lt 6000
else
  flunk "execution.json gives the failure's end and the retry's start" "two times in ms" \
    "ended '$first_ended', started '$retry_started'"
fi
expect_equal "the store links the retry to the failed attempt" "$first" \
  "$(sql "SELECT retry_of FROM executions WHERE id = $retry")"
expect_json "execution.json of the retry: retryAttempt 1" "$MNT/executions/$retry/execution.json" \
  .retryAttempt 1
expect_json "execution.json of the failed attempt names its retry" "$MNT/executions/$first/execution.json" \
  .retriedExecution.id "$retry"
expect_equal "one retry was enough" 2 "$(job_exec_ids rt/flaky | wc -w)"
expect_equal "the first attempt keeps its status" failed-with-retry "$(status_of "$first")"

# ---- every attempt fails -----------------------------------------------------------------

start_run rt/always
chain_start=$RUN_ID
# Succeed once rt/always has three executions and the last has ended.
chain_done() {
  local -a ids
  read -r -a ids <<< "$(job_exec_ids rt/always)"
  ((${#ids[@]} >= 3)) && is_final "${ids[-1]}"
}
wait_until 20 chain_done
read -r -a chain <<< "$(job_exec_ids rt/always)"
expect_equal "retry 2 gives three attempts in all" 3 "${#chain[@]}"
if ((${#chain[@]} == 3)); then
  expect_equal "the chain starts with the execution started by run" "$chain_start" "${chain[0]}"
  expect_equal "attempt statuses" "failed-with-retry failed-with-retry failed" \
    "$(status_of "${chain[0]}") $(status_of "${chain[1]}") $(status_of "${chain[2]}")"
  expect_contains "attempt 2 sees job.retryAttempt 2" "$MNT/executions/${chain[2]}/log" try=2
  expect_link "attempt 2 is a retry of attempt 1" "$MNT/executions/${chain[2]}/retry-of" \
    "$MNT/executions/${chain[1]}"
  expect_link "attempt 1 is a retry of the first" "$MNT/executions/${chain[1]}/retry-of" \
    "$MNT/executions/${chain[0]}"
  expect_absent "the first execution is no retry" "$MNT/executions/${chain[0]}/retry-of"
fi

# ---- a killed execution is not retried ------------------------------------------------------

start_run rt/hold "-sleeper $SLEEPER"
hold=$RUN_ID
wait_until 10 token_processes_at_least 1 ||
  note "the sleeper of execution $hold did not start"
must write_control "$MNT/executions/$hold/kill" 1
expect_status "$hold" aborted 15
sleep 2
expect_equal "no retry follows a kill" "$hold" "$(job_exec_ids rt/hold | tr -d ' ')"
expect_no_leftovers 5 "the kill"

# ---- a timed-out execution is retried ---------------------------------------------------------

start_run rt/slow "-sleeper $SLEEPER"
slow=$RUN_ID
wait_final "$slow" 15
expect_true "a timed-out attempt with retries left ends as failed-with-retry or timedout" \
  "status '$FINAL_STATUS'" test "$FINAL_STATUS" = failed-with-retry -o "$FINAL_STATUS" = timedout
if wait_until 5 has_other_execution rt/slow "$slow"; then
  slow_retry=$(others_of rt/slow "$slow")
  slow_retry=${slow_retry%% *}
  pass "a retry follows a timeout"
  expect_status "$slow_retry" succeeded 15
else
  flunk "a retry follows a timeout" "a second execution of rt/slow" "$(job_exec_ids rt/slow)"
fi
expect_no_leftovers 5 "the timeout"

finish
