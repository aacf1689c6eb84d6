import WebhookSender
#if canImport(Glibc)
import Glibc
#endif

// A reader that went away must be an error we return, not a SIGPIPE.
signal(SIGPIPE, SIG_IGN)
exit(WebhookSenderMain.run())
