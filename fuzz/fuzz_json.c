/* fuzz_json.c - libFuzzer target for the JSON job codec. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_codec(FORMAT_JSON, data, size);
}
