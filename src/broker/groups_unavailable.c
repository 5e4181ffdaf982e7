/* groups_unavailable.c: placeholder until the group coordinator is linked in. */
#include "broker/handlers_group.h"

gr_group_coordinator *gr_group_coordinator_start(gr_broker *b) {
    (void)b;
    return NULL;
}

void gr_group_coordinator_stop(gr_group_coordinator *g) { (void)g; }
