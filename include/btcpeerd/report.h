/* The one way a parser tells its caller what went wrong: a sentence
 * formatted into the caller's buffer (config_load, btcpeerd-cli's options,
 * the config-file reader). */
#ifndef BTCPEERD_REPORT_H
#define BTCPEERD_REPORT_H

#include <stddef.h>

/* printf into msg (always NUL-terminated, cut to msg_len); msg NULL or
 * msg_len 0: the caller does not want the sentence, nothing is written. */
void report(char *msg, size_t msg_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
