/* libstore for the relay agent: claiming queued rows under a lease, streaming
 * their content, recording each outcome. */
#ifndef INETMAIL_STORE_RELAY_H
#define INETMAIL_STORE_RELAY_H

#include "store.h"

/* The relay agent's side. A claim leases every due row of one message to one
 * domain to this process (owner: host, pid and a random token) for
 * lease_seconds; rows whose lease ran out are due again, so a killed agent's
 * work is taken over, while a live agent's is never taken twice. */
struct store_relay_row {
	uint64_t id;
	char sender[STORE_ADDRESS_MAX + 1];
	char recipient[STORE_ADDRESS_MAX + 1];
	uint64_t attempts;
	uint64_t age_seconds;
};
struct store_relay_claim {
	uint64_t message_id;
	char domain[STORE_DOMAIN_MAX + 1];
	uint64_t size; /* of the message, octets */
	struct store_relay_row *rows;
	size_t n, cap;
};
/* STORE_OK with claim filled, _NOT_FOUND when nothing is due. */
enum store_result store_relay_claim(struct store *, unsigned lease_seconds, struct store_relay_claim *);
/* Extends the lease; STORE_NOT_FOUND when it ran out (another agent may have the rows now). */
enum store_result store_relay_renew(struct store *, unsigned lease_seconds);
/* Renews it when a quarter of it has passed since the claim or the last
 * renewal: called before every wait, no wait shorter than the lease's three
 * quarters can outlast it. */
enum store_result store_relay_keep(struct store *, unsigned lease_seconds);
/* Streams the claimed message, a chunk per query, renewing the lease as it
 * goes (STORE_NOT_FOUND once it ran out); fn returning non-zero stops it
 * with STORE_PERMFAIL. */
enum store_result store_relay_content(struct store *, const struct store_relay_claim *, unsigned lease_seconds,
                                      store_data_fn, void *ctx);
/* Delivered: the row goes, and the content with its last reference. */
enum store_result store_relay_delivered(struct store *, const struct store_relay_claim *, size_t row);
/* Not now: tried again in retry_seconds; answer is what the attempt ended with. */
enum store_result store_relay_retry(struct store *, const struct store_relay_row *, unsigned retry_seconds,
                                    const char *answer);
/* Refused for good by remote_mta (answer is its reply, status that reply's
 * RFC 3463 code), or given up on (remote_mta NULL, answer and status ours):
 * the row goes, and the sender, when it has a mailbox here, gets a bounce. */
enum store_result store_relay_failed(struct store *, const struct store_relay_claim *, size_t row,
                                     const char *remote_mta, const char *status, const char *answer);
void store_relay_claim_free(struct store_relay_claim *);
#endif
