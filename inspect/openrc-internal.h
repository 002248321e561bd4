/* The OpenRC script reader's parser, exposed for its fuzz target. */
#ifndef V2C_INSPECT_OPENRC_INTERNAL_H
#define V2C_INSPECT_OPENRC_INTERNAL_H

#include <stddef.h>

/* Takes the top-level assignments of a shell file (data, len: not
 * NUL-terminated) into *vars (KEY=VALUE strv, later values replace
 * earlier ones; conf.d files are read into the same vector first).
 * Assignments inside functions, conditionals, loops and subshells are
 * ignored; `: ${VAR:=default}` sets defaults.  -E2BIG past the input or
 * variable limits; what was read before stays in *vars. */
int v2c_openrc_assignments(const char *data, size_t len, char ***vars);

#endif
