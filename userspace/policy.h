/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Server policy file: which client identity may have which address and
 * announce which subnets. One rule per line, '#' starts a comment:
 *
 *   IDENTITY [address A] [address6 A] [prefix CIDR]... [deny]
 *
 * IDENTITY "*" is the rule for identities without a line of their own;
 * with no "*" rule such identities are refused.
 */
#ifndef LTUNCTL_POLICY_H
#define LTUNCTL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define POLICY_MAX_PREFIXES 16
#define POLICY_IDENT_MAX 256

struct policy_rule {
	char ident[POLICY_IDENT_MAX];
	bool deny;
	bool has_addr4, has_addr6;
	struct prefix addr4, addr6;	/* pinned host addresses */
	size_t n_prefix;
	struct prefix prefix[POLICY_MAX_PREFIXES];	/* may be announced */
};

struct policy {
	size_t n;
	struct policy_rule *rule;
};

/* Returns NULL with "FILE:LINE: reason" in err. */
struct policy *policy_load(const char *path, char *err, size_t errlen);
void policy_free(struct policy *p);

/* The identity's own rule, else "*", else NULL (refuse). */
const struct policy_rule *policy_find(const struct policy *p, const char *identity);

/* The rule that pins host, other than self's; NULL if none. */
const struct policy_rule *policy_pinned_by(const struct policy *p, const struct prefix *host);

/* Whether rule lets its identity announce subnet pfx. */
bool policy_allows_prefix(const struct policy_rule *r, const struct prefix *pfx);

#endif
