/* Bit streams for Golomb-Rice coding, most significant bit first (BIP158's
 * big-endian bit order). Private to src/filter.
 *
 * The reader keeps up to 64 bits in a window, the next bit in the top
 * position. It refills eight bytes at a time while eight remain and byte
 * by byte at the end, so it never reads past the end of the buffer. */
#ifndef BTCPEERD_BITSTREAM_H
#define BTCPEERD_BITSTREAM_H

#include <btcpeerd/buf.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bit_reader {
    const uint8_t *start, *p, *end; /* p: next byte not yet in the window */
    uint64_t window;                /* the next `avail` bits, top-aligned */
    unsigned avail;                 /* bits of the window that are accounted for */
};

static inline void bit_reader_init(struct bit_reader *r, const uint8_t *data, size_t len)
{
    r->start = r->p = data;
    r->end = data + len;
    r->window = 0;
    r->avail = 0;
}

static inline uint64_t load_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

/* Top the window up to at least 56 bits, or to the end of the data. With
 * eight bytes left it ORs a whole big-endian word in below the accounted
 * bits: the bits past `avail` are the stream's next bits, so a later
 * refill ORs the same values onto them. */
static inline void bit_reader_refill(struct bit_reader *r)
{
    if (r->end - r->p >= 8) {
        r->window |= load_be64(r->p) >> r->avail;
        unsigned take = (63 - r->avail) >> 3;
        r->p += take;
        r->avail += take * 8;
        return;
    }
    while (r->avail <= 56 && r->p < r->end) {
        r->window |= (uint64_t)*r->p++ << (56 - r->avail);
        r->avail += 8;
    }
}

static inline void bit_reader_consume(struct bit_reader *r, unsigned n)
{
    r->window = n >= 64 ? 0 : r->window << n;
    r->avail -= n;
}

/* A unary number: ones up to the next zero (the zero consumed). The count
 * is bounded by the bits present. */
static inline bool bit_read_unary(struct bit_reader *r, uint64_t *out)
{
    uint64_t q = 0;
    for (;;) {
        if (r->avail == 0) {
            bit_reader_refill(r);
            if (r->avail == 0) return false;
        }
        uint64_t inv = ~r->window;
        unsigned ones = inv ? (unsigned)__builtin_clzll(inv) : 64u;
        if (ones < r->avail) {
            bit_reader_consume(r, ones + 1);
            *out = q + ones;
            return true;
        }
        q += r->avail;
        bit_reader_consume(r, r->avail);
    }
}

/* n bits (1..32) as a big-endian number. */
static inline bool bit_read_bits(struct bit_reader *r, unsigned n, uint64_t *out)
{
    if (r->avail < n) {
        bit_reader_refill(r);
        if (r->avail < n) return false;
    }
    *out = r->window >> (64 - n);
    bit_reader_consume(r, n);
    return true;
}

/* Whole bytes of which no bit was consumed. */
static inline size_t bit_reader_untouched_bytes(const struct bit_reader *r)
{
    size_t consumed_bits = (size_t)(r->p - r->start) * 8 - r->avail;
    size_t total_bits = (size_t)(r->end - r->start) * 8;
    return (total_bits - consumed_bits) / 8;
}

struct bit_writer {
    struct buf_writer *out;
    uint64_t acc; /* pending bits in the low `n` positions */
    unsigned n;   /* fewer than 8 between calls */
};

static inline void bit_writer_init(struct bit_writer *w, struct buf_writer *out)
{
    w->out = out;
    w->acc = 0;
    w->n = 0;
}

/* The low `bits` (at most 32) of v, most significant first. */
static inline void bit_write(struct bit_writer *w, uint64_t v, unsigned bits)
{
    uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
    w->acc = w->acc << bits | (v & mask);
    w->n += bits;
    while (w->n >= 8) {
        w->n -= 8;
        buf_write_u8(w->out, (uint8_t)(w->acc >> w->n));
    }
}

static inline void bit_write_unary(struct bit_writer *w, uint64_t q)
{
    for (; q >= 32; q -= 32) bit_write(w, 0xffffffffu, 32);
    bit_write(w, ((1ull << q) - 1) << 1, (unsigned)q + 1);
}

/* Pad the last byte with zeros. */
static inline void bit_writer_flush(struct bit_writer *w)
{
    if (w->n) buf_write_u8(w->out, (uint8_t)(w->acc << (8 - w->n)));
    w->n = 0;
    w->acc = 0;
}

#endif
