//go:build !unix

package main

import "os"

// Without SIGTERM, stop kills the server.
var sigterm = os.Kill
