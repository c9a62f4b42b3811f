#!/usr/bin/env bash
# Ending executions early: a kill through executions/ID/kill and a job
# timeout each end the step's whole process group, background children
# included, and leave no process behind. The steps run a copy of sleep
# under a name unique to this test, so leftovers can be found by name.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

write_input sleepers.yaml << 'EOF'
- name: slow
  group: tk
  description: Outlive a 2 s timeout, with a child in the background
  timeout: 2s
  options:
  - name: sleeper
    required: true
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - script: |
        #!/bin/sh
        echo sleepers-starting
        "$RD_OPTION_SLEEPER" 60 &
        "$RD_OPTION_SLEEPER" 60
        echo after-sleep
    - exec: echo second-step
- name: steps
  group: tk
  description: Three 1 s steps under a 2 s timeout for the whole job
  timeout: 2s
  options:
  - name: sleeper
    required: true
  sequence:
    keepgoing: true
    strategy: sequential
    commands:
    - exec: '${option.sleeper} 1'
    - exec: '${option.sleeper} 1'
    - exec: echo third-step
- name: hold
  group: tk
  description: Sleep until killed, with a child in the background
  options:
  - name: sleeper
    required: true
  sequence:
    keepgoing: true
    strategy: sequential
    commands:
    - script: |
        #!/bin/sh
        echo sleepers-starting
        "$RD_OPTION_SLEEPER" 60 &
        "$RD_OPTION_SLEEPER" 60
    - exec: echo after-kill
- name: stubborn
  group: tk
  description: Ignore SIGTERM, so that only SIGKILL ends the step
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - script: |
        #!/bin/sh
        trap '' TERM
        echo stubborn-starting
        "$RD_OPTION_SLEEPER" 60 &
        "$RD_OPTION_SLEEPER" 60
- name: inner
  group: tk
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - exec: 'echo inner-starting'
    - exec: '${option.sleeper} 60'
- name: outer
  group: tk
  description: Run tk/inner through a job reference
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - jobref:
        group: tk
        name: inner
        args: '-sleeper ${option.sleeper}'
EOF
import_file "$FILES/sleepers.yaml" "$MNT/jobs" ||
  bail_out "cp sleepers.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"

# Print the milliseconds execution ID ran, from its execution.json.
run_time_ms() {
  read_file "$MNT/executions/$1/execution.json" |
    jq -r '.["date-ended"].unixtime - .["date-started"].unixtime' 2>&1
}

# Succeed once the log of execution ID shows TEXT and at least COUNT
# processes carry the token.
step_is_sleeping() {
  file_has "$MNT/executions/$1/log" "$2" && (($(count_token_processes) >= $3))
}

# ---- timeout ---------------------------------------------------------------------------

start_run tk/slow "-sleeper $SLEEPER"
slow=$RUN_ID
expect_status "$slow" timedout 15
expect_no_leftovers 5 "the timeout"
elapsed=$(run_time_ms "$slow")
expect_true "the timeout does not fire before 2 s" "ran ${elapsed} ms" test "${elapsed:-0}" -ge 1900
expect_true "the timeout fires within 8 s" "ran ${elapsed} ms" test "${elapsed:-99999}" -lt 8000
expect_lacks "the step ended by the timeout printed nothing more" "$MNT/executions/$slow/log" after-sleep
expect_lacks "no step runs after the timeout" "$MNT/executions/$slow/log" second-step
expect_stored_status "$slow" timedout
expect_json "execution.json: status timedout" "$MNT/executions/$slow/execution.json" .status timedout
expect_json "state: completed after the timeout" "$MNT/executions/$slow/state" .completed true
expect_json "state: the execution did not succeed" "$MNT/executions/$slow/state" \
  '.executionState | IN("FAILED", "ABORTED")' true

start_run tk/steps "-sleeper $SLEEPER"
expect_status "$RUN_ID" timedout 15
expect_lacks "the job timeout covers all steps, even under keepgoing" "$MNT/executions/$RUN_ID/log" \
  third-step
expect_no_leftovers 5 "the timeout of a multi-step job"

# ---- kill --------------------------------------------------------------------------------

start_run tk/hold "-sleeper $SLEEPER"
hold=$RUN_ID
if wait_until 10 step_is_sleeping "$hold" sleepers-starting 2; then
  pass "both sleepers of execution $hold run"
else
  flunk "both sleepers of execution $hold run" "2 processes running $TOKEN" \
    "$(count_token_processes); status $(status_of "$hold")"
fi
if write_control "$MNT/executions/$hold/kill" 1; then
  pass "writing 1 to kill succeeds"
else
  flunk "writing 1 to kill succeeds" "exit status 0" "$LAST_OUTPUT"
fi
expect_status "$hold" aborted 15
expect_no_leftovers 5 "the kill"
expect_lacks "under keepgoing a kill still stops the workflow" "$MNT/executions/$hold/log" after-kill
expect_stored_status "$hold" aborted
expect_json "execution.json: status aborted" "$MNT/executions/$hold/execution.json" .status aborted
expect_json "state: ABORTED" "$MNT/executions/$hold/state" .executionState ABORTED
expect_json "state: the killed step is ABORTED and the next NOT_STARTED" "$MNT/executions/$hold/state" \
  '[.steps[].executionState] | join(" ")' "ABORTED NOT_STARTED"

# A step that ignores SIGTERM ends all the same. An empty line is a kill too.
start_run tk/stubborn "-sleeper $SLEEPER"
stubborn=$RUN_ID
wait_until 10 step_is_sleeping "$stubborn" stubborn-starting 2 ||
  note "the stubborn sleepers did not all start: $(count_token_processes) found"
if write_control "$MNT/executions/$stubborn/kill" ""; then
  pass "writing an empty line to kill succeeds"
else
  flunk "writing an empty line to kill succeeds" "exit status 0" "$LAST_OUTPUT"
fi
expect_status "$stubborn" aborted 20
expect_no_leftovers 10 "the kill of a step that ignores SIGTERM"

# Killing a parent ends the referenced job's execution and its process.
start_run tk/outer "-sleeper $SLEEPER"
outer=$RUN_ID
wait_until 10 step_is_sleeping "$outer" inner-starting 1 ||
  note "the inner sleeper did not start: $(count_token_processes) found"
inner=$(link_id "$MNT/jobs/tk/inner/last")
must write_control "$MNT/executions/$outer/kill" 1
expect_status "$outer" aborted 15
if [[ -n $inner ]]; then
  wait_final "$inner" 15
  expect_true "the referenced job's execution ends when its parent is killed" \
    "status '$FINAL_STATUS'" test -n "$FINAL_STATUS"
  expect_not_equal "the referenced job's execution does not succeed" succeeded "$FINAL_STATUS"
else
  flunk "the referenced job lists its execution" "jobs/tk/inner/last" "no link"
fi
expect_no_leftovers 5 "the kill of a parent job"

finish
