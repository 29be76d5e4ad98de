package certs

import (
	"math/big"
	"testing"
)

func TestSerialHex(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0":           "00",
		"1":           "01",
		"127":         "7F",
		"128":         "0080",
		"255":         "00FF",
		"256":         "0100",
		"-1":          "FF",
		"-128":        "80",
		"-129":        "FF7F",
		"-1626267085": "9F112233", // openssl -set_serial -0x60EEDDCD, as makecert's serials look
	} {
		n, _ := new(big.Int).SetString(in, 10)
		if got := serialHex(n); got != want {
			t.Errorf("serialHex(%s) = %s, want %s", in, got, want)
		}
	}
}
