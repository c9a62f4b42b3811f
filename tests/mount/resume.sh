#!/usr/bin/env bash
# Resume: a failed execution stores its checkpoint as ID.resume.json in log
# storage, and writing to executions/ID/resume starts a new execution at the
# failed step with the recorded options and captured data. Covers the links
# both ways, resuming a resumed execution, every refusal with its errno,
# concurrent resume writes, a damaged or missing resume state, secure
# options, and onRetry.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

write_input resume.yaml << 'EOF'
- name: build
  group: res
  description: Capture data in step 1, fail in step 2 until fixed
  options:
  - name: dir
    required: true
  - name: tag
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
        echo ran >> "$RD_OPTION_DIR/build.count"
        echo RUNDECK:DATA:build=42
      plugins:
        LogFilter:
        - type: key-value-data
          config: {}
    - exec: 'test -e ${option.dir}/build.fixed'
    - exec: 'echo build=${data.build} tag=${option.tag}'
- name: twice
  group: res
  description: Fail at step 2, then at step 3
  options:
  - name: dir
    required: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo twice-one
    - exec: 'test -e ${option.dir}/twice.fix1'
    - exec: 'test -e ${option.dir}/twice.fix2'
    - exec: echo twice-done
- name: hold
  group: res
  options:
  - name: sleeper
    required: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: '${option.sleeper} 60'
- name: ok
  group: res
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: 'true'
- name: nodefirst
  group: res
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: node-first
    commands:
    - exec: echo first
    - exec: 'false'
- name: plain
  group: res
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo first
    - exec: 'false'
- name: doomed
  group: res
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo first
    - exec: 'false'
- name: damaged
  group: res
  options:
  - name: dir
    required: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo first
    - exec: 'test -e ${option.dir}/damaged.fixed'
- name: race
  group: res
  options:
  - name: dir
    required: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo race-one
    - exec: 'test -e ${option.dir}/race.fixed'
    - exec: echo race-done
- name: secret
  group: res
  options:
  - name: dir
    required: true
  - name: password
    secure: true
    valueExposed: true
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo secret-one
    - exec: 'test -e ${option.dir}/secret.fixed'
    - script: |
        #!/bin/sh
        if [ "$RD_OPTION_PASSWORD" = "open-sesame" ]; then echo password-given; else echo password-missing; fi
- name: onretry
  group: res
  retry: {retry: '1', delay: 0s}
  options:
  - name: dir
    required: true
  plugins:
    ExecutionLifecycle:
      resume:
        onRetry: 'true'
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - script: |
        #!/bin/sh
        echo ran >> "$RD_OPTION_DIR/onretry.count"
    - exec: 'test ${job.retryAttempt} -ge 1'
    - exec: echo onretry-done
- name: fresh
  group: res
  retry: {retry: '1', delay: 0s}
  options:
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
        echo ran >> "$RD_OPTION_DIR/fresh.count"
    - exec: 'test ${job.retryAttempt} -ge 1'
    - exec: echo fresh-done
EOF
import_file "$FILES/resume.yaml" "$MNT/jobs" ||
  bail_out "cp resume.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT; jobs/.error: $(tail_of "$MNT/jobs/.error" 2)"

lines_in() {
  if [[ -e $1 ]]; then wc -l < "$1"; else printf 0; fi
}

# Write REQUEST (default 1) to executions/ID/resume and check that it is
# rejected with ERRNO, starts nothing, and leaves a reason in .error.
expect_resume_rejected() {
  local what=$1 errno=$2 id=$3 request=${4-1} before
  before=$(exec_ids)
  expect_rejected "$what: the resume write fails with $errno" "$errno" \
    "$MNT/executions/$id/resume" "$request"
  expect_no_new_executions "$what: nothing starts" "$before"
  expect_true "$what: executions/$id/.error gives the reason" "it is empty" \
    test -n "$(read_file "$MNT/executions/$id/.error")"
}

# ---- a failed execution, its resume state and a resume ------------------------------------

start_run res/build "-dir $FILES -tag v1"
build=$RUN_ID
expect_status "$build" failed
execution=$MNT/executions/$build

expect_text "resume reads where the execution resumes" "$execution/resume" "resumable at step 2 of 3"
expect_valid_json ".resume.json on the mount is valid JSON" "$execution/.resume.json"
expect_match ".resume.json on the mount is readable by its owner only" '^[46]00$' \
  "$(stat -c %a "$execution/.resume.json" 2> /dev/null)"
stored_state=$(stored "$build.resume.json")
if [[ -f $stored_state ]]; then
  pass "log storage holds $build.resume.json"
  expect_equal "ID.resume.json in log storage has mode 0600" 600 "$(stat -c %a "$stored_state")"
  expect_true "ID.resume.json in log storage is valid JSON" "$(head -c 200 "$stored_state")" \
    jq empty "$stored_state"
  expect_equal "the resume state records the option values and the captured data" "true true" \
    "$(jq -r '[.. | strings] | [any(. == "v1"), any(. == "42")] | map(tostring) | join(" ")' "$stored_state" 2>&1)"
else
  flunk "log storage holds $build.resume.json" "a file at $stored_state" "none"
fi

touch "$FILES/build.fixed"
start_resume "$build"
resumed=$RUN_ID
expect_not_equal "a resume starts a new execution" "$build" "$resumed"
expect_status "$resumed" succeeded
expect_contains "the resumed execution has the captured data and the option values" \
  "$MNT/executions/$resumed/log" "build=42 tag=v1"
expect_equal "the steps before the failed one did not run again" 1 "$(lines_in "$FILES/build.count")"
first_line=$(read_file "$MNT/executions/$resumed/log" | head -n 1)
expect_match "the resumed log starts with a line of jobfs's own" '^\[jobfs\] ' "$first_line"
expect_match "that line names the execution it resumes" "(^|[^0-9])$build([^0-9]|\$)" "$first_line"
expect_match "that line names the step" '[Ss]tep 2' "$first_line"
expect_json "state: the resumed execution succeeded" "$MNT/executions/$resumed/state" \
  '[.steps[].executionState] | join(" ")' "SUCCEEDED SUCCEEDED SUCCEEDED"
expect_link "resumed-from points to the original" "$MNT/executions/$resumed/resumed-from" "$execution"
expect_link "resumed-by points to the resumed execution" "$execution/resumed-by" \
  "$MNT/executions/$resumed"
expect_link "the resumed execution belongs to the same job" "$MNT/executions/$resumed/job" \
  "$MNT/jobs/res/build"
expect_equal "the original keeps its status" failed "$(status_of "$build")"
expect_stored_status "$build" failed
expect_stored_status "$resumed" succeeded
expect_equal "the store records resumed_from" "$build" \
  "$(sql "SELECT resumed_from FROM executions WHERE id = $resumed")"
expect_equal "the store records resumed_by" "$resumed" \
  "$(sql "SELECT resumed_by FROM executions WHERE id = $build")"
expect_resume_rejected "a second resume of an execution already resumed" EPERM "$build"
expect_contains "resume names the execution that resumed it" "$execution/resume" "$resumed"

# ---- a resumed execution that fails can be resumed again ----------------------------------------

start_run res/twice "-dir $FILES"
twice=$RUN_ID
expect_status "$twice" failed
touch "$FILES/twice.fix1"
start_resume "$twice"
twice2=$RUN_ID
expect_status "$twice2" failed
expect_text "the resumed execution that failed can itself resume" "$MNT/executions/$twice2/resume" \
  "resumable at step 3 of 4"
touch "$FILES/twice.fix2"
start_resume "$twice2"
twice3=$RUN_ID
expect_status "$twice3" succeeded
expect_equal "the third execution ran only the last two steps" "twice-done" \
  "$(step_output "$MNT/executions/$twice3/log")"
expect_link "the chain links back one step at a time" "$MNT/executions/$twice3/resumed-from" \
  "$MNT/executions/$twice2"
expect_link "the middle execution links back to the first" "$MNT/executions/$twice2/resumed-from" \
  "$MNT/executions/$twice"

# ---- refusals ------------------------------------------------------------------------------------

start_run res/hold "-sleeper $SLEEPER"
hold=$RUN_ID
wait_until 10 status_is "$hold" running
expect_resume_rejected "resume of a running execution" EBUSY "$hold"
must write_control "$MNT/executions/$hold/kill" 1
expect_status "$hold" aborted 15
expect_resume_rejected "resume of a killed execution" EPERM "$hold"
expect_match "resume of a killed execution gives the kill as the reason" '[Kk]ill|[Aa]bort' \
  "$(read_file "$MNT/executions/$hold/resume")"
expect_no_leftovers 5 "the kill"

start_run res/ok
expect_status "$RUN_ID" succeeded
expect_resume_rejected "resume of a succeeded execution" EPERM "$RUN_ID"
expect_match "resume of a succeeded execution says so" succeeded "$(read_file "$MNT/executions/$RUN_ID/resume")"

start_run res/nodefirst
expect_status "$RUN_ID" failed
expect_resume_rejected "resume of a node-first workflow" EPERM "$RUN_ID"
expect_match "resume names the strategy" 'node-first|sequential|strategy' \
  "$(read_file "$MNT/executions/$RUN_ID/resume")"

start_run res/plain
plain=$RUN_ID
expect_status "$plain" failed
expect_absent "without the plugin there is no .resume.json" "$MNT/executions/$plain/.resume.json"
expect_absent "without the plugin log storage holds no resume state" "$(stored "$plain.resume.json")"
expect_resume_rejected "resume without the resume plugin" EPERM "$plain"
expect_match "resume names the missing plugin" '[Pp]lugin' "$(read_file "$MNT/executions/$plain/resume")"

start_run res/doomed
doomed=$RUN_ID
expect_status "$doomed" failed
must timeout -k 2 10 rmdir -- "$MNT/jobs/res/doomed"
expect_resume_rejected "resume after the job was deleted" EPERM "$doomed"
expect_match "resume says the job was deleted" deleted "$(read_file "$MNT/executions/$doomed/resume")"

# A changed sequence: each kind of change is refused and named, and an
# edit that keeps the steps' kinds resumes. write_edit imports res/edit
# with the steps on standard input, or replaces its job.yaml.
write_edit() {
  {
    printf '%s\n' "name: edit" "group: res" "plugins:" "  ExecutionLifecycle:" "    resume: {}" \
      "sequence:" "  keepgoing: false" "  strategy: sequential" "  commands:"
    cat
  } > "$FILES/edit.yaml"
  if [[ ! -d $MNT/jobs/res/edit ]]; then
    import_file "$FILES/edit.yaml" "$MNT/jobs" ||
      bail_out "cp edit.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"
    return
  fi
  put_definition "$FILES/edit.yaml" res/edit yaml ||
    bail_out "cp edit.yaml over jobs/res/edit/job.yaml succeeds; it failed: $LAST_OUTPUT;" \
      ".error: $(tail_of "$MNT/jobs/res/edit/.error" 2)"
}
write_edit << 'EOF'
  - exec: echo first
  - exec: 'false'
  - exec: echo third
EOF
start_run res/edit
edit=$RUN_ID
expect_status "$edit" failed
expect_text "the edit job resumes at step 2" "$MNT/executions/$edit/resume" "resumable at step 2 of 3"

write_edit << 'EOF'
  - exec: echo first
  - exec: 'false'
  - exec: echo third
  - exec: echo fourth
EOF
expect_resume_rejected "resume after a step was added" EPERM "$edit"
expect_match "resume names the added step" 'step 4' "$(read_file "$MNT/executions/$edit/resume")"

write_edit << 'EOF'
  - exec: echo first
  - exec: 'false'
EOF
expect_resume_rejected "resume after a step was removed" EPERM "$edit"
expect_match "resume names the removed step" 'step 3' "$(read_file "$MNT/executions/$edit/resume")"

write_edit << 'EOF'
  - exec: 'false'
  - exec: echo first
  - exec: echo third
EOF
expect_resume_rejected "resume after steps were reordered" EPERM "$edit"
expect_match "resume names a reordered step" '[Ss]tep [12]' "$(read_file "$MNT/executions/$edit/resume")"

write_edit << 'EOF'
  - exec: echo first
  - script: |
      #!/bin/sh
      true
  - exec: echo third
EOF
expect_resume_rejected "resume after a step was replaced by another kind" EPERM "$edit"
expect_match "resume names the replaced step" 'step 2' "$(read_file "$MNT/executions/$edit/resume")"

write_edit << 'EOF'
  - exec: echo first
  - exec: 'true'
  - exec: echo third
EOF
expect_text "an edited step keeps the execution resumable" "$MNT/executions/$edit/resume" \
  "resumable at step 2 of 3"
start_resume "$edit"
expect_status "$RUN_ID" succeeded
expect_equal "the resume runs the edited step and the rest" third "$(step_output "$MNT/executions/$RUN_ID/log")"

# ---- a damaged or missing resume state in log storage -----------------------------------------

start_run res/damaged "-dir $FILES"
damaged=$RUN_ID
expect_status "$damaged" failed
state_file=$(stored "$damaged.resume.json")
if [[ -f $state_file ]]; then
  cp -p -- "$state_file" "$FILES/damaged.saved"
  head -c 40 "$FILES/damaged.saved" > "$state_file"
  touch "$FILES/damaged.fixed"
  expect_resume_rejected "resume with a truncated ID.resume.json" EPERM "$damaged"
  expect_match "resume names the damaged resume state" 'resume' "$(read_file "$MNT/executions/$damaged/resume")"
  printf '{"format": "jobfs-resume-state", "version": 1, "execution": %s, "step": "two"}' "$damaged" \
    > "$state_file"
  expect_resume_rejected "resume with a resume state of the wrong shape" EPERM "$damaged"
  rm -f -- "$state_file"
  expect_resume_rejected "resume with ID.resume.json missing" EPERM "$damaged"
  cp -p -- "$FILES/damaged.saved" "$state_file"
  expect_text "a restored ID.resume.json makes it resumable again" "$MNT/executions/$damaged/resume" \
    "resumable at step 2 of 2"
  start_resume "$damaged"
  expect_status "$RUN_ID" succeeded
else
  flunk "log storage holds $damaged.resume.json" "a file at $state_file" "none"
fi

# ---- two concurrent resume writes start one execution ---------------------------------------------

start_run res/race "-dir $FILES"
race=$RUN_ID
expect_status "$race" failed
touch "$FILES/race.fixed"
before_count=$(exec_ids | wc -w)
for writer in a b c; do
  in_background bash -c '
    exec 3<> "$1" || { echo open-failed > "$2"; exit; }
    if echo 1 >&3 2> /dev/null; then IFS= read -r id <&3; echo "started $id" > "$2"; else echo rejected > "$2"; fi
    ' race "$MNT/executions/$race/resume" "$FILES/race.$writer"
done
all_writers_done() {
  [[ -s $FILES/race.a && -s $FILES/race.b && -s $FILES/race.c ]]
}
wait_until 15 all_writers_done
expect_equal "of three concurrent resume writes exactly one starts an execution" 1 \
  "$(cat "$FILES"/race.? 2> /dev/null | grep -c '^started')"
expect_equal "the other writes are rejected" 2 "$(cat "$FILES"/race.? 2> /dev/null | grep -c '^rejected')"
expect_equal "exactly one execution was added" $((before_count + 1)) "$(exec_ids | wc -w)"
race_resumed=$(link_id "$MNT/executions/$race/resumed-by")
if [[ -n $race_resumed ]]; then
  expect_status "$race_resumed" succeeded
else
  flunk "the raced execution has a resumed-by link" "a link" "none"
fi

# ---- secure options must be given again ---------------------------------------------------------

start_run res/secret "-dir $FILES -password open-sesame"
secret=$RUN_ID
expect_status "$secret" failed
expect_lacks "the resume state holds no secure value" "$MNT/executions/$secret/.resume.json" open-sesame
expect_match "resume asks for the secure option" password "$(read_file "$MNT/executions/$secret/resume")"
touch "$FILES/secret.fixed"
expect_resume_rejected "resume without the secure value" EINVAL "$secret"
expect_resume_rejected "resume that changes a recorded option" EINVAL "$secret" \
  "-dir /elsewhere -password open-sesame"
start_resume "$secret" "-password open-sesame"
expect_status "$RUN_ID" succeeded
expect_contains "the secure value given on resume reaches the step" "$MNT/executions/$RUN_ID/log" \
  password-given

# ---- onRetry: the automatic retry resumes at the failed step -----------------------------------------

# Succeed once JOBPATH has two executions and the second has ended.
retry_done() {
  local -a ids
  read -r -a ids <<< "$(job_exec_ids "$1")"
  ((${#ids[@]} >= 2)) && is_final "${ids[1]}"
}

start_run res/onretry "-dir $FILES"
onretry=$RUN_ID
expect_status "$onretry" failed-with-retry
wait_until 15 retry_done res/onretry
read -r -a attempts <<< "$(job_exec_ids res/onretry)"
expect_equal "onRetry: one retry follows" 2 "${#attempts[@]}"
if ((${#attempts[@]} >= 2)); then
  expect_equal "onRetry: the retry succeeds" succeeded "$(status_of "${attempts[1]}")"
  expect_link "onRetry: the retry links back with retry-of" "$MNT/executions/${attempts[1]}/retry-of" \
    "$MNT/executions/$onretry"
  expect_contains "onRetry: the retry runs the rest" "$MNT/executions/${attempts[1]}/log" onretry-done
fi
expect_equal "onRetry: step 1 ran once" 1 "$(lines_in "$FILES/onretry.count")"
expect_resume_rejected "resume of a failed-with-retry attempt" EPERM "$onretry"

start_run res/fresh "-dir $FILES"
expect_status "$RUN_ID" failed-with-retry
wait_until 15 retry_done res/fresh
expect_equal "without onRetry the retry starts over: step 1 ran twice" 2 "$(lines_in "$FILES/fresh.count")"

finish
