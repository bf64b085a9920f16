/* l_budget.c - the limits that end a runaway script whatever it does (issue #22).
 *
 * Three ways out of an instruction count had to be closed:
 * - catching the budget error: once the budget is spent, the hook fires at every instruction and
 *   pcall/xpcall re-raise, so no handler can keep the script alive;
 * - finalizers: Lua runs __gc with hooks off, so a finalizer could loop forever unseen; scripts
 *   have no use for them, and setmetatable refuses a metatable with __gc;
 * - long C calls (a backtracking string.find, table.sort of a huge table): no instruction runs
 *   inside them, so a CPU-time watchdog ends the process when the script phase overruns. Nothing
 *   is written before the script has finished, so ending there loses nothing. */
#define _GNU_SOURCE
#include "l_budget.h"

#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define HOOK_STEP 1000

static const char exhausted_msg[] = "instruction budget exhausted (an endless loop?)";

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(ctx->where, sizeof ctx->where, "%s:%d:", ar->short_src, ar->currentline);
    ctx->instr += HOOK_STEP;
    if (ctx->instr < ctx->instr_limit)
        return;
    if (!ctx->exhausted) {
        ctx->exhausted = 1;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1); /* from now on, every instruction */
    }
    luaL_where(L, 0); /* in a hook, level 0 is the Lua line that was running */
    lua_pushstring(L, exhausted_msg);
    lua_concat(L, 2);
    lua_error(L);
}

void lathe_lua_budget_charge(lathe_script_ctx *ctx, uint64_t n)
{
    ctx->instr += n;
    /* lua_sethook may be called at any point, even asynchronously (ldebug.c) */
    if (ctx->L && ctx->instr_limit && ctx->instr >= ctx->instr_limit && !ctx->exhausted)
        lua_sethook(ctx->L, budget_hook, LUA_MASKCOUNT, 1);
}

/* pcall and xpcall as the scripts see them: the original (upvalue 1), then the budget error
 * raised again if it was the budget that ended the protected call. */
static int rethrowing_call(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    if (ctx->exhausted) {
        lua_pushfstring(L, "%s %s", ctx->where, exhausted_msg);
        return lua_error(L);
    }
    return lua_gettop(L);
}

static int guarded_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2) && lua_getfield(L, 2, "__gc") != LUA_TNIL)
        return luaL_error(L, "setmetatable: __gc finalizers are not available to lathe scripts");
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

static void wrap_global(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getglobal(L, name);
    lua_pushcclosure(L, f, 1);
    lua_setglobal(L, name);
}

/* The watchdog's message is written from a signal handler, so it is made beforehand. */
static char watchdog_line[512];
static size_t watchdog_len;

static void watchdog_fired(int sig)
{
    (void)sig;
    if (write(STDERR_FILENO, watchdog_line, watchdog_len) < 0) {
        /* nothing more can be done from a signal handler */
    }
    _exit(2);
}

static void arm_watchdog(double seconds)
{
    struct itimerval t = {{0, 0}, {(time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6)}};
    if (seconds > 0)
        signal(SIGVTALRM, watchdog_fired);
    setitimer(ITIMER_VIRTUAL, &t, NULL);
}

void lathe_lua_budget_start(lua_State *L, lathe_script_ctx *ctx)
{
    ctx->instr_limit = ctx->cfg->instr_limit ? ctx->cfg->instr_limit : 100000000ull;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, HOOK_STEP);
    wrap_global(L, "pcall", rethrowing_call);
    wrap_global(L, "xpcall", rethrowing_call);
    wrap_global(L, "setmetatable", guarded_setmetatable);
    if (ctx->cfg->cpu_limit_s > 0) {
        int n = snprintf(watchdog_line, sizeof watchdog_line,
                         "lathe: %s: the script used more than %g s of processor time (a runaway "
                         "pattern match or sort?)\n",
                         ctx->cfg->script_path, ctx->cfg->cpu_limit_s);
        watchdog_len = n > 0 ? ((size_t)n < sizeof watchdog_line ? (size_t)n : sizeof watchdog_line - 1) : 0;
        arm_watchdog(ctx->cfg->cpu_limit_s);
    }
}

void lathe_lua_budget_stop(lathe_script_ctx *ctx)
{
    if (ctx->cfg->cpu_limit_s > 0) {
        arm_watchdog(0);
        signal(SIGVTALRM, SIG_DFL);
    }
}
