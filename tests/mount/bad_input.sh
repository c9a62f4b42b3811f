#!/usr/bin/env bash
# Bad input of every kind is rejected by the write itself, with an errno
# and a reason in the folder's .error file. A rejected write changes
# nothing: no job from a bad file, no execution from a bad request, no
# change to a definition or to an execution. The daemon keeps serving
# afterwards.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

# Copy FILE into jobs/ and check that cp fails with EINVAL, that no job
# folder appears, and that jobs/.error contains HINT.
expect_import_rejected() {
  local what=$1 file=$2 hint=$3 before
  before=$(sql "SELECT count(*) FROM jobs")
  if import_file "$file" "$MNT/jobs"; then
    flunk "$what: cp into jobs/ fails" "a failed cp" "cp succeeded"
  else
    pass "$what: cp into jobs/ fails"
    expect_errno "$what: cp reports EINVAL" EINVAL
  fi
  expect_equal "$what: no job is added to the store" "$before" "$(sql "SELECT count(*) FROM jobs")"
  expect_equal "$what: jobs/ lists no new entry" "$JOBS_LISTING" \
    "$(timeout -k 2 10 ls -A "$MNT/jobs" | tr '\n' ' ')"
  expect_contains "$what: jobs/.error gives the reason" "$MNT/jobs/.error" "$hint"
}

JOBS_LISTING=$(timeout -k 2 10 ls -A "$MNT/jobs" | tr '\n' ' ')

# ---- files that hold no valid job ------------------------------------------------------------

write_input broken.yaml << 'EOF'
- name: broken
  group: bad
  sequence:
    commands: [
      {exec: echo broken}
EOF
expect_import_rejected "YAML with an unclosed flow sequence" "$FILES/broken.yaml" broken.yaml

write_input nameless.yaml << 'EOF'
- group: bad
  description: No name
  sequence:
    commands:
    - exec: echo nameless
EOF
expect_import_rejected "a job without a name" "$FILES/nameless.yaml" name

write_input odd-step.yaml << 'EOF'
- name: odd-step
  group: bad
  sequence:
    commands:
    - frobnicate: now
EOF
expect_import_rejected "a step of no known kind" "$FILES/odd-step.yaml" frobnicate

write_input no-steps.yaml << 'EOF'
- name: no-steps
  group: bad
  sequence:
    commands: []
EOF
expect_import_rejected "a job without steps" "$FILES/no-steps.yaml" commands

write_input bad-regex.yaml << 'EOF'
- name: bad-regex
  group: bad
  options:
  - name: code
    regex: '[unclosed'
  sequence:
    commands:
    - exec: 'true'
EOF
expect_import_rejected "an option with an invalid regex" "$FILES/bad-regex.yaml" regex

: > "$FILES/empty.yaml"
expect_import_rejected "an empty file" "$FILES/empty.yaml" empty.yaml

printf 'just a sentence\n' > "$FILES/scalar.yaml"
expect_import_rejected "a YAML scalar" "$FILES/scalar.yaml" scalar.yaml

printf '[{"name": "cut", "sequence": {"commands": [{"exec": "true"}' > "$FILES/truncated.json"
expect_import_rejected "truncated JSON" "$FILES/truncated.json" truncated.json

head -c 4096 /dev/urandom > "$FILES/noise.json"
expect_import_rejected "random bytes named .json" "$FILES/noise.json" noise.json

printf '<joblist><job><name>unclosed</name>' > "$FILES/unclosed.xml"
expect_import_rejected "XML without its closing tags" "$FILES/unclosed.xml" unclosed.xml

printf -- '- name: text\n  sequence:\n    commands:\n    - exec: "true"\n' > "$FILES/x.txt"
expect_import_rejected "a valid job in a file named x.txt" "$FILES/x.txt" x.txt

# ---- the namespace is not a plain folder ---------------------------------------------------------

output=$(timeout -k 2 10 mkdir -- "$MNT/jobs/newgroup" 2>&1)
status=$?
expect_true "mkdir in jobs/ fails" "exit status $status" test "$status" -ne 0
if [[ $output == *"Function not implemented"* ]]; then
  flunk "mkdir in jobs/ is rejected, not unimplemented" "EACCES or EPERM" "$output"
else
  pass "mkdir in jobs/ is rejected, not unimplemented"
fi
output=$(timeout -k 2 10 cat -- "$MNT/executions/987654/status" 2>&1)
expect_match "an unknown execution id does not exist" 'No such file or directory' "$output"
output=$(timeout -k 2 10 ls -- "$MNT/executions/abc" 2>&1)
expect_match "a name that is no id does not exist in executions/" 'No such file or directory' "$output"

# ---- a good job, bad requests ----------------------------------------------------------------------

write_input good.yaml << 'EOF'
- name: good
  group: ok
  options:
  - name: who
    value: world
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: 'echo hi ${option.who}'
- name: hold
  group: ok
  options:
  - name: sleeper
    required: true
  sequence:
    commands:
    - exec: '${option.sleeper} 60'
- name: failing
  group: ok
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo start
    - exec: 'false'
EOF
import_file "$FILES/good.yaml" "$MNT/jobs" || bail_out "cp good.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"
job=$MNT/jobs/ok/good

before=$(exec_ids)
expect_rejected "a truncated JSON request" EINVAL "$job/run" '{"who":'
expect_match "the job's .error gives the JSON problem" 'JSON|json' "$(read_file "$job/.error")"
expect_rejected "a request with an unknown option" EINVAL "$job/run" "-nosuchoption 1"
expect_contains "the job's .error names the unknown option" "$job/.error" nosuchoption
expect_rejected "an argstring with an unclosed quote" EINVAL "$job/run" "-who 'open"
expect_rejected "an argstring word without a dash" EINVAL "$job/run" "who world"
output=$(timeout -k 2 10 bash -c 'printf "1\0x\n" > "$1"' nul "$job/run" 2>&1)
status=$?
expect_true "a request with a NUL byte is rejected" "exit status $status" test "$status" -ne 0
LAST_OUTPUT=$output
expect_errno "a request with a NUL byte fails with EINVAL" EINVAL
LAST_OUTPUT=$(head -c 200000 /dev/zero | tr '\0' a | timeout -k 2 10 bash -c 'cat > "$1"' big "$job/run" 2>&1)
expect_errno "a 200 kB request of one word fails with EINVAL" EINVAL
expect_no_new_executions "no bad request started an execution" "$before"

# ---- bad definitions written over job.yaml --------------------------------------------------------

definition=$(read_file "$job/job.yaml")
if put_definition "$FILES/broken.yaml" ok/good yaml; then
  flunk "invalid YAML over job.yaml fails" "a failed cp" "cp succeeded"
else
  pass "invalid YAML over job.yaml fails"
  expect_errno "invalid YAML over job.yaml fails with EINVAL" EINVAL
fi
expect_equal "job.yaml is unchanged after a rejected write" "$definition" "$(read_file "$job/job.yaml")"
expect_true "the job's .error explains the rejected definition" "it is empty" \
  test -n "$(read_file "$job/.error")"
if put_definition "$FILES/nameless.yaml" ok/good yaml; then
  flunk "a definition without a name over job.yaml fails" "a failed cp" "cp succeeded"
else
  pass "a definition without a name over job.yaml fails"
fi
printf '{"name": "good", "group": "ok", "sequence": ' > "$FILES/cut.json"
if put_definition "$FILES/cut.json" ok/good json; then
  flunk "truncated JSON over job.json fails" "a failed cp" "cp succeeded"
else
  pass "truncated JSON over job.json fails"
fi
expect_equal "job.yaml is unchanged after the rejected writes" "$definition" "$(read_file "$job/job.yaml")"

# ---- files that are not control files ----------------------------------------------------------

start_run ok/good
done_id=$RUN_ID
expect_status "$done_id" succeeded
output=$(timeout -k 2 10 bash -c 'echo x > "$1"' status "$MNT/executions/$done_id/status" 2>&1)
status=$?
expect_true "writing to status fails" "exit status $status: $output" test "$status" -ne 0
expect_text "status is unchanged after a write attempt" "$MNT/executions/$done_id/status" succeeded
output=$(timeout -k 2 10 bash -c 'echo x >> "$1"' log "$MNT/executions/$done_id/log" 2>&1)
status=$?
expect_true "appending to log fails" "exit status $status: $output" test "$status" -ne 0
expect_text "log is unchanged after a write attempt" "$MNT/executions/$done_id/log" "hi world"
output=$(timeout -k 2 10 rm -f -- "$MNT/executions/$done_id/log" 2>&1)
status=$?
expect_true "removing log fails" "exit status $status" test "$status" -ne 0

# ---- kill and resume with bad input -------------------------------------------------------------

expect_rejected "kill of a finished execution" EPERM "$MNT/executions/$done_id/kill" 1
expect_match "executions/ID/.error says the execution already ended" 'ended|finished|not running' \
  "$(read_file "$MNT/executions/$done_id/.error")"
expect_equal "a rejected kill leaves the status" succeeded "$(status_of "$done_id")"

start_run ok/hold "-sleeper $SLEEPER"
hold=$RUN_ID
wait_until 10 status_is "$hold" running
expect_rejected "garbage written to kill" EINVAL "$MNT/executions/$hold/kill" "please stop"
expect_true "executions/ID/.error explains what kill accepts" "it is empty" \
  test -n "$(read_file "$MNT/executions/$hold/.error")"
sleep 0.5
expect_equal "the execution keeps running after a rejected kill" running "$(status_of "$hold")"
must write_control "$MNT/executions/$hold/kill" 1
expect_status "$hold" aborted 15
expect_no_leftovers 5 "the kill"

start_run ok/failing
failing=$RUN_ID
expect_status "$failing" failed
before=$(exec_ids)
expect_rejected "garbage written to resume" EINVAL "$MNT/executions/$failing/resume" "go on please"
expect_rejected "truncated JSON written to resume" EINVAL "$MNT/executions/$failing/resume" '{"who":'
expect_no_new_executions "rejected resume requests start nothing" "$before"
expect_text "the failed execution is still resumable" "$MNT/executions/$failing/resume" \
  "resumable at step 2 of 2"

# ---- the daemon still serves ------------------------------------------------------------------------

expect_true "the daemon still runs" "pid $(daemon_pid) is gone" is_daemon_of "$(daemon_pid)" "$STORE"
start_run ok/good "-who again"
expect_status "$RUN_ID" succeeded
expect_text "a good request after all the bad input runs" "$MNT/executions/$RUN_ID/log" "hi again"

finish
