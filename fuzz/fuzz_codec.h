/*
 * fuzz_codec.h - the body shared by the YAML and JSON fuzz targets: decode,
 * and on success normalize and validate every job, then encode the result
 * in the same format and decode it again, which must succeed.
 */
#ifndef JOBFS_FUZZ_CODEC_H
#define JOBFS_FUZZ_CODEC_H

#include <stdlib.h>

#include "codec.h"
#include "job.h"

static int fuzz_codec(enum job_format format, const unsigned char *data, size_t size)
{
	struct jf_error err = JF_ERROR_INIT;
	struct srcmap src = SRCMAP_INIT;
	struct strbuf text = STRBUF_INIT;
	json_t *root = NULL, *again = NULL;
	size_t i;
	json_t *map;

	if (codec_decode(format, (const char *)data, size, &root, &src, &err) != 0) {
		srcmap_release(&src);
		return 0;
	}
	if (json_is_array(root)) {
		json_array_foreach(root, i, map) {
			struct jf_error job_err = JF_ERROR_INIT;
			struct job *job;

			job_normalize(map);
			job = job_parse(map, (int)i + 1, &src, &job_err);
			job_free(job);
		}
		if (codec_encode(format, root, &text, &err) == 0) {
			jf_error_clear(&err);
			if (codec_decode(format, sb_str(&text), text.len, &again, NULL, &err) != 0)
				abort();
		}
	}
	json_decref(again);
	json_decref(root);
	sb_release(&text);
	srcmap_release(&src);
	return 0;
}

#endif
