/*
 * zk_bootstrap.h: `--zookeeper HOST:PORT[/chroot]`, the brokers' addresses read from ZooKeeper.
 *
 * Kafka's tools of the ZooKeeper era took a ZooKeeper connect string instead of a broker list.
 * Gregor's tools accept it the same way: the brokers' registrations (/brokers/ids/N, Kafka's JSON)
 * are read once, the endpoint of the wanted security protocol is taken from each, and the tool
 * then talks to those brokers as if they had been given with --bootstrap-server. So the option
 * works against any cluster that registers its brokers in ZooKeeper, Gregor's or Kafka's.
 */
#ifndef GREGOR_CLI_ZK_BOOTSTRAP_H
#define GREGOR_CLI_ZK_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#define GR_ZK_BROKERS_MAX 1024
#define GR_ZK_REGISTRATION_BYTES_MAX 65536
#define GR_ZK_ENDPOINT_BYTES_MAX 512
#define GR_ZK_SESSION_TIMEOUT_MS 10000
#define GR_ZK_STATE_POLL_MS 20

/*
 * Picks the address ("host:port") a client should use from one broker registration: the endpoint
 * whose listener maps to `protocol` (PLAINTEXT, SSL...), else the legacy host and port fields.
 * False when the document is malformed or has no such endpoint.
 */
bool gr_zk_registration_endpoint(const char *json, size_t len, const char *protocol, char *out, size_t cap);

/*
 * Connects to ZooKeeper at `connect` (waiting at most timeout_ms), reads every registered broker
 * and returns their addresses as "host:port,host:port" in *out (caller frees). Prints the reason on
 * failure and returns an exit code (GR_EXIT_UNREACHABLE when ZooKeeper does not answer or no broker
 * is registered); 0 on success.
 */
int gr_zk_bootstrap(const char *command, const char *connect, const char *protocol, int timeout_ms,
                    bool verbose, char **out);

#endif
