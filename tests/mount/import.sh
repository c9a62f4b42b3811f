#!/usr/bin/env bash
# Importing job definitions by copying files into jobs/: YAML, JSON and XML
# files, group folders, all-or-nothing rejection, and the job folder's own
# definition files (replace, move by group or name, delete with rmdir).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount

# Print the uuid stored for the job GROUP/NAME ("" when there is none).
stored_uuid() {
  sql "SELECT uuid FROM jobs WHERE grp = '$1' AND name = '$2'"
}

job_count() {
  sql "SELECT count(*) FROM jobs"
}

# ---- YAML into jobs/ ----------------------------------------------------------

write_input catalog.yaml << 'EOF'
- name: build
  group: shop/web
  description: A job in a nested group
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: echo building
- name: standalone
  description: A job without a group
  sequence:
    commands:
    - exec: echo standalone-ran
EOF

if import_file "$FILES/catalog.yaml" "$MNT/jobs"; then
  pass "cp catalog.yaml into jobs/ succeeds"
else
  bail_out "cp catalog.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT; jobs/.error: $(tail_of "$MNT/jobs/.error" 2)"
fi
expect_true "jobs/shop/web/build is a folder" "it is not" test -d "$MNT/jobs/shop/web/build"
expect_true "a job without a group sits at the top of jobs/" "no folder jobs/standalone" \
  test -d "$MNT/jobs/standalone"
for file in job.yaml job.xml job.json run executions; do
  expect_exists "the job folder holds $file" "$MNT/jobs/shop/web/build/$file"
done
expect_absent "the imported file itself is not listed" "$MNT/jobs/catalog.yaml"
expect_equal "the store holds both jobs" 2 "$(job_count)"
expect_equal "the store keeps the nested group" 1 \
  "$(sql "SELECT count(*) FROM jobs WHERE grp = 'shop/web' AND name = 'build'")"
expect_equal "the store keeps the job without a group under the empty group" 1 \
  "$(sql "SELECT count(*) FROM jobs WHERE grp = '' AND name = 'standalone'")"

build_uuid=$(stored_uuid shop/web build)
expect_match "the store gives the job a uuid" '^[0-9a-fA-F-]{36}$' "$build_uuid"
expect_json "job.json shows the stored uuid" "$MNT/jobs/shop/web/build/job.json" \
  '(if type == "array" then .[0] else . end).uuid' "$build_uuid"
expect_json "job.json shows the name" "$MNT/jobs/shop/web/build/job.json" \
  '(if type == "array" then .[0] else . end).name' build
expect_json "job.json shows the group" "$MNT/jobs/shop/web/build/job.json" \
  '(if type == "array" then .[0] else . end).group' shop/web
expect_contains "job.yaml shows the command" "$MNT/jobs/shop/web/build/job.yaml" "echo building"
expect_contains "job.xml is a Rundeck joblist" "$MNT/jobs/shop/web/build/job.xml" "<joblist"

start_run shop/web/build
expect_status "$RUN_ID" succeeded
expect_text "the imported job prints its output" "$MNT/executions/$RUN_ID/log" building

# Importing the same file again updates the jobs and keeps their uuids.
if import_file "$FILES/catalog.yaml" "$MNT/jobs"; then
  pass "importing catalog.yaml a second time succeeds"
else
  flunk "importing catalog.yaml a second time succeeds" "cp exit status 0" "$LAST_OUTPUT"
fi
expect_equal "a second import creates no duplicate jobs" 2 "$(job_count)"
expect_equal "a second import keeps the uuid" "$build_uuid" "$(stored_uuid shop/web build)"

# ---- JSON into a group folder ---------------------------------------------------

write_input more.json << 'EOF'
[
  {"name": "ship", "description": "Takes the folder's group",
   "sequence": {"commands": [{"exec": "echo shipping"}]}},
  {"name": "audit", "group": "ops", "description": "Keeps its own group",
   "sequence": {"commands": [{"exec": "echo auditing"}]}}
]
EOF
if import_file "$FILES/more.json" "$MNT/jobs/shop"; then
  pass "cp more.json into jobs/shop/ succeeds"
else
  bail_out "cp more.json into jobs/shop/ succeeds; it failed: $LAST_OUTPUT"
fi
expect_true "a job without a group takes the folder's group" "no jobs/shop/ship" \
  test -d "$MNT/jobs/shop/ship"
expect_true "a job's own group wins over the folder's" "no jobs/ops/audit" \
  test -d "$MNT/jobs/ops/audit"
expect_absent "the job with its own group is not put under the folder" "$MNT/jobs/shop/audit"
expect_absent "the imported JSON file itself is not listed" "$MNT/jobs/shop/more.json"
expect_equal "the store records the folder's group" 1 \
  "$(sql "SELECT count(*) FROM jobs WHERE grp = 'shop' AND name = 'ship'")"
expect_equal "the store records the job's own group" 1 \
  "$(sql "SELECT count(*) FROM jobs WHERE grp = 'ops' AND name = 'audit'")"

# ---- XML into jobs/ ---------------------------------------------------------------

write_input one.xml << 'EOF'
<joblist>
  <job>
    <name>report</name>
    <group>xml/jobs</group>
    <description>Imported from Rundeck XML</description>
    <sequence keepgoing="false" strategy="node-first">
      <command><exec>echo from-xml</exec></command>
    </sequence>
  </job>
</joblist>
EOF
if import_file "$FILES/one.xml" "$MNT/jobs"; then
  pass "cp one.xml into jobs/ succeeds"
else
  flunk "cp one.xml into jobs/ succeeds" "cp exit status 0" "$LAST_OUTPUT"
fi
if [[ -e $MNT/jobs/xml/jobs/report/run ]]; then
  pass "the XML job has its folder jobs/xml/jobs/report"
  start_run xml/jobs/report
  expect_status "$RUN_ID" succeeded
  expect_text "the XML job prints its output" "$MNT/executions/$RUN_ID/log" from-xml
else
  flunk "the XML job has its folder jobs/xml/jobs/report" "a folder with run" "none"
fi

# ---- all or nothing ----------------------------------------------------------------

count_before=$(job_count)
write_input half-bad.yaml << 'EOF'
- name: fine
  group: mixed
  sequence:
    commands:
    - exec: echo fine
- group: mixed
  description: This job has no name
  sequence:
    commands:
    - exec: echo nameless
EOF
if import_file "$FILES/half-bad.yaml" "$MNT/jobs"; then
  flunk "cp of a file with one job lacking a name fails" "a failed cp" "cp succeeded"
else
  pass "cp of a file with one job lacking a name fails"
  expect_errno "cp of half-bad.yaml fails with EINVAL" EINVAL
fi
expect_absent "the good job of a rejected file is not imported" "$MNT/jobs/mixed"
expect_equal "a rejected file adds no job to the store" "$count_before" "$(job_count)"
expect_contains "jobs/.error names the missing key" "$MNT/jobs/.error" name

write_input bad-step.json << 'EOF'
[{"name": "fine2", "group": "mixed", "sequence": {"commands": [{"exec": "true"}]}},
 {"name": "odd", "group": "mixed", "sequence": {"commands": [{"teleport": "now"}]}}]
EOF
if import_file "$FILES/bad-step.json" "$MNT/jobs"; then
  flunk "cp of a JSON file with a step of no known kind fails" "a failed cp" "cp succeeded"
else
  pass "cp of a JSON file with a step of no known kind fails"
  expect_errno "cp of bad-step.json fails with EINVAL" EINVAL
fi
expect_contains "jobs/.error names the unknown step key" "$MNT/jobs/.error" teleport
expect_absent "no job of the rejected JSON file is imported" "$MNT/jobs/mixed"
expect_equal "the rejected JSON file adds no job to the store" "$count_before" "$(job_count)"

# A file whose name is not .yaml, .yml, .json or .xml is no job file.
cp -- "$FILES/catalog.yaml" "$FILES/notes.txt"
if import_file "$FILES/notes.txt" "$MNT/jobs"; then
  flunk "cp notes.txt into jobs/ fails" "a failed cp" "cp succeeded"
else
  pass "cp notes.txt into jobs/ fails"
  expect_errno "cp notes.txt into jobs/ fails with EINVAL" EINVAL
fi
expect_absent "notes.txt does not appear in jobs/" "$MNT/jobs/notes.txt"
expect_contains "jobs/.error names the rejected file" "$MNT/jobs/.error" notes.txt
expect_equal "a rejected notes.txt adds no job" "$count_before" "$(job_count)"

# ---- writing a job's own definition ----------------------------------------------

ship_uuid=$(stored_uuid shop ship)
write_input ship-v2.yaml << 'EOF'
name: ship
group: shop
description: Written as a bare map
sequence:
  commands:
  - exec: echo shipping-v2
EOF
if put_definition "$FILES/ship-v2.yaml" shop/ship yaml; then
  pass "cp of a bare YAML map over job.yaml succeeds"
else
  flunk "cp of a bare YAML map over job.yaml succeeds" "cp exit status 0" \
    "$LAST_OUTPUT; .error: $(tail_of "$MNT/jobs/shop/ship/.error" 2)"
fi
expect_contains "job.yaml shows the new command" "$MNT/jobs/shop/ship/job.yaml" shipping-v2
expect_equal "replacing job.yaml keeps the uuid" "$ship_uuid" "$(stored_uuid shop ship)"
expect_equal "replacing job.yaml adds no job" "$count_before" "$(job_count)"
start_run shop/ship
expect_status "$RUN_ID" succeeded
expect_text "a run after the replace uses the new definition" "$MNT/executions/$RUN_ID/log" shipping-v2
first_ship_run=$RUN_ID

write_input ship-v3.json << 'EOF'
{"name": "ship", "group": "shop", "description": "Written as a bare JSON object",
 "sequence": {"commands": [{"exec": "echo shipping-v3"}]}}
EOF
if put_definition "$FILES/ship-v3.json" shop/ship json; then
  pass "cp of a bare JSON object over job.json succeeds"
else
  flunk "cp of a bare JSON object over job.json succeeds" "cp exit status 0" "$LAST_OUTPUT"
fi
expect_contains "job.yaml follows a write to job.json" "$MNT/jobs/shop/ship/job.yaml" shipping-v3
expect_equal "replacing job.json keeps the uuid" "$ship_uuid" "$(stored_uuid shop ship)"

write_input two-jobs.yaml << 'EOF'
- name: ship
  group: shop
  sequence:
    commands:
    - exec: echo one
- name: extra
  group: shop
  sequence:
    commands:
    - exec: echo two
EOF
if put_definition "$FILES/two-jobs.yaml" shop/ship yaml; then
  flunk "cp of two jobs over job.yaml fails" "a failed cp" "cp succeeded"
else
  pass "cp of two jobs over job.yaml fails"
  expect_errno "cp of two jobs over job.yaml fails with EINVAL" EINVAL
fi
expect_contains "a rejected write leaves job.yaml as it was" "$MNT/jobs/shop/ship/job.yaml" shipping-v3
expect_absent "a rejected write creates no other job" "$MNT/jobs/shop/extra"
expect_true "the job's .error explains the rejected write" "it is empty" \
  test -n "$(read_file "$MNT/jobs/shop/ship/.error")"

# A changed group moves the folder, and the job keeps its uuid and executions.
sed 's/^group: shop$/group: shop\/archive/' "$FILES/ship-v2.yaml" > "$FILES/ship-moved.yaml"
if put_definition "$FILES/ship-moved.yaml" shop/ship yaml; then
  pass "cp of a definition with a new group over job.yaml succeeds"
else
  flunk "cp of a definition with a new group over job.yaml succeeds" "cp exit status 0" "$LAST_OUTPUT"
fi
expect_absent "the old folder is gone after a group change" "$MNT/jobs/shop/ship"
expect_true "the job appears under its new group" "no jobs/shop/archive/ship" \
  test -e "$MNT/jobs/shop/archive/ship/run"
expect_equal "the moved job keeps its uuid" "$ship_uuid" "$(stored_uuid shop/archive ship)"
expect_link "the earlier execution's job link follows the move" \
  "$MNT/executions/$first_ship_run/job" "$MNT/jobs/shop/archive/ship"
expect_link "the moved job still lists its execution" \
  "$MNT/jobs/shop/archive/ship/executions/$first_ship_run" "$MNT/executions/$first_ship_run"

# A changed name moves the folder too.
sed 's/^name: ship$/name: dispatch/; s/^group: shop$/group: shop\/archive/' "$FILES/ship-v2.yaml" \
  > "$FILES/ship-renamed.yaml"
if put_definition "$FILES/ship-renamed.yaml" shop/archive/ship yaml; then
  pass "cp of a definition with a new name over job.yaml succeeds"
else
  flunk "cp of a definition with a new name over job.yaml succeeds" "cp exit status 0" "$LAST_OUTPUT"
fi
expect_absent "the old folder is gone after a rename" "$MNT/jobs/shop/archive/ship"
expect_true "the job appears under its new name" "no jobs/shop/archive/dispatch" \
  test -e "$MNT/jobs/shop/archive/dispatch/run"
expect_equal "the renamed job keeps its uuid" "$ship_uuid" "$(stored_uuid shop/archive dispatch)"

# ---- deleting a job with rmdir --------------------------------------------------------

build_run=$(link_id "$MNT/jobs/shop/web/build/last")
if timeout -k 2 10 rmdir -- "$MNT/jobs/shop/web/build" 2> "$WORK/rmdir.err"; then
  pass "rmdir jobs/shop/web/build succeeds"
else
  flunk "rmdir jobs/shop/web/build succeeds" "exit status 0" "$(cat "$WORK/rmdir.err")"
fi
expect_absent "the deleted job's folder is gone" "$MNT/jobs/shop/web/build"
expect_equal "the store no longer holds the deleted job" 0 \
  "$(sql "SELECT count(*) FROM jobs WHERE uuid = '$build_uuid'")"
expect_absent "the emptied group folder is gone" "$MNT/jobs/shop/web"
expect_true "the deleted job's execution stays listed" "no executions/$build_run" \
  test -d "$MNT/executions/$build_run"
expect_equal "the deleted job's execution keeps its status" succeeded "$(status_of "$build_run")"
expect_json "execution.json marks the job as deleted" "$MNT/executions/$build_run/execution.json" \
  .jobDeleted true

finish
