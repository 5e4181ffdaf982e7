/* handle_api_versions.c: ApiVersions, answered from the table in api_support.c. */
#include "broker/api_support.h"
#include "broker/handlers.h"
#include "proto/errors.h"
#include "proto/gen/api_versions.h"

/* Kafka's rule for ClientSoftwareName/Version: [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static bool software_field_valid(gr_str s) {
    if (s.len <= 0) return false;
    for (int32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool inner = c == '-' || c == '.';
        if (!alnum && !(inner && i > 0 && i < s.len - 1)) return false;
    }
    return true;
}

void gr_handle_api_versions(gr_request *req) {
    const gr_api_versions_request *in = req->body;
    gr_api_versions_response *out = gr_request_new_response(req);
    if (req->api_version >= 3 && (!software_field_valid(in->client_software_name) ||
                                  !software_field_valid(in->client_software_version))) {
        out->error_code = GR_ERR_INVALID_REQUEST;
    }
    int n = 0;
    for (int i = 0; i < gr_api_supported_count; i++)
        if (gr_api_supported[i].handler) n++;
    out->api_keys.items = gr_request_alloc(req, (size_t)n * sizeof out->api_keys.items[0]);
    out->api_keys.count = n;
    int k = 0;
    for (int i = 0; i < gr_api_supported_count; i++) {
        const gr_api_support *a = &gr_api_supported[i];
        if (!a->handler) continue;
        gr_api_versions_response_api_version *e = &out->api_keys.items[k++];
        gr_api_versions_response_api_version_init(e);
        e->api_key = a->key;
        e->min_version = a->min_version;
        e->max_version = a->max_version;
    }
    gr_request_reply(req, out);
}
