/* l_budget.h - the instruction budget, its re-raising pcall, and the script phase's CPU watchdog
 * (l_budget.c says why each is needed). */
#ifndef LATHE_L_BUDGET_H
#define LATHE_L_BUDGET_H

#include "l_private.h"

/* After the sandbox is open and before the script runs. */
void lathe_lua_budget_start(lua_State *L, lathe_script_ctx *ctx);
/* Adds n to the instructions run (work the VM does not count); once that spends the budget,
 * the script ends at its next instruction, not at the hook's next round. */
void lathe_lua_budget_charge(lathe_script_ctx *ctx, uint64_t n);
/* After lua_close: disarms the watchdog. */
void lathe_lua_budget_stop(lathe_script_ctx *ctx);

#endif
