/* The BIP324 cipher suite against the BIP's own vectors (read at run time
 * from vectors/bip324): every ElligatorSwift decoding, every inverse case,
 * and every packet-encoding row, which between them cover ECDH, the key
 * schedule, the garbage terminators and both rekeying ciphers. */
#include "testutil.h"

#include <btcpeerd/bip324_crypto.h>
#include <btcpeerd/hex.h>

#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 32

/* A CSV file split in place: rows of fields. The vectors quote nothing and
 * have no commas inside fields. */
struct csv {
    char *text;
    char *head[MAX_COLS];
    size_t n_cols;
    char **rows; /* n_rows * n_cols field pointers */
    size_t n_rows;
};

static size_t split_fields(char *line, char **fields)
{
    size_t n = 0;
    for (;;) {
        assert_true(n < MAX_COLS);
        fields[n++] = line;
        char *comma = strchr(line, ',');
        if (!comma) break;
        *comma = 0;
        line = comma + 1;
    }
    return n;
}

static void csv_load(struct csv *csv, const char *rel)
{
    size_t len;
    memset(csv, 0, sizeof *csv);
    csv->text = (char *)test_read_file(test_vector_path(rel), &len);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += csv->text[i] == '\n';
    char *save = NULL;
    char *line = strtok_r(csv->text, "\r\n", &save);
    assert_non_null(line);
    csv->n_cols = split_fields(line, csv->head);
    csv->rows = calloc(lines * csv->n_cols, sizeof *csv->rows);
    assert_non_null(csv->rows);
    while ((line = strtok_r(NULL, "\r\n", &save)) != NULL) {
        char *fields[MAX_COLS];
        assert_int_equal(split_fields(line, fields), csv->n_cols);
        memcpy(csv->rows + csv->n_rows * csv->n_cols, fields, csv->n_cols * sizeof *fields);
        csv->n_rows++;
    }
}

static const char *csv_get(const struct csv *csv, size_t row, const char *col)
{
    for (size_t i = 0; i < csv->n_cols; i++)
        if (strcmp(csv->head[i], col) == 0) return csv->rows[row * csv->n_cols + i];
    fail_msg("no column %s", col);
    return NULL;
}

static void csv_free(struct csv *csv)
{
    free(csv->rows);
    free(csv->text);
}

/* Exactly n bytes of hex from a field into out. */
static void unhex_exact(const char *hex, uint8_t *out, size_t n)
{
    size_t len;
    uint8_t *b = test_unhex(hex, &len);
    assert_int_equal(len, n);
    memcpy(out, b, n);
    free(b);
}

static void assert_hex_equal(const uint8_t *got, size_t n, const char *want_hex)
{
    char *hex = malloc(2 * n + 1);
    assert_non_null(hex);
    hex_encode(got, n, hex);
    bool equal = strcmp(hex, want_hex) == 0;
    if (!equal) print_error("got  %s\nwant %s\n", hex, want_hex);
    free(hex);
    if (!equal) fail();
}

static void test_ellswift_decode_vectors(void **state)
{
    (void)state;
    struct csv csv;
    csv_load(&csv, "bip324/ellswift_decode_test_vectors.csv");
    assert_int_equal(csv.n_rows, 76);
    for (size_t r = 0; r < csv.n_rows; r++) {
        uint8_t ell[64], x[32];
        unhex_exact(csv_get(&csv, r, "ellswift"), ell, sizeof ell);
        assert_int_equal(ellswift_decode(ell, x), BIP324_OK);
        assert_hex_equal(x, sizeof x, csv_get(&csv, r, "x"));
    }
    csv_free(&csv);
}

static void test_xswiftec_inv_vectors(void **state)
{
    (void)state;
    struct csv csv;
    csv_load(&csv, "bip324/xswiftec_inv_test_vectors.csv");
    assert_int_equal(csv.n_rows, 32);
    size_t found = 0, none = 0;
    for (size_t r = 0; r < csv.n_rows; r++) {
        uint8_t u[32], x[32], t[32], ell[64], back[32];
        unhex_exact(csv_get(&csv, r, "u"), u, sizeof u);
        unhex_exact(csv_get(&csv, r, "x"), x, sizeof x);
        for (unsigned c = 0; c < 8; c++) {
            char col[16];
            snprintf(col, sizeof col, "case%u_t", c);
            const char *want = csv_get(&csv, r, col);
            bip324_err err = xswiftec_inv(u, x, c, t);
            if (want[0] == 0) {
                assert_int_equal(err, BIP324_ERR_NO_RESULT);
                none++;
                continue;
            }
            assert_int_equal(err, BIP324_OK);
            assert_hex_equal(t, sizeof t, want);
            /* and the forward map takes it back */
            memcpy(ell, u, 32);
            memcpy(ell + 32, t, 32);
            assert_int_equal(ellswift_decode(ell, back), BIP324_OK);
            assert_memory_equal(back, x, 32);
            found++;
        }
    }
    assert_int_equal(found + none, 32 * 8);
    assert_true(found > 0 && none > 0);
    csv_free(&csv);
}

/* A peer's 64 bytes are arbitrary: every string must decode to an x that
 * libsecp256k1 accepts as a point. */
static void test_ellswift_decode_random(void **state)
{
    (void)state;
    uint64_t seed = 324;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    for (int i = 0; i < 300; i++) {
        uint8_t ell[64], ser[33];
        secp256k1_pubkey pub;
        test_random_bytes(&seed, ell, sizeof ell);
        if (i % 3 == 1) memset(ell, 0xff, 32);      /* u >= p */
        if (i % 3 == 2) memset(ell + 32, 0xff, 32); /* t >= p */
        assert_int_equal(ellswift_decode(ell, ser + 1), BIP324_OK);
        ser[0] = 0x02;
        assert_true(secp256k1_ec_pubkey_parse(ctx, &pub, ser, sizeof ser));
    }
    secp256k1_context_destroy(ctx);
}

static void test_xswiftec_inv_rejects_bad_input(void **state)
{
    (void)state;
    uint8_t u[32], x[32], t[32];
    /* x = 5 is not on the curve (132 is not a square mod p) ... */
    memset(u, 0, 32);
    u[31] = 5;
    memset(x, 0, 32);
    x[31] = 5;
    assert_int_equal(xswiftec_inv(u, x, 0, t), BIP324_ERR_BAD_INPUT);
    /* ... field elements must be reduced, u nonzero, case 0..7 */
    memset(x, 0xff, 32);
    assert_int_equal(xswiftec_inv(u, x, 0, t), BIP324_ERR_BAD_INPUT);
    memset(u, 0, 32);
    unhex_exact("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", x, 32);
    assert_int_equal(xswiftec_inv(u, x, 0, t), BIP324_ERR_BAD_INPUT);
    u[31] = 5;
    assert_int_equal(xswiftec_inv(u, x, 8, t), BIP324_ERR_BAD_INPUT);
    assert_string_equal(bip324_err_str(BIP324_ERR_NO_RESULT), "no result");
}

/* x of priv's public key the ordinary way, for comparison. */
static void pubkey_x(const uint8_t priv[32], uint8_t x[32])
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_pubkey pub;
    uint8_t ser[33];
    size_t len = sizeof ser;
    assert_true(secp256k1_ec_pubkey_create(ctx, &pub, priv));
    assert_true(secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_COMPRESSED));
    memcpy(x, ser + 1, 32);
    secp256k1_context_destroy(ctx);
}

static void test_ellswift_create_roundtrip(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) {
        uint8_t priv[32], ell[64], ell2[64], x[32], want[32];
        assert_int_equal(ellswift_keygen(priv, ell), BIP324_OK);
        pubkey_x(priv, want);
        assert_int_equal(ellswift_decode(ell, x), BIP324_OK);
        assert_memory_equal(x, want, 32);
        /* randomised: a second encoding of the same key differs */
        assert_int_equal(ellswift_create(priv, ell2), BIP324_OK);
        assert_memory_not_equal(ell, ell2, 64);
        assert_int_equal(ellswift_decode(ell2, x), BIP324_OK);
        assert_memory_equal(x, want, 32);
    }
    uint8_t zero[32] = {0}, ell[64];
    assert_int_equal(ellswift_create(zero, ell), BIP324_ERR_BAD_INPUT);
}

static void test_ecdh_agrees(void **state)
{
    (void)state;
    uint8_t pa[32], pb[32], ea[64], eb[64], sa[32], sb[32], xa[32], xb[32];
    assert_int_equal(ellswift_keygen(pa, ea), BIP324_OK);
    assert_int_equal(ellswift_keygen(pb, eb), BIP324_OK);
    assert_int_equal(ellswift_xdh(pa, eb, xa), BIP324_OK);
    assert_int_equal(ellswift_xdh(pb, ea, xb), BIP324_OK);
    assert_memory_equal(xa, xb, 32);
    assert_int_equal(bip324_ecdh(pa, ea, eb, true, sa), BIP324_OK);
    assert_int_equal(bip324_ecdh(pb, eb, ea, false, sb), BIP324_OK);
    assert_memory_equal(sa, sb, 32);
    /* Any 64 bytes are a valid peer key: all-ones must not fail. */
    memset(eb, 0xff, 64);
    assert_int_equal(bip324_ecdh(pa, ea, eb, true, sa), BIP324_OK);
}

/* One BIP324 packet: 3-byte encrypted length, then the AEAD over the
 * header byte and the contents. out holds 3 + 1 + len + 16 bytes. */
static void enc_packet(struct fschacha20 *l, struct fschacha20poly1305 *p, const uint8_t *contents,
                       size_t len, const uint8_t *aad, size_t aad_len, bool ignore, uint8_t *out)
{
    uint8_t len_le[3] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16)};
    assert_int_equal(fschacha20_crypt(l, len_le, out, 3), BIP324_OK);
    uint8_t *plain = malloc(len + 1);
    assert_non_null(plain);
    plain[0] = ignore ? 0x80 : 0x00;
    if (len) memcpy(plain + 1, contents, len);
    assert_int_equal(fschacha20poly1305_encrypt(p, aad, aad_len, plain, len + 1, out + 3),
                     BIP324_OK);
    free(plain);
}

static void run_packet_row(const struct csv *csv, size_t r)
{
    uint8_t priv[32], ours[64], theirs[64], x[32], secret[32];
    struct bip324_keys keys;
    static const uint8_t magic[4] = {0xf9, 0xbe, 0xb4, 0xd9};
    unsigned long idx = strtoul(csv_get(csv, r, "in_idx"), NULL, 10);
    bool initiating = strcmp(csv_get(csv, r, "in_initiating"), "1") == 0;
    bool ignore = strcmp(csv_get(csv, r, "in_ignore"), "1") == 0;
    unsigned long multiply = strtoul(csv_get(csv, r, "in_multiply"), NULL, 10);
    unhex_exact(csv_get(csv, r, "in_priv_ours"), priv, 32);
    unhex_exact(csv_get(csv, r, "in_ellswift_ours"), ours, 64);
    unhex_exact(csv_get(csv, r, "in_ellswift_theirs"), theirs, 64);

    assert_int_equal(ellswift_decode(ours, x), BIP324_OK);
    assert_hex_equal(x, 32, csv_get(csv, r, "mid_x_ours"));
    uint8_t px[32];
    pubkey_x(priv, px);
    assert_memory_equal(px, x, 32);
    assert_int_equal(ellswift_decode(theirs, x), BIP324_OK);
    assert_hex_equal(x, 32, csv_get(csv, r, "mid_x_theirs"));
    assert_int_equal(ellswift_xdh(priv, theirs, x), BIP324_OK);
    assert_hex_equal(x, 32, csv_get(csv, r, "mid_x_shared"));
    assert_int_equal(bip324_ecdh(priv, ours, theirs, initiating, secret), BIP324_OK);
    assert_hex_equal(secret, 32, csv_get(csv, r, "mid_shared_secret"));

    assert_int_equal(bip324_derive_keys(secret, magic, &keys), BIP324_OK);
    assert_hex_equal(keys.initiator_l, 32, csv_get(csv, r, "mid_initiator_l"));
    assert_hex_equal(keys.initiator_p, 32, csv_get(csv, r, "mid_initiator_p"));
    assert_hex_equal(keys.responder_l, 32, csv_get(csv, r, "mid_responder_l"));
    assert_hex_equal(keys.responder_p, 32, csv_get(csv, r, "mid_responder_p"));
    const uint8_t *send_gt = initiating ? keys.initiator_garbage_terminator
                                        : keys.responder_garbage_terminator;
    const uint8_t *recv_gt = initiating ? keys.responder_garbage_terminator
                                        : keys.initiator_garbage_terminator;
    assert_hex_equal(send_gt, 16, csv_get(csv, r, "mid_send_garbage_terminator"));
    assert_hex_equal(recv_gt, 16, csv_get(csv, r, "mid_recv_garbage_terminator"));
    assert_hex_equal(keys.session_id, 32, csv_get(csv, r, "out_session_id"));

    struct fschacha20 send_l, recv_l;
    struct fschacha20poly1305 send_p, recv_p;
    fschacha20_init(&send_l, initiating ? keys.initiator_l : keys.responder_l);
    fschacha20poly1305_init(&send_p, initiating ? keys.initiator_p : keys.responder_p);
    /* The receiving side of a peer that holds the opposite role. */
    fschacha20_init(&recv_l, initiating ? keys.initiator_l : keys.responder_l);
    fschacha20poly1305_init(&recv_p, initiating ? keys.initiator_p : keys.responder_p);

    uint8_t empty_pkt[3 + 1 + 16], dec[1];
    for (unsigned long i = 0; i < idx; i++) {
        enc_packet(&send_l, &send_p, NULL, 0, NULL, 0, false, empty_pkt);
        uint8_t len_le[3];
        assert_int_equal(fschacha20_crypt(&recv_l, empty_pkt, len_le, 3), BIP324_OK);
        assert_memory_equal(len_le, "\0\0\0", 3);
        assert_int_equal(fschacha20poly1305_decrypt(&recv_p, NULL, 0, empty_pkt + 3, 17, dec),
                         BIP324_OK);
        assert_int_equal(dec[0], 0);
    }

    size_t piece_len, aad_len;
    uint8_t *piece = test_unhex(csv_get(csv, r, "in_contents"), &piece_len);
    uint8_t *aad = test_unhex(csv_get(csv, r, "in_aad"), &aad_len);
    size_t len = piece_len * multiply;
    uint8_t *contents = malloc(len ? len : 1);
    assert_non_null(contents);
    for (unsigned long i = 0; i < multiply; i++) memcpy(contents + i * piece_len, piece, piece_len);
    size_t pkt_len = 3 + 1 + len + 16;
    uint8_t *pkt = malloc(pkt_len);
    uint8_t *plain = malloc(len + 1);
    assert_non_null(pkt);
    assert_non_null(plain);
    enc_packet(&send_l, &send_p, contents, len, aad, aad_len, ignore, pkt);

    const char *full = csv_get(csv, r, "out_ciphertext");
    const char *tail = csv_get(csv, r, "out_ciphertext_endswith");
    if (full[0]) assert_hex_equal(pkt, pkt_len, full);
    if (tail[0]) {
        size_t tail_len = strlen(tail) / 2;
        assert_true(pkt_len >= tail_len);
        assert_hex_equal(pkt + pkt_len - tail_len, tail_len, tail);
    }
    assert_true(full[0] || tail[0]);

    /* The receiver gets the length and the contents back, and one flipped
     * bit anywhere in the AEAD part is caught. */
    uint8_t len_le[3];
    assert_int_equal(fschacha20_crypt(&recv_l, pkt, len_le, 3), BIP324_OK);
    assert_int_equal((size_t)len_le[0] | (size_t)len_le[1] << 8 | (size_t)len_le[2] << 16, len);
    struct fschacha20poly1305 recv_p2 = recv_p;
    assert_int_equal(fschacha20poly1305_decrypt(&recv_p, aad, aad_len, pkt + 3, pkt_len - 3, plain),
                     BIP324_OK);
    assert_int_equal(plain[0], ignore ? 0x80 : 0x00);
    assert_memory_equal(plain + 1, contents, len);
    pkt[pkt_len - 1] ^= 1;
    assert_int_equal(fschacha20poly1305_decrypt(&recv_p2, aad, aad_len, pkt + 3, pkt_len - 3, plain),
                     BIP324_ERR_AUTH);

    fschacha20_wipe(&send_l);
    fschacha20_wipe(&recv_l);
    fschacha20poly1305_wipe(&send_p);
    fschacha20poly1305_wipe(&recv_p);
    bip324_keys_wipe(&keys);
    free(plain);
    free(pkt);
    free(contents);
    free(aad);
    free(piece);
}

static void test_packet_encoding_vectors(void **state)
{
    (void)state;
    struct csv csv;
    csv_load(&csv, "bip324/packet_encoding_test_vectors.csv");
    assert_int_equal(csv.n_rows, 7);
    for (size_t r = 0; r < csv.n_rows; r++) run_packet_row(&csv, r);
    csv_free(&csv);
}

/* RFC 5869 test case 1, for the general HKDF entry point. */
static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    uint8_t ikm[22], salt[13], info[10], okm[42];
    memset(ikm, 0x0b, sizeof ikm);
    for (size_t i = 0; i < sizeof salt; i++) salt[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof info; i++) info[i] = (uint8_t)(0xf0 + i);
    assert_int_equal(hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm,
                                 sizeof okm),
                     BIP324_OK);
    assert_hex_equal(okm, sizeof okm,
                     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                     "34007208d5b887185865");
}

/* Chunks of other sizes than 3 bytes cross block boundaries and rekeys;
 * one stream cut at different places must give the same bytes while no
 * rekey intervenes, and encrypt/decrypt must invert each other across
 * several rekeys. */
static void test_fschacha20_roundtrip(void **state)
{
    (void)state;
    uint8_t key[32], buf[100], orig[100], ks_a[100], ks_b[100];
    memset(key, 0x42, sizeof key);
    struct fschacha20 a, b;
    fschacha20_init(&a, key);
    fschacha20_init(&b, key);
    memset(buf, 0, sizeof buf);
    assert_int_equal(fschacha20_crypt(&a, buf, ks_a, 100), BIP324_OK);
    assert_int_equal(fschacha20_crypt(&b, buf, ks_b, 37), BIP324_OK);
    assert_int_equal(fschacha20_crypt(&b, buf, ks_b + 37, 63), BIP324_OK);
    assert_memory_equal(ks_a, ks_b, 100);

    fschacha20_init(&a, key);
    fschacha20_init(&b, key);
    for (int i = 0; i < 3 * BIP324_REKEY_INTERVAL + 5; i++) {
        size_t n = (size_t)(i % 100) + 1;
        for (size_t j = 0; j < n; j++) orig[j] = (uint8_t)(i + (int)j);
        assert_int_equal(fschacha20_crypt(&a, orig, buf, n), BIP324_OK);
        assert_int_equal(fschacha20_crypt(&b, buf, buf, n), BIP324_OK);
        assert_memory_equal(buf, orig, n);
    }
    assert_int_equal(a.rekey_counter, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ellswift_decode_vectors),
        cmocka_unit_test(test_xswiftec_inv_vectors),
        cmocka_unit_test(test_ellswift_decode_random),
        cmocka_unit_test(test_xswiftec_inv_rejects_bad_input),
        cmocka_unit_test(test_ellswift_create_roundtrip),
        cmocka_unit_test(test_ecdh_agrees),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_fschacha20_roundtrip),
        cmocka_unit_test(test_packet_encoding_vectors),
    };
    return test_run_group(tests);
}
