/* t/systemd.t's program: "journal FIELD=value..." sends the fields as one
 * journal entry (exit 0 when sent); "listen" prints what systemd_listen_fds()
 * returned and which of the LISTEN_ variables are left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "systemd.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "listen")) {
		int n = systemd_listen_fds();
		printf("%d%s%s\n", n, getenv("LISTEN_FDS") ? " LISTEN_FDS" : "", getenv("LISTEN_PID") ? " LISTEN_PID" : "");
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "journal"))
		return 2;
	struct iovec iov[16];
	int n = 0;
	for (int i = 2; i < argc && n < 16; i++)
		iov[n++] = (struct iovec){argv[i], strlen(argv[i])};
	return systemd_journal_sendv(iov, n) == 0 ? 0 : 1;
}
