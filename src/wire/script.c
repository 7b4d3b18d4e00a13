/* Script bytes read only as far as opcode boundaries, as Core's GetScriptOp
 * does; used to choose between the two readings of an ambiguous raw
 * transaction and to spot burned outputs. */
#include <btcpeerd/script.h>

/* Advance *pos past one opcode and its push; false if the push runs past
 * the end. *push_len gets the pushed size (0 for plain opcodes). */
static bool next_op(const uint8_t *s, size_t len, size_t *pos, uint8_t *op, size_t *push_len)
{
    size_t left = len - *pos, n = 0, size_len = 0;
    *op = s[(*pos)++];
    left--;
    if (*op < SCRIPT_OP_PUSHDATA1) {
        n = *op;
    } else if (*op == SCRIPT_OP_PUSHDATA1) {
        size_len = 1;
    } else if (*op == SCRIPT_OP_PUSHDATA2) {
        size_len = 2;
    } else if (*op == SCRIPT_OP_PUSHDATA4) {
        size_len = 4;
    }
    if (size_len) {
        if (left < size_len) return false;
        for (size_t i = 0; i < size_len; i++) n |= (size_t)s[*pos + i] << (8 * i);
        *pos += size_len;
        left -= size_len;
    }
    if (left < n) return false;
    *pos += n;
    *push_len = n;
    return true;
}

bool script_has_valid_ops(const uint8_t *script, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        uint8_t op;
        size_t push_len;
        if (!next_op(script, len, &pos, &op, &push_len)) return false;
        if (op > SCRIPT_OP_NOP10 || push_len > SCRIPT_MAX_ELEMENT_SIZE) return false;
    }
    return true;
}

bool script_is_unspendable(const uint8_t *script, size_t len)
{
    return (len > 0 && script[0] == SCRIPT_OP_RETURN) || len > SCRIPT_MAX_SIZE;
}
