/*
 * sha256.c: print the SHA-256 of files through loco's hash module, as
 * sha256sum does, for tests/bench.sh (loco has no command that only
 * hashes).  Built by bench.sh from src/hash.c, util.c and error.c.
 */
#include <stdio.h>

#include "hash.h"

int
main(int argc, char **argv)
{
	char hex[SHA256_HEX_LEN + 1];
	struct error *err;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if ((err = sha256_file(argv[i], hex, NULL, NULL)) != NULL) {
			fprintf(stderr, "sha256: %s\n", err->msg);
			rc = err->code;
			error_free(err);
			continue;
		}
		printf("%s  %s\n", hex, argv[i]);
	}
	return fflush(stdout) != 0 || ferror(stdout) ? 1 : rc;
}
