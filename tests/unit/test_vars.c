/*
 * test_vars.c - vars.h: ${...} references in command lines and text,
 * @...@ tokens in inline scripts, and RD_ environment variable names.
 *
 * vars_expand_command:
 *   command_value_stays_one_word       a value with "; touch x" is quoted
 *   command_quoted_words_stay_quoted   "a b" in the source is quoted again
 *   command_plain_words_unchanged      words without references are kept
 *   command_undefined_option_empty     ${option.nope} becomes ''
 *   command_undefined_other_kept       ${foo.bar} is kept as written
 *   command_unquotedoption_raw         ${unquotedoption.x} is not quoted
 *   command_step_scoped_lookup         ${2:data.k} reads step 2's value
 *   command_local_node_lookup          ${data.k@localhost} reads the value
 *   command_other_node_kept            ${data.k@web1} is kept as written
 *   command_glob_lookup                ${data.k*} reads the value
 *   command_rejects_unterminated       args_split's error passes through
 * vars_expand_text:
 *   text_expands_without_quoting       values go in as they are
 *   text_undefined_rules               option empty, others kept, "${}" kept
 * vars_expand_tokens:
 *   tokens_replace_option              @option.x@
 *   tokens_double_at_is_literal        @@ gives @
 *   tokens_unknown_becomes_empty       a@b@c gives ac
 *   tokens_mail_address_untouched      "mail bob@example.com"
 *   tokens_blank_before_close_kept     "@x y@" is not a token
 *   tokens_node_and_unquoted_forms     @data.k/localhost@, @unquotedoption.x@
 * vars_env_name:
 *   env_name_replaces_punctuation      option.my-opt, job.user.name
 * data context:
 *   vars_set_replaces_value            setting a name twice keeps one entry
 *   vars_remove_group_drops_members    data.* removed, database.x kept
 */
#include <check.h>
#include <stdlib.h>

#include "unit_helpers.h"
#include "vars.h"

/* The data context every test starts from. */
static void fill_vars(struct vars *vars)
{
	vars_set(vars, "option.msg", "hi; touch x");
	vars_set(vars, "option.name", "World");
	vars_set(vars, "option.spaced", "a b");
	vars_set(vars, "option.plain", "abc");
	vars_set(vars, "data.k", "current");
	vars_set(vars, "2:data.k", "from-step-2");
	vars_set(vars, "job.user.name", "alice");
}

/* Expand line as a command and compare with expected. */
static void check_command(const char *line, const char *expected)
{
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	fill_vars(&vars);
	ck_assert_msg(vars_expand_command(&vars, line, &out, &err) == 0,
		      "vars_expand_command: %s", err.message);
	ck_assert_str_eq(sb_str(&out), expected);
	sb_release(&out);
	vars_release(&vars);
}

START_TEST(command_value_stays_one_word)
{
	check_command("echo ${option.msg}", "echo 'hi; touch x'");
	check_command("echo pre-${option.msg}", "echo 'pre-hi; touch x'");
}
END_TEST

START_TEST(command_quoted_words_stay_quoted)
{
	check_command("echo \"a  b\" 'c;d'", "echo 'a  b' 'c;d'");
	check_command("echo \"Hello ${option.name}\"", "echo 'Hello World'");
}
END_TEST

START_TEST(command_plain_words_unchanged)
{
	check_command("ls  -l   /tmp", "ls -l /tmp");
	check_command("echo ${option.plain}", "echo abc");
}
END_TEST

START_TEST(command_undefined_option_empty)
{
	check_command("echo ${option.nope}", "echo ''");
	check_command("echo x${option.nope}y", "echo xy");
}
END_TEST

START_TEST(command_undefined_other_kept)
{
	check_command("echo ${foo.bar}", "echo ${foo.bar}");
	check_command("echo ${nodot}", "echo ${nodot}");
}
END_TEST

START_TEST(command_unquotedoption_raw)
{
	check_command("echo ${unquotedoption.spaced}", "echo a b");
	check_command("echo ${unquotedoption.nope}", "echo ");
}
END_TEST

START_TEST(command_step_scoped_lookup)
{
	check_command("echo ${2:data.k} ${data.k}", "echo from-step-2 current");
	check_command("echo ${3:data.k}", "echo ${3:data.k}");
}
END_TEST

START_TEST(command_local_node_lookup)
{
	check_command("echo ${data.k@localhost}", "echo current");
}
END_TEST

START_TEST(command_other_node_kept)
{
	check_command("echo ${data.k@web1}", "echo ${data.k@web1}");
}
END_TEST

START_TEST(command_glob_lookup)
{
	check_command("echo ${data.k*}", "echo current");
}
END_TEST

START_TEST(command_rejects_unterminated)
{
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;
	struct jf_error err = JF_ERROR_INIT;

	ck_assert_int_eq(vars_expand_command(&vars, "echo 'x", &out, &err), JF_INVALID);
	ck_assert_str_eq(err.message, "unterminated single quote in 'echo 'x': close it with '");
	sb_release(&out);
}
END_TEST

/* ---- vars_expand_text ------------------------------------------------------- */

static void check_text(const char *text, const char *expected)
{
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;

	fill_vars(&vars);
	vars_expand_text(&vars, text, &out);
	ck_assert_str_eq(sb_str(&out), expected);
	sb_release(&out);
	vars_release(&vars);
}

START_TEST(text_expands_without_quoting)
{
	check_text("Hello ${option.name}, ${option.msg}!", "Hello World, hi; touch x!");
}
END_TEST

START_TEST(text_undefined_rules)
{
	check_text("[${option.nope}]", "[]");
	check_text("[${foo.bar}]", "[${foo.bar}]");
	check_text("${} ${ option.name} $option.name", "${} ${ option.name} $option.name");
}
END_TEST

/* ---- vars_expand_shell_tokens ------------------------------------------------ */

static void check_shell_tokens(const char *body, const char *expected)
{
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;

	fill_vars(&vars);
	vars_set(&vars, "option.evil", "a\"'$(id)`id`\\");
	vars_expand_shell_tokens(&vars, body, &out);
	ck_assert_str_eq(sb_str(&out), expected);
	sb_release(&out);
	vars_release(&vars);
}

START_TEST(shell_tokens_plain_quoted)
{
	check_shell_tokens("echo @option.msg@\n", "echo 'hi; touch x'\n");
	check_shell_tokens("echo @option.name@", "echo World");
}
END_TEST

START_TEST(shell_tokens_in_double_quotes)
{
	check_shell_tokens("echo \"v=@option.spaced@\"", "echo \"v=a b\"");
	check_shell_tokens("echo \"@option.evil@\"", "echo \"a\\\"'\\$(id)\\`id\\`\\\\\"");
}
END_TEST

START_TEST(shell_tokens_in_single_quotes)
{
	check_shell_tokens("echo '@option.evil@'", "echo 'a\"'\\''$(id)`id`\\'");
}
END_TEST

START_TEST(shell_tokens_in_heredocs)
{
	check_shell_tokens("cat <<EOF\n@option.evil@\nEOF\necho @option.name@\n",
			   "cat <<EOF\na\"'\\$(id)\\`id\\`\\\\\nEOF\necho World\n");
	check_shell_tokens("cat <<'EOF'\n@option.msg@\nEOF\n", "cat <<'EOF'\nhi; touch x\nEOF\n");
}
END_TEST

START_TEST(shell_tokens_comments_and_at)
{
	check_shell_tokens("# @option.name@\nmail@@example.org @x y@", "# @option.name@\nmail@example.org @x y@");
}
END_TEST

/* ---- vars_expand_tokens ----------------------------------------------------- */

static void check_tokens(const char *body, const char *expected)
{
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;

	fill_vars(&vars);
	vars_expand_tokens(&vars, body, &out);
	ck_assert_str_eq(sb_str(&out), expected);
	sb_release(&out);
	vars_release(&vars);
}

START_TEST(tokens_replace_option)
{
	check_tokens("echo @option.name@\n", "echo World\n");
	check_tokens("echo '@option.msg@'", "echo 'hi; touch x'");
}
END_TEST

START_TEST(tokens_double_at_is_literal)
{
	check_tokens("user@@example.org", "user@example.org");
	check_tokens("@@option.name@@", "@option.name@");
}
END_TEST

START_TEST(tokens_unknown_becomes_empty)
{
	check_tokens("a@b@c", "ac");
	check_tokens("[@option.nope@]", "[]");
}
END_TEST

START_TEST(tokens_mail_address_untouched)
{
	check_tokens("mail bob@example.com", "mail bob@example.com");
	check_tokens("trailing @", "trailing @");
}
END_TEST

START_TEST(tokens_blank_before_close_kept)
{
	check_tokens("@x y@", "@x y@");
	check_tokens("@option.name\n@", "@option.name\n@");
}
END_TEST

START_TEST(tokens_node_and_unquoted_forms)
{
	check_tokens("@data.k/localhost@", "current");
	check_tokens("[@data.k/web1@]", "[]");
	check_tokens("@unquotedoption.spaced@", "a b");
	check_tokens("@data.k*@", "current");
}
END_TEST

/* ---- vars_env_name ---------------------------------------------------------- */

static void check_env_name(const char *name, const char *expected)
{
	char *env = vars_env_name(name);

	ck_assert_str_eq(env, expected);
	free(env);
}

START_TEST(env_name_replaces_punctuation)
{
	check_env_name("option.my-opt", "RD_OPTION_MY_OPT");
	check_env_name("job.user.name", "RD_JOB_USER_NAME");
	check_env_name("node.os-family", "RD_NODE_OS_FAMILY");
	check_env_name("data.Build_id", "RD_DATA_BUILD_ID");
}
END_TEST

/* ---- the data context ------------------------------------------------------- */

START_TEST(vars_set_replaces_value)
{
	struct vars vars = VARS_INIT;

	vars_set(&vars, "data.k", "one");
	vars_set(&vars, "data.k", "two");
	ck_assert_uint_eq(vars.len, 1);
	ck_assert_str_eq(vars_get(&vars, "data.k"), "two");
	ck_assert_ptr_null(vars_get(&vars, "data.other"));
	vars_release(&vars);
}
END_TEST

START_TEST(vars_remove_group_drops_members)
{
	struct vars vars = VARS_INIT;

	vars_set(&vars, "data.a", "1");
	vars_set(&vars, "database.x", "2");
	vars_set(&vars, "data.b", "3");
	vars_remove_group(&vars, "data");
	ck_assert_uint_eq(vars.len, 1);
	ck_assert_str_eq(vars_get(&vars, "database.x"), "2");
	vars_release(&vars);
}
END_TEST

static Suite *vars_suite(void)
{
	Suite *s = suite_create("vars");
	TCase *command = tcase_create("vars_expand_command");
	TCase *text = tcase_create("vars_expand_text");
	TCase *tokens = tcase_create("vars_expand_tokens");
	TCase *names = tcase_create("names");

	tcase_add_test(command, command_value_stays_one_word);
	tcase_add_test(command, command_quoted_words_stay_quoted);
	tcase_add_test(command, command_plain_words_unchanged);
	tcase_add_test(command, command_undefined_option_empty);
	tcase_add_test(command, command_undefined_other_kept);
	tcase_add_test(command, command_unquotedoption_raw);
	tcase_add_test(command, command_step_scoped_lookup);
	tcase_add_test(command, command_local_node_lookup);
	tcase_add_test(command, command_other_node_kept);
	tcase_add_test(command, command_glob_lookup);
	tcase_add_test(command, command_rejects_unterminated);
	suite_add_tcase(s, command);

	tcase_add_test(text, text_expands_without_quoting);
	tcase_add_test(text, text_undefined_rules);
	suite_add_tcase(s, text);

	tcase_add_test(tokens, tokens_replace_option);
	tcase_add_test(tokens, shell_tokens_plain_quoted);
	tcase_add_test(tokens, shell_tokens_in_double_quotes);
	tcase_add_test(tokens, shell_tokens_in_single_quotes);
	tcase_add_test(tokens, shell_tokens_in_heredocs);
	tcase_add_test(tokens, shell_tokens_comments_and_at);
	tcase_add_test(tokens, tokens_double_at_is_literal);
	tcase_add_test(tokens, tokens_unknown_becomes_empty);
	tcase_add_test(tokens, tokens_mail_address_untouched);
	tcase_add_test(tokens, tokens_blank_before_close_kept);
	tcase_add_test(tokens, tokens_node_and_unquoted_forms);
	suite_add_tcase(s, tokens);

	tcase_add_test(names, env_name_replaces_punctuation);
	tcase_add_test(names, vars_set_replaces_value);
	tcase_add_test(names, vars_remove_group_drops_members);
	suite_add_tcase(s, names);
	return s;
}

int main(void)
{
	return run_suite(vars_suite());
}
