/*
 * log_cleaning.h: the broker's log cleaner thread. Every log.cleaner.backoff.ms it runs one
 * cleaning (store/partition_log.h, gr_plog_clean) of each partition of each topic whose
 * cleanup.policy contains compact, off the event loops so produce and fetch are not held up.
 */
#ifndef GREGOR_BROKER_LOG_CLEANING_H
#define GREGOR_BROKER_LOG_CLEANING_H

#include "base/properties.h"
#include "broker/config.h"
#include "cluster/topics.h"
#include "store/partition_log.h"

typedef struct gr_log_cleaner gr_log_cleaner;

/* NULL if the thread cannot start (the broker then runs without compaction, and says so). */
gr_log_cleaner *gr_log_cleaner_start(gr_topics *topics, const gr_broker_config *cfg);
void gr_log_cleaner_stop(gr_log_cleaner *c); /* waits for a cleaning in progress; NULL is fine */

/* The topic's compaction settings from its overrides and the broker's defaults. */
void gr_compaction_config_for(const gr_broker_config *cfg, const gr_properties *topic_configs,
                              gr_compaction_config *out);
/* Whether the topic's cleanup.policy contains compact (looked up under the registry lock). */
bool gr_topic_is_compacted(gr_topics *topics, const gr_broker_config *cfg, gr_topic *topic);

#endif
