/*
 * fuzz_xml.c - libFuzzer target for the Rundeck XML codec.
 *
 * Any input may be rejected. An input that decodes must also encode, and
 * the encoded XML must decode to the same model and encode to the same
 * text. A difference aborts, so that libFuzzer reports it as a crash.
 *
 * Build (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iengine fuzz/fuzz_xml.c \
 *     engine/codec_xml.c engine/codec.c engine/codec_json.c engine/codec_yaml.c \
 *     engine/util.c $(pkg-config --cflags --libs libxml-2.0 jansson yaml-0.1) -o fuzz_xml
 *   ./fuzz_xml -max_total_time=60 fuzz/corpus/xml
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static void fail(const char *problem, const struct jf_error *err, const struct strbuf *xml)
{
	fprintf(stderr, "%s: %s\n", problem, err ? err->message : "");
	if (xml)
		fprintf(stderr, "XML written:\n%s\n", sb_str(xml));
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jf_error err = JF_ERROR_INIT;
	struct srcmap map = SRCMAP_INIT;
	struct strbuf xml = STRBUF_INIT, xml_again = STRBUF_INIT;
	json_t *model = NULL, *again = NULL;

	if (codec_xml_decode((const char *)data, size, &model, &map, &err))
		goto out;
	if (codec_xml_encode(model, &xml, &err))
		fail("a decoded model failed to encode", &err, NULL);
	if (codec_xml_decode(xml.buf, xml.len, &again, NULL, &err))
		fail("encoded XML failed to decode", &err, &xml);
	if (!json_equal(model, again))
		fail("the model changed in a round trip", NULL, &xml);
	if (codec_xml_encode(again, &xml_again, &err))
		fail("the decoded round trip failed to encode", &err, &xml);
	if (xml.len != xml_again.len || memcmp(xml.buf, xml_again.buf, xml.len))
		fail("the XML changed when written a second time", NULL, &xml);
out:
	json_decref(model);
	json_decref(again);
	srcmap_release(&map);
	sb_release(&xml);
	sb_release(&xml_again);
	return 0;
}
