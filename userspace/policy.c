// SPDX-License-Identifier: GPL-2.0
/*
 * The policy file is read whole at startup (and on SIGHUP); a file with
 * any bad line is rejected whole, so a typo never silently widens or
 * narrows what clients get.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "pool.h"

#define POLICY_MAX_RULES 65536

static int parse_line(char *line, struct policy_rule *r, const char **why)
{
	char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);
	const char *why2;

	memset(r, 0, sizeof(*r));
	if (strlen(w) >= sizeof(r->ident)) {
		*why = "identity too long";
		return -1;
	}
	snprintf(r->ident, sizeof(r->ident), "%s", w);
	while ((w = strtok_r(NULL, " \t\r\n", &save))) {
		char *v;

		if (!strcmp(w, "deny")) {
			r->deny = true;
			continue;
		}
		if (strcmp(w, "address") && strcmp(w, "address6") && strcmp(w, "prefix")) {
			*why = "unknown keyword (address, address6, prefix, deny)";
			return -1;
		}
		v = strtok_r(NULL, " \t\r\n", &save);
		if (!v) {
			*why = "keyword without a value";
			return -1;
		}
		if (!strcmp(w, "prefix")) {
			if (r->n_prefix >= POLICY_MAX_PREFIXES) {
				*why = "too many prefixes";
				return -1;
			}
			if (pool_parse_prefix(v, AF_UNSPEC, true, &r->prefix[r->n_prefix], &why2)) {
				*why = why2;
				return -1;
			}
			r->n_prefix++;
			continue;
		}
		{
			bool v6 = !strcmp(w, "address6");
			struct prefix *a = v6 ? &r->addr6 : &r->addr4;
			bool *has = v6 ? &r->has_addr6 : &r->has_addr4;

			if (*has) {
				*why = "address given twice";
				return -1;
			}
			if (pool_parse_prefix(v, v6 ? AF_INET6 : AF_INET, false, a, &why2) ||
			    a->plen != prefix_max_len(a->family)) {
				*why = v6 ? "address6 needs one IPv6 address"
					  : "address needs one IPv4 address";
				return -1;
			}
			*has = true;
		}
	}
	if (!strcmp(r->ident, "*") && (r->has_addr4 || r->has_addr6)) {
		*why = "the '*' rule cannot pin an address";
		return -1;
	}
	return 0;
}

struct policy *policy_load(const char *path, char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof(*p));
	size_t cap = 0, lineno = 0, n = 0;
	char *line = NULL;
	FILE *f;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(p);
		return NULL;
	}
	while (getline(&line, &n, f) >= 0) {
		struct policy_rule r;
		const char *why = NULL;
		char *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (parse_line(line, &r, &why) < 0)
			goto bad;
		for (size_t i = 0; i < p->n && !why; i++) {
			if (!strcmp(p->rule[i].ident, r.ident))
				why = "identity already has a rule";
			if ((r.has_addr4 && p->rule[i].has_addr4 &&
			     prefix_addr_equal(&r.addr4, &p->rule[i].addr4)) ||
			    (r.has_addr6 && p->rule[i].has_addr6 &&
			     prefix_addr_equal(&r.addr6, &p->rule[i].addr6)))
				why = "address already pinned by another rule";
		}
		if (why)
			goto bad;
		if (p->n == cap) {
			struct policy_rule *nr;

			if (cap >= POLICY_MAX_RULES) {
				why = "too many rules";
				goto bad;
			}
			cap = cap ? cap * 2 : 16;
			nr = realloc(p->rule, cap * sizeof(*nr));
			if (!nr) {
				why = "out of memory";
				goto bad;
			}
			p->rule = nr;
		}
		p->rule[p->n++] = r;
		continue;
bad:
		snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
		free(line);
		fclose(f);
		policy_free(p);
		return NULL;
	}
	free(line);
	fclose(f);
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->rule);
	free(p);
}

const struct policy_rule *policy_find(const struct policy *p, const char *identity)
{
	const struct policy_rule *star = NULL;

	for (size_t i = 0; i < p->n; i++) {
		if (!strcmp(p->rule[i].ident, "*"))
			star = &p->rule[i];
		else if (identity[0] && !strcmp(p->rule[i].ident, identity))
			return &p->rule[i];
	}
	return star;
}

const struct policy_rule *policy_pinned_by(const struct policy *p, const struct prefix *host)
{
	for (size_t i = 0; p && i < p->n; i++) {
		const struct policy_rule *r = &p->rule[i];

		if ((r->has_addr4 && prefix_addr_equal(&r->addr4, host)) ||
		    (r->has_addr6 && prefix_addr_equal(&r->addr6, host)))
			return r;
	}
	return NULL;
}

bool policy_allows_prefix(const struct policy_rule *r, const struct prefix *pfx)
{
	for (size_t i = 0; r && i < r->n_prefix; i++)
		if (prefix_contains(&r->prefix[i], pfx))
			return true;
	return false;
}
