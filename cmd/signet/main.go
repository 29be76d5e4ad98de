// Command signet is an OpenID Connect and OAuth 2.0 token service whose
// signing keys are first-class. This release creates, converts, inspects and
// stores signing certificates (signet cert, signet store).
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := newApp().main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
