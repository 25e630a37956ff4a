# inetmail: per-connection SMTP, POP3 and IMAP handlers over MariaDB.
# make | make check | make fresh-check | make install [PREFIX=/usr/local DESTDIR=] | make deb | make clean | make bench

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
SQLDIR ?= $(DATADIR)/inetmail/sql
BUILD ?= build

CC ?= cc
CFLAGS ?= -O2
PKGS = libmariadb libcrypt libssl libcrypto
# Recursive (=) so pkg-config runs only when compiling, after the deps step.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
# A handler starts once per connection: it is linked fully static, so no
# start-up pays for the loader mapping and relocating libc and resolving
# symbols (0.7 ms of CPU per session here). The linker warns of the connector's
# getaddrinfo, getpwuid, getservbyname and dlopen: glibc's static NSS has the
# "files" and "dns" sources built in, which is all a host name or user in the
# option file needs; dlopen is for client plugins the handlers never load.
# mailctl and the tests link the usual way; so do the sanitizer builds'
# handlers (ASan needs the shared libc): HANDLER_LDFLAGS=-no-pie.
HANDLER_LDFLAGS ?= -static -no-pie
HANDLER_LIBS = $(shell pkg-config --static --libs-only-l $(PKGS))
ALL_CFLAGS = -std=c11 -Wall -Wextra -Wmissing-prototypes -Werror=incompatible-pointer-types $(CFLAGS) $(PKG_CFLAGS) -Ilibstore -Icommon \
	-DSYSCONFDIR='"$(SYSCONFDIR)"' -DSQLDIR='"$(SQLDIR)"'

LIBSTORE_SRC = $(wildcard libstore/*.c)
COMMON_SRC = $(wildcard common/*.c)
SMTP_SRC = $(filter-out smtp-handler/main.c smtp-handler/static-compat.c,$(wildcard smtp-handler/*.c))
POP3_SRC = $(filter-out pop3-handler/main.c,$(wildcard pop3-handler/*.c))
IMAP_SRC = $(filter-out imap-handler/main.c,$(wildcard imap-handler/*.c))
MAILCTL_SRC = $(wildcard mailctl/*.c)
RELAY_SRC = $(filter-out relay/main.c,$(wildcard relay/*.c))
TEST_SRC = $(wildcard t/*.c)

LIBSTORE = $(BUILD)/libstore.a
LIBCOMMON = $(BUILD)/libcommon.a
LIBSMTP = $(BUILD)/libsmtp.a
LIBPOP3 = $(BUILD)/libpop3.a
LIBIMAP = $(BUILD)/libimap.a
LIBRELAY = $(BUILD)/librelay.a
# Order matters to the linker: protocol machines, the store, then common.
LIBS = $(LIBSMTP) $(LIBPOP3) $(LIBIMAP) $(LIBRELAY) $(LIBSTORE) $(LIBCOMMON)
PROGRAMS = $(BUILD)/mailctl $(BUILD)/smtp-handler $(BUILD)/pop3-handler $(BUILD)/imap-handler $(BUILD)/inetmail-relay
TEST_PROGRAMS = $(TEST_SRC:t/%.c=$(BUILD)/t/%)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
XINETDDIR ?= $(SYSCONFDIR)/xinetd.d
SERVICES = smtp submission submissions pop3 pop3s imap imaps
UNITS = $(SERVICES:%=$(BUILD)/units/%.socket) $(SERVICES:%=$(BUILD)/units/%@.service) $(BUILD)/units/inetmail-relay.service
XINETD = $(SERVICES:%=$(BUILD)/xinetd/%)
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
# What goes into $(SYSCONFDIR)/inetmail: the option files and the settings.
ETC = $(patsubst units/etc/%,$(BUILD)/etc/%,$(wildcard units/etc/*))

all: $(PROGRAMS) $(UNITS) $(XINETD) $(ETC)

# Paths are compiled in (SYSCONFDIR, SQLDIR) and written into the units:
# this stamp changes when they do, and everything that uses them is rebuilt.
PATHS_STAMP = $(BUILD)/paths
$(PATHS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(SBINDIR) $(SYSCONFDIR) $(SQLDIR)' | cmp -s - $@ || echo '$(SBINDIR) $(SYSCONFDIR) $(SQLDIR)' >$@


# Each service is its own part plus the hardening all of them share.
# The shared part first: a service's own lines come after it, so they override it.
$(BUILD)/units/%@.service: units/handler.service.in units/%@.service.in $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	cat $(filter %.in,$^) | $(SUBST) >$@

$(BUILD)/units/inetmail-relay.service: units/inetmail-relay.service.in $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(SUBST) $< >$@

$(BUILD)/units/%.socket: units/%.socket
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/xinetd/%: units/xinetd/% $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(SUBST) $< >$@

$(BUILD)/etc/%: units/etc/% $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(SUBST) $< >$@

# A program finds its own headers beside its sources; the tests and fuzz
# harnesses drive the protocol machines, so they see those directories too.
$(BUILD)/obj/t/%.o: ALL_CFLAGS += -Ismtp-handler -Ipop3-handler -Iimap-handler -Irelay

$(BUILD)/obj/%.o: %.c $(wildcard */*.h) $(PATHS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBSTORE): $(call obj,$(LIBSTORE_SRC))
	$(AR) rcs $@ $^

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	$(AR) rcs $@ $^

$(LIBSMTP): $(call obj,$(SMTP_SRC))
	$(AR) rcs $@ $^

$(LIBPOP3): $(call obj,$(POP3_SRC))
	$(AR) rcs $@ $^

$(LIBIMAP): $(call obj,$(IMAP_SRC))
	$(AR) rcs $@ $^

$(LIBRELAY): $(call obj,$(RELAY_SRC))
	$(AR) rcs $@ $^

# glibc warns, ten times a handler, that getaddrinfo, getpwuid and dlopen in
# a static binary load the system's NSS modules at run time, so that glibc
# must be the one the binary was built with: true of any Debian build, and
# said once here. Every other line the linker prints is shown.
STATIC_NSS_WARNINGS = -e 'statically linked applications requires at runtime' -e ': in function `'
# Each handler links its own protocol's library, libstore and common only.
$(BUILD)/%-handler: $(BUILD)/obj/%-handler/main.o $(BUILD)/lib%.a $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(HANDLER_LDFLAGS) -o $@ $^ $(EXTRA_LIBS) $(HANDLER_LIBS) 2>$@.ld || { cat $@.ld >&2; rm -f $@.ld; exit 1; }
	@grep -v $(STATIC_NSS_WARNINGS) $@.ld >&2 || true; rm -f $@.ld

# smtp-handler's MX checks: DMARC with libopendmarc, DKIM with libopendkim, SPF
# with libspf2, DNS blocklists with the resolver. Debian has no static libbsd
# and libdb, whose strlcpy, strlcat and db_create libopendkim.a refers to: the
# static handler gets them from static-compat.c.
$(BUILD)/smtp-handler $(BUILD)/t/smtp-handler-shared: EXTRA_LIBS = -lopendmarc -lopendkim -lspf2 -lresolv
$(BUILD)/smtp-handler: $(BUILD)/obj/smtp-handler/static-compat.o

$(BUILD)/mailctl: $(call obj,$(MAILCTL_SRC)) $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The relay agent runs for long: it links the usual way, with the resolver for
# MX lookups and libopendkim for signing.
$(BUILD)/inetmail-relay: $(BUILD)/obj/relay/main.o $(LIBRELAY) $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lopendkim -lresolv

$(BUILD)/t/%: $(BUILD)/obj/t/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# valgrind cannot replace a static glibc's malloc (it reports glibc's own start-up
# and cannot see leaks): t/valgrind.t runs the handlers' objects linked the usual way.
$(BUILD)/t/%-handler-shared: $(BUILD)/obj/%-handler/main.o $(BUILD)/lib%.a $(LIBSTORE) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(EXTRA_LIBS) $(PKG_LIBS)

# The yardstick of make bench's greeting figure: linked as a handler is, with no libraries.
$(BUILD)/t/greeting-only: $(BUILD)/obj/t/greeting-only.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(HANDLER_LDFLAGS) -o $@ $^

deps:
	@.ci/deps

# make run needs what building and running need, not what the tests add.
run-deps:
	@.ci/deps --run

# The README's test command: dependencies, a build, then every TAP test in t/
# against a private MariaDB that t/run starts and always stops; then all of it
# again against a build with AddressSanitizer and UBSan, where any report fails.
SAN_BUILD = build-san
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-DINETMAIL_SANITIZE
SAN_MAKE = $(MAKE) all tests BUILD=$(SAN_BUILD) CFLAGS="$(SAN_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	HANDLER_LDFLAGS=-no-pie
check: deps
	$(MAKE) all tests
	t/run
	$(SAN_MAKE)
	INETMAIL_SANITIZE=1 INETMAIL_BUILD=$(CURDIR)/$(SAN_BUILD) t/run

tests: $(TEST_PROGRAMS) $(BUILD)/t/smtp-handler-shared $(BUILD)/t/pop3-handler-shared $(BUILD)/t/imap-handler-shared

# The README's test command again, in a minimal Debian 12 root with a clean
# clone of HEAD (as root): proves .ci/deps lists everything the tests use.
fresh-check:
	.ci/fresh-check

# The README's first command: serve for real on a private MariaDB under ./var
# (SMTP_PORT=2525, POP3_PORT=1110, IMAP_PORT=1143 by default), until Ctrl-C.
run: run-deps
	$(MAKE) all
	units/run-local

# Stops the make run of RUN_DIR (default ./var), from another terminal.
stop:
	@units/run-local stop

# libFuzzer harnesses (clang, with ASan and UBSan) for the protocol machines
# and parsers; each runs FUZZ_SECONDS after its regression inputs. Then the
# wire fuzzer (t/fuzz/wire.py) as long, against the sanitized handlers.
FUZZ_BUILD = build-fuzz
FUZZ_SECONDS ?= 60
FUZZERS = smtp pop3 imap bounce parsers mime
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -DINETMAIL_SANITIZE

fuzz: deps
	$(MAKE) fuzzers BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_CFLAGS)"
	$(SAN_MAKE)
	t/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(CURDIR)/$(SAN_BUILD)

fuzzers: $(FUZZERS:%=$(BUILD)/fuzz/fuzz-%)

$(BUILD)/fuzz/fuzz-%: $(BUILD)/obj/t/fuzz/fuzz-%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

bench: deps
	$(MAKE) all tests
	t/run-bench

EXAMPLEDIR = $(DATADIR)/inetmail/examples
FAIL2BANDIR ?= $(SYSCONFDIR)/fail2ban
SYSUSERSDIR ?= $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
MANPAGES = $(wildcard man/*.8)
# Files under $(SYSCONFDIR) are the administrator's once installed: make install
# puts each only where there is none, make uninstall takes each only if unchanged.
# Each "conf SOURCE TARGET" of the loop below does one or the other.
EACH_CONFFILE = for f in $(ETC); do conf $$f $(SYSCONFDIR)/inetmail/$$(basename $$f); done; \
	for f in $(XINETD); do conf $$f $(XINETDDIR)/inetmail-$$(basename $$f); done; \
	for d in filter.d jail.d; do conf units/fail2ban/$$d/inetmail.conf $(FAIL2BANDIR)/$$d/inetmail.conf; done

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SQLDIR)/migrations $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(XINETDDIR) $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/inetmail $(DESTDIR)$(FAIL2BANDIR)/filter.d $(DESTDIR)$(FAIL2BANDIR)/jail.d
	install -m 755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	install -m 644 sql/schema.sql sql/grants.sql $(DESTDIR)$(SQLDIR)/
	for f in sql/migrations/*.sql; do [ -e "$$f" ] || continue; \
		install -m 644 "$$f" $(DESTDIR)$(SQLDIR)/migrations/; done
	install -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -m 644 units/inetmail.sysusers $(DESTDIR)$(SYSUSERSDIR)/inetmail.conf
	install -m 644 units/remote-database.conf $(DESTDIR)$(EXAMPLEDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/
	conf() { [ -e "$(DESTDIR)$$2" ] || install -m 644 "$$1" "$(DESTDIR)$$2"; }; $(EACH_CONFFILE)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/inetmail.conf
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES)))
	conf() { ! cmp -s "$$1" "$(DESTDIR)$$2" || rm -f "$(DESTDIR)$$2"; }; $(EACH_CONFFILE)
	rmdir $(DESTDIR)$(SYSCONFDIR)/inetmail 2>/dev/null || true
	rm -rf $(DESTDIR)$(DATADIR)/inetmail

# A Debian package built the Debian way (debian/, debhelper), from the files git
# tracks as they are in the work tree, left in $(BUILD)/deb with lintian's verdict.
# dpkg-buildpackage checks the Build-Depends itself.
deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/inetmail
	git ls-files -z | tar --null -T - -cf $(BUILD)/deb/source.tar
	tar -xf $(BUILD)/deb/source.tar -C $(BUILD)/deb/inetmail
	# Nothing of this make's command line (BUILD=, CFLAGS=) may reach the package's own.
	cd $(BUILD)/deb/inetmail && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD dpkg-buildpackage -b -us -uc
	lintian --fail-on error $(BUILD)/deb/inetmail_*.changes

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

.PHONY: all deps run-deps check fresh-check tests run stop fuzz fuzzers bench install uninstall deb clean FORCE
.SECONDARY:
