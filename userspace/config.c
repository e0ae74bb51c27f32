// SPDX-License-Identifier: GPL-2.0
/*
 * Config files of "ltunctl up|down". Syntax: "[Section]" lines, "Key =
 * Value" lines, blank lines, and comments: lines whose first non-blank
 * character is '#' or ';' (not after a value: a '#' may be part of an
 * AuthHook command). Sections and keys are case-insensitive. Each value
 * is checked here, so that a mistake is reported with its line; the
 * commands the file turns into check everything again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ltun.h>

#include "cidr.h"
#include "client.h"
#include "config.h"
#include "server.h"
#include "util.h"

#define CONFIG_MAX_BYTES (1 << 20)

enum kind {
	K_NAME,		/* interface name */
	K_ADDR,		/* ADDR[/PLEN] */
	K_IFADDR,	/* ADDR/PLEN, host bits kept: an address and its subnet */
	K_PREFIX,	/* ADDR/PLEN */
	K_U32,		/* number in [min, max] */
	K_ONOFF,
	K_HOSTPORT,
	K_STR,		/* anything (file names, a command) */
	K_CIPHERS,	/* a cipher list */
};

enum where { W_IFACE, W_CMD };

enum section { S_NONE, S_IFACE, S_SERVER, S_CLIENT };

struct key {
	enum section sec;
	const char *key;
	enum kind kind;
	bool repeat;
	enum where where;
	const char *arg;	/* keyword of the command it becomes */
	uint32_t min, max;
};

static const struct key keys[] = {
	{ S_IFACE, "Name", K_NAME, false, W_IFACE, NULL, 0, 0 },
	{ S_IFACE, "Address", K_IFADDR, true, W_IFACE, NULL, 0, 0 },
	{ S_IFACE, "MTU", K_U32, false, W_IFACE, NULL, 68, 65535 },

	{ S_SERVER, "Listen", K_HOSTPORT, false, W_CMD, "listen", 0, 0 },
	{ S_SERVER, "Cert", K_STR, false, W_CMD, "cert", 0, 0 },
	{ S_SERVER, "Key", K_STR, false, W_CMD, "key", 0, 0 },
	{ S_SERVER, "CA", K_STR, false, W_CMD, "ca", 0, 0 },
	{ S_SERVER, "Pool", K_PREFIX, false, W_CMD, "pool", 0, 0 },
	{ S_SERVER, "Pool6", K_PREFIX, false, W_CMD, "pool6", 0, 0 },
	{ S_SERVER, "PushRoute", K_PREFIX, true, W_CMD, "push-route", 0, 0 },
	{ S_SERVER, "Policy", K_STR, false, W_CMD, "policy", 0, 0 },
	{ S_SERVER, "AuthHook", K_STR, false, W_CMD, "auth-hook", 0, 0 },
	{ S_SERVER, "Keepalive", K_U32, false, W_CMD, "keepalive",
	  LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS },
	{ S_SERVER, "Timeout", K_U32, false, W_CMD, "timeout",
	  LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS },
	{ S_SERVER, "MaxPeers", K_U32, false, W_CMD, "max-peers", 1, 65535 },
	{ S_SERVER, "Isolate", K_ONOFF, false, W_CMD, "isolate", 0, 0 },
	{ S_SERVER, "CRL", K_STR, false, W_CMD, "crl", 0, 0 },
	{ S_SERVER, "HandshakeTimeout", K_U32, false, W_CMD, "handshake-timeout",
	  1, SRV_HANDSHAKE_TIMEOUT_MAX_S },
	{ S_SERVER, "MaxHandshakes", K_U32, false, W_CMD, "max-handshakes",
	  1, SRV_MAX_HANDSHAKES_MAX },
	{ S_SERVER, "MaxHandshakesPerSource", K_U32, false, W_CMD, "max-handshakes-per-source",
	  0, SRV_MAX_HANDSHAKES_MAX },
	{ S_SERVER, "Cipher", K_CIPHERS, false, W_CMD, "cipher", 0, 0 },

	{ S_CLIENT, "Server", K_HOSTPORT, false, W_CMD, "server", 0, 0 },
	{ S_CLIENT, "CA", K_STR, false, W_CMD, "ca", 0, 0 },
	{ S_CLIENT, "Cert", K_STR, false, W_CMD, "cert", 0, 0 },
	{ S_CLIENT, "Key", K_STR, false, W_CMD, "key", 0, 0 },
	{ S_CLIENT, "Name", K_STR, false, W_CMD, "name", 0, 0 },
	{ S_CLIENT, "Address", K_ADDR, true, W_CMD, "address", 0, 0 },
	{ S_CLIENT, "Prefix", K_PREFIX, true, W_CMD, "prefix", 0, 0 },
	{ S_CLIENT, "Keepalive", K_U32, false, W_CMD, "keepalive",
	  LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS },
	{ S_CLIENT, "Timeout", K_U32, false, W_CMD, "timeout",
	  LTUN_KEEPALIVE_MIN_MS, LTUN_KEEPALIVE_MAX_MS },
	{ S_CLIENT, "Renew", K_U32, false, W_CMD, "renew", CLIENT_RENEW_MIN_S, 7 * 86400 },
	{ S_CLIENT, "Cipher", K_CIPHERS, false, W_CMD, "cipher", 0, 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const section_name[] = {
	[S_NONE] = "", [S_IFACE] = "Interface", [S_SERVER] = "Server", [S_CLIENT] = "Client",
};

struct loader {
	const char *path;
	struct config *cfg;
	char *err;
	size_t errlen;
	int line;
	bool seen[N_KEYS];
	char *cmd_args[CONFIG_MAX_ARGS];	/* pairs collected for the command */
	int n_cmd;
	char *name;
};

static int lerr(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int lerr(struct loader *l, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->line)
		snprintf(l->err, l->errlen, "%s:%d: %s", l->path, l->line, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

bool config_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= IF_NAMESIZE || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int check_value(struct loader *l, const struct key *k, const char *val)
{
	struct prefix p;
	const char *why, *host, *port;
	char buf[256];
	uint32_t v;

	if (!val[0])
		return lerr(l, "'%s' needs a value", k->key);
	for (const char *c = val; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return lerr(l, "control character in the value of '%s'", k->key);
	switch (k->kind) {
	case K_NAME:
		if (!config_name_ok(val))
			return lerr(l, "Name '%s': letters, digits, '_', '.', '-', at most %d",
				    val, IF_NAMESIZE - 1);
		break;
	case K_ADDR:
	case K_IFADDR:
	case K_PREFIX:
		if (cidr_parse(val, k->kind != K_ADDR, &p, &why) < 0)
			return lerr(l, "%s '%s': %s", k->key, val, why);
		break;
	case K_U32:
		if (!parse_u32(val, k->min, k->max, &v))
			return lerr(l, "%s '%s': a number in %u..%u", k->key, val, k->min, k->max);
		break;
	case K_ONOFF:
		if (strcasecmp(val, "on") && strcasecmp(val, "off") && strcasecmp(val, "yes") &&
		    strcasecmp(val, "no") && strcmp(val, "1") && strcmp(val, "0"))
			return lerr(l, "%s '%s': on or off", k->key, val);
		break;
	case K_HOSTPORT:
		if (split_host_port(val, buf, sizeof(buf), &host, &port, &why) < 0)
			return lerr(l, "%s '%s': %s", k->key, val, why);
		break;
	case K_CIPHERS: {
		struct tls_ciphers cs;
		char why[160];

		if (tls_ciphers_parse(val, &cs, why, sizeof(why)) < 0)
			return lerr(l, "%s '%s': %s", k->key, val, why);
		break;
	}
	case K_STR:
		break;
	}
	return 0;
}

/* [Interface] settings are ours; the rest become command arguments. */
static int take(struct loader *l, const struct key *k, char *val)
{
	struct config *cfg = l->cfg;
	const char *why;

	switch (k->where) {
	case W_IFACE:
		if (!strcasecmp(k->key, "Name")) {
			l->name = val;
		} else if (!strcasecmp(k->key, "MTU")) {
			uint32_t v;

			parse_u32(val, k->min, k->max, &v);
			cfg->mtu = v;
		} else {
			if (cfg->n_addr >= CONFIG_MAX_ADDRS)
				return lerr(l, "at most %d Address lines", CONFIG_MAX_ADDRS);
			cidr_parse(val, false, &cfg->addr[cfg->n_addr++], &why);
		}
		return 0;
	case W_CMD:
		if (l->n_cmd + 2 > CONFIG_MAX_ARGS - 4)
			return lerr(l, "too many settings");
		l->cmd_args[l->n_cmd++] = (char *)k->arg;
		l->cmd_args[l->n_cmd++] = val;
		return 0;
	}
	return 0;
}

static int parse_line(struct loader *l, enum section *sec, char *line)
{
	char *s = trim(line), *eq, *key, *val;
	const struct key *k = NULL;

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		size_t len = strlen(s);

		if (s[len - 1] != ']')
			return lerr(l, "section header without ']'");
		s[len - 1] = '\0';
		s = trim(s + 1);
		if (!strcasecmp(s, "Interface")) {
			*sec = S_IFACE;
		} else if (!strcasecmp(s, "Server") || !strcasecmp(s, "Client")) {
			enum config_role r = !strcasecmp(s, "Server") ? CONFIG_SERVER : CONFIG_CLIENT;

			if (l->cfg->role != CONFIG_NONE && l->cfg->role != r)
				return lerr(l, "a file has a [Server] or a [Client] section, not both");
			l->cfg->role = r;
			*sec = r == CONFIG_SERVER ? S_SERVER : S_CLIENT;
		} else {
			return lerr(l, "unknown section '[%s]'", s);
		}
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq)
		return lerr(l, "expected 'Key = Value' or '[Section]'");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (*sec == S_NONE)
		return lerr(l, "'%s' outside a section", key);
	for (size_t i = 0; i < N_KEYS && !k; i++)
		if (keys[i].sec == *sec && !strcasecmp(keys[i].key, key))
			k = &keys[i];
	if (!k)
		return lerr(l, "unknown key '%s' in [%s]", key, section_name[*sec]);
	if (l->seen[k - keys] && !k->repeat)
		return lerr(l, "'%s' given twice", k->key);
	l->seen[k - keys] = true;
	if (check_value(l, k, val) < 0)
		return -1;
	return take(l, k, val);
}

static bool seen(const struct loader *l, enum section sec, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].sec == sec && !strcmp(keys[i].key, key))
			return l->seen[i];
	return false;
}

/* "lt0" from ".../lt0.conf". */
static int name_from_path(struct loader *l, char *out)
{
	const char *base = strrchr(l->path, '/');
	size_t len;

	base = base ? base + 1 : l->path;
	len = strlen(base);
	if (len > 5 && !strcmp(base + len - 5, ".conf"))
		len -= 5;
	if (len >= IF_NAMESIZE) {
		return lerr(l, "file name too long for an interface name: set Name in [Interface]");
	}
	memcpy(out, base, len);
	out[len] = '\0';
	if (!config_name_ok(out))
		return lerr(l, "'%s' is no interface name: set Name in [Interface]", out);
	return 0;
}

static int read_all(struct loader *l)
{
	struct stat st;
	ssize_t n;
	int fd = open(l->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lerr(l, "%s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		close(fd);
		return lerr(l, "not a regular file of at most %d bytes", CONFIG_MAX_BYTES);
	}
	l->cfg->text = malloc((size_t)st.st_size + 1);
	if (!l->cfg->text) {
		close(fd);
		return lerr(l, "out of memory");
	}
	n = read(fd, l->cfg->text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		return lerr(l, "short read");
	if (memchr(l->cfg->text, '\0', (size_t)n))
		return lerr(l, "contains a NUL byte: not a text file");
	l->cfg->text[n] = '\0';
	return 0;
}

static int config_parse(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct loader l = { .path = path, .cfg = cfg, .err = err, .errlen = errlen };
	enum section sec = S_NONE;
	char *line, *next;

	memset(cfg, 0, sizeof(*cfg));
	if (read_all(&l) < 0)
		return -1;
	for (line = cfg->text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		l.line++;
		if (parse_line(&l, &sec, line) < 0)
			return -1;
	}
	l.line = 0;
	if (l.name)
		snprintf(cfg->name, sizeof(cfg->name), "%s", l.name);
	else if (name_from_path(&l, cfg->name) < 0)
		return -1;

	if (cfg->role == CONFIG_NONE)
		return lerr(&l, "no [Server] or [Client] section");
	if (cfg->role == CONFIG_SERVER) {
		if (!seen(&l, S_SERVER, "Listen") || !seen(&l, S_SERVER, "Cert") ||
		    !seen(&l, S_SERVER, "Key"))
			return lerr(&l, "[Server] needs Listen, Cert and Key");
		if (!cfg->n_addr)
			return lerr(&l, "a server needs an Address in [Interface] (its tunnel subnet)");
	} else {
		if (!seen(&l, S_CLIENT, "Server") || !seen(&l, S_CLIENT, "CA"))
			return lerr(&l, "[Client] needs Server and CA");
	}

	/* server DEV ... | peer add DEV ... persist */
	cfg->argv[cfg->argc++] = cfg->name;
	for (int i = 0; i < l.n_cmd; i++)
		cfg->argv[cfg->argc++] = l.cmd_args[i];
	if (cfg->role == CONFIG_CLIENT)
		cfg->argv[cfg->argc++] = (char *)"persist";
	cfg->argv[cfg->argc] = NULL;
	return 0;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	if (config_parse(path, cfg, err, errlen) < 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	free(cfg->text);
	memset(cfg, 0, sizeof(*cfg));
}
