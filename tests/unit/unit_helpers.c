/* unit_helpers.c - helpers shared by the engine's Check unit tests. */
#include "unit_helpers.h"

#include <check.h>
#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "util.h"

struct job *job_from_yaml(const char *yaml)
{
	struct jf_error err = JF_ERROR_INIT;
	struct srcmap src = SRCMAP_INIT;
	json_t *root = NULL;
	struct job *job;
	int rc;

	rc = codec_decode(FORMAT_YAML, yaml, strlen(yaml), &root, &src, &err);
	ck_assert_msg(rc == 0, "decode failed: %s", err.message);
	ck_assert_msg(json_is_array(root), "the document is not a list of jobs");
	job_normalize(json_array_get(root, 0));
	job = job_parse(json_array_get(root, 0), 1, &src, &err);
	srcmap_release(&src);
	json_decref(root);
	ck_assert_msg(job != NULL, "job_parse failed at %d:%d: %s", err.line, err.column,
		      err.message);
	return job;
}

char *read_text(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = read_file(path, &sb);

	ck_assert_msg(rc == 0, "unable to read '%s': %s", path, strerror(rc));
	return sb_detach(&sb, NULL);
}

/*
 * The folder of one test program's run, removed by run_suite at the end.
 * A test that fails skips its checked teardown, so its folder is left
 * inside this one instead of directly in /tmp.
 */
static char *run_dir;

char *temp_dir_create(void)
{
	char *path = xasprintf("%s/test-XXXXXX", run_dir ? run_dir : "/tmp");

	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp failed for %s", path);
	return path;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void temp_dir_remove(char *path)
{
	if (!path)
		return;
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

bool is_utc_second(const char *text, size_t len)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";

	if (len != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (pattern[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != pattern[i])
			return false;
	}
	return true;
}

int run_suite(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	int failed;

	run_dir = xstrdup("/tmp/jobfs-unit-XXXXXX");
	if (!mkdtemp(run_dir)) {
		perror("mkdtemp /tmp/jobfs-unit-XXXXXX");
		free(run_dir);
		run_dir = NULL;
	}
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	temp_dir_remove(run_dir);
	run_dir = NULL;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
