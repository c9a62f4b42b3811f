#!/usr/bin/env bash
# The daemon's life: command line, the store lock, SIGTERM with a running
# execution and a parked wait reader, and a restart on the same store that
# keeps jobs, executions and the id sequence. Also the exit status of a
# foreground daemon, fusermount3 -u, and the files automation watches:
# wait, tail -f log and inotify events.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount
make_sleeper

# ---- command line ------------------------------------------------------------------------

output=$(timeout -k 2 10 "$JOBFS" --help 2>&1)
expect_equal "jobfs --help exits 0" 0 "$?"
expect_match "jobfs --help describes --store" '--store' "$output"
output=$(timeout -k 2 10 "$JOBFS" --version 2>&1)
expect_equal "jobfs --version exits 0" 0 "$?"
expect_match "jobfs --version prints the name and a version" '^jobfs [0-9]+\.[0-9]+' "$output"
output=$(timeout -k 2 10 "$JOBFS" --no-such-option "$WORK/nowhere" 2>&1)
status=$?
expect_true "an unknown option fails" "exit status $status" test "$status" -ne 0
expect_match "an unknown option points to --help" '--help' "$output"
output=$(timeout -k 2 10 "$JOBFS" --store "$WORK/other-store" 2>&1)
status=$?
expect_true "a missing mount point fails" "exit status $status" test "$status" -ne 0
expect_match "a missing mount point is named in the message" '[Mm][Oo][Uu][Nn][Tt]' "$output"

# ---- a second daemon on the same store ---------------------------------------------------------

mkdir -p "$WORK/mnt2"
output=$(timeout -k 5 20 "$JOBFS" --store "$STORE" "$WORK/mnt2" 2>&1)
status=$?
expect_equal "a second daemon on the same store exits with status 2" 2 "$status"
expect_match "the second daemon says the store is in use" 'in use|locked|another' "$output"
expect_match "the message names the running daemon's pid" "$(daemon_pid)" "$output"
expect_true "the second daemon mounted nothing" "mnt2 is mounted" not_mounted "$WORK/mnt2"
expect_true "the first mount still answers" "no jobs/ under MNT" test -d "$MNT/jobs"

# ---- SIGTERM with a running execution ---------------------------------------------------------

write_input daemon.yaml << 'EOF'
- name: quick
  group: dm
  sequence:
    commands:
    - exec: echo quick-done
- name: hold
  group: dm
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
    - exec: echo holding
    - exec: '${option.sleeper} 60'
    - exec: echo hold-done
- name: gate
  group: dm
  description: Print a line, wait for the file "go" in dir, print another
  options:
  - name: dir
    required: true
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo first-line
    - script: |
        #!/bin/sh
        i=0
        while [ ! -e "$RD_OPTION_DIR/go" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        test -e "$RD_OPTION_DIR/go"
    - exec: echo second-line
EOF
import_file "$FILES/daemon.yaml" "$MNT/jobs" ||
  bail_out "cp daemon.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"
start_run dm/quick
quick=$RUN_ID
expect_status "$quick" succeeded
start_run dm/hold "-sleeper $SLEEPER"
hold=$RUN_ID
wait_until 10 token_processes_at_least 1 || note "the sleeper of execution $hold did not start"

# A reader parked on wait must not keep the daemon from stopping.
in_background timeout -k 2 30 cat -- "$MNT/executions/$hold/wait" > "$FILES/parked.out" 2>&1
parked=${BACKGROUND_PIDS[-1]}
sleep 0.5

daemon=$(daemon_pid)
is_daemon_of "$daemon" "$STORE" || bail_out "STORE/jobfs.pid names this test's daemon; it holds '$daemon'"
kill -TERM "$daemon"
if daemon_gone_within "$daemon" "$STORE" 15; then
  pass "the daemon exits on SIGTERM"
else
  flunk "the daemon exits on SIGTERM" "pid $daemon gone within 15 s" "it still runs"
fi
expect_true "SIGTERM unmounts" "MNT is still mounted" not_mounted "$MNT"
expect_absent "the daemon removes its pid file" "$STORE/jobfs.pid"
expect_no_leftovers 5 "SIGTERM"
if wait_until 5 process_gone "$parked"; then
  pass "the parked wait reader ends when the daemon stops"
else
  flunk "the parked wait reader ends when the daemon stops" "the reader gone within 5 s" "it still waits"
fi
expect_equal "the store marks the running execution incomplete" incomplete \
  "$(sql "SELECT status FROM executions WHERE id = $hold")"

# ---- restart in the foreground on the same store -------------------------------------------------

"$JOBFS" -f --store "$STORE" "$MNT" > "$WORK/foreground.log" 2>&1 &
foreground=$!
remember_daemon "$foreground"
mount_ready() {
  is_mounted "$MNT" && [[ -d $MNT/jobs ]]
}
if wait_until 15 mount_ready; then
  pass "jobfs -f mounts the store again"
else
  bail_out "jobfs -f mounts the store again within 15 s; its log: $(tail -n 3 "$WORK/foreground.log" | tr '\n' ' ')"
fi
expect_equal "STORE/jobfs.pid names the foreground daemon" "$foreground" "$(daemon_pid)"
expect_true "the jobs are still there" "no jobs/dm/hold" test -e "$MNT/jobs/dm/hold/run"
expect_equal "a finished execution keeps its status" succeeded "$(status_of "$quick")"
expect_text "the finished execution keeps its log" "$MNT/executions/$quick/log" quick-done
expect_equal "the execution running at SIGTERM is incomplete" incomplete "$(status_of "$hold")"
expect_text "the incomplete execution can resume at its step" "$MNT/executions/$hold/resume" \
  "resumable at step 2 of 3"
expect_link "the job still lists its executions" "$MNT/jobs/dm/hold/executions/$hold" \
  "$MNT/executions/$hold"

# ---- wait: a blocking read with a line per change --------------------------------------------------

start_run dm/gate "-dir $FILES"
gate=$RUN_ID
expect_true "a new id is larger than the ids before the restart" "$gate after $hold" test "$gate" -gt "$hold"
wait_until 10 file_has "$MNT/executions/$gate/log" first-line

in_background timeout -k 2 30 cat -- "$MNT/executions/$gate/wait" > "$FILES/wait.out" 2> "$FILES/wait.err"
waiter=${BACKGROUND_PIDS[-1]}
in_background timeout -k 2 30 tail -n +1 -f -- "$MNT/executions/$gate/log" > "$FILES/tail.out" 2>&1
in_background timeout -k 2 30 bash -c 'sleep 0.2; inotifywait -q -t 25 -e modify,close_write,attrib "$1"' \
  inotify "$MNT/executions/$gate/status" > "$FILES/inotify.out" 2>&1
inotify=${BACKGROUND_PIDS[-1]}

wait_until 5 test -s "$FILES/wait.out"
sleep 1
expect_equal "wait starts with the running state" running "$(head -n 1 "$FILES/wait.out")"
expect_true "wait blocks while the execution runs" "the reader ended: $(tr '\n' '|' < "$FILES/wait.out")" \
  kill -0 "$waiter"
if wait_until 5 grep -q first-line "$FILES/tail.out"; then
  pass "tail -f shows the log of a running execution"
else
  flunk "tail -f shows the log of a running execution" first-line "$(tr '\n' '|' < "$FILES/tail.out")"
fi
expect_equal "the execution is still running" running "$(status_of "$gate")"

sleep 0.3
touch "$FILES/go"
if wait_until 10 process_gone "$waiter"; then
  pass "wait ends after the final status"
else
  flunk "wait ends after the final status" "the reader ends within 10 s of the end" "it still blocks"
fi
wait "$waiter"
expect_equal "the wait reader exits 0" 0 "$?"
expect_equal "the last line of wait is the final status" succeeded "$(tail -n 1 "$FILES/wait.out")"
expect_match "wait has a line per step change" 'step 2' "$(cat "$FILES/wait.out")"
if wait_until 5 grep -q second-line "$FILES/tail.out"; then
  pass "tail -f follows the log as it grows"
else
  flunk "tail -f follows the log as it grows" second-line "$(tr '\n' '|' < "$FILES/tail.out")"
fi
expect_equal "tail -f shows the lines once, in order" "first-line
second-line" "$(cat "$FILES/tail.out")"
if command -v inotifywait > /dev/null; then
  wait "$inotify"
  expect_equal "inotifywait on status returns when the status changes" 0 "$?"
else
  note "inotifywait is not installed: inotify events were not checked"
fi

output=$(timeout -k 2 10 cat -- "$MNT/executions/$gate/wait")
expect_equal "wait on a finished execution ends at once with the final status" succeeded \
  "$(tail -n 1 <<< "$output")"

# ---- SIGTERM to a foreground daemon: exit status 0 ----------------------------------------------

kill -TERM "$foreground"
if wait_until 15 process_gone "$foreground"; then
  wait "$foreground"
  expect_equal "a foreground daemon exits 0 on SIGTERM" 0 "$?"
else
  flunk "a foreground daemon exits on SIGTERM" "pid $foreground gone within 15 s" "it still runs"
fi
expect_true "SIGTERM unmounted the foreground daemon" "MNT is still mounted" not_mounted "$MNT"
expect_absent "the foreground daemon removes its pid file" "$STORE/jobfs.pid"

# ---- fusermount3 -u stops a background daemon ----------------------------------------------------

must mount_jobfs
expect_equal "the jobs survive a second restart" succeeded "$(status_of "$quick")"

# ---- a wait reader that keeps up with many quick changes ------------------------------------------
# Each step changes the state twice, so the notifier replies to the parked read
# while the next read is being parked: a race once freed a request there.
{
  printf -- '- name: many\n  group: dm\n  sequence:\n    strategy: sequential\n    commands:\n'
  for ((i = 0; i < 300; i++)); do printf -- "    - exec: 'true'\n"; done
} > "$FILES/many.yaml"
import_file "$FILES/many.yaml" "$MNT/jobs" || note "the import of many.yaml failed: $LAST_OUTPUT"
for round in 1 2 3; do
  start_run dm/many
  last_line=$(timeout -k 2 60 bash -c 'while IFS= read -r line; do last=$line; done < "$1"; printf %s "$last"' \
    wait "$MNT/executions/$RUN_ID/wait" 2>&1)
  expect_equal "round $round: read builtin on wait ends with the final status" succeeded "$last_line"
done
expect_true "the daemon still serves after the quick changes" "it does not" test -d "$MNT/jobs"
daemon=$(daemon_pid)
if unmount_jobfs; then
  pass "fusermount3 -u unmounts and the daemon exits"
fi
expect_absent "the daemon removes its pid file after fusermount3 -u" "$STORE/jobfs.pid"

finish
