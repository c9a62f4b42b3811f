#!/usr/bin/env bash
# Starting executions through jobs/GROUP/NAME/run and reading what they
# left: the id read back on the same descriptor, the three request forms,
# rejected requests, the execution's files and links, log storage files
# (the .rdlog format) and the store's rows.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount

write_input run-jobs.yaml << 'EOF'
- name: greet
  group: run
  description: Print the options, a stderr line and a marker
  options:
  - name: greeting
    value: hello
  - name: name
    value: world
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: 'echo ${option.greeting} ${option.name}'
    - script: |
        #!/bin/sh
        echo 'cost 5^2 and a back\slash'
        echo warn-line >&2
    - exec: echo done
- name: gate
  group: run
  description: Wait until the file "go" exists in dir
  options:
  - name: dir
    required: true
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo waiting
    - script: |
        #!/bin/sh
        i=0
        while [ ! -e "$RD_OPTION_DIR/go" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        test -e "$RD_OPTION_DIR/go"
    - exec: echo released
- name: fails
  group: run
  description: Fail at step 2 with exit code 7
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo before
    - exec: "sh -c 'exit 7'"
    - exec: echo never
- name: quick
  group: run
  sequence:
    commands:
    - exec: 'echo quick ${job.execid}'
EOF
import_file "$FILES/run-jobs.yaml" "$MNT/jobs" ||
  bail_out "cp run-jobs.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"

job=$MNT/jobs/run/greet
job_uuid=$(sql "SELECT uuid FROM jobs WHERE grp = 'run' AND name = 'greet'")

# ---- the run file -----------------------------------------------------------------

mode=$(stat -c %a "$job/run")
expect_match "run is writable by its owner only" '^[0-7][0145][0145]$' "$mode"

# ---- a run with the defaults, and everything it leaves ----------------------------------

start_run run/greet 1
id=$RUN_ID
expect_match "the read after the write returns a numeric id" '^[1-9][0-9]*$' "$id"
expect_status "$id" succeeded
execution=$MNT/executions/$id

expect_text "status is one word and a newline" "$execution/status" succeeded
expect_equal "status holds exactly one line" 1 "$(read_file "$execution/status" | wc -l)"
expect_text "log holds the output lines in order, without prefixes" "$execution/log" \
  "hello world
cost 5^2 and a back\\slash
warn-line
done"

expect_json "state: the execution succeeded" "$execution/state" .executionState SUCCEEDED
expect_json "state: completed" "$execution/state" .completed true
expect_json "state: the execution id" "$execution/state" .executionId "$id"
expect_json "state: three steps" "$execution/state" '.steps | length' 3
expect_json "state: stepCount" "$execution/state" .stepCount 3
expect_json "state: each step succeeded" "$execution/state" \
  '[.steps[].executionState] | join(" ")' "SUCCEEDED SUCCEEDED SUCCEEDED"
expect_json "state: the local node ran step 1" "$execution/state" \
  '.steps[0].nodeStates | keys | length' 1

expect_json "execution.json: id" "$execution/execution.json" .id "$id"
expect_json "execution.json: status in lower case" "$execution/execution.json" .status succeeded
expect_json "execution.json: job name" "$execution/execution.json" .job.name greet
expect_json "execution.json: job group" "$execution/execution.json" .job.group run
expect_json "execution.json: job id is the uuid" "$execution/execution.json" .job.id "$job_uuid"
expect_json "execution.json: an end date" "$execution/execution.json" \
  '.["date-ended"].unixtime >= .["date-started"].unixtime' true

expect_link "executions/ID/job points to the job folder" "$execution/job" "$job"
expect_link "the job's last points to the execution" "$job/last" "$execution"
expect_link "the job's executions/ID points to the execution" "$job/executions/$id" "$execution"

# The store and log storage.
expect_stored_status "$id" succeeded
expect_equal "the store's row names the job's uuid" "$job_uuid" \
  "$(sql "SELECT job_uuid FROM executions WHERE id = $id")"
for name in "$id.rdlog" "$id.log" "$id.state.json"; do
  expect_true "log storage holds $name" "no $(stored "$name")" test -s "$(stored "$name")"
done
expect_equal "ID.log in log storage is the log the mount shows" \
  "$(read_file "$execution/log")" "$(cat "$(stored "$id.log")" 2> /dev/null)"
expect_equal "ID.state.json in log storage is the state the mount shows" \
  "$(read_file "$execution/state" | jq -S . 2>&1)" "$(jq -S . "$(stored "$id.state.json")" 2>&1)"

rdlog=$(stored "$id.rdlog")
expect_equal "the rdlog starts with the format line" '^text/x-rundeck-log-v2.0^' \
  "$(head -n 1 "$rdlog")"
expect_equal "the rdlog ends with ^END^" '^END^' "$(tail -n 1 "$rdlog")"
stamp='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
expect_match "an output line is an event with no type, no level and step 1 metadata" \
  "^\\^${stamp}\\|\\|\\|\\{[^}]*step=1\\|stepctx=1[^}]*\\}\\|hello world\\^\$" \
  "$(grep -F 'hello world' "$rdlog")"
expect_match "a stderr line has the level ERROR" \
  "^\\^${stamp}\\|\\|ERROR\\|\\{[^}]*step=2[^}]*\\}\\|warn-line\\^\$" \
  "$(grep -F 'warn-line' "$rdlog")"
expect_equal "^ and \\ in a message are escaped with a backslash" 1 \
  "$(grep -cF '|cost 5\^2 and a back\\slash^' "$rdlog")"
expect_equal "the rdlog has a stepbegin event per step" 3 "$(grep -c '^\^[^|]*|stepbegin|' "$rdlog")"
expect_equal "the rdlog has a stepend event per step" 3 "$(grep -c '^\^[^|]*|stepend|' "$rdlog")"
expect_equal "every rdlog event line starts and ends with ^" 0 \
  "$(grep -vc '^\^.*\^$' "$rdlog")"

# ---- request forms ------------------------------------------------------------------

previous=$id
start_run run/greet ""
expect_true "an empty line starts a new execution with a larger id" "id $RUN_ID after $previous" \
  test "$RUN_ID" -gt "$previous"
expect_status "$RUN_ID" succeeded
expect_contains "an empty line uses the defaults" "$MNT/executions/$RUN_ID/log" "hello world"

previous=$RUN_ID
start_run run/greet '-greeting hi -name "two words"'
expect_true "an argstring starts a new execution with a larger id" "id $RUN_ID after $previous" \
  test "$RUN_ID" -gt "$previous"
expect_status "$RUN_ID" succeeded
expect_contains "an argstring sets the options, with a quoted value kept whole" \
  "$MNT/executions/$RUN_ID/log" "hi two words"
expect_json "execution.json shows the requested option values" "$MNT/executions/$RUN_ID/execution.json" \
  '.job.options.name' "two words"

start_run run/greet '{"name": "json world", "greeting": "hey"}'
expect_status "$RUN_ID" succeeded
expect_contains "a JSON object sets the options" "$MNT/executions/$RUN_ID/log" "hey json world"

start_run run/greet '{"name": "half"}'
expect_status "$RUN_ID" succeeded
expect_contains "a JSON object may leave options to their defaults" "$MNT/executions/$RUN_ID/log" \
  "hello half"
expect_link "last follows the newest execution" "$job/last" "$MNT/executions/$RUN_ID"

# ---- rejected requests start nothing ---------------------------------------------------

before=$(exec_ids)
rows_before=$(sql "SELECT count(*) FROM executions")
expect_rejected "a truncated JSON request is rejected" EINVAL "$job/run" '{"name":'
expect_rejected "an unknown option is rejected" EINVAL "$job/run" '-colour red'
expect_contains "the job's .error names the unknown option" "$job/.error" colour
expect_rejected "a JSON value that is an object is rejected" EINVAL "$job/run" '{"name": {"first": "a"}}'
expect_rejected "a JSON array as the request is rejected" EINVAL "$job/run" '["hello"]'
expect_rejected "a required option left out is rejected" EINVAL "$MNT/jobs/run/gate/run" 1
expect_contains "the job's .error names the required option" "$MNT/jobs/run/gate/.error" dir
expect_no_new_executions "rejected requests add nothing to executions/" "$before"
expect_equal "rejected requests add no row to the store" "$rows_before" \
  "$(sql "SELECT count(*) FROM executions")"

# ---- a running execution --------------------------------------------------------------

start_run run/gate "-dir $FILES"
gate=$RUN_ID
wait_until 10 file_has "$MNT/executions/$gate/log" waiting
expect_equal "status reads running while a step runs" running "$(status_of "$gate")"
expect_stored_status "$gate" running
expect_json "state: RUNNING while a step runs" "$MNT/executions/$gate/state" .executionState RUNNING
expect_json "state: completed is false while running" "$MNT/executions/$gate/state" .completed false
expect_json "execution.json: status running" "$MNT/executions/$gate/execution.json" .status running
expect_contains "the log shows the first step's output while running" "$MNT/executions/$gate/log" waiting
expect_link "last points to the running execution" "$MNT/jobs/run/gate/last" "$MNT/executions/$gate"
touch "$FILES/go"
expect_status "$gate" succeeded
expect_text "the log of the released execution" "$MNT/executions/$gate/log" "waiting
released"
expect_stored_status "$gate" succeeded

# ---- a failed execution ------------------------------------------------------------------

start_run run/fails
failed=$RUN_ID
expect_status "$failed" failed
expect_stored_status "$failed" failed
expect_text "the failed execution's log stops at the failed step, with jobfs's note" \
  "$MNT/executions/$failed/log" "before
[jobfs] step 2 failed: Result code was 7"
expect_json "state: FAILED" "$MNT/executions/$failed/state" .executionState FAILED
expect_json "state: step states after a failure" "$MNT/executions/$failed/state" \
  '[.steps[].executionState] | join(" ")' "SUCCEEDED FAILED NOT_STARTED"
expect_json "state: the failed step's result code" "$MNT/executions/$failed/state" \
  '.steps[1].meta.resultCode // .steps[1].nodeStates.localhost.meta.resultCode' 7
expect_json "execution.json: status failed" "$MNT/executions/$failed/execution.json" .status failed

# ---- concurrent runs ----------------------------------------------------------------------

# Ten writers at once each get their own id back.
for n in $(seq 1 10); do
  in_background bash -c '
    exec 3<> "$1" || exit 1
    echo 1 >&3 || exit 1
    IFS= read -r id <&3
    printf "%s\n" "$id" > "$2"' concurrent "$MNT/jobs/run/quick/run" "$FILES/concurrent.$n"
done
# Succeed once every writer has stored the id it read back.
all_ids_read() {
  [[ $(cat "$FILES"/concurrent.* 2> /dev/null | grep -c '^[0-9][0-9]*$') -eq 10 ]]
}
wait_until 20 all_ids_read
mapfile -t ids < <(cat "$FILES"/concurrent.* 2> /dev/null | grep '^[0-9][0-9]*$' | sort -n)
expect_equal "ten concurrent writers each read an id back" 10 "${#ids[@]}"
expect_equal "the ten ids are distinct" 10 "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)"
all_good=1
for cid in "${ids[@]}"; do
  wait_final "$cid" 20
  if [[ $FINAL_STATUS != succeeded ]] ||
    [[ $(read_file "$MNT/executions/$cid/log") != "quick $cid" ]]; then
    all_good=0
    flunk "concurrent execution $cid succeeds and logs its own id" "succeeded, 'quick $cid'" \
      "$FINAL_STATUS, '$(read_file "$MNT/executions/$cid/log")'"
  fi
done
((all_good)) && pass "each concurrent execution succeeded and logged its own id"
expect_equal "the job lists all ten executions" 10 "$(job_exec_ids run/quick | wc -w)"

# ---- a job deleted while its run file is open ---------------------------------------------

output=$(timeout -k 2 10 bash -c '
  exec 3<> "$1" || exit 3
  rmdir "$2" || exit 4
  echo 1 >&3' deleted "$MNT/jobs/run/quick/run" "$MNT/jobs/run/quick" 2>&1)
status=$?
if ((status == 0 || status == 3 || status == 4)); then
  flunk "a run of a job deleted while run was open fails" "the write fails with ENOENT" \
    "exit status $status: $output"
else
  LAST_OUTPUT=$output
  expect_errno "a run of a deleted job fails with ENOENT" ENOENT
fi

finish
