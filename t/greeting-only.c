/* greeting-only: writes an SMTP greeting and exits. make bench times the
 * greeting of smtp-handler against this, under the same activator: the
 * difference is what the handler does before its first reply. */
#include <unistd.h>

int main(void)
{
	static const char greeting[] = "220 greeting-only ESMTP\r\n";
	return write(1, greeting, sizeof greeting - 1) == sizeof greeting - 1 ? 0 : 1;
}
