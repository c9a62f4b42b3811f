#!/usr/bin/env bash
# Option values: defaults, required, enforced allowed values, regex,
# multivalued lists, JSON scalars, secure values, and every way a step can
# read a value (${option.X}, @option.X@, RD_OPTION_X, script args), each
# checked with values that would run a command if a shell parsed them again.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_mount

write_input options.yaml << 'EOF'
- name: rules
  group: opt
  description: Validated options with defaults
  options:
  - name: env
    value: dev
    values: [dev, qa, prod]
    enforced: true
  - name: count
    regex: '^[0-9]+$'
    required: true
  - name: msg
    value: hello world
  - name: tags
    multivalued: true
    delimiter: '+'
    values: [red, green, blue]
    enforced: true
  - name: my-opt
    value: dashed
  - name: unset
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - exec: 'echo env=${option.env} count=${option.count} tags=${option.tags} unset=[${option.unset}]'
    - script: |
        #!/bin/sh
        echo "token=@option.msg@ variable=$RD_OPTION_MSG dashed=$RD_OPTION_MY_OPT"
    - exec: "printf '[%s]\\n' ${option.msg}"
- name: carry
  group: opt
  description: Print one free value through each way a step can read it
  options:
  - name: val
    required: true
  - name: mark
    required: true
  sequence:
    keepgoing: true
    strategy: sequential
    commands:
    - exec: "printf 'exec<%s>\\n' ${option.val}"
    - script: |
        #!/bin/sh
        printf 'args<%s>\n' "$1"
      args: '${option.val}'
    - script: |
        #!/bin/sh
        printf 'env<%s>\n' "$RD_OPTION_VAL"
    - script: |
        #!/bin/sh
        printf 'token<%s>\n' "@option.val@"
- name: secret
  group: opt
  description: Use a secure value, then fail so that a resume state is stored
  options:
  - name: password
    secure: true
    valueExposed: true
  - name: user
    value: ops
  plugins:
    ExecutionLifecycle:
      resume: {}
  sequence:
    keepgoing: false
    strategy: sequential
    commands:
    - script: |
        #!/bin/sh
        echo "user=$RD_OPTION_USER password=$RD_OPTION_PASSWORD"
    - exec: 'false'
EOF
import_file "$FILES/options.yaml" "$MNT/jobs" ||
  bail_out "cp options.yaml into jobs/ succeeds; it failed: $LAST_OUTPUT"
rules=$MNT/jobs/opt/rules

# ---- defaults and the three ways to read a value ------------------------------------

start_run opt/rules "-count 3"
expect_status "$RUN_ID" succeeded
log=$MNT/executions/$RUN_ID/log
expect_contains "defaults fill the options not given" "$log" "env=dev count=3"
expect_contains "an option without value or default expands to nothing" "$log" "unset=[]"
expect_contains "a default with a space reaches @option.X@ and RD_OPTION_X whole" "$log" \
  "token=hello world variable=hello world"
expect_contains "a dash in an option name becomes _ in RD_OPTION_X" "$log" "dashed=dashed"
expect_contains "\${option.X} stays one argument when its value has a space" "$log" "[hello world]"
expect_json "execution.json lists the option values used" "$MNT/executions/$RUN_ID/execution.json" \
  '.job.options.env + " " + .job.options.count' "dev 3"

# In an argstring, as in Rundeck, a doubled quote inside quotes is a literal quote.
start_run opt/rules '-count 12 -env prod -msg "say ""hi""" -tags green'
expect_status "$RUN_ID" succeeded
log=$MNT/executions/$RUN_ID/log
expect_contains "an argstring sets an enforced value" "$log" "env=prod count=12 tags=green"
expect_contains "doubled quotes in an argstring reach the step as one quote" "$log" '[say "hi"]'

start_run opt/rules '{"count": 7, "tags": ["red", "blue"]}'
expect_status "$RUN_ID" succeeded
expect_contains "a JSON number becomes the value's text, and a list is joined by the delimiter" \
  "$MNT/executions/$RUN_ID/log" "count=7 tags=red+blue"

# ---- values that break a rule are rejected ----------------------------------------------

before=$(exec_ids)
expect_rejected "a value failing the regex is rejected" EINVAL "$rules/run" "-count 12a"
expect_contains ".error names the option that failed its regex" "$rules/.error" count
expect_rejected "a missing required option is rejected" EINVAL "$rules/run" "-env qa"
expect_contains ".error names the missing required option" "$rules/.error" count
expect_rejected "an empty value for a required option is rejected" EINVAL "$rules/run" "-count ''"
expect_rejected "a value outside the enforced list is rejected" EINVAL "$rules/run" "-count 1 -env staging"
expect_contains ".error names the value outside the allowed list" "$rules/.error" staging
expect_rejected "one bad item in a multivalued list is rejected" EINVAL "$rules/run" \
  '{"count": "1", "tags": ["red", "pink"]}'
expect_rejected "a list for an option that takes one value is rejected" EINVAL "$rules/run" \
  '{"count": ["1", "2"]}'
expect_rejected "a JSON null value is rejected" EINVAL "$rules/run" '{"count": null}'
expect_rejected "an unknown option is rejected" EINVAL "$rules/run" "-count 1 -region eu"
expect_contains ".error names the unknown option" "$rules/.error" region
expect_rejected "a JSON request with a duplicate key is rejected" EINVAL "$rules/run" \
  '{"count": "1", "count": "2"}'
expect_no_new_executions "rejected values start no execution" "$before"

# ---- a value is data, never shell code ---------------------------------------------------

# Run opt/carry with VALUE and mark MARK. Each way of reading the value
# prints it between <>. None may run the commands the value contains, which
# would create files named MARK.* in FILES.
carry() {
  local what=$1 value=$2 mark=$3 request way
  request=$(jq -cn --arg val "$value" --arg mark "$mark" '{val: $val, mark: $mark}')
  start_run opt/carry "$request"
  expect_status "$RUN_ID" succeeded
  for way in exec args env token; do
    expect_contains "$what: $way prints the value unchanged" "$MNT/executions/$RUN_ID/log" \
      "$way<$value>"
  done
  expect_equal "$what: no command in the value ran" "" \
    "$(cd "$FILES" && ls -d -- "$mark".* 2> /dev/null | tr '\n' ' ')"
}

carry "a value with ;" "a; touch $FILES/semi.1" semi
carry "a value with \$( )" "\$(touch $FILES/subst.1)" subst
carry "a value with backquotes" "\`touch $FILES/tick.1\`" tick
carry "a value with a double quote" "x\"; touch $FILES/dq.1; echo \"" dq
carry "a value with a single quote" "x'; touch $FILES/sq.1; echo '" sq
carry "a value with a pipe and a redirection" "x | touch $FILES/pipe.1 > $FILES/pipe.2" pipe
carry "a value with \${ }" "\${PATH} and \${option.mark}" braces

# ---- secure values are kept out of what jobfs writes -------------------------------------

start_run opt/secret '-password Hunter2-xyzzy -user deploy'
secret=$RUN_ID
expect_status "$secret" failed
expect_contains "an exposed secure value reaches the step" "$MNT/executions/$secret/log" "user=deploy password="
for file in log state execution.json .resume.json; do
  expect_lacks "executions/ID/$file holds no secure value" "$MNT/executions/$secret/$file" Hunter2-xyzzy
done
for name in "$secret.rdlog" "$secret.log" "$secret.state.json" "$secret.resume.json"; do
  if [[ -e $(stored "$name") ]]; then
    expect_lacks "log storage file $name holds no secure value" "$(stored "$name")" Hunter2-xyzzy
  else
    flunk "log storage holds $name" "a file $(stored "$name")" "none"
  fi
done
# Search a dump of the whole database, so that the check stays valid
# whichever table keeps option values and checkpoints.
database_dump=$(sql .dump)
expect_match "the database can be dumped" 'CREATE TABLE' "${database_dump:0:2000}"
expect_equal "the database holds no secure value" 0 "$(grep -c Hunter2-xyzzy <<< "$database_dump")"
expect_json "execution.json keeps the plain option" "$MNT/executions/$secret/execution.json" \
  .job.options.user deploy

finish
