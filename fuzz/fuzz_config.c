/* libFuzzer target for the configuration: the input's first byte chooses.
 * Even: the rest is a config file (btcpeerd.conf), read through config_load
 * as the daemon reads it. Odd: the rest, split at NUL bytes, is the command
 * line. Either way config_load must return an error code or a config, never
 * crash or read out of bounds; the data directory points nowhere real, so
 * no file of the user's is read. */
#include <btcpeerd/config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static char conf_path[64];

static void load(int argc, char **argv)
{
    struct config cfg;
    char msg[512];
    (void)config_load(&cfg, argc, argv, msg, sizeof msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    if (!conf_path[0]) {
        snprintf(conf_path, sizeof conf_path, "/tmp/btcpeerd-fuzz-config-%ld.conf", (long)getpid());
    }
    char datadir[] = "--datadir=/nonexistent/btcpeerd-fuzz";
    if (data[0] % 2 == 0) {
        FILE *f = fopen(conf_path, "wb");
        if (!f) return 0;
        fwrite(data + 1, 1, size - 1, f);
        fclose(f);
        char conf[96];
        snprintf(conf, sizeof conf, "--conf=%s", conf_path);
        char prog[] = "btcpeerd";
        char *argv[] = {prog, datadir, conf, NULL};
        load(3, argv);
        unlink(conf_path);
        return 0;
    }
    /* A copy with a NUL at the end, cut into arguments at each NUL. */
    char *buf = malloc(size);
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    char prog[] = "btcpeerd";
    char *argv[MAX_ARGS + 2] = {prog, datadir};
    int argc = 2;
    for (size_t i = 0; i < size - 1 && argc < MAX_ARGS; argc++) {
        argv[argc] = buf + i;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    load(argc, argv);
    free(buf);
    return 0;
}
