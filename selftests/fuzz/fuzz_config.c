// SPDX-License-Identifier: GPL-2.0
/*
 * config: config_load() (userspace/config.c) on a file "lt7.conf" holding
 * the input: the files of "ltunctl up|down". An operator's file, but a
 * typo must be a line-numbered error, never a crash.
 *
 * Checked: a refusal names the file; a loaded config has a role, a valid
 * interface name, an MTU of 0 or 68..65535, at most CONFIG_MAX_ADDRS
 * addresses (a server at least one), an argument list of at most
 * CONFIG_MAX_ARGS strings ending with NULL, starting with the device
 * name, with no control characters but tabs; config_free() twice is
 * harmless.
 */
#include <string.h>

#include "common.h"
#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	struct config cfg;
	char err[512];

	if (size > 65536)
		return -1;
	path = fuzz_file("lt7.conf", data, size);
	err[0] = '\0';
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		FUZZ_CHECK(!strncmp(err, path, strlen(path)) && err[strlen(path)] == ':',
			   "refusal '%s' does not name the file", err);
		config_free(&cfg);
		return 0;
	}
	FUZZ_CHECK(cfg.role == CONFIG_SERVER || cfg.role == CONFIG_CLIENT, "role %d", cfg.role);
	FUZZ_CHECK(config_name_ok(cfg.name), "name '%s'", cfg.name);
	FUZZ_CHECK(cfg.mtu == 0 || (cfg.mtu >= 68 && cfg.mtu <= 65535), "mtu %u", cfg.mtu);
	FUZZ_CHECK(cfg.n_addr <= CONFIG_MAX_ADDRS, "%zu addresses", cfg.n_addr);
	FUZZ_CHECK(cfg.role != CONFIG_SERVER || cfg.n_addr, "server without an address");
	for (size_t i = 0; i < cfg.n_addr; i++)
		FUZZ_CHECK((cfg.addr[i].family == AF_INET || cfg.addr[i].family == AF_INET6) &&
			   cfg.addr[i].plen <= prefix_max_len(cfg.addr[i].family), "address %zu", i);
	FUZZ_CHECK(cfg.argc >= 1 && cfg.argc <= CONFIG_MAX_ARGS && !cfg.argv[cfg.argc],
		   "argc %d", cfg.argc);
	FUZZ_CHECK(!strcmp(cfg.argv[0], cfg.name), "argv[0] '%s'", cfg.argv[0]);
	for (int i = 0; i < cfg.argc; i++) {
		FUZZ_CHECK(cfg.argv[i] && cfg.argv[i][0], "argv[%d] empty", i);
		for (const char *c = cfg.argv[i]; *c; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20 || *c == '\t',
				   "argv[%d] has control byte %#x", i, (unsigned char)*c);
	}
	config_free(&cfg);
	config_free(&cfg);
	return 0;
}
