/* See soak_log.h. The daemon's own lines are read: an inbound "connected
 * addr=", "refused inbound connection addr=", "handshake complete", and an
 * inbound "disconnected addr=" with its "reason=", each with " peer=N". */
#include "soak_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool parse_addr(const char *p, uint64_t *key)
{
    unsigned a, b, c, d, port;
    if (sscanf(p, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &port) != 5) return false;
    *key = (uint64_t)(a << 24 | b << 16 | c << 8 | d) << 16 | port;
    return true;
}

static void push_seen(struct soak_tally *t, uint64_t key)
{
    if (t->n_seen == t->cap_seen) {
        t->cap_seen = t->cap_seen ? 2 * t->cap_seen : 65536;
        t->seen = realloc(t->seen, t->cap_seen * sizeof *t->seen);
    }
    t->seen[t->n_seen++] = key;
}

static void mark(struct soak_tally *t, unsigned long id, unsigned char st)
{
    if (id >= t->cap_state) {
        size_t cap = t->cap_state ? t->cap_state : 65536;
        while (cap <= id) cap *= 2;
        t->state = realloc(t->state, cap);
        memset(t->state + t->cap_state, 0, cap - t->cap_state);
        t->cap_state = cap;
    }
    t->state[id] = st;
}

static void count_reason(struct soak_tally *t, const char *r)
{
    char word[32];
    size_t n = strcspn(r, " \n");
    if (n >= sizeof word) n = sizeof word - 1;
    memcpy(word, r, n);
    word[n] = '\0';
    for (size_t i = 0; i < t->n_reasons; i++)
        if (strcmp(t->reasons[i], word) == 0) {
            t->reason_count[i]++;
            return;
        }
    if (t->n_reasons < 32) {
        strcpy(t->reasons[t->n_reasons], word);
        t->reason_count[t->n_reasons++] = 1;
    }
}

void soak_log_read(const char *path, struct soak_tally *t)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "LeakSanitizer") || strstr(line, "AddressSanitizer") ||
            strstr(line, "runtime error"))
            t->leak_reports++;
        const char *peer = strstr(line, " peer=");
        unsigned long id = peer ? strtoul(peer + 6, NULL, 10) : 0;
        const char *p;
        uint64_t key;
        if ((p = strstr(line, " connected addr=")) && strstr(line, "direction=inbound")) {
            if (parse_addr(p + 16, &key)) push_seen(t, key);
            t->connected++;
            mark(t, id, 1);
        } else if ((p = strstr(line, "refused inbound connection addr="))) {
            if (parse_addr(p + 32, &key)) push_seen(t, key);
            t->refused++;
            const char *r = strstr(line, "reason=");
            if (r) count_reason(t, r + 7);
        } else if (strstr(line, " handshake complete ")) {
            t->handshakes++;
        } else if (strstr(line, " disconnected addr=") && strstr(line, "direction=inbound")) {
            const char *r = strstr(line, "reason=");
            if (r) count_reason(t, r + 7);
            else t->no_reason++;
            t->disconnected++;
            mark(t, id, 2);
        }
    }
    if (f) fclose(f);
}

void soak_log_free(struct soak_tally *t)
{
    free(t->seen);
    free(t->state);
    t->seen = NULL;
    t->state = NULL;
}

size_t soak_log_unseen(struct soak_tally *t, uint64_t *opened, size_t n_opened)
{
    qsort(opened, n_opened, sizeof *opened, cmp_u64);
    qsort(t->seen, t->n_seen, sizeof *t->seen, cmp_u64);
    size_t unseen = 0, i = 0, j = 0;
    while (i < n_opened) {
        while (j < t->n_seen && t->seen[j] < opened[i]) j++;
        if (j < t->n_seen && t->seen[j] == opened[i]) j++;
        else unseen++;
        i++;
    }
    return unseen;
}

size_t soak_log_open_at_end(const struct soak_tally *t)
{
    size_t open_at_end = 0;
    for (size_t id = 0; id < t->cap_state; id++) open_at_end += t->state[id] == 1;
    return open_at_end;
}
