/* Files a server's configuration names: TLS keys and certificates,
 * password and user files, the files it includes.  A TLS key the secret
 * scan finds belongs to the service whose configuration names it, so that
 * convert can ask for it at run time instead of letting the service die on
 * its first fopen().
 *
 * Pure, like ports-internal.h whose include reader it shares: the parser
 * gets (data, len) buffers, never NUL-terminated, and reaches included
 * files only through struct v2c_include_reader.  The bytes come from an
 * untrusted disk: include nesting, files, bytes, words and results are all
 * capped (the V2C_CONFIG_* bounds of ports-internal.h and V2C_REFS_MAX),
 * and a line we cannot read is skipped, never an error.
 *
 * Ownership: *ret is a new strv (free with v2c_strv_free), untouched on
 * failure.
 */
#ifndef V2C_INSPECT_CONFIG_REFS_INTERNAL_H
#define V2C_INSPECT_CONFIG_REFS_INTERNAL_H

#include <stddef.h>

#include "error.h"
#include "ports-internal.h"

/* Most files one configuration may name. */
#define V2C_REFS_MAX 4096

enum v2c_refs_server {
        V2C_REFS_NGINX,
        V2C_REFS_APACHE2,
        V2C_REFS_HAPROXY,
        V2C_REFS_POSTFIX,
        V2C_REFS_DOVECOT,
        V2C_REFS_REDIS,
        V2C_REFS_POSTGRESQL,
        V2C_REFS_MYSQL,        /* and MariaDB */
        V2C_REFS_COUNT_,
};

/* The server of that name ("nginx", "apache2", "haproxy", "postfix",
 * "dovecot", "redis", "postgresql", "mysql"; "mariadb" too), or -EINVAL. */
int v2c_refs_server_from_name(const char *name);

/* The absolute guest paths of the files the configuration of SERVER names,
 * read from its main file (PATH, its guest path: relative names and
 * includes resolve against its directory; may be NULL) and, through INC
 * (NULL: not followed), the files it includes.  Sorted, unique,
 * lexically normalised; NULL when none.  Values holding a variable
 * ($var, ${VAR}, %u) or naming something else than a file (data:,
 * engine:, exec:, pipes) are left out, as are relative names whose base
 * the configuration does not give.  Included files themselves are not
 * listed: the include reader sees them.
 *
 * nginx: ssl_certificate, ssl_certificate_key, ssl_password_file,
 *   ssl_trusted_certificate, ssl_client_certificate, ssl_dhparam, ssl_crl,
 *   ssl_stapling_file, auth_basic_user_file, the proxy_ssl_ and
 *   grpc_ssl_ and uwsgi_ssl_ certificate, key, password and trusted
 *   files; "include".  Relative names: the main file's directory.
 * apache2: SSLCertificateFile, SSLCertificateKeyFile,
 *   SSLCertificateChainFile, SSLCACertificateFile, SSLCARevocationFile,
 *   SSLProxyMachineCertificateFile, AuthUserFile, AuthGroupFile,
 *   AuthDBMUserFile (any case); Include, IncludeOptional; ServerRoot.
 * haproxy: on bind, server and default-server lines the values of crt,
 *   ca-file, crl-file, crt-list (crt-base and ca-base of global apply).
 * postfix (main.cf): parameters ending in _cert_file, _key_file,
 *   _dcert_file, _dkey_file, _eccert_file, _eckey_file, _chain_files,
 *   _CAfile, _dh1024_param_file, _dh512_param_file, _password_maps (each
 *   TYPE:PATH of a map, and PATH.db, .lmdb or .cdb for indexed types);
 *   continuation lines.
 * dovecot: ssl_cert, ssl_key, ssl_ca, ssl_dh, ssl_alt_cert, ssl_alt_key,
 *   ssl_client_cert, ssl_client_key with a "<PATH" value; every word of
 *   an "args" setting (passdb, userdb) that is an absolute path, also
 *   behind "KEY="; "!include" and "!include_try" (relative: the
 *   including file's directory).
 * redis: tls-cert-file, tls-key-file, tls-ca-cert-file,
 *   tls-dh-params-file, tls-client-cert-file, tls-client-key-file,
 *   aclfile; "include".
 * postgresql: ssl_cert_file, ssl_key_file, ssl_ca_file, ssl_crl_file,
 *   ssl_dh_params_file, hba_file, ident_file (relative names: the
 *   data_directory, when the configuration sets one); include,
 *   include_if_exists, include_dir.
 * mysql: in server groups ([mysqld], [mariadb], [server] and their -X
 *   variants): ssl-cert, ssl-key, ssl-ca, ssl-crl ('_' for '-', "loose-"
 *   accepted); "!include", "!includedir" (DIR/ *.cnf).
 *
 * Fails with -ELOOP past V2C_CONFIG_MAX_DEPTH, -E2BIG past
 * V2C_CONFIG_MAX_FILES / _INCLUDES / _BYTES / _TOKEN or V2C_REFS_MAX,
 * -EINVAL for an unknown server, or with what the reader returned. */
int v2c_config_refs(enum v2c_refs_server server, const char *path, const char *data, size_t len,
                    const struct v2c_include_reader *inc, char ***ret, struct v2c_error **err);

#endif
