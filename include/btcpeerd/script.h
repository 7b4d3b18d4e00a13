/* What can be said about a script from its bytes alone, with Bitcoin
 * Core's definitions: whether its opcodes parse, and whether an output with
 * it is provably unspendable. No execution, no signatures. */
#ifndef BTCPEERD_SCRIPT_H
#define BTCPEERD_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_SIZE 10000u        /* Core's MAX_SCRIPT_SIZE */
#define SCRIPT_MAX_ELEMENT_SIZE 520u  /* Core's MAX_SCRIPT_ELEMENT_SIZE */

#define SCRIPT_OP_0 0x00u
#define SCRIPT_OP_PUSHDATA1 0x4cu
#define SCRIPT_OP_PUSHDATA2 0x4du
#define SCRIPT_OP_PUSHDATA4 0x4eu
#define SCRIPT_OP_TRUE 0x51u
#define SCRIPT_OP_RETURN 0x6au
#define SCRIPT_OP_NOP10 0xb9u /* Core's MAX_OPCODE: anything above is invalid */

/* CScript::HasValidOps: every push complete and at most 520 bytes, every
 * opcode at most OP_NOP10. */
bool script_has_valid_ops(const uint8_t *script, size_t len);
/* CScript::IsUnspendable: starts with OP_RETURN, or longer than 10,000
 * bytes. */
bool script_is_unspendable(const uint8_t *script, size_t len);

#endif
