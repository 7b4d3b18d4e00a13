/* btcpeerd-cli -netinfo (tools/cli_netinfo.c): its arguments, its batch,
 * and the dashboard, compared with what bitcoin-cli v29 prints for the
 * same replies. The expected text was made by applying bitcoin-cli.cpp's
 * own format strings (NetinfoRequestHandler::ProcessReply) to the peers
 * below, outside this code: three bitcoind-shaped peers (a v2 full-relay
 * one, a manual one with a ping past 999999 ms, an inbound loopback one
 * with addresses rate limited), two local addresses. */
#include "cli.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define NOW 1700000000

static const char batch[] =
    "[{\"result\":[{\"id\":7,\"addr\":\"203.0.113.5:8333\",\"network\":\"ipv4\",\"servicesnames\":[\"NETWORK"
    "\",\"WITNESS\",\"NETWORK_LIMITED\",\"P2P_V2\"],\"relaytxes\":true,\"lastsend\":1699999997,\"lastrecv"
    "\":1699999995,\"last_transaction\":0,\"last_block\":1699999400,\"conntime\":1699996400,\"version"
    "\":70016,\"subver\":\"/Satoshi:29.0.0/\",\"inbound\":false,\"bip152_hb_to\":false,\"bip152_hb_from"
    "\":true,\"addr_relay_enabled\":true,\"addr_processed\":1004,\"addr_rate_limited\":0,\"connection"
    "_type\":\"outbound-full-relay\",\"transport_protocol_type\":\"v2\",\"minping\":0.0123,\"pingtime\":"
    "0.0456},{\"id\":12,\"addr\":\"127.0.0.1:50000\",\"network\":\"not_publicly_routable\",\"servicesnam"
    "es\":[\"WITNESS\"],\"relaytxes\":false,\"lastsend\":1699999998,\"lastrecv\":1699999999,\"last_tran"
    "saction\":0,\"last_block\":0,\"conntime\":1699999880,\"version\":70016,\"subver\":\"/btcpeerd:0.1."
    "0/\",\"inbound\":true,\"bip152_hb_to\":false,\"bip152_hb_from\":false,\"addr_relay_enabled\":fals"
    "e,\"addr_processed\":0,\"addr_rate_limited\":12,\"connection_type\":\"inbound\",\"transport_proto"
    "col_type\":\"v1\"},{\"id\":3,\"addr\":\"198.51.100.9:8333\",\"network\":\"ipv4\",\"servicesnames\":[\"NE"
    "TWORK\",\"WITNESS\"],\"relaytxes\":true,\"lastsend\":1699999900,\"lastrecv\":1699999900,\"last_tra"
    "nsaction\":0,\"last_block\":0,\"conntime\":1699994600,\"version\":70016,\"subver\":\"/Satoshi:28.1"
    ".0/\",\"inbound\":false,\"bip152_hb_to\":false,\"bip152_hb_from\":false,\"addr_relay_enabled\":tr"
    "ue,\"addr_processed\":3,\"addr_rate_limited\":0,\"connection_type\":\"manual\",\"transport_protoc"
    "ol_type\":\"v1\",\"minping\":0.002,\"pingtime\":2000.0}],\"error\":null,\"id\":0},{\"result\":{\"versi"
    "on\":290000,\"subversion\":\"/Satoshi:29.0.0/\",\"protocolversion\":70016,\"networks\":[{\"name\":\""
    "ipv4\",\"reachable\":true},{\"name\":\"ipv6\",\"reachable\":true},{\"name\":\"onion\",\"reachable\":fal"
    "se},{\"name\":\"i2p\",\"reachable\":false},{\"name\":\"cjdns\",\"reachable\":false}],\"localaddresses"
    "\":[{\"address\":\"203.0.113.1\",\"port\":8333,\"score\":4},{\"address\":\"2001:db8::1\",\"port\":8333,"
    "\"score\":1}]},\"error\":null,\"id\":1}]";

static const char header[] = "btcpeerd-cli client v" BTCPEERD_VERSION_STRING " - server 70016/Satoshi:29.0.0/\n\n";

static const char level0[] =
    "         ipv4    ipv6     npr   total   block  manual\n"
    "in          0       0       1       1\n"
    "out         2       0       0       2       0       1\n"
    "total       2       0       1       3\n"
    "\n"
    "Local addresses\n"
    "203.0.113.1     port   8333    score      4\n"
    "2001:db8::1     port   8333    score      1\n";

static const char level4[] =
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id address           version\n"
    " in          npr      w  1                  2    1    *              .    12    2 12 127.0.0.1:50000   70016/btcpeerd:0.1.0/\n"
    "out manual  ipv4     nw  1      2      -  100  100                   3         90  3 198.51.100.9:8333 70016/Satoshi:28.1.0/\n"
    "out   full  ipv4   nwl2  2     12     46    3    5        10   *  1004         60  7 203.0.113.5:8333  70016/Satoshi:29.0.0/\n"
    "                               ms     ms  sec  sec  min  min                  min\n"
    "\n"
    "         ipv4    ipv6     npr   total   block  manual\n"
    "in          0       0       1       1\n"
    "out         2       0       0       2       0       1\n"
    "total       2       0       1       3\n"
    "\n"
    "Local addresses\n"
    "203.0.113.1     port   8333    score      4\n"
    "2001:db8::1     port   8333    score      1\n";

static const char level1_outonly[] =
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id \n"
    "out manual  ipv4     nw  1      2      -  100  100                   3         90  3 \n"
    "out   full  ipv4   nwl2  2     12     46    3    5        10   *  1004         60  7 \n"
    "                               ms     ms  sec  sec  min  min                  min\n"
    "\n"
    "         ipv4    ipv6     npr   total   block  manual\n"
    "in          0       0       1       1\n"
    "out         2       0       0       2       0       1\n"
    "total       2       0       1       3\n"
    "\n"
    "Local addresses\n"
    "203.0.113.1     port   8333    score      4\n"
    "2001:db8::1     port   8333    score      1\n";

struct printed {
    int rc;
    char *out, *err;
};

static struct printed run(const char *body, unsigned level, bool outonly)
{
    struct printed p;
    size_t out_len, err_len;
    FILE *out = open_memstream(&p.out, &out_len);
    FILE *err = open_memstream(&p.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    struct cli_netinfo ni = {.level = level, .outonly = outonly};
    p.rc = cli_print_netinfo(200, body, strlen(body), &ni, "", NOW, out, err);
    fclose(out);
    fclose(err);
    return p;
}

static void expect_dashboard(unsigned level, bool outonly, const char *want)
{
    struct printed p = run(batch, level, outonly);
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.err, "");
    size_t h = strlen(header);
    if (strncmp(p.out, header, h) != 0 || strcmp(p.out + h, want) != 0)
        fail_msg("-netinfo %u%s printed:\n%s\nwanted:\n%s%s", level, outonly ? " outonly" : "", p.out, header, want);
    free(p.out);
    free(p.err);
}

static void test_dashboard_levels(void **state)
{
    (void)state;
    expect_dashboard(0, false, level0);
    expect_dashboard(4, false, level4);
    expect_dashboard(1, true, level1_outonly);
}

static void test_arguments(void **state)
{
    (void)state;
    char msg[256];
    struct cli_netinfo ni;
    char *none[] = {NULL};
    assert_int_equal(cli_netinfo_args(none, 0, &ni, msg, sizeof msg), CLI_OK);
    assert_int_equal(ni.level, 0);
    char *big[] = {"200", "o"};
    assert_int_equal(cli_netinfo_args(big, 2, &ni, msg, sizeof msg), CLI_OK);
    assert_int_equal(ni.level, 4); /* above 4 up to 255 reads as 4 */
    assert_true(ni.outonly);
    char *help[] = {"h"};
    assert_int_equal(cli_netinfo_args(help, 1, &ni, msg, sizeof msg), CLI_OK);
    assert_true(ni.help);
    char *bad[] = {"256"};
    assert_int_equal(cli_netinfo_args(bad, 1, &ni, msg, sizeof msg), CLI_ERR_PARAM);
    assert_non_null(strstr(msg, "invalid -netinfo level argument: 256"));
    char *zero_o[] = {"0", "outonly"};
    assert_int_equal(cli_netinfo_args(zero_o, 2, &ni, msg, sizeof msg), CLI_ERR_PARAM);
    assert_non_null(strstr(msg, "only valid for a level greater than 0"));
    char *other[] = {"2", "inonly"};
    assert_int_equal(cli_netinfo_args(other, 2, &ni, msg, sizeof msg), CLI_ERR_PARAM);
    char *request = cli_netinfo_request();
    assert_non_null(strstr(request, "\"getpeerinfo\""));
    assert_non_null(strstr(request, "\"getnetworkinfo\""));
    free(request);
}

/* A server older than v0.21 (version below 209900) is refused, as
 * bitcoin-cli does; an error of either call is printed as that call's. */
static void test_refusals(void **state)
{
    (void)state;
    struct printed p = run("[{\"result\":[],\"id\":0},{\"result\":{\"version\":100,\"networks\":[],"
                           "\"localaddresses\":[]},\"id\":1}]", 0, false);
    assert_int_equal(p.rc, 1);
    assert_non_null(strstr(p.err, "requires bitcoind server to be running v0.21.0 and up"));
    free(p.out);
    free(p.err);
    p = run("[{\"result\":null,\"error\":{\"code\":-28,\"message\":\"Loading\"},\"id\":0},"
            "{\"result\":{},\"id\":1}]", 0, false);
    assert_int_equal(p.rc, 28);
    assert_non_null(strstr(p.err, "error code: -28"));
    free(p.out);
    free(p.err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dashboard_levels),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
