/* btcpeerd's options: one row each (src/config/config_table.c), read by
 * the engine (option.c) for the command line, the config file, the
 * defaults and --help (config.c). Private to the config layer and its
 * unit tests. */
#ifndef BTCPEERD_CONFIG_TABLE_H
#define BTCPEERD_CONFIG_TABLE_H

#include <btcpeerd/option.h>

#include <stddef.h>

/* Room for this many rows in config.c's per-option arrays (checked at
 * compile time next to the table). */
#define CONFIG_OPTIONS_MAX 96

extern const struct option_row config_options[];
extern const size_t config_n_options;

#endif
