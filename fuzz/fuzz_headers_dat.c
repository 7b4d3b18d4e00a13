/* libFuzzer target for headers.dat: the input is the file, opened and
 * replayed into a regtest chain as the daemon does at start. Whatever the
 * bytes, the open must succeed (cutting what does not replay), keep only
 * whole records, and a second open of what is left must load exactly as
 * many headers with nothing more to cut. */
#include "node/headerstore.h"

#include <btcpeerd/chain.h>
#include <btcpeerd/netparams.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000

static size_t open_once(const char *path, size_t *cut)
{
    struct chain *c = chain_new(netparams_get(NET_REGTEST));
    if (!c) abort();
    struct headerstore *hs;
    struct headerstore_load load;
    if (headerstore_open(path, c, &hs, &load) != HEADERSTORE_OK) abort();
    headerstore_close(hs);
    if ((size_t)chain_count(c) != load.loaded + 1) abort();
    chain_free(c);
    *cut = load.cut_bytes;
    return load.loaded;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/btcpeerd-fuzz-headers-%ld.dat", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    size_t cut, cut2;
    size_t loaded = open_once(path, &cut);
    struct stat st;
    if (stat(path, &st) != 0 || (size_t)st.st_size + cut != size || st.st_size % 80 != 0) abort();
    if (open_once(path, &cut2) != loaded || cut2 != 0) abort();
    unlink(path);
    return 0;
}
