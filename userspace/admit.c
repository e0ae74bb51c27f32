// SPDX-License-Identifier: GPL-2.0
/*
 * Every rule that can refuse a client is here, each with a reason the
 * client is shown. A request is all or nothing: a client that asks for an
 * address it cannot have, or a subnet it may not announce, is refused
 * rather than given a different set than it asked for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "pool.h"

static int refuse(struct admit_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(struct admit_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return -1;
}

static bool replaced(const struct admit_in *in, uint32_t owner)
{
	for (size_t i = 0; i < in->n_replace; i++)
		if (in->replace[i] == owner)
			return true;
	return false;
}

/* Another (not replaced) peer's allowed ips overlap p. */
static bool in_use(const struct admit_in *in, const struct prefix *p)
{
	for (size_t i = 0; i < in->n_aips; i++) {
		const struct prefix *a = &in->aips[i].p;

		if (replaced(in, in->aips[i].owner))
			continue;
		if (prefix_contains(a, p) || prefix_contains(p, a))
			return true;
	}
	return false;
}

static const struct prefix *server_subnet(const struct admit_in *in, const struct prefix *host)
{
	for (size_t s = 0; s < in->n_srv; s++)
		if (prefix_contains(&in->srv[s], host))
			return &in->srv[s];
	return NULL;
}

static bool is_server_addr(const struct admit_in *in, const struct prefix *host)
{
	for (size_t s = 0; s < in->n_srv; s++)
		if (prefix_addr_equal(&in->srv[s], host))
			return true;
	return false;
}

static bool is_net_or_bcast(const struct prefix *net, const struct prefix *host)
{
	struct prefix n = *net, b;

	if (host->family != AF_INET || net->plen >= 31)
		return false;
	prefix_mask(&n);
	b = n;
	for (unsigned int i = net->plen; i < 32; i++)
		b.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	return prefix_addr_equal(host, &n) || prefix_addr_equal(host, &b);
}

/* The policy's pin for host, if it belongs to someone else. */
static const struct policy_rule *pinned_for_other(const struct admit_in *in,
						  const struct prefix *host)
{
	const struct policy_rule *r = policy_pinned_by(in->pol, host);

	return r && r != in->rule ? r : NULL;
}

/*
 * Can this client have host? Sets *net to the server subnet it is in.
 * what names it in reasons ("address", "pinned address").
 */
static int check_host(const struct admit_in *in, struct admit_out *out, const struct prefix *host,
		      const struct prefix **net)
{
	char a[ADDR_STRLEN];

	prefix_str(host, false, a, sizeof(a));
	*net = server_subnet(in, host);
	if (!*net)
		return refuse(out, "%s is not in a server subnet", a);
	if (is_server_addr(in, host))
		return refuse(out, "%s is the server's address", a);
	if (is_net_or_bcast(*net, host))
		return refuse(out, "%s is a network or broadcast address", a);
	if (in_use(in, host))
		return refuse(out, "address %s in use by another client", a);
	if (pinned_for_other(in, host))
		return refuse(out, "address %s is reserved for another client", a);
	return 0;
}

static int add_addr(struct admit_out *out, const struct prefix *host, const struct prefix *net)
{
	for (size_t i = 0; i < out->n_addr; i++)
		if (prefix_addr_equal(&out->addr[i], host))
			return 0;
	if (out->n_addr >= HELLO_MAX_ADDRS)
		return refuse(out, "too many addresses");
	out->addr[out->n_addr] = *host;
	out->addr[out->n_addr].plen = net->plen;
	out->n_addr++;
	return 0;
}

struct taken_ctx {
	const struct admit_in *in;
};

static bool pool_taken(const struct prefix *host, void *data)
{
	const struct admit_in *in = ((struct taken_ctx *)data)->in;
	const struct prefix *net = server_subnet(in, host);

	return is_server_addr(in, host) || in_use(in, host) || pinned_for_other(in, host) ||
	       (net && is_net_or_bcast(net, host));
}

/* A family the client asked nothing for: pinned address, else the pool. */
static int assign(const struct admit_in *in, struct admit_out *out, int family)
{
	const struct policy_rule *r = in->rule;
	const struct prefix *pool = family == AF_INET ? in->pool4 : in->pool6;
	const struct prefix *net;
	struct taken_ctx ctx = { in };
	struct prefix host;
	char p[ADDR_STRLEN];

	if (r && (family == AF_INET ? r->has_addr4 : r->has_addr6)) {
		host = family == AF_INET ? r->addr4 : r->addr6;
		if (check_host(in, out, &host, &net) < 0)
			return -1;
		return add_addr(out, &host, net);
	}
	if (!pool)
		return 0;
	prefix_str(pool, true, p, sizeof(p));
	if (pool_pick(pool, in->name, pool_taken, &ctx, &host) < 0)
		return refuse(out, "no free address in pool %s", p);
	net = server_subnet(in, &host);
	if (!net)
		return refuse(out, "server misconfigured: pool %s is outside its tunnel subnets", p);
	return add_addr(out, &host, net);
}

static int check_prefix(const struct admit_in *in, struct admit_out *out, const struct prefix *pf)
{
	struct prefix m = *pf;
	char p[ADDR_STRLEN];

	prefix_str(pf, true, p, sizeof(p));
	prefix_mask(&m);
	if (memcmp(m.addr, pf->addr, sizeof(m.addr)))
		return refuse(out, "announced prefix %s has host bits set", p);
	if (!in->pol)
		return refuse(out, "announced prefix %s refused: no policy allows subnets", p);
	if (!policy_allows_prefix(in->rule, pf))
		return refuse(out, "announced prefix %s is not allowed for %s by policy", p,
			      in->identity[0] ? in->identity : "this client");
	for (size_t s = 0; s < in->n_srv; s++) {
		if (prefix_contains(&in->srv[s], pf) || prefix_contains(pf, &in->srv[s]))
			return refuse(out, "announced prefix %s overlaps the tunnel subnet", p);
	}
	if (in_use(in, pf))
		return refuse(out, "announced prefix %s is routed to another client", p);
	for (size_t i = 0; i < out->n_prefix; i++)
		if (prefix_contains(&out->prefix[i], pf) || prefix_contains(pf, &out->prefix[i]))
			return refuse(out, "announced prefix %s overlaps another one announced", p);
	out->prefix[out->n_prefix++] = *pf;
	return 0;
}

int admit_decide(const struct admit_in *in, struct admit_out *out)
{
	const struct hello_msg *h = in->h;
	bool asked4 = false, asked6 = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < h->n_addr; i++) {
		const struct policy_rule *r = in->rule;
		struct prefix host = h->addr[i];
		const struct prefix *net, *pin = NULL;
		char a[ADDR_STRLEN], b[ADDR_STRLEN];

		host.plen = (uint8_t)prefix_max_len(host.family);
		if (host.family == AF_INET)
			asked4 = true;
		else
			asked6 = true;
		if (r && host.family == AF_INET && r->has_addr4)
			pin = &r->addr4;
		if (r && host.family == AF_INET6 && r->has_addr6)
			pin = &r->addr6;
		if (pin && !prefix_addr_equal(pin, &host))
			return refuse(out, "address %s refused: policy gives %s address %s",
				      prefix_str(&host, false, a, sizeof(a)),
				      in->identity, prefix_str(pin, false, b, sizeof(b)));
		if (check_host(in, out, &host, &net) < 0 || add_addr(out, &host, net) < 0)
			return -1;
	}
	if (!asked4 && assign(in, out, AF_INET) < 0)
		return -1;
	if (!asked6 && assign(in, out, AF_INET6) < 0)
		return -1;
	if (!out->n_addr)
		return refuse(out, h->n_addr ? "no acceptable address"
				   : "no address requested and no pool to assign one from");
	for (size_t i = 0; i < h->n_prefix; i++)
		if (check_prefix(in, out, &h->prefix[i]) < 0)
			return -1;
	return 0;
}
