/* libFuzzer target for the SOCKS5 client: the proxy's side of the exchange
 * is the input. The first byte chooses the target kind (IPv4, IPv6, name)
 * and whether credentials are offered, the second how the rest is cut into
 * reads. Whatever arrives: never a byte consumed past the CONNECT reply,
 * every result one of the three statuses, a failure always named. */
#include <btcpeerd/buf.h>
#include <btcpeerd/socks5.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const char *const hosts[] = {"192.0.2.1", "2001:db8::1", "example.org",
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.onion"};
    struct socks5_addr target;
    if (socks5_addr_from_host(&target, hosts[data[0] % 4], 8333) != SOCKS5_OK) abort();
    struct socks5 s;
    bool creds = data[0] & 0x10;
    if (socks5_init(&s, &target, creds ? "user" : NULL, creds ? "pass" : NULL) != SOCKS5_OK) abort();
    size_t chunk = (size_t)data[1] % 32 + 1;
    data += 2;
    size -= 2;

    struct buf_writer out;
    buf_writer_init(&out);
    if (socks5_start(&s, &out) != SOCKS5_OK) abort();
    size_t pos = 0;
    enum socks5_status st = SOCKS5_NEED_MORE;
    while (pos < size && st == SOCKS5_NEED_MORE) {
        size_t piece = size - pos < chunk ? size - pos : chunk, used = 0;
        st = socks5_read(&s, data + pos, piece, &used, &out);
        if (used > piece) abort();
        if (st == SOCKS5_NEED_MORE && used != piece) abort(); /* all taken while waiting */
        pos += used;
    }
    if (st == SOCKS5_FAILED && (s.err == SOCKS5_OK || s.state != SOCKS5_STATE_FAILED)) abort();
    if (st == SOCKS5_DONE && s.state != SOCKS5_STATE_DONE) abort();
    buf_writer_free(&out);
    return 0;
}
