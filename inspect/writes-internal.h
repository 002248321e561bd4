/* What a service's own programs write: pure scanners of shell, Python and
 * Perl text and of the strings of a compiled program, and the judgement of
 * the places they name.  The class of a service (analyze.c) rests on them:
 * a script that appends to /var/lib/NAME/events.log keeps data that a
 * container would lose.  Nothing here reads the guest or runs anything;
 * every input is hostile text and every count is bounded.
 */
#ifndef V2C_WRITES_INTERNAL_H
#define V2C_WRITES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define V2C_ACCESS_MAX 256          /* accesses kept per script; more set truncated */
#define V2C_ACCESS_MAX_CALLS 64     /* programs a shell script runs, kept */
#define V2C_ACCESS_MAX_VARS 512     /* variables followed per script */
#define V2C_BINARY_MAX_PATHS 64     /* data paths kept from one binary's strings */

enum v2c_script_lang {
        V2C_SCRIPT_OTHER,
        V2C_SCRIPT_SHELL,
        V2C_SCRIPT_PYTHON,
        V2C_SCRIPT_PERL,
};

enum v2c_access_kind {
        V2C_ACCESS_WRITE,     /* creates, truncates or writes a file */
        V2C_ACCESS_APPEND,    /* appends to a file */
        V2C_ACCESS_MKDIR,     /* creates a directory */
        V2C_ACCESS_DATABASE,  /* opens a database file (SQLite, dbm, shelve) */
        V2C_ACCESS_NAME,      /* names a path; what it does with it is unknown */
};

struct v2c_access {
        enum v2c_access_kind kind;
        char *path;           /* new: the path, variables expanded; a part the
                               * script computes is kept as written */
        bool known;           /* the whole path is known */
        size_t known_len;     /* bytes of path known from its start (strlen when known) */
        unsigned line;        /* 1-based line of the script */
};

struct v2c_accesses {
        struct v2c_access *items;
        size_t n;
        char **calls;         /* new or NULL: absolute paths of programs and files
                               * a shell script runs or sources */
        bool truncated;       /* more than V2C_ACCESS_MAX accesses */
};

/* The language of a script from its interpreter ("/bin/sh", "python3.11",
 * "/usr/bin/perl"; only the base name counts). */
enum v2c_script_lang v2c_script_lang(const char *interpreter);

/* Finds what a script writes and names.
 * Shell (logical lines through v2c_shell_split, control flow ignored):
 *   NAME=value assignments are followed in order (unknown values forget
 *   NAME); redirections >, >>, >|, &>, &>>, <> to a file; tee [-a], touch,
 *   mkdir, install -d, cp/mv/install/rsync/ln destinations (last operand or
 *   -t DIR), dd of=, tar -f/--file when creating, sqlite3 DATABASE; ". FILE",
 *   "source FILE" and commands given by absolute path go to calls; every
 *   other absolute path in a word (or after "=" in an option) is named.
 * Python: NAME = expression assignments; expressions are string literals
 *   (adjacent ones joined), known names, os.path.join(...), "a" + b,
 *   os.environ.get(K, DEFAULT) / os.getenv(K, DEFAULT) (the default),
 *   Path(...) / pathlib.Path(...) and the "/" operator on them; calls:
 *   open(P, MODE) with w/a/x/+ in MODE (also mode=), io/codecs.open,
 *   os.makedirs/os.mkdir, sqlite3.connect, dbm/shelve.open,
 *   shutil.copy, copy2, copyfile, copytree, move and os.rename, replace destinations,
 *   logging.FileHandler and basicConfig(filename=), and P.write_text,
 *   write_bytes, touch, mkdir on a Path expression; every string literal
 *   that is an absolute path is named.
 * Perl: my $X = "..."/$X = '...' (interpolating known $X), open with
 *   '>', '>>', '+<' (two and three arguments), mkdir, make_path/mkpath,
 *   DBI->connect("dbi:SQLite:dbname=P"); absolute paths in strings named.
 * vars (KEY=VALUE, may be NULL): values known before the script runs (the
 * init script's /etc/default file).  out is filled on success (release
 * with v2c_accesses_release).  -E2BIG when len > V2C_PARSE_MAX_INPUT;
 * -ENOMEM. */
int v2c_script_accesses(enum v2c_script_lang lang, const char *data, size_t len, char *const *vars,
                        struct v2c_accesses *out, struct v2c_error **err);
void v2c_accesses_release(struct v2c_accesses *a);

/* Strings of a compiled program (printable runs of 5 bytes or more) that
 * are paths under a data place (v2c_path_place() == V2C_PLACE_DATA for
 * names), sorted, each once, at most V2C_BINARY_MAX_PATHS.  *out is new
 * (NULL when none).  -ENOMEM. */
int v2c_binary_data_paths(const char *data, size_t len, char *const *names, char ***out);

enum v2c_place {
        V2C_PLACE_VOLATILE,   /* gone at reboot or regenerable: /run, /tmp, /var/log, /var/cache, /dev... */
        V2C_PLACE_DATA,       /* where services keep data: see v2c_path_place() */
        V2C_PLACE_OTHER,      /* anywhere else (/etc, /usr, /opt/app...) */
};

/* Where an absolute, normalised path lies, in this order:
 * 1. volatile: /run, /var/run, /tmp, /var/tmp, /dev, /proc, /sys,
 *    /var/log, /var/cache, /var/lock;
 * 2. data: /var/lib, /var/spool, /var/mail, /var/backups, /var/opt, /srv,
 *    /home, /root, /data;
 * 3. data: a component equal to one of names (the service, its package;
 *    NULL-terminated, may be NULL) anywhere but under /etc and /usr
 *    (except /usr/local/var);
 * 4. other.
 * A relative path is other. */
enum v2c_place v2c_path_place(const char *path, char *const *names);

/* True for file names of embedded databases: *.db, *.sqlite, *.sqlite3,
 * *.db3 (compared without case). */
bool v2c_is_database_file(const char *path);

#endif
