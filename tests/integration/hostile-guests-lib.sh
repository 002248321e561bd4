# The hostile guests, sourced after lib.sh (fixture_root first): each is the
# Debian fixture root with one hostile thing added.  Built by
# test-hostile-guests.sh (which checks that each is inspected quickly, to
# the end, with a valid report) and by test-expected-reports.sh (which
# compares each report with tests/expected/hostile-NAME.json).
#   HOSTILE_GUESTS          the names, in the order the test takes them
#   hostile_build NAME DIR  builds guest NAME in DIR (replaced)
HOSTILE_GUESTS="pg inc bin many dropin fifo pw"
hostile_build() {
  local name=$1 d=$2
  rm -rf "$d"; cp -a "$FIXTURES/root" "$d"
  case $name in
    pg) # A pg_ctlcluster argument longer than any buffer.
      printf '[Service]\nExecStart=/usr/bin/pg_ctlcluster 1%s-main start\n' "$(head -c 3000 /dev/zero | tr '\0' A)" \
        >"$d/etc/systemd/system/evilpg.service"
      ln -s /etc/systemd/system/evilpg.service "$d/etc/systemd/system/multi-user.target.wants/evilpg.service" ;;
    inc) # nginx includes a directory of links to itself.
      rm "$d/etc/nginx/sites-enabled/default"
      ln -s . "$d/etc/nginx/sites-enabled/a"; ln -s . "$d/etc/nginx/sites-enabled/b" ;;
    bin) # Bytes that are not UTF-8, and terminal escapes, in a crontab.
      printf '* * * * * root /usr/bin/foo \xff\xfe\x1b[31mRED\x1b[0m arg\n0 1 * * * ro\xffot /bin/true\n' \
        >"$d/etc/cron.d/binjob" ;;
    many) # 6,000 cron jobs: more services than reported, not a failure.
      python3 -c "import sys; open(sys.argv[1], 'w').write('* * * * * root /bin/true\n' * 6000)" "$d/etc/cron.d/many" ;;
    dropin) # Drop-ins: /etc's instance drop-in beats /lib's template drop-in.
      mkdir -p "$d/etc/systemd/system/tpl@x.service.d" "$d/usr/lib/systemd/system/tpl@.service.d"
      printf '[Service]\nExecStart=/bin/from-unit\n' >"$d/usr/lib/systemd/system/tpl@.service"
      printf '[Service]\nExecStart=\nExecStart=/bin/from-etc-instance\n' >"$d/etc/systemd/system/tpl@x.service.d/override.conf"
      printf '[Service]\nExecStart=\nExecStart=/bin/from-lib-template\n' >"$d/usr/lib/systemd/system/tpl@.service.d/override.conf"
      ln -s /lib/systemd/system/tpl@.service "$d/etc/systemd/system/multi-user.target.wants/tpl@x.service" ;;
    fifo) # An ExecStart that names a FIFO.
      mkfifo "$d/usr/local/bin/fifoexe"
      printf '[Service]\nExecStart=/usr/local/bin/fifoexe\n' >"$d/etc/systemd/system/fifo.service"
      ln -s /etc/systemd/system/fifo.service "$d/etc/systemd/system/multi-user.target.wants/fifo.service" ;;
    pw) # A 1 MiB /etc/passwd.
      python3 -c "
import sys; d=open(sys.argv[1]).read(); open(sys.argv[1],'w').write('a\n'*(500000)+d)" "$d/etc/passwd" ;;
    *) echo "hostile_build: no guest $name" >&2; return 1 ;;
  esac
}
