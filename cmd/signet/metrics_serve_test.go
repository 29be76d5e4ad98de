package main

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"strings"
	"testing"
)

// TestMetricsListenBusy: a metrics.listen address in use stops serve
// before it writes anything, as a busy public address does: no data
// directory and no database are left behind, and the error says which
// address.
func TestMetricsListenBusy(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	h := newHost(t)
	config := h.config(fileKey(t, "rsa-openssl3.pfx"), "metrics:\n  listen: "+addr+"\n")
	logs, err := h.refuse(config)
	if want := "metrics.listen " + addr + ": the address is in use"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q; want it to say %q", err, want)
	}
	if _, err := os.Stat(h.path("data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused serve left its data directory behind (%v); log:\n%s", err, logs)
	}
}
