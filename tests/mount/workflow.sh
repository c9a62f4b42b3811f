#!/usr/bin/env bash
# The workflow engine seen through the mount: keepgoing, error handlers and
# keepgoingOnSuccess, job references (arguments, failure, missing job,
# cycles), step kinds (inline script with interpreter, script file, file:
# URL, unknown plugin type), strategies, captured data and context variables.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount

printf '#!/bin/sh\necho "file-script [$1] job=$RD_JOB_NAME"\n' > "$FILES/tool.sh"
chmod 755 "$FILES/tool.sh"
printf '#!/bin/sh\necho "plain-file [$1]"\n' > "$FILES/plain.sh"
chmod 644 "$FILES/plain.sh"

write_input workflow.yaml << EOF
- name: stop
  group: wf
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo alpha
    - exec: "sh -c 'exit 3'"
    - exec: echo gamma
- name: go-on
  group: wf
  sequence:
    keepgoing: true
    strategy: sequential
    commands:
    - exec: echo alpha
    - exec: "sh -c 'exit 3'"
    - exec: echo gamma
- name: handler-continue
  group: wf
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: "sh -c 'exit 5'"
      errorhandler:
        exec: 'echo handled code=\${result.resultCode}'
        keepgoingOnSuccess: true
    - exec: echo after-handler
- name: handler-stop
  group: wf
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: "sh -c 'exit 5'"
      errorhandler:
        exec: 'echo handled code=\${result.resultCode}'
    - exec: echo after-handler
- name: handler-fails
  group: wf
  sequence:
    keepgoing: true
    strategy: sequential
    commands:
    - exec: "sh -c 'exit 5'"
      errorhandler:
        exec: "sh -c 'exit 6'"
    - exec: echo after-handler
- name: handler-unused
  group: wf
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo fine
      errorhandler:
        exec: echo handler-should-not-run
- name: child
  group: lib
  options:
  - name: who
    required: true
  sequence:
    commands:
    - exec: 'echo child greets \${option.who}'
- name: broken
  group: lib
  sequence:
    commands:
    - exec: "sh -c 'exit 9'"
- name: parent
  group: app
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - jobref:
        group: lib
        name: child
        args: '-who "the whole team"'
    - exec: echo parent-done
- name: parent-fails
  group: app
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - jobref:
        group: lib
        name: broken
    - exec: echo parent-went-on
- name: parent-missing
  group: app
  sequence:
    commands:
    - jobref:
        group: lib
        name: nobody-here
- name: self
  group: loop
  sequence:
    commands:
    - exec: echo self-start
    - jobref: {group: loop, name: self}
- name: ping
  group: loop
  sequence:
    commands:
    - jobref: {group: loop, name: pong}
- name: pong
  group: loop
  sequence:
    commands:
    - jobref: {group: loop, name: ping}
- name: plugin
  group: wf
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo before-plugin
    - type: acme-frobnicator
      nodeStep: true
      configuration:
        level: high
    - exec: echo after-plugin
- name: kinds
  group: wf
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - script: |
        echo "interp=\${BASH_VERSION:+bash} name=\$(basename "\$0") count=\$# first=[\$1] second=[\$2]"
      scriptInterpreter: /bin/bash
      fileExtension: .sh
      args: 'one "two words"'
    - scriptfile: $FILES/tool.sh
      args: from-file
    - scripturl: file://$FILES/tool.sh
      args: from-url
    - exec: echo RUNDECK:DATA:color=blue
      plugins:
        LogFilter:
        - type: key-value-data
          config: {}
    - exec: 'echo data=\${data.color} job=\${job.name} group=\${job.group} id=\${job.execid} node=\${node.name}'
    - script: |
        #!/bin/sh
        echo "env data=\$RD_DATA_COLOR job=\$RD_JOB_NAME id=\$RD_JOB_EXECID"
- name: plain-file
  group: wf
  sequence:
    commands:
    - scriptfile: $FILES/plain.sh
      args: no-exec-bit
- name: node-first
  group: wf
  sequence:
    keepgoing: false
    strategy: node-first
    commands:
    - exec: echo nf-one
    - exec: echo nf-two
- name: parallel
  group: wf
  sequence:
    keepgoing: false
    strategy: parallel
    commands:
    - exec: sh -c 'sleep 1; echo par-one'
    - exec: sh -c 'sleep 1; echo par-two'
    - exec: sh -c 'sleep 1; echo par-three'
EOF
import_file "$FILES/workflow.yaml" "$MNT/jobs" ||
  bail_out "cp workflow.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT; jobs/.error: $(tail_of "$MNT/jobs/.error" 2)"

# Print the step states of execution ID, space separated.
step_states() {
  read_file "$MNT/executions/$1/state" | jq -r '[.steps[].executionState] | join(" ")' 2>&1
}

# ---- keepgoing ----------------------------------------------------------------------

start_run wf/stop
expect_status "$RUN_ID" failed
expect_text "keepgoing false stops at the failed step" "$MNT/executions/$RUN_ID/log" "alpha
[jobfs] step 2 failed: Result code was 3"
expect_equal "keepgoing false: step states" "SUCCEEDED FAILED NOT_STARTED" "$(step_states "$RUN_ID")"

start_run wf/go-on
expect_status "$RUN_ID" failed
expect_text "keepgoing true runs the later steps" "$MNT/executions/$RUN_ID/log" "alpha
[jobfs] step 2 failed: Result code was 3
gamma"
expect_equal "keepgoing true: step states" "SUCCEEDED FAILED SUCCEEDED" "$(step_states "$RUN_ID")"

# ---- error handlers ---------------------------------------------------------------------

start_run wf/handler-continue
expect_status "$RUN_ID" succeeded
log=$MNT/executions/$RUN_ID/log
expect_contains "the handler sees the step's result code" "$log" "handled code=5"
expect_contains "keepgoingOnSuccess lets the workflow go on" "$log" after-handler
expect_match "a line marked as jobfs's own announces the handler" '(^|
)\[jobfs\][^
]*handler' "$(read_file "$log")"
expect_equal "the handler's output follows the announcement" handled \
  "$(read_file "$log" | grep -A1 '^\[jobfs\].*handler' | sed -n '2s/ .*//p')"
rdlog=$(stored "$RUN_ID.rdlog")
expect_equal "the rdlog marks the handler with handlerbegin" 1 "$(grep -c '|handlerbegin|' "$rdlog")"
expect_equal "the rdlog marks the handler with handlerend" 1 "$(grep -c '|handlerend|' "$rdlog")"

start_run wf/handler-stop
expect_status "$RUN_ID" failed
expect_contains "without keepgoingOnSuccess the handler still runs" "$MNT/executions/$RUN_ID/log" \
  "handled code=5"
expect_lacks "without keepgoingOnSuccess the workflow stops" "$MNT/executions/$RUN_ID/log" after-handler

start_run wf/handler-fails
expect_status "$RUN_ID" failed
expect_contains "under keepgoing a failed handler does not stop the workflow" \
  "$MNT/executions/$RUN_ID/log" after-handler
expect_equal "a failed handler leaves its step FAILED" FAILED \
  "$(read_file "$MNT/executions/$RUN_ID/state" | jq -r '.steps[0].executionState')"

start_run wf/handler-unused
expect_status "$RUN_ID" succeeded
expect_lacks "a handler does not run when its step succeeds" "$MNT/executions/$RUN_ID/log" \
  handler-should-not-run

# ---- job references ------------------------------------------------------------------------

start_run app/parent
parent=$RUN_ID
expect_status "$parent" succeeded
expect_equal "the child's output is part of the parent's log, and a quoted argument stays whole" \
  "child greets the whole team
parent-done" "$(step_output "$MNT/executions/$parent/log")"
child=$(link_id "$MNT/jobs/lib/child/last")
if [[ -n $child ]]; then
  expect_equal "the child ran as its own execution" succeeded "$(status_of "$child")"
  expect_contains "the child's own log holds its output" "$MNT/executions/$child/log" \
    "child greets the whole team"
  expect_json "the child's execution.json holds the argument as an option" \
    "$MNT/executions/$child/execution.json" .job.options.who "the whole team"
else
  flunk "the referenced job lists its execution" "jobs/lib/child/last" "no link"
fi

start_run app/parent-fails
expect_status "$RUN_ID" failed
expect_lacks "a failed referenced job stops the parent" "$MNT/executions/$RUN_ID/log" parent-went-on
expect_equal "the reference step is FAILED" "FAILED NOT_STARTED" "$(step_states "$RUN_ID")"
broken=$(link_id "$MNT/jobs/lib/broken/last")
expect_equal "the referenced job's own execution failed" failed "$(status_of "$broken")"

start_run app/parent-missing
expect_status "$RUN_ID" failed
expect_contains "a reference to a missing job names it" "$MNT/executions/$RUN_ID/log" nobody-here

# A job that reaches itself again fails with a clear message instead of
# starting executions without end.
before_count=$(exec_ids | wc -w)
start_run loop/self
expect_status "$RUN_ID" failed 15
expect_contains "a job referencing itself fails naming the cycle" "$MNT/executions/$RUN_ID/log" cycle
start_run loop/ping
expect_status "$RUN_ID" failed 15
expect_contains "a two-job cycle fails naming the cycle" "$MNT/executions/$RUN_ID/log" cycle
after_count=$(exec_ids | wc -w)
expect_true "the cycles started at most 5 executions" "$((after_count - before_count)) executions" \
  test $((after_count - before_count)) -le 5

# ---- an unknown step plugin fails at run time ------------------------------------------------

start_run wf/plugin
expect_status "$RUN_ID" failed
log=$MNT/executions/$RUN_ID/log
expect_contains "the step before the unknown plugin runs" "$log" before-plugin
expect_contains "the failure names the plugin type" "$log" acme-frobnicator
expect_lacks "the step after the unknown plugin does not run" "$log" after-plugin
expect_equal "the unknown plugin step is FAILED" "SUCCEEDED FAILED NOT_STARTED" "$(step_states "$RUN_ID")"
expect_match "the state's error message names the plugin type" acme-frobnicator \
  "$(read_file "$MNT/executions/$RUN_ID/state" | jq -r '.steps[1].errorMessage // .steps[1].nodeStates.localhost.errorMessage')"
expect_match "the unknown plugin step can be resumed after a fix" 'step 2' \
  "$(read_file "$MNT/executions/$RUN_ID/resume")"

# ---- step kinds, data and variables --------------------------------------------------------------

start_run wf/kinds
kinds=$RUN_ID
expect_status "$kinds" succeeded
log=$MNT/executions/$kinds/log
expect_contains "an inline script runs under its interpreter with the file extension and args" "$log" \
  "interp=bash name=$kinds-1.sh count=2 first=[one] second=[two words]"
expect_contains "a script file runs with its args and RD_JOB_* variables" "$log" \
  "file-script [from-file] job=kinds"
expect_contains "a file: script URL runs with its args" "$log" "file-script [from-url] job=kinds"
expect_contains "captured data and job variables expand in a command" "$log" \
  "data=blue job=kinds group=wf id=$kinds node=localhost"
expect_contains "captured data and job variables reach the environment" "$log" \
  "env data=blue job=kinds id=$kinds"

# Rundeck copies a script file to the node and sets its execute bit, so a
# file without the bit runs there.
start_run wf/plain-file
expect_status "$RUN_ID" succeeded
expect_contains "a script file without the execute bit runs" "$MNT/executions/$RUN_ID/log" \
  "plain-file [no-exec-bit]"

# ---- strategies -------------------------------------------------------------------------------------

start_run wf/node-first
expect_status "$RUN_ID" succeeded
expect_text "node-first on the local node runs the steps in order" "$MNT/executions/$RUN_ID/log" \
  "nf-one
nf-two"

start_run wf/parallel
expect_status "$RUN_ID" succeeded
for word in par-one par-two par-three; do
  expect_contains "the parallel strategy runs $word" "$MNT/executions/$RUN_ID/log" "$word"
done
duration=$(read_file "$MNT/executions/$RUN_ID/execution.json" |
  jq -r '.["date-ended"].unixtime - .["date-started"].unixtime' 2>&1)
expect_true "three 1 s steps in parallel take less than 2.5 s" "${duration} ms" \
  test "${duration:-99999}" -lt 2500

finish
