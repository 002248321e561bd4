/* v2c-init, the container init that `v2c convert` adds to images whose
 * service detaches (Type=forking units, SysV scripts) or needs a
 * supervisor, carried inside v2c as bytes.
 *
 * The program (convert/init/v2c-init.c) is linked static, so it runs on
 * any guest libc or none; the build turns the executable into a C array
 * (convert/init/embed.py), and the converter writes these bytes into a
 * layer as an executable file (mode 0755) and names it in the image's
 * entrypoint:
 *
 *   v2c-init [--require PATH]... [--secret NAME] [--exec]
 *            [--pidfile PATH] [--wait-pidfile SECONDS] [--stop-timeout SECONDS]
 *            -- COMMAND [ARGS...]
 *
 * Every --require PATH (a secret file the image does not hold) must exist,
 * else it exits 78 with one line per missing file naming how to mount it
 * (and the Kubernetes Secret NAME); with --exec (and no --pidfile) it then
 * execs COMMAND, which stays PID 1.
 *
 * Without --pidfile COMMAND is the main process; with it, COMMAND is a
 * starter and the daemon whose pid it leaves in PATH is.  v2c-init forwards
 * SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the
 * main process, sends SIGKILL --stop-timeout seconds (default 10) after a
 * stop signal, reaps every zombie, and exits with the main process's
 * status (128+N for signal N); 1 if the service never started, 2 for
 * usage errors.
 *
 * The bytes are for the host's architecture only: they are what this
 * build of v2c was compiled for.
 */
#ifndef V2C_INIT_H
#define V2C_INIT_H

#include <stddef.h>

/* The executable, static and borrowed for the life of the program. */
extern const unsigned char v2c_init_binary[];
extern const size_t v2c_init_binary_size;

#endif
