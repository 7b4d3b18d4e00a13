/* Interop of the JSON-RPC server with a client nobody on the team wrote:
 * bitcoin-core 5.0.0 from npm (a client for bitcoind), driven by
 * tests/interop/rpcclient/rpc_client.js against a regtest btcpeerd that has
 * another btcpeerd connected, so getpeerinfo has a real peer to show.
 *
 * scripts/test.sh installs the package (npm ci); without it the test
 * prints SKIP and is skipped. */
#include "harness.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CLIENT_DIR BTCPEERD_SOURCE_DIR "/tests/interop/rpcclient"
#define WAIT_MS 40000

/* Skips the running test when npm could not install the client. */
static void require_client(void)
{
    struct stat st;
    if (stat(CLIENT_DIR "/node_modules/bitcoin-core/package.json", &st) != 0)
        test_skip("bitcoin-core is not installed in %s (npm could not install it)", CLIENT_DIR);
}

static uint16_t rpc_port(struct daemon_proc *d)
{
    static const char needle[] = "RPC server bound to 127.0.0.1:";
    if (!daemon_wait_log(d, needle, WAIT_MS)) fail_msg("no RPC server:\n%s", d->log);
    return (uint16_t)atoi(strstr(d->log, needle) + sizeof needle - 1);
}

static void test_bitcoin_core_npm_client(void **state)
{
    (void)state;
    require_client();
    struct daemon_proc a, b;
    uint16_t p2p = daemon_start_listening(&a, NULL);
    assert_true(p2p != 0);
    uint16_t port = rpc_port(&a);
    char connect[48];
    snprintf(connect, sizeof connect, "--connect=127.0.0.1:%u", p2p);
    const char *args_b[] = {"--network=regtest", connect, NULL};
    assert_true(daemon_start(&b, args_b));
    assert_true(daemon_wait_log(&a, "handshake complete", WAIT_MS));

    /* the cookie is "__cookie__:<hex>": user and password for the client */
    char path[256], cookie[128];
    snprintf(path, sizeof path, "%s/data/regtest/.cookie", a.datadir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(cookie, sizeof cookie, f));
    fclose(f);
    char *colon = strchr(cookie, ':');
    assert_non_null(colon);
    *colon = '\0';

    char port_arg[16];
    snprintf(port_arg, sizeof port_arg, "%u", port);
    const char *argv[] = {"node", CLIENT_DIR "/rpc_client.js", port_arg, cookie, colon + 1, "1", NULL};
    struct daemon_proc client;
    assert_true(process_start(&client, argv));
    int rc = daemon_stop(&client, 0, WAIT_MS); /* signal 0: just wait for it to finish */
    daemon_pump(&client, 0);
    if (rc != 0 || !strstr(client.log, "\"step\":\"done\""))
        fail_msg("bitcoin-core client failed (exit %d):\n%s\n--- daemon:\n%s", rc, client.log, a.log);
    assert_non_null(strstr(client.log, "\"step\":\"batch\""));
    assert_non_null(strstr(client.log, "\"chain\":\"regtest\""));
    daemon_cleanup(&client);
    assert_int_equal(daemon_stop(&b, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&b);
    assert_int_equal(daemon_stop(&a, SIGTERM, WAIT_MS), 0);
    daemon_cleanup(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitcoin_core_npm_client),
    };
    return test_run_group(tests);
}
