/* Error sentences into a caller's buffer, shared by the daemon's and the
 * client's option parsers. */
#include <btcpeerd/report.h>

#include <stdarg.h>
#include <stdio.h>

void report(char *msg, size_t msg_len, const char *fmt, ...)
{
    if (!msg || !msg_len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
}
