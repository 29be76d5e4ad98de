// Command signet is an OpenID Connect and OAuth 2.0 token service whose
// signing keys are first-class: it serves tokens (signet serve), and
// creates, converts, inspects and stores the certificates that sign them
// (signet cert, signet store).
package main

import (
	"context"
	"os"
)

func main() {
	// Nothing here outlives a command, so Ctrl-C keeps its default effect
	// and ends the process; only a password prompt intercepts it, to give
	// the terminal its echo back (see stdinTerminal.ReadPassword).
	os.Exit(newApp().main(context.Background(), os.Args[1:]))
}
