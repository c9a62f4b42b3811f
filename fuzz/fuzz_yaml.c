/* fuzz_yaml.c - libFuzzer target for the YAML job codec. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	return fuzz_codec(FORMAT_YAML, data, size);
}
