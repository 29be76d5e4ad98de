package main

import (
	"net"
	"strconv"
	"testing"
)

// PORT wins over WEBSITES_PORT; empty is unset; the address is every
// interface's.
func TestPortListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env        map[string]string
		addr, name string
	}{
		{map[string]string{}, "", ""},
		{map[string]string{"PORT": ""}, "", ""},
		{map[string]string{"PORT": "8080"}, "0.0.0.0:8080", "PORT"},
		{map[string]string{"PORT": "08080"}, "0.0.0.0:8080", "PORT"},
		{map[string]string{"WEBSITES_PORT": "80"}, "0.0.0.0:80", "WEBSITES_PORT"},
		{map[string]string{"PORT": "8080", "WEBSITES_PORT": "80"}, "0.0.0.0:8080", "PORT"},
		{map[string]string{"PORT": "", "WEBSITES_PORT": "80"}, "0.0.0.0:80", "WEBSITES_PORT"},
	}
	for _, tt := range tests {
		addr, name, err := portListen(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if err != nil || addr != tt.addr || name != tt.name {
			t.Errorf("%v: %q %q %v; want %q %q", tt.env, addr, name, err, tt.addr, tt.name)
		}
	}
}

// FuzzPortListen: any PORT is an error or every interface at a port from
// 1 to 65535 that is the number given.
func FuzzPortListen(f *testing.F) {
	for _, s := range []string{"8080", "0", "65535", "65536", "-1", "+80", " 80", "0x50", "٨٠", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		addr, name, err := portListen(func(k string) (string, bool) { return v, k == "PORT" })
		if err != nil || v == "" {
			if addr != "" || (v == "" && err != nil) {
				t.Fatalf("PORT=%q: %q %v", v, addr, err)
			}
			return
		}
		host, port, splitErr := net.SplitHostPort(addr)
		n, atoiErr := strconv.Atoi(port)
		want, _ := strconv.Atoi(v)
		if name != "PORT" || splitErr != nil || host != "0.0.0.0" || atoiErr != nil || n < 1 || n > 65535 || n != want {
			t.Fatalf("PORT=%q: %q %q", v, addr, name)
		}
	})
}
