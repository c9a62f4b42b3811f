/*
 * fuzz_argstring.c - libFuzzer target for run requests: argstrings and
 * JSON objects, and the expansion of command lines and script tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "argstring.h"
#include "options.h"
#include "vars.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct jf_error err = JF_ERROR_INIT;
	struct vars vars = VARS_INIT;
	struct strbuf out = STRBUF_INIT;
	char *text = xstrndup((const char *)data, size);
	json_t *request = NULL;
	int64_t seconds;

	if (request_parse((const char *)data, size, &request, &err) == 0)
		json_decref(request);
	vars_set(&vars, "option.name", "big world");
	vars_set(&vars, "data.k", "v; rm -rf /");
	jf_error_clear(&err);
	vars_expand_command(&vars, text, &out, &err);
	sb_reset(&out);
	vars_expand_tokens(&vars, text, &out);
	sb_reset(&out);
	vars_expand_text(&vars, text, &out);
	duration_parse(text, &seconds);
	sb_release(&out);
	vars_release(&vars);
	free(text);
	return 0;
}
