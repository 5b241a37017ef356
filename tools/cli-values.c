/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include <bootseal/fsverity.h>
#include <bootseal/hex.h>

#include "cli-io.h"
#include "cli-values.h"
#include "cli.h"

int cli_take_hash_alg(const char *cmd, const struct cli_option *o, const char *value)
{
	if (bs_hash_alg_from_name(value, o->dest) < 0)
		return cli_fail(cmd, "unknown hash algorithm '%s'", value);
	return 0;
}

int cli_take_guid(const char *cmd, const struct cli_option *o, const char *value)
{
	struct cli_guid *g = o->dest;

	if (bs_efivar_guid_parse(value, &g->guid) < 0)
		return cli_fail(cmd, "invalid GUID '%s'", value);
	g->given = 1;
	return 0;
}

int cli_fsverity_hex(enum bs_hash_alg alg, const void *data, size_t len, char *hex)
{
	const struct bs_fsverity_params params = { .hash_alg = alg };
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct bs_fsverity_ctx *ctx;
	int r;

	if ((r = bs_fsverity_new(&params, &ctx)) < 0)
		return r;
	if ((r = bs_fsverity_update(ctx, data, len)) >= 0 && (r = bs_fsverity_final(ctx, digest)) >= 0)
		bs_hex_encode(digest, bs_fsverity_digest_size(ctx), hex);
	bs_fsverity_free(ctx);
	return r < 0 ? r : 0;
}

int cli_take_days(const char *cmd, const struct cli_option *o, const char *value)
{
	unsigned long days;

	/* X509_time_adj_ex takes an int count of days. */
	if (cli_parse_ulong(value, 1, 36500, &days) < 0)
		return cli_fail(cmd, "invalid --%s '%s' (1 to 36500)", o->name, value);
	*(unsigned int *)o->dest = (unsigned int)days;
	return 0;
}
