/*
 * api_versions.c: the hand-written ApiVersions v0 client behind api_versions.h.
 */
#include "cli/api_versions.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/reader.h"

#define API_KEY_API_VERSIONS 18
#define API_VERSIONS_CORRELATION_ID 0x67726567 /* "greg" */

static const char *const api_names[] = {
    "Produce",
    "Fetch",
    "ListOffsets",
    "Metadata",
    "LeaderAndIsr",
    "StopReplica",
    "UpdateMetadata",
    "ControlledShutdown",
    "OffsetCommit",
    "OffsetFetch",
    "FindCoordinator",
    "JoinGroup",
    "Heartbeat",
    "LeaveGroup",
    "SyncGroup",
    "DescribeGroups",
    "ListGroups",
    "SaslHandshake",
    "ApiVersions",
    "CreateTopics",
    "DeleteTopics",
    "DeleteRecords",
    "InitProducerId",
    "OffsetForLeaderEpoch",
    "AddPartitionsToTxn",
    "AddOffsetsToTxn",
    "EndTxn",
    "WriteTxnMarkers",
    "TxnOffsetCommit",
    "DescribeAcls",
    "CreateAcls",
    "DeleteAcls",
    "DescribeConfigs",
    "AlterConfigs",
    "AlterReplicaLogDirs",
    "DescribeLogDirs",
    "SaslAuthenticate",
    "CreatePartitions",
    "CreateDelegationToken",
    "RenewDelegationToken",
    "ExpireDelegationToken",
    "DescribeDelegationToken",
    "DeleteGroups",
    "ElectLeaders",
    "IncrementalAlterConfigs",
    "AlterPartitionReassignments",
    "ListPartitionReassignments",
    "OffsetDelete",
    "DescribeClientQuotas",
    "AlterClientQuotas",
    "DescribeUserScramCredentials",
    "AlterUserScramCredentials",
    "Vote",
    "BeginQuorumEpoch",
    "EndQuorumEpoch",
    "DescribeQuorum",
    "AlterPartition",
    "UpdateFeatures",
    "Envelope",
    "FetchSnapshot",
    "DescribeCluster",
    "DescribeProducers",
    "BrokerRegistration",
    "BrokerHeartbeat",
    "UnregisterBroker",
    "DescribeTransactions",
    "ListTransactions",
    "AllocateProducerIds",
    "ConsumerGroupHeartbeat",
    "ConsumerGroupDescribe",
    "ControllerRegistration",
    "GetTelemetrySubscriptions",
    "PushTelemetry",
    "AssignReplicasToDirs",
    "ListClientMetricsResources",
    "DescribeTopicPartitions",
    "ShareGroupHeartbeat",
    "ShareGroupDescribe",
    "ShareFetch",
    "ShareAcknowledge",
    "AddRaftVoter",
    "RemoveRaftVoter",
    "UpdateRaftVoter",
    "InitializeShareGroupState",
    "ReadShareGroupState",
    "WriteShareGroupState",
    "DeleteShareGroupState",
    "ReadShareGroupStateSummary",
};

const char *gr_api_key_name(int16_t key) {
    if (key < 0 || (size_t)key >= sizeof api_names / sizeof api_names[0]) return NULL;
    return api_names[key];
}

int gr_api_versions_parse(const uint8_t *data, size_t len, int32_t correlation_id, gr_api_versions *out) {
    gr_reader r = gr_reader_make(data, len);
    memset(out, 0, sizeof *out);
    int32_t cid = gr_read_i32(&r);
    out->error_code = gr_read_i16(&r);
    int32_t n = gr_read_i32(&r);
    if (r.err || cid != correlation_id) return -1;
    /* A broker that does not like the request version may answer with an error and no array. */
    if (n < 0) n = 0;
    if (n > GR_API_VERSIONS_KEYS_MAX || (size_t)n * 6 > gr_reader_remaining(&r)) return -1;
    for (int32_t i = 0; i < n; i++) {
        out->ranges[i].key = gr_read_i16(&r);
        out->ranges[i].min = gr_read_i16(&r);
        out->ranges[i].max = gr_read_i16(&r);
    }
    if (r.err) return -1;
    out->count = n;
    return 0;
}

/* Waits for `events` on fd until the deadline; returns 0, or -1 on timeout or error. */
static int wait_fd(int fd, short events, int64_t deadline_ms) {
    for (int i = 0; i < 1000; i++) {
        int64_t left = deadline_ms - gr_mono_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {fd, events, 0};
        int rc = poll(&p, 1, (int)left);
        if (rc > 0) return 0;
        if (rc < 0 && errno != EINTR) return -1;
    }
    errno = ETIMEDOUT;
    return -1;
}

static int connect_to(const char *host, int port, int64_t deadline_ms, char *err, size_t err_cap) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc) {
        snprintf(err, err_cap, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(err, err_cap, "no address for %s", host);
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        int so_err = errno;
        if (so_err == EINPROGRESS && wait_fd(fd, POLLOUT, deadline_ms) == 0) {
            socklen_t sl = sizeof so_err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &sl);
            if (so_err == 0) break;
        } else if (so_err == EINPROGRESS) {
            so_err = errno;
        }
        snprintf(err, err_cap, "cannot connect to %s:%d: %s", host, port, strerror(so_err));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) err[0] = '\0';
    return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline_ms) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline_ms) < 0) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline_ms) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r == 0) {
            errno = ECONNRESET;
            return -1;
        } else if (errno == EAGAIN || errno == EINTR) {
            if (wait_fd(fd, POLLIN, deadline_ms) < 0) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int gr_api_versions_fetch(const char *host, int port, int timeout_ms, gr_api_versions *out, char *err,
                          size_t err_cap) {
    int64_t deadline = gr_mono_ms() + timeout_ms;
    int fd = connect_to(host, port, deadline, err, err_cap);
    if (fd < 0) return -1;
    static const char client_id[] = "gregor-cluster";
    gr_buf b;
    gr_buf_init(&b);
    gr_buf_put_i32(&b, 0); /* size, patched below */
    gr_buf_put_i16(&b, API_KEY_API_VERSIONS);
    gr_buf_put_i16(&b, 0);
    gr_buf_put_i32(&b, API_VERSIONS_CORRELATION_ID);
    gr_str id = {client_id, (int32_t)strlen(client_id)};
    gr_buf_put_string(&b, id);
    gr_buf_patch_i32(&b, 0, (int32_t)(b.len - 4));
    int rc = -1;
    uint8_t size_bytes[4];
    uint8_t *body = NULL;
    if (b.oom || send_all(fd, b.data, b.len, deadline) < 0 || recv_all(fd, size_bytes, 4, deadline) < 0) {
        snprintf(err, err_cap, "ApiVersions to %s:%d: %s", host, port, strerror(errno));
        goto done;
    }
    gr_reader sr = gr_reader_make(size_bytes, 4);
    int32_t size = gr_read_i32(&sr);
    if (size < 10 || size > GR_API_VERSIONS_RESPONSE_MAX_BYTES) {
        snprintf(err, err_cap, "ApiVersions to %s:%d: bad response size %d", host, port, size);
        goto done;
    }
    body = malloc((size_t)size);
    if (!body || recv_all(fd, body, (size_t)size, deadline) < 0) {
        snprintf(err, err_cap, "ApiVersions to %s:%d: %s", host, port,
                 body ? strerror(errno) : "out of memory");
        goto done;
    }
    if (gr_api_versions_parse(body, (size_t)size, API_VERSIONS_CORRELATION_ID, out) < 0) {
        snprintf(err, err_cap, "ApiVersions to %s:%d: malformed response", host, port);
        goto done;
    }
    rc = 0;
done:
    free(body);
    gr_buf_free(&b);
    close(fd);
    return rc;
}
