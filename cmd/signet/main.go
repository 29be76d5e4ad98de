// Command signet is an OpenID Connect and OAuth 2.0 token service whose
// signing keys are first-class: it creates, converts, inspects and stores
// signing certificates, and (in later releases) serves tokens signed with them.
package main

import "os"

func main() {
	os.Exit(run())
}

func run() int { return 0 }
