/* `help <method>`'s text from the tables of help.h, in bitcoind's layout
 * (RPCHelpMan::ToString): usage line, a blank line, the description with
 * its Arguments: and Result:, then Examples: for bitcoin-cli and curl. A
 * method without an entry gets the same layout from its table row. */
#include "help.h"
#include "jsonrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every help table, one per area. */
static const struct {
    const struct rpc_help_entry *entries;
    const size_t *count;
} tables[] = {
    {rpc_help_chain, &rpc_help_chain_count},
    {rpc_help_net, &rpc_help_net_count},
    {rpc_help_filters, &rpc_help_filters_count},
    {rpc_help_tx, &rpc_help_tx_count},
};

static const struct rpc_help_entry *find(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < *tables[t].count; i++)
            if (strcmp(tables[t].entries[i].name, name) == 0) return &tables[t].entries[i];
    return NULL;
}

/* The examples reach a bitcoind's default port, as bitcoind's do. */
#define HELP_FMT                                                                                   \
    "%s%s%s\n\n%s\nExamples:\n> bitcoin-cli %s%s%s\n"                                              \
    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "        \
    "\"method\": \"%s\", \"params\": [%s]}' -H 'content-type: application/json' "                  \
    "http://127.0.0.1:8332/\n"

static char *build(const struct rpc_help_entry *e)
{
    const char *sp = e->args[0] ? " " : "";
    const char *csp = e->cli[0] ? " " : "";
    int len = snprintf(NULL, 0, HELP_FMT, e->name, sp, e->args, e->text, e->name, csp, e->cli,
                       e->name, e->json);
    if (len < 0) return NULL;
    char *out = malloc((size_t)len + 1);
    if (out)
        snprintf(out, (size_t)len + 1, HELP_FMT, e->name, sp, e->args, e->text, e->name, csp,
                 e->cli, e->name, e->json);
    return out;
}

/* A method without a help entry (a new one, say): its argument names and
 * its one line, in the same layout. */
static char *fallback(const struct rpc_method *m)
{
    char args[256] = "", line[1024];
    size_t len = 0;
    for (size_t i = 0; m->arg_names && m->arg_names[i] && len < sizeof args; i++)
        len +=
            (size_t)snprintf(args + len, sizeof args - len, "%s%s", i ? " " : "", m->arg_names[i]);
    snprintf(line, sizeof line, "%s\n", m->help ? m->help : "");
    struct rpc_help_entry e = {.name = m->name, .args = args, .text = line, .cli = "", .json = ""};
    return build(&e);
}

char *rpc_help_text(const struct rpc_method *m)
{
    const struct rpc_help_entry *e = find(m->name);
    return e ? build(e) : fallback(m);
}
