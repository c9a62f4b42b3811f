/* Temporary stand-in until the XML codec lands. */
#include "codec.h"
int codec_xml_decode(const char *data, size_t len, json_t **out, struct srcmap *map, struct jf_error *err)
{ (void)data; (void)len; (void)map; *out = NULL; return jf_fail(err, JF_INVALID, "XML is not supported yet"); }
int codec_xml_encode(const json_t *jobs, struct strbuf *out, struct jf_error *err)
{ (void)jobs; (void)out; return jf_fail(err, JF_INVALID, "XML is not supported yet"); }
