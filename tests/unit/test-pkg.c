/* Unit tests for the package database parsers (dpkg.c, apk.c) and the
 * queries of pkgdb.c, on small hand-written databases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit-main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "pkgdb.h"
#include "strv.h"

static const char dpkg_status[] =
        "Package: libc6\n"
        "Status: install ok installed\n"
        "Priority: optional\n"
        "Section: libs\n"
        "Installed-Size: 12987\n"
        "Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n"
        "Architecture: amd64\n"
        "Multi-Arch: same\n"
        "Source: glibc\n"
        "Version: 2.36-9+deb12u4\n"
        "Depends: libgcc-s1\n"
        "Recommends: libidn2-0 (>= 2.0.5~)\n"
        "Conffiles:\n"
        " /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab\n"
        " /etc/old thing.conf 0123456789abcdef0123456789abcdef obsolete\n"
        "Description: GNU C Library: Shared libraries\n"
        " Contains the standard libraries that are used by nearly all programs on\n"
        " the system.\n"
        "\n"
        "Package: libc6\n"
        "Status: install ok installed\n"
        "Architecture: i386\n"
        "Version: 2.36-9+deb12u4\n"
        "Depends: libgcc-s1\n"
        "\n"
        "Package: libgcc-s1\r\n"
        "Status: install ok installed\r\n"
        "Architecture: amd64\r\n"
        "Version: 12.2.0-14\r\n"
        "Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)\r\n"
        "\r\n"
        "Package: gcc-12-base\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Version: 12.2.0-14\n"
        "\n"
        "Package: libgcc-s1\n"
        "Status: install ok installed\n"
        "Architecture: i386\n"
        "Depends: gcc-12-base, libc6\n"
        "\n"
        "Package: coreutils\n"
        "Essential: yes\n"
        "Status: install ok installed\n"
        "Priority: required\n"
        "Architecture: amd64\n"
        "Version: 9.1-1\n"
        "Pre-Depends: libacl1 (>= 2.2.23), libattr1:any (>= 1:2.4.44),\n"
        "  libc6 (>= 2.34), libgmp10 (>= 2:6.2.1+dfsg1), libselinux1 (>= 3.1~)\n"
        "Description: GNU core utilities\n"
        "\n"
        "Package: libacl1\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Depends: libc6 (>= 2.33)\n"
        "\n"
        "Package: libattr1\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "\n"
        "Package: libgmp10\n"
        "Status: hold ok installed\n"
        "Architecture: amd64\n"
        "\n"
        "Package: libselinux1\n"
        "Status: install ok half-installed\n"
        "Architecture: amd64\n"
        "\n"
        "Package: mawk\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Provides: awk\n"
        "Depends: libc6\n"
        "\n"
        "Package: postfix\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Provides: mail-transport-agent, default-mta (= 3.7.10-0+deb12u1)\n"
        "Depends: debconf (>= 0.5) | debconf-2.0, cpio, e2fsprogs, netbase, adduser | passwd,\n"
        " awk, exim4 | mail-transport-agent\n"
        "\n"
        "Package: cdebconf\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "Provides: debconf-2.0\n"
        "Depends: postfix\n"
        "\n"
        "Package: passwd\n"
        "Status: install ok installed\n"
        "Architecture: amd64\n"
        "\n"
        "Package: oldpkg\n"
        "Status: deinstall ok config-files\n"
        "Architecture: amd64\n"
        "Conffiles:\n"
        " /etc/oldpkg.conf 0123456789abcdef0123456789abcdef\n"
        "\n"
        "Version: 1.0\n"
        "Description: a stanza without a Package is ignored\n"
        "\n"
        "this line is not a field\n"
        "Package: last\n"
        "Status: install ok installed";

static struct v2c_pkgdb *load_dpkg(void)
{
        struct v2c_error *err = NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);
        assert_non_null(db);
        assert_int_equal(v2c_dpkg_parse_status(db, dpkg_status, strlen(dpkg_status), &err), 0);
        assert_null(err);

        static const char libc_list[] = "/.\n/etc\n/etc/ld.so.conf.d\n"
                                        "/etc/ld.so.conf.d/x86_64-linux-gnu.conf\n/lib64\n"
                                        "/lib64/ld-linux-x86-64.so.2\n/lib/x86_64-linux-gnu\n"
                                        "/lib/x86_64-linux-gnu/libc.so.6\n/usr//share/doc/libc6/./x/../\n";
        assert_int_equal(v2c_dpkg_parse_list(db, "/var/lib/dpkg/info/libc6:amd64.list", libc_list,
                                             strlen(libc_list), &err), 0);
        static const char cu_list[] = "/.\n/bin\n/bin/ls\n/bin/cat\r\n/usr/bin/env\n\n/etc";
        assert_int_equal(v2c_dpkg_parse_list(db, "coreutils.list", cu_list, strlen(cu_list), &err), 0);
        assert_int_equal(v2c_dpkg_parse_list(db, "nosuch.list", "/x\n", 3, &err), 1);
        assert_null(err);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        return db;
}

static void test_dpkg_fields(void **state)
{
        (void) state;
        struct v2c_pkgdb *db = load_dpkg();

        const struct v2c_pkg *p = v2c_pkgdb_find(db, "libc6");
        assert_non_null(p);
        assert_string_equal(p->arch, "amd64");   /* installed ones in arch order */
        assert_string_equal(p->version, "2.36-9+deb12u4");
        assert_string_equal(p->source, "glibc");
        assert_string_equal(p->section, "libs");
        assert_string_equal(p->priority, "optional");
        assert_int_equal(p->installed_size_kib, 12987);
        assert_true(p->installed);
        assert_int_equal(p->state, V2C_PKG_STATE_INSTALLED);
        assert_string_equal(p->description, "GNU C Library: Shared libraries");
        assert_int_equal(p->n_conffiles, 2);
        assert_string_equal(p->conffiles[0].path, "/etc/ld.so.conf.d/x86_64-linux-gnu.conf");
        assert_string_equal(p->conffiles[0].md5, "d4e7a7b88a71b5ffd9e2644e71a0cfab");
        assert_false(p->conffiles[0].obsolete);
        assert_string_equal(p->conffiles[1].path, "/etc/old thing.conf");
        assert_true(p->conffiles[1].obsolete);

        p = v2c_pkgdb_find(db, "libc6:i386");
        assert_non_null(p);
        assert_string_equal(p->arch, "i386");
        assert_null(v2c_pkgdb_find(db, "libc6:arm64"));
        assert_non_null(v2c_pkgdb_find(db, "libc6:any"));

        p = v2c_pkgdb_find(db, "coreutils");
        assert_true(p->essential);
        assert_int_equal(p->n_pre_depends, 5);
        assert_string_equal(p->pre_depends[1].alts[0].name, "libattr1");
        assert_string_equal(p->pre_depends[1].alts[0].constraint, ">= 1:2.4.44");
        assert_string_equal(p->pre_depends[4].alts[0].name, "libselinux1");
        assert_string_equal(p->description, "GNU core utilities");

        p = v2c_pkgdb_find(db, "libgcc-s1:amd64");
        assert_string_equal(p->version, "12.2.0-14");   /* CRLF stripped */
        assert_int_equal(p->n_depends, 2);
        assert_string_equal(p->depends[0].alts[0].constraint, "= 12.2.0-14");

        p = v2c_pkgdb_find(db, "postfix");
        assert_int_equal(p->n_depends, 7);
        assert_int_equal(p->depends[0].n_alts, 2);
        assert_string_equal(p->depends[0].alts[1].name, "debconf-2.0");
        assert_null(p->depends[0].alts[1].constraint);
        assert_int_equal(p->n_provides, 2);
        assert_string_equal(p->provides[1].name, "default-mta");
        assert_string_equal(p->provides[1].version, "3.7.10-0+deb12u1");
        assert_null(p->provides[0].version);

        assert_true(v2c_pkgdb_find(db, "libgmp10")->installed);       /* hold */
        p = v2c_pkgdb_find(db, "libselinux1");
        assert_false(p->installed);
        assert_int_equal(p->state, V2C_PKG_STATE_HALF_INSTALLED);
        p = v2c_pkgdb_find(db, "oldpkg");
        assert_false(p->installed);
        assert_int_equal(p->state, V2C_PKG_STATE_CONFIG_FILES);
        assert_non_null(v2c_pkgdb_find(db, "last"));
        assert_null(v2c_pkgdb_find(db, "nosuch"));
        assert_int_equal(v2c_pkgdb_count(db), 16);

        v2c_pkgdb_free(db);
}

static void test_dpkg_paths(void **state)
{
        (void) state;
        struct v2c_pkgdb *db = load_dpkg();
        struct v2c_error *err = NULL;

        const struct v2c_pkg *p = v2c_pkgdb_owner(db, "/lib/x86_64-linux-gnu/libc.so.6");
        assert_non_null(p);
        assert_string_equal(p->name, "libc6");
        assert_string_equal(v2c_pkgdb_owner(db, "//bin/./ls")->name, "coreutils");
        assert_string_equal(v2c_pkgdb_owner(db, "/bin/cat")->name, "coreutils");
        assert_string_equal(v2c_pkgdb_owner(db, "/usr/share/doc/libc6")->name, "libc6");
        assert_null(v2c_pkgdb_owner(db, "/usr/bin/ls"));

        char *matched = NULL;
        p = v2c_pkgdb_owner_usrmerge(db, "/usr/bin/ls", &matched);
        assert_non_null(p);
        assert_string_equal(p->name, "coreutils");
        assert_string_equal(matched, "/bin/ls");
        free(matched);
        p = v2c_pkgdb_owner_usrmerge(db, "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL);
        assert_string_equal(p->name, "libc6");
        p = v2c_pkgdb_owner_usrmerge(db, "/bin/env", &matched);
        assert_string_equal(p->name, "coreutils");
        assert_string_equal(matched, "/usr/bin/env");
        free(matched);
        assert_null(v2c_pkgdb_owner_usrmerge(db, "/usr/libexec/x", &matched));
        assert_null(matched);
        /* "/library" is not under "/lib". */
        assert_null(v2c_pkgdb_owner_usrmerge(db, "/usr/library", NULL));

        const struct v2c_pkg **owners = NULL;
        assert_int_equal(v2c_pkgdb_owners(db, "/etc/", &owners, &err), 2);
        assert_string_equal(owners[0]->name, "coreutils");
        assert_string_equal(owners[1]->name, "libc6");
        assert_null(owners[2]);
        free(owners);
        assert_int_equal(v2c_pkgdb_owners(db, "/nothing", &owners, &err), 0);
        assert_null(owners);

        char **v = NULL;
        assert_int_equal(v2c_pkgdb_conffiles(db, "libc6", &v, &err), 0);
        assert_int_equal(v2c_strv_len(v), 2);
        assert_string_equal(v[0], "/etc/ld.so.conf.d/x86_64-linux-gnu.conf");
        v2c_strv_free(v);
        assert_int_equal(v2c_pkgdb_files(db, "coreutils", &v, &err), 0);
        assert_int_equal(v2c_strv_len(v), 6);
        assert_string_equal(v[0], "/");
        assert_string_equal(v[1], "/bin");
        assert_string_equal(v[2], "/bin/cat");   /* CRLF taken as a line end */
        v2c_strv_free(v);
        assert_int_equal(v2c_pkgdb_files(db, "gcc-12-base", &v, &err), 0);
        assert_null(v);
        assert_int_equal(v2c_pkgdb_files(db, "nosuch", &v, &err), -ENOENT);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "nosuch"));
        v2c_error_free(err);
        v2c_pkgdb_free(db);
}

static void test_dpkg_closure(void **state)
{
        (void) state;
        struct v2c_pkgdb *db = load_dpkg();
        struct v2c_error *err = NULL;
        const struct v2c_pkg **pkgs = NULL;
        char **missing = NULL;

        char *roots1[] = { "coreutils", NULL };
        int n = v2c_pkgdb_closure(db, roots1, &pkgs, &missing, &err);
        assert_int_equal(n, 7);
        const char *want[] = { "coreutils", "gcc-12-base", "libacl1", "libattr1",
                               "libc6", "libgcc-s1", "libgmp10" };
        for (int i = 0; i < n; i++)
                assert_string_equal(pkgs[i]->name, want[i]);
        /* the amd64 libc6, not the i386 one */
        assert_string_equal(pkgs[4]->arch, "amd64");
        assert_null(pkgs[7]);
        assert_int_equal(v2c_strv_len(missing), 1);
        assert_string_equal(missing[0], "libselinux1 (>= 3.1~)");   /* half-installed */
        free(pkgs);
        v2c_strv_free(missing);

        /* alternatives, virtual packages, and a cycle postfix <-> cdebconf */
        char *roots2[] = { "postfix", "libc6:i386", "nosuch", NULL };
        n = v2c_pkgdb_closure(db, roots2, &pkgs, &missing, &err);
        assert_null(err);
        const char *want2[] = { "cdebconf", "gcc-12-base", "libc6", "libc6", "libgcc-s1",
                                "libgcc-s1", "mawk", "passwd", "postfix" };
        assert_int_equal(n, 9);
        for (int i = 0; i < n; i++)
                assert_string_equal(pkgs[i]->name, want2[i]);
        assert_string_equal(pkgs[2]->arch, "amd64");
        assert_string_equal(pkgs[3]->arch, "i386");
        /* postfix itself provides mail-transport-agent */
        const char *want_missing[] = { "cpio", "e2fsprogs", "netbase", "nosuch" };
        assert_int_equal(v2c_strv_len(missing), 4);
        for (int i = 0; i < 4; i++)
                assert_string_equal(missing[i], want_missing[i]);
        free(pkgs);
        v2c_strv_free(missing);

        /* a provider of an installed package satisfies only its own name */
        char *roots3[] = { "awk", NULL };
        n = v2c_pkgdb_closure(db, roots3, &pkgs, NULL, &err);
        assert_int_equal(n, 4);
        assert_string_equal(pkgs[3]->name, "mawk");
        free(pkgs);

        v2c_pkgdb_free(db);
}

static void test_dpkg_depends_syntax(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_dep *d = NULL;
        size_t n = 0;
        const char *s = " a:any (>=1.0) [amd64 i386] <!nocheck> |b ,, ,c(<<2),|, d:amd64,\n e";
        assert_int_equal(v2c_dpkg_parse_depends(s, strlen(s), &d, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_int_equal(d[0].n_alts, 2);
        assert_string_equal(d[0].alts[0].name, "a");
        assert_string_equal(d[0].alts[0].constraint, ">=1.0");
        assert_string_equal(d[0].alts[1].name, "b");
        assert_string_equal(d[1].alts[0].name, "c");
        assert_string_equal(d[1].alts[0].constraint, "<<2");
        assert_string_equal(d[2].alts[0].name, "d");
        assert_string_equal(d[3].alts[0].name, "e");
        v2c_deps_free(d, n);

        assert_int_equal(v2c_dpkg_parse_depends("", 0, &d, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(d);
        /* unterminated parenthesis */
        assert_int_equal(v2c_dpkg_parse_depends("x (>= 1", 7, &d, &n, &err), 0);
        assert_string_equal(d[0].alts[0].constraint, ">= 1");
        v2c_deps_free(d, n);

        /* the cap on items */
        size_t big = 5000 * 2;
        char *many = malloc(big);
        for (size_t i = 0; i < big; i += 2) {
                many[i] = 'x';
                many[i + 1] = ',';
        }
        assert_int_equal(v2c_dpkg_parse_depends(many, big, &d, &n, &err), -E2BIG);
        assert_non_null(err);
        err = v2c_error_free(err);
        free(many);
}

static void test_dpkg_hostile(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);

        /* NUL bytes, no final newline, a field that is only a colon */
        static const char s[] = "Package: a\0b\nStatus: install ok\n:\nVersion\n \n"
                                "Package: ok\nDepends: x\0y, z\nConffiles:\n /etc/a\n /etc/b c\n";
        assert_int_equal(v2c_dpkg_parse_status(db, s, sizeof s - 1, &err), 0);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        assert_int_equal(v2c_pkgdb_count(db), 1);
        const struct v2c_pkg *p = v2c_pkgdb_find(db, "ok");
        assert_non_null(p);
        assert_false(p->installed);
        assert_int_equal(p->n_conffiles, 1);
        assert_string_equal(p->conffiles[0].path, "/etc/b");
        v2c_pkgdb_free(db);

        /* a field past the cap fails the parse with a line number */
        size_t big = V2C_PKG_MAX_FIELD + 100;
        char *huge = malloc(big);
        memset(huge, 'a', big);
        memcpy(huge, "Package: x\nDepends: ", 20);
        db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);
        assert_int_equal(v2c_dpkg_parse_status(db, huge, big, &err), -E2BIG);
        assert_non_null(strstr(err->msg, "line 2"));
        err = v2c_error_free(err);
        v2c_pkgdb_free(db);
        free(huge);

        /* empty input */
        db = v2c_pkgdb_new(V2C_PKG_FORMAT_DPKG);
        assert_int_equal(v2c_dpkg_parse_status(db, "", 0, &err), 0);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        assert_int_equal(v2c_pkgdb_count(db), 0);
        assert_null(v2c_pkgdb_owner(db, "/"));
        v2c_pkgdb_free(db);
        v2c_pkgdb_free(NULL);
        v2c_pkg_free(NULL);
}

static void test_list_filename(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        char *name = NULL, *arch = NULL;
        assert_int_equal(v2c_dpkg_list_filename_parse("/var/lib/dpkg/info/libc6:amd64.list",
                                                      &name, &arch, &err), 0);
        assert_string_equal(name, "libc6");
        assert_string_equal(arch, "amd64");
        free(name);
        free(arch);
        assert_int_equal(v2c_dpkg_list_filename_parse("bash.list", &name, &arch, &err), 0);
        assert_string_equal(name, "bash");
        assert_null(arch);
        free(name);
        const char *bad[] = { ".list", "bash.lis", "bash", ":amd64.list", "bash:.list", "dir/.list" };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(bad); i++) {
                assert_int_equal(v2c_dpkg_list_filename_parse(bad[i], &name, &arch, &err), -EINVAL);
                err = v2c_error_free(err);
        }
}

static void test_path_normalize(void **state)
{
        (void) state;
        struct {
                const char *in, *out;
        } cases[] = {
                { "/.", "/" },           { "/", "/" },         { "//usr//bin/", "/usr/bin" },
                { "usr/bin", "/usr/bin" }, { "/a/./b/../c", "/a/c" }, { "/../../x", "/x" },
                { "/a/b/..", "/a" },     { "/a/..b", "/a/..b" }, { "/a/.b/.", "/a/.b" },
        };
        for (size_t i = 0; i < V2C_ARRAY_SIZE(cases); i++) {
                char *o = NULL;
                assert_int_equal(v2c_pkg_path_normalize(cases[i].in, strlen(cases[i].in), &o), 0);
                assert_string_equal(o, cases[i].out);
                free(o);
        }
        char *o = NULL;
        assert_int_equal(v2c_pkg_path_normalize("", 0, &o), -EINVAL);
        assert_int_equal(v2c_pkg_path_normalize("/a\0b", 4, &o), -EINVAL);
        char longp[V2C_PKG_MAX_PATH + 2];
        memset(longp, 'a', sizeof longp);
        assert_int_equal(v2c_pkg_path_normalize(longp, sizeof longp, &o), -ENAMETOOLONG);
        /* not NUL-terminated: only len bytes are read */
        assert_int_equal(v2c_pkg_path_normalize("/abcdef", 3, &o), 0);
        assert_string_equal(o, "/ab");
        free(o);
}

static const char apk_installed[] =
        "C:Q1sQPMGzoB0Q2wCb0DmT2TAUJ5GUo=\n"
        "P:musl\n"
        "V:1.2.4-r2\n"
        "A:x86_64\n"
        "S:383352\n"
        "I:622592\n"
        "T:the musl c library (libc) implementation\n"
        "U:https://musl.libc.org/\n"
        "L:MIT\n"
        "o:musl\n"
        "m:Timo Teräs <timo.teras@iki.fi>\n"
        "t:1698943437\n"
        "c:f93af038c3de7146121c2ea8124ba5ce29b4b058\n"
        "p:so:libc.musl-x86_64.so.1=1\n"
        "F:lib\n"
        "R:ld-musl-x86_64.so.1\n"
        "a:0:0:755\n"
        "Z:Q1Y6FzN+TQT2qzyT8D4c4N8Yz3WwM=\n"
        "R:libc.musl-x86_64.so.1\n"
        "\n"
        "C:Q1abc=\n"
        "P:busybox\n"
        "V:1.36.1-r15\n"
        "A:x86_64\n"
        "I:950272\n"
        "D:so:libc.musl-x86_64.so.1 !busybox-static musl>=1.2\n"
        "p:/bin/sh cmd:busybox=1.36.1-r15 cmd:sh=1.36.1-r15\n"
        "F:bin\n"
        "R:busybox\n"
        "R:sh\n"
        "F:etc\n"
        "F:etc/securetty.d\n"
        "R:securetty\n"
        "\n"
        "P:alpine-baselayout\n"
        "V:3.4.3-r2\n"
        "A:x86_64\n"
        "D:alpine-baselayout-data=3.4.3-r2 /bin/sh cmd:nosuch @bad\n"
        "F:etc\n"
        "R:hosts\n"
        "\n"
        "P:alpine-baselayout-data\n"
        "V:3.4.3-r2\n"
        "A:x86_64\n"
        "D:alpine-baselayout\n"
        "R:rootfile\n";

static void test_apk(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_APK);
        assert_int_equal(v2c_apk_parse_installed(db, apk_installed, strlen(apk_installed), &err), 0);
        assert_null(err);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        assert_int_equal(v2c_pkgdb_count(db), 4);

        const struct v2c_pkg *p = v2c_pkgdb_find(db, "musl");
        assert_non_null(p);
        assert_true(p->installed);
        assert_string_equal(p->version, "1.2.4-r2");
        assert_string_equal(p->arch, "x86_64");
        assert_string_equal(p->origin, "musl");
        assert_string_equal(p->description, "the musl c library (libc) implementation");
        assert_int_equal(p->installed_size_kib, 608);
        assert_int_equal(p->n_provides, 1);
        assert_string_equal(p->provides[0].name, "so:libc.musl-x86_64.so.1");
        assert_string_equal(p->provides[0].version, "1");

        p = v2c_pkgdb_find(db, "busybox");
        assert_int_equal(p->n_depends, 2);
        assert_string_equal(p->depends[1].alts[0].name, "musl");
        assert_string_equal(p->depends[1].alts[0].constraint, ">=1.2");
        assert_int_equal(p->n_provides, 3);
        assert_string_equal(p->provides[0].name, "/bin/sh");
        assert_null(p->provides[0].version);

        assert_string_equal(v2c_pkgdb_owner(db, "/bin/sh")->name, "busybox");
        assert_string_equal(v2c_pkgdb_owner(db, "/lib/ld-musl-x86_64.so.1")->name, "musl");
        assert_string_equal(v2c_pkgdb_owner(db, "/etc/securetty.d/securetty")->name, "busybox");
        assert_string_equal(v2c_pkgdb_owner(db, "/rootfile")->name, "alpine-baselayout-data");
        assert_string_equal(v2c_pkgdb_owner(db, "/etc/hosts")->name, "alpine-baselayout");
        const struct v2c_pkg **owners = NULL;
        assert_int_equal(v2c_pkgdb_owners(db, "/etc", &owners, &err), 2);
        free(owners);

        const struct v2c_pkg **pkgs = NULL;
        char **missing = NULL;
        char *roots[] = { "alpine-baselayout", NULL };
        int n = v2c_pkgdb_closure(db, roots, &pkgs, &missing, &err);
        assert_int_equal(n, 4);
        assert_string_equal(pkgs[0]->name, "alpine-baselayout");
        assert_string_equal(pkgs[1]->name, "alpine-baselayout-data");
        assert_string_equal(pkgs[2]->name, "busybox");
        assert_string_equal(pkgs[3]->name, "musl");
        assert_int_equal(v2c_strv_len(missing), 1);
        assert_string_equal(missing[0], "cmd:nosuch");
        free(pkgs);
        v2c_strv_free(missing);
        v2c_pkgdb_free(db);
}

static void test_apk_hostile(void **state)
{
        (void) state;
        struct v2c_error *err = NULL;
        struct v2c_pkgdb *db = v2c_pkgdb_new(V2C_PKG_FORMAT_APK);
        static const char s[] = "garbage\nP\nP:\nR:x\n\nP:a\nT:x\0y\nF:..\nR:../../etc/x\nD:! = @ >=1\n"
                                "\nP:z\nF:";
        assert_int_equal(v2c_apk_parse_installed(db, s, sizeof s - 1, &err), 0);
        assert_int_equal(v2c_pkgdb_finish(db, &err), 0);
        assert_int_equal(v2c_pkgdb_count(db), 2);
        const struct v2c_pkg *p = v2c_pkgdb_find(db, "a");
        assert_non_null(p);
        assert_int_equal(p->n_depends, 0);
        assert_string_equal(v2c_pkgdb_owner(db, "/etc/x")->name, "a");
        assert_non_null(v2c_pkgdb_find(db, "z"));
        v2c_pkgdb_free(db);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dpkg_fields),
                cmocka_unit_test(test_dpkg_paths),
                cmocka_unit_test(test_dpkg_closure),
                cmocka_unit_test(test_dpkg_depends_syntax),
                cmocka_unit_test(test_dpkg_hostile),
                cmocka_unit_test(test_list_filename),
                cmocka_unit_test(test_path_normalize),
                cmocka_unit_test(test_apk),
                cmocka_unit_test(test_apk_hostile),
        };
        return v2c_run_group_tests(argc, argv, tests, NULL, NULL);
}
