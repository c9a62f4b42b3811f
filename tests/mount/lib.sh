# shellcheck shell=bash
# Helpers shared by the mount tests. A test script begins with
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   setup_mount
#
# setup_mount creates a fresh folder (WORK) holding store/ (STORE), mnt/
# (MNT) and files/ (FILES, the test's own input files), mounts $JOBFS on
# MNT, and installs traps. However the script ends (pass, failure, bail
# out, signal, time limit), the traps unmount MNT, stop the daemon, end the
# test's leftover processes and remove WORK.
#
# Output is TAP: "ok N - WHAT", or "not ok N - WHAT" followed by one
# "# expected: ... / seen: ..." line. finish prints the plan and exits 1 if
# any check failed. bail_out stops the script at once with status 1.
#
# Rules the helpers keep, so that a hung mount cannot hang the test:
# - every read of file contents and every write on the mount runs in a
#   child process under timeout(1), never in the test's own shell. Only
#   metadata lookups (test -e, readlink, stat) have no bound;
# - every wait has a bound in seconds;
# - a watchdog sends SIGUSR1 to the test after TEST_TIME_LIMIT seconds
#   (default 150, below meson's 180), and the EXIT trap still cleans up;
# - the cleanup itself runs in a new session (setsid), so it finishes even
#   when meson sends SIGKILL to the test's process group.
#
# Tools: bash 5, coreutils, grep, sed, jq, sqlite3, fusermount3, setsid.

export LC_ALL=C

MOUNT_LIB=$(realpath -- "${BASH_SOURCE[0]}")

# ---- TAP output ---------------------------------------------------------------

CHECKS_RUN=0
CHECKS_FAILED=0

# Print a note line, ignored by TAP consumers.
note() {
  printf '# %s\n' "$*"
}

pass() {
  CHECKS_RUN=$((CHECKS_RUN + 1))
  printf 'ok %d - %s\n' "$CHECKS_RUN" "$1"
}

# Record a failed check: WHAT, then what was expected and what was seen.
flunk() {
  CHECKS_RUN=$((CHECKS_RUN + 1))
  CHECKS_FAILED=$((CHECKS_FAILED + 1))
  printf 'not ok %d - %s\n' "$CHECKS_RUN" "$1"
  printf '# expected: %s / seen: %s\n' "$2" "$3"
  return 1
}

# Stop the test at once because a precondition failed. The EXIT trap cleans up.
bail_out() {
  printf 'Bail out! %s\n' "$*"
  CHECKS_FAILED=$((CHECKS_FAILED + 1))
  exit 1
}

# Run COMMAND... and stop the test if it fails. The command printed why.
must() {
  "$@" || bail_out "a check that later checks depend on failed: $*"
}

# Print the plan and end the test: 0 if every check passed, 1 otherwise.
finish() {
  printf '1..%d\n' "$CHECKS_RUN"
  if ((CHECKS_FAILED > 0)); then
    printf '# %d of %d checks failed\n' "$CHECKS_FAILED" "$CHECKS_RUN"
    exit 1
  fi
  exit 0
}

# ---- the environment ----------------------------------------------------------

# Succeed when the test runs under continuous integration (CI set, not false/0).
running_in_ci() {
  [[ -n ${CI:-} && ${CI,,} != false && $CI != 0 ]]
}

# Skip the test (exit 77, meson's skip status) on a developer machine, but
# fail it under CI, where a missing prerequisite means a broken runner.
skip_or_fail() {
  if running_in_ci; then
    printf 'Bail out! %s; CI is set, so a missing prerequisite is a failure\n' "$1"
    exit 1
  fi
  printf '1..0 # SKIP %s\n' "$1"
  exit 77
}

check_prerequisites() {
  local tool
  if [[ -z ${JOBFS:-} ]]; then
    printf 'Bail out! JOBFS must name the jobfs binary (meson test sets it); it is unset\n'
    exit 1
  fi
  if [[ ! -f $JOBFS || ! -x $JOBFS ]]; then
    printf 'Bail out! JOBFS must name an executable jobfs binary; %s is not one\n' "$JOBFS"
    exit 1
  fi
  JOBFS=$(realpath -- "$JOBFS")
  [[ -c /dev/fuse ]] || skip_or_fail "/dev/fuse is missing, so nothing can be mounted"
  for tool in fusermount3 jq sqlite3 setsid timeout; do
    command -v "$tool" > /dev/null || skip_or_fail "the command $tool is missing"
  done
}

# ---- the test folder, mounting and cleanup --------------------------------------

WORK=""
STORE=""
MNT=""
FILES=""
TOKEN=""
WATCHDOG_PID=""
BACKGROUND_PIDS=()

# Succeed if PATH is a mount point. A dead FUSE mount fails stat() with
# ENOTCONN, so /proc/self/mountinfo is read instead. setup_mount makes sure
# WORK contains no blanks, so mountinfo's octal escapes never apply.
is_mounted() {
  local point
  while read -r _ _ _ _ point _; do
    [[ $point == "$1" ]] && return 0
  done < /proc/self/mountinfo
  return 1
}

# Print the mount points under FOLDER.
mounts_under() {
  local point
  while read -r _ _ _ _ point _; do
    [[ $point == "$1"/* ]] && printf '%s\n' "$point"
  done < /proc/self/mountinfo
  return 0
}

# Print the command line of PID with its arguments joined by spaces ("" for
# a zombie or a process that is gone).
command_line_of() {
  local -a arguments=()
  mapfile -d '' -t arguments 2> /dev/null < "/proc/$1/cmdline"
  printf '%s' "${arguments[*]}"
}

# Succeed if PID is a live jobfs daemon of the store STORE_DIR, so that a
# stale pid file never makes the cleanup signal another process.
is_daemon_of() {
  local line
  line=$(command_line_of "$1")
  [[ -n $line && $line == *--store* && $line == *"$2"* ]]
}

# Print the pids of processes whose command line contains TEXT.
pids_with() {
  local process pid
  for process in /proc/[0-9]*; do
    pid=${process#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    [[ $(command_line_of "$pid") == *"$1"* ]] && printf '%s\n' "$pid"
  done
  return 0
}

# Remember a daemon pid in WORK, for the cleanup.
remember_daemon() {
  [[ $1 =~ ^[0-9]+$ ]] && printf '%s\n' "$1" >> "$WORK/daemon.pids"
}

# Print the pid in STORE/jobfs.pid ("" when there is none).
daemon_pid() {
  local pid
  pid=$(cat -- "$STORE/jobfs.pid" 2> /dev/null)
  pid=${pid//[[:space:]]/}
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# Unmount POINT: fusermount3 -u, retried while it is busy for 5 s, then
# fusermount3 -uz. Prints a note when it had to detach.
release_mount() {
  local point=$1 attempt
  for ((attempt = 0; attempt < 25; attempt++)); do
    is_mounted "$point" || return 0
    timeout -k 2 10 fusermount3 -u "$point" 2> /dev/null || sleep 0.2
  done
  is_mounted "$point" || return 0
  note "cleanup: $point was still busy after 5 s, so it was detached with fusermount3 -uz"
  timeout -k 2 10 fusermount3 -uz "$point" 2> /dev/null
  return 0
}

# Wait up to SECONDS for PID to stop being a daemon of STORE_DIR.
daemon_gone_within() {
  local pid=$1 store=$2 deadline=$((SECONDS + $3))
  while is_daemon_of "$pid" "$store"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
  return 0
}

# The cleanup of a test folder, run in its own session by on_exit. It
# unmounts, stops every daemon the test started (after 10 s, SIGTERM; 5 s
# later, SIGKILL), ends the processes that carry the test's token and
# removes the folder, unless the second argument is "keep". Returns 1 if a
# daemon had to be signalled, because a daemon must exit by itself once its
# mount is gone.
release_work() {
  local work=$1 keep=${2:-} store=$1/store point pid token status=0
  local -a points=() pids=()

  [[ -d $work ]] || return 0
  mapfile -t points < <(mounts_under "$work")
  for point in "${points[@]}"; do
    release_mount "$point"
  done

  [[ -f $work/daemon.pids ]] && mapfile -t pids < "$work/daemon.pids"
  pid=$(cat -- "$store/jobfs.pid" 2> /dev/null)
  pids+=("${pid//[[:space:]]/}")
  for pid in "${pids[@]}"; do
    [[ $pid =~ ^[0-9]+$ ]] || continue
    daemon_gone_within "$pid" "$store" 10 && continue
    status=1
    note "cleanup: jobfs daemon $pid still ran 10 s after its unmount, so it was sent SIGTERM"
    kill -TERM "$pid" 2> /dev/null
    daemon_gone_within "$pid" "$store" 5 && continue
    note "cleanup: jobfs daemon $pid ignored SIGTERM for 5 s, so it was sent SIGKILL"
    kill -KILL "$pid" 2> /dev/null
    daemon_gone_within "$pid" "$store" 5 ||
      note "cleanup: jobfs daemon $pid survived SIGKILL (stuck in the kernel?)"
  done

  token=$(cat -- "$work/token" 2> /dev/null)
  if [[ -n $token ]]; then
    for pid in $(pids_with "$token"); do
      note "cleanup: ended leftover process $pid ($(command_line_of "$pid"))"
      kill -KILL "$pid" 2> /dev/null
    done
  fi

  mapfile -t points < <(mounts_under "$work")
  if ((${#points[@]} > 0)); then
    note "cleanup: ${points[*]} is still mounted, so $work was left in place"
    return 1
  fi
  if [[ $keep == keep ]]; then
    note "cleanup: kept $work (store/, files/, the daemon's output) for inspection"
  else
    rm -rf --one-file-system -- "$work"
  fi
  return "$status"
}

# The EXIT trap: stop helpers, then release WORK in a new session and wait
# for it. A failed cleanup turns a passing test into a failing one. With
# MOUNT_TEST_KEEP=1 in the environment, a failed test keeps WORK.
on_exit() {
  local status=$? pid cleanup_status keep=""
  trap - EXIT INT TERM HUP
  for pid in "${BACKGROUND_PIDS[@]}" "$WATCHDOG_PID"; do
    [[ -n $pid ]] && kill -TERM "$pid" 2> /dev/null
  done
  [[ ${MOUNT_TEST_KEEP:-0} == 1 && $status != 0 ]] && keep=keep
  # A daemon with no syslog to talk to logs to its store: show why it failed.
  if [[ $status != 0 && -n $WORK ]]; then
    find "$WORK" -name jobfs.log -exec tail -n 40 {} \; 2> /dev/null | sed 's/^/# daemon: /'
  fi
  if [[ -n $WORK ]]; then
    setsid bash "$MOUNT_LIB" --release "$WORK" $keep &
    wait "$!"
    cleanup_status=$?
    if ((cleanup_status != 0 && status == 0)); then
      printf 'not ok - cleanup after the test\n# expected: the daemon exits after its unmount, leaving nothing mounted / seen: see the cleanup notes above\n'
      status=1
    fi
  fi
  exit "$status"
}

on_signal() {
  printf 'Bail out! stopped by signal %s; cleaning up\n' "$1"
  exit "$2"
}

on_time_limit() {
  printf 'Bail out! the test ran longer than its limit of %s s; cleaning up\n' "$TEST_TIME_LIMIT"
  exit 1
}

# Print the pids of the processes whose parent is PID.
children_of() {
  local stat rest
  for stat in /proc/[0-9]*/stat; do
    rest=$(cat -- "$stat" 2> /dev/null) || continue
    # Field 2, the command name, may hold blanks, so cut after its ")".
    rest=${rest##*) }
    read -r _ parent _ <<< "$rest"
    [[ $parent == "$1" ]] && { stat=${stat#/proc/}; printf '%s\n' "${stat%/stat}"; }
  done
  return 0
}

# After TEST_TIME_LIMIT seconds, send SIGUSR1 to this shell and SIGTERM to
# its other children: bash runs a trap only once the foreground command has
# ended. The watchdog ends its sleep when it is stopped, so no process
# outlives the test.
start_watchdog() {
  local target=$$
  (
    trap 'kill "$nap" 2> /dev/null; exit 0' TERM
    sleep "$TEST_TIME_LIMIT" &
    nap=$!
    wait "$nap" || exit 0
    kill -USR1 "$target"
    for child in $(children_of "$target"); do
      [[ $child != "$BASHPID" ]] && kill -TERM "$child"
    done
  ) > /dev/null 2>&1 &
  WATCHDOG_PID=$!
}

# Run COMMAND... in the background, to be ended by the EXIT trap.
in_background() {
  "$@" &
  BACKGROUND_PIDS+=("$!")
}

# Create WORK, set the traps and the watchdog, and mount jobfs on MNT.
setup_mount() {
  check_prerequisites
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/jobfs-mount-test.XXXXXX") || bail_out "mktemp -d failed"
  WORK=$(realpath -- "$WORK")
  if [[ $WORK == *[[:space:]\\]* ]]; then
    rmdir -- "$WORK"
    bail_out "the test folder '$WORK' contains a blank or a backslash; set TMPDIR to a plain path"
  fi
  trap on_exit EXIT
  trap 'on_signal INT 130' INT
  trap 'on_signal TERM 143' TERM
  trap 'on_signal HUP 129' HUP
  trap on_time_limit USR1
  STORE=$WORK/store
  MNT=$WORK/mnt
  FILES=$WORK/files
  TOKEN=jobfs-leftover-$$-$RANDOM$RANDOM
  printf '%s\n' "$TOKEN" > "$WORK/token"
  mkdir -p "$STORE" "$MNT" "$FILES" || bail_out "cannot create folders in $WORK"
  TEST_TIME_LIMIT=${TEST_TIME_LIMIT:-150}
  start_watchdog
  note "work folder $WORK, binary $JOBFS"
  must mount_jobfs
}

# Mount jobfs: "$JOBFS --store STORE MNT" must exit 0 once the mount is
# ready, and STORE/jobfs.pid must name a running daemon. Records a failed
# check and returns 1 otherwise.
mount_jobfs() {
  local status pid
  timeout -k 5 30 "$JOBFS" --store "$STORE" "$MNT" > "$WORK/mount.out" 2>&1
  status=$?
  if ((status != 0)); then
    flunk "jobfs --store STORE MNT mounts" "exit status 0" \
      "exit status $status, output: $(tail -n 3 "$WORK/mount.out" | tr '\n' ' ')"
    return 1
  fi
  if ! is_mounted "$MNT"; then
    flunk "jobfs returns once the mount is ready" "MNT in /proc/self/mountinfo" "it is not there"
    return 1
  fi
  pid=$(daemon_pid)
  remember_daemon "$pid"
  if [[ -z $pid ]] || ! is_daemon_of "$pid" "$STORE"; then
    flunk "STORE/jobfs.pid names the running daemon" "the pid of a jobfs --store $STORE process" \
      "'$pid' ($( [[ -n $pid ]] && command_line_of "$pid"))"
    return 1
  fi
  if ! wait_until 10 test -d "$MNT/jobs"; then
    flunk "MNT/jobs appears after the mount" "a folder" "none within 10 s"
    return 1
  fi
  pass "jobfs mounted the store (daemon pid $pid)"
}

# Unmount MNT with fusermount3 -u and wait up to 10 s for the daemon to
# exit. Used by tests that mount again.
unmount_jobfs() {
  local pid
  pid=$(daemon_pid)
  if ! timeout -k 2 10 fusermount3 -u "$MNT" 2> "$WORK/umount.out"; then
    flunk "fusermount3 -u MNT unmounts" "exit status 0" "$(head -n 1 "$WORK/umount.out")"
    return 1
  fi
  if [[ -n $pid ]] && ! daemon_gone_within "$pid" "$STORE" 10; then
    flunk "the daemon exits after fusermount3 -u" "pid $pid gone within 10 s" "it still runs"
    return 1
  fi
  return 0
}

# ---- reading -----------------------------------------------------------------

# Print the content of FILE, bounded to 10 s. Fails if it cannot be read.
read_file() {
  timeout -k 2 10 cat -- "$1" 2> /dev/null
}

# Print the last lines of FILE (default 4) joined by " | ", for messages.
tail_of() {
  local text
  text=$(read_file "$1" | tail -n "${2:-4}" | sed 's/$/ |/' | tr '\n' ' ')
  text=${text% |}
  printf '%s' "${text:-(empty)}"
}

# Print the log FILE without the lines jobfs adds itself, which start with
# "[jobfs] ".
step_output() {
  read_file "$1" | grep -v '^\[jobfs\] '
}

# Print the status of execution ID without its newline ("" if unreadable).
status_of() {
  local status
  status=$(read_file "$MNT/executions/$1/status")
  printf '%s' "${status//[[:space:]]/}"
}

# Print the execution ids in executions/ (or in FOLDER) on one line, in
# numeric order.
exec_ids() {
  local folder=${1:-$MNT/executions}
  timeout -k 2 10 ls -1 -- "$folder" 2> /dev/null | sort -n | tr '\n' ' '
}

# Print the ids of the executions of JOBPATH on one line, in numeric order.
job_exec_ids() {
  exec_ids "$MNT/jobs/$1/executions"
}

# Print the id of the execution the symbolic link LINK points to.
link_id() {
  local target
  target=$(readlink -- "$1") || return 1
  target=${target%/}
  printf '%s' "${target##*/}"
}

# Run the SQL QUERY on the store's database, read-only, and print the result.
sql() {
  timeout -k 2 10 sqlite3 -readonly -batch -cmd '.timeout 3000' "$STORE/jobfs.db" "$1" 2>&1
}

# Print the path of log storage file NAME (ID.rdlog, ID.log, ID.state.json,
# ID.resume.json).
stored() {
  printf '%s/logs/%s' "$STORE" "$1"
}

# ---- waiting -----------------------------------------------------------------

# Run COMMAND... every 0.1 s until it succeeds. Fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Succeed once PID is no longer running.
process_gone() {
  ! kill -0 "$1" 2> /dev/null
}

# Succeed if PATH is not a mount point.
not_mounted() {
  ! is_mounted "$1"
}

# Succeed if FILE contains the fixed string TEXT.
file_has() {
  [[ $(read_file "$1") == *"$2"* ]]
}

# Succeed if the status of execution ID is STATUS.
status_is() {
  [[ $(status_of "$1") == "$2" ]]
}

# Succeed once execution ID has a final status.
is_final() {
  case $(status_of "$1") in
    running | scheduled | queued | "") return 1 ;;
    *) return 0 ;;
  esac
}

# Wait up to SECONDS (default 20) for execution ID to end, and set
# FINAL_STATUS to its status ("" when it is still running).
wait_final() {
  FINAL_STATUS=""
  wait_until "${2:-20}" is_final "$1"
  FINAL_STATUS=$(status_of "$1")
}

# ---- writing to the mount -------------------------------------------------------

# The output of the last import_file, put_definition or write_control.
LAST_OUTPUT=""

# Copy FILE into the folder DEST (jobs/ or a group folder), as "cp FILE DEST/"
# does. Returns cp's status and keeps its message in LAST_OUTPUT.
import_file() {
  LAST_OUTPUT=$(timeout -k 2 20 cp -- "$1" "$2/" 2>&1)
}

# Copy FILE over jobs/JOBPATH/job.FORMAT. Returns cp's status and keeps its
# message in LAST_OUTPUT.
put_definition() {
  LAST_OUTPUT=$(timeout -k 2 20 cp -- "$1" "$MNT/jobs/$2/job.$3" 2>&1)
}

# Write TEXT and a newline to FILE the way "echo TEXT > FILE" does: one
# write after an open with O_TRUNC. Returns the status, and keeps bash's
# message, which names the errno, in LAST_OUTPUT.
write_control() {
  LAST_OUTPUT=$(timeout -k 2 10 bash -c 'echo "$2" > "$1"' write_control "$1" "$2" 2>&1)
}

# Open the control FILE read-write, write REQUEST with a newline, and read
# the new id back on the same descriptor:
#   exec 3<>FILE; echo REQUEST >&3; read id <&3
# Sets NEW_ID on success. On failure returns 1 with the reason in LAST_OUTPUT.
request_id() {
  local output status
  NEW_ID=""
  output=$(timeout -k 2 10 bash -c '
    exec 3<> "$1" || exit 3
    echo "$2" >&3 || exit 4
    IFS= read -r id <&3
    printf "%s" "$id"' request_id "$1" "$2" 2> "$WORK/request.err")
  status=$?
  LAST_OUTPUT=$(cat "$WORK/request.err")
  if ((status != 0)); then
    [[ -n $LAST_OUTPUT ]] || LAST_OUTPUT="exit status $status"
    return 1
  fi
  if [[ ! $output =~ ^[0-9]+$ ]]; then
    LAST_OUTPUT="the write succeeded, but the read on the same descriptor returned '$output'"
    return 1
  fi
  NEW_ID=$output
}

# Start jobs/JOBPATH/run with REQUEST (default 1) and set RUN_ID. If no
# execution starts, record a failed check and bail out.
start_run() {
  local request=${2-1}
  request_id "$MNT/jobs/$1/run" "$request" ||
    bail_out "writing '$request' to jobs/$1/run starts an execution; it failed: $LAST_OUTPUT;" \
      "jobs/$1/.error: $(tail_of "$MNT/jobs/$1/.error" 2)"
  # shellcheck disable=SC2034 # RUN_ID is read by the test scripts.
  RUN_ID=$NEW_ID
}

# Resume execution ID with REQUEST (default 1) and set RUN_ID, or bail out.
start_resume() {
  local request=${2-1}
  request_id "$MNT/executions/$1/resume" "$request" ||
    bail_out "writing '$request' to executions/$1/resume starts an execution; it failed:" \
      "$LAST_OUTPUT; resume reads: $(tail_of "$MNT/executions/$1/resume" 2)"
  # shellcheck disable=SC2034 # RUN_ID is read by the test scripts.
  RUN_ID=$NEW_ID
}

# Write the here-document on standard input to FILES/NAME.
write_input() {
  cat > "$FILES/$1"
}

# ---- checks --------------------------------------------------------------------

# Print the strerror text that shells show for ERRNO.
errno_text() {
  case $1 in
    EINVAL) printf 'Invalid argument' ;;
    EPERM) printf 'Operation not permitted' ;;
    EBUSY) printf 'Device or resource busy' ;;
    ENOENT) printf 'No such file or directory' ;;
    EACCES) printf 'Permission denied' ;;
    *) bail_out "errno_text: unknown errno name $1" ;;
  esac
}

expect_equal() {
  if [[ $3 == "$2" ]]; then
    pass "$1"
  else
    flunk "$1" "'$2'" "'$3'"
  fi
}

expect_not_equal() {
  if [[ $3 != "$2" ]]; then
    pass "$1"
  else
    flunk "$1" "anything but '$2'" "'$3'"
  fi
}

# Check that the text ACTUAL matches the extended regular expression REGEX.
expect_match() {
  if [[ $3 =~ $2 ]]; then
    pass "$1"
  else
    flunk "$1" "text matching /$2/" "'$3'"
  fi
}

# Check that the command COMMAND... succeeds; DETAIL describes what was seen otherwise.
expect_true() {
  local what=$1 detail=$2
  shift 2
  if "$@"; then
    pass "$what"
  else
    flunk "$what" "success of: $*" "$detail"
  fi
}

expect_exists() {
  if [[ -e $2 || -L $2 ]]; then
    pass "$1"
  else
    flunk "$1" "${2#"$WORK"/} exists" "it does not"
  fi
}

expect_absent() {
  if [[ ! -e $2 && ! -L $2 ]]; then
    pass "$1"
  else
    flunk "$1" "no ${2#"$WORK"/}" "it exists"
  fi
}

# Check that FILE contains the fixed string TEXT.
expect_contains() {
  local content
  content=$(read_file "$2")
  if [[ $content == *"$3"* ]]; then
    pass "$1"
  else
    flunk "$1" "'$3' in ${2#"$WORK"/}" "$(tail_of "$2")"
  fi
}

# Check that FILE is readable and lacks the fixed string TEXT.
expect_lacks() {
  local content
  if ! content=$(read_file "$2"); then
    flunk "$1" "${2#"$WORK"/} readable" "it cannot be read"
  elif [[ $content == *"$3"* ]]; then
    flunk "$1" "no '$3' in ${2#"$WORK"/}" "$(grep -F -m 1 -- "$3" <<< "$content")"
  else
    pass "$1"
  fi
}

# Check that FILE contains exactly the text EXPECTED (a trailing newline aside).
expect_text() {
  local content
  content=$(read_file "$2")
  if [[ $content == "$3" ]]; then
    pass "$1"
  else
    flunk "$1" "'${3//$'\n'/\\n}'" "'${content//$'\n'/\\n}'"
  fi
}

# Check that jq -r FILTER applied to the JSON in FILE prints EXPECTED.
expect_json() {
  local what=$1 file=$2 filter=$3 content actual
  content=$(read_file "$file")
  if ! jq empty > /dev/null 2>&1 <<< "$content"; then
    flunk "$what" "valid JSON in ${file#"$WORK"/}" "${content:0:200}"
    return 1
  fi
  actual=$(jq -r "$filter" <<< "$content" 2>&1)
  if [[ $actual == "$4" ]]; then
    pass "$what"
  else
    flunk "$what" "$filter = '$4'" "'$actual'"
  fi
}

expect_valid_json() {
  local content
  content=$(read_file "$2")
  if [[ -n $content ]] && jq empty > /dev/null 2>&1 <<< "$content"; then
    pass "$1"
  else
    flunk "$1" "valid JSON in ${2#"$WORK"/}" "'${content:0:200}'"
  fi
}

# Check that LINK is a symbolic link resolving to the same place as TARGET.
expect_link() {
  local resolved wanted
  if [[ ! -L $2 ]]; then
    flunk "$1" "${2#"$WORK"/} is a symbolic link" "it is not (or is missing)"
    return 1
  fi
  resolved=$(timeout -k 2 10 realpath -e -- "$2" 2> /dev/null)
  wanted=$(timeout -k 2 10 realpath -e -- "$3" 2> /dev/null)
  if [[ -n $resolved && $resolved == "$wanted" ]]; then
    pass "$1"
  else
    flunk "$1" "${2#"$WORK"/} -> ${3#"$WORK"/}" "it points to '$(readlink -- "$2")'"
  fi
}

# Wait up to SECONDS (default 20) for execution ID to end, then check that
# its status is EXPECTED. Returns 1 if not.
expect_status() {
  wait_final "$1" "${3:-20}"
  if [[ $FINAL_STATUS == "$2" ]]; then
    pass "execution $1 ends $2"
  else
    flunk "execution $1 ends $2" "$2 within ${3:-20} s" \
      "'${FINAL_STATUS:-<none>}'; log: $(tail_of "$MNT/executions/$1/log")"
  fi
}

# Check that the store's row of execution ID has status EXPECTED.
expect_stored_status() {
  expect_equal "the store's row of execution $1 has status $2" "$2" \
    "$(sql "SELECT status FROM executions WHERE id = $1")"
}

# Check that the last failed write's message in LAST_OUTPUT names ERRNO.
expect_errno() {
  local text
  text=$(errno_text "$2")
  if [[ $LAST_OUTPUT == *"$text"* ]]; then
    pass "$1"
  else
    flunk "$1" "a failure with $2 ($text)" "'${LAST_OUTPUT:-<no message>}'"
  fi
}

# Check that "echo TEXT > FILE" fails with ERRNO.
expect_rejected() {
  local what=$1 errno=$2 file=$3 text=$4
  if write_control "$file" "$text"; then
    flunk "$what" "echo '$text' > ${file#"$MNT"/} fails with $errno" "the write succeeded"
    return 1
  fi
  expect_errno "$what" "$errno"
}

# Check that the executions listed in executions/ are still BEFORE.
expect_no_new_executions() {
  expect_equal "$1" "$2" "$(exec_ids)"
}

# ---- processes ------------------------------------------------------------------

# Copy sleep(1) to FILES under the test's token, so that a step running
# "$SLEEPER 60" can be found (and must be gone) later. Sets SLEEPER.
make_sleeper() {
  SLEEPER=$FILES/$TOKEN
  cp -- "$(command -v sleep)" "$SLEEPER" || bail_out "cannot copy sleep to $SLEEPER"
  "$SLEEPER" 0 || bail_out "a renamed copy of sleep does not run (a multi-call binary?)"
}

# Print how many processes carry the test's token.
count_token_processes() {
  local -a pids
  mapfile -t pids < <(pids_with "$TOKEN")
  printf '%d' "${#pids[@]}"
}

no_token_processes() {
  [[ $(count_token_processes) == 0 ]]
}

# Succeed if at least COUNT (default 1) processes carry the token.
token_processes_at_least() {
  (($(count_token_processes) >= ${1:-1}))
}

# Check that no process carries the token within SECONDS after MOMENT. Ends
# any left, by pid, so that later checks start clean.
expect_no_leftovers() {
  local pid seen=""
  if wait_until "$1" no_token_processes; then
    pass "no step process is left $1 s after $2"
    return 0
  fi
  for pid in $(pids_with "$TOKEN"); do
    seen+="$pid ($(command_line_of "$pid")) "
    kill -KILL "$pid" 2> /dev/null
  done
  flunk "no step process is left $1 s after $2" "no process running $SLEEPER" "${seen}(now killed)"
}

# ---- run as a program: the detached cleanup --------------------------------------

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  if [[ ${1:-} == --release && -n ${2:-} ]]; then
    trap '' INT TERM HUP
    release_work "$2" "${3:-}"
    exit
  fi
  printf 'usage: source lib.sh from a mount test; "bash lib.sh --release WORK [keep]" cleans up WORK\n' >&2
  exit 2
fi
