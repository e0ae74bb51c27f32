// SPDX-License-Identifier: GPL-2.0
/*
 * policy: policy_load() (userspace/policy.c) on a file holding the input,
 * then the lookups the server makes with what it loaded (policy_find,
 * policy_pinned_by, policy_allows_prefix). An operator's file, but a
 * typo must be a line-numbered error, never a crash.
 *
 * Checked: a refusal names the file (and the line, for a bad line); a
 * loaded policy has rules with a non-empty identity of no blanks, unique
 * identities, pinned host addresses of the right family, unique pins, no
 * pin on '*', at most POLICY_MAX_PREFIXES prefixes each, without host
 * bits; the lookups agree with the rules.
 */
#include <string.h>

#include "common.h"
#include "fuzz.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("policy", data, size);
	struct policy *p;
	char err[512];

	if (size > 65536)
		return -1;
	err[0] = '\0';
	p = policy_load(path, err, sizeof(err));
	if (!p) {
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
			   "refusal '%s' does not name the file", err);
		return 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rule[i];
		size_t len = strnlen(r->ident, sizeof(r->ident));

		FUZZ_CHECK(len > 0 && len < sizeof(r->ident), "identity of %zu bytes", len);
		FUZZ_CHECK(!strpbrk(r->ident, " \t\r\n#"), "identity '%s'", r->ident);
		FUZZ_CHECK(strcmp(r->ident, "*") || (!r->has_addr4 && !r->has_addr6),
			   "'*' pins an address");
		FUZZ_CHECK(!r->has_addr4 || (r->addr4.family == AF_INET && r->addr4.plen == 32),
			   "%s: address", r->ident);
		FUZZ_CHECK(!r->has_addr6 ||
			   (r->addr6.family == AF_INET6 && r->addr6.plen == 128),
			   "%s: address6", r->ident);
		FUZZ_CHECK(r->n_prefix <= POLICY_MAX_PREFIXES, "%s: %zu prefixes", r->ident,
			   r->n_prefix);
		for (size_t k = 0; k < r->n_prefix; k++) {
			struct prefix m = r->prefix[k];

			FUZZ_CHECK(m.plen <= prefix_max_len(m.family), "%s: plen", r->ident);
			prefix_mask(&m);
			FUZZ_CHECK(!memcmp(m.addr, r->prefix[k].addr, sizeof(m.addr)),
				   "%s: prefix with host bits", r->ident);
			FUZZ_CHECK(policy_allows_prefix(r, &r->prefix[k]), "%s: own prefix",
				   r->ident);
		}
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p->rule[j].ident, r->ident), "'%s' twice", r->ident);
		if (strcmp(r->ident, "*"))
			FUZZ_CHECK(policy_find(p, r->ident) == r, "'%s' not found", r->ident);
		if (r->has_addr4)
			FUZZ_CHECK(policy_pinned_by(p, &r->addr4) == r, "%s: pin", r->ident);
		if (r->has_addr6)
			FUZZ_CHECK(policy_pinned_by(p, &r->addr6) == r, "%s: pin6", r->ident);
	}
	(void)policy_find(p, "");
	(void)policy_find(p, "nobody-has-this-name");
	policy_free(p);
	return 0;
}
