/* The deliverable profiles' numbers (measure/profiles.h) as the global table `spec_profiles`
 * (spec_profiles.cd.ceiling_dbtp == -0.3) and what each key means as `spec_help`.
 * chains/deliver.lua takes its checked defaults and the list of keys the check reads from them,
 * so the chain and `lathe check` cannot drift apart. */
#include "l_private.h"
#include "measure/profiles.h"

#include <lauxlib.h>

void lathe_lua_open_profiles(lua_State *L)
{
    const lathe_spec_profile *const *all = lathe_spec_profiles();
    lua_newtable(L);
    for (int i = 0; all[i]; i++) {
        lua_newtable(L);
        for (int k = 0; all[i]->settings[k].key; k++) {
            double v = all[i]->settings[k].value;
            /* 44100, not 44100.0: the chain hands these to integer parameters and -D types */
            if (v == (double)(lua_Integer)v)
                lua_pushinteger(L, (lua_Integer)v);
            else
                lua_pushnumber(L, v);
            lua_setfield(L, -2, all[i]->settings[k].key);
        }
        lua_pushstring(L, all[i]->container);
        lua_setfield(L, -2, "format");
        lua_setfield(L, -2, all[i]->name);
    }
    lua_setglobal(L, "spec_profiles");
    /* spec_help.ceiling_dbtp: what each checked key means, for `lathe help deliver` */
    lua_newtable(L);
    for (int i = 0; all[i]; i++)
        for (int k = 0; all[i]->settings[k].key; k++) {
            lua_pushstring(L, all[i]->settings[k].help);
            lua_setfield(L, -2, all[i]->settings[k].key);
        }
    lua_setglobal(L, "spec_help");
}
