"""The raw-frame helpers (kafkawire) against the broker: the ApiVersions exchange every client
starts with, which other tests' raw frames build on."""

import kafkawire


def test_api_versions_lists_core_apis(broker):
    apis = kafkawire.api_versions(broker.bootstrap)
    for key in (kafkawire.API_PRODUCE, kafkawire.API_FETCH, kafkawire.API_LIST_OFFSETS,
                kafkawire.API_METADATA, kafkawire.API_API_VERSIONS, kafkawire.API_CREATE_TOPICS):
        assert key in apis, "API key %d missing from %r" % (key, sorted(apis))
        lo, hi = apis[key]
        assert 0 <= lo <= hi
    assert apis[kafkawire.API_API_VERSIONS][0] == 0


def test_unsupported_api_versions_version_gets_v0_error_body(raw_conn):
    # A client newer than the broker sends an ApiVersions version the broker does not know; the
    # answer is a v0 body with UNSUPPORTED_VERSION (35) and the supported range, so it can retry.
    # Such a client uses the flexible request header (v2), as for ApiVersions v3+.
    c = raw_conn()
    body = kafkawire.compact_string("test-client") + kafkawire.compact_string("1.0") + kafkawire.EMPTY_TAGS
    cid = c.send_request(kafkawire.API_API_VERSIONS, 999, body, flexible=True)
    payload = c.recv_frame()
    assert payload is not None, "broker closed the connection"
    got_cid, error, apis = kafkawire.parse_api_versions_v0(payload)
    assert got_cid == cid
    assert error == 35
    assert kafkawire.API_API_VERSIONS in apis


def test_requests_on_one_connection_are_answered_in_order(raw_conn):
    c = raw_conn()
    ids = [c.send_request(kafkawire.API_API_VERSIONS, 0) for _ in range(20)]
    got = []
    for _ in ids:
        payload = c.recv_frame()
        assert payload is not None
        got.append(kafkawire.parse_api_versions_v0(payload)[0])
    assert got == ids
