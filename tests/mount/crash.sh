#!/usr/bin/env bash
# A crash of the daemon itself: SIGKILL while step 2 sleeps, detach the dead
# mount, and mount the same store again. The interrupted executions are
# marked incomplete, their processes are ended, a job with the resume
# plugin resumes at the interrupted step once fixed, and new ids continue
# after the old ones.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

write_input crash.yaml << 'EOF'
- name: crash
  group: cr
  options:
  - name: sleeper
    required: true
  - name: dir
    required: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - script: |
        #!/bin/sh
        echo ran >> "$RD_OPTION_DIR/crash.count"
        echo one
    - script: |
        #!/bin/sh
        "$RD_OPTION_SLEEPER" 60
    - exec: echo three
- name: bystander
  group: cr
  description: Runs without the resume plugin while the daemon dies
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - exec: '${option.sleeper} 60'
EOF
import_file "$FILES/crash.yaml" "$MNT/jobs" ||
  bail_out "cp crash.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"

step_two_running() {
  [[ $(read_file "$MNT/executions/$1/state" | jq -r '.steps[1].executionState' 2> /dev/null) == RUNNING ]]
}

start_run cr/crash "-sleeper $SLEEPER -dir $FILES"
crashed=$RUN_ID
start_run cr/bystander "-sleeper $SLEEPER"
bystander=$RUN_ID
if wait_until 10 step_two_running "$crashed"; then
  pass "the state shows step 2 RUNNING"
else
  flunk "the state shows step 2 RUNNING" RUNNING "$(tail_of "$MNT/executions/$crashed/state" 3)"
fi
wait_until 10 token_processes_at_least 2 ||
  note "expected two sleepers before the crash, found $(count_token_processes)"

# ---- the crash --------------------------------------------------------------------------

daemon=$(daemon_pid)
is_daemon_of "$daemon" "$STORE" ||
  bail_out "STORE/jobfs.pid names this test's daemon; it holds '$daemon' ($(command_line_of "$daemon"))"
kill -KILL "$daemon"
if daemon_gone_within "$daemon" "$STORE" 5; then
  pass "the daemon dies on SIGKILL"
else
  bail_out "the daemon $daemon dies within 5 s of SIGKILL; it still runs"
fi
timeout -k 2 10 fusermount3 -uz "$MNT" 2> /dev/null
if is_mounted "$MNT"; then
  bail_out "fusermount3 -uz detaches the dead mount; MNT is still mounted"
fi
note "after the crash the store says execution $crashed is '$(sql "SELECT status FROM executions WHERE id = $crashed")'"

# ---- the same store, mounted again --------------------------------------------------------

must mount_jobfs
if wait_until 5 status_is "$crashed" incomplete; then
  pass "the interrupted execution is incomplete after the restart"
else
  flunk "the interrupted execution is incomplete after the restart" incomplete "$(status_of "$crashed")"
fi
expect_equal "the execution without the resume plugin is incomplete too" incomplete "$(status_of "$bystander")"
expect_stored_status "$crashed" incomplete
expect_stored_status "$bystander" incomplete
expect_no_leftovers 10 "the restart"

expect_json "execution.json: status incomplete" "$MNT/executions/$crashed/execution.json" \
  '.status as $s | if $s == "other" then .customStatus else $s end' incomplete
expect_json "state: no longer running" "$MNT/executions/$crashed/state" .completed true
# The checkpoint before step 2 records step 1 as done, whenever the state
# file was last written before the crash.
expect_json "state: step 1, finished before the crash, is SUCCEEDED" "$MNT/executions/$crashed/state" \
  '.steps[0].executionState' SUCCEEDED
expect_json "state: the interrupted step 2 is no longer RUNNING" "$MNT/executions/$crashed/state" \
  '.steps[1].executionState | IN("RUNNING", "WAITING") | not' true
expect_json "state: step 3 is NOT_STARTED" "$MNT/executions/$crashed/state" \
  '.steps[2].executionState' NOT_STARTED
expect_contains "the log keeps the output from before the crash" "$MNT/executions/$crashed/log" one
expect_text "resume names the interrupted step" "$MNT/executions/$crashed/resume" "resumable at step 2 of 3"
expect_true "log storage keeps the resume state" "no $(stored "$crashed.resume.json")" \
  jq empty "$(stored "$crashed.resume.json")"
expect_resume_rejected_plain() {
  local before
  before=$(exec_ids)
  expect_rejected "resume of the interrupted execution without the plugin" EPERM \
    "$MNT/executions/$bystander/resume" 1
  expect_no_new_executions "the rejected resume starts nothing" "$before"
}
expect_resume_rejected_plain

# ---- fix step 2 and resume ------------------------------------------------------------------

write_input crash-fixed.yaml << 'EOF'
name: crash
group: cr
options:
- name: sleeper
  required: true
- name: dir
  required: true
plugins:
  ExecutionLifecycle:
    resume: {}
sequence:
  keepgoing: false
  strategy: sequential
  commands:
  - script: |
      #!/bin/sh
      echo ran >> "$RD_OPTION_DIR/crash.count"
      echo one
  - script: |
      #!/bin/sh
      echo step-two-fixed
  - exec: echo three
EOF
put_definition "$FILES/crash-fixed.yaml" cr/crash yaml ||
  bail_out "cp crash-fixed.yaml over jobs/cr/crash/job.yaml succeeds; it failed: $LAST_OUTPUT"
start_resume "$crashed"
resumed=$RUN_ID
expect_true "ids continue after the restart" "new id $resumed after $bystander" test "$resumed" -gt "$bystander"
expect_status "$resumed" succeeded
expect_equal "the resumed execution runs the fixed step 2 and step 3" "step-two-fixed
three" "$(step_output "$MNT/executions/$resumed/log")"
expect_equal "step 1 ran once in all" 1 "$(wc -l < "$FILES/crash.count")"
expect_link "the resumed execution links to the interrupted one" \
  "$MNT/executions/$resumed/resumed-from" "$MNT/executions/$crashed"
expect_equal "the interrupted execution stays incomplete" incomplete "$(status_of "$crashed")"

finish
