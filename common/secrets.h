/* Secrets lying on a guest's disk: which files hold them, and of what kind.
 *
 * The rules of both sides: the inspector lists candidate paths, reads only
 * those that v2c_secret_name_is_candidate() accepts (at most
 * V2C_SECRET_MAX_INPUT bytes each) and asks v2c_secret_classify() what they
 * hold; the converter applies the same rules to every file it packs (never
 * trusting a report's list alone) and uses v2c_secret_env_names() to keep
 * secret variables out of image ENV.  In common/ so that both reach them
 * without including each other (docs/ARCHITECTURE.md).
 *
 * A secret's value is never stored, returned or put in a message: only
 * its kind and, for environment files, the NAME of the variable.  Nothing
 * here does I/O.  The bytes come from an untrusted disk: buffers are
 * (data, len) and never NUL-terminated, and every scan is linear in len.
 *
 * Ownership: "new" means the caller frees it with the function named;
 * "borrowed" means static or owned by the caller's input.  Output
 * parameters are left untouched when a function fails.
 */
#ifndef V2C_SECRETS_H
#define V2C_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Largest buffer the classifiers take: keys, credentials and env files
 * are small, and a scanner must not read whole databases to find them. */
#define V2C_SECRET_MAX_INPUT (1024 * 1024)
/* Longest variable name looked at, and most names returned for one file. */
#define V2C_SECRET_MAX_NAME 256
#define V2C_SECRET_MAX_NAMES 16384

/* Kinds are bits so one file can be several (an ssh host key is also a
 * private key; an env file can hold an AWS key id). */
enum v2c_secret_kind {
        V2C_SECRET_PRIVATE_KEY = 1u << 0,          /* "private-key" */
        V2C_SECRET_SSH_HOST_KEY = 1u << 1,         /* "ssh-host-key" */
        V2C_SECRET_AWS_CREDENTIALS = 1u << 2,      /* "aws-credentials" */
        V2C_SECRET_AWS_ACCESS_KEY_ID = 1u << 3,    /* "aws-access-key-id" */
        V2C_SECRET_GCP_SERVICE_ACCOUNT = 1u << 4,  /* "gcp-service-account" */
        V2C_SECRET_ENV = 1u << 5,                  /* "env-secret" */
        V2C_SECRET_PGPASS = 1u << 6,               /* "pgpass" */
        V2C_SECRET_NETRC = 1u << 7,                /* "netrc" */
        V2C_SECRET_HTPASSWD = 1u << 8,             /* "htpasswd" */
        V2C_SECRET_CONFIG_PASSWORD = 1u << 9,      /* "config-password" */
};
#define V2C_SECRET_KIND_COUNT 10

/* The name of one kind (borrowed, static), NULL unless kind is exactly
 * one known bit. */
const char *v2c_secret_kind_name(unsigned kind);

/* The names of the kinds set in kinds, in the enum's order: *ret is a new
 * strv (free with v2c_strv_free), NULL when kinds is 0.  Only -ENOMEM. */
int v2c_secret_kind_names(unsigned kinds, char ***ret, struct v2c_error **err);

/* Says which kinds of secret a file holds, from its guest path (may be
 * NULL: content only) and content.  *kinds gets a mask of enum
 * v2c_secret_kind, 0 when none.
 *
 * - private-key: a PEM "-----BEGIN <LABEL>-----" line whose label ends in
 *   "PRIVATE KEY" (RSA, EC, DSA, OPENSSH, ENCRYPTED, PKCS#8's bare one,
 *   and the like) or is "PGP PRIVATE KEY BLOCK".  The only check made on
 *   binary content (a NUL byte anywhere).
 * - ssh-host-key: path ".../etc/ssh/ssh_host_*_key" with content.
 * - aws-credentials: a line "aws_secret_access_key = VALUE" (any case).
 * - aws-access-key-id: "AKIA" or "ASIA" and 16 of [A-Z0-9], not inside a
 *   longer run of [A-Za-z0-9] (so base64 blobs do not match by chance).
 * - gcp-service-account: JSON with "type": "service_account" and a
 *   "private_key" member.
 * - env-secret: a KEY=VALUE line (see v2c_secret_env_names) with a name
 *   v2c_secret_var_is_secret() accepts and a non-empty value, or any name
 *   whose value is a URL with a password ("postgres://u:p@db/x").
 * - pgpass: "host:port:db:user:password" lines, port a number or '*',
 *   password non-empty.  Named .pgpass: one such line is enough.  Any
 *   other name: every non-comment line must be one, with exactly five
 *   fields (':' escaped as "\:"), so /etc/passwd and its kin never match.
 * - netrc: the tokens "password X".  Named .netrc or _netrc: that is
 *   enough; other names also need "machine X" (or "default") and
 *   "login X", so prose such as "the default password is" does not match.
 * - htpasswd: "user:hash" lines, hash one of $apr1$, $2a$/$2b$/$2y$
 *   (60 chars), {SHA} (28 base64 chars), $1$, $5$, $6$, or 13 crypt chars.
 *   Named .htpasswd, htpasswd or *.htpasswd: one line is enough; other
 *   names: every non-comment line must be one.
 * - config-password: a server config line "KEY VALUE", "KEY = VALUE" or
 *   "KEY: VALUE" whose KEY is redis's requirepass or masterauth, or whose
 *   last word (as v2c_secret_var_is_secret cuts them) is password,
 *   passwd, passphrase or secret, with a value that is not empty, a
 *   yes/no switch, or a ${VAR} reference (sshd's PasswordAuthentication
 *   and nginx's proxy_pass do not match).  Not reported when the file is
 *   already env-secret or netrc.
 *
 * -EFBIG when len > V2C_SECRET_MAX_INPUT (read less: nothing is guessed
 * from a prefix the caller did not choose), -EINVAL for data NULL with len
 * > 0.  Messages never quote the content. */
int v2c_secret_classify(const char *path, const void *data, size_t len, unsigned *kinds,
                        struct v2c_error **err);

/* The kinds one finding reports, out of a v2c_secret_classify MASK: the
 * most specific say it all (an SSH host key is also a private key; an AWS
 * credentials file also holds a key id and KEY=value lines), and an env
 * file is not also config-password.  0 stays 0. */
unsigned v2c_secret_kinds_reported(unsigned mask);

/* The names of the variables of an env-style buffer that look secret and
 * have a non-empty value, for a step that keeps them out of images.
 * Lines: optional "export ", NAME, optional blanks, '=', optional blanks,
 * VALUE; '#' lines are comments.  NAME is [A-Za-z_][A-Za-z0-9_.-]*
 * (dots and dashes for Java properties).  VALUE is '...' or "..."
 * (backslash escapes in "..."; it may span lines, as PEM keys pasted into
 * .env files do, when its closing quote ends a line: an unbalanced quote
 * then only takes the rest of its own line), or bare up to the end of the
 * line or a " #" comment.
 * *ret is a new strv (free with v2c_strv_free), sorted, unique, NULL when
 * there are none.  -EFBIG past V2C_SECRET_MAX_INPUT, -E2BIG past
 * V2C_SECRET_MAX_NAMES names, -ENOMEM. */
int v2c_secret_env_names(const void *data, size_t len, char ***ret, struct v2c_error **err);

/* Whether a variable name (name[0..len), not NUL-terminated) looks like it
 * holds a secret.  The name is cut into words at '_', '.', '-' and
 * lower-to-upper case changes (dbPassword -> db, Password), compared
 * without case:
 * - anywhere in the name, words run together or not: PASSWORD, PASSWD,
 *   PASSPHRASE, SECRET, APIKEY (API_KEY), ACCESSKEY (ACCESS_KEY),
 *   PRIVATEKEY (PRIVATE_KEY), AUTHKEY, CREDENTIAL (CREDENTIALS);
 * - as a word: PWD, PASS, PW, CREDS, TOKEN, TOKENS, or a word ending in
 *   TOKEN (GITHUBTOKEN), but not TOKENIZER;
 * - AUTH as the last word or before KEY, SALT, STRING, HEADER, CODE
 *   (BASIC_AUTH, AUTH_KEY; not AUTH_TYPE, AUTHOR).
 * PWD and OLDPWD themselves are the shell's working directories, not
 * passwords, and are not secret; DB_PWD is. */
bool v2c_secret_var_is_secret(const char *name, size_t len);

/* Path-only filter: true when a file at this guest path is worth reading
 * for v2c_secret_classify.  Matches on the last component unless said:
 * id_rsa, id_dsa, id_ecdsa, id_ed25519 (and _sk), any non-public file in a
 * .ssh directory other than known_hosts*, authorized_keys*, config;
 * *.pem, *.key; .aws/credentials; .pgpass; .netrc, _netrc; .htpasswd,
 * htpasswd, *.htpasswd; .env, .env.*, *.env; etc/ssh/ssh_host_* but not
 * *.pub; *.json whose name holds "service-account", "service_account" or
 * "credentials"; files directly in etc/default; anything below a
 * directory named "secrets".  Extensions compare without case. */
bool v2c_secret_name_is_candidate(const char *path);

#endif
